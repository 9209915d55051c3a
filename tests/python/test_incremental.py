"""Incremental models end to end: daily loads built incrementally equal a full refresh, late data
included, across a period end.

Generated data (1,500 users, 40 days, ending Monday 2025-06-30) arrives as it would in
production: the days before the loads first (the initial build, D = 2025-06-25), then five daily
loads (D = 2025-06-26 .. 2025-06-30; load 4 is Sunday 2025-06-29, a weekly period end).

Events: one file per day, each load one file holding its day plus

- late events: a tenth of the events of day t-2, held back from their own day's file;
- very late events: events of a day older than the lookback (lookback_days = 3);
- repeated events: events of day t-1 delivered again (same event_id, same content);
- a changed copy: events of an earlier day delivered again with an earlier event_at (the new
  copy's raw text sorts first, so it becomes the kept copy and the old one a duplicate).

orders, order_items, refunds, users and campaign_touches are snapshots that grow with the loads:
each load rewrites the file with every row dated (business date of ordered_at, refunded_at,
registered_at, sent_at) up to its day, except held-back rows that arrive late:

- late orders (with their order_items): a quarter of the orders of 2025-06-21 and 06-22 (the
  Saturday and the Sunday before the initial build) arrive in load 2, a quarter of the orders of
  06-27 .. 06-29 (on or before the Sunday) in load 5, the load after the Sunday's;
- late refunds: every refund of the same days arrives in the same loads (a refund never comes
  before its order), among them refunds on orders paid well before (2025-06-15, 06-20), so the
  net GMV of stored period ends changes; an order's status is the export's snapshot: a
  `refunded` order reads `paid` until one of its refund rows is delivered;
- a late registration: the users registered on 2025-06-24 are first delivered in load 3;
- a late campaign: the touches of the last campaign sent before the initial build (sent on the
  Sunday 2025-06-22) arrive in load 2: a new campaign eve (06-21) in the past.

live_streams is a daily snapshot: a stream still live at the end of the load day has no
ended_at yet (so sessions measured earlier change when the end arrives). products is copied
whole. After every load an incremental `dbt run` (as_of_date = the load day) updates one
database; after load 2 and the last load (the period-end crossing) a full refresh on the same
raw data is built in a fresh database, and every public mart, the incremental event tables and
the as-of chain tables must agree row for row (EXCEPT ALL both ways; the `_loaded_at`
bookkeeping column aside). The late data must have changed a stored period end of the
incremental database (the facts at 2025-06-22 across load 2, at 2025-06-29 across load 5) and
reached the base models. Finally a run with no new data changes no public mart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dbt_harness import SEED_AND_MODELS, build

from livetier import PROJECT_ROOT
from livetier.generator import generate
from livetier.incremental import business_date_sql
from livetier.publish import set_search_path

END = "2025-06-30"
CLOCK = "2025-07-05T00:00:00"
LOADS = 5
EVENT_TABLES = ["base_live__events", "stg_live__event_partitions", "int_event_outcomes_counted",
                "int_watch_sessions_sessionized", "int_user_activity_daily", "int_user_product_actions_daily",
                "int_stream_user_event_days_counted"]
CHAIN_TABLES = ["int_user_facts_snapshotted", "int_user_rfm_scored", "int_user_tiers_assigned"]
# rebuilt on every run, for the as-of dates from the chain's X on (every date on a full build)
STEP_TABLES = ["int_user_activity_stepped", "int_user_purchases_stepped"]
# the run stamp, where it is not `_loaded_at`
STAMP = {"stg_live__event_partitions": "loaded_at", "int_event_outcomes_counted": "loaded_at"}
# incremental by user, a row kept as written (its as_of_date is its run's D), and a redone user
# left without a session gets a null row: (columns left aside, rows compared)
BY_USER_TABLES = {"int_user_first_sessions": (("as_of_date",), "session_id is not null")}
PUBLIC_MARTS = sorted(p.stem for p in (PROJECT_ROOT / "models" / "marts").rglob("*.sql"))
# late orders and refunds: (first, last day as offsets from the first load's day, arriving load)
LATE_WINDOWS = [(-5, -4, 2), (1, 3, LOADS)]
LATE_USERS = (-2, 3)  # the users registered on this day (offset) arrive in this load
LATE_CAMPAIGN_LOAD = 2  # the last campaign sent before the initial build arrives in this load
SNAPSHOT_TABLES = ["orders", "order_items", "refunds", "users", "campaign_touches"]


def _sample(column: str, percent: int, salt: str) -> str:
    """A deterministic pseudo-random share of rows, by event id."""
    return f"(hash({column} || '{salt}') % 100) < {percent}"


class Landing:
    """Writes the raw directory as it stands after each delivery."""

    def __init__(self, source: Path, raw: Path) -> None:
        self.raw = raw
        raw.mkdir(parents=True)
        shutil.copy2(source / "products.parquet", raw / "products.parquet")
        (raw / "events").mkdir()
        self.con = duckdb.connect()
        self.con.execute("set TimeZone = 'UTC'")
        self.con.execute(f"create table events as select *, {business_date_sql('event_at')} as day, "
                         f"cast(event_at as timestamptz) as event_ts from read_parquet('{source / 'events.parquet'}')")
        self.con.execute(f"create table streams as select * from read_parquet('{source / 'live_streams.parquet'}')")
        days = [d for (d,) in self.con.execute("select distinct day from events order by 1").fetchall()]
        self.first_load = len(days) - LOADS
        self.days = days
        # the snapshots' arrival rule counts loads in calendar days from the initial build's day
        assert days[-1] - days[self.first_load - 6] == dt.timedelta(days=LOADS + 5)
        self.columns = [r[0] for r in self.con.execute(
            f"describe select * from read_parquet('{source / 'events.parquet'}')").fetchall()]
        self._stage_snapshots(source)

    def day(self, index: int) -> str:
        return self.days[index].isoformat()

    # ------------------------------------------------------------------ snapshot tables

    def _natural(self, column: str) -> str:
        """The load a row dated by `column` arrives in when on time (0: the initial build)."""
        return f"greatest(0, date_diff('day', date '{self.day(self.first_load - 1)}', {business_date_sql(column)}))"

    def _late(self, column: str, sample: str | None) -> str:
        """`case` branches giving the late loads of the rows of the late windows."""
        branches = []
        for first, last, load in LATE_WINDOWS:
            within = (f"{business_date_sql(column)} between date '{self.day(self.first_load + first)}' "
                      f"and date '{self.day(self.first_load + last)}'")
            branches.append(f"when {within}{' and ' + sample if sample else ''} then {load}")
        return " ".join(branches)

    def _stage_snapshots(self, source: Path) -> None:
        """Loads the snapshot tables with `_arrival`: the load whose snapshot first holds the row."""
        def read(table: str) -> str:
            return f"read_parquet('{source / f'{table}.parquet'}')"

        self.con.execute(f"""
            create table orders as
            select *, case {self._late('ordered_at', _sample('order_id', 25, 'late-order'))}
                else {self._natural('ordered_at')} end as _arrival
            from {read('orders')}
        """)
        self.con.execute(f"""
            create table order_items as
            select items.*, coalesce(orders._arrival, 0) as _arrival
            from {read('order_items')} as items
            left join orders on items.order_id = orders.order_id
        """)
        # every refund of a late window is late; none arrives before its order
        self.con.execute(f"""
            create table refunds as
            select refunds.*, greatest(
                case {self._late('refunds.refunded_at', None)} else {self._natural('refunds.refunded_at')} end,
                coalesce(orders._arrival, 0)
            ) as _arrival
            from {read('refunds')} as refunds
            left join orders on refunds.order_id = orders.order_id
        """)
        late_day, late_load = LATE_USERS
        self.con.execute(f"""
            create table users as
            select *, case when {business_date_sql('registered_at')} = date '{self.day(self.first_load + late_day)}'
                then {late_load} else {self._natural('registered_at')} end as _arrival
            from {read('users')}
        """)
        initial = self.day(self.first_load - 1)
        self.con.execute(f"""
            create table campaign_touches as
            with late as (
                select max({business_date_sql('sent_at')}) as sent_date
                from {read('campaign_touches')}
                where {business_date_sql('sent_at')} <= date '{initial}'
            )
            select touches.*, case when {business_date_sql('touches.sent_at')} = late.sent_date
                then {LATE_CAMPAIGN_LOAD} else {self._natural('touches.sent_at')} end as _arrival
            from {read('campaign_touches')} as touches
            cross join late
        """)

    def late_rows(self, table: str, key: str) -> list[str]:
        """The keys of `table` delivered after the load of their own date."""
        column = {"orders": "ordered_at", "refunds": "refunded_at", "users": "registered_at",
                  "campaign_touches": "sent_at"}[table]
        return [k for (k,) in self.con.execute(
            f"select {key} from {table} where _arrival > {self._natural(column)} order by 1").fetchall()]

    def write_snapshots(self, load: int) -> None:
        """The snapshot files as delivered with load `load` (0: before the initial build)."""
        for table in SNAPSHOT_TABLES:
            columns = "*"
            if table == "orders":
                # the export's status: refunded once a refund row of the order is delivered
                columns = f"""* replace (
                    case
                        when status = 'refunded'
                            and exists (select 1 from refunds where refunds.order_id = orders.order_id)
                            and not exists (
                                select 1 from refunds
                                where refunds.order_id = orders.order_id and refunds._arrival <= {load}
                            )
                            then 'paid'
                        else status
                    end as status
                )"""
            self.con.execute(f"""
                copy (
                    select {columns.replace('*', '* exclude (_arrival)', 1)}
                    from {table}
                    where _arrival <= {load}
                ) to '{self.raw / f'{table}.parquet'}' (format parquet)
            """)

    # ------------------------------------------------------------------ events and streams

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
        self.write_snapshots(0)

    def write_load(self, load: int) -> str:
        """Load `load` (1..LOADS): its day, late, repeated and changed events in one file, and the
        snapshot tables as delivered that day."""
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
        self.write_snapshots(load)
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


def _run(raw: Path, db: Path, as_of: str, command: str, extra: list[str], logs: Path | None = None) -> None:
    env = {**KEY, "DBT_LOG_PATH": str(logs)} if logs else KEY
    result = build(raw, db, as_of=as_of, clock=CLOCK, command=command, extra_args=extra, env_extra=env)
    assert result.returncode == 0, result.stdout[-5000:]


def _statements_run(logs: Path, node: str) -> list[str]:
    """The statements dbt's debug log (every dbt.log* under `logs`) says it ran for model `node`,
    each stripped of dbt's query comment."""
    text = "".join(p.read_text(errors="replace") for p in sorted(logs.glob("dbt.log*")))
    found = re.findall(rf"On model\.livetier\.{node}: (?:/\*.*?\*/)?\s*(.*?)\n\S*\d\d:\d\d:\d\d", text, re.S)
    return [statement.strip() for statement in found]


