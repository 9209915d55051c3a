"""Daily loads for the incremental models: split events, orders and order lines into one file
per business day, add one more day to a raw directory (events, streams, orders and order lines),
and time one incremental dbt run (the benchmark's hook).

The incremental event models (base_live__events, int_watch_sessions_sessionized,
int_user_activity_daily) treat `<raw>/events/` as an append-only landing zone: a run parses the
files it has not loaded yet and recomputes the business-date partitions they touch, plus the
last `lookback_days`. A daily load is therefore a new file in `<raw>/events/`; files already
loaded must not change (the pre-pass reloads everything when one changed or was removed).
base_live__orders and base_live__order_items read `<raw>/orders/` and `<raw>/order_items/` the
same way, and rebuild themselves alone when one of their loaded files changed.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb

from livetier.pii import key_file_for
from livetier.publish import fsync_path

BUSINESS_TZ = "Asia/Shanghai"
# the benchmark's runner: (dbt args, raw dir, database) -> (seconds, peak RSS in MB)
DbtRunner = Callable[[list[str], Path, Path], tuple[float, int]]


def business_date_sql(column: str, lenient: bool = False) -> str:
    """DuckDB expression for the business date of a UTC timestamp column (typed or ISO text);
    `lenient` gives a value that is not a timestamp the date 1900-01-01 instead of failing."""
    cast = "try_cast" if lenient else "cast"
    day = f"cast(timezone('{BUSINESS_TZ}', {cast}(cast({column} as varchar) as timestamptz)) as date)"
    return f"coalesce({day}, date '1900-01-01')" if lenient else day


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    return con


def _events_relation(raw: Path) -> str:
    single = raw / "events.parquet"
    if single.exists():
        return f"read_parquet('{single}')"
    return f"read_parquet('{raw / 'events'}/*.parquet', union_by_name = true)"


def split_events_by_day(raw: Path, memory_limit: str = "2GB") -> list[str]:
    """Replaces `<raw>/events.parquet` by a folder `<raw>/events/` with one Parquet file per
    business day (`day-YYYY-MM-DD.parquet`) and returns the days; a folder is left as it is.

    One partitioned write streams the file once under a memory limit (spilling to a temporary
    folder beside it): at `large`, 224M events, a table of all events in memory took 19 GB and
    a scan per day. A day whose rows the writer had to split over several files keeps them as
    `day-YYYY-MM-DD-<n>.parquet`."""
    single = raw / "events.parquet"
    if not single.exists():
        return _days_in(raw / "events")
    return _write_by_day(raw, "events", f"select *, {business_date_sql('event_at')} as _day "
                                        f"from read_parquet('{single}')", memory_limit)


def split_orders_by_day(raw: Path) -> list[str]:
    """Replaces `<raw>/orders.parquet` and `<raw>/order_items.parquet` by folders of one file per
    business day of the order (`day-YYYY-MM-DD.parquet`; an order line goes with its order), as a
    nightly export delivers them, and returns the orders' days; folders are left as they are. A
    row without a readable date (a line of an unknown order, say) goes to `day-1900-01-01`."""
    orders, items = raw / "orders.parquet", raw / "order_items.parquet"
    if not orders.exists():
        return _days_in(raw / "orders")
    day = business_date_sql("ordered_at", lenient=True)
    if items.exists():
        con = _connect()
        try:
            con.execute(f"create table order_days as select order_id, min({day}) as _day "
                        f"from read_parquet('{orders}') group by order_id")
            con.execute(f"""
                copy (
                    select items.*, coalesce(order_days._day, date '1900-01-01') as _day
                    from read_parquet('{items}') as items
                    left join order_days on items.order_id = order_days.order_id
                ) to '{raw / '_order_items.parquet'}' (format parquet)
            """)
        finally:
            con.close()
        _write_by_day(raw, "order_items", f"select * from read_parquet('{raw / '_order_items.parquet'}')")
        (raw / "_order_items.parquet").unlink()
    return _write_by_day(raw, "orders", f"select *, {day} as _day from read_parquet('{orders}')")


def _days_in(folder: Path) -> list[str]:
    return sorted({p.stem.removeprefix("day-")[:10] for p in folder.glob("day-*.parquet")})


def _write_by_day(raw: Path, table: str, rows: str, memory_limit: str = "2GB") -> list[str]:
    """Writes `rows` (with a date column `_day`) as `<raw>/<table>/day-<_day>.parquet`, removes
    `<raw>/<table>.parquet`, and returns the days."""
    folder = raw / table
    folder.mkdir(exist_ok=True)
    staging = raw / f"_{table}_by_day"
    shutil.rmtree(staging, ignore_errors=True)
    con = _connect()
    try:
        con.execute(f"set memory_limit = '{memory_limit}'")
        con.execute(f"set temp_directory = '{raw / '_split.tmp'}'")
        con.execute("set preserve_insertion_order = false")
        # one open file per day: a year and some days fit, so no day is split over files
        con.execute("set partitioned_write_max_open_files = 1000")
        con.execute(f"copy ({rows}) to '{staging}' (format parquet, partition_by (_day))")
    finally:
        con.close()
    days = []
    for part in sorted(staging.glob("_day=*")):
        day = part.name.removeprefix("_day=")
        days.append(day)
        for n, path in enumerate(sorted(part.glob("*.parquet"))):
            path.rename(folder / (f"day-{day}.parquet" if n == 0 else f"day-{day}-{n}.parquet"))
    shutil.rmtree(staging)
    shutil.rmtree(raw / "_split.tmp", ignore_errors=True)
    (raw / f"{table}.parquet").unlink(missing_ok=True)
    return days


def write_next_day(raw: Path, tag: str = "next") -> tuple[Path, str]:
    """Adds one more business day to `raw`, as a night's exports bring it: the last day's events
    one day later under new event ids, in streams of their own (each stream those events or the
    day's orders name, one day later as `<tag>-<stream_id>`, appended to
    `<raw>/live_streams.parquet`: a night has streams that start on it), plus 200 events of two
    days back delivered again (same ids, a late repeat); and the last day's orders one day later
    under new order ids (`<tag>-<order_id>`, in the moved streams), with their order lines (see
    `_write_next_orders`). Returns the new events file and the new day."""
    streams = raw / "live_streams.parquet"
    if not streams.exists():
        raise ValueError(f"the next day's streams go into {streams}, which does not exist")
    con = _connect()
    try:
        rel = _events_relation(raw)
        last_day = con.execute(f"select max({business_date_sql('event_at')}) from {rel}").fetchall()[0][0]
        columns = [row[0] for row in con.execute(f"describe select * from {rel}").fetchall()]
        moved = ", ".join(
            f"'{tag}-' || event_id as event_id" if c == "event_id"
            else "cast(event_at as timestamptz) + interval 1 day as event_at" if c == "event_at"
            else f"'{tag}-' || stream_id as stream_id" if c == "stream_id"
            else c
            for c in columns
        )
        same = ", ".join("cast(event_at as timestamptz) as event_at" if c == "event_at" else c for c in columns)
        day = (last_day + dt.timedelta(days=1)).isoformat()
        path = raw / "events" / f"day-{day}-{tag}.parquet"
        orders = _parquet_relation(raw, "orders")
        orders_streams = "" if orders is None else (
            f"union all select stream_id from {orders} "
            f"where {business_date_sql('ordered_at')} = date '{last_day}'")
        con.execute(f"""
            copy (
                select {moved} from {rel} where {business_date_sql('event_at')} = date '{last_day}'
                union all
                (select {same} from {rel}
                 where {business_date_sql('event_at')} = date '{last_day}' - interval 2 day
                 order by event_id limit 200)
            ) to '{path}' (format parquet)
        """)
        # the streams file is read whole before it is written again (a snapshot table)
        con.execute(f"""
            create table next_streams as
            select * from read_parquet('{streams}')
            union all
            select
                '{tag}-' || stream_id as stream_id,
                anchor_id,
                category,
                started_at + interval 1 day as started_at,
                ended_at + interval 1 day as ended_at
            from read_parquet('{streams}')
            where stream_id in (
                select stream_id from {rel} where {business_date_sql('event_at')} = date '{last_day}'
                {orders_streams}
            )
        """)
        con.execute(f"copy next_streams to '{streams}' (format parquet)")
        _write_next_orders(con, raw, last_day, day, tag)
    finally:
        con.close()
    return path, day


def _parquet_relation(raw: Path, table: str) -> str | None:
    """The table's Parquet rows: `<table>.parquet` or the folder `<table>/`; None when absent."""
    single = raw / f"{table}.parquet"
    if single.exists():
        return f"read_parquet('{single}')"
    if (raw / table).is_dir() and any((raw / table).glob("*.parquet")):
        return f"read_parquet('{raw / table}/*.parquet', union_by_name = true)"
    return None


