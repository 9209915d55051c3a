"""A real BI client: SQLAlchemy + duckdb-engine (what Superset and similar tools use) on the published file.

It reflects the marts' schema and reads tier sizes, read-only, while a build of the same file runs in
another process; then a new engine sees the new build.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
from bi_build import cli_popen, published_examples
from dbt_harness import EXAMPLES_RAW

TIER_SIZES = sa.text("select value_tier, count(*) as users from segmentation.user_tiers group by 1 order by 1")


def _engine(db: Path) -> sa.Engine:
    return sa.create_engine(f"duckdb:///{db}", connect_args={"read_only": True}, poolclass=sa.pool.NullPool)


def inspector_tables_in_main(db: Path) -> list[str]:
    engine = _engine(db)
    try:
        return sa.inspect(engine).get_table_names(schema="main")
    finally:
        engine.dispose()


def _truth(db: Path) -> list[tuple[str, int]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(str(TIER_SIZES)).fetchall()


def _read_like_a_dashboard(db: Path) -> tuple[set[str], list[str], dict[str, str], list[tuple[str, int]]]:
    engine = _engine(db)
    try:
        inspector = sa.inspect(engine)
        # duckdb-engine names schemas <catalog>.<schema>; the catalog is the file's stem
        prefix = f"{db.stem}."
        schemas = {s.removeprefix(prefix) for s in inspector.get_schema_names() if s.startswith(prefix)}
        tables = sorted(inspector.get_table_names(schema="segmentation"))
        columns = {c["name"]: str(c["type"]) for c in inspector.get_columns("user_tiers", schema="segmentation")}
        with engine.connect() as conn:
            sizes = [(r.value_tier, int(r.users)) for r in conn.execute(TIER_SIZES)]
        return schemas, tables, columns, sizes
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return published_examples(tmp_path_factory)


def test_sqlalchemy_reflects_and_reads_the_marts_while_a_build_runs(published: Path, tmp_path: Path) -> None:
    expected = _truth(published)
    assert sum(n for _, n in expected) > 0
    log = tmp_path / "build.log"
    build = cli_popen(EXAMPLES_RAW, published, log=log)
    try:
        deadline = time.monotonic() + 180
        while "Running with dbt" not in log.read_text(errors="replace"):
            assert build.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(0.2)
        reads = 0
        while build.poll() is None or reads == 0:
            schemas, tables, columns, sizes = _read_like_a_dashboard(published)
            assert {"segmentation", "operations", "quality", "seeds"} <= schemas
            assert schemas <= {"segmentation", "operations", "quality", "marts", "seeds", "main"}  # nothing internal
            assert inspector_tables_in_main(published) == []
            assert {"user_tiers", "user_facts", "tier_kpis"} <= set(tables)
            assert columns["user_id"] == "VARCHAR" and columns["as_of_date"] == "DATE"
            assert sizes == expected
            reads += 1
        assert build.returncode == 0, log.read_text(errors="replace")[-3000:]
        assert reads >= 2, "the build finished before the client could read during it"
    finally:
        if build.poll() is None:
            build.kill()
    assert "published" in log.read_text(errors="replace")
    assert _read_like_a_dashboard(published)[3] == _truth(published)  # a new engine opens the new build