def _differences(incremental: Path, full: Path, table: str, aside: tuple[str, ...] = (),
                 rows: str = "true") -> tuple[int, int]:
    con = duckdb.connect()
    try:
        con.execute(f"attach '{incremental}' as inc (read_only)")
        con.execute(f"attach '{full}' as ful (read_only)")
        schema = con.execute("select table_schema from information_schema.tables "
                             "where table_catalog = 'ful' and table_name = ?", [table]).fetchall()[0][0]
        # run stamps aside (`loaded_at`: the partition manifest's)
        columns = [r[0] for r in con.execute(f"describe select * from ful.{schema}.{table}").fetchall()
                   if r[0] not in ("_loaded_at", "loaded_at", *aside)]
        cols = ", ".join(f'"{c}"' for c in columns)
        one = con.execute(f"select count(*) from (select {cols} from inc.{schema}.{table} where {rows} except all "
                          f"select {cols} from ful.{schema}.{table} where {rows})").fetchall()[0][0]
        two = con.execute(f"select count(*) from (select {cols} from ful.{schema}.{table} where {rows} except all "
                          f"select {cols} from inc.{schema}.{table} where {rows})").fetchall()[0][0]
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


def _rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    set_search_path(con)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


FACTS_AT = "select * from int_user_facts_snapshotted where as_of_date = cast(? as date) order by user_id"
NET_GMV_AT = "select user_id, net_gmv_365d from int_user_facts_snapshotted where as_of_date = cast(? as date)"


