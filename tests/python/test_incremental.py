"""Incremental event models end to end: daily loads built incrementally equal a full refresh.

Generated data (1,500 users, 40 days) is split into daily event files: the days before the
loads arrive first, then five daily loads, each one file holding its day plus

- late events: a tenth of the events of day t-2, held back from their own day's file;
- very late events: events of a day older than the lookback (lookback_days = 3);
- repeated events: events of day t-1 delivered again (same event_id, same content);
- a changed copy: events of an earlier day delivered again with an earlier event_at (the new
  copy's raw text sorts first, so it becomes the kept copy and the old one a duplicate).

live_streams is a daily snapshot: a stream still live at the end of the load day has no
ended_at yet (so sessions measured earlier change when the end arrives). After every load an
incremental `dbt run` (as_of_date = the load day) updates one database; after the second and
the last load a full refresh on the same raw data is built in a fresh database, and every
public mart and the three event tables must agree row for row (EXCEPT ALL both ways; the
`_loaded_at` bookkeeping column aside). Finally a run with no new data changes no public mart.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dbt_harness import build

from livetier import PROJECT_ROOT
from livetier.generator import generate
from livetier.incremental import business_date_sql
from livetier.publish import set_search_path

END = "2025-06-30"
CLOCK = "2025-07-05T00:00:00"
LOADS = 5
EVENT_TABLES = ["base_live__events", "int_watch_sessions_sessionized", "int_user_activity_daily"]
PUBLIC_MARTS = sorted(p.stem for p in (PROJECT_ROOT / "models" / "marts").rglob("*.sql"))
SEED_AND_MODELS = ["--resource-type", "seed", "--resource-type", "model"]


def _sample(column: str, percent: int, salt: str) -> str:
    """A deterministic pseudo-random share of rows, by event id."""
    return f"(hash({column} || '{salt}') % 100) < {percent}"


class Landing:
    """Writes the raw directory as it stands after each delivery."""

    def __init__(self, source: Path, raw: Path) -> None:
        self.raw = raw
        raw.mkdir(parents=True)
        for path in source.glob("*.parquet"):
            if path.name not in ("events.parquet", "live_streams.parquet"):
                shutil.copy2(path, raw / path.name)
        (raw / "events").mkdir()
        self.con = duckdb.connect()
        self.con.execute("set TimeZone = 'UTC'")
        self.con.execute(f"create table events as select *, {business_date_sql('event_at')} as day, "
                         f"cast(event_at as timestamptz) as event_ts from read_parquet('{source / 'events.parquet'}')")
        self.con.execute(f"create table streams as select * from read_parquet('{source / 'live_streams.parquet'}')")
        days = [d for (d,) in self.con.execute("select distinct day from events order by 1").fetchall()]
        self.first_load = len(days) - LOADS
        self.days = days
        self.columns = [r[0] for r in self.con.execute(
            f"describe select * from read_parquet('{source / 'events.parquet'}')").fetchall()]

    def day(self, index: int) -> str:
        return self.days[index].isoformat()

    def _select(self, where: str, event_at: str = "event_ts") -> str:
        cols = ", ".join(f"{event_at} as event_at" if c == "event_at" else c for c in self.columns)
        return f"select {cols} from events where {where}"

    def _held(self, index: int) -> str:
        """Events of day `index` held back from their own file (delivered two loads later)."""
        return f"(day = date '{self.day(index)}' and {_sample('event_id', 10, 'late')})"

    def _very_late(self) -> str:
        return f"(day = date '{self.day(self.first_load - 4)}' and {_sample('event_id', 5, 'very')})"

    def write_initial(self) -> None:
        for index in range(self.first_load):
            where = (f"day = date '{self.day(index)}' and not {self._held(index)} and not {self._very_late()}"
                     if index >= self.first_load - 2 else
                     f"day = date '{self.day(index)}' and not {self._very_late()}")
            self._copy(self._select(where), f"day-{self.day(index)}.parquet")
        self.write_streams(self.first_load - 1)

    def write_load(self, load: int) -> str:
        """Load `load` (1..LOADS): its day, late, repeated and changed events, one file."""
        index = self.first_load + load - 1
        parts = [self._select(f"day = date '{self.day(index)}' and not {self._held(index)}"),
                 self._select(self._held(index - 2)),
                 self._select(f"day = date '{self.day(index - 1)}' and {_sample('event_id', 2, 'again')}")]
        if load == 4:
            parts.append(self._select(self._very_late()))
        if load == 3:
            # same event_id, an earlier event_at: this copy's text sorts first and is kept
            parts.append(self._select(
                f"day = date '{self.day(index - 2)}' and {_sample('event_id', 1, 'changed')} "
                f"and not {self._held(index - 2)}",
                event_at="event_ts - interval 1 minute"))
        self._copy(" union all ".join(f"({p})" for p in parts), f"load-{load}.parquet")
        self.write_streams(index)
        return self.day(index)

    def write_streams(self, index: int) -> None:
        """live_streams as known at the end of day `index`: later streams absent, live ones open."""
        day = self.day(index)
        self.con.execute(f"""
            copy (
                select * replace (
                    case when {business_date_sql('ended_at')} > date '{day}' then null else ended_at end as ended_at
                )
                from streams where {business_date_sql('started_at')} <= date '{day}'
            ) to '{self.raw / 'live_streams.parquet'}' (format parquet)
        """)

    def _copy(self, sql: str, name: str) -> None:
        self.con.execute(f"copy ({sql}) to '{self.raw / 'events' / name}' (format parquet)")


# one personal-data key for every warehouse of a comparison (each would otherwise get its own)
KEY = {"LIVETIER_PII_KEY": "incremental-test-key-0123456789", "LIVETIER_PII_KEY_FILE": ""}


def _run(raw: Path, db: Path, as_of: str, command: str, extra: list[str]) -> None:
    result = build(raw, db, as_of=as_of, clock=CLOCK, command=command, extra_args=extra, env_extra=KEY)
    assert result.returncode == 0, result.stdout[-5000:]


def _differences(incremental: Path, full: Path, table: str) -> tuple[int, int]:
    con = duckdb.connect()
    try:
        con.execute(f"attach '{incremental}' as inc (read_only)")
        con.execute(f"attach '{full}' as ful (read_only)")
        schema = con.execute("select table_schema from information_schema.tables "
                             "where table_catalog = 'ful' and table_name = ?", [table]).fetchall()[0][0]
        columns = [r[0] for r in con.execute(f"describe select * from ful.{schema}.{table}").fetchall()
                   if r[0] != "_loaded_at"]
        cols = ", ".join(f'"{c}"' for c in columns)
        one = con.execute(f"select count(*) from (select {cols} from inc.{schema}.{table} except all "
                          f"select {cols} from ful.{schema}.{table})").fetchall()[0][0]
        two = con.execute(f"select count(*) from (select {cols} from ful.{schema}.{table} except all "
                          f"select {cols} from inc.{schema}.{table})").fetchall()[0][0]
    finally:
        con.close()
    return one, two


def _checksums(db: Path) -> dict[str, str]:
    con = duckdb.connect(str(db), read_only=True)
    set_search_path(con)
    try:
        sums = {}
        for table in PUBLIC_MARTS:
            frame = con.execute(f"select * from {table}").df()
            frame = frame.sort_values(list(frame.columns)).reset_index(drop=True).astype(str)
            digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).values.tobytes())
            sums[table] = f"{len(frame)}:{digest.hexdigest()}"
        return sums
    finally:
        con.close()


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("incremental_source")
    generate(out=out, users=1500, days=40, seed=5, end_date=END, progress=False)
    return out


def test_daily_loads_equal_full_refresh_and_rerun_changes_nothing(source: Path, tmp_path: Path) -> None:
    landing = Landing(source, tmp_path / "raw")
    landing.write_initial()
    incremental_db = tmp_path / "incremental.duckdb"
    _run(landing.raw, incremental_db, landing.day(landing.first_load - 1), "build", SEED_AND_MODELS)
    compared = 0
    for load in range(1, LOADS + 1):
        as_of = landing.write_load(load)
        _run(landing.raw, incremental_db, as_of, "run", [])
        if load in (2, LOADS):
            full_db = tmp_path / f"full_{load}.duckdb"
            _run(landing.raw, full_db, as_of, "build", SEED_AND_MODELS + ["--full-refresh"])
            diffs = {t: _differences(incremental_db, full_db, t) for t in PUBLIC_MARTS + EVENT_TABLES}
            bad = {t: d for t, d in diffs.items() if d != (0, 0)}
            assert not bad, f"load {load}: incremental differs from a full refresh (only inc, only full): {bad}"
            compared += 1
    assert compared == 2
    # the loads did reach the models: late, very late, repeated and changed copies all counted
    con = duckdb.connect(str(incremental_db), read_only=True)
    set_search_path(con)
    try:
        duplicates = con.execute("select count(*) from base_live__events where is_duplicate").fetchall()[0][0]
        files = con.execute("select count(distinct _source_file) from base_live__events").fetchall()[0][0]
        # partitions were rewritten selectively, not the whole table each run
        runs = {t: con.execute(f"select count(distinct _loaded_at) from {t}").fetchall()[0][0] for t in EVENT_TABLES}
    finally:
        con.close()
    assert duplicates > 0 and files == landing.first_load + LOADS
    assert all(n > 2 for n in runs.values()), runs
    before = _checksums(incremental_db)
    _run(landing.raw, incremental_db, landing.day(landing.first_load + LOADS - 1), "run", [])
    assert _checksums(incremental_db) == before


def test_a_future_event_is_kept_once_the_clock_reaches_it(tmp_path: Path) -> None:
    """A row set aside as future_timestamp is checked again on a later incremental run (its stored
    outcome is kept otherwise), and the result equals a full refresh at the later clock."""
    from dbt_harness import EXAMPLES_RAW

    raw = tmp_path / "raw"
    (raw / "events").mkdir(parents=True)
    shutil.copy(EXAMPLES_RAW / "orders.csv", raw / "orders.csv")
    (raw / "events" / "day-1.csv").write_text(
        "event_id,user_id,event_type,event_at\n"
        "f1,u1,like,2025-07-10T00:00:00Z\n"  # 5 days after the first clock
        "f2,u2,like,2025-07-01T00:00:00Z\n"
        "f3,u3,bogus,2025-07-10T00:00:00Z\n"  # unknown type comes first, whatever the clock
    )
    select = "quality_bounds staging intermediate.quality marts.quality"
    incremental, full = tmp_path / "inc.duckdb", tmp_path / "full.duckdb"
    first = build(raw, incremental, as_of="2025-07-01", select=select, clock="2025-07-05T00:00:00", env_extra=KEY)
    assert first.returncode == 0, first.stdout[-4000:]
    reasons = "select event_id, coalesce(reject_reason, '') as r from base_live__events order by 1"
    con = duckdb.connect(str(incremental), read_only=True)
    set_search_path(con)
    assert con.execute(reasons).fetchall() == [("f1", "future_timestamp"), ("f2", ""), ("f3", "unknown_event_type")]
    con.close()
    (raw / "events" / "day-2.csv").write_text("event_id,user_id,event_type,event_at\nf4,u4,like,2025-07-11T00:00:00Z\n")
    later = "2025-07-12T00:00:00"
    second = build(raw, incremental, as_of="2025-07-11", select=select, clock=later, command="run", env_extra=KEY)
    assert second.returncode == 0, second.stdout[-4000:]
    refresh = build(raw, full, as_of="2025-07-11", select=select, clock=later, extra_args=["--full-refresh"],
                    env_extra=KEY)
    assert refresh.returncode == 0, refresh.stdout[-4000:]
    con = duckdb.connect(str(incremental), read_only=True)
    set_search_path(con)
    assert con.execute(reasons).fetchall() == [("f1", ""), ("f2", ""), ("f3", "unknown_event_type"), ("f4", "")]
    con.close()
    for table in ("base_live__events", "data_quality_ledger"):
        assert _differences(incremental, full, table) == (0, 0), table
