"""The readouts of segmentation.md ("History and transitions", "Campaign readout"), recomputed in pandas.

tier_kpis and tier_transition_matrix count the oracle's tier history; campaign_tier_readout reads the kept
touches and purchases with each touched user's tiers as of the eve of the touch (`segmentation.as_of` at
that date, so no later data). Where the spec names a figure without its formula (shares, intervals), the
definition is the mart's column description in the model YAML. Counts are ints, money `Decimal` CNY,
fixed-point quotients the exact rational rounded to 6 places, the readout's doubles floats.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pandas as pd

from livetier import PROJECT_ROOT

from .segmentation import FAMILIES, business_day, date_text, day_number, money, purchases, rounded, watch_sessions
from .segmentation import as_of as tiers_as_of

ENTRY = "(none)"  # the from-tier of a user entering the known population
NOT_KNOWN = "not_known"  # the readout's tier of a user not yet known on the eve of the touch


def tier_labels(seeds: Path = PROJECT_ROOT / "seeds") -> pd.DataFrame:
    """The seed `tier_labels` of the four families: family, tier_code, label_en, label_zh, sort_order,
    tier_level (higher is better; it defines up and down)."""
    labels = pd.read_csv(seeds / "tier_labels.csv", dtype={"sort_order": int, "tier_level": int})
    return labels[labels["family"].isin(FAMILIES)].reset_index(drop=True)


def _direction(from_tier: str, to_tier: str, levels: dict[str, int]) -> str:
    if from_tier == ENTRY:
        return "entry"
    if from_tier == to_tier:
        return "stay"
    return "up" if levels[to_tier] > levels[from_tier] else "down" if levels[to_tier] < levels[from_tier] else "lateral"


def _share(part: int, whole: int) -> Decimal | None:
    return None if whole == 0 else rounded(Fraction(part, whole))


def tier_kpis(tier_history: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """tier_kpis: per history date P, family and every tier of the seed, the tier's users at P, their
    share of the users known by P, buyers (a purchase in the 365 days up to P), purchases and net GMV over
    those 365 days, GMV share and AOV; and of the tier's users at P the shares holding the same tier, a
    higher or a lower tier_level at the next history date (null for the last date, D, or an empty tier)."""
    period_ends = sorted(tier_history["period_end"].unique())
    following = dict(zip(period_ends, [*period_ends[1:], None], strict=True))
    by_date = {end: rows.set_index("user_id") for end, rows in tier_history.groupby("period_end")}
    rows = []
    for end in period_ends:
        now, later = by_date[end], by_date.get(following[end])
        population_gmv = sum(now["net_gmv_365d"], Decimal(0))
        for family, tiers in labels.groupby("family", sort=False):
            levels = dict(zip(tiers["tier_code"], tiers["tier_level"], strict=True))
            for tier in tiers.itertuples():
                members = now[now[family] == tier.tier_code]
                users = len(members)
                bought = int(members["purchases_365d"].sum())
                gmv = sum(members["net_gmv_365d"], Decimal(0))
                moves = {"same": None, "up": None, "down": None}
                if later is not None and users:
                    then = later.loc[members.index, family]
                    moves = {"same": int((then == tier.tier_code).sum()),
                             "up": int((then.map(levels) > tier.tier_level).sum()),
                             "down": int((then.map(levels) < tier.tier_level).sum())}
                rows.append({
                    "period_end": end, "next_period_end": following[end], "tier_family": family,
                    "tier_code": tier.tier_code, "tier_label_en": tier.label_en, "tier_label_zh": tier.label_zh,
                    "sort_order": tier.sort_order, "tier_level": tier.tier_level, "user_count": users,
                    "share_of_users": _share(users, len(now)),
                    "buyer_count": int((members["purchases_365d"] > 0).sum()),
                    "purchases_365d": bought, "net_gmv_365d": gmv,
                    "gmv_share": None if population_gmv == 0 else rounded(Fraction(gmv) / Fraction(population_gmv)),
                    "aov_365d": None if bought == 0 else rounded(Fraction(gmv) / bought),
                    **{column: None if moves[move] is None else _share(moves[move], users)
                       for column, move in (("retention_next_period", "same"), ("moved_up_share", "up"),
                                            ("moved_down_share", "down"))},
                })
    return pd.DataFrame(rows, dtype=object)


def tier_transition_matrix(tier_history: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """tier_transition_matrix: per history date P, family and (from, to) pair that occurs, the users who held
    `from` at the previous history date and hold `to` at P (stays included; `(none)` for users entering the
    population), the users of `from` at the previous date (all entrants of P for `(none)`) and the rate."""
    period_ends = sorted(tier_history["period_end"].unique())
    by_date = {end: rows.set_index("user_id") for end, rows in tier_history.groupby("period_end")}
    rows = []
    for position, end in enumerate(period_ends):
        previous = period_ends[position - 1] if position else None
        now = by_date[end]
        before = by_date[previous] if previous else now.iloc[0:0]
        for family in FAMILIES:
            levels = dict(zip(labels.loc[labels["family"] == family, "tier_code"],
                              labels.loc[labels["family"] == family, "tier_level"], strict=True))
            moves = pd.DataFrame({"from_tier": before[family].reindex(now.index).fillna(ENTRY), "to_tier": now[family]})
            held = before[family].value_counts().to_dict()
            held[ENTRY] = int((moves["from_tier"] == ENTRY).sum())
            for (from_tier, to_tier), users in moves.groupby(["from_tier", "to_tier"]).size().items():
                rows.append({
                    "period_end": end, "from_period_end": previous, "tier_family": family, "from_tier": from_tier,
                    "to_tier": to_tier, "user_count": int(users), "from_tier_user_count": int(held[from_tier]),
                    "transition_rate": rounded(Fraction(int(users), int(held[from_tier]))),
                    "direction": _direction(from_tier, to_tier, levels), "is_stay": from_tier == to_tier,
                    "is_entry": from_tier == ENTRY,
                })
    return pd.DataFrame(rows, dtype=object)


def _touched_users(kept: dict[str, pd.DataFrame], d: int, limits: dict[str, Fraction]) -> pd.DataFrame:
    """One row per campaign and touched user (touches sent by D): first_sent, treated (a touch that is not a
    control row), opened (a touch with opened_at), converted and gmv (cents: net as of D of the purchases paid
    in (first_sent, first_sent + attribution_days x 24 h]) and cluster (the stream of the user's last watch
    session begun before first_sent, else the user; of two begun together, the greater enter event_id's)."""
    touches = kept["campaign_touches"]
    touches = touches[business_day(touches["sent_at"]) <= d].copy()
    touches["opened"] = touches["opened_at"].notna()
    users = touches.groupby(["campaign_id", "user_id"]).agg(
        first_sent=("sent_at", "min"), treated=("is_control", lambda flags: not all(flags)),
        opened=("opened", "any")).reset_index()
    window = pd.Timedelta(hours=24 * int(limits["attribution_days"]))
    paid = users.merge(purchases(kept, d)[["user_id", "paid_at", "net"]], on="user_id")
    paid = paid[(paid["paid_at"] > paid["first_sent"]) & (paid["paid_at"] <= paid["first_sent"] + window)]
    converting = paid.groupby(["campaign_id", "user_id"])["net"].agg(["size", "sum"])
    users = users.join(converting, on=["campaign_id", "user_id"])
    users["converted"] = users["size"].fillna(0) > 0
    users["gmv"] = users["sum"].fillna(0).round().astype(int)
    sessions = watch_sessions(kept, d, limits)[["user_id", "start", "event_id", "stream_id"]]
    watched = users.merge(sessions, on="user_id")
    watched = watched[watched["start"] < watched["first_sent"]].sort_values(["start", "event_id"])
    last = watched.drop_duplicates(["campaign_id", "user_id"], keep="last").set_index(["campaign_id", "user_id"])
    streams = users.join(last["stream_id"], on=["campaign_id", "user_id"])["stream_id"]
    users["cluster"] = ("stream " + streams).where(streams.notna(), "user " + users["user_id"])
    return users.drop(columns=["size", "sum"])


def _cr1(cell: pd.DataFrame, outcome: str, treated_mean: Fraction, control_mean: Fraction) -> float | None:
    """Cluster-robust (CR1) standard error of a difference in means: sqrt(G / (G - 1) x the sum over the
    G clusters of the squared sum of their users' influences); None when G < 2."""
    treated, control = int(cell["treated"].sum()), int((~cell["treated"]).sum())
    clusters: dict[str, Fraction] = {}
    for is_treated, value, cluster in zip(cell["treated"], cell[outcome], cell["cluster"], strict=True):
        influence = ((value - treated_mean) / treated) if is_treated else -((value - control_mean) / control)
        clusters[cluster] = clusters.get(cluster, Fraction(0)) + influence
    g = len(clusters)
    if g < 2:
        return None
    return math.sqrt(Fraction(g, g - 1) * sum(total * total for total in clusters.values()))


def _cell(cell: pd.DataFrame, limits: dict[str, Fraction]) -> dict[str, object]:
    """The readout's figures for the users of one cell (per user: treated, opened, converted, gmv, cluster)."""
    arms = {True: cell[cell["treated"]], False: cell[~cell["treated"]]}
    n = {arm: len(users) for arm, users in arms.items()}
    converted = {arm: int(users["converted"].sum()) for arm, users in arms.items()}
    gmv = {arm: int(users["gmv"].sum()) for arm, users in arms.items()}
    rate = {arm: Fraction(converted[arm], n[arm]) if n[arm] else None for arm in arms}
    per_user = {arm: Fraction(gmv[arm], 100 * n[arm]) if n[arm] else None for arm in arms}
    both = n[True] > 0 and n[False] > 0
    uplift = rate[True] - rate[False] if both else None
    gmv_uplift = per_user[True] - per_user[False] if both else None
    minimum = limits["readout_min_users_per_arm"]
    too_small = n[True] < minimum or n[False] < minimum
    error = gmv_error = None
    if not too_small:
        cluster_error = _cr1(cell.assign(y=cell["converted"].astype(int)), "y", rate[True], rate[False])
        pseudo = limits["uplift_pseudo_conversions"]
        shrunk = [((converted[arm] + pseudo) / (n[arm] + 2 * pseudo), n[arm] + 2 * pseudo) for arm in arms]
        agresti_caffo = math.sqrt(sum(p * (1 - p) / size for p, size in shrunk))
        error = agresti_caffo if cluster_error is None else max(cluster_error, agresti_caffo)
        gmv_error = _cr1(cell.assign(y=[Fraction(int(cents), 100) for cents in cell["gmv"]]), "y",
                         per_user[True], per_user[False])
    z = float(limits["uplift_ci_z"])

    def interval(point: Fraction | None, spread: float | None, sign: int) -> float | None:
        return None if point is None or spread is None else float(point) + sign * z * spread

    return {
        "treatment_users": n[True], "control_users": n[False],
        "treatment_opened_users": int(arms[True]["opened"].sum()),
        "treatment_open_rate": float(Fraction(int(arms[True]["opened"].sum()), n[True])) if n[True] else None,
        "treatment_converted_users": converted[True], "control_converted_users": converted[False],
        "treatment_conversion_rate": None if rate[True] is None else float(rate[True]),
        "control_conversion_rate": None if rate[False] is None else float(rate[False]),
        "absolute_uplift": None if uplift is None else float(uplift),
        "uplift_standard_error": error, "uplift_ci_low": interval(uplift, error, -1),
        "uplift_ci_high": interval(uplift, error, 1),
        "relative_uplift": None if uplift is None or rate[False] == 0 else float(uplift / rate[False]),
        "gmv_per_user_uplift": None if gmv_uplift is None else float(gmv_uplift),
        "gmv_per_user_uplift_standard_error": gmv_error,
        "gmv_per_user_uplift_ci_low": interval(gmv_uplift, gmv_error, -1),
        "gmv_per_user_uplift_ci_high": interval(gmv_uplift, gmv_error, 1),
        "uplift_clusters": int(cell["cluster"].nunique()), "is_too_small_to_read": bool(too_small),
        "treatment_net_gmv": money(gmv[True]), "control_net_gmv": money(gmv[False]),
        "treatment_net_gmv_per_user": None if per_user[True] is None else rounded(per_user[True]),
        "control_net_gmv_per_user": None if per_user[False] is None else rounded(per_user[False]),
    }


def campaign_tier_readout(kept: dict[str, pd.DataFrame], as_of_date: str, limits: dict[str, Fraction]) -> pd.DataFrame:
    """campaign_tier_readout: per campaign, tier family and tier each touched user held on the eve of their
    first touch of the campaign (as of its business date minus one; `not_known` when not yet known), plus
    family and tier `all`: users and conversions per arm, rates, uplift with its 95% interval, net GMV."""
    d = day_number(as_of_date)
    users = _touched_users(kept, d, limits)
    users["eve"] = business_day(users["first_sent"]) - 1
    for eve in sorted(users["eve"].unique()):
        tiers = tiers_as_of(kept, date_text(eve), limits)[FAMILIES]
        on_eve = users["eve"] == eve
        for family in FAMILIES:
            users.loc[on_eve, family] = users.loc[on_eve, "user_id"].map(tiers[family]).fillna(NOT_KNOWN)
    # the campaign's first send date, and the last date a user's window opened (their first touch)
    sent = users.assign(day=business_day(users["first_sent"])).groupby("campaign_id")["day"].agg(["min", "max"])
    days = int(limits["attribution_days"])
    rows = []
    for campaign, touched in users.groupby("campaign_id"):
        cells = [("all", "all", touched)] + [(family, tier, members) for family in FAMILIES
                                             for tier, members in touched.groupby(family)]
        for family, tier, members in cells:
            rows.append({"campaign_id": campaign, "tier_family": family, "tier_code": tier,
                         "first_sent_date": date_text(sent.at[campaign, "min"]), "attribution_days": days,
                         "is_attribution_complete": bool(sent.at[campaign, "max"] + days <= d),
                         **_cell(members, limits), "as_of_date": as_of_date})
    return pd.DataFrame(rows, dtype=object)