def test_daily_loads_equal_full_refresh_and_rerun_changes_nothing(source: Path, tmp_path: Path) -> None:
    landing = Landing(source, tmp_path / "raw")
    # load 4 is the Sunday, a weekly period end; load 2 comes after the Sunday before the initial build
    sunday = landing.day(landing.first_load + 3)
    assert dt.date.fromisoformat(sunday).isoweekday() == 7
    # a stored period end each late delivery must change: load -> period end
    stored_period_ends = {2: landing.day(landing.first_load - 4), LOADS: sunday}
    assert dt.date.fromisoformat(stored_period_ends[2]).isoweekday() == 7
    late = {table: landing.late_rows(table, key) for table, key in
            [("orders", "order_id"), ("refunds", "refund_id"), ("users", "user_id"), ("campaign_touches", "touch_id")]}
    assert all(late.values()), late
    # a late refund on an order paid before the initial build: the net GMV of a stored period end changes
    old_order_refunds = landing.con.execute(f"""
        select refunds.refund_id, orders.user_id
        from refunds inner join orders on refunds.order_id = orders.order_id
        where refunds._arrival = {LOADS} and orders._arrival = 0 and orders.status <> 'cancelled'
            and {business_date_sql('orders.paid_at')} < date '{stored_period_ends[2]}'
            and {business_date_sql('refunds.refunded_at')} <= date '{sunday}'
    """).fetchall()
    assert old_order_refunds
    landing.write_initial()
    incremental_db = tmp_path / "incremental.duckdb"
    _run(landing.raw, incremental_db, landing.day(landing.first_load - 1), "build", SEED_AND_MODELS)
    compared = 0
    for load in range(1, LOADS + 1):
        as_of = landing.write_load(load)
        period_end = stored_period_ends.get(load)
        before = _rows(incremental_db, FACTS_AT, [period_end]) if period_end else []
        gmv_before = _rows(incremental_db, NET_GMV_AT, [period_end]) if period_end else []
        if load < LOADS:
            _run(landing.raw, incremental_db, as_of, "run", [])
        else:
            # the last nightly run, its debug log kept, with the daily activity in chunks of dates
            # as a full build would take them (load 2's full refresh below): the anchor fans'
            # update is checkpointed after its commit (at `large` the next models ran out of
            # memory without it); the daily activity's post-hook asks once which chunk is empty
            # and inserts none (every date with events has its row)
            logs = tmp_path / "logs_last_load"
            _run(landing.raw, incremental_db, as_of, "run", ["--vars", "{event_date_chunk_rows: 2000}"], logs=logs)
            assert "force checkpoint" in _statements_run(logs, "int_anchor_fans_counted")
            activity = _statements_run(logs, "int_user_activity_daily")
            assert sum("where not exists" in s for s in activity) == 1, activity
            assert not [s for s in activity if s.startswith("insert into") and "activity_days as (" in s], activity
        if period_end:
            # the late data changed a stored period end (the full refresh below must agree)
            after = _rows(incremental_db, FACTS_AT, [period_end])
            assert before and after != before, f"load {load}: the facts at {period_end} did not change"
            if load == LOADS:
                changed = set(gmv_before) ^ set(_rows(incremental_db, NET_GMV_AT, [period_end]))
                assert {user for _, user in old_order_refunds} & {user for user, _ in changed}, changed
        if load in (2, LOADS):
            full_db = tmp_path / f"full_{load}.duckdb"
            if load == 2:
                # this full refresh takes the daily activity in chunks of a few dates (at `large` one
                # statement spills past the cap): the daily loads must still equal it
                chunk_vars = ["--vars", "{event_date_chunk_rows: 2000}"]
                chunked = build(landing.raw, full_db, as_of=as_of, clock=CLOCK, command="build", env_extra=KEY,
                                extra_args=SEED_AND_MODELS + ["--full-refresh", *chunk_vars])
                assert chunked.returncode == 0, chunked.stdout[-5000:]
                chunks = re.search(r"int_user_activity_daily: full build in (\d+) chunks of dates, (\d+) inserted",
                                   chunked.stdout)
                assert chunks and int(chunks[1]) > 2 and int(chunks[2]) == int(chunks[1]) - 1, chunked.stdout[-3000:]
            else:
                _run(landing.raw, full_db, as_of, "build", SEED_AND_MODELS + ["--full-refresh"])
            diffs = {t: _differences(incremental_db, full_db, t) for t in PUBLIC_MARTS + EVENT_TABLES + CHAIN_TABLES}
            diffs |= {t: _differences(incremental_db, full_db, t, *how) for t, how in BY_USER_TABLES.items()}
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
        runs = {t: con.execute(f"select count(distinct {STAMP.get(t, '_loaded_at')}) from {t}").fetchall()[0][0]
                for t in EVENT_TABLES + CHAIN_TABLES}
        # the history marts logged every run, and each incremental one kept the dates before its X
        history_runs = set(con.execute(
            "select model_name, count(*), count(*) filter (where recomputed_from > "
            "(select min(period_end) from user_tier_history)) from int_history_runs_logged group by 1").fetchall())
        # the chain kept its stored dates before the earliest late input: the first as-of date
        # still holds the rows of the first build, and no run rewrote every date
        chain_first = {t: con.execute(f"select min(_loaded_at) = (select min(_loaded_at) from {t}), count(*) = 1 "
                                      f"from (select distinct _loaded_at from {t} where as_of_date = "
                                      f"(select min(as_of_date) from {t}))").fetchall()[0]
                       for t in CHAIN_TABLES}
        # every late row reached the base models, kept
        missing = {}
        for table, key in [("orders", "order_id"), ("refunds", "refund_id"), ("users", "user_id"),
                           ("campaign_touches", "touch_id")]:
            kept = {k for (k,) in con.execute(f"select {key} from base_live__{table} "
                                              "where reject_reason is null and not is_duplicate").fetchall()}
            missing[table] = sorted(set(late[table]) - kept)
    finally:
        con.close()
    assert duplicates > 0 and files == landing.first_load + LOADS
    assert all(n > 2 for n in runs.values()), runs
    assert all(first == (True, True) for first in chain_first.values()), chain_first
    history_marts = ("user_tier_history", "tier_transitions", "tier_transition_matrix", "tier_kpis")
    # anchor_fans and stream_minute_kpis log each run too (their watermark), with no recomputed
    # date (kept by pair, by stream)
    assert history_runs == ({(mart, LOADS + 1, LOADS) for mart in history_marts}
                            | {(mart, LOADS + 1, 0) for mart in ("anchor_fans", "stream_minute_kpis")}), history_runs
    assert not any(missing.values()), missing
    before = _checksums(incremental_db)
    last_day = landing.day(landing.first_load + LOADS - 1)
    _run(landing.raw, incremental_db, last_day, "run", [])
    assert _checksums(incremental_db) == before
    # that rerun recomputed only D (nothing changed), so the steps were built for D only ...
    con = duckdb.connect(str(incremental_db), read_only=True)
    set_search_path(con)
    try:
        covers = {t: con.execute(f"select distinct covers_from_date from {t}").fetchall() for t in STEP_TABLES}
    finally:
        con.close()
    assert covers == {t: [(dt.date.fromisoformat(last_day),)] for t in STEP_TABLES}, covers
    # ... and a full refresh of the facts alone stops in one sentence instead of reading them
    alone = build(landing.raw, incremental_db, as_of=last_day, clock=CLOCK, command="run", env_extra=KEY,
                  select="int_user_facts_snapshotted", extra_args=["--full-refresh"])
    assert alone.returncode != 0 and "int_user_activity_stepped was built for the as-of dates from" in alone.stdout, \
        alone.stdout[-3000:]


