"""The stream review built incrementally equals a full build when late data changes old streams: the
spec's worked example (tests/stream_review_example) built as of 2025-03-03, then, at the same D,
- a stream S3 whose only row was an order gets that order refunded in full (its rows vanish);
- S2's end arrives (U4's session now ends at the stream's end, 12:00, not at the 240-minute cap);
- a late enter_room of U3 in S0 on 03-01 (U3's first session ever moves from S1 to S0);
- S0 moves from anchor A1 to A3 (U1's A1 row must lose S0's day, not only gain an A3 row);
- S6, live at the first build (its grid the 240-minute cap), gets an end equal to its start (no
  minute left in stream_minute_kpis).
The incremental run must give every stream mart row for row as a fresh build, and the hand-derived
numbers below. A second test moves D so that days leave anchor_fans' 90- and 365-day windows."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
from dbt_harness import build, query

from livetier import PROJECT_ROOT

EXAMPLE = PROJECT_ROOT / "tests" / "stream_review_example" / "raw"
SELECT = "quality_bounds +stream_kpis +stream_minute_kpis +anchor_fans"
MARTS = {"stream_kpis": "stream_id", "stream_minute_kpis": "stream_id, minute_index",
         "anchor_fans": "anchor_id, user_id"}
STREAM_S3 = "S3,A2,food,2025-03-02T10:00:00+08:00,2025-03-02T11:00:00+08:00\n"
STREAM_S6 = "S6,A2,food,2025-03-03T09:00:00+08:00,\n"
ORDER_O3 = "O3,U5,2025-03-02T10:29:00+08:00,2025-03-02T10:30:00+08:00,paid,40.00,,,S3,CNY\n"


def _build(raw: Path, db: Path) -> str:
    result = build(raw, db, as_of="2025-03-03", select=SELECT, extra_args=["--indirect-selection", "cautious"])
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    return result.stdout


def _append(path: Path, text: str) -> None:
    with path.open("a") as handle:
        handle.write(text)


def _example_raw(tmp_path: Path) -> Path:
    """The worked example's raw files under `tmp_path`, its events as the first events file."""
    raw = tmp_path / "raw"
    (raw / "events").mkdir(parents=True)
    for name in ("live_streams.csv", "orders.csv", "refunds.csv"):
        shutil.copy(EXAMPLE / name, raw / name)
    shutil.copy(EXAMPLE / "events.csv", raw / "events" / "day-1.csv")
    return raw


def _assert_marts_equal(incremental: Path, fresh: Path, label: str = "") -> None:
    """Every stream mart of `incremental` equals `fresh` row for row."""
    for mart, order in MARTS.items():
        left = query(incremental, f"select * from {mart} order by {order}")
        right = query(fresh, f"select * from {mart} order by {order}")
        pd.testing.assert_frame_equal(left, right, obj=f"{mart}{label}")


