"""Build, then publish (livetier.publish): what BI readers see before, during and after builds.

One module-scoped build of the worked examples is published; the tests then kill a rebuild mid-way,
rerun it with another as-of date while a reader holds the old file open, start a second build
during it, and build a copy of the project with a failing dbt test.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from bi_build import as_of_in, cli_build, cli_env, cli_popen, must, sha256
from dbt_harness import EXAMPLES_RAW

from livetier import PROJECT_ROOT
from livetier.publish import PUBLIC_SCHEMAS, Pipeline, PublishError, build_lock, paths_for, publish

NEXT_AS_OF = "2025-03-30"  # a rebuild at another D: every user_tiers row changes its as_of_date
INCREMENTAL_MODELS = ["models/staging/live/base/base_live__events.sql",
                      "models/intermediate/int_user_activity_daily.sql",
                      "models/intermediate/int_watch_sessions_sessionized.sql"]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("publish") / "tiers.duckdb"
    result = must(cli_build(EXAMPLES_RAW, db))
    assert f"published {db}" in result.stdout
    return db


def _schemas_and_tables(db: Path) -> dict[str, set[str]]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("select table_schema, table_name from information_schema.tables "
                           "where table_catalog = current_database()").fetchall()
    found: dict[str, set[str]] = {}
    for schema, table in rows:
        found.setdefault(schema, set()).add(table)
    return found


def _wait_for(predicate, what: str, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_published_file_holds_only_the_public_schemas(published: Path) -> None:
    found = _schemas_and_tables(published)
    assert {"segmentation", "operations", "quality", "seeds"} <= set(found) <= set(PUBLIC_SCHEMAS)
    assert {"user_facts", "user_rfm", "user_tiers", "user_tags", "tier_kpis", "tier_transitions",
            "tier_transition_matrix", "user_tier_history"} <= found["segmentation"]
    assert {"user_alerts", "campaign_tier_readout"} <= found["operations"]
    assert {"data_quality_ledger", "data_quality_quarantine"} <= found["quality"]
    assert "tier_labels" in found["seeds"]
    internal = [t for tables in found.values() for t in tables if t.startswith(("stg_", "int_", "base_"))]
    assert internal == []
    work = _schemas_and_tables(paths_for(published).work)  # the working warehouse keeps everything
    assert {"staging", "intermediate"} <= set(work)
    assert "base_live__events" in work["staging"] and "int_user_activity_daily" in work["intermediate"]


def test_killed_build_leaves_the_file_then_reader_keeps_old_build_and_rerun_publishes(
    published: Path, tmp_path: Path
) -> None:
    before = sha256(published)
    reader = duckdb.connect(str(published), read_only=True)  # a dashboard holding the file open
    try:
        old_rows = reader.execute("select count(*), max(as_of_date) from segmentation.user_tiers").fetchone()
        assert str(old_rows[1]) == "2025-03-31"

        # 1. kill -9 the whole build (CLI and dbt) once dbt is writing models
        log = tmp_path / "killed.log"
        proc = cli_popen(EXAMPLES_RAW, published, NEXT_AS_OF, log)
        _wait_for(lambda: "START sql table model" in log.read_text(errors="replace"), "dbt to start models")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        assert sha256(published) == before
        assert reader.execute("select count(*), max(as_of_date) from segmentation.user_tiers").fetchone() == old_rows

        # 2. rerun; meanwhile a second build of the same file refuses, and the reader keeps reading
        log = tmp_path / "rerun.log"
        proc = cli_popen(EXAMPLES_RAW, published, NEXT_AS_OF, log)
        _wait_for(lambda: "Running with dbt" in log.read_text(errors="replace"), "the rerun to start dbt")
        second = cli_build(EXAMPLES_RAW, published, NEXT_AS_OF)
        assert second.returncode == 3, second.stdout + second.stderr
        assert second.stderr.strip().count("\n") == 0 and "Traceback" not in second.stderr
        assert f"another build of {published} is running" in second.stderr
        while proc.poll() is None:
            assert reader.execute("select count(*), max(as_of_date) from segmentation.user_tiers").fetchone() \
                == old_rows
            time.sleep(0.5)
        output = log.read_text(errors="replace")
        assert proc.returncode == 0, output[-4000:]
        assert "note: the previous build did not finish (step 'dbt build'" in output
        assert f"published {published}" in output
        assert sha256(published) != before
        # the open reader still reads the old build, unchanged; a new connection sees the new one
        assert reader.execute("select count(*), max(as_of_date) from segmentation.user_tiers").fetchone() == old_rows
    finally:
        reader.close()
    assert as_of_in(published) == NEXT_AS_OF
    assert not list(published.parent.glob(f".{published.name}.*.publishing"))


def _project_copy(dest: Path) -> Path:
    """The project with one extra singular test that always fails (a broken build)."""
    dest.mkdir()
    for name in ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "analyses"):
        (dest / name).symlink_to(PROJECT_ROOT / name)
    shutil.copytree(PROJECT_ROOT / "livetier", dest / "livetier", ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "tests").mkdir()
    for entry in (PROJECT_ROOT / "tests").iterdir():
        if entry.name != "python":
            (dest / "tests" / entry.name).symlink_to(entry)
    (dest / "tests" / "assert_always_fails.sql").write_text("select 1 as broken\n")
    return dest


def test_failing_dbt_test_does_not_publish(published: Path, tmp_path: Path) -> None:
    before = sha256(published)
    project = _project_copy(tmp_path / "project")
    env = cli_env(published, extra={"PYTHONPATH": str(project)})
    result = subprocess.run(
        [sys.executable, "-m", "livetier", "build", "--raw", str(EXAMPLES_RAW), "--db", str(published),
         "--as-of", "2025-03-31"],
        cwd=project, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "assert_always_fails" in result.stdout
    assert f"error: step 'dbt build' failed (exit 1); the published file {published} is unchanged." in result.stderr
    assert "Traceback" not in result.stderr
    assert sha256(published) == before


def test_failing_gate_and_stopped_publish_leave_the_file(published: Path) -> None:
    """In process: a failing structural gate, then a publish stopped just before its rename."""
    before = sha256(published)
    pipeline = Pipeline(published)
    assert pipeline.run([("dbt build", lambda work: 0), ("quality gate", lambda work: 1)]) == 1
    assert sha256(published) == before

    def stop() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        publish(pipeline.work, published, before_rename=stop)
    assert sha256(published) == before
    assert not list(published.parent.glob(f".{published.name}.*.publishing"))


def test_a_stale_temp_file_of_a_killed_publish_is_cleared(published: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = published.parent / f".{published.name}.99999.publishing"
    stale.write_bytes(b"half a database")
    work = paths_for(published).work
    # what a republish of the working warehouse gives (an earlier test's failed build rebuilt its models)
    expected = {s: t for s, t in _schemas_and_tables(work).items() if s in PUBLIC_SCHEMAS}, as_of_in(work)
    with build_lock(paths_for(published)):  # while a build holds the lock, a second one refuses
        assert Pipeline(published).run([("dbt build", lambda work: 0)]) == 3
        assert "another build of" in capsys.readouterr().err
        assert stale.exists()
    assert Pipeline(published).run([("dbt build", lambda work: 0)]) == 0  # republish of the same build
    assert not stale.exists()
    assert (_schemas_and_tables(published), as_of_in(published)) == expected


def test_publish_refuses_a_warehouse_without_marts(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(PublishError, match="holds no public mart"):
        publish(empty, tmp_path / "out.duckdb")
    assert not (tmp_path / "out.duckdb").exists()


def test_lint_does_not_depend_on_the_built_warehouse(published: Path) -> None:
    """`make run` then `make test`: sqlfluff renders against a throwaway file, not DUCKDB_PATH."""
    work = paths_for(published).work
    with duckdb.connect(str(work), read_only=True) as con:  # is_incremental() would be true here
        assert con.execute("select count(*) from staging.base_live__events").fetchone()[0] > 0
    env = dict(os.environ, DUCKDB_PATH=str(work))
    result = subprocess.run(
        ["make", "-o", ".venv/.installed", "--no-print-directory", "lint-sql",
         f"SQLFLUFF_PATHS={' '.join(INCREMENTAL_MODELS)}", f"LINT_DIR={published.parent / 'lint'}"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "All Finished" in result.stdout
