"""The segmentation rules (spec segmentation.md), recomputed in pandas from the kept raw rows.

Dates are day numbers (days since 1970-01-01) of the business calendar while computing, and
`YYYY-MM-DD` text in the frames returned; money is integer cents while computing and `Decimal` CNY
in the frames returned; every quotient is the exact rational rounded to 6 places. Thresholds come
from the project's seed (`seeds/seg_thresholds.csv`), the numbers the spec writes `like_this`.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from livetier import PROJECT_ROOT

# the dbt var business_timezone (default Asia/Shanghai); a test of another zone sets it here
BUSINESS_TIMEZONE = "Asia/Shanghai"
EPOCH = pd.Timestamp("1970-01-01")
INTERACTIONS = ["like", "comment", "share", "follow", "gift"]
FAMILIES = ["value_tier", "lifecycle_stage", "spend_tier", "rfm_segment"]
# (R high, F high, M high) -> the eight classic segments (RFM 八类用户)
SEGMENTS = {(True, True, True): "important_value", (True, False, True): "important_develop",
            (False, True, True): "important_retain", (False, False, True): "important_winback",
            (True, True, False): "general_value", (True, False, False): "general_develop",
            (False, True, False): "general_retain", (False, False, False): "general_winback"}


def thresholds(seeds: Path = PROJECT_ROOT / "seeds") -> dict[str, Fraction]:
    """The thresholds seed as exact numbers, by name. The oracle knows one value per name: a dated
    rule (a second row of a name, valid from a later date) stops it with a sentence, not a diff."""
    seed = pd.read_csv(seeds / "seg_thresholds.csv", dtype=str)
    dated = sorted(seed.threshold_name[seed.threshold_name.duplicated()].unique())
    if dated:
        raise ValueError(f"the spec oracle reads one value per threshold; dated rows for {dated}")
    return {row.threshold_name: Fraction(row.threshold_value) for row in seed.itertuples()}


def business_day(instants: pd.Series) -> pd.Series:
    """The business date of naive UTC instants, as a day number (each instant at its own zone offset)."""
    local = instants.dt.tz_localize("UTC").dt.tz_convert(BUSINESS_TIMEZONE).dt.tz_localize(None)
    return (local.dt.floor("D") - EPOCH).dt.days


def day_number(text: str) -> int:
    return (pd.Timestamp(text) - EPOCH).days


def date_text(day: float) -> str | None:
    return None if pd.isna(day) else (date(1970, 1, 1) + timedelta(days=int(day))).isoformat()


def money(cents: float) -> Decimal:
    return Decimal(int(round(cents))).scaleb(-2)


def rounded(value: Fraction) -> Decimal:
    """An exact quotient rounded to 6 places, half-even."""
    scaled = value * 1_000_000
    whole, rest = divmod(scaled.numerator, scaled.denominator)
    if 2 * rest > scaled.denominator or (2 * rest == scaled.denominator and whole % 2 == 1):
        whole += 1
    return Decimal(whole).scaleb(-6)


def purchases(kept: dict[str, pd.DataFrame], as_of: int) -> pd.DataFrame:
    """Purchases as of D: placed and paid by D, not cancelled, net = amount - refunds dated <= D, > 0;
    `refunded` without any refund row is net 0. Columns: order_id, user_id, stream_id, paid_at,
    purchase_day (the business date of paid_at) and net (cents)."""
    orders = kept["orders"]
    refunds = kept["refunds"]
    refunded_by_d = refunds[business_day(refunds["refunded_at"]) <= as_of].groupby("order_id")["amount"].sum()
    net = orders["amount"] - orders["order_id"].map(refunded_by_d).fillna(0)
    net = net.where(~((orders["status"] == "refunded") & ~orders["order_id"].isin(refunds["order_id"])), 0)
    paid_day = business_day(orders["paid_at"])
    is_purchase = ((business_day(orders["ordered_at"]) <= as_of) & orders["paid_at"].notna() & (paid_day <= as_of)
                   & (orders["status"] != "cancelled") & (net > 0))
    found = orders.loc[is_purchase, ["order_id", "user_id", "stream_id", "paid_at"]].copy()
    found["purchase_day"] = paid_day[is_purchase].astype(int)
    found["net"] = net[is_purchase]
    return found.reset_index(drop=True)


def watch_sessions(kept: dict[str, pd.DataFrame], as_of: int, limits: dict[str, Fraction]) -> pd.DataFrame:
    """Watch sessions as of D (segmentation.md, written out in stream_review.md): one per enter_room.

    A user's room events are ordered by event_at, then enter_room before leave_room. A session ends at the
    first leave_room of its stream unless an enter_room with a later event_at comes first; without that
    leave it ends at the earliest of the next later enter_room (any stream), the stream's end if known
    (dated <= D) and `max_session_minutes` after it began; an end before the start is the start.
    Columns: user_id, stream_id, event_id, start, end, seconds (exact), day (of the start)."""
    events = kept["events"]
    room = events[events["event_type"].isin(["enter_room", "leave_room"])
                  & (business_day(events["event_at"]) <= as_of)]
    enters = room[room["event_type"] == "enter_room"][["user_id", "stream_id", "event_id", "event_at"]]
    leaves = room[room["event_type"] == "leave_room"]
    # the user's next enter_room strictly later than this one (one at the same instant does not end it)
    instants = enters[["user_id", "event_at"]].drop_duplicates().sort_values(["user_id", "event_at"])
    instants["next_enter"] = instants.groupby("user_id")["event_at"].shift(-1)
    sessions = enters.merge(instants, on=["user_id", "event_at"], how="left")
    # the first leave_room of the same user and stream at or after the enter (a null stream has no leave)
    sessions["room"] = sessions["user_id"] + "|" + sessions["stream_id"]
    leave_rooms = pd.DataFrame({"room": leaves["user_id"] + "|" + leaves["stream_id"],
                                "leave_at": leaves["event_at"]}).dropna().sort_values("leave_at")
    sessions = pd.merge_asof(sessions.sort_values("event_at"), leave_rooms, left_on="event_at", right_on="leave_at",
                             by="room", direction="forward")
    streams = kept["live_streams"]
    known_end = streams[streams["ended_at"].notna() & (business_day(streams["ended_at"]) <= as_of)]
    sessions = sessions.merge(known_end[["stream_id", "ended_at"]], on="stream_id", how="left")
    cap = sessions["event_at"] + pd.Timedelta(minutes=int(limits["max_session_minutes"]))
    by_leave = sessions["leave_at"].notna() & ~(sessions["leave_at"] >= sessions["next_enter"])
    otherwise = pd.concat([sessions["next_enter"], sessions["ended_at"], cap], axis=1).min(axis=1)
    end = pd.to_datetime(sessions["leave_at"].where(by_leave, otherwise))
    sessions["end"] = end.where(end > sessions["event_at"], sessions["event_at"])
    sessions = sessions.rename(columns={"event_at": "start"})
    sessions["seconds"] = (sessions["end"] - sessions["start"]).dt.total_seconds()
    sessions["day"] = business_day(sessions["start"])
    return sessions[["user_id", "stream_id", "event_id", "start", "end", "seconds", "day"]]


def _cume_counts(values: pd.Series, at_or_below: bool) -> pd.Series:
    """k per buyer: buyers whose value is at or below (else at or above) this one."""
    ordered = np.sort(values.to_numpy())
    if at_or_below:
        return pd.Series(np.searchsorted(ordered, values.to_numpy(), side="right"), index=values.index)
    return pd.Series(len(ordered) - np.searchsorted(ordered, values.to_numpy(), side="left"), index=values.index)


def _rfm(facts: pd.DataFrame, limits: dict[str, Fraction]) -> pd.DataFrame:
    """RFM over the buyers (a purchase in the last `rfm_window_days`): scores ceil(5k/n), mean comparisons,
    spend tier by cume_dist; all in integers or exact fractions."""
    window = int(limits["rfm_window_days"])
    buyers = facts[facts[f"purchases_{window}d"] > 0]
    rfm = pd.DataFrame(index=buyers.index)
    rfm["recency_days"] = buyers["recency_days"].astype(int)
    rfm["f_value"] = buyers[f"purchases_{window}d"].astype(int)
    rfm["m_cents"] = buyers[f"net_gmv_{window}d"].round().astype(np.int64)
    n = len(rfm)
    buckets = int(limits["rfm_score_buckets"])
    rfm["r_cume_count"] = _cume_counts(rfm["recency_days"], at_or_below=False)
    rfm["f_cume_count"] = _cume_counts(rfm["f_value"], at_or_below=True)
    rfm["m_cume_count"] = _cume_counts(rfm["m_cents"], at_or_below=True)
    for letter in "rfm":
        rfm[f"{letter}_score"] = -(-buckets * rfm[f"{letter}_cume_count"] // n)  # ceil(5k/n) in integers
    rfm["rfm_cell"] = rfm["r_score"].astype(str) + rfm["f_score"].astype(str) + rfm["m_score"].astype(str)
    rfm["is_r_high"] = rfm["recency_days"] * n <= rfm["recency_days"].sum()
    rfm["is_f_high"] = rfm["f_value"] * n >= rfm["f_value"].sum()
    rfm["is_m_high"] = rfm["m_cents"] * n >= rfm["m_cents"].sum()
    rfm["rfm_segment"] = [SEGMENTS[bool(r), bool(f), bool(m)]
                          for r, f, m in zip(rfm["is_r_high"], rfm["is_f_high"], rfm["is_m_high"], strict=True)]
    high, mid = limits["spend_high_share"], limits["spend_mid_share"]
    cume_dist = [Fraction(int(k), n) for k in rfm["m_cume_count"]]
    rfm["spend_tier"] = ["high" if share > 1 - high else "mid" if share > 1 - high - mid else "low"
                         for share in cume_dist]
    rfm["m_cume_dist"] = [rounded(share) for share in cume_dist]
    rfm["buyer_count"] = n
    return rfm


def _value_tier(user: pd.Series, limits: dict[str, Fraction]) -> str:
    if (user.purchases_365d >= limits["core_min_purchases_365d"]
            and user.watch_days_90d >= limits["core_min_watch_days_90d"]
            and user.interactions_90d >= limits["core_min_interactions_90d"]):
        return "core_fan"
    if (user.purchases_365d <= limits["potential_max_purchases_365d"]
            and user.watch_days_30d >= limits["potential_min_watch_days_30d"]
            and user.interactions_30d >= limits["potential_min_interactions_30d"]):
        return "potential"
    if user.days_since_first_seen < limits["new_window_days"] and user.lifetime_purchases == 0:
        return "new_visitor"
    if user.purchases_365d >= 1:
        return "regular"
    return "casual"


def _lifecycle_stage(user: pd.Series, limits: dict[str, Fraction]) -> str:
    inactive = user.days_since_last_active  # NaN for a user never active: no comparison holds
    if user.days_since_first_seen < limits["lifecycle_new_days"]:
        return "new"
    if inactive < limits["silent_after_days"] and user.has_recent_comeback:
        return "reactivated"
    if inactive < limits["silent_after_days"]:
        return "active"
    if inactive < limits["churn_after_days"]:
        return "silent"
    return "churned"


def as_of(kept: dict[str, pd.DataFrame], as_of_date: str, limits: dict[str, Fraction]) -> pd.DataFrame:
    """user_facts, user_rfm and user_tiers as of D in one frame: one row per user known by D (index
    user_id). Counts, days and cents are numbers here; `present` turns them into the marts' values."""
    d = day_number(as_of_date)
    events = kept["events"].assign(day=business_day(kept["events"]["event_at"]))
    events = events[events["day"] <= d]
    users = kept["users"].assign(day=business_day(kept["users"]["registered_at"]))
    users = users[users["day"] <= d]
    orders = kept["orders"].assign(day=business_day(kept["orders"]["ordered_at"]))
    orders = orders[orders["day"] <= d]
    bought = purchases(kept, d)

    known = pd.Index(pd.concat([users["user_id"], events["user_id"], orders["user_id"]]).unique(), name="user_id")
    facts = pd.DataFrame(index=known)
    facts["first_seen"] = pd.concat([users.groupby("user_id")["day"].min(), events.groupby("user_id")["day"].min(),
                                     orders.groupby("user_id")["day"].min()], axis=1).min(axis=1)
    facts["days_since_first_seen"] = d - facts["first_seen"]
    active_days = pd.concat([events[["user_id", "day"]],
                             bought[["user_id", "purchase_day"]].rename(columns={"purchase_day": "day"})])
    active_days = active_days.drop_duplicates().sort_values(["user_id", "day"])
    facts["last_active"] = active_days.groupby("user_id")["day"].max()
    facts["days_since_last_active"] = d - facts["last_active"]

    sessions = watch_sessions(kept, d, limits)
    interactions = events[events["event_type"].isin(INTERACTIONS)]
    for n in (7, 30, 90):
        recent = sessions[sessions["day"] > d - n]
        facts[f"watch_days_{n}d"] = recent.groupby("user_id")["day"].nunique()
        facts[f"watch_seconds_{n}d"] = recent.groupby("user_id")["seconds"].sum()
        facts[f"interactions_{n}d"] = interactions[interactions["day"] > d - n].groupby("user_id").size()
    for n in (30, 90, 365):
        recent = bought[bought["purchase_day"] > d - n]
        facts[f"purchases_{n}d"] = recent.groupby("user_id").size()
        facts[f"net_gmv_{n}d"] = recent.groupby("user_id")["net"].sum()
    facts["lifetime_purchases"] = bought.groupby("user_id").size()
    facts["lifetime_net_gmv"] = bought.groupby("user_id")["net"].sum()
    totals = [column for column in facts.columns
              if column.startswith(("watch_", "interactions_", "purchases_", "net_gmv_", "lifetime_"))]
    facts[totals] = facts[totals].fillna(0)  # a count, a watch time or a sum over nothing is 0

    facts["first_purchase"] = bought.groupby("user_id")["purchase_day"].min()
    facts["last_purchase"] = bought.groupby("user_id")["purchase_day"].max()
    facts["recency_days"] = d - facts["last_purchase"]
    # per purchase date totals: the BTYD columns (per day, all purchases up to D)
    per_day = bought.groupby(["user_id", "purchase_day"])["net"].sum().reset_index()
    purchase_dates = per_day.groupby("user_id").size()
    facts["frequency"] = purchase_dates - 1
    facts["recency"] = facts["last_purchase"] - facts["first_purchase"]
    facts["T"] = d - facts["first_purchase"]
    repeat_days = per_day[per_day["purchase_day"] != per_day.groupby("user_id")["purchase_day"].transform("min")]
    repeat = repeat_days.groupby("user_id")["net"].agg(["sum", "count"])
    facts["monetary_value"] = pd.Series([Fraction(int(round(s)), 100 * int(c)) for s, c in repeat.values],
                                        index=repeat.index, dtype=object)
    facts.loc[facts["frequency"] == 0, "monetary_value"] = Fraction(0)
    facts["avg_days_between_purchases"] = pd.Series(
        {user: Fraction(int(facts.at[user, "recency"]), int(dates) - 1)
         for user, dates in purchase_dates.items() if dates > 1}, dtype=object)
    facts["aov_365d"] = pd.Series(
        {user: Fraction(int(round(facts.at[user, "net_gmv_365d"])), 100 * int(count))
         for user, count in facts["purchases_365d"].items() if count > 0}, dtype=object)

    # top category: purchased items of the last 365 days weighed by quantity x unit price, ties alphabetical
    items = kept["order_items"].merge(bought.loc[bought["purchase_day"] > d - 365, ["order_id", "user_id"]],
                                      on="order_id")
    items = items.merge(kept["products"][["product_id", "category"]], on="product_id").dropna(subset=["category"])
    items["weight"] = items["quantity"] * items["unit_price"]
    weights = items.groupby(["user_id", "category"])["weight"].sum().reset_index()
    weights = weights.sort_values(["user_id", "weight", "category"], ascending=[True, False, True])
    facts["top_category_365d"] = weights.drop_duplicates("user_id").set_index("user_id")["category"]

    # comebacks: an active day 91 or more days after the user's previous active day
    gap = active_days["day"] - active_days.groupby("user_id")["day"].shift(1)
    comebacks = active_days[gap >= int(limits["churn_after_days"]) + 1]
    facts["last_comeback"] = comebacks.groupby("user_id")["day"].max()
    recent_comebacks = comebacks[comebacks["day"] > d - int(limits["silent_after_days"])]
    facts["has_recent_comeback"] = facts.index.isin(recent_comebacks["user_id"])

    rfm = _rfm(facts, limits)
    facts = facts.join(rfm.drop(columns=["recency_days"]))
    facts["rfm_segment"] = facts["rfm_segment"].fillna("non_buyer")
    facts["spend_tier"] = facts["spend_tier"].fillna("none")
    facts["is_buyer"] = facts.index.isin(rfm.index)
    facts["value_tier"] = [_value_tier(user, limits) for user in facts.itertuples()]
    facts["lifecycle_stage"] = [_lifecycle_stage(user, limits) for user in facts.itertuples()]
    facts["as_of_date"] = as_of_date
    return facts