def _future_rows_reached(tmp_path: Path, first_day: str, first_as_of: str, query: str) -> tuple[list, list]:
    """Builds events day-1 (rows after) at the clock 2025-07-05, then a day-2 file arrives and an
    incremental run at the clock 2025-07-12 follows; returns `query` before and after, and checks
    that the run equals a full refresh at the later clock (base table and ledger)."""
    from dbt_harness import EXAMPLES_RAW

    raw = tmp_path / "raw"
    (raw / "events").mkdir(parents=True)
    shutil.copy(EXAMPLES_RAW / "orders.csv", raw / "orders.csv")
    (raw / "events" / "day-1.csv").write_text("event_id,user_id,event_type,event_at\n" + first_day)
    select = "quality_bounds staging intermediate.quality marts.quality"
    incremental, full = tmp_path / "inc.duckdb", tmp_path / "full.duckdb"
    first = build(raw, incremental, as_of=first_as_of, select=select, clock="2025-07-05T00:00:00", env_extra=KEY)
    assert first.returncode == 0, first.stdout[-4000:]
    results = []
    for step in ("before", "after"):
        if step == "after":
            (raw / "events" / "day-2.csv").write_text(
                "event_id,user_id,event_type,event_at\nf4,u4,like,2025-07-11T00:00:00Z\n")
            later = "2025-07-12T00:00:00"
            second = build(raw, incremental, as_of="2025-07-11", select=select, clock=later, command="run",
                           env_extra=KEY)
            assert second.returncode == 0, second.stdout[-4000:]
            refresh = build(raw, full, as_of="2025-07-11", select=select, clock=later,
                            extra_args=["--full-refresh"], env_extra=KEY)
            assert refresh.returncode == 0, refresh.stdout[-4000:]
        con = duckdb.connect(str(incremental), read_only=True)
        set_search_path(con)
        results.append(con.execute(query).fetchall())
        con.close()
    for table in ("base_live__events", "data_quality_ledger"):
        assert _differences(incremental, full, table) == (0, 0), table
    return results[0], results[1]