def test_late_changes_to_old_streams_equal_a_full_build(tmp_path: Path) -> None:
    raw = _example_raw(tmp_path)
    _append(raw / "live_streams.csv", STREAM_S3 + STREAM_S6)
    _append(raw / "orders.csv", ORDER_O3)
    incremental = tmp_path / "incremental.duckdb"
    _build(raw, incremental)
    s6_minutes = "select * from stream_minute_kpis where stream_id = 'S6'"
    assert len(query(incremental, s6_minutes)) == 240
    assert query(incremental, "select orders from stream_kpis where stream_id = 'S3'").iloc[0, 0] == 1
    assert len(query(incremental, "select * from anchor_fans where user_id = 'U5'")) == 1

    _append(raw / "refunds.csv", "R3,O3,2025-03-03T09:00:00+08:00,40.00\n")
    streams = (raw / "live_streams.csv").read_text().replace(
        "S2,A2,food,2025-03-03T08:00:00+08:00,", "S2,A2,food,2025-03-03T08:00:00+08:00,2025-03-03T12:00:00+08:00")
    assert len(query(incremental, "select * from anchor_fans where anchor_id = 'A1' and user_id = 'U1'")) == 1
    streams = streams.replace("S0,A1,", "S0,A3,")
    streams = streams.replace(STREAM_S6, STREAM_S6.replace(",\n", ",2025-03-03T09:00:00+08:00\n"))
    (raw / "live_streams.csv").write_text(streams)
    (raw / "events" / "day-2.csv").write_text(
        "event_id,user_id,event_type,event_at,stream_id,product_id,value,text\n"
        "late1,U3,enter_room,2025-03-01T20:10:00+08:00,S0,,,\n"
        "late2,U3,leave_room,2025-03-01T20:40:00+08:00,S0,,,\n")
    assert "Rebuilding the warehouse in full" not in _build(raw, incremental)
    fresh = tmp_path / "fresh.duckdb"
    _build(raw, fresh)

    _assert_marts_equal(incremental, fresh)

    kpis = query(incremental, "select * from stream_kpis order by stream_id").set_index("stream_id")
    # S3: its only order refunded in full by D: no purchase left
    assert (kpis.loc["S3", "orders"], Decimal(str(kpis.loc["S3", "net_gmv"]))) == (0, Decimal("0.00"))
    assert len(query(incremental, "select * from anchor_fans where user_id = 'U5'")) == 0
    assert len(query(incremental, s6_minutes)) == 0
    # S2 ended at 12:00: U4's session [08:30, 12:00) is 12600 s
    assert Decimal(str(kpis.loc["S2", "watch_seconds"])) == Decimal("12600")
    # U3's first session is now in S0 (with U1's): S1 keeps U2 only as new
    assert (kpis.loc["S0", "new_viewers"], kpis.loc["S0", "viewers"]) == (2, 2)
    assert (kpis.loc["S1", "new_viewers"], kpis.loc["S1", "returning_viewers"]) == (1, 2)
    # S0 is A3's now: its viewers U1 and U3 are A3's fans, with S0's 03-01 as their watch day
    fans = query(incremental, "select * from anchor_fans where anchor_id = 'A3' order by user_id")
    assert list(fans["user_id"]) == ["U1", "U3"]
    assert {str(day)[:10] for day in fans["first_watch_date"]} == {"2025-03-01"}
    a1_u1 = query(incremental, "select first_watch_date from anchor_fans where anchor_id = 'A1' and user_id = 'U1'")
    assert all(str(day)[:10] != "2025-03-01" for day in a1_u1["first_watch_date"])


STREAM_S4 = "S4,A3,beauty,2025-02-20T10:00:00+08:00,2025-02-20T11:00:00+08:00\n"
ORDER_O4 = "O4,U7,2025-02-20T10:10:00+08:00,2025-02-20T10:15:00+08:00,paid,25.00,,,S4,CNY\n"
EVENTS_S4 = ("s4a,U6,enter_room,2025-02-20T10:00:00+08:00,S4,,,\n"
             "s4b,U6,leave_room,2025-02-20T10:30:00+08:00,S4,,,\n")
LATER_CLOCK = "2026-03-02T00:00:00"


def _build_at(raw: Path, db: Path, as_of: str) -> None:
    result = build(raw, db, as_of=as_of, select=SELECT, clock=LATER_CLOCK,
                   extra_args=["--indirect-selection", "cautious"])
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


