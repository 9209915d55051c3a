"""The benchmark's history measurement (an incremental day with 6 and 12 months of history):
its arithmetic, the shape of its JSON and markdown, with dbt and the generator replaced by fakes
(no timing assertions, no builds)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

import livetier.incremental
from livetier import PROJECT_ROOT, bench


def _history(var6: float = 10.0, var12: float = 11.0, overhead: float = 20.0) -> dict:
    history = {
        "users": 1_000, "users_note": "", "seed": 7, "end_date": "2025-06-30", "repeats": 1,
        "overhead_s": overhead, "days_6m": 183, "days_12m": 365,
        "events_rows_6m": 1_000, "events_rows_12m": 2_000,
        "full_build_models_6m_s": 30.0, "full_build_models_12m_s": 40.0,
        "incremental_day_6m_s": overhead + var6, "incremental_day_12m_s": overhead + var12,
        "incremental_day_variable_6m_s": var6, "incremental_day_variable_12m_s": var12,
        "profile_6m": {"a": 1.0, "b": 5.0, "c": 2.0}, "profile_12m": {"a": 4.0, "b": 5.5, "d": 0.5},
    }
    history.update(bench.history_ratios(history))
    return history


def test_ratio_is_on_the_variable_part_and_the_total_is_beside_it():
    history = _history(var6=10.0, var12=11.0, overhead=20.0)
    assert history["ratio_12m_vs_6m"] == 1.1  # 11 / 10
    assert history["ratio_12m_vs_6m_total"] == round(31 / 30, 3)


def test_met_at_the_target_and_not_above_it():
    for var12, met in ((12.0, True), (12.5, False)):
        result: dict = {"met": {}}
        bench.add_history(result, _history(var6=10.0, var12=var12))
        assert result["met"]["history_12m_vs_6m"] is met
        assert result["targets"]["history_12m_vs_6m_max"] == 1.2


def test_no_variable_part_is_not_met():
    result: dict = {}
    bench.add_history(result, _history(var6=0.0, var12=1.0))
    assert result["history"]["ratio_12m_vs_6m"] is None
    assert result["met"]["history_12m_vs_6m"] is False


def test_growth_lists_the_models_that_grew_most_first():
    rows = bench.profile_growth(_history(), top=3)
    # a: 1 -> 4 (+3), b: 5 -> 5.5 (+0.5), d: only at 12 months (+0.5), c: only at 6 months (-2)
    assert rows == [("a", 1.0, 4.0, 3.0), ("b", 5.0, 5.5, 0.5), ("d", 0.0, 0.5, 0.5)]


def test_growth_uses_the_queries_alone_when_measured():
    history = _history()
    history.update({"alone_6m": {"a": 0.5, "b": 2.0}, "alone_12m": {"a": 0.6, "b": 3.0}, "alone_repeats": 3})
    history.update(bench.history_ratios(history))
    assert history["alone_6m_s"] == 2.5 and history["alone_12m_s"] == 3.6
    assert history["ratio_12m_vs_6m_alone"] == 1.44
    assert bench.profile_growth(history, top=2) == [("b", 2.0, 3.0, 1.0), ("a", 0.5, 0.6, 0.1)]
    result: dict = {"scale": "medium", "overhead_s": 20.0}
    bench.add_history(result, history)
    md = bench.to_markdown(result)
    assert "re-run alone after the day (fastest of 3 runs after each of 1 night(s))" in md and "ratio 1.44" in md
    assert "| b | 2.00 | 3.00 | +1.00 |" in md and "| a | 0.50 | 0.60 | +0.10 |" in md


def _fake_target(tmp_path: Path, models: dict[str, tuple[str, str]]) -> Path:
    """A dbt target folder whose last run ran `models` (name: (materialized, compiled query))."""
    target = tmp_path / "target"
    target.mkdir()
    results = [{"unique_id": f"model.livetier.{name}", "compiled_code": sql} for name, (_, sql) in models.items()]
    results.append({"unique_id": "test.livetier.some_test", "compiled_code": "select 1"})
    nodes = {f"model.livetier.{name}": {"config": {"materialized": kind}} for name, (kind, _) in models.items()}
    (target / "run_results.json").write_text(json.dumps({"results": results}))
    (target / "manifest.json").write_text(json.dumps({"nodes": nodes}))
    return target


def _events_warehouse(tmp_path: Path, monkeypatch, rows: int) -> Path:
    """A warehouse file `bench.duckdb` with one table of `rows` events (main_staging.events), and
    no personal-data key in the environment (the key file beside it is used)."""
    monkeypatch.delenv("LIVETIER_PII_KEY", raising=False)
    monkeypatch.delenv("LIVETIER_PII_KEY_FILE", raising=False)
    db = tmp_path / "bench.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema main_staging")
    con.execute(f"create table main_staging.events as select range as x from range({rows})")
    con.close()
    return db


def test_models_alone_times_each_table_query_on_the_warehouse(tmp_path, monkeypatch):
    db = _events_warehouse(tmp_path, monkeypatch, rows=1000)
    target = _fake_target(tmp_path, {
        "counted": ("incremental", 'select count(*) as n from "bench"."main_staging"."events"'),
        "hashed": ("table", 'select livetier_pii_hash(cast(x as varchar)) as h from "bench"."main_staging"."events"'),
        "a_view": ("view", 'select * from "bench"."main_staging"."events"'),
        "broken": ("table", 'select * from "bench"."main_staging"."missing"'),
        "kept": ("table_on_change", 'select count(*) as n from "bench"."main_staging"."events"'),
    })
    # the run's output (written beside the database by _dbt) says the table_on_change model was kept
    (tmp_path / "bench.duckdb.bench-dbt.log").write_text(
        "10:00:01  kept: inputs unchanged since its last build, table kept\n", encoding="utf-8")
    seconds = bench.models_alone(db, target)
    assert set(seconds) == {"counted", "hashed"}
    assert all(value >= 0 for value in seconds.values())
    # the tables were written into a scratch copy, removed afterwards: the warehouse is unchanged
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*) from information_schema.tables").fetchall() == [(1,)]
    con.close()
    assert sorted(path.name for path in tmp_path.iterdir() if path.is_dir()) == ["target"]


def test_models_alone_times_the_base_models_through_the_raw_views_of_the_log(tmp_path, monkeypatch):
    """The raw files' views are gone after the run: defined again from the run's own log, the base
    models it rebuilt are timed too (without them, left out as failing)."""
    db = _events_warehouse(tmp_path, monkeypatch, rows=10)
    target = _fake_target(tmp_path, {
        "base_orders": ("table_on_change", 'select count(*) as n from "bench"."raw"."orders"'),
    })
    logs = tmp_path / "night-log"
    logs.mkdir()

    def logged(sql: str) -> str:
        return json.dumps({"info": {"name": "SQLQuery"}, "data": {"sql": "/* dbt */\n    " + sql}})

    # dbt rotates its log: dbt.log.1 is the older part, so its statement is replaced by dbt.log's
    (logs / "dbt.log.1").write_text(logged("create or replace view raw.orders as select 1 as x") + "\n")
    (logs / "dbt.log").write_text("\n".join([
        "not json",
        logged("create or replace view raw.orders as select 1 as x union all select 2"),
        logged("create or replace view raw.gone as select * from read_parquet('/nowhere/x.parquet')"),
        logged("select 1"),
    ]) + "\n")
    statements = bench.raw_view_statements(logs)
    assert statements == ["create or replace view raw.orders as select 1 as x union all select 2",
                          "create or replace view raw.gone as select * from read_parquet('/nowhere/x.parquet')"]
    assert bench.models_alone(db, target) == {}
    assert set(bench.models_alone(db, target, raw_views=statements)) == {"base_orders"}


def test_models_alone_keeps_each_querys_fastest_run(tmp_path, monkeypatch):
    db = _events_warehouse(tmp_path, monkeypatch, rows=10)
    target = _fake_target(tmp_path, {
        "counted": ("table", 'select count(*) as n from "bench"."main_staging"."events"'),
    })
    # a clock whose three runs of the one query last 0.5, 0.2 and 0.4 s
    ticks = iter([0.0, 0.5, 1.0, 1.2, 2.0, 2.4])
    monkeypatch.setattr(bench.time, "perf_counter", lambda: next(ticks))
    assert bench.models_alone(db, target, repeats=3) == {"counted": 0.2}


def test_the_kept_table_pattern_matches_the_line_the_macro_logs():
    # bench.kept_tables reads what macros/table_on_change.sql logs: a reworded message there
    # would make the queries-alone list count kept tables again, silently
    macro = (PROJECT_ROOT / "macros" / "table_on_change.sql").read_text(encoding="utf-8")
    logged = re.findall(r'log\(this\.identifier ~ "([^"]*)"', macro)
    assert len(logged) == 1
    line = "10:00:01  int_order_net_amounts_versioned" + logged[0]
    assert bench.KEPT_TABLE.findall(line) == ["int_order_net_amounts_versioned"]


def test_markdown_of_a_full_result_has_the_history_rows_and_growth_table():
    result = {
        "scale": "medium", "events_rows": 10, "rows": {"events": 10}, "full_build_models_s": 50.0,
        "full_build_s": 60.0, "overhead_s": 20.0, "variable_build_s": 30.0, "floor_s": 1.0, "pandas_s": 5.0,
        "incremental_day_s": 25.0, "peak_rss_mb": 100,
        "ratios": {"variable_vs_floor": 30.0, "pandas_vs_full": 0.1, "incremental_share": 0.167},
        "met": {"variable_vs_floor": False, "pandas_vs_full": False, "incremental_share": False, "peak_rss": True},
    }
    bench.add_history(result, _history(var6=10.0, var12=13.0))
    md = bench.to_markdown(result)
    assert "| history: incremental day, 183 days (s; variable part) | 30.0 (10.0;" in md
    assert "| history: incremental day, 365 days (s; variable part) | 33.0 (13.0;" in md
    assert "| history: 12 / 6 months, variable part (target <= 1.2) | 1.3 (not met;" in md
    assert "| a | 1.00 | 4.00 | +3.00 |" in md
    assert md.index("| a |") < md.index("| b |")


def test_markdown_lists_every_night_so_the_spread_shows():
    result = {"scale": "medium", "overhead_s": 20.0}
    history = _history(var6=10.0, var12=13.0)
    history.update({"incremental_day_6m_runs_s": [34.5, 30.0, 31.25], "incremental_day_12m_runs_s": [33.0, 40.0]})
    bench.add_history(result, history)
    md = bench.to_markdown(result)
    assert "| history: every night's seconds, 6 months / 12 months | 34.5, 30, 31.25 / 33, 40 |" in md


def test_markdown_of_a_history_only_result():
    result = {"scale": "small", "overhead_s": 20.0}
    bench.add_history(result, _history(var6=10.0, var12=11.0))
    md = bench.to_markdown(result)
    assert md.startswith("## Benchmark: small, history only")
    assert "| history: 12 / 6 months, variable part (target <= 1.2) | 1.1 (met;" in md


def test_measure_history_keeps_the_fastest_day_and_its_profile(monkeypatch, tmp_path):
    """Two data sets of the same users, seed and end date; repeats alternate and the fastest counts."""
    generated = []

    def fake_ensure_data(scale, seed, users, days, end_date, raw):
        generated.append((scale, seed, users, days, end_date))
        return raw

    # the incremental day of each data set, in the order the runs happen: 6m, 12m, 6m, 12m (a time
    # that rounds down to the stored milliseconds still keeps its profile)
    days_s = {"6m": [32.0, 30.0], "12m": [34.0004, 35.0]}
    last = {}

    probed = []

    def fake_day(raw, db, runner, after=None):
        label = "12m" if "365d" in str(raw) else "6m"
        last["profile"] = {"m": days_s[label][0] + 0.5}
        last["night"] = days_s[label][0]
        runner(["run"], raw, db)
        if after is not None:
            after(tmp_path / label)
        return days_s[label].pop(0)

    monkeypatch.setattr(bench, "BENCH_DIR", tmp_path)
    monkeypatch.setattr(bench, "ensure_data", fake_ensure_data)
    monkeypatch.setattr(bench, "raw_row_counts", lambda raw: {"events": 5})
    def fake_dbt(args, raw, db, env=None):
        # a night's dbt log (JSON, in the folder the runner names): one delete lasting the night's seconds
        if env and "DBT_LOG_PATH" in env:
            (Path(env["DBT_LOG_PATH"]) / "dbt.log").write_text(
                _sql_events(("T1", "model.livetier.m", "delete from m", last["night"])))
        return 7.0, 1

    monkeypatch.setattr(bench, "_dbt", fake_dbt)
    monkeypatch.setattr(bench, "model_seconds", lambda names=None: dict(last.get("profile", {"full": 1.0})))
    monkeypatch.setattr(livetier.incremental, "bench_incremental_day", fake_day)
    # each probe's seconds per data set, in the order of the nights: the second 6-month probe is
    # faster for m, and only it has n; the 12-month probes keep the first's m
    alone_s = {"6m": [{"m": 2.5}, {"m": 2.0, "n": 0.5}], "12m": [{"m": 3.0}, {"m": 3.5}]}
    monkeypatch.setattr(bench, "models_alone",
                        lambda db, raw_views=None: probed.append(db.name) or alone_s[db.name].pop(0))
    # the overhead again in each repeat, once (before the full builds: 20 s)
    overheads = [21.0, 19.5]

    def fake_overhead(work, repeats=2):
        assert repeats == 1
        return overheads.pop(0)

    monkeypatch.setattr(bench, "measure_overhead", fake_overhead)
    history = bench.measure_history("medium", overhead_s=20.0, users=500, repeats=2)

    assert generated == [("medium", 7, 500, 183, "2025-06-30"), ("medium", 7, 500, 365, "2025-06-30")]
    assert history["incremental_day_6m_runs_s"] == [32.0, 30.0]
    assert history["incremental_day_6m_s"] == 30.0
    assert history["incremental_day_12m_s"] == 34.0
    # the fastest overhead of the three is subtracted
    assert history["overhead_runs_s"] == [20.0, 21.0, 19.5] and history["overhead_s"] == 19.5
    assert history["incremental_day_variable_6m_s"] == 10.5
    assert history["incremental_day_variable_12m_s"] == 14.5
    assert history["ratio_12m_vs_6m"] == round(14.5 / 10.5, 3)
    assert history["profile_6m"] == {"m": 30.5} and history["profile_12m"] == {"m": 34.5004}
    # the fastest night's SQL seconds from its own dbt log
    assert history["sql_6m"] == {"kinds": {"delete": 30.0}, "models": {"m": 30.0}}
    assert history["sql_12m"] == {"kinds": {"delete": 34.0}, "models": {"m": 34.0}}
    assert history["users"] == 500 and "override" in history["users_note"]
    # the queries alone: after every night, each model's fastest kept
    assert probed == ["6m", "12m", "6m", "12m"]
    assert history["alone_6m"] == {"m": 2.0, "n": 0.5} and history["alone_12m"] == {"m": 3.0}
    assert history["alone_probes_6m"] == 2 and history["alone_probes_12m"] == 2
    assert history["ratio_12m_vs_6m_alone"] == 1.2
    for key in ("days_6m", "days_12m", "full_build_models_6m_s", "full_build_models_12m_s"):
        assert key in history


def test_history_only_writes_its_own_result_files(monkeypatch, tmp_path):
    monkeypatch.setattr(bench, "BENCH_DIR", tmp_path)

    def fake_history_only(scale, users):
        result = {"scale": scale, "overhead_s": 20.0}
        bench.add_history(result, _history())
        return result

    monkeypatch.setattr(bench, "run_history_only", fake_history_only)
    assert bench.main(["--scale", "medium", "--history-only", "--history-users", "300"]) == 0
    saved = json.loads((tmp_path / "results" / "medium-history.json").read_text())
    assert saved["history"]["ratio_12m_vs_6m"] == 1.1
    assert (tmp_path / "results" / "medium-history.md").read_text().startswith("## Benchmark: medium, history only")


@pytest.mark.parametrize("name", bench.STREAM_MODELS)
def test_stream_models_exist(name):
    assert list(Path(PROJECT_ROOT, "models").rglob(f"{name}.sql")), name


def test_stream_models_include_every_model_of_the_stream_folders():
    """The stream review's seconds count every model of its folders (a new model there must be added)."""
    folders = [Path(PROJECT_ROOT, "models", layer, "streams") for layer in ("intermediate", "marts")]
    names = {path.stem for folder in folders for path in folder.glob("*.sql")}
    assert "int_stream_user_event_days_counted" in names
    assert names <= set(bench.STREAM_MODELS), sorted(names - set(bench.STREAM_MODELS))


