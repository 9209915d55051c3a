"""Watching live rooms: which days a user watches, the sessions of a watch day (which room,
when they enter and leave), and what they do in the room (likes, comments, gifts, product
impressions, clicks, carts, favourites, coupon claims)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from livetier.generator.arrays import choice_cum
from livetier.generator.events import EventLog
from livetier.generator.parameters import (
    EXTRA_SESS,
    LAM,
    MISSING_LEAVE,
    P_WATCH,
    RETURNING,
    SESS_MED_MIN,
    SLOT_CUM,
)
from livetier.generator.vocabulary import (
    COMMENT_W,
    COMMENTS,
    EV_COMMENT,
    EV_ENTER,
    EV_FAV,
    EV_GIFT,
    EV_IMPR,
    EV_LEAVE,
    EV_LIKE,
    GIFT_CENTS,
    GIFT_W,
)
from livetier.generator.world import Cohort, World


@dataclass
class Sessions:
    """One row per session of the block (user index local to the block)."""

    su: np.ndarray  # user
    sd: np.ndarray  # day
    sty: np.ndarray  # user's latent type
    sidx: np.ndarray  # stream
    enter: np.ndarray
    leave: np.ndarray
    has_leave: np.ndarray  # the leave_room event arrives
    scat: np.ndarray  # stream's category
    sdur: np.ndarray  # seconds in the room

    @property
    def count(self) -> int:
        return len(self.su)


def watch(w: World, rng: np.random.Generator, c: Cohort) -> Sessions:
    """Watch days, then sessions: a stream slot by the type's taste, a room live in that slot."""
    ty, act, days = c.ty, c.act, w.days
    d = np.arange(days)
    active = ((d >= c.alo[:, None]) & (d <= c.ahi[:, None])) | ((d >= c.rlo[:, None]) & (d <= c.rhi[:, None]))
    pw = np.minimum(P_WATCH[ty] * act, 0.9).astype(np.float32)
    hit = (rng.random((c.n, days), dtype=np.float32) < pw[:, None] * w.day_factor[None, :]) & active
    del active
    back = np.nonzero(ty == RETURNING)[0]
    hit[back, c.rlo[back]] = True  # a returning user does come back (on the first day of the return)
    wu, wd = np.nonzero(hit)
    del hit
    ns = 1 + rng.poisson(EXTRA_SESS[ty[wu]])
    su = np.repeat(wu, ns)
    sd = np.repeat(wd, ns)
    S = len(su)
    sty = ty[su]
    slot = choice_cum(rng, SLOT_CUM[sty])
    key = sd * 3 + slot
    sidx = w.csr_idx[w.csr_off[key] + (rng.random(S) * w.csr_cnt[key]).astype(np.int64)]
    st, se = w.s_start[sidx], w.s_end[sidx]
    span = np.maximum(se - st - 120, 1)
    enter = st + (rng.random(S) * span).astype(np.int64)
    slen = np.exp(np.log(SESS_MED_MIN[sty] * 60) + 0.8 * rng.standard_normal(S))
    slen = np.clip(slen, 20, 4 * 3600).astype(np.int64)
    leave = np.minimum(enter + slen, se)
    has_leave = rng.random(S) >= MISSING_LEAVE
    scat = w.s_cat[sidx]
    sdur = leave - enter
    return Sessions(su, sd, sty, sidx, enter, leave, has_leave, scat, sdur)


def log_sessions(s: Sessions, log: EventLog) -> None:
    """enter_room and (unless it got lost) leave_room events."""
    log.add(s.su, EV_ENTER, s.enter, s.sidx)
    log.add(s.su[s.has_leave], EV_LEAVE, s.leave[s.has_leave], s.sidx[s.has_leave])


def room_events(w: World, rng: np.random.Generator, s: Sessions, log: EventLog) -> None:
    """In-room events: Poisson counts per type, longer sessions a little more (square root)."""
    S, sty, enter, sdur = s.count, s.sty, s.enter, s.sdur
    lenfac = np.clip(np.sqrt(sdur / (SESS_MED_MIN[sty] * 60)), 0.3, 3.0)
    cnt = rng.poisson(LAM[sty] * lenfac[:, None])
    rep = np.repeat(np.arange(S * 10), cnt.ravel())
    del cnt
    rs, rk = rep // 10, (rep % 10 + 2).astype(np.int8)
    del rep
    m = len(rs)
    rt = enter[rs] + (rng.random(m) * sdur[rs]).astype(np.int64)
    is_prod = (rk >= EV_IMPR) & (rk <= EV_FAV)
    prod = np.full(m, -1, dtype=np.int64)
    prod[is_prod] = w.pick_products(rng, s.scat[rs[is_prod]])
    val = np.full(m, -1, dtype=np.int64)
    lk = rk == EV_LIKE
    val[lk] = (1 + rng.geometric(0.07, int(lk.sum()))) * 100
    gf = rk == EV_GIFT
    val[gf] = rng.choice(GIFT_CENTS, int(gf.sum()), p=GIFT_W / GIFT_W.sum())
    txt = np.full(m, -1, dtype=np.int64)
    cm = rk == EV_COMMENT
    txt[cm] = rng.choice(len(COMMENTS), int(cm.sum()), p=COMMENT_W / COMMENT_W.sum())
    log.add(s.su[rs], rk, rt, s.sidx[rs], prod, val, txt)
