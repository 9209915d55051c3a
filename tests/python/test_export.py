"""`python -m livetier export`: every public mart plus a manifest, written to a temp folder and renamed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from bi_build import published_examples

from livetier import PROJECT_ROOT


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return published_examples(tmp_path_factory)


def _export(db: Path, out: Path, fmt: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "livetier", "export", "--db", str(db), "--out", str(out),
                           "--format", fmt], cwd=PROJECT_ROOT, capture_output=True, text=True)


def _published_tables(db: Path) -> tuple[dict[tuple[str, str], tuple[int, list]], str]:
    with duckdb.connect(str(db), read_only=True) as con:
        names = con.execute("select table_schema, table_name from information_schema.tables "
                            "where table_catalog = current_database()").fetchall()
        found = {}
        for schema, table in names:
            rows = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
            columns = con.execute("select column_name, data_type from information_schema.columns where "
                                  "table_schema = ? and table_name = ? order by ordinal_position",
                                  [schema, table]).fetchall()
            found[(schema, table)] = (rows, columns)
        as_of = con.execute("select max(as_of_date) from segmentation.user_tiers").fetchone()[0]
    return found, str(as_of)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export_round_trips_row_counts_and_types(published: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "export"
    out.mkdir()
    (out / "stale_file_from_an_old_export.csv").write_text("x\n1\n")
    result = _export(published, out, fmt)
    assert result.returncode == 0, result.stdout + result.stderr
    tables, as_of = _published_tables(published)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == fmt and manifest["as_of_date"] == as_of
    assert manifest["git_revision"] and len(manifest["git_revision"]) == 40
    assert manifest["built_at"] and manifest["exported_at"]
    listed = {(t["schema"], t["name"]): t for t in manifest["tables"]}
    assert set(listed) == set(tables)
    reader = "read_parquet" if fmt == "parquet" else "read_csv_auto"
    with duckdb.connect() as con:
        for key, (rows, columns) in tables.items():
            entry = listed[key]
            assert entry["rows"] == rows, key
            assert [(c["name"], c["type"]) for c in entry["columns"]] == columns, key
            file = out / entry["file"]
            assert file.suffix == f".{fmt}" and file.is_file()
            assert con.execute(f"select count(*) from {reader}('{file}')").fetchone()[0] == rows, key
            if fmt == "parquet":  # Parquet keeps names and types
                back = con.execute(f"describe select * from read_parquet('{file}')").fetchall()
                assert [(r[0], r[1]) for r in back] == columns, key
    assert not (out / "stale_file_from_an_old_export.csv").exists()  # replaced as a whole
    assert [p.name for p in tmp_path.iterdir()] == ["export"]  # no temp folder left beside it


def test_export_without_a_database_is_one_sentence_and_touches_nothing(tmp_path: Path) -> None:
    out = tmp_path / "export"
    out.mkdir()
    (out / "keep.txt").write_text("old export")
    result = _export(tmp_path / "missing.duckdb", out, "parquet")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "no published database" in result.stderr
    assert "Traceback" not in result.stderr
    assert (out / "keep.txt").read_text() == "old export"