def test_history_is_on_by_default_at_medium_and_large_only():
    assert bench.HISTORY_DEFAULT == {"small": False, "medium": True, "large": True}
    assert bench.HISTORY_DAYS == {"6m": 183, "12m": 365}


def _sql_events(*statements: tuple[str, str, str, float]) -> str:
    """dbt's JSON log lines for (thread, connection, sql, seconds) statements, each query then its status."""
    lines = []
    for thread, conn, sql, seconds in statements:
        lines.append(json.dumps({"info": {"name": "SQLQuery", "thread": thread},
                                 "data": {"conn_name": conn, "sql": sql}}))
        lines.append(json.dumps({"info": {"name": "SQLQueryStatus", "thread": thread},
                                 "data": {"elapsed": str(seconds), "status": "OK"}}))
    return "\n".join(lines) + "\n"


def test_statement_kinds_read_past_dbts_comment():
    comment = '/* {"app": "dbt", "node_id": "model.livetier.x"} */\n'
    assert bench.statement_kind(comment + "\n  create  table x__dbt_tmp as (select 1)") == \
        "table rebuilt whole (create table)"
    assert bench.statement_kind(comment + "create temporary table t as select 1") == \
        "incremental batch (create temporary table)"
    assert bench.statement_kind("COMMIT") == "commit (with DuckDB's checkpoints)"
    assert bench.statement_kind(comment + "with x as (select 1) select * from x") == "select (macros' lookups)"
    assert bench.statement_kind("force checkpoint") == "checkpoint (forced)"
    assert bench.statement_kind("vacuum") == "other"


