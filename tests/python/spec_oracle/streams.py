"""The stream review rules (spec stream_review.md), recomputed from the kept raw rows.

Builds on `segmentation` for what stream_review.md takes from segmentation.md (purchases, watch
sessions, interactions). Instants are integer microseconds since the epoch (UTC), so that watch time
and the minute grid are exact; money is `Decimal` CNY; every quotient is the exact rational rounded to
6 places; dates are `YYYY-MM-DD` text. Each function returns one mart as a frame of plain Python values.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from spec_oracle.segmentation import (
    INTERACTIONS,
    business_day,
    date_text,
    day_number,
    money,
    purchases,
    rounded,
    watch_sessions,
)

MINUTE = 60_000_000  # microseconds


def micros(instants: pd.Series) -> pd.Series:
    """Naive UTC instants as integer microseconds (nullable)."""
    numbers = pd.Series(instants.astype("datetime64[us]").to_numpy().astype("int64"), index=instants.index)
    return numbers.astype("Int64").where(instants.notna(), pd.NA)


def quotient(numerator: Fraction | int, denominator: Fraction | int) -> Decimal | None:
    """A quotient rounded to 6 places; null when the denominator is 0."""
    return None if denominator == 0 else rounded(Fraction(numerator) / Fraction(denominator))


class StreamData:
    """What the three marts read as of D: the streams started by D, their events, orders and sessions."""

    def __init__(self, kept: dict[str, pd.DataFrame], as_of_date: str, limits: dict[str, Fraction]) -> None:
        self.as_of = day_number(as_of_date)
        self.cap = int(limits["max_session_minutes"]) * MINUTE
        self.limits = limits
        streams = kept["live_streams"].copy()
        streams["started_day"] = business_day(streams["started_at"])
        # the end is known when ended_at is not null and dated <= D
        end_known = streams["ended_at"].notna() & (business_day(streams["ended_at"]) <= self.as_of)
        streams["started_us"] = micros(streams["started_at"])
        streams["ended_us"] = micros(streams["ended_at"]).where(end_known)
        self.streams = streams[streams["started_day"] <= self.as_of].sort_values("stream_id").reset_index(drop=True)
        started = set(self.streams["stream_id"])
        anchors = dict(zip(self.streams["stream_id"], self.streams["anchor_id"], strict=True))

        events = kept["events"].assign(day=business_day(kept["events"]["event_at"]))
        events = events[(events["day"] <= self.as_of) & events["stream_id"].isin(started)].copy()
        events["at_us"] = micros(events["event_at"])
        events["anchor_id"] = events["stream_id"].map(anchors)
        self.events = events

        orders = purchases(kept, self.as_of)
        orders = orders[orders["stream_id"].isin(started)].copy()
        orders["paid_us"] = micros(orders["paid_at"])
        orders["anchor_id"] = orders["stream_id"].map(anchors)
        self.orders = orders

        every_session = watch_sessions(kept, self.as_of, limits)
        every_session["start_us"] = micros(every_session["start"])
        every_session["end_us"] = micros(every_session["end"])
        every_session["length_us"] = every_session["end_us"] - every_session["start_us"]
        # first session ever: the smallest (start, event_id) over all sessions, whatever their stream
        first = every_session.sort_values(["user_id", "start_us", "event_id"]).drop_duplicates("user_id")
        self.first_stream = dict(zip(first["user_id"], first["stream_id"], strict=True))
        sessions = every_session[every_session["stream_id"].isin(started)].copy()
        sessions["anchor_id"] = sessions["stream_id"].map(anchors)
        self.sessions = sessions


def _open_spans(sessions: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each viewer's sessions merged into spans (a user counts once), as sorted starts and sorted ends.
    A 0 s session is never open. c(x) = spans with start <= x minus spans with end <= x."""
    starts, ends = [], []
    nonempty = sessions[sessions["end_us"] > sessions["start_us"]].sort_values(["user_id", "start_us"])
    for _, spans in nonempty.groupby("user_id"):
        span_start = span_end = None
        for start, end in zip(spans["start_us"], spans["end_us"], strict=True):
            if span_start is not None and start <= span_end:
                span_end = max(span_end, end)
                continue
            if span_start is not None:
                starts.append(span_start)
                ends.append(span_end)
            span_start, span_end = start, end
        starts.append(span_start)
        ends.append(span_end)
    return np.sort(np.array(starts, dtype="int64")), np.sort(np.array(ends, dtype="int64"))


