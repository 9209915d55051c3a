"""Contract rules of issue 9 (items 4, 5, 8): dates that cannot be real, the as-of cap, validated
settings (no SQL injection through vars), numbers by the contract, the set-aside warning."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dbt_harness import (
    EXAMPLES,
    EXAMPLES_RAW,
    STAGING_SELECT,
    build,
    expected_ledger,
    read_examples_table,
    write_table,
)

from livetier import PROJECT_ROOT
from livetier.settings import (
    SettingsError,
    parse_as_of_date,
    parse_build_clock,
    parse_size,
    parse_threads,
    parse_time_zone,
    validated_env,
)
from livetier.summary import float_id_warnings, set_aside_warnings

AS_OF = "2025-03-31"
# a partial build tests only what it built (not the marts' tests that also read unbuilt models)
CAUTIOUS = ["--indirect-selection", "cautious"]
INJECTION = "x' as timestamp) as t union all select 'INJECTED' --"


def query(db: Path, sql: str) -> pd.DataFrame:
    """`sql` over the warehouse with every schema on the search path (wherever a model lands)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        schemas = [r[0] for r in con.execute(
            "select schema_name from information_schema.schemata where catalog_name = current_database() "
            "order by schema_name <> 'main', schema_name").fetchall()]
        con.execute("set search_path = " + "'" + ",".join(schemas).replace("'", "''") + "'")
        return con.execute(sql).df()
    finally:
        con.close()


def ledger(db: Path) -> dict[tuple[str, str, str], int]:
    frame = query(db, "select raw_table, outcome, coalesce(reason, '') as reason, row_count from data_quality_ledger")
    return {(r.raw_table, r.outcome, r.reason): int(r.row_count) for r in frame.itertuples()}


