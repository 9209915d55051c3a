"""Tests for the sample-data generator (livetier.generator).

Tiny worlds (a few thousand users, 60 days) so the whole module runs in seconds. Every
assertion compares against a threshold the generator could miss, so these can fail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from livetier import generator as gen

USERS, DAYS, END = 3000, 60, "2025-06-30"
END_DATE = dt.date.fromisoformat(END)
START_DATE = END_DATE - dt.timedelta(days=DAYS - 1)
SH = 8 * 3600  # Asia/Shanghai offset in seconds (no DST)

CONTRACT_TYPES = {"str": pa.string(), "int": pa.int64(), "dec": pa.decimal128(18, 2), "bool": pa.bool_()}
CONTRACT = {
    "orders": "order_id:str user_id:str ordered_at:ts paid_at:ts status:str amount:dec discount_amount:dec "
    "coupon_id:str stream_id:str currency:str",
    "users": "user_id:str registered_at:ts gender:str birth_year:int province:str city_tier:int "
    "acquisition_channel:str phone:str nickname:str marketing_consent:bool",
    "events": "event_id:str user_id:str event_type:str event_at:ts stream_id:str product_id:str value:dec text:str",
    "live_streams": "stream_id:str anchor_id:str category:str started_at:ts ended_at:ts",
    "products": "product_id:str category:str brand:str list_price:dec",
    "order_items": "order_id:str line_no:int product_id:str quantity:int unit_price:dec",
    "refunds": "refund_id:str order_id:str refunded_at:ts amount:dec",
    "campaign_touches": "touch_id:str campaign_id:str user_id:str channel:str sent_at:ts opened_at:ts is_control:bool",
}


def _contract(table: str) -> list[tuple[str, str]]:
    return [tuple(c.split(":")) for c in CONTRACT[table].split()]


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _run(out: Path, **kw) -> dict:
    args = {"users": USERS, "days": DAYS, "end_date": END, "progress": False}
    args.update(kw)
    return gen.generate(out, **args)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("raw")
    return out, _run(out)


@pytest.fixture(scope="module")
def con(world) -> duckdb.DuckDBPyConnection:
    out, _ = world
    c = duckdb.connect()
    for t in gen.TABLES:
        c.execute(f"create view raw_{t} as select * from read_parquet('{out / (t + '.parquet')}')")
        c.execute(f"create view {t} as select distinct * from raw_{t}")
    c.execute(f"create view truth as select * from read_parquet('{out / '_truth' / 'user_types.parquet'}')")
    c.execute(f"create view uplift as select * from read_parquet('{out / '_truth' / 'campaign_uplift.parquet'}')")
    # purchases as segmentation.md defines them: paid, not cancelled, net amount > 0
    c.execute(
        """
        create view purchases as
        select o.*, o.amount - coalesce(r.refunded, 0) as net
        from orders o left join (select order_id, sum(amount) refunded from refunds group by 1) r using (order_id)
        where o.paid_at is not null and o.status <> 'cancelled'
          and o.amount - coalesce(r.refunded, 0) > 0
          and not (o.status = 'refunded' and r.refunded is null)
        """
    )
    # watch sessions (approximate rules: leave of the same stream, else next event, capped at 4 h)
    c.execute(
        """
        create view sessions as
        with ev as (
            select distinct user_id, event_type, event_at, stream_id from events
            where event_type in ('enter_room', 'leave_room')),
        x as (
            select *, lead(event_type) over w nt, lead(event_at) over w nat, lead(stream_id) over w ns
            from ev window w as (partition by user_id order by event_at, event_type))
        select user_id, stream_id, event_at as started_at,
            ((epoch(event_at)::bigint + 28800) % 86400) // 3600 as local_hour,
            ((epoch(event_at)::bigint + 28800) // 86400) as local_day,
            case when nt = 'leave_room' and ns = stream_id then epoch(nat) - epoch(event_at)
                 else least(coalesce(epoch(nat) - epoch(event_at), 14400), 14400) end as seconds
        from x where event_type = 'enter_room'
        """
    )
    c.execute(
        """
        create view per_user as
        select t.user_id, t.latent_type,
            coalesce(s.watch_days, 0) watch_days, coalesce(s.sessions, 0) sessions,
            coalesce(p.purchases, 0) purchases, coalesce(i.interactions, 0) interactions,
            coalesce(e.n_cart, 0) n_cart, coalesce(e.n_coupon, 0) n_coupon
        from truth t
        left join (select user_id, count(distinct local_day) watch_days, count(*) sessions
                   from sessions group by 1) s using (user_id)
        left join (select user_id, count(*) purchases from purchases group by 1) p using (user_id)
        left join (select user_id, count(*) interactions from events
                   where event_type in ('like', 'comment', 'share', 'follow', 'gift') group by 1) i using (user_id)
        left join (select user_id, count(*) filter (where event_type = 'add_to_cart') n_cart,
                          count(*) filter (where event_type = 'coupon_claim') n_coupon
                   from events group by 1) e using (user_id)
        """
    )
    return c


def q1(con, sql: str):
    return con.execute(sql).fetchone()[0]


# ---- API, determinism, formats -------------------------------------------------------------


def test_returns_rows_per_table_and_seconds(world):
    out, res = world
    assert set(res["rows"]) == set(gen.TABLES)
    assert all(res["rows"][t] > 0 for t in gen.TABLES)
    assert res["seconds"] > 0
    for t in gen.TABLES:
        assert pq.read_metadata(out / f"{t}.parquet").num_rows == res["rows"][t]


def test_same_seed_identical_bytes_different_seed_differs(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for p, seed in ((a, 11), (b, 11), (c, 12)):
        _run(p, users=800, days=30, seed=seed)
    da, db, dc = _digest(a), _digest(b), _digest(c)
    assert len(da) == len(gen.TABLES) + 2  # tables + two truth files
    assert da == db
    assert da.keys() == dc.keys()
    assert all(da[k] != dc[k] for k in da if k.startswith(("events", "orders", "users", "_truth/user")))


def test_folder_determinism(tmp_path):
    _run(tmp_path / "a", users=500, days=40, fmt="folder", seed=3)
    _run(tmp_path / "b", users=500, days=40, fmt="folder", seed=3)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")


@pytest.mark.parametrize("fmt", ["parquet", "csv", "folder"])
def test_each_format_writes_every_table_readable_by_duckdb(tmp_path, fmt):
    res = _run(tmp_path, users=600, days=40, fmt=fmt)
    c = duckdb.connect()
    for t in gen.TABLES:
        if fmt == "parquet":
            src = f"read_parquet('{tmp_path / (t + '.parquet')}')"
        elif fmt == "csv":
            src = f"read_csv('{tmp_path / (t + '.csv')}', header = true, all_varchar = true)"
        else:
            files = sorted((tmp_path / t).glob("*.parquet"))
            assert files, t
            assert not list((tmp_path / t).glob("*.csv"))
            src = f"read_parquet('{tmp_path / t}/*.parquet')"
        cols = [r[0] for r in c.execute(f"describe select * from {src}").fetchall()]
        assert cols == [name for name, _ in _contract(t)], t
        assert q1(c, f"select count(*) from {src}") == res["rows"][t]
    if fmt == "folder":
        months = sorted(p.name for p in (tmp_path / "events").glob("*.parquet"))
        assert months == ["2025-05.parquet", "2025-06.parquet"]  # 40 days ending 06-30
        assert (tmp_path / "orders" / "part-0.parquet").is_file()
        bad = q1(
            c,
            f"""select count(*) from read_parquet('{tmp_path}/events/*.parquet', filename = true)
                where strftime(to_timestamp(epoch(event_at) + 28800), '%Y-%m')
                      <> regexp_extract(filename, '(\\d{{4}}-\\d{{2}})\\.parquet', 1)""",
        )
        assert bad == 0
    if fmt == "csv":
        txt = (tmp_path / "orders.csv").read_text(encoding="utf-8").splitlines()
        assert txt[0] == ",".join(n for n, _ in _contract("orders"))
        first = txt[1].split(",")
        assert first[2].endswith("+08:00") and "T" in first[2]
        assert "." in first[5] and len(first[5].split(".")[1]) == 2
        # timestamps parse as ISO-8601 with offset; numbers parse as decimals
        c.execute(f"create view o as select * from read_csv('{tmp_path / 'orders.csv'}', all_varchar = true)")
        assert q1(c, "select count(*) from o where try_cast(ordered_at as timestamptz) is null") == 0
        assert q1(c, "select count(*) from o where not regexp_full_match(amount, '\\d+\\.\\d{2}')") == 0
        assert q1(c, "select count(*) from o where paid_at is null") > 0  # empty field = null


def test_parquet_types_match_contract(world):
    out, _ = world
    for t in gen.TABLES:
        schema = pq.read_schema(out / f"{t}.parquet")
        for name, typ in _contract(t):
            want = pa.timestamp("us", tz="UTC") if typ == "ts" else CONTRACT_TYPES[typ]
            assert schema.field(name).type == want, (t, name)


def test_truth_files(con):
    types = dict(con.execute("select latent_type, count(*) from truth group by 1").fetchall())
    assert set(types) == set(gen.LATENT_TYPES)
    assert sum(types.values()) == USERS
    assert 0.03 <= types["core_fan"] / USERS <= 0.05
    assert types["casual"] == max(types.values())
    cols = [r[0] for r in con.execute("describe uplift").fetchall()]
    assert {"campaign_id", "true_uplift", "base_rate"} <= set(cols)
    assert q1(con, "select count(*) from uplift where true_uplift between 0.02 and 0.06") >= 4


def test_cli_main(tmp_path, capsys):
    rc = gen.main(["--users", "300", "--days", "20", "--out", str(tmp_path / "r"), "--format", "csv", "--no-progress"])
    assert rc == 0
    assert all((tmp_path / "r" / f"{t}.csv").is_file() for t in gen.TABLES)
    assert (tmp_path / "r" / "_truth" / "user_types.parquet").is_file()
    assert "events" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        gen.main(["--scale", "huge"])
    assert gen.main(["--users", "300", "--days", "3", "--out", str(tmp_path / "x"), "--no-progress"]) == 2


def test_truth_out_and_format_switch_cleans_old_tables(tmp_path):
    _run(tmp_path / "r", users=300, days=20, fmt="csv")
    _run(tmp_path / "r", users=300, days=20, fmt="parquet", truth_out=tmp_path / "t")
    assert not list((tmp_path / "r").glob("*.csv"))  # no table left in two forms
    assert (tmp_path / "t" / "campaign_uplift.parquet").is_file()


# ---- content and realism -----------------------------------------------------------------


def test_keys_unique_and_duplicates_are_identical_rows(con):
    for t, key in (
        ("orders", "order_id"),
        ("users", "user_id"),
        ("live_streams", "stream_id"),
        ("products", "product_id"),
        ("refunds", "refund_id"),
        ("campaign_touches", "touch_id"),
        ("order_items", "order_id || '#' || line_no"),
    ):
        assert q1(con, f"select count(*) - count(distinct {key}) from raw_{t}") == 0, t
    # events: repeated event_ids are the same row, at 0.2-2% of rows
    raw = q1(con, "select count(*) from raw_events")
    distinct_ids = q1(con, "select count(distinct event_id) from raw_events")
    assert q1(con, "select count(*) from events") == distinct_ids
    assert 0.002 <= (raw - distinct_ids) / raw <= 0.02


def test_all_timestamps_inside_window(con):
    lo = f"timestamptz '{START_DATE} 00:00:00+08:00'"
    hi = f"timestamptz '{END_DATE + dt.timedelta(days=1)} 00:00:00+08:00'"
    for t, cols in (
        ("events", ["event_at"]),
        ("orders", ["ordered_at", "paid_at"]),
        ("refunds", ["refunded_at"]),
        ("live_streams", ["started_at", "ended_at"]),
        ("campaign_touches", ["sent_at", "opened_at"]),
    ):
        for col in cols:
            assert q1(con, f"select count(*) from {t} where {col} < {lo} or {col} >= {hi}") == 0, (t, col)
    assert q1(con, f"select count(*) from users where registered_at >= {hi}") == 0
    assert q1(con, f"select count(*) from users where registered_at < {lo}") > 0  # older users exist
    assert q1(con, "select count(*) from orders where paid_at < ordered_at") == 0
    assert q1(con, "select count(*) from live_streams where ended_at <= started_at") == 0


def test_in_room_events_within_their_stream(con):
    bad = q1(
        con,
        """select count(*) from events e join live_streams s using (stream_id)
           where e.event_at < s.started_at or e.event_at > coalesce(s.ended_at, e.event_at)""",
    )
    assert bad == 0
    assert q1(con, "select count(*) from events where stream_id is not null") > 0


def test_streams_are_evening_heavy_and_one_to_four_hours(con):
    share = q1(
        con,
        """select avg(case when ((epoch(started_at)::bigint + 28800) % 86400) // 3600 between 18 and 22
                      then 1 else 0 end) from live_streams""",
    )
    assert share > 0.6
    mins = con.execute(
        "select min(epoch(ended_at) - epoch(started_at)), max(epoch(ended_at) - epoch(started_at)) "
        "from live_streams where ended_at is not null"
    ).fetchone()
    assert mins[0] >= 50 * 60 and mins[1] <= 4 * 3600 + 600


def test_watch_time_is_evening_heavy(con):
    share = q1(con, "select sum(seconds) filter (where local_hour >= 18) / sum(seconds) from sessions")
    assert share > 0.5


def test_top_decile_buyers_gmv_share(con):
    share = q1(
        con,
        """with b as (select user_id, sum(net) g from purchases group by 1),
                r as (select g, ntile(10) over (order by g desc) d from b)
           select sum(g) filter (where d = 1) / sum(g) from r""",
    )
    assert share > 0.4


def test_orders_statuses_amounts_and_items(con):
    st = dict(con.execute("select status, count(*) from orders group by 1").fetchall())
    assert set(st) == {"created", "paid", "cancelled", "refunded"}
    assert st["paid"] / sum(st.values()) > 0.8
    assert q1(con, "select count(*) from orders where status in ('created', 'cancelled') and paid_at is not null") == 0
    assert q1(con, "select count(*) from orders where status in ('paid', 'refunded') and paid_at is null") == 0
    assert q1(con, "select count(*) from orders where amount < 0 or discount_amount < 0") == 0
    assert q1(con, "select count(*) from orders where coupon_id is not null") > 0
    assert 0.0 < q1(con, "select avg((currency is null)::int) from orders") < 0.1
    # amounts are heavy-tailed: mean well above median
    mean, med = con.execute("select avg(amount), median(amount) from orders").fetchone()
    assert mean > 1.2 * float(med)
    # 1-3 lines; amount = sum(quantity * unit_price) - discount
    assert con.execute("select min(line_no), max(line_no) from order_items").fetchone() == (1, 3)
    bad = q1(
        con,
        """select count(*) from orders o
           left join (select order_id, sum(quantity * unit_price) gross from order_items group by 1) i using (order_id)
           where i.gross is null or o.amount <> i.gross - coalesce(o.discount_amount, 0)""",
    )
    assert bad == 0
    assert q1(con, "select count(*) from order_items i anti join products using (product_id)") == 0


def test_refunds_never_exceed_order_amount(con):
    over = q1(
        con,
        """select count(*) from (select order_id, sum(amount) r from refunds group by 1) x
           join orders o using (order_id) where x.r > o.amount""",
    )
    assert over == 0
    assert q1(con, "select count(*) from refunds where amount <= 0") == 0
    paid = q1(con, "select count(*) from orders where status in ('paid', 'refunded')")
    refunded = q1(con, "select count(distinct order_id) from refunds")
    assert 0.04 <= refunded / paid <= 0.10
    full = q1(
        con,
        """select avg((coalesce(x.r, 0) = o.amount)::int) from orders o
           left join (select order_id, sum(amount) r from refunds group by 1) x using (order_id)
           where o.status = 'refunded'""",
    )
    assert full > 0.6


def test_some_buyers_and_eventers_are_not_in_users(con):
    missing = q1(con, "select count(distinct user_id) from events anti join users using (user_id)")
    total = q1(con, "select count(distinct user_id) from events")
    assert 0 < missing / total < 0.06
    assert q1(con, "select count(*) from orders anti join users using (user_id)") > 0
    # personal data is present (so the project can show that it hashes it)
    assert q1(con, "select count(*) from users where regexp_full_match(phone, '1[3-9]\\d{9}')") > USERS * 0.8
    assert q1(con, "select count(distinct nickname) from users") > USERS * 0.5
    assert q1(con, "select count(*) from events where event_type = 'comment' and text is null") == 0


def test_event_values(con):
    assert q1(con, "select count(*) from events where event_type = 'like' and (value is null or value < 1)") == 0
    assert q1(con, "select count(*) from events where event_type = 'gift' and (value is null or value <= 0)") == 0
    assert q1(con, "select count(*) from events where event_type not in ('like', 'gift') and value is not null") == 0
    prod = "('product_impression', 'product_click', 'add_to_cart', 'favorite')"
    assert q1(con, f"select count(*) from events where event_type in {prod} and product_id is null") == 0
    types = {r[0] for r in con.execute("select distinct event_type from events").fetchall()}
    assert types == set(gen.EVENT_TYPES)
    # some sessions lack their leave_room, so the session cap / stream end matter
    enters = q1(con, "select count(*) from events where event_type = 'enter_room'")
    leaves = q1(con, "select count(*) from events where event_type = 'leave_room'")
    assert 0.01 < 1 - leaves / enters < 0.1


def _median(con, col: str, latent: str) -> float:
    return q1(con, f"select median({col}) from per_user where latent_type = '{latent}'")


def test_core_fans_buy_watch_and_interact(con):
    assert _median(con, "purchases", "core_fan") >= 3
    assert _median(con, "watch_days", "core_fan") >= 6
    assert _median(con, "interactions", "core_fan") >= 10
    # distinguishable: core fans watch on many more days than casual users
    assert _median(con, "watch_days", "core_fan") >= 5 * max(_median(con, "watch_days", "casual"), 1)
    ok = q1(
        con,
        """select avg((purchases >= 3 and watch_days >= 6 and interactions >= 10)::int)
           from per_user where latent_type = 'core_fan'""",
    )
    assert ok > 0.6


def test_potential_users_watch_and_interact_but_rarely_buy(con):
    last30 = f"(epoch(timestamptz '{END_DATE - dt.timedelta(days=29)} 00:00:00+08:00') + 28800) // 86400"
    row = con.execute(
        f"""with s as (select user_id, count(distinct local_day) wd from sessions
                       where local_day >= {last30} group by 1),
                 i as (select user_id, count(*) n from events
                       where event_type in ('like', 'comment', 'share', 'follow', 'gift')
                         and event_at >= timestamptz '{END_DATE - dt.timedelta(days=29)} 00:00:00+08:00'
                       group by 1)
            select avg((coalesce(s.wd, 0) >= 4 and coalesce(i.n, 0) >= 3)::int), max(p.purchases)
            from per_user p left join s using (user_id) left join i using (user_id)
            where p.latent_type = 'potential'"""
    ).fetchone()
    assert row[0] > 0.5
    # campaigns may add a converted order on top of the organic 0-1
    assert q1(con, "select avg((purchases <= 1)::int) from per_user where latent_type = 'potential'") > 0.9


def test_new_visitors_are_new_and_do_not_buy(con):
    row = con.execute(
        """select min(u.registered_at), count(o.order_id) from truth t
            join users u using (user_id) left join orders o using (user_id)
            where t.latent_type = 'new_visitor'"""
    ).fetchone()
    assert row[0] >= dt.datetime.combine(END_DATE - dt.timedelta(days=31), dt.time(), dt.UTC)
    assert row[1] == 0
    assert _median(con, "sessions", "new_visitor") <= 3


def test_churning_go_silent_and_returning_come_back(con):
    last_day = dt.datetime.combine(END_DATE, dt.time(), dt.UTC).timestamp() // 86400  # business day number of END
    row = con.execute(
        f"""with a as (select t.user_id, t.latent_type,
                           max((epoch(e.event_at)::bigint + 28800) // 86400) last_day,
                           min((epoch(e.event_at)::bigint + 28800) // 86400) first_day
                       from truth t join events e using (user_id) group by 1, 2)
            select
              max(last_day) filter (where latent_type = 'churning'),
              avg((last_day >= {last_day} - 21)::int) filter (where latent_type = 'returning'),
              avg((first_day <= {last_day} - 25)::int) filter (where latent_type = 'returning')
            from a"""
    ).fetchone()
    # window of 60 days: churning users are silent for at least ~40% of it
    assert row[0] <= last_day - 0.4 * DAYS
    assert row[1] > 0.9 and row[2] > 0.8


def test_late_night_impulse_price_sensitive_cart_abandoner(con):
    late = q1(
        con,
        """select avg((local_hour >= 23 or local_hour < 2)::int) from sessions
           join truth using (user_id) where latent_type = 'late_night'""",
    )
    others = q1(
        con,
        """select avg((local_hour >= 23 or local_hour < 2)::int) from sessions
           join truth using (user_id) where latent_type = 'core_fan'""",
    )
    assert late > 0.5 and others < 0.25
    # impulse buyers: short sessions and orders within minutes of entering the room
    imp_len = q1(con, "select median(seconds) from sessions join truth using (user_id) where latent_type = 'impulse'")
    core_len = q1(con, "select median(seconds) from sessions join truth using (user_id) where latent_type = 'core_fan'")
    assert imp_len * 3 < core_len
    quick = q1(
        con,
        """with o as (select o.user_id, o.stream_id, o.ordered_at, t.latent_type
                      from orders o join truth t using (user_id) where o.stream_id is not null),
                d as (select o.latent_type, epoch(o.ordered_at) - max(epoch(s.started_at)) gap
                      from o join sessions s on s.user_id = o.user_id and s.stream_id = o.stream_id
                                          and s.started_at <= o.ordered_at
                      group by o.user_id, o.stream_id, o.ordered_at, o.latent_type)
           select median(gap) from d where latent_type = 'impulse'""",
    )
    assert quick <= 300
    # price-sensitive buyers mostly use coupons and claim them
    cp = con.execute(
        """select avg((o.coupon_id is not null)::int) filter (where t.latent_type = 'price_sensitive'),
                  avg((o.coupon_id is not null)::int) filter (where t.latent_type = 'core_fan')
           from orders o join truth t using (user_id)"""
    ).fetchone()
    assert cp[0] > 0.6 and cp[1] < 0.35
    assert _median(con, "n_coupon", "price_sensitive") > 2 * max(_median(con, "n_coupon", "casual"), 0.5)
    # cart abandoners add to cart a lot and rarely buy
    assert _median(con, "n_cart", "cart_abandoner") >= 3 * max(_median(con, "n_cart", "casual"), 1)
    assert q1(con, "select avg(purchases) from per_user where latent_type = 'cart_abandoner'") < 0.6


def test_campaign_controls_have_no_opened_at(con):
    assert q1(con, "select count(*) from campaign_touches where is_control and opened_at is not null") == 0
    ctrl = q1(con, "select avg(is_control::int) from campaign_touches")
    assert 0.15 <= ctrl <= 0.25
    assert q1(con, "select count(*) from campaign_touches where not is_control and opened_at is not null") > 0
    assert q1(con, "select count(*) from campaign_touches where opened_at < sent_at") == 0
    assert q1(con, "select count(distinct campaign_id) from campaign_touches") >= 4
    chans = {r[0] for r in con.execute("select distinct channel from campaign_touches").fetchall()}
    assert chans <= {"push", "sms", "in_app", "community"}


@pytest.fixture(scope="module")
def campaign_world(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("campaign")
    _run(out, users=30_000, days=45, seed=5)
    return out


def test_campaign_readout_recovers_true_uplift(campaign_world):
    d = campaign_world
    c = duckdb.connect()
    rows = c.execute(
        f"""
        with o as (select distinct * from read_parquet('{d}/orders.parquet')),
        r as (select order_id, sum(amount) ra from (select distinct * from read_parquet('{d}/refunds.parquet'))
              group by 1),
        p as (select o.user_id, o.paid_at from o left join r using (order_id)
              where o.paid_at is not null and o.status <> 'cancelled' and o.amount - coalesce(ra, 0) > 0
                and not (o.status = 'refunded' and ra is null)),
        t as (select * from read_parquet('{d}/campaign_touches.parquet')),
        c as (select t.campaign_id, t.is_control,
                     exists (select 1 from p where p.user_id = t.user_id and p.paid_at > t.sent_at
                             and p.paid_at <= t.sent_at + interval 7 day) conv
              from t)
        select c.campaign_id,
               avg(conv::int) filter (where not is_control), count(*) filter (where not is_control),
               avg(conv::int) filter (where is_control), count(*) filter (where is_control),
               any_value(u.true_uplift), any_value(u.base_rate)
        from c join read_parquet('{d}/_truth/campaign_uplift.parquet') u using (campaign_id)
        group by 1 order by 1"""
    ).fetchall()
    assert len(rows) >= 4
    z_sum = 0.0
    for _cid, rt, nt, rc, nc, true_u, base in rows:
        se = math.sqrt(rt * (1 - rt) / nt + rc * (1 - rc) / nc)
        z = (rt - rc - true_u) / se
        assert abs(z) < 3.0, (_cid, rt - rc, true_u, se)
        assert abs(rc - base) < 3.5 * math.sqrt(base * (1 - base) / nc) + 1e-9
        z_sum += z
    assert abs(z_sum / math.sqrt(len(rows))) < 3.0  # no systematic bias across campaigns


# ---- dirty input (opt-in) --------------------------------------------------------------------


def test_clean_by_default_dirty_when_asked(tmp_path):
    _run(tmp_path / "clean", users=1500, days=30, fmt="csv")
    _run(tmp_path / "dirty", users=1500, days=30, fmt="csv", dirty=0.1)
    c = duckdb.connect()

    def counts(root: Path) -> tuple:
        ev = f"read_csv('{root / 'events.csv'}', all_varchar = true)"
        od = f"read_csv('{root / 'orders.csv'}', all_varchar = true)"
        known = "', '".join(gen.EVENT_TYPES)
        return c.execute(
            f"""select
                (select count(*) from {ev} where user_id is null),
                (select count(*) from {ev} where event_type not in ('{known}')),
                (select count(*) from {ev} where try_cast(event_at as timestamptz) is null),
                (select count(*) from {od} where amount::decimal(18, 2) < 0)"""
        ).fetchone()

    assert counts(tmp_path / "clean") == (0, 0, 0, 0)
    assert all(n > 0 for n in counts(tmp_path / "dirty"))
    # parquet cannot hold an unparseable timestamp: nulls, unknown enums and negatives only
    res = _run(tmp_path / "pq", users=800, days=30, dirty=0.05)
    assert res["rows"]["events"] > 0
    t = pq.read_table(tmp_path / "pq" / "events.parquet")
    assert t["user_id"].null_count > 0


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        gen.generate(tmp_path, fmt="xlsx", progress=False)
    with pytest.raises(ValueError):
        gen.generate(tmp_path, scale="tiny", progress=False)
    with pytest.raises(ValueError):
        gen.generate(tmp_path, users=300, days=20, dirty=2.0, progress=False)
