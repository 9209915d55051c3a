"""Campaign readout on generated data with known uplift (`<raw>/_truth/campaign_uplift.parquet`).

Coverage: twenty generator seeds (1-20, fixed up front, not chosen by outcome) are merged into one
raw export (every id prefixed by its seed, one file per seed in each table's folder), so one
build reads 80 campaigns. At least 90% of the true uplifts must fall inside their 95% interval.
The generator's truth is the expected difference in conversion of treated and control users
(uplift orders go to treated users without an organic conversion, with probability
true_uplift / (1 - base rate)), the estimand of `absolute_uplift` at family `all`.
The standard errors are recomputed here in pandas from per-user rows: CR1 by cluster, and for
conversion the larger of that and the Agresti-Caffo error (+1 conversion, +1 non-conversion per arm).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from dbt_harness import SEED_AND_MODELS, build, query

from livetier.generator import generate

END = "2025-06-30"
CLOCK = "2025-07-05T00:00:00"
SEEDS = range(1, 21)
Z95 = 1.959963984540054


def _merge_seeds(root: Path) -> Path:
    """One raw folder holding every seed's shop, ids prefixed `s<seed>-`, truth concatenated."""
    merged = root / "raw"
    truths = []
    for seed in SEEDS:
        raw = root / f"seed{seed}"
        generate(out=raw, users=6000, days=60, seed=seed, end_date=END, progress=False)
        for path in sorted(raw.glob("*.parquet")):
            table = pq.read_table(path)
            for i, name in enumerate(table.column_names):
                if name.endswith("_id") and pa.types.is_string(table.schema.field(name).type):
                    col = pc.binary_join_element_wise(pa.scalar(f"s{seed}-"), table.column(name), "")
                    table = table.set_column(i, name, col)
            (merged / path.stem).mkdir(parents=True, exist_ok=True)
            pq.write_table(table, merged / path.stem / f"seed{seed}.parquet")
        truth = pd.read_parquet(raw / "_truth" / "campaign_uplift.parquet")
        truth["campaign_id"] = f"s{seed}-" + truth["campaign_id"]
        truths.append(truth)
    pd.concat(truths).to_parquet(root / "truth.parquet")
    return merged


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    root = tmp_path_factory.mktemp("readout")
    raw = _merge_seeds(root)
    db = root / "readout.duckdb"
    result = build(raw, db, as_of=END, clock=CLOCK, command="build", select="+campaign_tier_readout",
                   extra_args=SEED_AND_MODELS)
    assert result.returncode == 0, result.stdout[-5000:]
    return pd.read_parquet(root / "truth.parquet").set_index("campaign_id"), db


def test_intervals_cover_the_true_uplifts(built: tuple[pd.DataFrame, Path]) -> None:
    truth, db = built
    rows = query(db, "select * from campaign_tier_readout where tier_family = 'all'").set_index("campaign_id")
    assert sorted(rows.index) == sorted(truth.index) and len(rows) >= 20
    rows = rows.join(truth.drop(columns="attribution_days"))
    assert (rows.treatment_users == rows.n_treated).all() and (rows.control_users == rows.n_control).all()
    assert rows.is_attribution_complete.all() and not rows.is_too_small_to_read.any()
    inside = (rows.uplift_ci_low <= rows.true_uplift) & (rows.true_uplift <= rows.uplift_ci_high)
    misses = rows.loc[~inside, ["true_uplift", "absolute_uplift", "uplift_ci_low", "uplift_ci_high"]]
    assert inside.mean() >= 0.9, f"{inside.sum()} of {len(rows)} inside:\n{misses}"
    gmv_inside = rows.gmv_per_user_uplift_ci_low.lt(rows.gmv_per_user_uplift_ci_high)
    assert gmv_inside.all()


