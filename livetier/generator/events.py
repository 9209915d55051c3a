"""The `events` table of one block: the parts that produce events append to an :class:`EventLog`
(in the order they run), which turns them into rows sorted by time, with at-least-once delivery:
a few events arrive twice, a little later in the stream."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from livetier.generator import arrays as col
from livetier.generator.contract import build_table
from livetier.generator.parameters import DUP_RATE
from livetier.generator.vocabulary import COMMENTS, EVENT_TYPES


class EventLog:
    """Events of one block as numpy parts: (user_local, type, t, stream, product, value_cents, text);
    -1 is null in the last four."""

    def __init__(self) -> None:
        self.parts: list[tuple] = []

    def add(self, u, et, t, s, p=None, v=None, tx=None) -> None:
        m = len(u)
        neg = np.full(m, -1, dtype=np.int64)
        self.parts.append(
            (
                u,
                np.full(m, et, dtype=np.int8) if np.isscalar(et) else et.astype(np.int8),
                t,
                s,
                neg if p is None else p,
                neg if v is None else v,
                neg if tx is None else tx,
            )
        )

    def table(self, w, rng: np.random.Generator, lo: int, eid0: int) -> tuple[pa.Table, int]:
        """The events table (ids from ``eid0``) and the number of distinct events in it."""
        cols = [np.concatenate([p[i] for p in self.parts]) for i in range(7)]
        self.parts.clear()
        e_user, e_type, e_t, e_stream, e_prod, e_val, e_txt = cols
        # clip to the data window (late-night rooms may still be live at the end)
        e_t = np.minimum(e_t, w.t_end - 1)
        order = np.argsort(e_t, kind="stable")
        ne = len(order)
        eid = eid0 + np.arange(ne)
        # at-least-once delivery: some rows arrive again, a little later in the stream
        dup = np.nonzero(rng.random(ne) < DUP_RATE)[0]
        pos = np.concatenate([np.arange(ne) * 2, np.minimum(dup + rng.integers(1, 2000, len(dup)), ne - 1) * 2 + 1])
        take = order[np.concatenate([np.arange(ne), dup])][np.argsort(pos, kind="stable")]
        eid_all = np.concatenate([eid, eid[dup]])[np.argsort(pos, kind="stable")]
        events_t = build_table(
            "events",
            [
                col.digits("e", eid_all, 10),
                col.digits("u", e_user[take] + lo + 1, w.uid_width),
                col.vocab(EVENT_TYPES, e_type[take]),
                col.ts(e_t[take]),
                col.digits("s", e_stream[take] + 1, 6, e_stream[take] >= 0),
                col.digits("p", e_prod[take] + 1, 5, e_prod[take] >= 0),
                col.dec(np.maximum(e_val[take], 0), e_val[take] >= 0),
                col.vocab(COMMENTS, e_txt[take]),
            ],
        )
        return events_t, ne