def test_a_future_event_is_kept_once_the_clock_reaches_it(tmp_path: Path) -> None:
    """A row set aside as future_timestamp is checked again on a later incremental run (its stored
    outcome is kept otherwise), and the result equals a full refresh at the later clock."""
    before, after = _future_rows_reached(
        tmp_path,
        "f1,u1,like,2025-07-10T00:00:00Z\n"  # 5 days after the first clock
        "f2,u2,like,2025-07-01T00:00:00Z\n"
        "f3,u3,bogus,2025-07-10T00:00:00Z\n",  # unknown type comes first, whatever the clock
        "2025-07-01",
        "select event_id, coalesce(reject_reason, '') as r from base_live__events order by 1",
    )
    assert before == [("f1", "future_timestamp"), ("f2", ""), ("f3", "unknown_event_type")]
    assert after == [("f1", ""), ("f2", ""), ("f3", "unknown_event_type"), ("f4", "")]


def test_a_future_copy_reached_by_the_clock_can_become_the_kept_copy(tmp_path: Path) -> None:
    """When the clock reaches a row set aside as future_timestamp, it joins the copies of its
    event_id that passed and may rank first: the copy kept so far, in another partition the new
    file does not touch, must then turn into a duplicate, as in a full refresh."""
    before, after = _future_rows_reached(
        tmp_path,
        "g1,u0,like,2025-07-10T00:00:00Z\n"  # future at the first clock; user u0 ranks first
        "g1,u1,like,2025-07-02T00:00:00Z\n",  # the only copy that passes at first: kept
        "2025-07-02",
        "select user_id, coalesce(reject_reason, '') as r, is_duplicate from base_live__events "
        "where event_id = 'g1' order by 1",
    )
    assert before == [("u0", "future_timestamp", False), ("u1", "", False)]
    assert after == [("u0", "", False), ("u1", "", True)]


