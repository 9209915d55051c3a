"""The benchmark's landing zone: events split into one Parquet file per business day (Asia/Shanghai),
written in one streamed pass under a memory limit."""

from __future__ import annotations

from pathlib import Path

import duckdb

from livetier.incremental import split_events_by_day, write_next_day


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


def test_the_incremental_day_runs_on_a_copy_already_on_disk(tmp_path: Path, monkeypatch) -> None:
    """The benchmark's night runs on a fresh copy of the warehouse: its pages are still dirty in the
    page cache, and the run's first commit would wait for all of them (a cost growing with the
    history that a real night does not pay). The copy is flushed before the clock starts."""
    import livetier.incremental as incremental

    raw = tmp_path / "raw"
    _write_events(raw)
    _write_streams(raw)
    streams_before = (raw / "live_streams.parquet").read_bytes()
    split_events_by_day(raw)
    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    steps: list[tuple[str, str]] = []
    monkeypatch.setattr(incremental, "fsync_path", lambda path: steps.append(("fsync", Path(path).name)))

    def runner(args: list[str], raw_dir: Path, database: Path) -> tuple[float, int]:
        steps.append(("dbt " + " ".join(args), database.name))
        assert database != db and database.read_bytes() == db.read_bytes()
        # the night's streams are there while it runs
        assert (raw_dir / "live_streams.parquet").read_bytes() != streams_before
        return 1.5, 0

    assert incremental.bench_incremental_day(raw, db, runner) == 1.5
    assert steps == [("fsync", "w.duckdb"), ("dbt run", "w.duckdb")]
    # the next day's file is removed again, the streams file written back as it was
    assert not any(path.name.endswith("-next.parquet") for path in (raw / "events").iterdir())
    assert (raw / "live_streams.parquet").read_bytes() == streams_before
