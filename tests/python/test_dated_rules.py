"""Dated threshold rows: a change entered with a valid_from inside the history leaves every row
before it as it was and makes every row from it equal a build with the new value everywhere;
var restate_history applies today's rows to the whole history; a bad seed row stops the build
with one sentence.

One full build of small generated data (1,500 users, 150 days) gives the rows under the seed as
it is; each variant copies that warehouse, changes the seed's table there (never the seed file)
and reruns the models downstream of the thresholds (`dbt run`, which does not reload seeds).
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dbt_harness import SEED_AND_MODELS, build, query

from livetier import PROJECT_ROOT
from livetier.generator import generate

D = "2025-06-30"
CLOCK = "2025-07-05T00:00:00"
RULE = "core_min_purchases_365d"
RULE_SELECT = "int_thresholds_current int_user_rfm_scored+"
# the tables that must keep their past: (table, date column)
DATED_TABLES = [
    ("segmentation.user_tier_history", "period_end"),
    ("segmentation.tier_transitions", "period_end"),
    ("segmentation.tier_kpis", "period_end"),
    ("operations.campaign_tier_readout", "first_sent_date"),
]
# tier_kpis columns that look forward to the next period end (the one row just before the change
# date measures its retention against tiers under the new rule)
KPI_FORWARD_COLUMNS = {"retention_next_period", "moved_up_share", "moved_down_share"}


def _ok(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dated_raw")
    generate(out=out, users=1500, days=150, seed=11, end_date=D, progress=False)
    return out


@pytest.fixture(scope="module")
def base_db(raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("dated_base") / "base.duckdb"
    _ok(build(raw, db, as_of=D, clock=CLOCK, extra_args=SEED_AND_MODELS))
    return db


@pytest.fixture(scope="module")
def change_date(base_db: Path) -> str:
    """A period end in the middle of the history: the new rule's valid_from."""
    ends = query(base_db, "select distinct period_end from user_tier_history order by period_end").period_end
    return str(ends.iloc[len(ends) // 2])[:10]


def _variant(base_db: Path, raw: Path, name: str, sql: list[str], extra_args: list[str] | None = None,
             select: str = RULE_SELECT) -> tuple[Path, subprocess.CompletedProcess]:
    """A copy of the base warehouse with the seed table changed by `sql`, models rerun."""
    db = base_db.parent.parent / f"{name}.duckdb"
    if db.exists():
        db.unlink()
    shutil.copy(base_db, db)
    con = duckdb.connect(str(db))
    try:
        schema = con.execute("select table_schema from information_schema.tables "
                             "where table_name = 'seg_thresholds'").fetchone()[0]
        for statement in sql:
            con.execute(statement.format(seed=f'"{schema}".seg_thresholds'))
    finally:
        con.close()
    result = build(raw, db, as_of=D, clock=CLOCK, command="run", select=select, extra_args=extra_args)
    return db, result


def _raised_from(valid_from: str) -> list[str]:
    return [f"insert into {{seed}} values ('{RULE}', 4, date '{valid_from}', 'raised')"]


@pytest.fixture(scope="module")
def dated_db(base_db: Path, raw: Path, change_date: str) -> Path:
    db, result = _variant(base_db, raw, "dated", _raised_from(change_date))
    _ok(result)
    return db


@pytest.fixture(scope="module")
def everywhere_db(base_db: Path, raw: Path) -> Path:
    raised = f"update {{seed}} set threshold_value = 4 where threshold_name = '{RULE}'"
    db, result = _variant(base_db, raw, "everywhere", [raised])
    _ok(result)
    return db


def _differences(left: Path, right: Path, table: str, where: str = "true", columns: str = "*") -> int:
    """Rows of `table` (filtered) in one warehouse and not the other, EXCEPT ALL both ways."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{left}' as lhs (read_only)")
        con.execute(f"attach '{right}' as rhs (read_only)")
        one = f"select {columns} from lhs.{table} where {where}"
        two = f"select {columns} from rhs.{table} where {where}"
        return con.execute(f"select (select count(*) from ({one} except all {two})) "
                           f"+ (select count(*) from ({two} except all {one}))").fetchone()[0]
    finally:
        con.close()


def _kpi_columns(db: Path) -> str:
    names = query(db, "select * from tier_kpis limit 0").columns
    return ", ".join(name for name in names if name not in KPI_FORWARD_COLUMNS)


def _tiers_columns(db: Path) -> str:
    names = query(db, "select * from user_tiers limit 0").columns
    return ", ".join(name for name in names if not name.startswith("previous_") and not name.endswith("_since"))


def test_rows_before_the_change_date_stay_as_they_were(base_db: Path, dated_db: Path, change_date: str) -> None:
    for table, date_column in DATED_TABLES:
        before = f"{date_column} < date '{change_date}'"
        assert query(base_db, f"select count(*) as n from {table} where {before}").n[0] > 0, table
        if table == "segmentation.tier_kpis":
            # the last period end before the change looks forward to it: all but the forward columns
            last_before = f"next_period_end < date '{change_date}'"
            assert _differences(base_db, dated_db, table, last_before) == 0
            assert _differences(base_db, dated_db, table, before, _kpi_columns(base_db)) == 0
        else:
            assert _differences(base_db, dated_db, table, before) == 0, table


def test_rows_from_the_change_date_equal_a_build_with_the_new_value(base_db: Path, dated_db: Path,
                                                                     everywhere_db: Path, change_date: str) -> None:
    history_from = f"period_end >= date '{change_date}'"
    # the change moves someone, so the comparisons below are not vacuous
    assert _differences(base_db, dated_db, "segmentation.user_tier_history", history_from) > 0
    assert _differences(everywhere_db, dated_db, "segmentation.user_tier_history", history_from) == 0
    # a transition at the change date compares with the old rule's tier the period before
    assert _differences(everywhere_db, dated_db, "segmentation.tier_transitions",
                        f"period_end > date '{change_date}'") == 0
    assert _differences(everywhere_db, dated_db, "segmentation.tier_kpis", history_from) == 0
    assert _differences(everywhere_db, dated_db, "operations.campaign_tier_readout",
                        f"first_sent_date > date '{change_date}'") == 0
    assert _differences(everywhere_db, dated_db, "segmentation.user_tier_reasons") == 0
    # user_tiers' spell columns (previous tier, tier since) read the transitions, which differ at
    # the change date; the tiers and everything else are equal
    assert _differences(everywhere_db, dated_db, "segmentation.user_tiers", columns=_tiers_columns(dated_db)) == 0
    reasons = query(dated_db, "select reason from user_tier_reasons where rule_id = 'core_fan' limit 1").reason
    assert f">= 4 ({RULE})" in reasons[0]


def test_restated_history_equals_the_build_with_the_new_value(base_db: Path, raw: Path, everywhere_db: Path,
                                                              change_date: str) -> None:
    restated, result = _variant(base_db, raw, "restated", _raised_from(change_date),
                                extra_args=["--vars", "{restate_history: true}"])
    _ok(result)
    for table, _ in DATED_TABLES + [("segmentation.user_tiers", None)]:
        assert _differences(everywhere_db, restated, table) == 0, table


@pytest.mark.parametrize(("name", "sql", "message"), [
    ("duplicate", _raised_from("1900-01-01"),
     f"seeds/seg_thresholds.csv has 2 rows for {RULE} valid from 1900-01-01: keep one."),
    ("no_value", [f"update {{seed}} set threshold_value = null where threshold_name = '{RULE}'"],
     f"seeds/seg_thresholds.csv: the row {RULE} has no valid threshold_value (a number is needed)."),
    ("no_date", [f"update {{seed}} set valid_from = null where threshold_name = '{RULE}'"],
     f"seeds/seg_thresholds.csv: the row {RULE} has no valid valid_from"),
    ("dated_window", ["insert into {seed} values ('window_90d_days', 60, date '2025-05-01', 'shorter')"],
     "seeds/seg_thresholds.csv: window_90d_days shapes the facts of every as-of date and cannot change at a date"),
    ("fractional_days", ["update {seed} set threshold_value = 90.5 where threshold_name = 'churn_after_days'"],
     "seeds/seg_thresholds.csv: the row churn_after_days valid from 1900-01-01 has 90.5"),
    ("negative_days", ["update {seed} set threshold_value = -1 where threshold_name = 'recall_cooldown_days'"],
     "a count of days, hours, minutes or buckets must be a whole number, 0 or more."),
    ("late_first_row", [f"update {{seed}} set valid_from = date '2025-05-01' where threshold_name = '{RULE}'"],
     f"seeds/seg_thresholds.csv has no row of {RULE} valid on "),
])
def test_a_bad_threshold_row_stops_the_build_with_one_sentence(base_db: Path, raw: Path, name: str,
                                                                 sql: list[str], message: str) -> None:
    _, result = _variant(base_db, raw, f"bad_{name}", sql, select="int_thresholds_current int_user_tiers_assigned")
    assert result.returncode != 0
    assert message in result.stdout, result.stdout[-3000:]
    assert "Traceback" not in result.stdout + result.stderr


def test_the_unit_test_fixture_holds_the_seed_rows_valid_today() -> None:
    """tests/fixtures/thresholds_current.csv (what unit tests give as int_thresholds_current) is the
    seed's latest row per name: a seed change shows up here too."""
    with (PROJECT_ROOT / "seeds" / "seg_thresholds.csv").open(newline="") as handle:
        latest: dict[str, tuple[str, str]] = {}
        for row in csv.DictReader(handle):
            if row["threshold_name"] not in latest or row["valid_from"] > latest[row["threshold_name"]][1]:
                latest[row["threshold_name"]] = (row["threshold_value"], row["valid_from"])
    with (PROJECT_ROOT / "tests" / "fixtures" / "thresholds_current.csv").open(newline="") as handle:
        fixture = {row["threshold_name"]: (row["threshold_value"], row["valid_from"]) for row in csv.DictReader(handle)}
    assert fixture == latest


def test_the_tier_diff_shows_the_movers_of_the_dated_rule_at_its_first_date(
        project: Path, raw: Path, base_db: Path, dated_db: Path, change_date: str, tmp_path: Path) -> None:
    """`livetier diff` of the dated row, as of its valid_from, moves exactly the users whose history
    row at that period end moved (the dated build against the base build)."""
    with (project / "seeds" / "seg_thresholds.csv").open("a") as handle:
        handle.write(f'{RULE},4,{change_date},"raised"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "DUCKDB_PATH", "RAW_PATH"))}
    env.update({"RAW_PATH": str(raw), "AS_OF_DATE": change_date, "BUILD_CLOCK": CLOCK})
    out = tmp_path / "diff"
    done = subprocess.run([sys.executable, "-m", "livetier", "diff", "--base", "HEAD", "--out", str(out)],
                          cwd=project, env=env, capture_output=True, text=True)
    assert done.returncode == 0, (done.stdout + done.stderr)[-5000:]
    with (out / "tier_diff_users.csv").open(newline="") as handle:
        diffed = {(r["family"], r["user_id"], r["from_tier"], r["to_tier"]) for r in csv.DictReader(handle)}
    con = duckdb.connect()
    try:
        con.execute(f"attach '{base_db}' as lhs (read_only)")
        con.execute(f"attach '{dated_db}' as rhs (read_only)")
        moved = con.execute(f"""
            select lhs_rows.user_id, lhs_rows.value_tier, rhs_rows.value_tier
            from lhs.segmentation.user_tier_history as lhs_rows
            inner join rhs.segmentation.user_tier_history as rhs_rows
                on lhs_rows.user_id = rhs_rows.user_id and lhs_rows.period_end = rhs_rows.period_end
            where lhs_rows.period_end = date '{change_date}' and lhs_rows.value_tier <> rhs_rows.value_tier
        """).fetchall()
    finally:
        con.close()
    assert moved, "the dated rule moves nobody at its first date: the comparison would be vacuous"
    assert diffed == {("value_tier", user_id, before, after) for user_id, before, after in moved}
