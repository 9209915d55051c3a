"""Tier history: the row at period end P equals what user_tiers (and user_facts) give when the
project is built with as_of_date = P, for every family; a Sunday, a month end (monthly history)
and a campaign eve (a date that is neither, read from the as-of chain the readout uses).

One build with D = the data's last day gives the history; then one build per P (only the
models user_tiers and user_facts need) gives the reference. Tiny generated data (1,500 users,
150 days: the 90-day windows, refunds and comebacks all occur).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from dbt_harness import SEED_AND_MODELS, build, query

from livetier.generator import generate

D = "2025-06-30"
CLOCK = "2025-07-05T00:00:00"
TIER_COLUMNS = ["value_tier", "lifecycle_stage", "spend_tier", "rfm_segment"]
# history extras that user_facts computes on its own path (a second, independent check)
FACT_COLUMNS = ["days_since_first_seen", "days_since_last_active", "watch_days_30d", "watch_days_90d",
                "interactions_30d", "interactions_90d", "purchases_365d", "net_gmv_365d", "lifetime_purchases"]
WEEKLY_P = ["2025-06-01"]  # a Sunday
MONTHLY_P = ["2025-04-30"]  # a month end that is not a Sunday


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("history_raw")
    generate(out=out, users=1500, days=150, seed=11, end_date=D, progress=False)
    return out


@pytest.fixture(scope="module")
def history_db(raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("history_full") / "full.duckdb"
    # the whole project with its data tests (conservation of the transition matrix included)
    result = build(raw, db, as_of=D, clock=CLOCK, command="build", extra_args=["--exclude", "test_type:unit"])
    assert result.returncode == 0, result.stdout[-5000:]
    return db


def _reference(raw: Path, as_of: str, tmp_path: Path) -> pd.DataFrame:
    db = tmp_path / f"as_of_{as_of}.duckdb"
    result = build(raw, db, as_of=as_of, clock=CLOCK, command="build", select="+user_tiers +user_facts",
                   extra_args=SEED_AND_MODELS)
    assert result.returncode == 0, result.stdout[-5000:]
    frame = query(db, "select tiers.user_id, " + ", ".join(f"tiers.{c}" for c in TIER_COLUMNS) + ", "
                  + ", ".join(f"facts.{c}" for c in FACT_COLUMNS)
                  + " from user_tiers as tiers inner join user_facts as facts on tiers.user_id = facts.user_id")
    return frame.sort_values("user_id").reset_index(drop=True)


def _history_at(db: Path, period_end: str) -> pd.DataFrame:
    frame = query(db, "select user_id, " + ", ".join(TIER_COLUMNS + FACT_COLUMNS)
                  + f" from user_tier_history where period_end = date '{period_end}'")
    return frame.sort_values("user_id").reset_index(drop=True)


def _chain_at(db: Path, as_of: str) -> pd.DataFrame:
    frame = query(db, "select user_id, " + ", ".join(TIER_COLUMNS + FACT_COLUMNS)
                  + f" from int_user_tiers_assigned where as_of_date = date '{as_of}'")
    return frame.sort_values("user_id").reset_index(drop=True)


def _assert_same(history: pd.DataFrame, reference: pd.DataFrame, period_end: str) -> None:
    assert len(reference) > 1000, "too few users for a meaningful check"
    assert list(history.user_id) == list(reference.user_id), f"{period_end}: the users known differ"
    for column in TIER_COLUMNS + FACT_COLUMNS:
        left = history[column].astype(object).where(history[column].notna(), None)
        right = reference[column].astype(object).where(reference[column].notna(), None)
        bad = [(u, a, b) for u, a, b in zip(history.user_id, left, right, strict=True) if a != b]
        assert not bad, f"{period_end}.{column}: {len(bad)} users differ, e.g. {bad[:5]}"


@pytest.mark.parametrize("period_end", WEEKLY_P)
def test_weekly_history_row_equals_a_build_as_of_that_date(history_db: Path, raw: Path, tmp_path: Path,
                                                           period_end: str) -> None:
    _assert_same(_history_at(history_db, period_end), _reference(raw, period_end, tmp_path), period_end)


def test_campaign_eve_equals_a_build_as_of_that_date(history_db: Path, raw: Path, tmp_path: Path) -> None:
    eves = query(history_db, "select as_of_date from int_as_of_dates where is_campaign_eve and not is_period_end "
                             "and not is_as_of_date order by 1")
    assert len(eves) > 0
    eve = str(eves.as_of_date.iloc[0])[:10]
    _assert_same(_chain_at(history_db, eve), _reference(raw, eve, tmp_path), eve)


def test_last_history_row_is_user_tiers(history_db: Path) -> None:
    diff = query(history_db, """
        select count(*) as n from (
            (select user_id, value_tier, lifecycle_stage, spend_tier, rfm_segment
             from user_tier_history where period_end = date '""" + D + """'
             except all
             select user_id, value_tier, lifecycle_stage, spend_tier, rfm_segment from user_tiers)
            union all
            (select user_id, value_tier, lifecycle_stage, spend_tier, rfm_segment from user_tiers
             except all
             select user_id, value_tier, lifecycle_stage, spend_tier, rfm_segment
             from user_tier_history where period_end = date '""" + D + """')
        )""")
    assert int(diff.n[0]) == 0


def test_history_periods_are_sundays_and_d(history_db: Path) -> None:
    ends = query(history_db, "select distinct period_end from user_tier_history order by 1").period_end
    days = pd.to_datetime(ends)
    assert all(d.day_of_week == 6 for d in days[:-1]) and str(days.iloc[-1].date()) == D
    assert (days.diff().dropna() <= pd.Timedelta(days=7)).all()


def test_monthly_history_row_equals_a_build_as_of_that_date(history_db: Path, raw: Path, tmp_path: Path) -> None:
    # rebuild only the as-of chain with month ends in the same database, then compare
    result = build(raw, history_db, as_of=D, clock=CLOCK, command="run", select="int_as_of_dates+",
                   extra_args=["--vars", "{history_period: month}"])
    assert result.returncode == 0, result.stdout[-5000:]
    ends = [str(d)[:10] for d in query(history_db, "select distinct period_end from user_tier_history").period_end]
    assert "2025-04-30" in ends and "2025-06-01" not in ends
    for period_end in MONTHLY_P:
        _assert_same(_history_at(history_db, period_end), _reference(raw, period_end, tmp_path), period_end)
