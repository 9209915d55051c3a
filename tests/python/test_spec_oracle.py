"""The public marts against an independent oracle of the specs (package `spec_oracle`).

The oracle recomputes the marts in pandas from the raw files and the thresholds seed alone, following
raw_contract.md, segmentation.md and stream_review.md. First it must reproduce the worked examples
(expected_users.csv; the stream review's expected marts); then, on generated data (dirty, CSV files)
built with dbt, user_facts, user_rfm, user_tiers, user_tier_history, tier_transitions, stream_kpis,
stream_minute_kpis, anchor_fans, tier_kpis, tier_transition_matrix and campaign_tier_readout must
equal the oracle's, row by row and column by column: exactly, quotients within 1e-6 relative
(stream_review.md: at least one unit in the 6th place). A change of the SQL that departs from the
specs fails here with the mart, column, count and example keys. The data_quality_ledger must count
the oracle's outcomes per raw table, outcome and class of bad input (raw_contract.md fixes the classes
and counts, not the reason codes), the worked examples' expected_ledger.csv included, and rows read
(counted apart from both readers) = kept + set aside + duplicates for every table. The history and
transitions are compared with month ends too (the var history_period: month), and the facts, history
and stream KPIs in a business time zone with summer time (the var business_timezone).
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dbt_harness import EXAMPLES, EXAMPLES_RAW, PINNED_CLOCK, SEED_AND_MODELS, STAGING_SELECT, build
from spec_oracle import raw, readouts, segmentation, streams

from livetier import PROJECT_ROOT
from livetier.generator import generate
from livetier.publish import set_search_path

STREAM_EXAMPLE = PROJECT_ROOT / "tests" / "stream_review_example"  # the spec's examples/streams
END = "2025-06-30"
CLOCK = "2025-07-01T00:00:00"  # the generated data ends on END: a later build clock
MARTS = ["user_facts", "user_rfm", "user_tiers", "user_tier_history", "tier_transitions", "stream_kpis",
         "stream_minute_kpis", "anchor_fans", "tier_kpis", "tier_transition_matrix", "campaign_tier_readout"]
SELECT = " ".join(f"+{mart}" for mart in [*MARTS, "data_quality_ledger"])

FACTS = ["first_seen_date", "days_since_first_seen", "last_active_date", "days_since_last_active",
         "watch_days_7d", "watch_days_30d", "watch_days_90d", "watch_seconds_7d", "watch_seconds_30d",
         "watch_seconds_90d", "interactions_7d", "interactions_30d", "interactions_90d", "purchases_30d",
         "purchases_90d", "purchases_365d", "net_gmv_30d", "net_gmv_90d", "net_gmv_365d", "lifetime_purchases",
         "lifetime_net_gmv", "first_purchase_date", "last_purchase_date", "recency_days",
         "avg_days_between_purchases", "aov_365d", "top_category_365d", "frequency", "recency", "T",
         "monetary_value", "last_comeback_date", "as_of_date"]
RFM = ["recency_days", "f_value", "m_value", "r_score", "f_score", "m_score", "rfm_cell", "rfm_segment",
       "r_cume_count", "f_cume_count", "m_cume_count", "buyer_count", "m_cume_dist", "is_r_high", "is_f_high",
       "is_m_high", "as_of_date"]
TIERS = ["value_tier", "lifecycle_stage", "spend_tier", "rfm_segment", "as_of_date"]
# the history row at P is the tiers (and these facts) as of P
HISTORY = [*segmentation.FAMILIES, "rfm_cell", "days_since_first_seen", "days_since_last_active", "watch_days_30d",
           "watch_days_90d", "interactions_30d", "interactions_90d", "purchases_365d", "net_gmv_365d",
           "lifetime_purchases"]
KEYS = {"user_facts": ["user_id"], "user_rfm": ["user_id"], "user_tiers": ["user_id"],
        "user_tier_history": ["user_id", "period_end"], "tier_transitions": ["user_id", "period_end", "tier_family"],
        "stream_kpis": ["stream_id"], "stream_minute_kpis": ["stream_id", "minute_index"],
        "anchor_fans": ["anchor_id", "user_id"], "tier_kpis": ["period_end", "tier_family", "tier_code"],
        "tier_transition_matrix": ["period_end", "tier_family", "from_tier", "to_tier"],
        "campaign_tier_readout": ["campaign_id", "tier_family", "tier_code"],
        "data_quality_ledger": ["raw_table", "outcome", "reason_class"]}
# exact rationals rounded to 6 places: compared within 1e-6 relative, so an engine's tie rule does not matter
QUOTIENTS = {"avg_days_between_purchases", "aov_365d", "monetary_value", "m_cume_dist", "duration_minutes",
             "avg_watch_seconds_per_viewer", "interaction_rate", "click_through_rate", "conversion_rate", "gpm",
             "share_of_users", "gmv_share", "retention_next_period", "moved_up_share", "moved_down_share",
             "transition_rate", "treatment_net_gmv_per_user", "control_net_gmv_per_user"}
# doubles (the campaign readout's rates, uplifts, standard errors and intervals; computed exactly, then
# sqrt, in the oracle): within 1e-6 relative with no 6th-place floor, so that a standard error of 0.09 that
# is 1e-5 off fails
DOUBLES = {"treatment_open_rate", "treatment_conversion_rate", "control_conversion_rate", "absolute_uplift",
           "uplift_standard_error", "uplift_ci_low", "uplift_ci_high", "relative_uplift", "gmv_per_user_uplift",
           "gmv_per_user_uplift_standard_error", "gmv_per_user_uplift_ci_low", "gmv_per_user_uplift_ci_high"}
# the readouts: the oracle writes every column of the mart (its YAML's), and all are compared
READOUTS = ["tier_kpis", "tier_transition_matrix", "campaign_tier_readout"]
# the project's reason codes (data_quality_ledger's YAML, README "Bad input") in the contract's classes;
# a code not listed here fails the ledger's test
PROJECT_REASONS = {"missing_key": "missing", "missing_user_id": "missing", "missing_value": "missing",
                   "unparseable": "unparseable", "unknown_status": "unknown_value",
                   "unknown_currency": "unknown_value", "unknown_event_type": "unknown_value",
                   "unknown_channel": "unknown_value", "negative_amount": "out_of_range",
                   "negative_quantity": "out_of_range", "out_of_range": "out_of_range",
                   "future_timestamp": "future_timestamp", "refund_exceeds_order": "refund_overflow",
                   "duplicate": "duplicate"}
NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
EXAMPLES_SHOWN = 3


def _canonical(value: object) -> object:
    """One form for a value from the oracle, a mart or an expected CSV: None, bool, Decimal or text;
    instants as microseconds since the epoch (UTC), dates as YYYY-MM-DD."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, float):  # a double, also one that prints with an exponent
        return Decimal(repr(value))
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if hasattr(value, "item"):  # a numpy scalar
        return _canonical(value.item())
    text = str(value)
    if text == "":
        return None  # the examples' CSV writes null as empty
    if NUMBER.fullmatch(text):
        return Decimal(text)
    if len(text) > 10 and text[10] in "T ":
        instant = raw.parse_timestamp(text)
        if instant is not None:
            return Decimal(int((instant - pd.Timestamp("1970-01-01")) // pd.Timedelta(microseconds=1)))
    return text


def _same(column: str, want: object, got: object) -> bool:
    if want is None or got is None or not isinstance(want, Decimal) or not isinstance(got, Decimal):
        return want == got
    if column in QUOTIENTS:
        return abs(want - got) <= max(Decimal("1e-6"), abs(want) * Decimal("1e-6"))
    if column in DOUBLES:
        return abs(want - got) <= max(Decimal("1e-12"), abs(want) * Decimal("1e-6"))
    return want == got


def _shown(key: tuple) -> str:
    return "(" + ", ".join(str(part) for part in key) + ")"


def differences(mart: str, oracle: pd.DataFrame, actual: pd.DataFrame, columns: list[str],
                sides: tuple[str, str] = ("oracle", "mart")) -> list[str]:
    """Every way `actual` departs from `oracle` on the mart's key: rows only on one side, then per column the
    number of rows that differ and a few example keys with both values (`sides` names the two frames)."""
    keys = KEYS[mart]
    want = {tuple(_canonical(v) for v in row[:len(keys)]): row[len(keys):]
            for row in oracle[keys + columns].itertuples(index=False)}
    got = {tuple(_canonical(v) for v in row[:len(keys)]): row[len(keys):]
           for row in actual[keys + columns].itertuples(index=False)}
    found = []
    for side, extra in ((sides[0], want.keys() - got.keys()), (sides[1], got.keys() - want.keys())):
        if extra:
            shown = ", ".join(_shown(key) for key in sorted(extra, key=str)[:EXAMPLES_SHOWN])
            found.append(f"{mart}: {len(extra)} rows ({', '.join(keys)}) only in the {side}, e.g. {shown}")
    shared = sorted(want.keys() & got.keys(), key=str)
    for position, column in enumerate(columns):
        wrong = [(key, _canonical(want[key][position]), _canonical(got[key][position])) for key in shared]
        wrong = [(key, a, b) for key, a, b in wrong if not _same(column, a, b)]
        if wrong:
            shown = "; ".join(f"{_shown(key)}: {sides[0]} {a}, {sides[1]} {b}" for key, a, b in wrong[:EXAMPLES_SHOWN])
            found.append(f"{mart}.{column}: {len(wrong)} of {len(shared)} rows differ, e.g. {shown}")
    return found


def _mart(db: Path, mart: str) -> pd.DataFrame:
    """A mart's rows as Python values: decimals exact, instants as epoch microseconds, dates as text."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        set_search_path(con)
        described = con.execute(f"describe {mart}").fetchall()
        columns = [name for name, *_ in described]
        select = []
        for name, kind, *_ in described:
            if kind.startswith("TIMESTAMP"):
                select.append(f'epoch_us("{name}")')
            elif kind == "DATE":
                select.append(f'strftime("{name}", \'%Y-%m-%d\')')
            else:
                select.append(f'"{name}"')
        rows = con.execute(f"select {', '.join(select)} from {mart}").fetchall()
    finally:
        con.close()
    return pd.DataFrame(rows, columns=columns, dtype=object)


def _assert_same(mart: str, oracle: pd.DataFrame, actual: pd.DataFrame, columns: list[str]) -> None:
    missing = [column for column in KEYS[mart] + columns if column not in actual.columns]
    assert not missing, f"{mart} lacks the columns {missing}"
    found = differences(mart, oracle, actual, columns)
    assert not found, "the mart departs from the spec oracle:\n" + "\n".join(found)


def _by_class(ledger: pd.DataFrame, classes: pd.Series) -> pd.DataFrame:
    """A ledger's rows per raw table, outcome and class of the contract (columns raw_table, outcome,
    reason_class, rows)."""
    frame = pd.DataFrame({"raw_table": ledger["raw_table"], "outcome": ledger["outcome"],
                          "reason_class": classes, "rows": ledger["rows"].astype(int)})
    return frame.groupby(["raw_table", "outcome", "reason_class"], as_index=False)["rows"].sum()


def _mart_ledger(db: Path) -> pd.DataFrame:
    """data_quality_ledger per raw table, outcome and class: each project reason code in its class, kept
    rows (no reason) as `kept`."""
    ledger = _mart(db, "data_quality_ledger").rename(columns={"row_count": "rows"})
    unmapped = set(ledger["reason"].dropna()) - PROJECT_REASONS.keys()
    assert not unmapped, f"data_quality_ledger: reason codes in no class of the contract: {sorted(unmapped)}"
    return _by_class(ledger, ledger["reason"].map(lambda reason: PROJECT_REASONS.get(reason, "kept")))


def _oracle_ledger(found: dict[str, pd.DataFrame]) -> pd.DataFrame:
    ledger = raw.ledger(found)
    return _by_class(ledger, ledger["reason_class"])


def _unreconciled(read: dict[str, int], ledger: pd.DataFrame, side: str) -> list[str]:
    """Tables whose rows read (counted apart) are not kept + set aside + duplicates in the ledger."""
    outcomes = ledger.groupby(["raw_table", "outcome"])["rows"].sum()
    found = []
    for table, total in read.items():
        parts = {outcome: int(outcomes.get((table, outcome), 0)) for outcome in ("kept", "set_aside", "duplicate")}
        if sum(parts.values()) != total:
            found.append(f"{side}: {table} read {total} rows, but {parts} add up to {sum(parts.values())}")
    return found + [f"{side}: {table} is no raw table" for table in set(ledger["raw_table"]) - read.keys()]


# --- the worked examples -------------------------------------------------------------------------------------


def test_the_oracle_reproduces_the_expected_users() -> None:
    expected = pd.read_csv(EXAMPLES / "expected_users.csv", dtype=str, keep_default_na=False)
    kept = raw.load_kept(EXAMPLES_RAW, PINNED_CLOCK)
    oracle = segmentation.present(segmentation.as_of(kept, "2025-03-31", segmentation.thresholds())).reset_index()
    found = differences("user_facts", expected, oracle, [c for c in expected.columns if c != "user_id"],
                        sides=("expected", "oracle"))
    assert not found, "the oracle departs from expected_users.csv:\n" + "\n".join(found)


def test_the_oracle_reproduces_the_expected_ledger() -> None:
    # reason codes included: they are the examples' names; every class of the contract occurs
    expected = pd.read_csv(EXAMPLES / "expected_ledger.csv", dtype=str, keep_default_na=False)
    oracle = raw.ledger(raw.outcomes(EXAMPLES_RAW, PINNED_CLOCK))
    want = {(row.raw_table, row.outcome, row.reason): int(row.rows) for row in expected.itertuples()}
    got = {(row.raw_table, row.outcome, row.reason or ""): row.rows for row in oracle.itertuples()}
    assert got == want, "the oracle departs from expected_ledger.csv: " + str(
        {key: (want.get(key), got.get(key)) for key in want.keys() | got.keys() if want.get(key) != got.get(key)})
    assert set(oracle["reason_class"]) == {*raw.REASON_CLASSES.values(), "kept"}
    assert not _unreconciled(raw.rows_read(EXAMPLES_RAW), _by_class(oracle, oracle["reason_class"]), "oracle")


@pytest.mark.parametrize("mart", ["stream_kpis", "stream_minute_kpis", "anchor_fans"])
def test_the_oracle_reproduces_the_stream_example(mart: str) -> None:
    expected = pd.read_csv(STREAM_EXAMPLE / "expected" / f"{mart}.csv", dtype=str, keep_default_na=False)
    kept = raw.load_kept(STREAM_EXAMPLE / "raw", PINNED_CLOCK)
    oracle = getattr(streams, mart)(streams.StreamData(kept, "2025-03-03", segmentation.thresholds()))
    assert list(oracle.columns) == list(expected.columns)
    found = differences(mart, expected, oracle, [c for c in expected.columns if c not in KEYS[mart]],
                        sides=("expected", "oracle"))
    assert not found, "the oracle departs from the stream example:\n" + "\n".join(found)


# --- generated data, built with dbt -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small dirty CSV data: 2,500 users over 120 days (the 90-day windows fill, comebacks occur)."""
    out = tmp_path_factory.mktemp("oracle_raw")
    generate(out=out, users=2500, days=120, seed=23, fmt="csv", dirty=0.01, end_date=END, progress=False)
    return out


@pytest.fixture(scope="module")
def generated_db(generated_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("oracle_build") / "oracle.duckdb"
    result = build(generated_raw, db, as_of=END, clock=CLOCK, select=SELECT, extra_args=SEED_AND_MODELS)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    return db


@pytest.fixture(scope="module")
def outcomes(generated_raw: Path) -> dict[str, pd.DataFrame]:
    return raw.outcomes(generated_raw, CLOCK)


@pytest.fixture(scope="module")
def kept(outcomes: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return raw.kept_rows(outcomes)


@pytest.fixture(scope="module")
def oracle(kept: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The oracle's marts as of END, by mart name."""
    limits = segmentation.thresholds()
    users = segmentation.present(segmentation.as_of(kept, END, limits))
    tier_history = segmentation.history(kept, END, limits)
    data = streams.StreamData(kept, END, limits)
    labels = readouts.tier_labels()
    return {
        "user_facts": users.reset_index(),
        "user_rfm": users[users["is_buyer"].astype(bool)].reset_index(),
        "user_tiers": users.reset_index(),
        "user_tier_history": tier_history,
        "tier_transitions": segmentation.transitions(tier_history),
        "stream_kpis": streams.stream_kpis(data),
        "stream_minute_kpis": streams.stream_minute_kpis(data),
        "anchor_fans": streams.anchor_fans(data),
        "tier_kpis": readouts.tier_kpis(tier_history, labels),
        "tier_transition_matrix": readouts.tier_transition_matrix(tier_history, labels),
        "campaign_tier_readout": readouts.campaign_tier_readout(kept, END, limits),
    }


COMPARED = {"user_facts": FACTS, "user_rfm": RFM, "user_tiers": TIERS, "user_tier_history": HISTORY,
            "tier_transitions": ["from_tier", "to_tier"]}


@pytest.mark.parametrize("mart", MARTS)
def test_the_mart_equals_the_oracle(mart: str, generated_db: Path, oracle: dict[str, pd.DataFrame]) -> None:
    expected = oracle[mart]
    actual = _mart(generated_db, mart)
    if mart in READOUTS:
        assert sorted(expected.columns) == sorted(actual.columns), f"{mart}: the mart's columns are not the oracle's"
    columns = COMPARED.get(mart) or [c for c in expected.columns if c not in KEYS[mart]]
    _assert_same(mart, expected, actual, columns)


def test_the_ledger_equals_the_oracle(generated_raw: Path, generated_db: Path,
                                      outcomes: dict[str, pd.DataFrame]) -> None:
    # per raw table, outcome and class; and rows read (csv module, Parquet footer) = kept + set aside +
    # duplicates, in the oracle and in the mart, for every table
    oracle, mart = _oracle_ledger(outcomes), _mart_ledger(generated_db)
    read = raw.rows_read(generated_raw)
    found = differences("data_quality_ledger", oracle, mart, ["rows"])
    found += _unreconciled(read, oracle, "oracle") + _unreconciled(read, mart, "mart")
    assert not found, "the ledger departs from the spec oracle:\n" + "\n".join(found)


GOOD = "2025-03-10T10:00:00+08:00"
FUTURE = "2099-01-01T00:00:00Z"
# rows that break several rules at once (and some that break none), per table; the comment names the rule
# that must win by the project's documented order (DECISIONLOG.md "Check order, reason codes and the kept
# copy": missing_key, missing_user_id, missing_value, unparseable, unknown_<enum>, negative_amount /
# negative_quantity, out_of_range, future_timestamp; refund_exceeds_order after duplicates)
SEVERAL_RULES = {
    "orders": (["order_id", "user_id", "ordered_at", "paid_at", "status", "amount", "discount_amount",
                "coupon_id", "stream_id", "currency"], [
        ["o1", "u1", GOOD, GOOD, "paid", "100.00", "", "", "", "CNY"],  # kept
        ["o1", "u1", GOOD, GOOD, "paid", "100.00", "", "", "", "CNY"],  # duplicate
        ["o1", "u1", GOOD, GOOD, "lost", "100.00", "", "", "", "CNY"],  # unknown, not a duplicate
        ["", "u1", "2025/01/05", GOOD, "shipped", "-1", "", "", "", ""],  # missing key over everything
        ["o2", "", GOOD, GOOD, "paid", "abc", "", "", "", ""],  # missing user over unparseable
        ["o3", "u1", GOOD, GOOD, "", "1", "x", "", "", ""],  # missing value over unparseable
        ["o4", "u1", "2025/01/05 10:00", GOOD, "shipped", "1", "", "", "", ""],  # unparseable over unknown
        ["o5", "u1", GOOD, "yesterday", "paid", "-5", "", "", "", ""],  # unparseable over negative
        ["o6", "u1", GOOD, GOOD, "shipped", "-1", "", "", "", ""],  # unknown over negative
        ["o7", "u1", GOOD, FUTURE, "paid", "1", "", "", "", "USD"],  # unknown over future
        ["o8", "u1", FUTURE, GOOD, "paid", "-1", "", "", "", ""],  # negative over future
        ["o9", "u1", GOOD, FUTURE, "paid", "1", "-2", "", "", ""],  # negative discount over future
    ]),
    "order_items": (["order_id", "line_no", "product_id", "quantity", "unit_price"], [
        ["o1", "1", "p1", "1", "10.00"],  # kept
        ["o1", "2", "p1", "0", "x"],  # unparseable over out of range
        ["o1", "3", "", "-1", "1"],  # missing over negative
        ["o1", "", "p1", "x", "1"],  # missing key over unparseable
        ["o1", "5", "p1", "-1", "x"],  # unparseable over negative
    ]),
    "refunds": (["refund_id", "order_id", "refunded_at", "amount"], [
        ["r1", "o1", GOOD, "50.00"],  # kept
        ["r1", "o1", GOOD, "70.00"],  # duplicate (checks, then duplicates, then the overflow)
        ["r2", "o1", FUTURE, "0"],  # out of range over future
        ["r3", "o1", GOOD, "60.00"],  # refund overflow: 50 + 60 > 100
        ["r4", "o1", "2025-02-30", "-1"],  # unparseable over negative
        ["r5", "o1", GOOD, "-1"],  # negative, not an overflow
    ]),
    "events": (["event_id", "user_id", "event_type", "event_at", "stream_id", "product_id", "value", "text"], [
        ["e1", "u1", "like", GOOD, "s1", "", "3", ""],  # kept
        ["e2", "u1", "page_view", FUTURE, "", "", "", ""],  # unknown over future
        ["e3", "u1", "page_view", GOOD, "", "", "lots", ""],  # unparseable over unknown
        ["e4", "", "page_view", "2025/01/01", "", "", "", ""],  # missing over everything
        ["e5", "u1", "Like", GOOD, "", "", "", ""],  # unknown (case-sensitive)
    ]),
    "campaign_touches": (["touch_id", "campaign_id", "user_id", "channel", "sent_at", "opened_at", "is_control"], [
        ["t1", "c1", "u1", "push", GOOD, "", "false"],  # kept
        ["t2", "c1", "u1", "email", GOOD, "", "maybe"],  # unparseable over unknown
        ["t3", "c1", "u1", "email", FUTURE, "", "true"],  # unknown over future
        ["t4", "c1", "", "push", GOOD, "", "maybe"],  # missing over unparseable
        ["t5", "c1", "u1", "push", GOOD, FUTURE, "Y"],  # future (opened_at); Y is a bool
        ["t6", "c1", "u1", "sms", GOOD, "", " No "],  # kept
    ]),
}


def test_a_row_breaking_several_rules_gets_the_documented_reason(tmp_path: Path) -> None:
    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    for table, (header, rows) in SEVERAL_RULES.items():
        with open(raw_dir / f"{table}.csv", "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([header, *rows])
    db = tmp_path / "several.duckdb"
    result = build(raw_dir, db, select=STAGING_SELECT, extra_args=SEED_AND_MODELS)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    oracle, mart = _oracle_ledger(raw.outcomes(raw_dir, PINNED_CLOCK)), _mart_ledger(db)
    found = differences("data_quality_ledger", oracle, mart, ["rows"])
    found += _unreconciled(raw.rows_read(raw_dir), mart, "mart")
    assert not found, "the ledger departs from the spec oracle:\n" + "\n".join(found)


def test_the_generated_data_exercises_the_rules(oracle: dict[str, pd.DataFrame],
                                                outcomes: dict[str, pd.DataFrame]) -> None:
    # a comparison only means something where the rules take each of their branches
    tiers = oracle["user_tiers"]
    for family in segmentation.FAMILIES:
        assert tiers[family].nunique() >= 4, (family, tiers[family].value_counts().to_dict())
    assert set(oracle["anchor_fans"]["anchor_fan_tier"]) == {"anchor_core_fan", "anchor_regular", "anchor_viewer"}
    assert oracle["user_tier_history"]["period_end"].nunique() >= 15
    # readouts: every kind of move, shares at the next period end; campaigns with both arms in several tiers,
    # conversions in both arms, cells large enough to read, shared clusters, and each of the two standard
    # errors deciding some readable cell (the larger of cluster-robust and Agresti-Caffo)
    assert set(oracle["tier_transition_matrix"]["direction"]) == {"entry", "stay", "up", "down", "lateral"}
    kpis = oracle["tier_kpis"]
    assert (kpis["moved_up_share"].dropna() > 0).any() and (kpis["moved_down_share"].dropna() > 0).any()
    assert (kpis["retention_next_period"].dropna() > 0).any() and (kpis["user_count"] == 0).any()
    readout = oracle["campaign_tier_readout"]
    assert readout["campaign_id"].nunique() >= 3
    both_arms = readout[(readout["treatment_users"] > 0) & (readout["control_users"] > 0)]
    assert (both_arms[both_arms["tier_family"] != "all"].groupby("tier_family").size() >= 3).all()
    assert both_arms["tier_family"].nunique() == 5 and (both_arms["tier_code"] == readouts.NOT_KNOWN).any()
    everyone = readout[readout["tier_family"] == "all"]
    assert (everyone["treatment_converted_users"] > 0).all() and (everyone["control_converted_users"] > 0).all()
    readable = readout[~readout["is_too_small_to_read"].astype(bool)]
    assert readable["tier_family"].nunique() >= 4
    assert (readable["uplift_clusters"] < readable["treatment_users"] + readable["control_users"]).all()
    pseudo = float(segmentation.thresholds()["uplift_pseudo_conversions"])

    def agresti_caffo(cell: pd.Series) -> float:
        shrunk = [((cell[f"{arm}_converted_users"] + pseudo) / (cell[f"{arm}_users"] + 2 * pseudo),
                   cell[f"{arm}_users"] + 2 * pseudo) for arm in ("treatment", "control")]
        return sum(p * (1 - p) / n for p, n in shrunk) ** 0.5

    decided_by_agresti_caffo = {abs(cell["uplift_standard_error"] - agresti_caffo(cell)) < 1e-12
                                for _, cell in readable.iterrows()}
    assert decided_by_agresti_caffo == {True, False}, "one of the two standard errors never decides"
    # the ledger: these classes of bad input in the generated data (future timestamps and refund overflow
    # occur in the worked examples and the rows breaking several rules)
    classes = set(raw.ledger(outcomes)["reason_class"])
    assert classes >= {"kept", "missing", "unparseable", "unknown_value", "out_of_range", "duplicate"}, classes


def test_monthly_history_equals_the_oracle(generated_raw: Path, kept: dict[str, pd.DataFrame],
                                           tmp_path: Path) -> None:
    # the history var `history_period: month`: month ends (plus D) instead of Sundays
    db = tmp_path / "monthly.duckdb"
    result = build(generated_raw, db, as_of=END, clock=CLOCK, select="+user_tier_history +tier_transitions",
                   extra_args=[*SEED_AND_MODELS, "--vars", "{history_period: month}"])
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    tier_history = segmentation.history(kept, END, segmentation.thresholds(), period="month")
    assert sorted(tier_history["period_end"].unique())[-3:] == ["2025-04-30", "2025-05-31", END]
    _assert_same("user_tier_history", tier_history, _mart(db, "user_tier_history"), HISTORY)
    _assert_same("tier_transitions", segmentation.transitions(tier_history), _mart(db, "tier_transitions"),
                 ["from_tier", "to_tier"])


def test_marts_in_a_zone_with_summer_time_equal_the_oracle(generated_raw: Path, kept: dict[str, pd.DataFrame],
                                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the var business_timezone: New York's business days (UTC-5, from 2025-03-09 UTC-4) instead of
    # Shanghai's; the generated data spans the switch
    zone = "America/New_York"
    db = tmp_path / "new_york.duckdb"
    result = build(generated_raw, db, as_of=END, clock=CLOCK, select="+user_facts +user_tier_history +stream_kpis",
                   extra_args=[*SEED_AND_MODELS, "--vars", f"{{business_timezone: {zone}}}"])
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    monkeypatch.setattr(segmentation, "BUSINESS_TIMEZONE", zone)
    limits = segmentation.thresholds()
    facts = segmentation.present(segmentation.as_of(kept, END, limits)).reset_index()
    _assert_same("user_facts", facts, _mart(db, "user_facts"), FACTS)
    _assert_same("user_tier_history", segmentation.history(kept, END, limits), _mart(db, "user_tier_history"),
                 HISTORY)
    expected = streams.stream_kpis(streams.StreamData(kept, END, limits))
    _assert_same("stream_kpis", expected, _mart(db, "stream_kpis"), [c for c in expected.columns if c != "stream_id"])