def _ok(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def _tables(db: Path) -> set[str]:
    if not db.exists():
        return set()
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    finally:
        con.close()


# ---------------------------------------------------------------- settings, in Python


@pytest.mark.parametrize("text", ["2025-13-01", "2025-02-29", "2025-04-31", "2025-3-31", "20250331",
                                  "2025-03-31T00:00:00", "2025-03-31'; drop table x; --", "0000-01-01"])
def test_as_of_date_that_is_not_a_real_date_is_refused(text: str) -> None:
    with pytest.raises(SettingsError) as err:
        parse_as_of_date(text)
    message = str(err.value)
    assert message.startswith("AS_OF_DATE must be a real calendar date") and message.count(".") >= 1
    assert "\n" not in message


@pytest.mark.parametrize("text", ["2024-02-29", "2025-03-31", " 2025-12-31 ", ""])
def test_real_as_of_dates_pass(text: str) -> None:
    assert parse_as_of_date(text) == text.strip()


@pytest.mark.parametrize(("text", "canonical"), [
    ("2025-04-20T00:00:00", "2025-04-20T00:00:00.000000Z"),
    ("2025-04-20 00:00", "2025-04-20T00:00:00.000000Z"),
    ("2025-04-20", "2025-04-20T00:00:00.000000Z"),
    ("2025-04-20T08:00:00+08:00", "2025-04-20T00:00:00.000000Z"),
    ("2025-04-20T08:00:00+0800", "2025-04-20T00:00:00.000000Z"),
    ("2025-04-19T21:30:00-02:30", "2025-04-20T00:00:00.000000Z"),
    ("2025-04-20T00:00:00.1234567Z", "2025-04-20T00:00:00.123456Z"),
    ("2024-12-31T23:30:00-01", "2025-01-01T00:30:00.000000Z"),
])
def test_build_clock_is_normalised_to_canonical_utc(text: str, canonical: str) -> None:
    assert parse_build_clock(text) == canonical


@pytest.mark.parametrize("text", ["2025-04-20T24:00:00", "2025-02-30T00:00:00", "2025-04-20T00:60",
                                  "2025/04/20 00:00:00", "2025-04-20T00:00:00+24:00", "now", "0999-01-01",
                                  INJECTION])
def test_bad_build_clock_is_refused_in_one_sentence(text: str) -> None:
    with pytest.raises(SettingsError) as err:
        parse_build_clock(text)
    assert str(err.value).startswith("BUILD_CLOCK must be an ISO-8601 timestamp")
    assert "\n" not in str(err.value)


def test_time_zone_and_sizes() -> None:
    assert parse_time_zone("Asia/Shanghai") == "Asia/Shanghai"
    for bad in ["Mars/Olympus", "Asia/Shanghai'", "", "UTC; select 1"]:
        with pytest.raises(SettingsError, match="BUSINESS_TIMEZONE must be an IANA time zone name"):
            parse_time_zone(bad)
    assert parse_size("20GB", "DUCKDB_MAX_TEMP_SIZE") == "20GB"
    assert parse_size("512 MiB", "DUCKDB_MEMORY_LIMIT") == "512 MiB"
    with pytest.raises(SettingsError, match="DUCKDB_MAX_TEMP_SIZE must be a size"):
        parse_size("20GB'; select 1; --", "DUCKDB_MAX_TEMP_SIZE")
    assert parse_threads("2") == "2"
    for bad in ["0", "-1", "two", "1.5"]:
        with pytest.raises(SettingsError, match="DUCKDB_THREADS"):
            parse_threads(bad)
    assert validated_env({"BUILD_CLOCK": "2025-04-20T08:00:00+08:00", "HOME": "/x"}) == {
        "BUILD_CLOCK": "2025-04-20T00:00:00.000000Z"
    }


# ---------------------------------------------------------------- settings through the CLI and plain dbt


def _cli_build(raw: Path, db: Path, as_of: str | None, env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update(env_extra)
    args = [sys.executable, "-m", "livetier", "build", "--raw", str(raw), "--db", str(db)]
    if as_of is not None:
        args += ["--as-of", as_of]
    return subprocess.run(args, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)


@pytest.mark.parametrize(("as_of", "env_extra", "message"), [
    ("2025-13-01", {}, "AS_OF_DATE must be a real calendar date"),
    (None, {"AS_OF_DATE": "2025-02-30"}, "AS_OF_DATE must be a real calendar date"),
    (AS_OF, {"BUILD_CLOCK": "2025-04-20T25:00:00"}, "BUILD_CLOCK must be an ISO-8601 timestamp"),
    (AS_OF, {"BUILD_CLOCK": INJECTION}, "BUILD_CLOCK must be an ISO-8601 timestamp"),
    (AS_OF, {"BUSINESS_TIMEZONE": "Asia/Nowhere"}, "BUSINESS_TIMEZONE must be an IANA time zone name"),
    (AS_OF, {"DUCKDB_MAX_TEMP_SIZE": "lots"}, "DUCKDB_MAX_TEMP_SIZE must be a size"),
])
def test_cli_refuses_a_bad_setting_before_dbt_runs(tmp_path: Path, as_of: str | None, env_extra: dict[str, str],
                                                   message: str) -> None:
    db = tmp_path / "w.duckdb"
    result = _cli_build(EXAMPLES_RAW, db, as_of, env_extra)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {message}"), result.stderr
    assert "Traceback" not in result.stderr
    assert "Running with dbt" not in result.stdout + result.stderr
    assert not db.exists()
    assert not any(_tables(path) for path in tmp_path.glob("*.duckdb"))


@pytest.mark.parametrize("name", ["Raw.duckdb", "seeds.v2.duckdb", "main.db"])
def test_a_database_named_like_a_schema_is_refused_in_one_sentence(tmp_path: Path, name: str) -> None:
    # DuckDB opens raw.duckdb as the catalog `raw`, which clashes with the schema raw (it stopped the
    # build with a binder error about an ambiguous reference)
    db = tmp_path / name
    result = _cli_build(EXAMPLES_RAW, db, AS_OF, {})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    catalog = name.split(".")[0].lower()
    assert lines == [f"error: The database file '{name}' opens as the catalog '{catalog}', the name of one of the "
                     "warehouse's schemas, which DuckDB cannot tell apart from it: choose another DUCKDB_PATH "
                     "(for example warehouse.duckdb)."], result.stderr
    assert "Running with dbt" not in result.stdout and not db.exists()


@pytest.mark.parametrize(("clock", "as_of", "env_extra", "message"), [
    (INJECTION, AS_OF, {}, "var build_clock (env BUILD_CLOCK) must be an ISO-8601 timestamp"),
    ("2025-04-20T00:00:00'||(select 'INJECTED')||'", AS_OF, {},
     "var build_clock (env BUILD_CLOCK) must be an ISO-8601 timestamp"),
    ("2025-04-20T00:00:00", "2025-03-31' as date) as as_of_date --", {},
     "var as_of_date (env AS_OF_DATE) must be a real calendar date"),
    ("2025-04-20T00:00:00", "2025-13-01", {}, "var as_of_date (env AS_OF_DATE) must be a real calendar date"),
    ("2025-04-20T00:00:00", AS_OF, {"BUSINESS_TIMEZONE": "UTC' as timestamp) --"},
     "var business_timezone must be an IANA time zone name"),
])
def test_plain_dbt_refuses_injection_through_vars(tmp_path: Path, clock: str, as_of: str,
                                                  env_extra: dict[str, str], message: str) -> None:
    db = tmp_path / "w.duckdb"
    result = build(EXAMPLES_RAW, db, as_of=as_of, clock=clock, select="+stg_live__orders", env_extra=env_extra)
    assert result.returncode != 0
    assert message in result.stdout, result.stdout[-3000:]
    # nothing was built: the check runs when the project is parsed or first in on-run-start
    assert not any(t.startswith(("base_live__", "stg_live__", "quality_bounds")) for t in _tables(db))
    assert "INJECTED" not in "".join(_tables(db))


def test_plain_dbt_honours_a_clock_offset(tmp_path: Path) -> None:
    """The pinned clock with an offset is the same instant as the harness's UTC clock: same ledger."""
    db = tmp_path / "w.duckdb"
    _ok(build(EXAMPLES_RAW, db, as_of=AS_OF, clock="2025-04-20T08:00:00+08:00", select=STAGING_SELECT))
    assert ledger(db) == expected_ledger()


# ---------------------------------------------------------------- dates that cannot be real, numbers by the contract


ORDER_HEADER = "order_id,user_id,ordered_at,paid_at,status,amount,discount_amount,coupon_id,stream_id,currency"
ORDERS = [
    # (row, expected reason or None for kept)
    ("zo01,u01,1970-01-01,,created,10.00,,,,", "out_of_range"),
    ("zo02,u01,0001-01-01T00:00:00,,created,10.00,,,,", "out_of_range"),
    ("zo03,u01,1999-12-31T23:59:59,,created,10.00,,,,", "out_of_range"),
    ("zo04,u01,2000-01-01T00:00:00,,created,10.00,,,,", None),
    # the bound is a UTC instant: 07:59:59 in Shanghai on 2000-01-01 is 1999-12-31T23:59:59Z
    ("zo05,u01,2000-01-01T07:59:59+08:00,,created,10.00,,,,", "out_of_range"),
    ("zo06,u01,2000-01-01T08:00:00+08:00,,created,10.00,,,,", None),
    ("zo07,u01,2025-03-01T10:00:00,1970-01-01T00:00:00Z,paid,10.00,,,,", "out_of_range"),
    # reason order: unparseable and negative_amount come before out_of_range, out_of_range before future
    ("zo08,u01,1970-01-01,,created,1.005,,,,", "unparseable"),
    ("zo09,u01,1970-01-01,2099-01-01,paid,10.00,,,,", "out_of_range"),
    ("zo10,u01,1970-01-01,,created,-5.00,,,,", "negative_amount"),
    # money: two decimals
    ("zo11,u01,2025-03-01T10:00:00,,created,1.005,,,,", "unparseable"),
    ("zo12,u01,2025-03-01T10:00:00,,created,1.00,,,,", None),
    ("zo13,u01,2025-03-01T10:00:00,,created,1.5,,,,", None),
    ("zo14,u01,2025-03-01T10:00:00,,created,1,,,,", None),
    ("zo15,u01,2025-03-01T10:00:00,,created,1.500,,,,", None),
    ("zo16,u01,2025-03-01T10:00:00,,created,10.00,0.015,,,", "unparseable"),
    # surrounding spaces are trimmed before parsing: a padded time, status, amount and currency are kept
    ("zo17,u01, 2025-03-01T10:00:00 ,,created , 2.50 ,,,, CNY ", None),
    # money above max_amount (seeds/quality_bounds.csv: 9999999999.99) is out_of_range, at it kept
    ("zo18,u01,2025-03-01T10:00:00,,created,9999999999.99,9999999999.99,,,", None),
    ("zo19,u01,2025-03-01T10:00:00,,created,10000000000.00,,,,", "out_of_range"),
    ("zo20,u01,2025-03-01T10:00:00,,created,1.00,10000000000.00,,,", "out_of_range"),
]
ORDER_AMOUNTS = {"zo12": "1.00", "zo13": "1.50", "zo14": "1.00", "zo15": "1.50", "zo17": "2.50"}

EVENT_HEADER = "event_id,user_id,event_type,event_at,stream_id,product_id,value,text"
EVENTS = [
    ("ze01,u01,like,1970-01-01T00:00:00Z,s01,,3,", "out_of_range"),
    ("ze02,u01,gift,2025-03-30T20:00:00+08:00,s01,,1.005,", "unparseable"),
    ("ze03,u01,gift,2025-03-30T20:01:00+08:00,s01,,1.50,", None),
    ("ze04,u01,like,2025-03-30T20:02:00+08:00,s01,,3.0,", None),
    ("ze05,u01,enter_room,1999-12-31T23:59:59Z,s01,,,", "out_of_range"),
    ("ze06,u01,enter_room,2000-01-01T00:00:00Z,s01,,,", None),
]


def _raw_with_bad_rows(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(EXAMPLES_RAW, raw)
    with (raw / "orders.csv").open("a") as handle:
        handle.write("".join(row + "\n" for row, _ in ORDERS))
    (raw / "events" / "2025-03-zz.csv").write_text(EVENT_HEADER + "\n" + "".join(row + "\n" for row, _ in EVENTS))
    with (raw / "refunds.csv").open("a") as handle:
        handle.write("zr01,o0101,1970-01-01T00:00:00Z,1.00\nzr02,o0101,2025-03-30T10:00:00Z,0.005\n"
                     "zr03,o0101,2025-03-30T10:00:00Z,10000000000.00\n")
    with (raw / "live_streams.csv").open("a") as handle:
        handle.write("zs01,a01,beauty,1970-01-01T00:00:00Z,\n"
                     "zs02,a01,beauty,2025-03-01T10:00:00Z,1969-12-31T23:59:59Z\n")
    with (raw / "campaign_touches.csv").open("a") as handle:
        handle.write("zt01,c01,u03,push,1970-01-01T00:00:00Z,,false\n"
                     "zt02,c01,u04,push,2025-03-20T10:00:00Z,1970-01-01T00:00:00Z,false\n")
    with (raw / "order_items.csv").open("a") as handle:
        handle.write("zo04,1,p01,3.00,10.00\nzo04,2,p01,2.5,10.00\nzo04,3,p01,1,9.999\n"
                     "zo04,4,p01,1,10000000000.00\nzo04,5,p01,1000001,1.00\nzo04,6,p01,1000000,1.00\n"
                     "zo04,3000000000,p01,1,1.00\n")
    users = read_examples_table("users")
    extra = users.iloc[:5].copy()
    extra["user_id"] = ["zu01", "zu02", "zu03", "zu04", "zu05"]
    extra["registered_at"] = ["2024-05-01 02:00:00", "2024-05-01 02:00:00", "1970-01-01", "2024-05-01 02:00:00",
                              "2024-05-01 02:00:00"]
    # zu05: a year past a 32-bit integer is read as unknown, the user kept
    extra["birth_year"] = ["1995.0", "1995.5", "1995", "1990", "3000000000"]
    extra["city_tier"] = ["2", "2", "2", "3.00", "9"]
    (raw / "users.parquet").unlink()
    write_table(pd.concat([users, extra], ignore_index=True), raw, "users", "parquet")
    return raw


def _expected_ledger_with_bad_rows() -> dict[tuple[str, str, str], int]:
    expected = expected_ledger()

    def add(table: str, reason: str | None, n: int = 1) -> None:
        key = (table, "kept", "") if reason is None else (table, "set_aside", reason)
        expected[key] = expected.get(key, 0) + n

    for _, reason in ORDERS:
        add("orders", reason)
    for _, reason in EVENTS:
        add("events", reason)
    add("refunds", "out_of_range", 2)
    add("refunds", "unparseable")
    add("live_streams", "out_of_range", 2)
    add("campaign_touches", "out_of_range", 2)
    add("order_items", None)
    add("order_items", "unparseable", 2)
    add("order_items", "out_of_range", 2)
    add("order_items", None, 2)
    add("users", None, 3)
    add("users", "unparseable")
    add("users", "out_of_range")
    return expected


@pytest.fixture(scope="module")
def bad_rows_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("bad_rows")
    raw = _raw_with_bad_rows(base)
    db = base / "w.duckdb"
    _ok(build(raw, db, as_of=AS_OF, select=STAGING_SELECT))
    return db


def test_ledger_counts_out_of_range_and_two_decimal_money(bad_rows_db: Path) -> None:
    assert ledger(bad_rows_db) == _expected_ledger_with_bad_rows()


def _reasons(db: Path, table: str, key: str, prefix: str) -> dict[str, str | None]:
    """key -> reject_reason (None: passed every check) of the test's own rows in base_live__<table>."""
    got = query(db, f"select {key} as key, reject_reason from base_live__{table} where {key} like '{prefix}%'")
    return {k: None if pd.isna(r) else r for k, r in zip(got.key, got.reject_reason, strict=True)}


def test_each_order_gets_its_reason(bad_rows_db: Path) -> None:
    assert _reasons(bad_rows_db, "orders", "order_id", "zo") == {
        row.split(",")[0]: reason for row, reason in ORDERS
    }
    amounts = query(bad_rows_db, "select order_id, cast(amount as varchar) as amount from stg_live__orders "
                                 "where order_id in ('zo12', 'zo13', 'zo14', 'zo15', 'zo17')")
    assert dict(zip(amounts.order_id, amounts.amount, strict=True)) == ORDER_AMOUNTS


def test_each_event_gets_its_reason(bad_rows_db: Path) -> None:
    assert _reasons(bad_rows_db, "events", "event_id", "ze") == {
        row.split(",")[0]: reason for row, reason in EVENTS
    }


def test_integral_floats_are_integers(bad_rows_db: Path) -> None:
    users = query(bad_rows_db, "select user_id, birth_year, city_tier, reject_reason from base_live__users "
                               "where user_id like 'zu%' order by user_id")
    assert [None if pd.isna(r) else r for r in users.reject_reason] == [
        None, "unparseable", "out_of_range", None, None]
    assert int(users.birth_year[0]) == 1995 and int(users.city_tier[3]) == 3
    kept = query(bad_rows_db, "select user_id, birth_year, city_tier from stg_live__users where user_id = 'zu05'")
    assert (pd.isna(kept.birth_year[0]), pd.isna(kept.city_tier[0])) == (True, True)
    items = query(bad_rows_db, "select line_no, quantity, reject_reason from base_live__order_items "
                               "where order_id = 'zo04' order by line_no")
    assert [None if pd.isna(r) else r for r in items.reject_reason] == [None, "unparseable", "unparseable",
                                                                         "out_of_range", "out_of_range", None, None]
    lines = query(bad_rows_db, "select line_no from stg_live__order_items where order_id = 'zo04' order by line_no")
    assert lines.line_no.tolist() == [1, 6, 3000000000]
    assert int(items.quantity[0]) == 3


def test_amounts_up_to_max_amount_build_every_mart(tmp_path: Path) -> None:
    # ten paid orders at max_amount: the buyer's 365-day GMV (~1e11) times 10^8 (a GMV share's
    # exact division) passes a 64-bit integer, and every mart still builds (128-bit intermediates)
    raw = tmp_path / "raw"
    shutil.copytree(EXAMPLES_RAW, raw)
    with (raw / "orders.csv").open("a") as handle:
        handle.write("".join(f"zm{i:02d},u01,2025-03-0{i % 9 + 1}T10:00:00Z,2025-03-0{i % 9 + 1}T10:01:00Z,paid,"
                             "9999999999.99,,,,CNY\n" for i in range(10)))
    db = tmp_path / "w.duckdb"
    _ok(build(raw, db, as_of=AS_OF))
    facts = query(db, "select lifetime_purchases, cast(lifetime_net_gmv as varchar) as gmv, "
                      "cast(aov_365d as varchar) as aov from user_facts where user_id = 'u01'")
    before = pd.read_csv(EXAMPLES / "expected_users.csv", dtype=str).set_index("user_id").loc["u01"]
    purchases = int(before.purchases_365d) + 10
    gmv = Decimal(before.net_gmv_365d) + 10 * Decimal("9999999999.99")
    assert (int(facts.lifetime_purchases[0]), Decimal(facts.gmv[0])) == (
        int(before.lifetime_purchases) + 10, Decimal(before.lifetime_net_gmv) + 10 * Decimal("9999999999.99"))
    assert Decimal(facts.aov[0]) == (gmv / purchases).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    shares = query(db, "select sum(gmv_share) as total from tier_kpis where period_end = date '2025-03-31' "
                       "and tier_family = 'value_tier'")
    assert abs(float(shares.total[0]) - 1.0) < 1e-5


# ---------------------------------------------------------------- the as-of chain: placeholder dates and its cap


def _as_of_count(db: Path) -> int:
    return int(query(db, "select count(*) as n from int_as_of_dates").n[0])


@pytest.fixture(scope="module")
def clean_chain_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("clean_chain") / "w.duckdb"
    _ok(build(EXAMPLES_RAW, db, as_of=AS_OF, select="+int_as_of_dates", extra_args=CAUTIOUS))
    return db


def test_placeholder_dates_do_not_stretch_the_as_of_chain(tmp_path: Path, clean_chain_db: Path) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(EXAMPLES_RAW, raw)
    with (raw / "orders.csv").open("a") as handle:
        handle.write("zo01,u01,1970-01-01,1970-01-01,paid,10.00,,,,\nzo02,u02,0001-01-01T00:00:00,,paid,10.00,,,,\n")
    (raw / "events" / "2025-03-zz.csv").write_text(EVENT_HEADER + "\nze01,u01,like,1970-01-01T00:00:00Z,s01,,3,\n")
    db = tmp_path / "w.duckdb"
    _ok(build(raw, db, as_of=AS_OF, select="+int_as_of_dates", extra_args=CAUTIOUS))
    reasons = query(db, "select reject_reason from base_live__orders where order_id in ('zo01', 'zo02')")
    assert list(reasons.reject_reason) == ["out_of_range", "out_of_range"]
    # the examples' own chain (about 13 months of Sundays from early 2024 to D), not 55 years (~2,900 dates)
    assert _as_of_count(db) == _as_of_count(clean_chain_db)
    assert _as_of_count(db) < 100
    first = query(db, "select min(as_of_date) as d from int_as_of_dates").d[0]
    assert str(first) >= "2024-01-01"


def test_as_of_cap_boundary_through_the_seed_table(clean_chain_db: Path) -> None:
    """Cap = the chain's length passes; one less stops int_as_of_dates with one sentence."""
    n = _as_of_count(clean_chain_db)
    work = clean_chain_db.parent / "cap.duckdb"
    shutil.copy(clean_chain_db, work)

    def with_cap(cap: int) -> subprocess.CompletedProcess:
        con = duckdb.connect(str(work))
        schema = con.execute("select table_schema from information_schema.tables "
                             "where table_name = 'quality_bounds'").fetchone()[0]
        con.execute(f'update "{schema}".quality_bounds set bound_value = ? where bound_name = ?',
                    [str(cap), "max_as_of_dates"])
        con.close()
        return build(EXAMPLES_RAW, work, as_of=AS_OF, command="run", select="int_as_of_dates")

    _ok(with_cap(n))
    failed = with_cap(n - 1)
    assert failed.returncode != 0
    assert f"The as-of chain would run over {n} as-of dates" in failed.stdout, failed.stdout[-3000:]
    assert f"more than max_as_of_dates = {n - 1} in seeds/quality_bounds.csv" in failed.stdout


def test_far_as_of_date_hits_the_default_cap_before_the_facts(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    # Sundays from November 2024 to 2060: about 1,830 > the seed's 1500
    result = build(EXAMPLES_RAW, db, as_of="2060-01-01", select="+int_user_facts_snapshotted",
                   extra_args=CAUTIOUS)
    assert result.returncode != 0
    assert "more than max_as_of_dates = 1500 in seeds/quality_bounds.csv" in result.stdout, result.stdout[-3000:]
    tables = _tables(db)
    assert "stg_live__orders" in tables or "base_live__orders" in tables
    assert "int_as_of_dates" not in tables and "int_user_facts_snapshotted" not in tables


# ---------------------------------------------------------------- the temp-directory cap


def test_runaway_query_fails_at_the_temp_cap_through_the_profile(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    result = build(EXAMPLES_RAW, db, command="show", env_extra={
        "DUCKDB_MEMORY_LIMIT": "100MB", "DUCKDB_MAX_TEMP_SIZE": "40MB",
    }, extra_args=["--inline", "select count(*) from (select range from range(60000000) order by hash(range))"])
    assert result.returncode != 0
    assert "max_temp_directory_size" in result.stdout, result.stdout[-3000:]
    spill = tmp_path / "w.duckdb.tmp"
    assert not spill.exists() or sum(p.stat().st_size for p in spill.rglob("*") if p.is_file()) <= 40 * 2**20


# ---------------------------------------------------------------- the set-aside warning


def _ledger_db(path: Path, set_aside: int, read: int, share: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("create table quality_bounds (bound_name varchar, bound_value varchar, comment varchar)")
    con.execute("insert into quality_bounds values ('max_set_aside_share', ?, '')", [share])
    con.execute("create table data_quality_ledger "
                "(raw_table varchar, outcome varchar, reason varchar, row_count bigint)")
    rows = [("orders", "kept", None, read - set_aside)]
    reasons = ["unparseable", "out_of_range", "missing_key", "unknown_status"]
    left = set_aside
    for i, reason in enumerate(reasons):
        n = left if i == len(reasons) - 1 else (left + 1) // 2
        if n:
            rows.append(("orders", "set_aside", reason, n))
        left -= n
    rows.append(("users", "kept", None, 10))
    con.executemany("insert into data_quality_ledger values (?, ?, ?, ?)", rows)
    return con


def test_set_aside_warning_above_the_bound_only(tmp_path: Path) -> None:
    # 5% of 200 is 10: 11 set aside warns, 10 does not
    con = _ledger_db(tmp_path / "above.duckdb", 11, 200, "0.05")
    lines = set_aside_warnings(con)
    assert lines == [
        "warning: orders: 11 of 200 rows read were set aside (5.5%), more than max_set_aside_share 5.0% "
        "(seeds/quality_bounds.csv); top reasons: unparseable 6, out_of_range 3, missing_key 1."
    ]
    con = _ledger_db(tmp_path / "at.duckdb", 10, 200, "0.05")
    assert set_aside_warnings(con) == []
    # the bound is read from the seed table, not assumed
    con = _ledger_db(tmp_path / "lower.duckdb", 10, 200, "0.04")
    assert len(set_aside_warnings(con)) == 1


def test_summary_prints_the_warning_and_run_exit_code_stays_zero(bad_rows_db: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "livetier", "summary", "--db", str(bad_rows_db)],
                            cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # orders: 34 + 20 read, 6 + 12 set aside (out_of_range 8, unparseable 1 + 3, negative_amount 1 + 1)
    warned = [line for line in result.stdout.splitlines() if line.startswith("warning: orders:")]
    assert len(warned) == 1 and "top reasons: out_of_range 8, unparseable 4, negative_amount 2." in warned[0]
    assert not any(line.startswith("warning: products:") for line in result.stdout.splitlines())


# ---------------------------------------------------------------- ids a dataframe wrote as floats


def test_ids_written_as_floats_are_named_when_another_table_has_them_as_integers() -> None:
    con = duckdb.connect()
    con.execute("create table stg_live__orders (order_id varchar, user_id varchar, stream_id varchar)")
    con.execute("insert into stg_live__orders values ('o1', '16128', '5'), ('o2', '7', null), ('o3', 'a1', 's9')")
    con.execute("create table stg_live__events (user_id varchar, stream_id varchar, product_id varchar)")
    # 16128.0 and 7.0 are the orders' users (7 is here too, which does not count); 8.0 is no other
    # table's id, 1.5 is no integer, a1 is text
    con.execute("insert into stg_live__events values ('16128.0', '5.0', 'p1'), ('7.0', 's9', 'p1'), "
                "('7', 's9', 'p1'), ('8.0', null, 'p1'), ('1.5', null, 'p1'), ('a1', null, 'p1')")
    con.execute("create table stg_live__users (user_id varchar)")
    con.execute("insert into stg_live__users values ('16128.00'), ('8.0')")
    lines = float_id_warnings(con)
    assert lines == [
        "warning: events.user_id: 2 ids are ids of orders with '.0' added (as a dataframe writes integer ids it "
        "stored as floats): ids are text, so those rows do not meet the rows of orders; write the ids as integers "
        "or text.",
        "warning: users.user_id: 1 id is an id of orders with '.0' added (as a dataframe writes integer ids it "
        "stored as floats): ids are text, so those rows do not meet the rows of orders; write the ids as integers "
        "or text.",
        "warning: events.stream_id: 1 id is an id of orders with '.0' added (as a dataframe writes integer ids it "
        "stored as floats): ids are text, so those rows do not meet the rows of orders; write the ids as integers "
        "or text.",
    ]
    # ids that are floats everywhere meet each other: nothing to say
    con.execute("update stg_live__orders set user_id = user_id || '.0', stream_id = stream_id || '.0'")
    con.execute("delete from stg_live__events where user_id in ('7', '16128.0')")
    con.execute("delete from stg_live__users")
    assert float_id_warnings(con) == []

