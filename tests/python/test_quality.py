"""The GX checkpoint (livetier.quality) on hand-made marts: passes when clean, names each planted fault."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from livetier.quality import main, run_checkpoint

AS_OF = pd.Timestamp("2025-03-31")
SEGMENTS = [f"{a}_{b}" for a in ("important", "general") for b in ("value", "develop", "retain", "winback")]
# Per ten users, so that every share is well inside seeds/tier_mix_bounds.csv.
VALUE = ["core_fan", "potential", "potential", "new_visitor", "new_visitor", "regular", "regular", "regular",
         "casual", "casual"]
LIFECYCLE = ["new", "new", "reactivated", "active", "active", "active", "silent", "silent", "churned", "churned"]


def make_marts(n: int = 40) -> dict[str, pd.DataFrame]:
    """Marts shaped like the public contract; every even user is a buyer. Deterministic."""
    i = np.arange(n)
    ids = [f"u{k:06d}" for k in i]
    buyer = i % 2 == 0
    first_seen = AS_OF - pd.to_timedelta(20 + i % 300, unit="D")
    first_buy = pd.Series(first_seen + pd.to_timedelta(5, unit="D")).where(buyer)
    last_buy = pd.Series(first_buy + pd.to_timedelta(i % 7, unit="D")).where(buyer)
    w7, w30, w90 = i % 4, i % 4 + i % 9, i % 4 + i % 9 + i % 11
    p30, p90, p365 = (buyer * (i % 2 + k) for k in (0, 1, 2))
    facts = pd.DataFrame({
        "user_id": ids,
        "first_seen_date": first_seen, "days_since_first_seen": (AS_OF - first_seen).days,
        "last_active_date": first_seen + pd.to_timedelta(i % 10, unit="D"),
        "days_since_last_active": (AS_OF - first_seen).days - i % 10,
        "watch_days_7d": w7, "watch_days_30d": w30, "watch_days_90d": w90,
        "watch_seconds_7d": w7 * 600, "watch_seconds_30d": w30 * 600, "watch_seconds_90d": w90 * 600,
        "interactions_30d": i % 5, "interactions_90d": i % 5 + i % 3,
        "purchases_30d": p30, "purchases_90d": p90, "purchases_365d": p365,
        "net_gmv_30d": p30 * 99.5, "net_gmv_90d": p90 * 99.5, "net_gmv_365d": p365 * 99.5,
        "lifetime_purchases": p365 + buyer, "lifetime_net_gmv": (p365 + buyer) * 99.5,
        "first_purchase_date": first_buy, "last_purchase_date": last_buy,
        "recency_days": (AS_OF - last_buy).dt.days.astype("Int32"),
        "frequency": pd.Series(i % 3).where(buyer).astype("Int32"),
        "recency": pd.Series(i % 7).where(buyer).astype("Int32"),
        "T": (AS_OF - first_buy).dt.days.astype("Int32"),
        "monetary_value": pd.Series((i % 3 > 0) * 99.5).where(buyer),
        "as_of_date": AS_OF,
    })
    spend = np.where(buyer, np.array(["high", "mid", "mid", "low", "low"])[i // 2 % 5], "none")
    segment = np.where(buyer, np.array(SEGMENTS)[i // 2 % 8], "non_buyer")
    tiers = pd.DataFrame({
        "user_id": ids, "value_tier": np.array(VALUE)[i % 10], "lifecycle_stage": np.array(LIFECYCLE)[i % 10],
        "spend_tier": spend, "rfm_segment": segment, "as_of_date": AS_OF,
    })
    b = i[buyer]
    scores = [(b // 2 + k) % 5 + 1 for k in (0, 1, 2)]
    rfm = pd.DataFrame({
        "user_id": [ids[k] for k in b], "recency_days": facts["recency_days"][buyer].to_numpy(),
        "f_value": p365[buyer], "m_value": p365[buyer] * 99.5,
        "r_score": scores[0], "f_score": scores[1], "m_score": scores[2],
        "rfm_cell": [f"{r}{f}{m}" for r, f, m in zip(*scores, strict=True)],
        "rfm_segment": segment[buyer],
    })
    tags = pd.DataFrame({"user_id": ids, "is_high_interactor": i % 5 == 4, "is_cart_abandoner": i % 7 == 0})
    return {"user_facts": facts, "user_rfm": rfm, "user_tiers": tiers, "user_tags": tags}


def write_db(path: Path, frames: dict[str, pd.DataFrame]) -> Path:
    with duckdb.connect(str(path)) as con:
        for name, frame in frames.items():
            con.register("frame", frame)
            con.execute(f"create table {name} as select * from frame")
            con.unregister("frame")
    return path


def _run(tmp_path: Path, frames: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = run_checkpoint(write_db(tmp_path / "w.duckdb", frames), docs_dir=tmp_path / "docs")
    return code, capsys.readouterr().out


def test_clean_marts_pass_and_write_data_docs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(tmp_path, make_marts(), capsys)
    assert code == 0, out
    assert "FAIL" not in out and "GX checkpoint PASSED" in out
    for suite in ("user_facts", "user_rfm", "user_tiers", "user_tags", "user_tiers_mix"):
        assert f"{suite}: " in out
    assert "user_tiers_mix: 23/23 expectations passed" in out  # every bound of seeds/tier_mix_bounds.csv
    index = tmp_path / "docs" / "index.html"
    assert index.is_file() and "user_tiers_mix" in index.read_text(encoding="utf-8")


def _set(mart: str, column: str, row: int, value: object) -> Callable[[dict[str, pd.DataFrame]], None]:
    def corrupt(frames: dict[str, pd.DataFrame]) -> None:
        frames[mart].loc[row, column] = value
    return corrupt


def _too_many_core_fans(frames: dict[str, pd.DataFrame]) -> None:
    tiers = frames["user_tiers"]
    tiers.loc[tiers["value_tier"] == "casual", "value_tier"] = "core_fan"  # 10% -> 30%, bound 20%


# The brief's five faults, one run each.
FAULTS = {
    "duplicate user_id": (_set("user_tiers", "user_id", 1, "u000000"),
                          "user_tiers.user_id: expect_column_values_to_be_unique failed: 2 unexpected values"),
    "unknown tier": (_set("user_tiers", "value_tier", 3, "vip"),
                     "user_tiers.value_tier: expect_column_values_to_be_in_set failed: 1 unexpected values ['vip']"),
    "r_score 6": (_set("user_rfm", "r_score", 2, 6),
                  "user_rfm.r_score: expect_column_values_to_be_in_set failed: 1 unexpected values [6]"),
    "last purchase before first": (
        _set("user_facts", "last_purchase_date", 4, pd.Timestamp("2020-01-01")),
        "user_facts.last_purchase_date>=first_purchase_date: expect_column_pair_values_a_to_be_greater_than_b "
        "failed: 1 unexpected values [(2020-01-01, 2025-03-12)]"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_fails_and_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str], fault: str) -> None:
    corrupt, message = FAULTS[fault]
    frames = make_marts()
    corrupt(frames)
    code, out = _run(tmp_path, frames, capsys)
    assert code == 1, out
    assert message in out, out
    assert "GX checkpoint FAILED (1 failed)" in out, out  # only the planted fault


@pytest.mark.parametrize("strict", [False, True])
def test_tier_share_above_bound_warns_with_bound_and_excess(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], strict: bool
) -> None:
    """A distribution check warns (exit 0) naming bound and excess; only strict makes it fail."""
    frames = make_marts()
    _too_many_core_fans(frames)
    write_db(tmp_path / "w.duckdb", frames)
    code = run_checkpoint(tmp_path / "w.duckdb", tmp_path / "docs", strict=strict)
    out = capsys.readouterr().out
    assert code == (1 if strict else 0), out
    assert ("WARN user_tiers_mix.value_tier=core_fan: share 0.3 is above the bound 0.2 by 0.1 "
            "(seeds/tier_mix_bounds.csv)") in out, out
    assert "FAIL" not in out, out
    assert "GX checkpoint PASSED with 1 distribution warnings" in out, out


def test_independent_faults_are_each_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Five more faults in one run (each GX run costs seconds); each must give exactly its own line."""
    frames = make_marts()
    _set("user_rfm", "rfm_cell", 0, "1234")(frames)
    _set("user_facts", "watch_days_7d", 9, 7)(frames)
    frames["user_facts"] = frames["user_facts"].iloc[1:]
    frames["user_tiers"] = frames["user_tiers"].drop(columns="value_tier")
    frames["tier_mix_bounds"] = pd.DataFrame({  # the database seed wins over the CSV
        "family": ["lifecycle_stage"], "tier_code": ["new"], "min_share": [0.0], "max_share": [0.1],
        "comment": ["stricter than the CSV seed"],
    })
    code, out = _run(tmp_path, frames, capsys)
    assert code == 1, out
    for message in [
        "user_rfm.rfm_cell: expect_column_values_to_match_regex failed: 1 unexpected values ['1234']",
        "user_facts.watch_days_30d>=watch_days_7d: expect_column_pair_values_a_to_be_greater_than_b failed: "
        "1 unexpected values [(1, 7)]",
        "user_facts: expect_table_row_count_to_equal failed: observed 39, expected 40 (rows in user_tiers)",
        "user_tiers.value_tier: required column missing (2 expectations not run)",
        "WARN user_tiers_mix.lifecycle_stage=new: share 0.2 is above the bound 0.1 by 0.1",
        "user_tiers_mix: 0/1 expectations passed",
        "GX checkpoint FAILED (4 failed) and 1 distribution warnings",
    ]:
        assert message in out, out


def test_missing_marts_and_optional_columns_are_skipped_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frames = make_marts()
    del frames["user_tags"]
    frames["user_facts"] = frames["user_facts"].drop(columns=["watch_seconds_90d", "T"])
    code, out = _run(tmp_path, frames, capsys)
    assert code == 0, out
    assert "note: user_tags not in the database; its suite skipped" in out
    assert "note: user_facts has no column watch_seconds_90d; skipped" in out
    assert "note: user_facts has no column T; skipped expect_column_pair_values_a_to_be_greater_than_b" in out


def test_cli_on_a_missing_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(tmp_path / "nope.duckdb"), "--docs-dir", str(tmp_path / "docs")]) == 1
    assert "no DuckDB database" in capsys.readouterr().out
