"""Models that read only the dates their rules can reach, through a date literal computed at run time
(a stored table's older row groups are then skipped unread): the literal must keep every date the rule
can use, at the rule's boundary, and none that a D moved back makes wrong.

- The activity summary at D reads the activity bank (int_user_activity_banked) only when the bank's
  date B is on or before D (macro activity_bank_readable_date): a bank built for a later D holds days
  after D, and the summary run alone after D moved back must read every daily row instead.
- The cart alert (int_user_alerts_triggered, cart_followup) reads the daily rows and purchases dated
  after D - (cart_followup_after_days + cart_followup_window_days) only (macro windows_start_date,
  summed): a latest cart date exactly after + window - 1 days back still fires.
- The category affinity (int_user_category_affinity_scored) reads the product actions dated after
  D - affinity_product_action_window_days only: an action exactly window - 1 days back still counts;
  likewise the stream user days (watch time) dated after D - affinity_watch_window_days.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from dbt_harness import EXAMPLES_RAW, SEED_AND_MODELS, build

# the worked examples at 2025-03-31: the bank date is the last day of the month before
# D - 90 days (2024-12-31), 2024-11-30
LATER_D, BANK_DATE, EARLIER_D = "2025-03-31", "2024-11-30", "2024-11-15"
# seed seg_thresholds: cart_followup_after_days 7, cart_followup_window_days 7 (the alert fires
# for a latest cart date 7 to 13 days back)
CART_AFTER_DAYS, CART_WINDOW_DAYS = 7, 7
# seed seg_thresholds: affinity_product_action_window_days 90, affinity_watch_window_days 90
ACTION_WINDOW_DAYS = WATCH_WINDOW_DAYS = 90


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("date_literals") / "literals.duckdb"
    full = build(EXAMPLES_RAW, db, as_of=LATER_D, extra_args=SEED_AND_MODELS)
    assert full.returncode == 0, full.stdout[-4000:]
    return db


def _compiled_at(db: Path, as_of: str, model: str, folder: str, dates: str = "int_as_of_date") -> str:
    """The models `dates` run at `as_of`, then `model` compiled at it (every other table left as it is)."""
    for command, select in (("run", dates), ("compile", model)):
        done = build(EXAMPLES_RAW, db, as_of=as_of, select=select, command=command)
        assert done.returncode == 0, done.stdout[-4000:]
    compiled = db.parent / "target" / "compiled" / "livetier" / "models" / folder
    return (compiled / f"{model}.sql").read_text()


def test_the_summary_reads_the_bank_only_up_to_d(built: Path) -> None:
    # at the bank's own D the summary reads the bank's buckets and only the daily rows after B
    at_later = _compiled_at(built, LATER_D, "int_user_activity_summarized", "intermediate")
    assert f"bank_date = cast('{BANK_DATE}' as date)" in at_later
    assert f"activity_date > cast('{BANK_DATE}' as date)" in at_later
    # D moved back before B: the bank (not rebuilt) holds days after D, so none of it is read
    at_earlier = _compiled_at(built, EARLIER_D, "int_user_activity_summarized", "intermediate")
    assert "bank_date = cast(" not in at_earlier, at_earlier
    assert f"activity_date > cast('{BANK_DATE}' as date)" not in at_earlier


def test_the_cart_alert_reads_the_dates_of_its_window_only(built: Path) -> None:
    con = duckdb.connect(str(built), read_only=True)
    try:
        # a user whose latest add_to_cart or favorite has no purchase paid on or after it
        user_id, last_cart = con.execute("""
            with last_carts as (
                select user_id, max(activity_date) as last_cart_date
                from intermediate.int_user_activity_daily
                where add_to_carts > 0 or favorites > 0
                group by user_id
            )
            select last_carts.user_id, last_carts.last_cart_date
            from last_carts
            where not exists (
                select 1 from intermediate.int_purchases_netted as purchases
                where purchases.user_id = last_carts.user_id and purchases.paid_date >= last_carts.last_cart_date
            )
            order by last_carts.user_id
            limit 1
        """).fetchone()
    finally:
        con.close()
    # D with that cart date at the far edge of the alert's window: after + window - 1 days back
    edge_days = CART_AFTER_DAYS + CART_WINDOW_DAYS - 1
    as_of = last_cart + timedelta(days=edge_days)
    compiled = _compiled_at(built, as_of.isoformat(), "int_user_alerts_triggered", "intermediate/operations",
                            dates="int_as_of_date int_as_of_dates")
    first_excluded = as_of - timedelta(days=edge_days + 1)
    assert f"where activity_date > cast('{first_excluded.isoformat()}' as date)" in compiled
    assert f"where paid_date > cast('{first_excluded.isoformat()}' as date)" in compiled
    con = duckdb.connect(str(built), read_only=True)
    try:
        fired = con.execute(
            f"select user_id, triggered_date, evidence_value from ({compiled}) where alert_code = 'cart_followup'"
        ).fetchall()
    finally:
        con.close()
    assert (user_id, last_cart + timedelta(days=CART_AFTER_DAYS), edge_days) in fired, fired


def test_the_category_affinity_reads_the_product_actions_of_its_window_only(built: Path) -> None:
    con = duckdb.connect(str(built), read_only=True)
    try:
        # the earliest product action of a product with a category
        user_id, category, first_day = con.execute("""
            select actions.user_id, products.category, actions.activity_date
            from intermediate.int_user_product_actions_daily as actions
            inner join staging.stg_live__products as products on actions.product_id = products.product_id
            where products.category is not null
            order by actions.activity_date, actions.user_id, products.category
            limit 1
        """).fetchone()
        # D with that day at the far edge of the window (window - 1 days back): the user's actions
        # in the category dated in [that day, D], counted here from the daily rows
        as_of = first_day + timedelta(days=ACTION_WINDOW_DAYS - 1)
        expected = con.execute(f"""
            select sum(actions.product_clicks), sum(actions.add_to_carts)
            from intermediate.int_user_product_actions_daily as actions
            inner join staging.stg_live__products as products on actions.product_id = products.product_id
            where
                actions.user_id = '{user_id}' and products.category = '{category}'
                and actions.activity_date between date '{first_day}' and date '{as_of}'
        """).fetchone()
    finally:
        con.close()
    compiled = _compiled_at(built, as_of.isoformat(), "int_user_category_affinity_scored", "intermediate")
    first_excluded = as_of - timedelta(days=ACTION_WINDOW_DAYS)
    assert f"where activity_date > cast('{first_excluded.isoformat()}' as date)" in compiled
    con = duckdb.connect(str(built), read_only=True)
    try:
        counted = con.execute(
            f"select product_clicks, add_to_carts from ({compiled}) "
            f"where user_id = '{user_id}' and category = '{category}'"
        ).fetchone()
    finally:
        con.close()
    assert counted == expected, (user_id, category, first_day, counted, expected)


def test_the_category_affinity_reads_the_watch_days_of_its_window_only(built: Path) -> None:
    con = duckdb.connect(str(built), read_only=True)
    try:
        # the earliest day with a session of a stream with a category
        user_id, category, first_day = con.execute("""
            select days.user_id, streams.category, days.activity_date
            from intermediate.int_stream_user_days_summarized as days
            inner join staging.stg_live__live_streams as streams on days.stream_id = streams.stream_id
            where streams.category is not null and days.room_enters > 0
            order by days.activity_date, days.user_id, streams.category
            limit 1
        """).fetchone()
        # D with that day at the far edge of the window: the user's watch time in the category
        # on the days in [that day, D] of streams started by D, from the day sums
        as_of = first_day + timedelta(days=WATCH_WINDOW_DAYS - 1)
        expected, later_streams = con.execute(f"""
            select
                sum(days.watch_microseconds) filter (where streams.started_date <= date '{as_of}'),
                count(*) filter (where streams.started_date > date '{as_of}')
            from intermediate.int_stream_user_days_summarized as days
            inner join staging.stg_live__live_streams as streams on days.stream_id = streams.stream_id
            where
                days.user_id = '{user_id}' and streams.category = '{category}' and days.room_enters > 0
                and days.activity_date between date '{first_day}' and date '{as_of}'
        """).fetchone()
    finally:
        con.close()
    assert later_streams == 0, "the example's sessions all begin in streams already started"
    compiled = _compiled_at(built, as_of.isoformat(), "int_user_category_affinity_scored", "intermediate")
    first_excluded = as_of - timedelta(days=WATCH_WINDOW_DAYS)
    assert f"and activity_date > cast('{first_excluded.isoformat()}' as date)" in compiled
    con = duckdb.connect(str(built), read_only=True)
    try:
        counted = con.execute(
            f"select watch_seconds from ({compiled}) where user_id = '{user_id}' and category = '{category}'"
        ).fetchone()
    finally:
        con.close()
    assert counted is not None and counted[0] * 1_000_000 == expected, (user_id, category, first_day, counted, expected)
