"""The worked examples (20 hand-made users): every fact, BTYD column, RFM score and tier, and the ledger."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from dbt_harness import EXAMPLES, EXAMPLES_RAW, build, expected_ledger, ledger, query

TIER_COLUMNS = ["rfm_segment", "value_tier", "lifecycle_stage", "spend_tier"]
RFM_COLUMNS = ["r_score", "f_score", "m_score", "rfm_cell"]


@pytest.fixture(scope="module")
def examples_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("examples") / "examples.duckdb"
    result = build(EXAMPLES_RAW, db, as_of="2025-03-31", command="build")
    assert result.returncode == 0, result.stdout[-5000:]
    return db


def _actual(db: Path) -> pd.DataFrame:
    expected_columns = list(pd.read_csv(EXAMPLES / "expected_users.csv", nrows=0).columns)
    fact_columns = [c for c in expected_columns if c not in TIER_COLUMNS + RFM_COLUMNS]
    facts = query(db, "select " + ", ".join(f'facts."{c}"' for c in fact_columns)
                  + ", " + ", ".join(f"rfm.{c}" for c in RFM_COLUMNS)
                  + ", " + ", ".join(f"tiers.{c}" for c in TIER_COLUMNS)
                  + """ from user_facts as facts
                       left join user_rfm as rfm on facts.user_id = rfm.user_id
                       left join user_tiers as tiers on facts.user_id = tiers.user_id
                       order by facts.user_id""")
    return facts[expected_columns]


def _same(expected: str, actual: object) -> bool:
    if expected == "" or actual is None:
        return expected == "" and actual is None
    try:
        return abs(float(expected) - float(actual)) < 5e-7
    except (TypeError, ValueError):
        return expected == str(actual)


def test_expected_users_match_exactly(examples_db: Path) -> None:
    expected = pd.read_csv(EXAMPLES / "expected_users.csv", dtype=str, keep_default_na=False)
    actual = _actual(examples_db)
    assert list(actual.user_id) == list(expected.user_id), "the set of users known by D differs"
    mismatches = []
    for (_, exp_row), (_, act_row) in zip(expected.iterrows(), actual.iterrows(), strict=True):
        for column in expected.columns:
            value = act_row[column]
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                value = None
            elif hasattr(value, "isoformat") and not isinstance(value, pd.Timestamp):
                value = value.isoformat()
            elif isinstance(value, pd.Timestamp):
                value = value.date().isoformat()
            if not _same(exp_row[column], value):
                mismatches.append(f"{exp_row.user_id}.{column}: expected {exp_row[column]!r}, got {value!r}")
    assert not mismatches, "\n".join(mismatches)


def test_examples_ledger(examples_db: Path) -> None:
    assert ledger(examples_db) == expected_ledger()


def test_default_as_of_date_is_latest_kept_order_or_event(tmp_path: Path) -> None:
    db = tmp_path / "default.duckdb"
    result = build(EXAMPLES_RAW, db, command="build", select="+user_tiers",
                   extra_args=["--indirect-selection", "cautious"])
    assert result.returncode == 0, result.stdout[-5000:]
    as_of = query(db, "select distinct as_of_date from user_tiers")
    assert [str(v)[:10] for v in as_of.as_of_date] == ["2025-04-05"]


def test_the_activity_windows_read_only_the_dates_of_the_longest_window(examples_db: Path) -> None:
    # int_user_activity_summarized filters its windowed sums with a literal (macro
    # windows_start_date) so that older row groups are skipped; the windows are dates in
    # (D-N, D], the longest of them 90 days (window_90d_days): the filter keeps exactly those
    result = build(EXAMPLES_RAW, examples_db, as_of="2025-03-31", command="compile",
                   select="int_user_activity_summarized")
    assert result.returncode == 0, result.stdout[-5000:]
    compiled = next((examples_db.parent / "target" / "compiled").rglob("int_user_activity_summarized.sql"))
    first_excluded = date(2025, 3, 31) - timedelta(days=90)
    assert f"where activity_date > cast('{first_excluded.isoformat()}' as date)" in compiled.read_text()
