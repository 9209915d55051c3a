"""Outreach campaigns with randomised hold-outs and a known true uplift.

Campaigns are drawn up front (theme, channel, send day, who is targeted by type, 20% held out,
who opens). Each block then records which touched users convert anyway within the attribution
window (organic orders), and the campaign pass adds the base-rate and uplift orders and writes
`campaign_touches` and the ground truth (`_truth/campaign_uplift.parquet`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from livetier.generator import arrays as col
from livetier.generator.arrays import rng_for
from livetier.generator.contract import SCHEMAS, build_table
from livetier.generator.orders import BlockOrders, Orders, make_orders
from livetier.generator.parameters import OPEN_BOOST, THEME_WEIGHTS, THEMES
from livetier.generator.vocabulary import (
    ATTRIBUTION_SECONDS,
    CAT_W,
    CHANNEL_HOUR,
    CHANNEL_OPEN,
    CHANNELS,
    DAY,
    ST_PAID,
)
from livetier.generator.world import World


def build_campaigns(w: World, rng: np.random.Generator, n_camp: int, size: int) -> None:
    """Campaigns evenly spread over the window: theme, channel, targeted users (weighted by type,
    registered a day before), 20% held out, opens; the touches go into ``w.t_*``."""
    lo, hi = 2, w.days - 9
    camps: list[dict] = []
    parts = {k: [] for k in ("camp", "user", "sent", "control", "opened")}
    if hi >= lo:
        sent_days = np.unique(np.round(np.linspace(lo, hi, n_camp)).astype(np.int64))
        theme_names = list(THEMES)
        theme_order = rng.permutation(len(theme_names))
        for c, sd in enumerate(sent_days):
            theme = theme_names[theme_order[c % len(theme_names)]]
            channel = int(rng.integers(0, len(CHANNELS)))
            sent = int(w.day_start[sd] + CHANNEL_HOUR[channel] * 3600)
            wts = THEME_WEIGHTS[theme][w.types]
            wts = np.where(w.reg_sec < sent - DAY, wts, 0.0)
            eligible = int(np.count_nonzero(wts))
            k = min(int(round(size * rng.uniform(0.7, 1.3))), eligible)
            if k < 10:
                continue
            keys = np.where(wts > 0, np.log(np.where(wts > 0, wts, 1.0)) + rng.gumbel(size=w.n_users), -np.inf)
            users = np.sort(np.argpartition(-keys, k - 1)[:k])
            control = np.zeros(k, dtype=bool)
            control[rng.permutation(k)[: int(round(0.2 * k))]] = True
            sent_u = sent + rng.integers(0, 1800, k)
            open_p = CHANNEL_OPEN[channel] * OPEN_BOOST[w.types[users]]
            opened = (~control) & (rng.random(k) < open_p)
            opened_at = sent_u + np.minimum(rng.exponential(3 * 3600, k).astype(np.int64) + 30, 3 * DAY)
            opened_at = np.where(opened, np.minimum(opened_at, w.t_end - 1), -1)
            camps.append(
                {
                    "campaign_id": f"c{len(camps) + 1:02d}",
                    "theme": theme,
                    "channel": CHANNELS[channel],
                    "sent_day": int(sd),
                    "sent": sent,
                    "true_uplift": round(float(rng.uniform(0.02, 0.06)), 3),
                    "base_boost": float(rng.uniform(0.02, 0.05)),
                }
            )
            parts["camp"].append(np.full(k, len(camps) - 1))
            parts["user"].append(users)
            parts["sent"].append(sent_u)
            parts["control"].append(control)
            parts["opened"].append(opened_at)
    w.campaigns = camps

    def cat(key, dtype):
        return np.concatenate(parts[key]).astype(dtype) if parts[key] else np.zeros(0, dtype=dtype)

    w.t_camp, w.t_user, w.t_sent = cat("camp", np.int64), cat("user", np.int64), cat("sent", np.int64)
    w.t_control, w.t_opened = cat("control", bool), cat("opened", np.int64)
    w.t_y0 = np.zeros(len(w.t_user), dtype=bool)


def mark_organic_conversions(w: World, lo: int, hi: int, bo: BlockOrders) -> None:
    """Campaign conversions without the campaign (organic, status paid) for a block's touches."""
    o, o_user = bo.o, bo.o_user
    tsel = np.nonzero((w.t_user >= lo) & (w.t_user < hi))[0]
    if len(tsel):
        pm = o.status == ST_PAID
        pk = o_user[pm].astype(np.int64) * (1 << 32) + o.paid[pm]
        pk.sort()
        base = (w.t_user[tsel] - lo) * (1 << 32)
        j = np.searchsorted(pk, base + w.t_sent[tsel], side="right")
        inwin = j < len(pk)
        inwin[inwin] = pk[j[inwin]] <= base[inwin] + w.t_sent[tsel][inwin] + ATTRIBUTION_SECONDS
        w.t_y0[tsel] = inwin


