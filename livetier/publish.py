"""Build, then publish: dbt writes a private working warehouse; BI tools read a published file.

The published file (`DUCKDB_PATH`) holds only the public schemas (the marts and the seeds BI needs).
It is written fresh to a temporary file in the same folder and renamed over the old one with
`os.replace`, only after dbt build and the quality gate passed. A reader that has the old file
open keeps reading it (POSIX keeps the old inode); new connections open the new file; nobody waits.

Beside the published file, in `.livetier/`:

    <name>.work.duckdb   the working warehouse dbt writes (keeps the incremental state)
    <name>.lock          held (flock) by the one build running; a second build refuses at once
    <name>.state         the step the last build reached, so that a killed build is reported next time
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import duckdb

# What a BI user sees: the marts' schemas and the seeds (tier labels, playbooks, bounds).
PUBLIC_SCHEMAS = ("segmentation", "operations", "quality", "marts", "seeds")
SIDE_DIR = ".livetier"
# Bare names resolve in these, in order (tests and tools written before the schema move).
SEARCH_PATH = (*PUBLIC_SCHEMAS, "semantic", "intermediate", "staging", "raw", "main")


class PublishError(Exception):
    """A build or publish step that cannot go on; the message is one sentence for the user."""


@dataclass(frozen=True)
class Paths:
    published: Path

    @property
    def side(self) -> Path:
        return self.published.parent / SIDE_DIR

    @property
    def work(self) -> Path:
        return self.side / f"{self.published.stem}.work.duckdb"

    @property
    def lock(self) -> Path:
        return self.side / f"{self.published.stem}.lock"

    @property
    def state(self) -> Path:
        return self.side / f"{self.published.stem}.state"

    def temp(self) -> Path:
        """The new published file while it is written: same folder, so the rename is atomic."""
        return self.published.parent / f".{self.published.name}.{os.getpid()}.publishing"

    def stale_temps(self) -> list[Path]:
        return sorted(self.published.parent.glob(f".{self.published.name}.*.publishing"))


# DuckDB opens a file as the catalog named by its name up to the first dot: a catalog named like one
# of the warehouse's schemas makes `raw.x` ambiguous (DuckDB renames its own `system` and `temp`)
RESERVED_CATALOGS = frozenset(SEARCH_PATH)


def paths_for(published: Path) -> Paths:
    """The files of one published warehouse; raises PublishError for a name DuckDB cannot tell apart."""
    path = Path(published).resolve()
    catalog = path.name.split(".")[0].lower()
    if catalog in RESERVED_CATALOGS:
        raise PublishError(
            f"The database file '{path.name}' opens as the catalog '{catalog}', the name of one of the "
            "warehouse's schemas, which DuckDB cannot tell apart from it: choose another DUCKDB_PATH "
            "(for example warehouse.duckdb).")
    return Paths(path)


@contextlib.contextmanager
def build_lock(paths: Paths) -> Iterator[None]:
    """Holds the build lock; refuses (PublishError) when another build of the same file holds it.

    flock is released by the kernel when the holder dies, so a killed build never leaves it stuck.
    """
    paths.side.mkdir(parents=True, exist_ok=True)
    handle = open(paths.lock, "a+")  # noqa: SIM115 - held for the whole block
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise PublishError(
                f"another build of {paths.published} is running ({holder}); "
                "this one refuses to start: wait for it to finish, then run again"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {_now()}")
        handle.flush()
        yield
    finally:
        handle.close()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def fsync_path(path: Path) -> None:
    """Waits until the file (or folder) at `path` is on disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class StepRecorder:
    """Writes the step a build is in, so that a build killed mid-way is reported by the next one."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self.step = "start"

    def previous_unfinished(self) -> str | None:
        try:
            state = json.loads(self.paths.state.read_text())
        except (OSError, ValueError):
            return None
        if state.get("step") == "done":
            return None
        return f"step '{state.get('step')}' of the build started {state.get('started')}"

    def enter(self, step: str) -> None:
        self.step = step
        payload = {"step": step, "pid": os.getpid(), "started": getattr(self, "started", _now())}
        self.started = payload["started"]
        tmp = self.paths.state.with_suffix(".state.tmp")
        tmp.write_text(json.dumps(payload))
        os.replace(tmp, self.paths.state)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def public_relations(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = ? and table_schema in (select unnest(?)) order by 1, 2",
        [catalog, list(PUBLIC_SCHEMAS)],
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def set_search_path(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...] = SEARCH_PATH) -> None:
    """Lets bare table names resolve in the schemas that exist of `schemas` (DuckDB rejects absent ones)."""
    present = {r[0] for r in con.execute(
        "select schema_name from information_schema.schemata where catalog_name = current_database()"
    ).fetchall()}
    found = [s for s in schemas if s in present]
    if found:
        con.execute("set search_path = " + _sql_literal(",".join(found)))


def publish(work: Path, published: Path, before_rename: Callable[[], None] | None = None) -> list[tuple[str, str]]:
    """Copies the public schemas of `work` into a new file and renames it over `published`.

    Returns the (schema, table) pairs published. On any error the temporary file is removed and
    `published` is untouched.
    """
    paths = paths_for(published)
    temp = paths.temp()
    temp.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(temp))
        try:
            con.execute(f"attach {_sql_literal(str(work))} as work_db (read_only)")
            relations = public_relations(con, "work_db")
            if not any(schema != "seeds" for schema, _ in relations):
                raise PublishError(f"the working warehouse {work} holds no public mart; nothing to publish")
            for schema in sorted({s for s, _ in relations}):
                con.execute(f"create schema {_quote(schema)}")
            for schema, table in relations:
                con.execute(
                    f"create table {_quote(schema)}.{_quote(table)} as "
                    f"select * from work_db.{_quote(schema)}.{_quote(table)}"
                )
            con.execute("detach work_db")
            con.execute("checkpoint")
        finally:
            con.close()
        fsync_path(temp)
        if before_rename is not None:
            before_rename()
        os.replace(temp, paths.published)
        fsync_path(paths.published.parent)
        return relations
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class _Stopped(BaseException):
    """Raised from a SIGTERM/SIGHUP handler so the current step can say it was stopped."""


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    raise _Stopped(signal.Signals(signum).name)


@dataclass
class Pipeline:
    """One build: dbt into the working warehouse, the quality gate there, then the atomic publish."""

    published: Path

    def __post_init__(self) -> None:
        self.paths = paths_for(self.published)

    @property
    def work(self) -> Path:
        return self.paths.work

    def run(self, steps: list[tuple[str, Callable[[Path], int]]]) -> int:
        """Runs each (name, step(work_db) -> exit code) in order, then publishes; returns the exit code.

        Exit codes: the failing step's own code (2 = bad raw input), 3 = another build is running,
        1 otherwise. Whatever fails, the published file is left byte-identical.
        """
        try:
            with build_lock(self.paths):
                return self._run_locked(steps)
        except PublishError as err:
            print(f"error: {err}", file=sys.stderr)
            return 3

    def _run_locked(self, steps: list[tuple[str, Callable[[Path], int]]]) -> int:
        recorder = StepRecorder(self.paths)
        unfinished = recorder.previous_unfinished()
        if unfinished:
            print(f"note: the previous build did not finish ({unfinished} was the last one reached); "
                  f"{self.published} was left as it was.")
        for stale in self.paths.stale_temps():
            stale.unlink(missing_ok=True)
        previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGTERM, signal.SIGHUP)}
        unchanged = f"the published file {self.published} is unchanged"
        try:
            for name, step in steps:
                recorder.enter(name)
                code = step(self.work)
                if code != 0:
                    # exit code 2 (bad raw input) has already said what is wrong in one sentence
                    stream = sys.stdout if code == 2 else sys.stderr
                    print(f"error: step '{name}' failed (exit {code}); {unchanged}.", file=stream)
                    return code
            recorder.enter("publish")
            relations = publish(self.work, self.published)
            recorder.enter("done")
        except (_Stopped, KeyboardInterrupt) as stop:
            print(f"error: build stopped ({stop or 'interrupted'}) during step '{recorder.step}'; {unchanged}.",
                  file=sys.stderr)
            return 1
        except (PublishError, duckdb.Error, OSError) as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            print(f"error: step '{recorder.step}' failed: {first}; {unchanged}.", file=sys.stderr)
            return 1
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        marts = sum(1 for schema, _ in relations if schema != "seeds")
        schemas = ", ".join(sorted({s for s, _ in relations}))
        print(f"published {self.published}: {marts} marts and {len(relations) - marts} seeds "
              f"(schemas {schemas}); working warehouse {self.work}")
        return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m livetier.publish work-path [DB]`: prints the working warehouse of a published file."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "work-path" or len(args) > 2:
        print("usage: python -m livetier.publish work-path [PUBLISHED_DB]", file=sys.stderr)
        return 2
    from livetier import PROJECT_ROOT

    published = args[1] if len(args) == 2 else (os.environ.get("DUCKDB_PATH", "").strip()
                                                 or str(PROJECT_ROOT / "warehouse.duckdb"))
    work = paths_for(Path(published)).work
    work.parent.mkdir(parents=True, exist_ok=True)
    print(work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
