"""The benchmark's full run as resumable steps (`--resume`, `--skip`) and the pandas baseline in a
memory-capped child, with dbt, the data and the clock replaced by fakes (no builds, no timing
assertions)."""

from __future__ import annotations

import json
import time

import pytest

from livetier import bench

ROWS = {"events": 1_000, "orders": 10}


@pytest.fixture
def fake_bench(monkeypatch, tmp_path):
    """`bench.run` on fakes; returns the list of steps actually measured, in order."""
    calls: list[str] = []
    monkeypatch.setattr(bench, "BENCH_DIR", tmp_path)
    monkeypatch.setattr(bench, "ensure_data", lambda scale: tmp_path / "raw")
    monkeypatch.setattr(bench, "raw_row_counts", lambda raw: dict(ROWS))
    monkeypatch.setattr(bench, "code_version", lambda: "abc123")
    (tmp_path / "data" / "medium").mkdir(parents=True)

    def fake_dbt(args, raw, db, env=None):
        calls.append("tested" if args[0] == "build" and "test" not in args else "models")
        db.write_text("built")
        return (100.0 if calls[-1] == "models" else 130.0), 900

    def fake_overhead(work):
        calls.append("overhead")
        return 20.0

    def fake_floor(raw):
        calls.append("floor")
        return 2.0

    def fake_pandas(raw):
        calls.append("pandas")
        return {"seconds": 40.0, "value_tiers": {"casual": 3}, "peak_rss_mb": 5000}

    def fake_day(raw, db):
        calls.append("day")
        return 28.0

    monkeypatch.setattr(bench, "_dbt", fake_dbt)
    monkeypatch.setattr(bench, "measure_overhead", fake_overhead)
    monkeypatch.setattr(bench, "floor_query", fake_floor)
    monkeypatch.setattr(bench, "pandas_isolated", fake_pandas)
    monkeypatch.setattr(bench, "incremental_day", fake_day)
    monkeypatch.setattr(bench, "model_seconds", lambda names=None: {"m": 1.0})
    monkeypatch.setattr(bench, "table_rows", lambda db, names: {"stream_kpis": 1})
    monkeypatch.setattr(bench, "warehouse_value_tiers", lambda db: {"casual": 3})
    return calls


def test_a_full_run_measures_every_step_and_the_ratios(fake_bench):
    result = bench.run("medium", history=False)
    assert fake_bench == ["overhead", "models", "tested", "floor", "pandas", "day"]
    # variable part 100 - 20 = 80: floor 80 / 2, pandas 40 / 100, day (28 - 20) / 80
    assert result["ratios"] == {"variable_vs_floor": 40.0, "pandas_vs_full": 0.4, "incremental_share": 0.1}
    assert result["met"] == {"variable_vs_floor": False, "pandas_vs_full": False, "incremental_share": True,
                             "peak_rss": True}
    assert result["pandas_peak_rss_mb"] == 5000 and result["skipped_steps"] == []


