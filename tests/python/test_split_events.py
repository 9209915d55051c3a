"""The benchmark's landing zone: events, orders and order lines split into one Parquet file per
business day (Asia/Shanghai), written in one streamed pass under a memory limit."""

from __future__ import annotations

from pathlib import Path

import duckdb

from livetier.incremental import night_files, split_events_by_day, split_orders_by_day, write_next_day


def _write_events(raw: Path) -> None:
    raw.mkdir()
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    # business days start at 16:00 UTC the day before: 15:59:59 UTC is still the earlier day
    con.execute(f"""
        copy (
            select * from (values
                ('e1', 'u1', 'enter_room', timestamptz '2025-03-01 15:59:59+00', 'S1'),
                ('e2', 'u1', 'leave_room', timestamptz '2025-03-01 16:00:00+00', 'S1'),
                ('e3', 'u2', 'like', timestamptz '2025-03-02 03:00:00+00', 'S1'),
                ('e4', 'u2', 'like', timestamptz '2025-03-03 16:00:00+00', 'S2'),
                ('e4', 'u2', 'like', timestamptz '2025-03-03 16:00:00+00', 'S2')
            ) as events (event_id, user_id, event_type, event_at, stream_id)
        ) to '{raw / "events.parquet"}' (format parquet)
    """)
    con.close()


