"""Builds through the real CLI (`python -m livetier build`: dbt, quality gate, publish) for the BI tests.

Each build gets its own dbt target and log folder beside the database, so tests never collide with
one another or with a build in the project folder. `published_examples` builds the worked examples
once per pytest session and is shared by the BI client, semantic-layer and export tests.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dbt_harness import EXAMPLES_RAW, PINNED_CLOCK

from livetier import PROJECT_ROOT
from livetier.publish import paths_for

EXAMPLES_AS_OF = "2025-03-31"


def cli_env(db: Path, clock: str = PINNED_CLOCK, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    scratch = Path(db).parent / f"_{Path(db).stem}_dbt"
    env.update({
        "BUILD_CLOCK": clock,
        "DBT_TARGET_PATH": str(scratch / "target"),
        "DBT_LOG_PATH": str(scratch / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "GX_ANALYTICS_ENABLED": "false",
    })
    for name in ("STRICT", "FULL_REFRESH", "AS_OF_DATE", "DUCKDB_PATH", "RAW_PATH"):
        env.pop(name, None)
    env.update(extra or {})
    return env


def cli_args(raw: Path, db: Path, as_of: str | None = EXAMPLES_AS_OF, more: list[str] | None = None) -> list[str]:
    args = [sys.executable, "-m", "livetier", "build", "--raw", str(raw), "--db", str(db)]
    if as_of:
        args += ["--as-of", as_of]
    return args + (more or [])


def cli_build(raw: Path, db: Path, as_of: str | None = EXAMPLES_AS_OF, more: list[str] | None = None,
              env_extra: dict[str, str] | None = None, clock: str = PINNED_CLOCK,
              cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(cli_args(raw, db, as_of, more), env=cli_env(db, clock, env_extra), cwd=cwd,
                          capture_output=True, text=True)


def cli_popen(raw: Path, db: Path, as_of: str | None = EXAMPLES_AS_OF, log: Path | None = None) -> subprocess.Popen:
    """A build in its own process group (so a test can kill dbt with it), output to `log`."""
    out = open(log or Path(db).parent / "build.log", "w")  # noqa: SIM115 - closed by the OS with the child
    return subprocess.Popen(cli_args(raw, db, as_of), env=cli_env(db), cwd=PROJECT_ROOT, stdout=out,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def as_of_in(db: Path) -> str:
    with duckdb.connect(str(db), read_only=True) as con:
        return str(con.execute("select max(as_of_date) from segmentation.user_tiers").fetchone()[0])


def must(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, (result.stdout[-4000:], result.stderr[-4000:])
    return result


_CACHE: dict[str, Path] = {}


def published_examples(factory: pytest.TempPathFactory) -> Path:
    """The worked examples built and published once per session; returns the published file."""
    if "examples" not in _CACHE:
        db = factory.mktemp("published") / "tiers.duckdb"
        must(cli_build(EXAMPLES_RAW, db))
        _CACHE["examples"] = db
    return _CACHE["examples"]


def work_of(db: Path) -> Path:
    return paths_for(db).work