def _write_next_orders(con: duckdb.DuckDBPyConnection, raw: Path, last_day: dt.date, day: str,
                       tag: str) -> None:
    """The last day's orders one day later under new ids, in the moved streams, and their order
    lines: appended to `<table>.parquet` (read whole before it is written again, a snapshot
    export), or a new file `<table>/day-<day>-<tag>.parquet` in a folder. Parquet forms only."""
    orders = _parquet_relation(raw, "orders")
    if orders is None:
        return
    columns = [row[0] for row in con.execute(f"describe select * from {orders}").fetchall()]
    moved = ", ".join(
        f"'{tag}-' || order_id as order_id" if c == "order_id"
        else f"cast({c} as timestamptz) + interval 1 day as {c}" if c in ("ordered_at", "paid_at")
        else f"'{tag}-' || stream_id as stream_id" if c == "stream_id"
        else c
        for c in columns
    )
    con.execute(f"""
        create table next_orders as
        select {moved} from {orders} where {business_date_sql('ordered_at')} = date '{last_day}'
    """)
    _append(con, raw, "orders", "next_orders", day, tag)
    items = _parquet_relation(raw, "order_items")
    if items is None:
        return
    item_columns = [row[0] for row in con.execute(f"describe select * from {items}").fetchall()]
    moved_items = ", ".join(f"'{tag}-' || order_id as order_id" if c == "order_id" else c for c in item_columns)
    con.execute(f"""
        create table next_order_items as
        select {moved_items} from {items}
        where '{tag}-' || order_id in (select order_id from next_orders)
    """)
    _append(con, raw, "order_items", "next_order_items", day, tag)