def test_night_sql_seconds_sums_each_statement_by_kind_and_model(tmp_path):
    # two threads interleave their queries and statuses; dbt rotated its log once (dbt.log.1 older)
    (tmp_path / "dbt.log.1").write_text(
        _sql_events(("T1", "model.livetier.a", "create table a__dbt_tmp as select 1", 1.5))
        + json.dumps({"info": {"name": "SQLQuery", "thread": "T2"},
                      "data": {"conn_name": "model.livetier.b", "sql": "delete from b where k in (1)"}}) + "\n")
    (tmp_path / "dbt.log").write_text(
        json.dumps({"info": {"name": "SQLQueryStatus", "thread": "T2"}, "data": {"elapsed": "0.25"}}) + "\n"
        + "not json\n"
        + _sql_events(("T1", "model.livetier.a", "COMMIT", 0.75), ("T2", "master", "select 1", 0.5)))
    seconds = bench.night_sql_seconds(tmp_path)
    assert seconds["kinds"] == {"table rebuilt whole (create table)": 1.5, "commit (with DuckDB's checkpoints)": 0.75,
                                "select (macros' lookups)": 0.5, "delete": 0.25}
    # statements outside a model (dbt's own connection) count in the kinds only
    assert seconds["models"] == {"a": 2.25, "b": 0.25}
    assert bench.night_sql_seconds(tmp_path / "missing") == {"kinds": {}, "models": {}}


