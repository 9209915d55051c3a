"""The benchmark's landing zone: events split into one Parquet file per business day (Asia/Shanghai),
written in one streamed pass under a memory limit."""

from __future__ import annotations

from pathlib import Path

import duckdb

from livetier.incremental import split_events_by_day


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


def test_the_incremental_day_runs_on_a_copy_already_on_disk(tmp_path: Path, monkeypatch) -> None:
    """The benchmark's night runs on a fresh copy of the warehouse: its pages are still dirty in the
    page cache, and the run's first commit would wait for all of them (a cost growing with the
    history that a real night does not pay). The copy is flushed before the clock starts."""
    import livetier.incremental as incremental

    raw = tmp_path / "raw"
    _write_events(raw)
    split_events_by_day(raw)
    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    steps: list[tuple[str, str]] = []
    monkeypatch.setattr(incremental, "fsync_path", lambda path: steps.append(("fsync", Path(path).name)))

    def runner(args: list[str], raw_dir: Path, database: Path) -> tuple[float, int]:
        steps.append(("dbt " + " ".join(args), database.name))
        assert database != db and database.read_bytes() == db.read_bytes()
        return 1.5, 0

    assert incremental.bench_incremental_day(raw, db, runner) == 1.5
    assert steps == [("fsync", "w.duckdb"), ("dbt run", "w.duckdb")]
    # the next day's file is removed again
    assert not any(path.name.endswith("-next.parquet") for path in (raw / "events").iterdir())