def _append(con: duckdb.DuckDBPyConnection, raw: Path, table: str, rows: str, day: str, tag: str) -> None:
    single = raw / f"{table}.parquet"
    if single.exists():
        con.execute(f"create table {rows}_all as select * from read_parquet('{single}') "
                    f"union all by name select * from {rows}")
        con.execute(f"copy {rows}_all to '{single}' (format parquet)")
    else:
        con.execute(f"copy {rows} to '{raw / table / f'day-{day}-{tag}.parquet'}' (format parquet)")


def night_files(raw: Path, tag: str = "next") -> tuple[dict[Path, bytes], Callable[[], None]]:
    """What `write_next_day` changes besides the events file, and how to undo it: the snapshot
    files it rewrites (their bytes) and a function that writes them back and removes the new
    files it added to the orders and order lines folders."""
    kept = {path: path.read_bytes() for name in ("live_streams", "orders", "order_items")
            if (path := raw / f"{name}.parquet").exists()}

    def restore() -> None:
        for path, content in kept.items():
            path.write_bytes(content)
        for name in ("orders", "order_items"):
            if (raw / name).is_dir():
                for path in (raw / name).glob(f"day-*-{tag}.parquet"):
                    path.unlink()

    return kept, restore


def bench_incremental_day(raw: Path, db: Path, dbt_runner: DbtRunner,
                          after: Callable[[Path], None] | None = None) -> float:
    """Seconds of one incremental `dbt run` after one more day arrives (`write_next_day`: its
    events, streams, orders and order lines).

    `raw` holds events as a folder of files (`split_events_by_day`) and is fully built into
    `db`. The run goes into a copy of the database and the new file is removed afterwards, so
    `raw` and `db` stay as they were (the streams, orders and order lines written back as they
    were, `night_files`). `after`, when
    given, is called with the copy once the run ended, while the new day's files are still there
    (not timed).
    """
    if (raw / "events.parquet").exists():
        raise ValueError("events must be a folder of files for an incremental day (split_events_by_day)")
    work = db.parent / "incremental"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db_copy = work / db.name
    shutil.copy2(db, db_copy)
    # the warehouse's personal-data key goes with it, as on the next night (a new key would be a
    # changed input: every table hashing personal data rebuilt)
    key_file = key_file_for(db)
    if key_file.exists():
        shutil.copy2(key_file, key_file_for(db_copy))
    # the copy on disk before the clock starts: its pages are still dirty in the page cache, and
    # the run's first commit waits for all of them to be written (~1.5 s for a 1.7 GB file here,
    # growing with the history), a cost a real night, in a warehouse file long on disk, does not pay
    fsync_path(db_copy)
    _, restore = night_files(raw)
    try:
        path, _ = write_next_day(raw)
        try:
            seconds, _ = dbt_runner(["run"], raw, db_copy)
            if after is not None:
                after(db_copy)
        finally:
            path.unlink(missing_ok=True)
    finally:
        restore()
    return seconds