def test_the_night_sql_table_lists_each_kind_by_its_growth():
    history = {"sql_6m": {"kinds": {"delete": 1.0, "commit": 2.0}},
               "sql_12m": {"kinds": {"delete": 1.5, "commit": 2.0, "insert": 0.25}}}
    lines = bench.night_sql_markdown(history)
    assert "all of them: 3.00 s and 3.75 s" in lines[1]
    assert lines[-3:] == ["| delete | 1.00 | 1.50 | +0.50 |", "| insert | 0.00 | 0.25 | +0.25 |",
                          "| commit | 2.00 | 2.00 | +0.00 |"]
    assert bench.night_sql_markdown({"sql_6m": {"kinds": {"delete": 1.0}}}) == []


def test_the_logged_runner_writes_dbts_log_as_json_into_its_own_emptied_folder(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(bench, "_dbt", lambda args, raw, db, env=None: calls.append((args, env)) or (1.0, 2))
    folder = tmp_path / "night-log"
    folder.mkdir()
    (folder / "dbt.log").write_text("an earlier night\n")
    assert bench._logged_dbt(folder)(["run"], tmp_path, tmp_path / "x.duckdb", {"AS_OF_DATE": "2025-01-01"}) == (1.0, 2)
    assert calls == [(["run"], {"DBT_LOG_FORMAT_FILE": "json", "DBT_LOG_PATH": str(folder),
                                "AS_OF_DATE": "2025-01-01"})]
    assert list(folder.iterdir()) == []