def test_days_leaving_the_fan_windows_equal_a_full_build(tmp_path: Path) -> None:
    """anchor_fans recounts a user whose day leaves a window as D moves, though nothing of the user's
    stream changed: a stream S4 (anchor A3) on 2025-02-20, before the event models' 3-day lookback,
    with U6's 30-minute session and U7's paid order. The warehouse built as of 2025-03-03, then
    2025-05-21 (02-20 is D-90: out of the 90-day window), then 2026-02-20 (02-20 is D-365: out of the
    365-day window), equals fresh builds, and no upstream model rewrote S4."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("live_streams.csv", "orders.csv", "refunds.csv", "events.csv"):
        shutil.copy(EXAMPLE / name, raw / name)
    _append(raw / "live_streams.csv", STREAM_S4)
    _append(raw / "orders.csv", ORDER_O4)
    _append(raw / "events.csv", EVENTS_S4)
    incremental = tmp_path / "incremental.duckdb"
    _build_at(raw, incremental, "2025-03-03")
    fans = query(incremental, "select * from anchor_fans where anchor_id = 'A3' order by user_id").set_index("user_id")
    assert (fans.loc["U6", "watch_days_90d"], Decimal(str(fans.loc["U6", "watch_seconds_90d"]))) == (1, Decimal("1800"))
    assert (fans.loc["U7", "purchases_365d"], fans.loc["U7", "anchor_fan_tier"]) == (1, "anchor_regular")

    expected = {
        # U6: the session stays (first and last watch date) but its day is 90 days before D
        "2025-05-21": {"U6": (0, Decimal("0"), 0, "anchor_viewer"), "U7": (0, Decimal("0"), 1, "anchor_regular")},
        # U7: the purchase is paid 365 days before D
        "2026-02-20": {"U6": (0, Decimal("0"), 0, "anchor_viewer"), "U7": (0, Decimal("0"), 0, "anchor_viewer")},
    }
    for as_of, users in expected.items():
        _build_at(raw, incremental, as_of)
        fresh = tmp_path / f"fresh-{as_of}.duckdb"
        _build_at(raw, fresh, as_of)
        _assert_marts_equal(incremental, fresh, f" as of {as_of}")
        # the user days of S4 are as built on 03-03: only the window edge can recount U6 and U7
        s4_as_of = query(incremental, "select distinct as_of_date from intermediate.int_stream_user_days_summarized "
                                      "where stream_id = 'S4'")
        assert [str(day)[:10] for day in s4_as_of["as_of_date"]] == ["2025-03-03"], as_of
        fans = query(incremental, "select * from anchor_fans where anchor_id = 'A3'").set_index("user_id")
        for user, (days, seconds, purchases, tier) in users.items():
            row = fans.loc[user]
            assert (row["watch_days_90d"], Decimal(str(row["watch_seconds_90d"])), row["purchases_365d"],
                    row["anchor_fan_tier"]) == (days, seconds, purchases, tier), (as_of, user)
            first_watch = row["first_watch_date"]
            assert (None if pd.isna(first_watch) else str(first_watch)[:10]) == (
                "2025-02-20" if user == "U6" else None), (as_of, user)


STREAM_S5 = "S5,A1,beauty,2025-03-04T20:00:00+08:00,2025-03-04T21:00:00+08:00\n"
# U8 comments and likes in S0 (A1) on 03-01 without a session: no fan of A1 as of 03-03
EVENTS_U8 = ("e30,U8,comment,2025-03-01T20:15:00+08:00,S0,,,hi\n"
             "e31,U8,like,2025-03-01T20:16:00+08:00,S0,,3,\n")
# U9 watches S0 (A1) on 03-01 only: a fan of A1 whose stored days no later run rewrites
EVENTS_U9 = ("e32,U9,enter_room,2025-03-01T20:20:00+08:00,S0,,,\n"
             "e33,U9,leave_room,2025-03-01T20:30:00+08:00,S0,,,\n")


def test_a_first_session_on_a_new_day_counts_the_earlier_days(tmp_path: Path) -> None:
    """D moves one day and the new day brings sessions in a new stream S5 of anchor A1: U1, a fan of
    A1 since 03-01, gets the day; U8, whose only earlier A1 days are two interactions without a
    session (no fan), becomes a fan counted over every day of the pair (the 03-01 interactions are
    inside the 90 days), not over the new day alone. U9, a fan of A1 through S0 alone (03-01, not
    rewritten since), has only rows of a stream started after the last D: its stored row gets the
    new day added (banked) instead of a count over every day. All equal a fresh build as of 03-04."""
    raw = _example_raw(tmp_path)
    _append(raw / "events" / "day-1.csv", EVENTS_U8 + EVENTS_U9)
    incremental = tmp_path / "incremental.duckdb"
    _build_at(raw, incremental, "2025-03-03")
    a1_fans = "select * from anchor_fans where anchor_id = 'A1' order by user_id"
    before = query(incremental, a1_fans).set_index("user_id")
    assert "U8" not in before.index and before.loc["U1", "watch_days_90d"] == 2
    assert before.loc["U9", "watch_days_90d"] == 1

    _append(raw / "live_streams.csv", STREAM_S5)
    (raw / "events" / "day-2.csv").write_text(
        "event_id,user_id,event_type,event_at,stream_id,product_id,value,text\n"
        "e40,U1,enter_room,2025-03-04T20:00:00+08:00,S5,,,\n"
        "e41,U1,leave_room,2025-03-04T20:20:00+08:00,S5,,,\n"
        "e42,U1,like,2025-03-04T20:10:00+08:00,S5,,1,\n"
        "e43,U8,enter_room,2025-03-04T20:05:00+08:00,S5,,,\n"
        "e44,U8,leave_room,2025-03-04T20:15:00+08:00,S5,,,\n"
        "e45,U9,enter_room,2025-03-04T20:00:00+08:00,S5,,,\n"
        "e46,U9,leave_room,2025-03-04T20:30:00+08:00,S5,,,\n"
        "e47,U9,comment,2025-03-04T20:01:00+08:00,S5,,,hello\n")
    _build_at(raw, incremental, "2025-03-04")
    fresh = tmp_path / "fresh.duckdb"
    _build_at(raw, fresh, "2025-03-04")
    _assert_marts_equal(incremental, fresh)

    fans = query(incremental, a1_fans).set_index("user_id")
    # U1: 03-01 (S0, 50 min), 03-03 (S1, 30 min) and 03-04 (S5, 20 min)
    u1 = fans.loc["U1"]
    assert (str(u1["first_watch_date"])[:10], str(u1["last_watch_date"])[:10], u1["watch_days_90d"],
            Decimal(str(u1["watch_seconds_90d"])), u1["interactions_90d"]) == (
        "2025-03-01", "2025-03-04", 3, Decimal("6000"), before.loc["U1", "interactions_90d"] + 1)
    # U8: the 03-04 session makes the fan; the 03-01 comment and like count
    u8 = fans.loc["U8"]
    assert (str(u8["first_watch_date"])[:10], u8["watch_days_90d"], Decimal(str(u8["watch_seconds_90d"])),
            u8["interactions_90d"]) == ("2025-03-04", 1, Decimal("600"), 2)
    # U9: 03-01 (S0, 10 min) stored, plus 03-04 (S5, 30 min and a comment); S0's rows were not
    # written again (the one stamp of the first build), so the pair's only changed rows are S5's
    s0_stamps = query(incremental, "select count(distinct _loaded_at) from "
                                   "intermediate.int_stream_user_days_summarized where stream_id = 'S0'")
    assert s0_stamps.iloc[0, 0] == 1
    u9 = fans.loc["U9"]
    assert (str(u9["first_watch_date"])[:10], str(u9["last_watch_date"])[:10], u9["watch_days_90d"],
            Decimal(str(u9["watch_seconds_90d"])), u9["interactions_90d"]) == (
        "2025-03-01", "2025-03-04", 2, Decimal("2400"), 1)


def test_user_days_written_before_the_session_fingerprint_carry_on(tmp_path: Path) -> None:
    """A warehouse whose user days were written before `sessions_fingerprint` existed (the column
    dropped here) runs incrementally: the column is added (on_schema_change append_new_columns), the
    stored rows compare with a null there, and the marts equal a fresh build."""
    raw = _example_raw(tmp_path)
    incremental = tmp_path / "incremental.duckdb"
    _build_at(raw, incremental, "2025-03-03")
    con = duckdb.connect(str(incremental))
    con.execute("alter table intermediate.int_stream_user_days_summarized drop column sessions_fingerprint")
    con.close()
    _build_at(raw, incremental, "2025-03-04")
    columns = query(incremental, "select column_name from information_schema.columns "
                                 "where table_name = 'int_stream_user_days_summarized'")["column_name"].tolist()
    assert "sessions_fingerprint" in columns
    fresh = tmp_path / "fresh.duckdb"
    _build_at(raw, fresh, "2025-03-04")
    _assert_marts_equal(incremental, fresh)