def test_the_duckdb_limits_of_the_run_are_recorded(fake_bench, monkeypatch):
    monkeypatch.delenv("DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.setenv("DUCKDB_MAX_TEMP_SIZE", "32GB")
    result = bench.run("medium", history=False)
    assert result["duckdb_settings"] == {"memory_limit": "3GB", "max_temp_directory_size": "32GB"}
    assert "| 3GB / 32GB |" in bench.to_markdown(result)


def test_resume_measures_only_the_steps_not_done(fake_bench, tmp_path, monkeypatch):
    first = bench.run("medium", history=False)
    fake_bench.clear()
    again = bench.run("medium", history=False, resume=True)
    assert fake_bench == []
    assert again["ratios"] == first["ratios"]
    # a run that stopped after the full builds: the rest is measured, the builds reused
    steps = tmp_path / "data" / "medium" / "steps.json"
    saved = json.loads(steps.read_text())
    for name in ("floor", "pandas", "incremental_day"):
        del saved["steps"][name]
    steps.write_text(json.dumps(saved))
    bench.run("medium", history=False, resume=True)
    assert fake_bench == ["floor", "pandas", "day"]


def test_without_resume_or_on_other_code_or_data_every_step_runs_again(fake_bench, monkeypatch):
    bench.run("medium", history=False)
    fake_bench.clear()
    bench.run("medium", history=False)
    assert len(fake_bench) == 6
    fake_bench.clear()
    monkeypatch.setattr(bench, "code_version", lambda: "def456")
    bench.run("medium", history=False, resume=True)
    assert len(fake_bench) == 6
    fake_bench.clear()
    monkeypatch.setattr(bench, "raw_row_counts", lambda raw: {**ROWS, "events": 1_001})
    bench.run("medium", history=False, resume=True)
    assert len(fake_bench) == 6
    fake_bench.clear()
    # outside a git checkout nothing is reused
    monkeypatch.setattr(bench, "code_version", lambda: None)
    bench.run("medium", history=False, resume=True)
    bench.run("medium", history=False, resume=True)
    assert len(fake_bench) == 12


def test_a_build_that_stopped_half_way_leaves_no_warehouse_for_the_day(fake_bench, tmp_path):
    bench.run("medium", history=False)
    steps = tmp_path / "data" / "medium" / "steps.json"
    saved = json.loads(steps.read_text())
    # the tested build was being rebuilt when the run stopped: the warehouse is not a finished one
    del saved["steps"]["full_build"], saved["steps"]["incremental_day"]
    saved["warehouse"] = None
    steps.write_text(json.dumps(saved))
    with pytest.raises(SystemExit, match="no finished full build"):
        bench.run("medium", history=False, resume=True, skip=("full_build",))
    # without the skip the tested build runs again, and then the day
    fake_bench.clear()
    bench.run("medium", history=False, resume=True)
    assert fake_bench == ["tested", "day"]


def test_skipped_steps_are_reported_not_measured(fake_bench):
    result = bench.run("medium", history=False, skip=("full_build", "pandas"))
    assert "tested" not in fake_bench and "pandas" not in fake_bench
    assert result["full_build_s"] is None and result["pandas_s"] is None
    assert result["ratios"]["pandas_vs_full"] is None and result["met"]["pandas_vs_full"] is None
    assert result["peak_rss_mb"] == 900
    md = bench.to_markdown(result)
    assert "| full build with tests (s) | not measured |" in md
    assert "| pandas / full build (target >= 1) | not measured (not measured) |" in md
    assert "| steps skipped (--skip) | full_build, pandas |" in md


def test_the_overhead_and_models_build_cannot_be_skipped(fake_bench):
    with pytest.raises(SystemExit, match="needed for every ratio"):
        bench.run("medium", history=False, skip=("full_build_models",))


def test_pandas_out_of_memory_is_a_note_not_a_crash(fake_bench, monkeypatch, tmp_path):
    monkeypatch.setattr(bench, "pandas_isolated", lambda raw: {
        "seconds": None, "value_tiers": {}, "note": "out of memory with its address space capped at 1.0 GiB"})
    result = bench.run("medium", history=False)
    assert result["pandas_s"] is None and result["met"]["pandas_vs_full"] is None
    assert "| pandas baseline (s) | out of memory with its address space capped at 1.0 GiB |" in (
        bench.to_markdown(result))


def test_pandas_isolated_reports_running_out_of_memory(tmp_path):
    """A real child process reading real Parquet files under a cap far below what it already
    holds: pandas imports (the cap is set after them), then runs out of memory on the data, and
    the answer says so instead of failing."""
    import pandas as pd

    events = pd.DataFrame({"event_id": [f"e{i}" for i in range(50_000)], "user_id": "u1",
                           "event_type": "enter_room", "event_at": "2025-01-01T00:00:00Z", "stream_id": "s1"})
    events.to_parquet(tmp_path / "events.parquet")
    answer = bench.pandas_isolated(tmp_path, memory_fraction=0.001)
    assert answer["seconds"] is None
    assert answer["note"].startswith("out of memory with its address space capped at")


def test_code_version_names_the_commit():
    version = bench.code_version()
    assert version is None or len(version.split("+")[0]) == 40


def test_overhead_is_the_fastest_of_its_builds_each_from_an_empty_file(monkeypatch, tmp_path):
    builds: list[tuple[bool, str]] = []
    times = iter([21.0, 15.5, 18.0])

    def fake_dbt(args, raw, db, env=None):
        if args[0] == "parse":
            return 1.0, 100
        builds.append((db.exists(), db.name))
        db.write_text("built")
        return next(times), 900

    monkeypatch.setattr(bench, "_dbt", fake_dbt)
    assert bench.measure_overhead(tmp_path, repeats=3) == 15.5
    assert builds == [(False, "tiny.duckdb")] * 3


def test_a_failed_dbt_step_is_one_message_and_the_steps_before_it_are_kept(fake_bench, monkeypatch, tmp_path,
                                                                             capsys):
    def failing_dbt(args, raw, db, env=None):
        raise RuntimeError("dbt build failed after 906 s (full output: x.log):\nOut of Memory Error in model m")

    monkeypatch.setattr(bench, "_dbt", failing_dbt)
    assert bench.main(["--scale", "medium", "--no-history"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("livetier bench: dbt build failed after 906 s") and "Traceback" not in err
    saved = json.loads((tmp_path / "data" / "medium" / "steps.json").read_text())
    assert list(saved["steps"]) == ["overhead"]


def test_the_slowest_models_come_first_whatever_the_order_of_the_profile():
    result = {"profile_full_s": {"a_fast": 1.0, "b_slow": 9.0, "c_mid": 5.0}}
    lines = bench.profile_markdown(result, top=2)
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| model")]
    assert rows == ["| b_slow | 9.0 | 60.0% |", "| c_mid | 5.0 | 33.3% |"]



@pytest.mark.parametrize(("large_version", "met"), [("this", True), ("other", None), (None, None)])
def test_scaling_is_judged_only_against_a_result_of_the_same_code(fake_bench, monkeypatch, tmp_path,
                                                                  large_version, met):
    monkeypatch.setattr(bench, "measured_code_version", lambda: "this")
    (tmp_path / "results").mkdir()
    # medium (fakes): 1,000 events, variable part 100 - 20 = 80 s; large: 10x the events in 10x the
    # variable seconds, time / data = 1.0
    large = {"scale": "large", "events_rows": 10_000, "full_build_models_s": 820.0, "overhead_s": 20.0,
             "code_version": large_version}
    (tmp_path / "results" / "large.json").write_text(json.dumps(large))
    result = bench.run("medium", history=False)
    assert result["code_version"] == "this"
    assert (result["scaling"]["time_vs_data"], result["scaling"]["met"]) == (1.0, met)
    row = [line for line in bench.to_markdown(result).splitlines() if line.startswith("| large/medium")]
    assert row[0].endswith("met) |" if met else "not judged: the other scale's result was measured on other code) |")


def test_measured_code_version_is_a_short_hash_stable_between_calls():
    version = bench.measured_code_version()
    assert version is not None and len(version) == 12
    assert version == bench.measured_code_version()


def test_a_run_retried_after_running_out_of_memory_profiles_the_models_of_both_attempts(monkeypatch, tmp_path):
    """dbt retry rewrites run_results.json with only the models it ran again: the profile of the
    night at `large` listed 21 of 88 models until the first attempt's were kept."""
    import subprocess

    from livetier import cli

    target = tmp_path / "target"
    target.mkdir()
    monkeypatch.setenv("DBT_TARGET_PATH", str(target))
    monkeypatch.setattr("livetier.ingest.prepare", lambda raw, db: None)

    def result(name, status, seconds, message=""):
        return {"unique_id": f"model.livetier.{name}", "status": status, "execution_time": seconds,
                "message": message}

    def fake_run(cmd, **kwargs):
        if "parse" in cmd:
            return subprocess.CompletedProcess(cmd, 0, stdout="1024\n", stderr="")
        if "retry" in cmd:
            results = [result("b_lost", "success", 3.0), result("c_skipped", "success", 2.0)]
            code = 0
        else:
            results = [result("a_built", "success", 5.0), result("b_lost", "error", 1.0, cli.OUT_OF_MEMORY),
                       result("c_skipped", "skipped", 0.0)]
            code = 1
        (target / "run_results.json").write_text(json.dumps({"results": results}))
        return subprocess.CompletedProcess(cmd, code, stdout="1024\n", stderr="")

    monkeypatch.setattr(bench.subprocess, "run", fake_run)
    bench._dbt(["run"], tmp_path / "raw", tmp_path / "bench.duckdb")
    assert bench.model_seconds() == {"a_built": 5.0, "b_lost": 3.0, "c_skipped": 2.0}
    # the next command starts afresh
    (target / "run_results.json").write_text(json.dumps({"results": [result("d_next", "success", 1.0)]}))
    monkeypatch.setattr(bench.subprocess, "run",
                        lambda cmd, **kwargs: subprocess.CompletedProcess(cmd, 0, stdout="1024\n", stderr=""))
    bench._dbt(["run"], tmp_path / "raw", tmp_path / "bench.duckdb")
    assert bench.model_seconds() == {"d_next": 1.0}


def test_a_timed_run_is_parsed_first_untimed_under_its_own_profile(monkeypatch, tmp_path):
    """The database path is part of dbt's profile: a run on another file than the command before
    would parse the whole project (~10 s) inside the timed span, which the overhead it is compared
    with does not pay (and a nightly build of one warehouse does not either)."""
    import subprocess

    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setattr("livetier.ingest.prepare", lambda raw, db: None)
    calls: list[tuple[str, str]] = []

    def fake_run(cmd, **kwargs):
        command = "parse" if "parse" in cmd else "build" if "build" in cmd else "other"
        calls.append((command, kwargs["env"]["DUCKDB_PATH"]))
        if command == "parse":
            time.sleep(0.5)
        return subprocess.CompletedProcess(cmd, 0, stdout="1024\n", stderr="")

    monkeypatch.setattr(bench.subprocess, "run", fake_run)
    seconds, _ = bench._dbt(["build"], tmp_path / "raw", tmp_path / "night.duckdb")
    path = str((tmp_path / "night.duckdb").resolve())
    assert calls == [("parse", path), ("build", path)]
    assert seconds < 0.5
    # a parse alone is not preceded by another
    calls.clear()
    bench._dbt(["parse"], tmp_path / "raw", tmp_path / "night.duckdb")
    assert [command for command, _ in calls] == ["parse"]
