"""A model lost to DuckDB's memory limit is run again, one model at a time, instead of stopping the night.

dbt runs two models side by side on one DuckDB instance; at `large` two as-of models that each take
a second alone once ran out of the 3 GB limit together. `livetier build` (and the benchmark) then
runs `dbt retry --threads 1` once: the failed and skipped nodes, hooks included, one at a time.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from dbt_harness import EXAMPLES_RAW, PINNED_CLOCK

from livetier import cli

AS_OF = "2025-03-31"
OOM_MESSAGE = ("Runtime Error in model int_user_rfm_scored (models/intermediate/as_of/int_user_rfm_scored.sql)\n"
               "  Out of Memory Error: failed to pin block of size 256.0 KiB (2.7 GiB/2.7 GiB used)")
COMPARED = ["segmentation.user_tiers", "segmentation.user_rfm", "segmentation.tier_transitions",
            "operations.anchor_fans", "operations.stream_kpis", "quality.data_quality_ledger"]


def _run_results(target: Path, results: list[dict]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    (target / "run_results.json").write_text(json.dumps({"results": results}))


def test_an_out_of_memory_error_is_retried_once_with_one_thread(tmp_path: Path, capsys) -> None:
    _run_results(tmp_path, [
        {"unique_id": "model.livetier.user_facts", "status": "error", "message": OOM_MESSAGE},
        {"unique_id": "model.livetier.int_user_rfm_scored", "status": "error", "message": OOM_MESSAGE},
        {"unique_id": "model.livetier.user_rfm", "status": "skipped", "message": None},
        {"unique_id": "model.livetier.user_tiers", "status": "success", "message": "OK"},
    ])
    calls = []
    code = cli.retry_after_out_of_memory({"DBT_TARGET_PATH": str(tmp_path), "DUCKDB_MEMORY_LIMIT": "3GB"},
                                         lambda args, env: calls.append(args) or 0)
    assert code == 0 and calls == [["retry", "--threads", "1"]]
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "int_user_rfm_scored, user_facts" in err and "memory_limit 3GB" in err, err


@pytest.mark.parametrize("results", [
    [{"unique_id": "model.livetier.user_facts", "status": "error", "message": "Binder Error: column x not found"}],
    [{"unique_id": "model.livetier.user_facts", "status": "success", "message": "OK"}],
    None,  # no run_results.json: dbt stopped before running anything
])
def test_other_failures_are_not_retried(tmp_path: Path, results: list[dict] | None) -> None:
    if results is not None:
        _run_results(tmp_path, results)
    calls = []
    assert cli.retry_after_out_of_memory({"DBT_TARGET_PATH": str(tmp_path)}, lambda a, e: calls.append(a) or 0) is None
    assert calls == []


def _rows(db: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        columns = [c for c, *_ in con.execute(f"describe {table}").fetchall() if c not in ("_loaded_at", "loaded_at")]
        return sorted(con.execute(f"select {', '.join(columns)} from {table}").fetchall(), key=repr)


def test_a_build_that_ran_out_of_memory_is_finished_by_the_retry(tmp_path: Path, monkeypatch, capsys) -> None:
    """The first dbt command runs with a 10MB limit (the base models run out of memory, every model
    after them is skipped); the retry gets the usual limit and must finish the build: the same
    marts as a build that never failed."""
    monkeypatch.setenv("BUILD_CLOCK", PINNED_CLOCK)
    real_run = cli.run_dbt
    commands = []

    def first_run_starved(args: list[str], env: dict, quiet: bool = False) -> int:
        commands.append(args[0])
        starved = {**env, "DUCKDB_MEMORY_LIMIT": "10MB"} if len(commands) == 1 else env
        return real_run(args, starved, quiet=True)

    monkeypatch.setattr(cli, "run_dbt", first_run_starved)
    retried_db = tmp_path / "retried.duckdb"
    assert cli.build(EXAMPLES_RAW, retried_db, AS_OF) == 0
    assert commands == ["build", "retry"]
    assert "running the failed and skipped models again one at a time" in capsys.readouterr().err
    monkeypatch.setattr(cli, "run_dbt", real_run)
    plain_db = tmp_path / "plain.duckdb"
    assert cli.build(EXAMPLES_RAW, plain_db, AS_OF, quiet=True) == 0
    for table in COMPARED:
        assert _rows(retried_db, table) == _rows(plain_db, table), table
