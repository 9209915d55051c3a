"""Orders: who buys when (in a live room or while browsing), what is in the order (1-3 lines),
coupons and discounts, payment and status, refunds (single, split in two, partial), and the
funnel events right before an in-room order. `campaigns` reuses :func:`make_orders`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from livetier.generator import arrays as col
from livetier.generator.arrays import choice_cum, rank_in_group
from livetier.generator.contract import build_table
from livetier.generator.events import EventLog
from livetier.generator.parameters import (
    CLAIMS_COUPON_FIRST,
    COUPON_P,
    OFF_ORDER_DAY,
    ORDER_CAP,
    P_ORDER_SESS,
    QUICK_BUYER,
    STATUS_CUM,
)
from livetier.generator.sessions import Sessions
from livetier.generator.vocabulary import (
    CAT_W,
    COUPON_W,
    COUPONS,
    DAY,
    EV_CART,
    EV_CLICK,
    EV_COUPON,
    ST_PAID,
    ST_REFUNDED,
    STATUSES,
)
from livetier.generator.world import Cohort, World, active_days


@dataclass
class Orders:
    """Orders as arrays (money in cents) and their items (``i_*``)."""

    user: np.ndarray  # global user index
    t: np.ndarray
    paid: np.ndarray  # -1 = null
    status: np.ndarray
    amount: np.ndarray  # cents
    discount: np.ndarray  # cents, -1 = null
    coupon: np.ndarray  # code, -1 = null
    stream: np.ndarray  # -1 = null
    currency_null: np.ndarray
    first_product: np.ndarray
    i_order: np.ndarray  # items: order row
    i_line: np.ndarray
    i_product: np.ndarray
    i_qty: np.ndarray
    i_price: np.ndarray


def make_orders(
    w: World,
    rng: np.random.Generator,
    user: np.ndarray,
    t: np.ndarray,
    stream: np.ndarray,
    cat: np.ndarray,
    status: np.ndarray,
    coupon_p: np.ndarray,
) -> Orders:
    """Items (1-3 lines in the order's category, live-room price cuts), coupon and discount, amount
    paid, payment time for paid and refunded orders."""
    n = len(user)
    # items: 1-3 lines in the order's category
    r = rng.random(n)
    n_lines = 1 + (r > 0.65) + (r > 0.9)
    i_order = np.repeat(np.arange(n), n_lines)
    i_line = rank_in_group(i_order) + 1
    i_product = w.pick_products(rng, cat[i_order])
    pcat = w.p_cat[i_product]
    i_qty = np.where(pcat == 4, 1 + rng.poisson(0.8, len(i_order)), 1 + (rng.random(len(i_order)) < 0.12))
    live_disc = rng.choice([100, 95, 90, 85, 80, 70], len(i_order), p=[0.3, 0.15, 0.2, 0.1, 0.15, 0.1])
    i_price = np.maximum(np.round(w.p_price[i_product] * live_disc / 1000.0).astype(np.int64) * 10, 10)
    gross = np.bincount(i_order, weights=i_qty * i_price, minlength=n).astype(np.int64)
    use = rng.random(n) < coupon_p
    frac = rng.uniform(0.05, 0.3, n)
    disc = np.clip(np.round(gross * frac / 100.0).astype(np.int64) * 100, 0, np.maximum(gross - 100, 0))
    use &= disc > 0
    coupon = np.where(use, rng.choice(len(COUPONS), n, p=COUPON_W / COUPON_W.sum()), -1)
    discount = np.where(use, disc, np.where(rng.random(n) < 0.15, 0, -1))
    amount = gross - np.where(use, disc, 0)
    paid = np.where(
        (status == ST_PAID) | (status == ST_REFUNDED),
        np.minimum(t + rng.integers(5, 600, n), w.t_end - 1),
        -1,
    )
    first_product = i_product[i_line == 1]
    return Orders(
        user=user,
        t=t,
        paid=paid,
        status=status,
        amount=amount,
        discount=discount,
        coupon=coupon,
        stream=stream,
        currency_null=rng.random(n) < 0.04,
        first_product=first_product,
        i_order=i_order,
        i_line=i_line,
        i_product=i_product,
        i_qty=i_qty,
        i_price=i_price,
    )


def orders_tables(w: World, o: Orders, oid0: int) -> tuple[pa.Table, pa.Table]:
    """The `orders` and `order_items` tables; order ids start at ``oid0``."""
    n = len(o.user)
    oid = oid0 + np.arange(n)
    orders = build_table(
        "orders",
        [
            col.digits("o", oid, 9),
            col.digits("u", o.user + 1, w.uid_width),
            col.ts(o.t),
            col.ts(np.maximum(o.paid, 0), o.paid >= 0),
            col.vocab(STATUSES, o.status),
            col.dec(o.amount),
            col.dec(np.maximum(o.discount, 0), o.discount >= 0),
            col.vocab(COUPONS, o.coupon),
            col.digits("s", o.stream + 1, 6, o.stream >= 0),
            col.vocab(("CNY",), np.where(o.currency_null, -1, 0)),
        ],
    )
    items = build_table(
        "order_items",
        [
            col.digits("o", oid[o.i_order], 9),
            col.ints(o.i_line),
            col.digits("p", o.i_product + 1, 5),
            col.ints(o.i_qty),
            col.dec(o.i_price),
        ],
    )
    return orders, items


def refunds_table(w: World, rng: np.random.Generator, o: Orders, oid0: int, rid0: int) -> pa.Table:
    """Refunds: most refunded orders in full, some in two parts; a few paid orders partly."""
    n = len(o.user)
    r = rng.random(n)
    refunded = o.status == ST_REFUNDED
    ok = o.amount > 1
    single = refunded & ok & (r < 0.72)
    double = refunded & ok & (r >= 0.72) & (r < 0.86)
    partial = (o.status == ST_PAID) & ok & (rng.random(n) < 0.035)
    split = np.round(o.amount * rng.uniform(0.2, 0.8, n)).astype(np.int64)
    split = np.clip(split, 1, np.maximum(o.amount - 1, 1))
    part_amt = np.clip(np.round(o.amount * rng.uniform(0.1, 0.8, n)).astype(np.int64), 1, o.amount - 1)
    idx1 = np.nonzero(single | double | partial)[0]
    amt1 = np.where(single[idx1], o.amount[idx1], np.where(double[idx1], split[idx1], part_amt[idx1]))
    idx2 = np.nonzero(double)[0]
    amt2 = o.amount[idx2] - split[idx2]

    def when(base: np.ndarray) -> np.ndarray:
        room = np.maximum(w.t_end - 1 - base, 0)
        delay = rng.integers(3600, 10 * DAY, len(base))
        return base + np.where(delay <= room, delay, (rng.random(len(base)) * room).astype(np.int64))

    t1 = when(o.paid[idx1])
    t2 = when(t1[np.searchsorted(idx1, idx2)])
    ridx = np.concatenate([idx1, idx2])
    rt = np.concatenate([t1, t2])
    ramt = np.concatenate([amt1, amt2])
    order = np.lexsort((ridx, rt))
    ridx, rt, ramt = ridx[order], rt[order], ramt[order]
    return build_table(
        "refunds",
        [
            col.digits("r", rid0 + np.arange(len(ridx)), 8),
            col.digits("o", oid0 + ridx, 9),
            col.ts(rt),
            col.dec(ramt),
        ],
    )



@dataclass
class BlockOrders:
    """A block's orders in id order, with what the funnel events and campaigns need."""

    o: Orders
    o_user: np.ndarray  # user index local to the block
    o_t: np.ndarray
    o_sess: np.ndarray  # session row, -1 = off-room
    oty: np.ndarray  # buyer's latent type


def place_orders(w: World, rng: np.random.Generator, c: Cohort, s: Sessions) -> BlockOrders:
    """In-room orders (per session) and off-room orders (per active day), capped per type."""
    ty, act, lo = c.ty, c.act, c.lo
    su, sty, sidx, enter, sdur = s.su, s.sty, s.sidx, s.enter, s.sdur
    pbuy = np.minimum(P_ORDER_SESS[sty] * act[su] * w.day_factor[s.sd], 0.9)
    buy = np.nonzero(rng.random(s.count) < pbuy)[0]
    quick = QUICK_BUYER[sty[buy]]
    bt_o = np.where(
        quick,
        enter[buy] + np.minimum(15 + rng.integers(0, 165, len(buy)), sdur[buy]),
        enter[buy] + ((0.3 + 0.7 * rng.random(len(buy))) * sdur[buy]).astype(np.int64),
    )
    attributed = rng.random(len(buy)) >= 0.08
    no_ = rng.poisson(OFF_ORDER_DAY[ty] * act * c.active_len)
    ou_off = np.repeat(np.arange(c.n), no_)
    od_off = active_days(rng, c.alo[ou_off], c.ahi[ou_off], c.rlo[ou_off], c.rhi[ou_off])
    ot_off = w.times_in_days(rng, od_off)
    o_user = np.concatenate([su[buy], ou_off])
    o_t = np.concatenate([bt_o, ot_off])
    o_sess = np.concatenate([buy, np.full(len(ou_off), -1)])
    o_stream = np.concatenate([np.where(attributed, sidx[buy], -1), np.full(len(ou_off), -1)])
    off_cat = np.where(rng.random(len(ou_off)) < 0.6, w.cat_pref[lo + ou_off], rng.choice(5, len(ou_off), p=CAT_W))
    o_cat = np.concatenate([s.scat[buy], off_cat])
    order = np.lexsort((o_t, o_user))
    o_user, o_t, o_sess, o_stream, o_cat = (x[order] for x in (o_user, o_t, o_sess, o_stream, o_cat))
    keep = rank_in_group(o_user) < ORDER_CAP[ty[o_user]]
    o_user, o_t, o_sess, o_stream, o_cat = (x[keep] for x in (o_user, o_t, o_sess, o_stream, o_cat))
    # order ids follow time within the block
    order = np.argsort(o_t, kind="stable")
    o_user, o_t, o_sess, o_stream, o_cat = (x[order] for x in (o_user, o_t, o_sess, o_stream, o_cat))
    oty = ty[o_user]
    status = choice_cum(rng, STATUS_CUM[oty])
    o = make_orders(w, rng, o_user + lo, o_t, o_stream, o_cat, status, COUPON_P[oty])
    return BlockOrders(o, o_user, o_t, o_sess, oty)


def funnel_events(w: World, rng: np.random.Generator, s: Sessions, bo: BlockOrders, log: EventLog) -> None:
    """Click (and sometimes cart) right before an in-room order; coupon claims before coupon orders."""
    o, o_user, o_t, o_sess = bo.o, bo.o_user, bo.o_t, bo.o_sess
    S, sidx, enter = s.count, s.sidx, s.enter
    # funnel events right before in-room orders: click the product link, sometimes add to cart
    fs = np.nonzero(o_sess >= 0)[0]
    fsess = o_sess[fs]
    t_click = np.maximum(o_t[fs] - rng.integers(5, 60, len(fs)), enter[fsess])
    log.add(o_user[fs], EV_CLICK, t_click, sidx[fsess], o.first_product[fs])
    fc = rng.random(len(fs)) < 0.3
    log.add(
        o_user[fs][fc], EV_CART, np.maximum(o_t[fs][fc] - 3, t_click[fc]), sidx[fsess][fc], o.first_product[fs][fc]
    )
    # price-sensitive buyers claim a coupon before a coupon order
    pcs = np.nonzero((o.coupon >= 0) & CLAIMS_COUPON_FIRST[bo.oty])[0]
    in_room = o_sess[pcs] >= 0
    ent = enter[np.where(in_room, o_sess[pcs], 0)] if S else np.zeros(len(pcs), dtype=np.int64)
    t_claim = np.where(
        in_room,
        ent + (rng.random(len(pcs)) * (o_t[pcs] - ent)).astype(np.int64),
        np.maximum(o_t[pcs] - rng.integers(60, 3 * 3600, len(pcs)), w.t0),
    )
    log.add(
        o_user[pcs], EV_COUPON, t_claim, np.where(in_room, sidx[np.where(in_room, o_sess[pcs], 0)] if S else -1, -1)
    )
