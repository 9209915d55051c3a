"""Business dates and hours of events in time zones whose offset changes off the whole UTC hour.

base_live__events turns each UTC instant into business time by the zone's offset in its UTC hour
(macro business_hour_offsets) and converts one by one only in an hour in which the offset
changes. The expected dates and hours come from Python's zoneinfo (the system's time zone
database), not from the warehouse: Australia/Lord_Howe moves by half an hour, at a whole UTC
hour in April and at a half hour in October; Asia/Tehran (+3:30/+4:30 until 2022) moved at
half-hour UTC instants, one of them at local midnight (the business date changes)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from dbt_harness import EXAMPLES_RAW, build

EVENT_HEADER = "event_id,user_id,event_type,event_at,stream_id,product_id,value,text"

# each zone's changes of offset in the years tested (UTC instants, as the time zone database has them)
TRANSITIONS = {
    "Australia/Lord_Howe": ["2023-04-01T15:00:00", "2023-09-30T15:30:00",
                            "2024-04-06T15:00:00", "2024-10-05T15:30:00"],
    "Asia/Tehran": ["2021-03-21T20:30:00", "2021-09-21T19:30:00",
                    "2022-03-21T20:30:00", "2022-09-21T19:30:00"],
}


def _instants(zone: str) -> list[datetime]:
    """Every 5 minutes from 3 hours before to 3 hours after each change, and a second before it."""
    instants = []
    for text in TRANSITIONS[zone]:
        change = datetime.fromisoformat(text).replace(tzinfo=UTC)
        instants.append(change - timedelta(seconds=1))
        instants += [change + timedelta(minutes=minutes) for minutes in range(-180, 181, 5)]
    return instants


@pytest.fixture(scope="module", params=[(zone, load) for zone in sorted(TRANSITIONS) for load in ("full", "night")],
                ids=lambda param: "-".join(param))
def zone_build(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
               ) -> tuple[str, dict[str, datetime], Path]:
    """The events around the changes loaded in a full build, or by a night after one (whose hours
    table starts two days before its earliest new event, not at min_timestamp)."""
    zone, load = request.param
    base = tmp_path_factory.mktemp(zone.replace("/", "_") + "_" + load)
    raw = base / "raw"
    shutil.copytree(EXAMPLES_RAW, raw)
    db = base / "w.duckdb"
    select, env = "quality_bounds base_live__events", {"BUSINESS_TIMEZONE": zone}
    if load == "night":
        first = build(raw, db, as_of="2025-03-31", select=select, env_extra=env)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    instants = {f"tz{index:04d}": instant for index, instant in enumerate(_instants(zone))}
    rows = "".join(f"{event_id},u01,like,{instant.strftime('%Y-%m-%dT%H:%M:%SZ')},s01,,,\n"
                   for event_id, instant in instants.items())
    (raw / "events" / "2099-zz-business-time.csv").write_text(EVENT_HEADER + "\n" + rows)
    result = build(raw, db, as_of="2025-03-31", select=select, env_extra=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    if load == "night":  # the night loaded the new file alone: the rows of the first build kept
        con = duckdb.connect(str(db), read_only=True)
        try:
            runs = con.execute("select count(distinct _loaded_at) from staging.base_live__events").fetchone()[0]
        finally:
            con.close()
        assert runs == 2
    return zone, instants, db


def test_event_dates_and_hours_follow_the_zone_across_its_changes(zone_build) -> None:
    zone, instants, db = zone_build
    con = duckdb.connect(str(db), read_only=True)
    try:
        got = {event_id: (event_date, hour) for event_id, event_date, hour in con.execute(
            "select event_id, event_date, event_hour from staging.base_live__events where event_id like 'tz%'"
        ).fetchall()}
    finally:
        con.close()
    expected = {}
    for event_id, instant in instants.items():
        local = instant.astimezone(ZoneInfo(zone))
        expected[event_id] = (local.date(), local.hour)
    wrong = {event_id: (instants[event_id].isoformat(), got.get(event_id), want)
             for event_id, want in expected.items() if got.get(event_id) != want}
    assert not wrong, f"{len(wrong)} of {len(expected)} events in the wrong business hour: {list(wrong.items())[:5]}"


@pytest.mark.parametrize("zone", sorted(TRANSITIONS))
def test_listed_instants_are_changes_of_offset(zone: str) -> None:
    """The instants above are real changes in the system's time zone database, at least two per
    zone off the whole UTC hour: if a newer database moved one, the test above would still pass
    while testing less."""
    tz = ZoneInfo(zone)
    off_hour = 0
    for text in TRANSITIONS[zone]:
        change = datetime.fromisoformat(text).replace(tzinfo=UTC)
        before = (change - timedelta(microseconds=1)).astimezone(tz).utcoffset()
        after = change.astimezone(tz).utcoffset()
        assert before != after, f"{zone}: no change of offset at {text} in this time zone database"
        off_hour += change.minute != 0
    assert off_hour >= 2, f"{zone}: fewer than two changes off the whole UTC hour"