def _concurrent(starts: np.ndarray, ends: np.ndarray, instants: np.ndarray) -> np.ndarray:
    return np.searchsorted(starts, instants, "right") - np.searchsorted(ends, instants, "right")


def stream_kpis(data: StreamData) -> pd.DataFrame:
    """stream_kpis: one row per stream started by D."""
    events = dict(tuple(data.events.groupby("stream_id")))
    orders = dict(tuple(data.orders.groupby("stream_id")))
    sessions = dict(tuple(data.sessions.groupby("stream_id")))
    rows = []
    for stream in data.streams.itertuples():
        its_events = events.get(stream.stream_id, data.events.iloc[:0])
        its_orders = orders.get(stream.stream_id, data.orders.iloc[:0])
        its_sessions = sessions.get(stream.stream_id, data.sessions.iloc[:0])
        kinds = its_events["event_type"]
        viewers = set(its_events.loc[kinds == "enter_room", "user_id"])
        views = int((kinds == "enter_room").sum())
        starts, ends = _open_spans(its_sessions)
        peak, peak_at = 0, None
        if len(starts):  # the peak is reached at a span's start; the earliest such start
            counts = _concurrent(starts, ends, starts)
            peak = int(counts.max())
            peak_at = int(starts[np.argmax(counts == peak)])
        watch = Fraction(int(its_sessions["length_us"].sum()), 1_000_000)
        interactions = its_events[kinds.isin(INTERACTIONS)]
        interacting = len(set(interactions["user_id"]) & viewers)
        impressions, clicks = int((kinds == "product_impression").sum()), int((kinds == "product_click").sum())
        buyers = set(its_orders["user_id"])
        buying_viewers = len(buyers & viewers)
        net_cents = int(round(its_orders["net"].sum()))
        new_viewers = sum(1 for user in viewers if data.first_stream.get(user) == stream.stream_id)
        ended = None if pd.isna(stream.ended_us) else int(stream.ended_us)
        rows.append({
            "stream_id": stream.stream_id, "anchor_id": stream.anchor_id, "category": stream.category,
            "started_at": int(stream.started_us), "ended_at": ended, "started_date": date_text(stream.started_day),
            "duration_minutes": (quotient(ended - int(stream.started_us), MINUTE)
                                 if ended is not None and ended >= stream.started_us else None),
            "viewers": len(viewers), "views": views, "peak_concurrent_viewers": peak, "peak_at": peak_at,
            "watch_seconds": rounded(watch), "avg_watch_seconds_per_viewer": quotient(watch, len(viewers)),
            "interactions": len(interactions), "interacting_viewers": interacting,
            "interaction_rate": quotient(interacting, len(viewers)),
            "product_impressions": impressions, "product_clicks": clicks,
            "click_through_rate": quotient(clicks, impressions), "add_to_carts": int((kinds == "add_to_cart").sum()),
            "orders": len(its_orders), "buyers": len(buyers), "buying_viewers": buying_viewers,
            "conversion_rate": quotient(buying_viewers, len(viewers)), "net_gmv": money(net_cents),
            "gpm": quotient(Fraction(net_cents, 100) * 1000, views),
            "new_viewers": new_viewers, "returning_viewers": len(viewers) - new_viewers,
            "follows": int((kinds == "follow").sum()),
        })
    return pd.DataFrame(rows, dtype=object)