def campaign_pass(w: World, oid0: int) -> tuple[Orders | None, pa.Table, list[dict]]:
    """Base-rate orders of touched users and the uplift orders of treated ones (so the true uplift
    holds), the `campaign_touches` table and the truth rows."""
    rng = rng_for(w.seed, 2)
    truth: list[dict] = []
    if not w.campaigns:
        return None, SCHEMAS["campaign_touches"].empty_table(), truth
    T = len(w.t_user)

    def conv_time(sent: np.ndarray) -> np.ndarray:
        # responses cluster shortly after the touch; paid_at stays inside (sent, sent + 7 d]
        return sent + 60 + (rng.beta(0.8, 3.0, len(sent)) * (ATTRIBUTION_SECONDS - 1200)).astype(np.int64)

    base_hit = rng.random(T) < np.array([c["base_boost"] for c in w.campaigns])[w.t_camp]
    pool_user = [w.t_user[base_hit]]
    pool_t = [conv_time(w.t_sent[base_hit])]
    pool_pay = [pool_t[0] + rng.integers(5, 300, len(pool_t[0]))]
    pool_camp = [w.t_camp[base_hit]]
    for c, camp in enumerate(w.campaigns):
        sel = np.nonzero(w.t_camp == c)[0]
        pu = np.concatenate(pool_user)
        pp = np.concatenate(pool_pay)
        pk = np.sort(pu * (1 << 32) + pp)
        base = w.t_user[sel] * (1 << 32)
        j = np.searchsorted(pk, base + w.t_sent[sel], side="right")
        inwin = j < len(pk)
        inwin[inwin] = pk[j[inwin]] <= base[inwin] + w.t_sent[sel][inwin] + ATTRIBUTION_SECONDS
        y0 = w.t_y0[sel] | inwin
        base_rate = float(y0.mean())
        q = min(1.0, camp["true_uplift"] / max(1e-9, 1.0 - base_rate))
        up = (~w.t_control[sel]) & (~y0) & (rng.random(len(sel)) < q)
        ut = conv_time(w.t_sent[sel][up])
        pool_user.append(w.t_user[sel][up])
        pool_t.append(ut)
        pool_pay.append(ut + rng.integers(5, 300, len(ut)))
        pool_camp.append(np.full(len(ut), c))
        truth.append(
            {
                "campaign_id": camp["campaign_id"],
                "theme": camp["theme"],
                "channel": camp["channel"],
                "sent_date": (w.start_date + dt.timedelta(days=camp["sent_day"])).isoformat(),
                "n_treated": int((~w.t_control[sel]).sum()),
                "n_control": int(w.t_control[sel].sum()),
                "true_uplift": camp["true_uplift"],
                "base_rate": round(base_rate, 6),
                "uplift_order_prob": round(q, 6),
                "attribution_days": 7,
            }
        )
    user = np.concatenate(pool_user)
    t = np.concatenate(pool_t)
    paid = np.concatenate(pool_pay)
    camp_of = np.concatenate(pool_camp)
    order = np.lexsort((user, t))
    user, t, paid, camp_of = user[order], t[order], paid[order], camp_of[order]
    n = len(user)
    cat = np.where(rng.random(n) < 0.7, w.cat_pref[user], rng.choice(5, n, p=CAT_W))
    o = make_orders(w, rng, user, t, np.full(n, -1), cat, np.full(n, ST_PAID), np.full(n, 0.5))
    o.paid = paid  # keep the conversion timestamps exactly as decided above
    o.currency_null[:] = False

    touches = build_table(
        "campaign_touches",
        [
            col.digits("t", np.arange(1, len(w.t_user) + 1), 8),
            col.vocab([c["campaign_id"] for c in w.campaigns], w.t_camp),
            col.digits("u", w.t_user + 1, w.uid_width),
            col.vocab(CHANNELS, np.array([CHANNELS.index(c["channel"]) for c in w.campaigns])[w.t_camp]),
            col.ts(w.t_sent),
            col.ts(np.maximum(w.t_opened, 0), w.t_opened >= 0),
            pa.array(w.t_control, type=pa.bool_()),
        ],
    )
    return o, touches, truth