@pytest.mark.parametrize("upgraded", [False, True], ids=["built", "built_before_event_id_hash"])
def test_a_late_copy_in_another_partition_turns_the_stored_copy_into_a_duplicate(tmp_path: Path,
                                                                                upgraded: bool) -> None:
    """A new file brings a copy of a stored event_id dated on another day, and that copy ranks first:
    the stored copy's partition (which the new file does not touch) is found by event_id_hash and
    rewritten, so the stored copy becomes a duplicate, as in a full refresh. The same holds for a
    warehouse built before the column existed (dropped here): on its next run its rows are matched
    by event_id and the column is added (null for the rows not rewritten), on the run after by
    event_id where the column is null."""
    from dbt_harness import EXAMPLES_RAW

    raw = tmp_path / "raw"
    (raw / "events").mkdir(parents=True)
    shutil.copy(EXAMPLES_RAW / "orders.csv", raw / "orders.csv")
    header = "event_id,user_id,event_type,event_at\n"
    (raw / "events" / "day-1.csv").write_text(
        header + "c1,u1,like,2025-07-02T00:00:00Z\n" + "c2,u2,like,2025-07-01T00:00:00Z\n")
    select = "quality_bounds staging intermediate.quality marts.quality"
    clock = "2025-07-12T00:00:00"
    incremental, full = tmp_path / "inc.duckdb", tmp_path / "full.duckdb"
    first = build(raw, incremental, as_of="2025-07-02", select=select, clock=clock, env_extra=KEY)
    assert first.returncode == 0, first.stdout[-4000:]
    if upgraded:
        con = duckdb.connect(str(incremental))
        set_search_path(con)
        con.execute("alter table base_live__events drop column event_id_hash")
        con.close()
    # user u0 ranks before u1 and u2: each new copy is kept, the stored one becomes a duplicate
    expected = {
        "day-2": [("c1", "u0", False, False), ("c1", "u1", True, False), ("c2", "u2", False, upgraded)],
        "day-3": [("c1", "u0", False, False), ("c1", "u1", True, False), ("c2", "u0", False, False),
                  ("c2", "u2", True, False)],
    }
    for day, copy in (("day-2", "c1,u0,like,2025-07-03T00:00:00Z"), ("day-3", "c2,u0,like,2025-07-04T00:00:00Z")):
        (raw / "events" / f"{day}.csv").write_text(header + copy + "\n")
        as_of = copy.split(",")[-1][:10]
        run = build(raw, incremental, as_of=as_of, select=select, clock=clock, command="run", env_extra=KEY)
        assert run.returncode == 0, run.stdout[-4000:]
        refresh = build(raw, full, as_of=as_of, select=select, clock=clock, extra_args=["--full-refresh"],
                        env_extra=KEY)
        assert refresh.returncode == 0, refresh.stdout[-4000:]
        con = duckdb.connect(str(incremental), read_only=True)
        set_search_path(con)
        rows = con.execute("select event_id, user_id, is_duplicate, event_id_hash is null from base_live__events "
                           "order by 1, 2").fetchall()
        con.close()
        assert rows == expected[day], day
        for table in ("base_live__events", "data_quality_ledger"):
            assert _differences(incremental, full, table, aside=("event_id_hash",)) == (0, 0), (day, table)