def test_cluster_robust_errors_match_a_recount(built: tuple[pd.DataFrame, Path]) -> None:
    _, db = built
    users = query(db, """
        with users as (
            select campaign_id, user_id, min(sent_at) as sent_at, bool_or(not is_control) as is_treated
            from stg_live__campaign_touches group by 1, 2
        ),
        conv as (
            select users.campaign_id, users.user_id, count(p.user_id) > 0 as converted,
                   coalesce(sum(p.net_amount), 0)::double as gmv
            from users left join int_purchases_netted as p
                on users.user_id = p.user_id and p.paid_at > users.sent_at
                and p.paid_at <= users.sent_at + interval 7 day
            group by 1, 2
        ),
        last_stream as (
            select users.campaign_id, users.user_id,
                   arg_max(s.stream_id, (s.session_started_at, s.session_id)) as stream_id
            from users inner join int_watch_sessions_sessionized as s
                on users.user_id = s.user_id and s.session_started_at < users.sent_at
            group by 1, 2
        )
        select users.campaign_id, users.is_treated, conv.converted::int as converted, conv.gmv,
               coalesce('stream:' || last_stream.stream_id, 'user:' || users.user_id) as cluster
        from users
        inner join conv using (campaign_id, user_id)
        left join last_stream using (campaign_id, user_id)
    """)
    rows = query(db, "select * from campaign_tier_readout where tier_family = 'all'").set_index("campaign_id")
    for campaign_id, group in users.groupby("campaign_id"):
        treated = group.is_treated
        for outcome, column in (("converted", "uplift_standard_error"), ("gmv", "gmv_per_user_uplift_standard_error")):
            y = group[outcome].astype(float)
            influence = np.where(treated, (y - y[treated].mean()) / treated.sum(),
                                 -(y - y[~treated].mean()) / (~treated).sum())
            sums = pd.Series(influence, index=group.index).groupby(group.cluster).sum()
            g = len(sums)
            expected = np.sqrt(g / (g - 1) * (sums**2).sum())
            if outcome == "converted":
                arms = [(y[treated].sum(), treated.sum()), (y[~treated].sum(), (~treated).sum())]
                adjusted = np.sqrt(sum((x + 1) * (n - x + 1) / (n + 2) ** 3 for x, n in arms))
                expected = max(expected, adjusted)
            assert rows.loc[campaign_id, column] == pytest.approx(expected, rel=1e-9), (campaign_id, column)
            assert rows.loc[campaign_id, "uplift_clusters"] == g


def test_family_cells_add_up_to_the_campaign(built: tuple[pd.DataFrame, Path]) -> None:
    _, db = built
    mismatches = query(db, """
        with cells as (
            select campaign_id, tier_family, sum(treatment_users) as t, sum(control_users) as c,
                   sum(treatment_converted_users) as tc, sum(control_converted_users) as cc,
                   sum(treatment_net_gmv) as g
            from campaign_tier_readout group by 1, 2
        )
        select cells.* from cells
        inner join cells as campaign on cells.campaign_id = campaign.campaign_id and campaign.tier_family = 'all'
        where cells.t <> campaign.t or cells.c <> campaign.c or cells.tc <> campaign.tc
           or cells.cc <> campaign.cc or cells.g <> campaign.g
    """)
    assert mismatches.empty, mismatches


def test_tier_is_the_one_held_the_day_before(built: tuple[pd.DataFrame, Path]) -> None:
    _, db = built
    # recount the value_tier cells from the as-of chain at each user's eve
    recount = query(db, """
        with users as (
            select campaign_id, user_id, min(sent_at) as sent_at, bool_or(not is_control) as is_treated
            from stg_live__campaign_touches group by 1, 2
        )
        select users.campaign_id, coalesce(tiers.value_tier, 'not_known') as tier_code,
               sum(case when is_treated then 1 else 0 end) as treatment_users
        from users
        left join int_user_tiers_assigned as tiers
            on users.user_id = tiers.user_id
            and tiers.as_of_date = cast(timezone('Asia/Shanghai', users.sent_at::timestamptz) as date) - 1
        group by 1, 2
    """)
    readout = query(db, "select campaign_id, tier_code, treatment_users from campaign_tier_readout "
                        "where tier_family = 'value_tier'")
    merged = recount.merge(readout, on=["campaign_id", "tier_code"], how="outer", suffixes=("_chain", "_readout"))
    assert (merged.treatment_users_chain == merged.treatment_users_readout).all(), merged
