"""The world the users live in: the business calendar, anchors and their streams, the product
catalogue, and the users themselves (latent type, registration, active windows, the `users` rows).

Each part draws from its own seeded stream (see ``livetier.generator``), so the order of the
calls below matters only within a part.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from livetier.generator import arrays as col
from livetier.generator.arrays import rng_for
from livetier.generator.contract import STR, build_table
from livetier.generator.parameters import (
    ACT_SHAPE,
    CHURNING,
    CONSENT_GRANTED,
    CONSENT_UNKNOWN,
    LATENT_TYPES,
    NEW,
    P_REG_IN_WINDOW,
    RETURNING,
    UNREGISTERED,
)
from livetier.generator.vocabulary import (
    ACQ,
    BRANDS,
    CAT_PRICE_MEDIAN,
    CAT_W,
    CATEGORIES,
    DAY,
    FESTIVALS,
    HOUR_W,
    NICK_PREFIX,
    PHONE_PREFIX,
    PROVINCE_W,
    PROVINCES,
    UTC_OFFSET,
)


@dataclass
class World:
    """Everything drawn once for the whole run; blocks read it (and fill ``t_y0``)."""

    seed: int
    n_users: int
    days: int
    mix: np.ndarray
    start_date: dt.date
    end_date: dt.date
    t0: int  # UTC seconds of the first business midnight
    t_end: int  # UTC seconds of the business midnight after end_date (exclusive)
    day_start: np.ndarray
    day_factor: np.ndarray
    uid_width: int
    # users
    types: np.ndarray = field(default=None)
    reg_sec: np.ndarray = field(default=None)
    act: np.ndarray = field(default=None)
    act_lo: np.ndarray = field(default=None)
    act_hi: np.ndarray = field(default=None)
    ret_lo: np.ndarray = field(default=None)
    ret_hi: np.ndarray = field(default=None)
    cat_pref: np.ndarray = field(default=None)
    in_users: np.ndarray = field(default=None)
    # streams
    s_start: np.ndarray = field(default=None)
    s_end: np.ndarray = field(default=None)  # effective end (clipped to the window)
    s_live: np.ndarray = field(default=None)  # still live at the end of the data
    s_cat: np.ndarray = field(default=None)
    s_anchor: np.ndarray = field(default=None)
    csr_off: np.ndarray = field(default=None)
    csr_cnt: np.ndarray = field(default=None)
    csr_idx: np.ndarray = field(default=None)
    # products
    p_cat: np.ndarray = field(default=None)
    p_price: np.ndarray = field(default=None)
    p_brand: np.ndarray = field(default=None)
    p_gcum: np.ndarray = field(default=None)
    # campaigns
    campaigns: list[dict] = field(default_factory=list)
    t_camp: np.ndarray = field(default=None)
    t_user: np.ndarray = field(default=None)
    t_sent: np.ndarray = field(default=None)
    t_control: np.ndarray = field(default=None)
    t_opened: np.ndarray = field(default=None)
    t_y0: np.ndarray = field(default=None)  # organic conversion within the window (filled per block)

    def pick_products(self, rng: np.random.Generator, cats: np.ndarray) -> np.ndarray:
        x = np.asarray(cats, dtype=np.float64) + rng.random(len(cats)) * 0.999999
        return np.minimum(np.searchsorted(self.p_gcum, x, side="right"), len(self.p_gcum) - 1)

    def times_in_days(self, rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
        hour = rng.choice(24, size=len(days), p=HOUR_W)
        return self.day_start[days] + hour * 3600 + rng.integers(0, 3600, len(days))


def calendar(end_date: dt.date, days: int) -> tuple:
    """Window start, its first and past-the-end UTC seconds, day starts, and the activity factor
    per day (weekends x1.15, festivals)."""
    start = end_date - dt.timedelta(days=days - 1)
    epoch_days = (start - dt.date(1970, 1, 1)).days
    t0 = epoch_days * DAY - UTC_OFFSET
    day_start = t0 + np.arange(days, dtype=np.int64) * DAY
    dates = np.datetime64(start.isoformat(), "D") + np.arange(days)
    weekday = (dates.astype(np.int64) + 3) % 7  # 0 = Monday
    month = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    factor = np.where(weekday >= 5, 1.15, 1.0)
    for (m, d), f in FESTIVALS.items():
        factor = np.where((month == m) & (dom == d), factor * f, factor)
    return start, t0, t0 + days * DAY, day_start, factor.astype(np.float32)


def world_sizes(n_users: int) -> dict[str, int]:
    """Anchors, products, campaigns and campaign size grow with the square root of the users."""
    root = (n_users / 20_000) ** 0.5
    return {
        "anchors": int(np.clip(round(20 * root), 5, 200)),
        "products": int(np.clip(round(400 * root), 60, 4000)),
        "campaigns": 4 if n_users < 100_000 else (6 if n_users < 1_000_000 else 8),
        "campaign_size": int(np.clip(round(n_users * 0.1), 40, 80_000)),
    }


def build_streams(w: World, rng: np.random.Generator, n_anchors: int) -> None:
    """Anchors (category, favourite slot, how often they go live) and their streams; every
    (day, slot) has at least one room. Streams are indexed by (day, slot) for the sessions."""
    days = w.days
    a_cat = rng.choice(len(CATEGORIES), n_anchors, p=CAT_W)
    a_slot = rng.choice(3, n_anchors, p=[0.18, 0.70, 0.12])
    a_rate = rng.uniform(0.45, 0.85, n_anchors)
    prob = np.minimum(a_rate[:, None] * w.day_factor[None, :], 0.97)
    live = rng.random((n_anchors, days)) < prob
    a_idx, d_idx = np.nonzero(live)
    slot = a_slot[a_idx]
    # every (day, slot) gets at least one stream so every viewer finds a room
    have = np.bincount(d_idx * 3 + slot, minlength=days * 3)
    miss = np.nonzero(have == 0)[0]
    if len(miss):
        fill_anchor = rng.integers(0, n_anchors, len(miss))
        a_idx = np.concatenate([a_idx, fill_anchor])
        d_idx = np.concatenate([d_idx, miss // 3])
        slot = np.concatenate([slot, miss % 3])
    n = len(a_idx)
    quarter = 900
    start_off = np.where(
        slot == 0,
        13 * 3600 + rng.integers(0, 15, n) * quarter,  # afternoon 13:00-16:30
        np.where(
            slot == 1,
            np.where(
                rng.random(n) < 0.85,
                19 * 3600 + rng.integers(0, 13, n) * quarter,  # 19:00-22:00
                18 * 3600 + rng.integers(0, 4, n) * quarter,
            ),
            22 * 3600 + 1800 + rng.integers(0, 6, n) * quarter,  # late night 22:30-23:45
        ),
    )
    start = w.day_start[d_idx] + start_off + rng.integers(0, 300, n)
    dur = rng.choice([60, 90, 120, 150, 180, 210, 240], n, p=[0.1, 0.15, 0.25, 0.2, 0.15, 0.08, 0.07]) * 60
    dur = dur + rng.integers(-300, 300, n)
    end = start + dur
    order = np.lexsort((a_idx, start))
    start, end, a_idx, d_idx, slot = start[order], end[order], a_idx[order], d_idx[order], slot[order]
    w.s_start = start
    w.s_live = end > w.t_end - 1
    w.s_end = np.minimum(end, w.t_end - 1)
    w.s_anchor = a_idx
    w.s_cat = a_cat[a_idx]
    key = d_idx * 3 + slot
    w.csr_idx = np.argsort(key, kind="stable")
    w.csr_cnt = np.bincount(key, minlength=days * 3)
    w.csr_off = np.concatenate([[0], np.cumsum(w.csr_cnt)[:-1]])


def build_products(w: World, rng: np.random.Generator, n_products: int) -> None:
    """The catalogue: category, log-normal price around the category median, brand (8% unknown),
    Zipf popularity within the category."""
    k = len(CATEGORIES)
    cat = np.concatenate([np.arange(k), rng.choice(k, n_products - k, p=CAT_W)])
    cat = np.sort(cat, kind="stable")
    price = np.exp(np.log(CAT_PRICE_MEDIAN[cat]) + 0.95 * rng.standard_normal(n_products))
    yuan = np.maximum(np.round(price), 2).astype(np.int64)
    cents = yuan * 100 - rng.choice([0, 10, 100], n_products, p=[0.5, 0.3, 0.2])
    w.p_cat, w.p_price = cat, cents
    w.p_brand = np.where(rng.random(n_products) < 0.08, -1, cat * 6 + rng.integers(0, 6, n_products))
    # popularity: Zipf within category; global cumulative weights in [c, c+1)
    gcum = np.empty(n_products)
    for c in range(k):
        idx = np.nonzero(cat == c)[0]
        wts = 1.0 / rng.permutation(np.arange(1, len(idx) + 1)) ** 0.9
        cum = np.cumsum(wts) / wts.sum()
        cum[-1] = 1.0
        gcum[idx] = c + cum
    w.p_gcum = gcum


def build_users(w: World, rng: np.random.Generator) -> None:
    """Latent types by the mix, registration, active windows (churning: silent at the end,
    returning: silent, then back), activity, preferred category, listed in `users` or not."""
    n, days = w.n_users, w.days
    counts = np.floor(w.mix * n).astype(np.int64)
    counts = np.append(counts, n - counts.sum())
    ty = rng.permutation(np.repeat(np.arange(10), counts))
    w.types = ty
    # registration day relative to the window start (negative = before the window)
    before = -rng.integers(1, 731, n)
    late_cut = max(days - 45, 1)
    inside = rng.integers(0, late_cut, n)
    reg_day = np.where(rng.random(n) < P_REG_IN_WINDOW[ty], inside, before)
    new_lo = max(days - 30, 0)
    new_hi = max(days - 2, new_lo)
    reg_day = np.where(ty == NEW, rng.integers(new_lo, new_hi + 1, n), reg_day)
    w.reg_sec = w.t0 + reg_day * DAY + rng.integers(8 * 3600, 23 * 3600, n)
    act_lo = np.clip(reg_day + 1, 0, days - 1)
    act_hi = np.full(n, days - 1)
    ret_lo = np.full(n, days)
    ret_hi = np.full(n, -1)
    # churning: active early, then silent (> 90 days when the window allows it)
    gap = np.where(
        days >= 130, 91 + rng.integers(0, 40, n), np.round(days * rng.uniform(0.45, 0.65, n)).astype(np.int64)
    )
    gap = np.minimum(gap, days - 1)
    ch = ty == CHURNING
    act_hi = np.where(ch, np.maximum(days - 1 - gap, act_lo), act_hi)
    # returning: like churning, then back within the last ~3 weeks
    rt = ty == RETURNING
    back = days - 1 - rng.integers(2, min(21, max(days // 3, 3)), n)
    back = np.clip(back, 1, days - 1)
    gap_r = np.where(days >= 130, 92 + rng.integers(0, 20, n), np.round(days * 0.5).astype(np.int64))
    act_hi = np.where(rt, np.maximum(back - 1 - gap_r, 0), act_hi)
    ret_lo = np.where(rt, back, ret_lo)
    ret_hi = np.where(rt, days - 1, ret_hi)
    w.act_lo, w.act_hi, w.ret_lo, w.ret_hi = act_lo, act_hi, ret_lo, ret_hi
    w.act = rng.gamma(ACT_SHAPE[ty], 1.0 / ACT_SHAPE[ty])
    w.cat_pref = rng.choice(len(CATEGORIES), n, p=CAT_W)
    w.in_users = rng.random(n) >= UNREGISTERED




def users_table(w: World, rng: np.random.Generator, lo: int, hi: int) -> pa.Table:
    """The `users` rows of users ``lo .. hi - 1`` listed in `users` (demographics, personal data,
    a few nulls, marketing consent from its own stream)."""
    n = hi - lo
    uid = np.arange(lo, hi)
    g = rng.random(n)
    gender = np.where(g < 0.62, 0, np.where(g < 0.94, 1, np.where(g < 0.95, 2, -1)))
    birth = np.clip(np.round(rng.normal(1993, 8, n)), 1955, 2008).astype(np.int64)
    province = rng.choice(len(PROVINCES), n, p=PROVINCE_W / PROVINCE_W.sum())
    tier = rng.choice(5, n, p=[0.12, 0.2, 0.25, 0.23, 0.2]) + 1
    acq = rng.choice(len(ACQ), n, p=[0.4, 0.3, 0.15, 0.15])
    phone = PHONE_PREFIX[rng.integers(0, len(PHONE_PREFIX), n)] * 10**8 + rng.integers(0, 10**8, n)
    nick_p = rng.integers(0, len(NICK_PREFIX), n)
    nick_n = rng.integers(0, 10_000, n)
    nulls = rng.random((n, 6))
    nick = pc.binary_join_element_wise(col.vocab(NICK_PREFIX, nick_p), col.digits("", nick_n, 4), "")
    nick = pc.if_else(pa.array(nulls[:, 5] < 0.05), pa.scalar(None, STR), nick)
    keep = w.in_users[lo:hi]
    # marketing consent draws from its own stream, so adding it changed no other generated value
    consent_draw = rng_for(w.seed, 3, lo).random(n)
    consent = pa.array(consent_draw < CONSENT_GRANTED, mask=consent_draw >= 1.0 - CONSENT_UNKNOWN)
    t = build_table(
        "users",
        [
            col.digits("u", uid + 1, w.uid_width),
            col.ts(w.reg_sec[lo:hi]),
            col.vocab(("F", "M", "unknown"), gender),
            col.ints(birth, nulls[:, 0] >= 0.1),
            col.vocab(PROVINCES, np.where(nulls[:, 1] < 0.05, -1, province)),
            col.ints(tier, nulls[:, 2] >= 0.05),
            col.vocab(ACQ, np.where(nulls[:, 3] < 0.03, -1, acq)),
            col.digits("", phone, 11, nulls[:, 4] >= 0.1),
            nick,
            consent,
        ],
    )
    return t.filter(pa.array(keep))


def streams_table(w: World) -> pa.Table:
    n = len(w.s_start)
    return build_table(
        "live_streams",
        [
            col.digits("s", np.arange(1, n + 1), 6),
            col.digits("a", w.s_anchor + 1, 3),
            col.vocab(CATEGORIES, w.s_cat),
            col.ts(w.s_start),
            col.ts(w.s_end, ~w.s_live),
        ],
    )


def products_table(w: World) -> pa.Table:
    brands = [b for c in CATEGORIES for b in BRANDS[c]]
    return build_table(
        "products",
        [
            col.digits("p", np.arange(1, len(w.p_cat) + 1), 5),
            col.vocab(CATEGORIES, w.p_cat),
            col.vocab(brands, w.p_brand),
            col.dec(w.p_price),
        ],
    )


@dataclass
class Cohort:
    """Users ``lo .. hi - 1`` (a block): their types, activity and active windows (local index)."""

    lo: int
    hi: int
    n: int
    ty: np.ndarray
    act: np.ndarray
    alo: np.ndarray
    ahi: np.ndarray
    rlo: np.ndarray
    rhi: np.ndarray
    active_len: np.ndarray  # active days in the window

    @classmethod
    def of(cls, w: World, lo: int, hi: int) -> Cohort:
        alo, ahi = w.act_lo[lo:hi], w.act_hi[lo:hi]
        rlo, rhi = w.ret_lo[lo:hi], w.ret_hi[lo:hi]
        active_len = np.maximum(ahi - alo + 1, 0) + np.maximum(rhi - rlo + 1, 0)
        return cls(lo, hi, hi - lo, w.types[lo:hi], w.act[lo:hi], alo, ahi, rlo, rhi, active_len)


def active_days(rng, alo, ahi, rlo, rhi) -> np.ndarray:
    """One uniformly drawn active day per row (its active window plus its return window)."""
    l1 = np.maximum(ahi - alo + 1, 0)
    l2 = np.maximum(rhi - rlo + 1, 0)
    k = (rng.random(len(alo)) * (l1 + l2)).astype(np.int64)
    return np.where(k < l1, alo + k, rlo + (k - l1))


def user_types_table(w: World) -> pa.Table:
    """Ground truth: every simulated user's latent type and whether `users` lists them."""
    return pa.table(
        {
            "user_id": col.digits("u", np.arange(1, w.n_users + 1), w.uid_width),
            "latent_type": col.vocab(LATENT_TYPES, w.types),
            "in_users_table": pa.array(w.in_users),
        }
    )
