"""Sample-data generator: a simulated live-stream shop in the raw contract's shape.

The simulation follows the domain articles (用户分层运营 for 直播电商): anchors stream mostly in
the evening, a handful of user archetypes (the *latent types*) watch, interact and buy in
recognisably different ways, a few outreach campaigns run randomised hold-outs with a known
true uplift, and the usual mess of real exports shows up (at-least-once event delivery,
unpaid and cancelled orders, refunds, buyers missing from ``users``).

The modules follow the parts of the shop:

- ``contract``: the tables, columns and types written (the raw contract);
- ``vocabulary``: categories, brands, event types, comments, coupons, channels, calendar;
- ``parameters``: one record per latent type (how it watches, buys, browses, is targeted);
- ``world``: calendar, anchors and streams, products, users and their `users` rows;
- ``sessions``, ``browsing``, ``orders``, ``events``: what a block of users does;
- ``block``: one block of users, start to end; ``campaigns``: outreach and its true uplift;
- ``corruption``: the opt-in dirty input; ``writer``: files and ground truth.

Everything is vectorised with numpy/pyarrow: Python loops only run over user blocks, days,
event types and campaigns. Users are simulated in blocks, each written straight to its
Parquet/CSV writers, so memory stays bounded at every scale. A given seed always gives
byte-identical files: every part draws from its own ``Generator(PCG64)`` stream named by
``(seed, *path)``: (0, 1) streams, (0, 2) products, (0, 3) users, (0, 4) campaigns, (1, b) user
block b, (2,) the campaign pass, (3, first user of the block) marketing consent, (99, table,
chunk) corruption. No clock.

Entry points: :func:`generate` (library) and :func:`main` (command line).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from livetier._progress import Progress
from livetier.generator.arrays import rng_for
from livetier.generator.block import block_size, simulate_block
from livetier.generator.campaigns import build_campaigns, campaign_pass
from livetier.generator.contract import FORMATS, SCHEMAS, TABLES
from livetier.generator.corruption import corrupt
from livetier.generator.orders import orders_tables
from livetier.generator.parameters import LATENT_TYPES, MIX_LARGE, MIX_STANDARD
from livetier.generator.vocabulary import EVENT_TYPES
from livetier.generator.world import (
    World,
    build_products,
    build_streams,
    build_users,
    calendar,
    products_table,
    streams_table,
    user_types_table,
    world_sizes,
)
from livetier.generator.writer import Sink, clear_outputs, write_truth

__all__ = ["generate", "main", "PRESETS", "TABLES", "SCHEMAS", "LATENT_TYPES", "EVENT_TYPES", "FORMATS"]

# Presets: users and days; everything else is derived from them.
PRESETS: dict[str, dict[str, int]] = {
    "small": {"users": 20_000, "days": 90},
    "medium": {"users": 200_000, "days": 180},
    "large": {"users": 2_000_000, "days": 365},
}


def generate(
    out: str | Path,
    scale: str = "small",
    seed: int = 7,
    users: int | None = None,
    days: int | None = None,
    fmt: str = "parquet",
    end_date: str = "2025-06-30",
    truth_out: str | Path | None = None,
    progress: bool = True,
    dirty: float = 0.0,
) -> dict:
    """Write a simulated shop's raw tables to ``out`` and the ground truth to ``truth_out``.

    Returns ``{"rows": {table: rows written}, "seconds": wall time, ...}``. Same arguments and
    seed give byte-identical files. ``dirty`` (0..1) corrupts that fraction of rows.
    """
    t_start = time.perf_counter()
    if scale not in PRESETS:
        raise ValueError(f"scale must be one of {sorted(PRESETS)}, got {scale!r}")
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    if not 0.0 <= dirty <= 1.0:
        raise ValueError("dirty must be a fraction in [0, 1]")
    n_users = int(users if users is not None else PRESETS[scale]["users"])
    n_days = int(days if days is not None else PRESETS[scale]["days"])
    if n_users < 100:
        raise ValueError("users must be at least 100")
    if n_days < 7:
        raise ValueError("days must be at least 7")
    end = dt.date.fromisoformat(end_date)
    out = Path(out)
    truth_dir = Path(truth_out) if truth_out is not None else out / "_truth"
    out.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    clear_outputs(out)

    start, t0, t_end, day_start, factor = calendar(end, n_days)
    w = World(
        seed=seed,
        n_users=n_users,
        days=n_days,
        mix=np.array(MIX_LARGE if scale == "large" else MIX_STANDARD),
        start_date=start,
        end_date=end,
        t0=t0,
        t_end=t_end,
        day_start=day_start,
        day_factor=factor,
        uid_width=max(6, len(str(n_users))),
    )
    sizes = world_sizes(n_users)
    build_streams(w, rng_for(seed, 0, 1), sizes["anchors"])
    build_products(w, rng_for(seed, 0, 2), sizes["products"])
    build_users(w, rng_for(seed, 0, 3))
    build_campaigns(w, rng_for(seed, 0, 4), sizes["campaigns"], sizes["campaign_size"])

    sinks = {name: Sink(out, name, fmt, split_month_col="event_at" if name == "events" else None) for name in TABLES}
    dirty_chunk = {name: 0 for name in TABLES}

    def emit(name: str, table: pa.Table) -> None:
        bad = None
        if dirty > 0:
            dirty_chunk[name] += 1
            table, bad = corrupt(name, table, rng_for(seed, 99, TABLES.index(name), dirty_chunk[name]), dirty, fmt)
        sinks[name].write(table, bad)

    try:
        emit("live_streams", streams_table(w))
        emit("products", products_table(w))
        bs = block_size(n_days)
        bounds = list(range(0, n_users, bs)) + [n_users]
        bar = Progress(len(bounds) - 1, f"generate {scale} ({n_users:,} users, {n_days} d)", progress)
        eid = oid = rid = 1
        for b in range(len(bounds) - 1):
            blk = simulate_block(w, b, bounds[b], bounds[b + 1], eid, oid, rid)
            eid, oid, rid = eid + blk.n_events, oid + blk.n_orders, rid + blk.n_refunds
            emit("users", blk.users)
            emit("events", blk.events)
            emit("orders", blk.orders)
            emit("order_items", blk.items)
            emit("refunds", blk.refunds)
            del blk
            bar.update(1, f"{sinks['events'].rows:,} events")
        co, touches, truth = campaign_pass(w, oid)
        if co is not None:
            orders_t, items_t = orders_tables(w, co, oid)
            emit("orders", orders_t)
            emit("order_items", items_t)
        emit("campaign_touches", touches)
    finally:
        for s in sinks.values():
            s.close()

    write_truth(truth_dir, user_types_table(w), truth)
    rows = {name: sinks[name].rows for name in TABLES}
    seconds = round(time.perf_counter() - t_start, 3)
    if progress:
        bar.close(f"{sum(rows.values()):,} rows in {seconds:.1f}s")
    return {
        "rows": rows,
        "seconds": seconds,
        "out": str(out),
        "truth_out": str(truth_dir),
        "format": fmt,
        "scale": scale,
        "users": n_users,
        "days": n_days,
        "seed": seed,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
    }


def main(argv: list[str] | None = None) -> int:
    """``livetier generate``: write sample raw data (see ``--help``)."""
    p = argparse.ArgumentParser(
        prog="livetier generate",
        description="Generate a simulated live-stream shop in the raw contract's shape.",
    )
    p.add_argument("--scale", choices=list(PRESETS), default="small", help="size preset (default small)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--out", default="data/raw", help="output directory (default data/raw)")
    p.add_argument("--format", dest="fmt", choices=FORMATS, default="parquet", help="table layout")
    p.add_argument("--users", type=int, default=None, help="override the preset's user count")
    p.add_argument("--days", type=int, default=None, help="override the preset's number of days")
    p.add_argument("--end-date", default="2025-06-30", help="last business date (YYYY-MM-DD)")
    p.add_argument("--truth-out", default=None, help="ground-truth directory (default <out>/_truth)")
    p.add_argument("--dirty", type=float, default=0.0, help="fraction of rows to corrupt (default 0)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    a = p.parse_args(argv)
    try:
        res = generate(
            a.out,
            scale=a.scale,
            seed=a.seed,
            users=a.users,
            days=a.days,
            fmt=a.fmt,
            end_date=a.end_date,
            truth_out=a.truth_out,
            progress=not a.no_progress,
            dirty=a.dirty,
        )
    except ValueError as e:
        print(f"livetier generate: {e}", file=sys.stderr)
        return 2
    width = max(len(t) for t in res["rows"])
    print(f"wrote {res['out']} ({res['format']}, {res['start_date']}..{res['end_date']}) in {res['seconds']:.1f}s")
    for t, r in res["rows"].items():
        print(f"  {t:<{width}} {r:>12,}")
    print(f"  truth -> {res['truth_out']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
