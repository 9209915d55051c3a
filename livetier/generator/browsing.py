"""Browsing the shop outside live rooms: bursts on active days, each a few product impressions
(mostly in the user's preferred category), sometimes a click, a favourite, a cart add or a
coupon claim, all without a stream."""

from __future__ import annotations

import numpy as np

from livetier.generator.events import EventLog
from livetier.generator.parameters import BROWSE_CART, BROWSE_CLICK, BROWSE_COUPON, BROWSE_DAY, BROWSE_FAV
from livetier.generator.vocabulary import CAT_W, EV_CART, EV_CLICK, EV_COUPON, EV_FAV, EV_IMPR
from livetier.generator.world import Cohort, World, active_days


def browse(w: World, rng: np.random.Generator, c: Cohort, log: EventLog) -> None:
    ty, lo = c.ty, c.lo
    nb = rng.poisson(BROWSE_DAY[ty] * c.act * c.active_len)
    bu = np.repeat(np.arange(c.n), nb)
    bty = ty[bu]
    bday = active_days(rng, c.alo[bu], c.ahi[bu], c.rlo[bu], c.rhi[bu])
    bt = w.times_in_days(rng, bday)
    bcat = np.where(rng.random(len(bu)) < 0.6, w.cat_pref[lo + bu], rng.choice(5, len(bu), p=CAT_W))
    bprod = w.pick_products(rng, bcat)
    nimp = 1 + rng.poisson(0.5, len(bu))
    iu = np.repeat(np.arange(len(bu)), nimp)
    nostream = np.full(len(iu), -1, dtype=np.int64)
    log.add(bu[iu], EV_IMPR, bt[iu] + rng.integers(0, 120, len(iu)), nostream, w.pick_products(rng, bcat[iu]))
    for et, probs, lag in ((EV_CLICK, BROWSE_CLICK, 130), (EV_FAV, BROWSE_FAV, 200), (EV_CART, BROWSE_CART, 260)):
        sel = rng.random(len(bu)) < probs[bty]
        k = int(sel.sum())
        log.add(bu[sel], et, bt[sel] + lag + rng.integers(0, 60, k), np.full(k, -1, dtype=np.int64), bprod[sel])
    sel = rng.random(len(bu)) < BROWSE_COUPON[bty]
    k = int(sel.sum())
    log.add(bu[sel], EV_COUPON, bt[sel] + rng.integers(0, 300, k), np.full(k, -1, dtype=np.int64))