def stream_minute_kpis(data: StreamData) -> pd.DataFrame:
    """stream_minute_kpis: the minute grid of each stream started by D, from started_at to its known end
    (else started_at + `max_session_minutes`)."""
    events = dict(tuple(data.events.groupby("stream_id")))
    orders = dict(tuple(data.orders.groupby("stream_id")))
    sessions = dict(tuple(data.sessions.groupby("stream_id")))
    grids = []
    for stream in data.streams.itertuples():
        start = int(stream.started_us)
        grid_end = start + data.cap if pd.isna(stream.ended_us) else int(stream.ended_us)
        if grid_end <= start:
            continue
        n = -(-(grid_end - start) // MINUTE)
        minute_at = start + MINUTE * np.arange(n, dtype="int64")
        its_events = events.get(stream.stream_id, data.events.iloc[:0])
        starts, ends = _open_spans(sessions.get(stream.stream_id, data.sessions.iloc[:0]))

        def per_minute(instants: pd.Series, n: int = n, start: int = start) -> np.ndarray:
            at = instants.to_numpy(dtype="int64")
            at = at[(at >= start) & (at < start + n * MINUTE)]  # outside the grid: in no row
            return np.bincount((at - start) // MINUTE, minlength=n)

        kinds = its_events["event_type"]
        grids.append(pd.DataFrame({
            "stream_id": stream.stream_id, "minute_index": np.arange(n), "minute_at": minute_at,
            "concurrent_viewers": _concurrent(starts, ends, minute_at) if len(starts) else np.zeros(n, "int64"),
            "entries": per_minute(its_events.loc[kinds == "enter_room", "at_us"]),
            "interactions": per_minute(its_events.loc[kinds.isin(INTERACTIONS), "at_us"]),
            "add_to_carts": per_minute(its_events.loc[kinds == "add_to_cart", "at_us"]),
            "orders": per_minute(orders.get(stream.stream_id, data.orders.iloc[:0])["paid_us"]),
        }))
    return pd.concat(grids, ignore_index=True).astype(object)


def _anchor_fan_tier(fan: pd.Series, limits: dict[str, Fraction]) -> str:
    if (fan.watch_days_90d >= limits["anchor_core_min_watch_days_90d"]
            and fan.interactions_90d >= limits["anchor_core_min_interactions_90d"]
            and fan.purchases_365d >= limits["anchor_core_min_purchases_365d"]):
        return "anchor_core_fan"
    if (fan.watch_days_90d >= limits["anchor_regular_min_watch_days_90d"]
            or fan.purchases_365d >= limits["anchor_regular_min_purchases_365d"]):
        return "anchor_regular"
    return "anchor_viewer"


def anchor_fans(data: StreamData) -> pd.DataFrame:
    """anchor_fans: one row per anchor and user with a session or a purchase as of D in the anchor's streams."""
    key = ["anchor_id", "user_id"]
    d = data.as_of
    sessions, events, orders = data.sessions, data.events, data.orders
    fans = pd.concat([sessions[key], orders[key]]).drop_duplicates().set_index(key)
    fans["first_watch"] = sessions.groupby(key)["day"].min()
    fans["last_watch"] = sessions.groupby(key)["day"].max()
    recent = sessions[sessions["day"] > d - 90].groupby(key)
    fans["watch_days_90d"] = recent["day"].nunique()
    fans["watch_us_90d"] = recent["length_us"].sum()
    interactions = events[events["event_type"].isin(INTERACTIONS)]
    fans["interactions_90d"] = interactions[interactions["day"] > d - 90].groupby(key).size()
    fans["follows"] = events[events["event_type"] == "follow"].groupby(key).size()
    bought = orders[orders["purchase_day"] > d - 365].groupby(key)
    fans["purchases_365d"] = bought.size()
    fans["net_cents_365d"] = bought["net"].sum()
    counts = ["watch_days_90d", "watch_us_90d", "interactions_90d", "follows", "purchases_365d", "net_cents_365d"]
    fans[counts] = fans[counts].fillna(0)
    fans["anchor_fan_tier"] = [_anchor_fan_tier(fan, data.limits) for fan in fans.itertuples()]
    fans = fans.reset_index().sort_values(key)
    return pd.DataFrame({
        "anchor_id": fans["anchor_id"], "user_id": fans["user_id"],
        "first_watch_date": [date_text(day) for day in fans["first_watch"]],
        "last_watch_date": [date_text(day) for day in fans["last_watch"]],
        "watch_days_90d": [int(v) for v in fans["watch_days_90d"]],
        "watch_seconds_90d": [rounded(Fraction(int(v), 1_000_000)) for v in fans["watch_us_90d"]],
        "interactions_90d": [int(v) for v in fans["interactions_90d"]],
        "follows": [int(v) for v in fans["follows"]],
        "purchases_365d": [int(v) for v in fans["purchases_365d"]],
        "net_gmv_365d": [money(v) for v in fans["net_cents_365d"]],
        "anchor_fan_tier": fans["anchor_fan_tier"],
    }, dtype=object).reset_index(drop=True)
