"""Command line: `python -m livetier <command>`.

    generate   write the sample raw data set (see `generate --help`)
    run        the main job: sample data if needed, dbt build and quality gate, publish, summary
    build      the same build and publish on a given raw directory and database file
    export     every public mart as Parquet or CSV files with a manifest
    report     the operators' report, one static HTML page (also written by `run`, to reports/)
    audience   audience lists: `audience export --list ID [--anchor A | --stream S] --out FILE`
    summary    print the summary of an existing database
    diff       what a change does to the tiers: the base revision against the working tree (see `diff --help`)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from livetier import PROJECT_ROOT, ingest
from livetier.rawcheck import RawDataError
from livetier.settings import SettingsError, validated_env

DEFAULT_RAW = PROJECT_ROOT / "data" / "raw"
DEFAULT_REPORT = PROJECT_ROOT / "reports"


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def dbt_env(raw: Path, db: Path, as_of: str | None = None, extra: dict[str, str] | None = None) -> dict:
    env = dict(os.environ)
    env["RAW_PATH"] = str(raw.resolve())
    env["DUCKDB_PATH"] = str(db.resolve())
    if as_of:
        env["AS_OF_DATE"] = as_of
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    env.update(extra or {})
    return env


def run_dbt(args: list[str], env: dict, quiet: bool = False) -> int:
    """Runs dbt in the project; returns its exit code."""
    cmd = [dbt_executable(), *args, "--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROJECT_ROOT)]
    out = subprocess.DEVNULL if quiet else None
    return subprocess.run(cmd, env=env, cwd=PROJECT_ROOT, stdout=out).returncode


# DuckDB's message when a query needs more than its memory_limit and cannot spill
OUT_OF_MEMORY = "Out of Memory Error"


def dbt_target_dir(env: dict) -> Path:
    """Where dbt writes its artifacts for a run with `env` (DBT_TARGET_PATH, relative to the project)."""
    return PROJECT_ROOT / (env.get("DBT_TARGET_PATH", "").strip() or "target")


def out_of_memory_models(target: Path) -> list[str]:
    """The models the last dbt command (its run_results.json in `target`) lost to DuckDB's
    out-of-memory error, sorted."""
    try:
        results = json.loads((target / "run_results.json").read_text()).get("results", [])
    except (OSError, ValueError):
        return []
    return sorted(r.get("unique_id", "").split(".")[-1] for r in results
                  if r.get("status") == "error" and OUT_OF_MEMORY in (r.get("message") or ""))


def retry_after_out_of_memory(env: dict, run) -> int | None:
    """After a failed dbt command: when DuckDB ran out of memory in a model, `dbt retry --threads 1`
    once (the failed and skipped nodes, one at a time: dbt runs two models side by side, and two
    big queries can together outgrow the memory limit that each fits alone). Returns the retry's
    exit code, or None when no model ran out of memory. `run(args, env)` runs one dbt command."""
    failed = out_of_memory_models(dbt_target_dir(env))
    if not failed or env.get("DBT_TARGET", "duckdb") != "duckdb":
        return None
    limit = env.get("DUCKDB_MEMORY_LIMIT") or "3GB"
    print(f"DuckDB ran out of memory (memory_limit {limit}) in {', '.join(failed)}; running the failed "
          "and skipped models again one at a time (dbt retry --threads 1).", file=sys.stderr, flush=True)
    return run(["retry", "--threads", "1"], env)


def build(raw: Path, db: Path, as_of: str | None = None, select: str | None = None,
          extra_env: dict[str, str] | None = None, command: str = "build", quiet: bool = False) -> int:
    """Checks the settings and the raw directory, then runs `dbt <command>`; returns the exit code
    (2: a bad setting or raw dir, before dbt starts)."""
    env = dbt_env(raw, db, as_of, extra_env)
    try:
        env.update(validated_env(env))
    except SettingsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        prepared = ingest.prepare(Path(env["RAW_PATH"]), Path(env["DUCKDB_PATH"]), environ=env)
    except RawDataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    args = [command]
    if select:
        args += ["--select", select]
    if os.environ.get("FULL_REFRESH", "").strip() == "1":
        args.append("--full-refresh")
    elif prepared.reload_reason:
        print(f"Rebuilding the warehouse in full (--full-refresh): {prepared.reload_reason}")
        args.append("--full-refresh")
    code = run_dbt(args, env, quiet=quiet)
    if code != 0:
        retried = retry_after_out_of_memory(env, lambda retry_args, retry_env: run_dbt(retry_args, retry_env, quiet))
        code = code if retried is None else retried
    if code == 0:
        ingest.record_loaded(prepared)
    else:
        ingest.drop_raw_views(Path(env["DUCKDB_PATH"]))
    for line in ingest.warnings(prepared):
        print(line, file=sys.stderr)
    return code


def _raw_from_env() -> tuple[Path, bool]:
    value = os.environ.get("RAW_PATH", "").strip()
    return (Path(value), True) if value else (DEFAULT_RAW, False)


def _db_from_env() -> Path:
    return Path(os.environ.get("DUCKDB_PATH", "").strip() or PROJECT_ROOT / "warehouse.duckdb")


def ensure_sample_data(raw: Path) -> None:
    """Generates the small sample preset into `raw` when it holds no orders yet."""
    if not (any(raw.glob("orders*")) if raw.is_dir() else False):
        from livetier.generator import generate

        print(f"No sample data yet: generating the small preset into {raw} ...")
        generate(out=raw, scale="small", seed=7)


def cmd_run(_: argparse.Namespace) -> int:
    raw, user_given = _raw_from_env()
    if not user_given:
        ensure_sample_data(raw)
    from livetier.publish import Pipeline

    pipeline = Pipeline(_db_from_env())
    started = time.perf_counter()
    code = pipeline.run(_build_steps(raw, os.environ.get("AS_OF_DATE") or None, None, _strict_from_env(),
                                     unit_tests=False))
    if code != 0:
        return code
    print(f"build and publish finished in {time.perf_counter() - started:.1f} s")
    from livetier.summary import print_summary

    print_summary(pipeline.work, raw)
    from livetier import report

    return report.main(pipeline.published, DEFAULT_REPORT)


def _strict_from_env() -> bool:
    return os.environ.get("STRICT", "").strip() == "1"


def _build_steps(raw: Path, as_of: str | None, select: str | None, strict: bool, unit_tests: bool = True) -> list:
    """The steps run in the working warehouse before the publish (see livetier.publish).

    Without `unit_tests` (the nightly `run`), dbt's unit tests are left out unless DBT_EXCLUDE_RESOURCE_TYPES
    says otherwise: they check the SQL on their own given rows, the same every night; `make test` runs them."""
    setting = "DBT_EXCLUDE_RESOURCE_TYPES"
    extra = {} if unit_tests or setting in os.environ else {setting: "unit_test"}

    def dbt_step(work: Path) -> int:
        code = build(raw, work, as_of=as_of, select=select, extra_env=extra)
        if code not in (0, 2):
            print("error: dbt build failed; the lines above say which model or test.", file=sys.stderr)
        return code

    return [("dbt build", dbt_step), ("quality gate", lambda work: run_quality_checks(work, strict))]


def run_quality_checks(db: Path, strict: bool = False) -> int:
    """The quality gate: GX checkpoint over the public marts; distribution checks fail only if strict."""
    from livetier import quality

    return quality.run_checkpoint(db, strict=strict)


def cmd_build(ns: argparse.Namespace) -> int:
    from livetier.publish import Pipeline

    steps = _build_steps(Path(ns.raw), ns.as_of, ns.select, ns.strict or _strict_from_env())
    return Pipeline(Path(ns.db)).run(steps)


def cmd_export(ns: argparse.Namespace) -> int:
    from livetier.export import export

    return export(Path(ns.db) if ns.db else _db_from_env(), Path(ns.out), ns.format)


def cmd_report(ns: argparse.Namespace) -> int:
    from livetier import report

    return report.main(Path(ns.db) if ns.db else _db_from_env(), Path(ns.out))


def cmd_summary(ns: argparse.Namespace) -> int:
    from livetier.summary import print_summary

    raw, _ = _raw_from_env()
    print_summary(Path(ns.db) if ns.db else _db_from_env(), raw)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "generate":
        from livetier.generator import main as generate_main

        return generate_main(argv[1:])
    if argv and argv[0] == "bench":
        from livetier.bench import main as bench_main

        return bench_main(argv[1:])
    if argv and argv[0] == "diff":
        from livetier.diff import main as diff_main

        return diff_main(argv[1:])
    if argv and argv[0] == "audience":
        from livetier.audience import main as audience_main

        return audience_main(argv[1:])
    parser = argparse.ArgumentParser(prog="livetier", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("generate", help="write the sample raw data set")
    sub.add_parser("bench", help="benchmark (see bench --help)")
    sub.add_parser("diff", help="tier diff of the working tree against a base revision (see diff --help)")
    sub.add_parser("audience", help="export an audience list's members to contact (see audience --help)")
    sub.add_parser("run", help="the main job on DuckDB (honours RAW_PATH, AS_OF_DATE, DUCKDB_PATH)")
    p_build = sub.add_parser("build", help="dbt build and quality gate on a raw directory, then publish --db")
    p_build.add_argument("--raw", required=True)
    p_build.add_argument("--db", required=True, help="the published file (dbt writes .livetier/<name>.work.duckdb)")
    p_build.add_argument("--as-of")
    p_build.add_argument("--select")
    p_build.add_argument("--strict", action="store_true",
                         help="distribution warnings of the quality gate fail the build too (or STRICT=1)")
    p_build.add_argument("--check", action="store_true", help=argparse.SUPPRESS)  # the gate always runs now
    p_export = sub.add_parser("export", help="write every public mart and a manifest (parquet or csv)")
    p_export.add_argument("--out", required=True, help="folder to create (replaced atomically if it exists)")
    p_export.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    p_export.add_argument("--db", help="published file to read (default: DUCKDB_PATH or warehouse.duckdb)")
    p_report = sub.add_parser("report", help="write the operators' report (static HTML, works offline) into a folder")
    p_report.add_argument("--out", required=True, help="folder to write index.html into (replaced atomically)")
    p_report.add_argument("--db", help="published file to read (default: DUCKDB_PATH or warehouse.duckdb)")
    p_sum = sub.add_parser("summary", help="print the summary of a built database")
    p_sum.add_argument("--db")
    for name in ("run", "build"):
        sub.choices[name].add_argument("--full-refresh", action="store_true",
                                       help="rebuild every incremental model from all raw files")
    ns = parser.parse_args(argv)
    if getattr(ns, "full_refresh", False):
        os.environ["FULL_REFRESH"] = "1"  # read by build(), whichever command calls it
    handlers = {"run": cmd_run, "build": cmd_build, "summary": cmd_summary, "export": cmd_export,
                "report": cmd_report}
    from livetier.publish import PublishError

    try:
        return handlers[ns.command](ns)
    except PublishError as err:  # raised before a step starts (a database name DuckDB cannot open)
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