def test_the_kpis_row_before_yesterdays_d_follows_the_new_d(tmp_path: Path) -> None:
    """D moves from a Tuesday to the Wednesday, no new data: yesterday's D leaves the history, and
    tier_kpis' row at the Sunday before it must now name the Wednesday as its next period end and
    count the moves to it (the matrix's rows from that Sunday): the run recomputes from the history
    date before what the matrix rewrote. The four history marts equal a full refresh."""
    from dbt_harness import EXAMPLES_RAW

    select = "+tier_kpis"
    incremental, full = tmp_path / "inc.duckdb", tmp_path / "full.duckdb"
    no_tests = ["--exclude", "resource_type:test"]
    first = build(EXAMPLES_RAW, incremental, as_of="2025-04-15", select=select, extra_args=no_tests, env_extra=KEY)
    assert first.returncode == 0, first.stdout[-4000:]
    second = build(EXAMPLES_RAW, incremental, as_of="2025-04-16", select=select, command="run", env_extra=KEY)
    assert second.returncode == 0, second.stdout[-4000:]
    refresh = build(EXAMPLES_RAW, full, as_of="2025-04-16", select=select, extra_args=[*no_tests, "--full-refresh"],
                    env_extra=KEY)
    assert refresh.returncode == 0, refresh.stdout[-4000:]
    con = duckdb.connect(str(incremental), read_only=True)
    set_search_path(con)
    sunday = con.execute("select distinct next_period_end from tier_kpis "
                         "where period_end = date '2025-04-13'").fetchall()
    con.close()
    assert sunday == [(dt.date(2025, 4, 16),)]
    for table in ("user_tier_history", "tier_transitions", "tier_transition_matrix", "tier_kpis"):
        assert _differences(incremental, full, table) == (0, 0), table


