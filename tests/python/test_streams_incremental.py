"""The stream review built incrementally equals a full build when late data changes old streams: the
spec's worked example (tests/stream_review_example) built as of 2025-03-03, then, at the same D,
- a stream S3 whose only row was an order gets that order refunded in full (its rows vanish);
- S2's end arrives (U4's session now ends at the stream's end, 12:00, not at the 240-minute cap);
- a late enter_room of U3 in S0 on 03-01 (U3's first session ever moves from S1 to S0).
The incremental run must give every stream mart row for row as a fresh build, and the hand-derived
numbers below."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pandas as pd
from dbt_harness import build, query

from livetier import PROJECT_ROOT

EXAMPLE = PROJECT_ROOT / "tests" / "stream_review_example" / "raw"
SELECT = "quality_bounds +stream_kpis +stream_minute_kpis +anchor_fans"
MARTS = {"stream_kpis": "stream_id", "stream_minute_kpis": "stream_id, minute_index",
         "anchor_fans": "anchor_id, user_id"}
STREAM_S3 = "S3,A2,food,2025-03-02T10:00:00+08:00,2025-03-02T11:00:00+08:00\n"
ORDER_O3 = "O3,U5,2025-03-02T10:29:00+08:00,2025-03-02T10:30:00+08:00,paid,40.00,,,S3,CNY\n"


def _build(raw: Path, db: Path) -> str:
    result = build(raw, db, as_of="2025-03-03", select=SELECT, extra_args=["--indirect-selection", "cautious"])
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    return result.stdout


def _append(path: Path, text: str) -> None:
    with path.open("a") as handle:
        handle.write(text)


def test_late_changes_to_old_streams_equal_a_full_build(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    (raw / "events").mkdir(parents=True)
    for name in ("live_streams.csv", "orders.csv", "refunds.csv"):
        shutil.copy(EXAMPLE / name, raw / name)
    shutil.copy(EXAMPLE / "events.csv", raw / "events" / "day-1.csv")
    _append(raw / "live_streams.csv", STREAM_S3)
    _append(raw / "orders.csv", ORDER_O3)
    incremental = tmp_path / "incremental.duckdb"
    _build(raw, incremental)
    assert query(incremental, "select orders from stream_kpis where stream_id = 'S3'").iloc[0, 0] == 1
    assert len(query(incremental, "select * from anchor_fans where user_id = 'U5'")) == 1

    _append(raw / "refunds.csv", "R3,O3,2025-03-03T09:00:00+08:00,40.00\n")
    streams = (raw / "live_streams.csv").read_text().replace(
        "S2,A2,food,2025-03-03T08:00:00+08:00,", "S2,A2,food,2025-03-03T08:00:00+08:00,2025-03-03T12:00:00+08:00")
    (raw / "live_streams.csv").write_text(streams)
    (raw / "events" / "day-2.csv").write_text(
        "event_id,user_id,event_type,event_at,stream_id,product_id,value,text\n"
        "late1,U3,enter_room,2025-03-01T20:10:00+08:00,S0,,,\n"
        "late2,U3,leave_room,2025-03-01T20:40:00+08:00,S0,,,\n")
    assert "Rebuilding the warehouse in full" not in _build(raw, incremental)
    fresh = tmp_path / "fresh.duckdb"
    _build(raw, fresh)

    for mart, order in MARTS.items():
        left = query(incremental, f"select * from {mart} order by {order}")
        right = query(fresh, f"select * from {mart} order by {order}")
        pd.testing.assert_frame_equal(left, right, obj=mart)

    kpis = query(incremental, "select * from stream_kpis order by stream_id").set_index("stream_id")
    # S3: its only order refunded in full by D: no purchase left
    assert (kpis.loc["S3", "orders"], Decimal(str(kpis.loc["S3", "net_gmv"]))) == (0, Decimal("0.00"))
    assert len(query(incremental, "select * from anchor_fans where user_id = 'U5'")) == 0
    # S2 ended at 12:00: U4's session [08:30, 12:00) is 12600 s
    assert Decimal(str(kpis.loc["S2", "watch_seconds"])) == Decimal("12600")
    # U3's first session is now in S0 (with U1's): S1 keeps U2 only as new
    assert (kpis.loc["S0", "new_viewers"], kpis.loc["S0", "viewers"]) == (2, 2)
    assert (kpis.loc["S1", "new_viewers"], kpis.loc["S1", "returning_viewers"]) == (1, 2)