def test_one_file_per_business_day_with_exactly_its_rows(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _write_events(raw)
    days = split_events_by_day(raw, memory_limit="100MB")
    assert days == ["2025-03-01", "2025-03-02", "2025-03-04"]
    assert not (raw / "events.parquet").exists()
    files = sorted(path.name for path in (raw / "events").iterdir())
    assert files == ["day-2025-03-01.parquet", "day-2025-03-02.parquet", "day-2025-03-04.parquet"]
    # nothing of the writer's staging or spill folders is left in the landing zone
    assert sorted(path.name for path in raw.iterdir()) == ["events"]
    con = duckdb.connect()
    per_day = {
        name: sorted(row[0] for row in con.execute(f"select event_id from '{raw / 'events' / name}'").fetchall())
        for name in files
    }
    assert per_day == {"day-2025-03-01.parquet": ["e1"], "day-2025-03-02.parquet": ["e2", "e3"],
                       "day-2025-03-04.parquet": ["e4", "e4"]}
    # the columns are the raw file's, without the day
    columns = [row[0] for row in con.execute(f"describe select * from '{raw / 'events' / files[0]}'").fetchall()]
    assert columns == ["event_id", "user_id", "event_type", "event_at", "stream_id"]


def test_a_folder_is_left_as_it_is(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _write_events(raw)
    split_events_by_day(raw)
    (raw / "events" / "day-2025-03-04-next.parquet").write_bytes(b"")
    assert split_events_by_day(raw) == ["2025-03-01", "2025-03-02", "2025-03-04"]


def _write_streams(raw: Path) -> None:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"""
        copy (
            select * from (values
                ('S1', 'A1', 'food', timestamptz '2025-03-01 15:00:00+00', timestamptz '2025-03-02 04:00:00+00'),
                ('S2', 'A2', 'beauty', timestamptz '2025-03-03 15:30:00+00', null)
            ) as streams (stream_id, anchor_id, category, started_at, ended_at)
        ) to '{raw / "live_streams.parquet"}' (format parquet)
    """)
    con.close()


def test_the_next_day_brings_its_own_streams(tmp_path: Path) -> None:
    """The last day's events one day later, in streams that start that day (a copy of each stream they
    name, one day later), and a late repeat of events two days back under their own ids."""
    raw = tmp_path / "raw"
    _write_events(raw)
    _write_streams(raw)
    split_events_by_day(raw)
    path, day = write_next_day(raw)
    assert day == "2025-03-05" and path.name == "day-2025-03-05-next.parquet"
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    events = con.execute(f"select event_id, stream_id, cast(event_at as varchar) from '{path}' order by 1").fetchall()
    # 03-04's e4 (twice) one day later in next-S2; 03-02's e2 and e3 again as they were
    assert events == [("e2", "S1", "2025-03-01 16:00:00+00"), ("e3", "S1", "2025-03-02 03:00:00+00"),
                      ("next-e4", "next-S2", "2025-03-04 16:00:00+00"),
                      ("next-e4", "next-S2", "2025-03-04 16:00:00+00")]
    streams = con.execute(f"select stream_id, anchor_id, category, cast(started_at as varchar), "
                          f"cast(ended_at as varchar) from '{raw / 'live_streams.parquet'}' order by 1").fetchall()
    assert streams == [("S1", "A1", "food", "2025-03-01 15:00:00+00", "2025-03-02 04:00:00+00"),
                       ("S2", "A2", "beauty", "2025-03-03 15:30:00+00", None),
                       ("next-S2", "A2", "beauty", "2025-03-04 15:30:00+00", None)]


def _write_orders(raw: Path, folder: bool) -> None:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    orders = raw / "orders" / "o.parquet" if folder else raw / "orders.parquet"
    items = raw / "order_items" / "i.parquet" if folder else raw / "order_items.parquet"
    orders.parent.mkdir(exist_ok=True)
    items.parent.mkdir(exist_ok=True)
    # business day 03-04 runs from 03-03 16:00 UTC to 03-04 15:59:59 UTC
    con.execute(f"""
        copy (
            select * from (values
                ('o1', 'u1', timestamptz '2025-03-03 15:59:59+00', timestamptz '2025-03-03 16:10:00+00', 'paid',
                 'S1'),
                ('o2', 'u2', timestamptz '2025-03-03 16:00:00+00', null, 'created', 'S2'),
                ('o3', 'u1', timestamptz '2025-03-04 15:59:59+00', timestamptz '2025-03-04 16:30:00+00', 'paid',
                 'S1'),
                ('o4', 'u2', timestamptz '2025-03-04 15:00:00+00', null, 'created', null)
            ) as orders (order_id, user_id, ordered_at, paid_at, status, stream_id)
        ) to '{orders}' (format parquet)
    """)
    con.execute(f"""
        copy (
            select * from (values ('o1', 1, 'p1'), ('o2', 1, 'p2'), ('o2', 2, 'p3'), ('o3', 1, 'p1'), ('o4', 1, 'p2'))
            as items (order_id, line_no, product_id)
        ) to '{items}' (format parquet)
    """)
    con.close()


def test_the_next_day_brings_the_last_days_orders_and_lines(tmp_path: Path) -> None:
    """A night brings orders too: the last business day's orders one day later under new ids, in the
    moved streams, with their lines; appended to a single file, or a new file in a folder."""
    for folder in (False, True):
        raw = tmp_path / ("folder" if folder else "single") / "raw"
        raw.parent.mkdir()
        _write_events(raw)
        _write_streams(raw)
        _write_orders(raw, folder)
        split_events_by_day(raw)
        kept, restore = night_files(raw)
        _, day = write_next_day(raw)
        assert day == "2025-03-05"
        con = duckdb.connect()
        con.execute("set TimeZone = 'UTC'")
        read = "read_parquet('{}/*.parquet')" if folder else "read_parquet('{}.parquet')"
        orders = con.execute(
            f"select order_id, user_id, cast(ordered_at as varchar), cast(paid_at as varchar), status, stream_id "
            f"from {read.format(raw / 'orders')} order by 1").fetchall()
        # o1 is of 03-03 (15:59:59 UTC), o2, o3 and o4 of 03-04: those move one day on
        assert orders == [
            ("next-o2", "u2", "2025-03-04 16:00:00+00", None, "created", "next-S2"),
            ("next-o3", "u1", "2025-03-05 15:59:59+00", "2025-03-05 16:30:00+00", "paid", "next-S1"),
            ("next-o4", "u2", "2025-03-05 15:00:00+00", None, "created", None),
            ("o1", "u1", "2025-03-03 15:59:59+00", "2025-03-03 16:10:00+00", "paid", "S1"),
            ("o2", "u2", "2025-03-03 16:00:00+00", None, "created", "S2"),
            ("o3", "u1", "2025-03-04 15:59:59+00", "2025-03-04 16:30:00+00", "paid", "S1"),
            ("o4", "u2", "2025-03-04 15:00:00+00", None, "created", None),
        ]
        items = con.execute(f"select * from {read.format(raw / 'order_items')} order by 1, 2").fetchall()
        assert items == [("next-o2", 1, "p2"), ("next-o2", 2, "p3"), ("next-o3", 1, "p1"), ("next-o4", 1, "p2"),
                         ("o1", 1, "p1"), ("o2", 1, "p2"), ("o2", 2, "p3"), ("o3", 1, "p1"), ("o4", 1, "p2")]
        if folder:
            assert sorted(p.name for p in (raw / "orders").iterdir()) == ["day-2025-03-05-next.parquet", "o.parquet"]
        streams = con.execute(f"select stream_id from '{raw / 'live_streams.parquet'}' order by 1").fetchall()
        # S1 moves for o3 alone (no event of 03-04 names it)
        assert streams == [("S1",), ("S2",), ("next-S1",), ("next-S2",)]
        # undone: the snapshot files written back, the folders' new files removed
        restore()
        assert all(path.read_bytes() == content for path, content in kept.items())
        assert con.execute(f"select count(*) from {read.format(raw / 'orders')}").fetchall() == [(4,)]
        if folder:
            assert sorted(p.name for p in (raw / "order_items").iterdir()) == ["i.parquet"]


def test_orders_and_their_lines_one_file_per_business_day_of_the_order(tmp_path: Path) -> None:
    """Each order in the file of its business day (15:59:59 UTC is still the day before), each
    line with its order, a line of an unknown order in day-1900-01-01; a folder is left as it is."""
    raw = tmp_path / "raw"
    raw.mkdir()
    _write_orders(raw, folder=False)
    con = duckdb.connect()
    con.execute(f"""
        copy (select * from read_parquet('{raw / 'order_items.parquet'}')
              union all select 'o9', 1, 'p9') to '{raw / 'order_items.parquet'}' (format parquet)
    """)
    assert split_orders_by_day(raw) == ["2025-03-03", "2025-03-04"]
    assert sorted(path.name for path in raw.iterdir()) == ["order_items", "orders"]
    per_day = {
        table: {path.name: sorted(row[0] for row in con.execute(f"select order_id from '{path}'").fetchall())
                for path in (raw / table).iterdir()}
        for table in ("orders", "order_items")
    }
    assert per_day == {
        "orders": {"day-2025-03-03.parquet": ["o1"], "day-2025-03-04.parquet": ["o2", "o3", "o4"]},
        "order_items": {"day-1900-01-01.parquet": ["o9"], "day-2025-03-03.parquet": ["o1"],
                        "day-2025-03-04.parquet": ["o2", "o2", "o3", "o4"]},
    }
    # the columns are the raw files', without the day
    columns = [row[0] for row in con.execute(
        f"describe select * from '{raw / 'order_items' / 'day-2025-03-03.parquet'}'").fetchall()]
    assert columns == ["order_id", "line_no", "product_id"]
    con.close()
    assert split_orders_by_day(raw) == ["2025-03-03", "2025-03-04"]


def test_the_incremental_day_runs_on_a_copy_already_on_disk(tmp_path: Path, monkeypatch) -> None:
    """The benchmark's night runs on a fresh copy of the warehouse: its pages are still dirty in the
    page cache, and the run's first commit would wait for all of them (a cost growing with the
    history that a real night does not pay). The copy is flushed before the clock starts."""
    import livetier.incremental as incremental

    raw = tmp_path / "raw"
    _write_events(raw)
    _write_streams(raw)
    _write_orders(raw, folder=False)
    streams_before = (raw / "live_streams.parquet").read_bytes()
    orders_before = (raw / "orders.parquet").read_bytes()
    items_before = (raw / "order_items.parquet").read_bytes()
    split_events_by_day(raw)
    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    steps: list[tuple[str, str]] = []
    monkeypatch.setattr(incremental, "fsync_path", lambda path: steps.append(("fsync", Path(path).name)))

    def runner(args: list[str], raw_dir: Path, database: Path) -> tuple[float, int]:
        steps.append(("dbt " + " ".join(args), database.name))
        assert database != db and database.read_bytes() == db.read_bytes()
        # the night's streams, orders and lines are there while it runs
        assert (raw_dir / "live_streams.parquet").read_bytes() != streams_before
        assert (raw_dir / "orders.parquet").read_bytes() != orders_before
        assert (raw_dir / "order_items.parquet").read_bytes() != items_before
        return 1.5, 0

    assert incremental.bench_incremental_day(raw, db, runner) == 1.5
    assert steps == [("fsync", "w.duckdb"), ("dbt run", "w.duckdb")]
    # the next day's file is removed again, the streams, orders and lines written back as they were
    assert not any(path.name.endswith("-next.parquet") for path in (raw / "events").iterdir())
    assert (raw / "live_streams.parquet").read_bytes() == streams_before
    assert (raw / "orders.parquet").read_bytes() == orders_before
    assert (raw / "order_items.parquet").read_bytes() == items_before
