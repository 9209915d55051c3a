"""One block of users, simulated from its own random stream: sessions and in-room events,
browsing, orders with their funnel events, refunds, the organic conversions of touched users,
the events table and the `users` rows. Blocks keep memory bounded at every scale."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from livetier.generator.arrays import rng_for
from livetier.generator.browsing import browse
from livetier.generator.campaigns import mark_organic_conversions
from livetier.generator.events import EventLog
from livetier.generator.orders import funnel_events, orders_tables, place_orders, refunds_table
from livetier.generator.sessions import log_sessions, room_events, watch
from livetier.generator.world import Cohort, World, users_table


@dataclass
class Block:
    events: pa.Table
    orders: pa.Table
    items: pa.Table
    refunds: pa.Table
    users: pa.Table
    n_events: int  # distinct events (ids used)
    n_orders: int
    n_refunds: int


def block_size(days: int) -> int:
    """Users per block, about six million event rows per block (depends on days only)."""
    return int(np.clip(round(6_000_000 / (0.55 * days) / 1000) * 1000, 1000, 200_000))


def simulate_block(w: World, b: int, lo: int, hi: int, eid0: int, oid0: int, rid0: int) -> Block:
    """Block ``b`` (users ``lo .. hi - 1``); ids of its events, orders and refunds start at the
    given numbers. The steps draw from the block's stream in this order."""
    rng = rng_for(w.seed, 1, b)
    c = Cohort.of(w, lo, hi)
    log = EventLog()
    s = watch(w, rng, c)
    log_sessions(s, log)
    room_events(w, rng, s, log)
    browse(w, rng, c, log)
    bo = place_orders(w, rng, c, s)
    funnel_events(w, rng, s, bo, log)
    mark_organic_conversions(w, lo, hi, bo)
    orders_t, items_t = orders_tables(w, bo.o, oid0)
    refunds_t = refunds_table(w, rng, bo.o, oid0, rid0)
    events_t, ne = log.table(w, rng, lo, eid0)
    users_t = users_table(w, rng, lo, hi)
    return Block(events_t, orders_t, items_t, refunds_t, users_t, ne, len(bo.o.user), refunds_t.num_rows)