def present(facts: pd.DataFrame) -> pd.DataFrame:
    """The frame of `as_of` in the marts' values: dates as text, money as Decimal, quotients rounded, counts
    as int, nulls as None."""
    out: dict[str, list] = {}
    for column in facts.columns:
        values = facts[column]
        if column in ("first_seen", "last_active", "first_purchase", "last_purchase", "last_comeback"):
            out[f"{column}_date"] = [date_text(day) for day in values]
        elif column.startswith(("net_gmv_", "lifetime_net_gmv")) or column == "m_cents":
            out["m_value" if column == "m_cents" else column] = [None if pd.isna(c) else money(c) for c in values]
        elif column in ("monetary_value", "avg_days_between_purchases", "aov_365d"):
            out[column] = [rounded(v) if isinstance(v, Fraction) else None for v in values]
        elif column.startswith("watch_seconds_"):
            out[column] = [rounded(Fraction(v)) for v in values]  # exact to the microsecond
        elif values.dtype.kind in "fi":
            out[column] = [None if pd.isna(v) else int(v) for v in values]
        else:
            out[column] = [None if not isinstance(v, str | bool | np.bool_) and pd.isna(v) else v for v in values]
    # object columns: None stays None (a numeric column would turn it into NaN)
    return pd.DataFrame(out, index=facts.index, dtype=object)


