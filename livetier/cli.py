"""Command line: `python -m livetier <command>`.

    generate   write the sample raw data set (see `generate --help`)
    run        the main job: sample data if needed, dbt build on DuckDB, checks, summary
    build      dbt build on a given raw directory (used by tests and the benchmark)
    summary    print the summary of an existing database
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from livetier import PROJECT_ROOT
from livetier.rawcheck import RawDataError, check_raw_dir

DEFAULT_RAW = PROJECT_ROOT / "data" / "raw"


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


def build(raw: Path, db: Path, as_of: str | None = None, select: str | None = None,
          extra_env: dict[str, str] | None = None, command: str = "build", quiet: bool = False) -> int:
    """Checks the raw directory, then runs `dbt <command>`; returns the exit code (2: bad raw dir)."""
    try:
        check_raw_dir(raw)
    except RawDataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    args = [command]
    if select:
        args += ["--select", select]
    return run_dbt(args, dbt_env(raw, db, as_of, extra_env), quiet=quiet)


def _raw_from_env() -> tuple[Path, bool]:
    value = os.environ.get("RAW_PATH", "").strip()
    return (Path(value), True) if value else (DEFAULT_RAW, False)


def _db_from_env() -> Path:
    return Path(os.environ.get("DUCKDB_PATH", "").strip() or PROJECT_ROOT / "warehouse.duckdb")


def cmd_run(_: argparse.Namespace) -> int:
    raw, user_given = _raw_from_env()
    if not user_given and not (any(raw.glob("orders*")) if raw.is_dir() else False):
        from livetier.generate import generate

        print(f"No sample data yet: generating the small preset into {raw} ...")
        generate(out=raw, scale="small", seed=7)
    db = _db_from_env()
    started = time.perf_counter()
    code = build(raw, db, as_of=os.environ.get("AS_OF_DATE") or None)
    if code != 0:
        if code != 2:
            print("error: dbt build failed; the lines above say which model or test.", file=sys.stderr)
        return code
    print(f"dbt build finished in {time.perf_counter() - started:.1f} s")
    code = run_quality_checks(db)
    from livetier.summary import print_summary

    print_summary(db, raw)
    return code


def run_quality_checks(db: Path) -> int:
    """Great Expectations checkpoint over the public marts (when the suites exist)."""
    try:
        from livetier import quality
    except ImportError:
        return 0
    return quality.run_checkpoint(db)


def cmd_build(ns: argparse.Namespace) -> int:
    code = build(Path(ns.raw), Path(ns.db), as_of=ns.as_of, select=ns.select)
    if code == 0 and ns.check:
        code = run_quality_checks(Path(ns.db))
    return code


def cmd_summary(ns: argparse.Namespace) -> int:
    from livetier.summary import print_summary

    raw, _ = _raw_from_env()
    print_summary(Path(ns.db) if ns.db else _db_from_env(), raw)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "generate":
        from livetier.generate import main as generate_main

        return generate_main(argv[1:])
    if argv and argv[0] == "bench":
        from livetier.bench import main as bench_main

        return bench_main(argv[1:])
    parser = argparse.ArgumentParser(prog="livetier", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("generate", help="write the sample raw data set")
    sub.add_parser("bench", help="benchmark (see bench --help)")
    sub.add_parser("run", help="the main job on DuckDB (honours RAW_PATH, AS_OF_DATE, DUCKDB_PATH)")
    p_build = sub.add_parser("build", help="dbt build on a raw directory")
    p_build.add_argument("--raw", required=True)
    p_build.add_argument("--db", required=True)
    p_build.add_argument("--as-of")
    p_build.add_argument("--select")
    p_build.add_argument("--check", action="store_true", help="run the Great Expectations checkpoint after")
    p_sum = sub.add_parser("summary", help="print the summary of a built database")
    p_sum.add_argument("--db")
    ns = parser.parse_args(argv)
    handlers = {"run": cmd_run, "build": cmd_build, "summary": cmd_summary}
    return handlers[ns.command](ns)


if __name__ == "__main__":
    raise SystemExit(main())
