"""The activity summary at D reads the activity bank (int_user_activity_banked) only when the bank's
date B is on or before D (macro activity_bank_readable_date): a bank built for a later D holds days
after D, and the summary run alone after D moved back must read every daily row instead."""
from __future__ import annotations

from pathlib import Path

from dbt_harness import EXAMPLES_RAW, SEED_AND_MODELS, build

# the worked examples at 2025-03-31: the bank date is the last day of the month before
# D - 90 days (2024-12-31), 2024-11-30
LATER_D, BANK_DATE, EARLIER_D = "2025-03-31", "2024-11-30", "2024-11-15"


def _compiled_summary(db: Path, as_of: str) -> str:
    """int_as_of_date run at `as_of`, then the summary compiled at it (the bank left as it is)."""
    for command, select in (("run", "int_as_of_date"), ("compile", "int_user_activity_summarized")):
        done = build(EXAMPLES_RAW, db, as_of=as_of, select=select, command=command)
        assert done.returncode == 0, done.stdout[-4000:]
    compiled = db.parent / "target" / "compiled" / "livetier" / "models" / "intermediate"
    return (compiled / "int_user_activity_summarized.sql").read_text()


def test_the_summary_reads_the_bank_only_up_to_d(tmp_path: Path) -> None:
    db = tmp_path / "bank.duckdb"
    full = build(EXAMPLES_RAW, db, as_of=LATER_D, extra_args=SEED_AND_MODELS)
    assert full.returncode == 0, full.stdout[-4000:]
    # at the bank's own D the summary reads the bank's buckets and only the daily rows after B
    at_later = _compiled_summary(db, LATER_D)
    assert f"bank_date = cast('{BANK_DATE}' as date)" in at_later
    assert f"activity_date > cast('{BANK_DATE}' as date)" in at_later
    # D moved back before B: the bank (not rebuilt) holds days after D, so none of it is read
    at_earlier = _compiled_summary(db, EARLIER_D)
    assert "bank_date = cast(" not in at_earlier, at_earlier
    assert f"activity_date > cast('{BANK_DATE}' as date)" not in at_earlier
