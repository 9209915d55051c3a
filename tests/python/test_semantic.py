"""The semantic layer: `mf query` (MetricFlow, offline on DuckDB) returns the marts' numbers.

MetricFlow reads `<project>/target/semantic_manifest.json`, so the test parses the project in a
folder of its own (symlinks to the project's files) and queries the working warehouse of the
session's published build of the worked examples.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from bi_build import published_examples, work_of

from livetier import PROJECT_ROOT

BIN = Path(sys.executable).parent
TIER = ["tier_kpi_row__tier_family", "tier_kpi_row__tier", "metric_time__day"]


@pytest.fixture(scope="module")
def semantic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """(project folder, environment) ready for `mf query` against the examples' working warehouse."""
    work = work_of(published_examples(tmp_path_factory))
    project = tmp_path_factory.mktemp("semantic_project")
    for name in ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests", "analyses", "livetier"):
        (project / name).symlink_to(PROJECT_ROOT / name)
    env = dict(os.environ, DUCKDB_PATH=str(work), DBT_PROFILES_DIR=str(project), DBT_PROJECT_DIR=str(project),
               DBT_LOG_PATH=str(project / "logs"), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    env.pop("DBT_TARGET_PATH", None)
    parsed = subprocess.run([str(BIN / "dbt"), "parse", "--quiet"], cwd=project, env=env, capture_output=True,
                            text=True)
    assert parsed.returncode == 0, parsed.stdout[-3000:] + parsed.stderr[-3000:]
    assert (project / "target" / "semantic_manifest.json").is_file()
    return project, env


def mf_query(semantic: tuple[Path, dict[str, str]], metrics: list[str], group_by: list[str]) -> pd.DataFrame:
    project, env = semantic
    out = project / f"q_{len(list(project.glob('q_*.csv')))}.csv"
    result = subprocess.run(
        [str(BIN / "mf"), "query", "--metrics", ",".join(metrics), "--group-by", ",".join(group_by),
         "--csv", str(out)], cwd=project, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0 and out.is_file(), result.stdout[-3000:] + result.stderr[-3000:]
    return pd.read_csv(out)


def mart(semantic: tuple[Path, dict[str, str]], sql: str) -> pd.DataFrame:
    with duckdb.connect(semantic[1]["DUCKDB_PATH"], read_only=True) as con:
        return con.execute(sql).df()


def _same(left: pd.Series, right: pd.Series) -> bool:
    a, b = pd.to_numeric(left).astype("float64").to_numpy(), pd.to_numeric(right).astype("float64").to_numpy()
    return bool(np.array_equal(np.isnan(a), np.isnan(b)) and np.allclose(a[~np.isnan(a)], b[~np.isnan(b)],
                                                                          atol=1e-6, rtol=0))


def test_tier_metrics_equal_tier_kpis(semantic: tuple[Path, dict[str, str]]) -> None:
    metrics = ["tier_users", "tier_user_share", "tier_buyers", "tier_net_gmv", "tier_aov", "tier_gmv_share",
               "tier_retention", "tier_moved_up_share", "tier_moved_down_share"]
    got = mf_query(semantic, metrics, TIER)
    got["period_end"] = pd.to_datetime(got["metric_time__day"]).dt.date.astype(str)
    got = got.rename(columns={"tier_kpi_row__tier_family": "tier_family", "tier_kpi_row__tier": "tier_code"})
    expected = mart(semantic, """
        select cast(period_end as varchar) as period_end, tier_family, tier_code, user_count, share_of_users,
               buyer_count, net_gmv_365d, aov_365d, gmv_share, retention_next_period, moved_up_share,
               moved_down_share
        from segmentation.tier_kpis""")
    assert len(expected) > 20 and expected["retention_next_period"].notna().any()
    joined = expected.merge(got, on=["period_end", "tier_family", "tier_code"], how="outer", indicator=True)
    assert (joined["_merge"] == "both").all(), joined[joined["_merge"] != "both"]
    for mart_column, metric in [("user_count", "tier_users"), ("share_of_users", "tier_user_share"),
                                ("buyer_count", "tier_buyers"), ("net_gmv_365d", "tier_net_gmv"),
                                ("aov_365d", "tier_aov"), ("gmv_share", "tier_gmv_share"),
                                ("retention_next_period", "tier_retention"),
                                ("moved_up_share", "tier_moved_up_share"),
                                ("moved_down_share", "tier_moved_down_share")]:
        assert _same(joined[mart_column], joined[metric]), (metric, joined[[mart_column, metric]])


def test_user_metrics_by_city_tier_and_value_tier_equal_the_marts(semantic: tuple[Path, dict[str, str]]) -> None:
    got = mf_query(semantic, ["buyers", "purchases", "net_gmv", "aov"], ["user__city_tier"])
    expected = mart(semantic, """
        select city_tier, sum(case when purchases_365d > 0 then 1 else 0 end) as buyers,
               sum(purchases_365d) as purchases, sum(net_gmv_365d) as net_gmv,
               sum(net_gmv_365d) / nullif(sum(purchases_365d), 0) as aov
        from segmentation.user_facts group by 1""")
    joined = expected.merge(got, left_on="city_tier", right_on="user__city_tier", how="outer", indicator=True)
    assert (joined["_merge"] == "both").all() and expected["buyers"].sum() > 0
    for column in ("buyers", "purchases", "net_gmv", "aov"):
        assert _same(joined[f"{column}_x"], joined[f"{column}_y"]), column

    users = mf_query(semantic, ["users"], ["user__value_tier"])
    sizes = mart(semantic, "select value_tier, count(*) as n from segmentation.user_tiers group by 1")
    joined = sizes.merge(users, left_on="value_tier", right_on="user__value_tier", how="outer")
    assert joined["n"].tolist() == joined["users"].tolist() and len(joined) == len(sizes)


def test_campaign_conversion_and_uplift_equal_the_readout(semantic: tuple[Path, dict[str, str]]) -> None:
    keys = ["campaign_tier__campaign_id", "campaign_tier__tier_family", "campaign_tier__tier"]
    got = mf_query(semantic, ["campaign_treatment_conversion", "campaign_control_conversion", "campaign_uplift"],
                   keys)
    expected = mart(semantic, """
        select campaign_id, tier_family, tier_code, treatment_conversion_rate, control_conversion_rate,
               absolute_uplift
        from operations.campaign_tier_readout""")
    joined = expected.merge(got, left_on=["campaign_id", "tier_family", "tier_code"], right_on=keys, how="outer",
                            indicator=True)
    assert (joined["_merge"] == "both").all() and expected["absolute_uplift"].notna().any()
    for mart_column, metric in [("treatment_conversion_rate", "campaign_treatment_conversion"),
                                ("control_conversion_rate", "campaign_control_conversion"),
                                ("absolute_uplift", "campaign_uplift")]:
        assert _same(joined[mart_column], joined[metric]), (metric, joined[[mart_column, metric]])