def test_the_tier_spells_bank_is_kept_until_a_change_before_its_date(tmp_path: Path) -> None:
    """user_tiers reads each user's latest tier change before a bank date B (the first day of the
    month before D's month: 2025-03-01 here) from int_user_tier_spells_banked. A night with no
    change before B keeps the bank (its rows keep their first build's stamp); a late export that
    changes the history before B (an order of 2024-12-25 withdrawn from the raw orders) makes the
    next night sum it anew; a night in each of the next two months (B 2025-04-01, then
    2025-05-01) carries it on: its compiled query reads the changes from the stored B only, the
    users and families with such a change get a row of the new B in place of their stored one,
    and the others keep theirs. user_tiers and the bank (its rows' dates aside) equal a full
    refresh after each night."""
    from dbt_harness import EXAMPLES_RAW

    raw = tmp_path / "raw"
    shutil.copytree(EXAMPLES_RAW, raw)
    select = "+user_tiers"
    no_tests = ["--exclude", "resource_type:test"]
    incremental = tmp_path / "inc.duckdb"

    def bank() -> tuple[set, set]:
        rows = _rows(incremental, "select user_id, tier_family, period_end, from_tier, bank_date, _loaded_at "
                                  "from int_user_tier_spells_banked")
        return {r[:5] for r in rows}, {r[5] for r in rows}

    def equals_a_full_refresh(as_of: str, label: str, aside: tuple[str, ...] = ()) -> None:
        full = tmp_path / f"full_{label}.duckdb"
        refresh = build(raw, full, as_of=as_of, select=select, extra_args=[*no_tests, "--full-refresh"],
                        env_extra=KEY)
        assert refresh.returncode == 0, refresh.stdout[-4000:]
        assert _differences(incremental, full, "user_tiers") == (0, 0), label
        assert _differences(incremental, full, "int_user_tier_spells_banked", aside=aside) == (0, 0), label

    def carried_on(as_of: str, stored: dt.date, bank_date: dt.date, before: tuple[set, set]) -> tuple[set, set]:
        """A night whose B is a month after the stored one: only the users and families with a
        change in [stored, B) get a row of B (the latest such change), replacing theirs."""
        night = build(raw, incremental, as_of=as_of, select=select, command="run", env_extra=KEY)
        assert night.returncode == 0, night.stdout[-4000:]
        compiled = next((tmp_path / "target" / "compiled").rglob("int_user_tier_spells_banked.sql")).read_text()
        assert f"period_end >= cast('{stored.isoformat()}' as date)" in compiled, "B moved: the bank is carried on"
        changed = {r[:2] for r in _rows(incremental, "select user_id, tier_family from tier_transitions "
                                                     "where period_end >= ? and period_end < ?", [stored, bank_date])}
        assert changed, "the month must have changes to carry on"
        rows, stamps = bank()
        keys = [row[:2] for row in rows]
        assert len(keys) == len(set(keys)), "a user and family has one row"
        assert {row[:2] for row in rows if row[4] == bank_date} == changed
        kept = {row for row in rows if row[4] != bank_date}
        assert kept == {row for row in before[0] if row[:2] not in changed}, "the unchanged rows stay as stored"
        assert stamps - before[1] and len(stamps - before[1]) == 1
        return rows, stamps

    first = build(raw, incremental, as_of="2025-04-15", select=select, extra_args=no_tests, env_extra=KEY)
    assert first.returncode == 0, first.stdout[-4000:]
    built, built_stamps = bank()
    assert built and {row[4] for row in built} == {dt.date(2025, 3, 1)}
    assert len(built_stamps) == 1

    second = build(raw, incremental, as_of="2025-04-16", select=select, command="run", env_extra=KEY)
    assert second.returncode == 0, second.stdout[-4000:]
    assert bank() == (built, built_stamps), "a night with no change before B must keep the bank"
    equals_a_full_refresh("2025-04-16", "kept")

    orders = (raw / "orders.csv").read_text().splitlines(keepends=True)
    (raw / "orders.csv").write_text("".join(line for line in orders if not line.startswith("o0901,")))
    third = build(raw, incremental, as_of="2025-04-16", select=select, command="run", env_extra=KEY)
    assert third.returncode == 0, third.stdout[-4000:]
    summed, summed_stamps = bank()
    assert summed_stamps != built_stamps, "a change before B must make the night sum the bank anew"
    assert summed != built, "the withdrawn order must change a latest change before B"
    equals_a_full_refresh("2025-04-16", "summed")

    carried = carried_on("2025-05-02", dt.date(2025, 3, 1), dt.date(2025, 4, 1), (summed, summed_stamps))
    equals_a_full_refresh("2025-05-02", "carried", aside=("bank_date",))
    # the stored rows now have two dates: the bank's B is the later one
    carried_on("2025-06-02", dt.date(2025, 4, 1), dt.date(2025, 5, 1), carried)
    equals_a_full_refresh("2025-06-02", "carried-again", aside=("bank_date",))
