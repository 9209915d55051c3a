"""Orders and order lines read file by file (base_live__orders, base_live__order_items): a night
that adds files equals a full refresh, a rewritten or removed file rebuilds them, and what only
they feed is kept on a night that brings nothing. The order versions (int_order_net_amounts_versioned)
follow by order: the orders written since their last run, and those whose refund days changed;
so do the purchase spans (int_purchase_versions_spanned): the orders whose versions were written.

The worked examples' orders and order lines are delivered as folders (`orders/a.csv`,
`order_items/a.csv`); a second file brings new orders, a corrected copy of a stored order that
ranks first (a smaller amount), a copy of a stored line that ranks first (another product), and
an order set aside as future_timestamp until a later clock reaches it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
from dbt_harness import EXAMPLES_RAW, SEED_AND_MODELS, build
from test_incremental import KEY, PUBLIC_MARTS, _differences

from livetier.publish import set_search_path

AS_OF = "2025-03-31"
CLOCK = "2025-04-20T00:00:00"
LATER = "2025-04-30T00:00:00"
ORDERS_HEADER = "order_id,user_id,ordered_at,paid_at,status,amount,discount_amount,coupon_id,stream_id,currency\n"
NEW_ORDERS = (
    # a new order of u01, and its line
    "n0001,u01,2025-03-30T20:00:00+08:00,2025-03-30T20:01:00+08:00,paid,80.00,,,,CNY\n"
    # o0101 again, corrected: the same values but a smaller amount, so this copy ranks first
    "o0101,u01,2025-03-29T21:00:00+08:00,2025-03-29T21:01:00+08:00,paid,280.00,20.00,cp-spring,s11,CNY\n"
    # five days after CLOCK: set aside until the LATER clock
    "f0001,u02,2025-04-25T10:00:00+08:00,2025-04-25T10:01:00+08:00,paid,60.00,,,,CNY\n"
)
ITEMS_HEADER = "order_id,line_no,product_id,quantity,unit_price\n"
NEW_ITEMS = (
    "n0001,1,p01,1,80.00\n"
    # o0102's line 1 again with product p00, which ranks before the stored p02
    "o0102,1,p00,2,125.00\n"
    "f0001,1,p02,1,60.00\n"
)
BASE = ("base_live__orders", "base_live__order_items")
VERSIONS = "int_order_net_amounts_versioned"
SPANS = "int_purchase_versions_spanned"
COMPARED = (*PUBLIC_MARTS, *BASE, VERSIONS, SPANS)


def _raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(EXAMPLES_RAW, raw)
    for table in ("orders", "order_items"):
        (raw / table).mkdir()
        (raw / f"{table}.csv").rename(raw / table / "a.csv")
    return raw


def _night(raw: Path, db: Path, clock: str) -> str:
    done = build(raw, db, as_of=AS_OF, clock=clock, command="run", env_extra=KEY)
    assert done.returncode == 0, done.stdout[-5000:]
    return done.stdout


def _equals_full_refresh(raw: Path, db: Path, clock: str, label: str) -> None:
    full = db.with_name(f"full-{label}.duckdb")
    done = build(raw, full, as_of=AS_OF, clock=clock, command="build", env_extra=KEY,
                 extra_args=[*SEED_AND_MODELS, "--full-refresh"])
    assert done.returncode == 0, done.stdout[-5000:]
    bad = {t: d for t in COMPARED if (d := _differences(db, full, t, aside=("_source_sha256",))) != (0, 0)}
    assert not bad, f"{label}: the night differs from a full refresh (only night, only full): {bad}"


def _rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    set_search_path(con)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_orders_by_file_equal_a_full_refresh(tmp_path: Path) -> None:
    raw = _raw(tmp_path)
    db = tmp_path / "night.duckdb"
    first = build(raw, db, as_of=AS_OF, clock=CLOCK, command="build", env_extra=KEY, extra_args=SEED_AND_MODELS)
    assert first.returncode == 0, first.stdout[-5000:]
    stamps = {t: _rows(db, f"select min(_loaded_at) from {t}")[0][0] for t in (*BASE, VERSIONS, SPANS)}

    # a night adds a file to each folder: only its rows and the stored copies of its keys are written
    (raw / "orders" / "b.csv").write_text(ORDERS_HEADER + NEW_ORDERS)
    (raw / "order_items" / "b.csv").write_text(ITEMS_HEADER + NEW_ITEMS)
    _night(raw, db, CLOCK)
    _equals_full_refresh(raw, db, CLOCK, "new-files")
    for table, key in (("base_live__orders", "order_id"), ("base_live__order_items", "order_id")):
        written = {k for (k,) in _rows(db, f"select distinct {key} from {table} where _loaded_at > "
                                           f"cast('{stamps[table]}' as timestamp)")}
        assert written == {"n0001", "f0001", "o0101" if table == "base_live__orders" else "o0102"}, (table, written)
    # the order versions: the orders written (the refunds were rebuilt with the orders, but no
    # order's refund days changed)
    versions = {k for (k,) in _rows(db, f"select distinct order_id from {VERSIONS} "
                                        f"where _loaded_at > cast('{stamps[VERSIONS]}' as timestamp)")}
    assert versions == {"n0001", "o0101"}, versions
    # the purchase spans: the orders whose versions were written
    spans = {k for (k,) in _rows(db, f"select distinct order_id from {SPANS} "
                                     f"where _loaded_at > cast('{stamps[SPANS]}' as timestamp)")}
    assert spans == {"n0001", "o0101"}, spans
    assert _rows(db, "select amount, _source_file like '%b.csv' from base_live__orders "
                     "where order_id = 'o0101' and not is_duplicate") == [(280, True)]
    assert _rows(db, "select product_id from base_live__order_items where order_id = 'o0102' "
                     "and line_no = 1 and is_duplicate") == [("p02",)]
    assert _rows(db, "select reject_reason from base_live__orders where order_id = 'f0001'") == [("future_timestamp",)]

    # a later clock reaches the future order: it is checked again and kept, with no new file
    _night(raw, db, LATER)
    _equals_full_refresh(raw, db, LATER, "clock")
    assert _rows(db, "select reject_reason from base_live__orders where order_id = 'f0001'") == [(None,)]

    # nothing new: the orders' tables write nothing, and what only they feed is kept as it is
    written = {t: _rows(db, f"select max(_loaded_at) from {t}") for t in (*BASE, VERSIONS, SPANS)}
    stdout = _night(raw, db, LATER)
    assert {t: _rows(db, f"select max(_loaded_at) from {t}") for t in written} == written
    assert "base_live__refunds_allocated: inputs unchanged since its last build, table kept" in stdout, \
        stdout[-3000:]

    # a refund withdrawn from the refunds snapshot: its order has one version again
    refunds = (raw / "refunds.csv").read_text().splitlines(keepends=True)
    (raw / "refunds.csv").write_text("".join(line for line in refunds if not line.startswith("r1803,")))
    before = _rows(db, f"select count(*) from {VERSIONS} where order_id = 'o1801'")
    _night(raw, db, LATER)
    _equals_full_refresh(raw, db, LATER, "refund-withdrawn")
    assert _rows(db, f"select count(*) from {VERSIONS} where order_id = 'o1801'") != before

    # a loaded file rewritten (an order withdrawn) rebuilds both tables from every file
    orders = (raw / "orders" / "a.csv").read_text().splitlines(keepends=True)
    (raw / "orders" / "a.csv").write_text("".join(line for line in orders if not line.startswith("o0103,")))
    _night(raw, db, LATER)
    _equals_full_refresh(raw, db, LATER, "rewritten")
    assert _rows(db, "select count(*) from base_live__orders where order_id = 'o0103'") == [(0,)]
    assert _rows(db, "select count(distinct _loaded_at) from base_live__orders") == [(1,)]

    # a loaded file removed: the same
    (raw / "order_items" / "b.csv").unlink()
    _night(raw, db, LATER)
    _equals_full_refresh(raw, db, LATER, "removed")
    assert _rows(db, "select count(*) from base_live__order_items where order_id = 'n0001'") == [(0,)]