def history(kept: dict[str, pd.DataFrame], as_of_date: str, limits: dict[str, Fraction],
            period: str = "week") -> pd.DataFrame:
    """user_tier_history: for every period end (Sundays, or month ends with `period` "month"; plus D) from
    the first business date with a kept event or order up to D, each user known then with their tiers and
    facts as of that date."""
    d = day_number(as_of_date)
    first = min(business_day(kept["events"]["event_at"]).min(), business_day(kept["orders"]["ordered_at"]).min())
    if period == "month":  # the last day of a month: the next day is the 1st
        period_ends = [n for n in range(int(first), d + 1) if date_text(n + 1).endswith("-01")]
    else:  # day 0 (1970-01-01) was a Thursday: day n is a Sunday when n % 7 == 3
        period_ends = [n for n in range(int(first), d + 1) if n % 7 == 3]
    period_ends += [] if d in period_ends else [d]
    frames = []
    for end in period_ends:
        at_end = present(as_of(kept, date_text(end), limits))
        frames.append(at_end.assign(period_end=date_text(end)))
    return pd.concat(frames).reset_index()


def transitions(tier_history: pd.DataFrame) -> pd.DataFrame:
    """tier_transitions: per user and family, each period end whose tier differs from the user's previous
    period end (entering the population is a change from nothing, from_tier null)."""
    ordered = tier_history.sort_values(["user_id", "period_end"])
    changes = []
    for family in FAMILIES:
        before = ordered.groupby("user_id")[family].shift(1)
        changed = ordered[before.isna() | (before != ordered[family])]
        changes.append(pd.DataFrame({"user_id": changed["user_id"], "period_end": changed["period_end"],
                                     "tier_family": family, "from_tier": before[changed.index],
                                     "to_tier": changed[family]}))
    found = pd.concat(changes, ignore_index=True)
    return found.astype(object).where(found.notna(), None)
