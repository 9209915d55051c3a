"""Sample-data generator: a simulated live-stream shop in the raw contract's shape.

The simulation follows the domain articles (用户分层运营 for 直播电商): anchors stream mostly in
the evening, a handful of user archetypes (the *latent types*) watch, interact and buy in
recognisably different ways, a few outreach campaigns run randomised hold-outs with a known
true uplift, and the usual mess of real exports shows up (at-least-once event delivery,
unpaid and cancelled orders, refunds, buyers missing from ``users``).

Everything is vectorised with numpy/pyarrow: Python loops only run over user blocks, days,
event types and campaigns. Users are simulated in blocks, each written straight to its
Parquet/CSV writers, so memory stays bounded at every scale. A given seed always gives
byte-identical files (numpy ``Generator(PCG64)`` streams derived from the seed, no clock).

Entry points: :func:`generate` (library) and :func:`main` (command line).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from livetier._progress import Progress

__all__ = ["generate", "main", "PRESETS", "TABLES", "SCHEMAS", "LATENT_TYPES", "FORMATS"]

# --------------------------------------------------------------------------------------------
# Contract: tables, columns, types
# --------------------------------------------------------------------------------------------

TS = pa.timestamp("us", tz="UTC")
DEC = pa.decimal128(18, 2)
STR = pa.string()
INT = pa.int64()

SCHEMAS: dict[str, pa.Schema] = {
    "orders": pa.schema(
        [
            ("order_id", STR),
            ("user_id", STR),
            ("ordered_at", TS),
            ("paid_at", TS),
            ("status", STR),
            ("amount", DEC),
            ("discount_amount", DEC),
            ("coupon_id", STR),
            ("stream_id", STR),
            ("currency", STR),
        ]
    ),
    "users": pa.schema(
        [
            ("user_id", STR),
            ("registered_at", TS),
            ("gender", STR),
            ("birth_year", INT),
            ("province", STR),
            ("city_tier", INT),
            ("acquisition_channel", STR),
            ("phone", STR),
            ("nickname", STR),
            ("marketing_consent", pa.bool_()),
        ]
    ),
    "events": pa.schema(
        [
            ("event_id", STR),
            ("user_id", STR),
            ("event_type", STR),
            ("event_at", TS),
            ("stream_id", STR),
            ("product_id", STR),
            ("value", DEC),
            ("text", STR),
        ]
    ),
    "live_streams": pa.schema(
        [
            ("stream_id", STR),
            ("anchor_id", STR),
            ("category", STR),
            ("started_at", TS),
            ("ended_at", TS),
        ]
    ),
    "products": pa.schema([("product_id", STR), ("category", STR), ("brand", STR), ("list_price", DEC)]),
    "order_items": pa.schema(
        [
            ("order_id", STR),
            ("line_no", INT),
            ("product_id", STR),
            ("quantity", INT),
            ("unit_price", DEC),
        ]
    ),
    "refunds": pa.schema([("refund_id", STR), ("order_id", STR), ("refunded_at", TS), ("amount", DEC)]),
    "campaign_touches": pa.schema(
        [
            ("touch_id", STR),
            ("campaign_id", STR),
            ("user_id", STR),
            ("channel", STR),
            ("sent_at", TS),
            ("opened_at", TS),
            ("is_control", pa.bool_()),
        ]
    ),
}
TABLES: tuple[str, ...] = tuple(SCHEMAS)
FORMATS = ("parquet", "csv", "folder")

# Presets: users and days; everything else is derived from them.
PRESETS: dict[str, dict[str, int]] = {
    "small": {"users": 20_000, "days": 90},
    "medium": {"users": 200_000, "days": 180},
    "large": {"users": 2_000_000, "days": 365},
}

# --------------------------------------------------------------------------------------------
# Domain vocabulary
# --------------------------------------------------------------------------------------------

LATENT_TYPES = (
    "core_fan",
    "potential",
    "new_visitor",
    "churning",
    "returning",
    "price_sensitive",
    "late_night",
    "impulse",
    "cart_abandoner",
    "casual",
)
CORE, POTENTIAL, NEW, CHURNING, RETURNING, PRICE, LATE, IMPULSE, CART, CASUAL = range(10)

# Latent type mix (casual takes the rest). At `large` most registered users are casual.
MIX_STANDARD = [0.04, 0.10, 0.08, 0.10, 0.03, 0.08, 0.05, 0.05, 0.07]
MIX_LARGE = [0.01, 0.03, 0.05, 0.05, 0.01, 0.03, 0.02, 0.02, 0.03]

CATEGORIES = ("beauty", "apparel", "digital", "home", "food")
CAT_W = np.array([0.30, 0.28, 0.10, 0.17, 0.15])
CAT_PRICE_MEDIAN = np.array([129.0, 159.0, 599.0, 89.0, 39.0])  # yuan
BRANDS = {
    "beauty": ["花颜记", "水光肌", "玉兰油坊", "青黛", "Lumi", "Aurelle"],
    "apparel": ["云织", "南山衣橱", "简白", "UrbanLeaf", "北岸", "棉麻集"],
    "digital": ["极客派", "声浪", "NovaTech", "光年", "小方块", "Ampere"],
    "home": ["家有", "木语", "清居", "HomeNest", "暖窝", "器物集"],
    "food": ["山野食堂", "三餐四季", "果园直送", "老味道", "Snacko", "鲜到家"],
}

EVENT_TYPES = (
    "enter_room",
    "leave_room",
    "like",
    "comment",
    "share",
    "follow",
    "gift",
    "product_impression",
    "product_click",
    "add_to_cart",
    "favorite",
    "coupon_claim",
)
EV_ENTER, EV_LEAVE, EV_LIKE, EV_COMMENT, EV_SHARE, EV_FOLLOW, EV_GIFT = range(7)
EV_IMPR, EV_CLICK, EV_CART, EV_FAV, EV_COUPON = range(7, 12)

COMMENTS = (
    "好看",
    "链接呢",
    "已下单",
    "上链接",
    "多少钱",
    "有优惠吗",
    "主播好美",
    "求讲解",
    "1号链接",
    "已拍",
    "好用吗",
    "什么时候发货",
    "能便宜点吗",
    "666",
    "来了来了",
    "想要",
    "尺码怎么选",
    "敏感肌能用吗",
    "还有货吗",
    "主播辛苦了",
    "买过 好用",
    "哈哈哈",
    "关注了",
    "质量怎么样",
    "包邮吗",
    "蹲福袋",
    "再来一单",
    "姐妹们冲",
    "等了好久",
    "❤❤❤",
)
COMMENT_W = 1.0 / np.arange(1, len(COMMENTS) + 1) ** 0.8
GIFT_CENTS = np.array([10, 100, 600, 1000, 5200, 9900, 19900, 52000, 131400])
GIFT_W = np.array([0.35, 0.30, 0.12, 0.10, 0.06, 0.04, 0.015, 0.01, 0.005])
COUPONS = (
    "cp-new10",
    "cp-full99-10",
    "cp-full199-30",
    "cp-full299-50",
    "cp-flash20",
    "cp-fans15",
    "cp-vip50",
    "cp-618-60",
    "cp-night8",
    "cp-live5",
)
COUPON_W = np.array([0.08, 0.2, 0.18, 0.1, 0.12, 0.1, 0.04, 0.08, 0.05, 0.05])
STATUSES = ("created", "paid", "cancelled", "refunded")
ST_CREATED, ST_PAID, ST_CANCELLED, ST_REFUNDED = range(4)
CHANNELS = ("push", "sms", "in_app", "community")
CHANNEL_HOUR = np.array([20, 10, 12, 21])
CHANNEL_OPEN = np.array([0.18, 0.08, 0.30, 0.40])
PROVINCES = (
    "广东",
    "浙江",
    "江苏",
    "山东",
    "河南",
    "四川",
    "湖北",
    "湖南",
    "河北",
    "福建",
    "上海",
    "北京",
    "安徽",
    "辽宁",
    "陕西",
    "江西",
    "广西",
    "重庆",
    "云南",
    "天津",
    "山西",
    "黑龙江",
    "吉林",
    "贵州",
    "内蒙古",
    "新疆",
    "甘肃",
    "海南",
    "宁夏",
    "青海",
    "西藏",
)
PROVINCE_W = np.linspace(3.0, 0.2, len(PROVINCES))
ACQ = ("organic", "ad", "referral", "live_share")
NICK_PREFIX = (
    "小",
    "阿",
    "爱吃",
    "柠檬",
    "momo",
    "大橙子",
    "糖糖",
    "晴天",
    "一只",
    "喵",
    "Lily",
    "追光",
    "不吃香菜",
    "夏天",
    "奶茶",
    "木子",
    "Echo",
    "佳佳",
    "早睡",
    "胖虎",
)
PHONE_PREFIX = np.array([138, 139, 137, 136, 135, 158, 159, 188, 187, 186, 177, 150, 151, 152, 189, 199, 166])

# Hour-of-day weights (Shanghai) for activity outside live rooms (browsing the shop, orders).
HOUR_W = np.array(
    [0.6, 0.3, 0.15, 0.1, 0.1, 0.15, 0.4, 0.9, 1.3, 1.4, 1.5, 1.7]
    + [2.2, 2.0, 1.6, 1.6, 1.7, 1.9, 2.4, 3.3, 4.0, 4.3, 3.8, 2.2]
)
HOUR_W = HOUR_W / HOUR_W.sum()
# Shopping festivals: (month, day) -> activity factor.
FESTIVALS = {(3, 8): 1.3, (6, 1): 1.3, (6, 17): 1.3, (6, 18): 1.8, (11, 10): 1.3, (11, 11): 1.8, (12, 12): 1.4}

# ---- behaviour parameters per latent type (index order = LATENT_TYPES) ----------------------
#                       core  pot   new   churn ret   price late  impul cart  casual
P_WATCH = np.array([0.40, 0.20, 0.12, 0.22, 0.22, 0.10, 0.20, 0.13, 0.10, 0.02])  # per active day
EXTRA_SESS = np.array([0.3, 0.3, 0.1, 0.2, 0.2, 0.2, 0.2, 0.5, 0.2, 0.05])  # extra sessions/watch day
SESS_MED_MIN = np.array([40, 25, 5, 15, 15, 12, 35, 3.5, 14, 6], dtype=float)
ACT_SHAPE = np.array([6.0, 4.0, 2.5, 2.5, 2.5, 3.0, 3.0, 3.0, 3.0, 2.0])  # gamma heterogeneity
# Stream slot preference: afternoon, evening, late night.
SLOT_P = np.array(
    [
        [0.15, 0.75, 0.10],
        [0.18, 0.74, 0.08],
        [0.25, 0.68, 0.07],
        [0.20, 0.72, 0.08],
        [0.20, 0.72, 0.08],
        [0.22, 0.70, 0.08],
        [0.04, 0.14, 0.82],
        [0.20, 0.72, 0.08],
        [0.20, 0.72, 0.08],
        [0.22, 0.70, 0.08],
    ]
)
SLOT_CUM = np.cumsum(SLOT_P, axis=1)
# In-room events per session of the type's median length, for event types like .. coupon_claim (EV 2..11).
LAM = np.array(
    [
        [1.2, 0.8, 0.15, 0.03, 0.10, 1.05, 0.5, 0.15, 0.10, 0.10],  # core_fan
        [0.8, 0.5, 0.15, 0.03, 0.03, 0.84, 0.5, 0.15, 0.20, 0.10],  # potential
        [0.15, 0.05, 0.01, 0.03, 0.0, 0.7, 0.2, 0.03, 0.03, 0.08],  # new_visitor
        [0.4, 0.2, 0.03, 0.01, 0.02, 0.84, 0.4, 0.10, 0.05, 0.08],  # churning
        [0.4, 0.2, 0.03, 0.01, 0.02, 0.84, 0.4, 0.10, 0.05, 0.08],  # returning
        [0.3, 0.2, 0.05, 0.01, 0.005, 1.05, 0.7, 0.25, 0.15, 0.80],  # price_sensitive
        [0.8, 0.5, 0.05, 0.02, 0.10, 0.84, 0.4, 0.10, 0.08, 0.08],  # late_night
        [0.15, 0.10, 0.02, 0.01, 0.02, 0.56, 0.5, 0.10, 0.03, 0.05],  # impulse
        [0.2, 0.15, 0.02, 0.01, 0.01, 1.05, 1.0, 0.80, 0.50, 0.10],  # cart_abandoner
        [0.15, 0.05, 0.01, 0.01, 0.005, 0.7, 0.2, 0.03, 0.02, 0.03],  # casual
    ]
)
P_ORDER_SESS = np.array([0.12, 0.012, 0.0, 0.05, 0.05, 0.12, 0.05, 0.20, 0.01, 0.03])
OFF_ORDER_DAY = np.array([0.012, 0.0, 0.0, 0.004, 0.004, 0.02, 0.003, 0.004, 0.0, 0.0015])
ORDER_CAP = np.array([10**9, 1, 0, 10**9, 10**9, 10**9, 10**9, 10**9, 1, 10**9])
COUPON_P = np.array([0.15, 0.2, 0.0, 0.12, 0.12, 0.85, 0.1, 0.08, 0.2, 0.1])
# Browsing bursts outside live rooms, per active day, and what a burst contains.
BROWSE_DAY = np.array([0.10, 0.08, 0.15, 0.05, 0.05, 0.15, 0.05, 0.04, 0.15, 0.015])
BROWSE_CLICK = np.array([0.5, 0.5, 0.3, 0.4, 0.4, 0.6, 0.4, 0.5, 0.7, 0.3])
BROWSE_FAV = np.array([0.15, 0.2, 0.05, 0.1, 0.1, 0.2, 0.1, 0.05, 0.5, 0.05])
BROWSE_CART = np.array([0.15, 0.15, 0.02, 0.1, 0.1, 0.2, 0.1, 0.1, 0.6, 0.05])
BROWSE_COUPON = np.array([0.1, 0.05, 0.1, 0.05, 0.05, 0.6, 0.05, 0.05, 0.1, 0.02])
STATUS_P = np.tile(np.array([0.035, 0.89, 0.04, 0.035]), (10, 1))
STATUS_P[PRICE] = [0.05, 0.85, 0.06, 0.04]
STATUS_P[IMPULSE] = [0.03, 0.85, 0.05, 0.07]
STATUS_CUM = np.cumsum(STATUS_P, axis=1)

# Campaign themes: type weights for targeting (new visitors are never targeted).
THEMES = {
    "potential_recall": [0.5, 5, 0, 0.5, 0.5, 1, 1, 2, 4, 1],
    "winback": [0, 0.5, 0, 5, 3, 1, 0.5, 0.5, 0.5, 1.5],
    "coupon_blast": [1, 1, 0, 1, 1, 5, 0.5, 1, 2, 1],
    "fan_day": [5, 1, 0, 0.2, 0.5, 0.5, 3, 2, 0.5, 0.3],
    "broad_push": [1, 1, 0, 1, 1, 1, 1, 1, 1, 1],
}

DAY = 86_400
ATTRIBUTION_SECONDS = 7 * DAY
UTC_OFFSET = 8 * 3600  # Asia/Shanghai, no DST
DUP_RATE = 0.007
MISSING_LEAVE = 0.04
UNREGISTERED = 0.02
# users.marketing_consent: granted below CONSENT_GRANTED, unknown (null) in the top CONSENT_UNKNOWN,
# refused in between (most platforms ask at registration; a few old accounts were never asked)
CONSENT_GRANTED = 0.82
CONSENT_UNKNOWN = 0.06

PARQUET_OPTS = {
    "compression": "zstd",
    "compression_level": 1,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_version": "1.0",
}

# --------------------------------------------------------------------------------------------
# Arrow helpers (fast, no per-row Python)
# --------------------------------------------------------------------------------------------


def _bitmap(valid: np.ndarray | None) -> tuple[pa.Buffer | None, int]:
    if valid is None:
        return None, 0
    valid = np.asarray(valid, dtype=bool)
    nulls = int(len(valid) - np.count_nonzero(valid))
    if nulls == 0:
        return None, 0
    return pa.py_buffer(np.packbits(valid, bitorder="little")), nulls


def _digits(prefix: str, nums: np.ndarray, width: int, valid: np.ndarray | None = None) -> pa.Array:
    """String array ``prefix + zero-padded nums`` built directly from buffers."""
    nums = np.asarray(nums, dtype=np.int64)
    n = len(nums)
    p = prefix.encode()
    lp = len(p)
    rec = lp + width
    buf = np.empty((n, rec), dtype=np.uint8)
    if lp:
        buf[:, :lp] = np.frombuffer(p, dtype=np.uint8)
    x = np.where(nums < 0, 0, nums)
    for j in range(width - 1, -1, -1):
        buf[:, lp + j] = x % 10 + 48
        x = x // 10
    offsets = np.arange(n + 1, dtype=np.int32) * rec
    bm, nulls = _bitmap(valid)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf), bm, nulls)


def _vocab(words, codes: np.ndarray) -> pa.Array:
    """Strings from a vocabulary by integer code; negative codes are null."""
    codes = np.asarray(codes, dtype=np.int32)
    neg = codes < 0
    idx = pa.array(np.where(neg, 0, codes), type=pa.int32(), mask=neg if neg.any() else None)
    return pa.array(list(words), type=STR).take(idx)


def _prim(typ: pa.DataType, values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    values = np.ascontiguousarray(values, dtype=np.int64)
    bm, nulls = _bitmap(valid)
    return pa.Array.from_buffers(typ, len(values), [bm, pa.py_buffer(values)], null_count=nulls)


def _ts(sec: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return _prim(TS, np.asarray(sec, dtype=np.int64) * 1_000_000, valid)


def _int(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return _prim(INT, values, valid)


def _dec(cents: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    cents = np.asarray(cents, dtype=np.int64)
    buf = np.empty((len(cents), 2), dtype=np.int64)
    buf[:, 0] = cents
    buf[:, 1] = cents >> 63
    bm, nulls = _bitmap(valid)
    return pa.Array.from_buffers(DEC, len(cents), [bm, pa.py_buffer(buf)], null_count=nulls)


def _table(name: str, arrays: list[pa.Array]) -> pa.Table:
    return pa.Table.from_arrays(arrays, schema=SCHEMAS[name])


def _rng(seed: int, *path: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), *map(int, path)])))


def _rank_in_group(keys_sorted: np.ndarray) -> np.ndarray:
    """0-based position of each row inside its run of equal (sorted) keys."""
    n = len(keys_sorted)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    idx = np.arange(n)
    first = np.empty(n, dtype=bool)
    first[0] = True
    first[1:] = keys_sorted[1:] != keys_sorted[:-1]
    start = np.maximum.accumulate(np.where(first, idx, 0))
    return idx - start


def _choice_cum(rng: np.random.Generator, cum: np.ndarray) -> np.ndarray:
    """Row-wise categorical draw from a matrix of cumulative probabilities (n, k)."""
    u = rng.random(len(cum))[:, None]
    return np.minimum((u >= cum[:, :-1]).sum(axis=1), cum.shape[1] - 1)


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def _csv_ready(table: pa.Table, bad_ts: dict[str, np.ndarray] | None) -> pa.Table:
    """Timestamps as ISO-8601 strings with the Shanghai offset (``+08:00``)."""
    cols, fields = [], []
    for f, col in zip(table.schema, table.columns, strict=True):
        if pa.types.is_timestamp(f.type):
            us = pc.cast(col, INT)
            local = pc.cast(pc.divide(pc.add(us, UTC_OFFSET * 1_000_000), 1_000_000), pa.timestamp("s"))
            col = pc.binary_join_element_wise(pc.strftime(local, format="%Y-%m-%dT%H:%M:%S"), "+08:00", "")
            if bad_ts and f.name in bad_ts and bad_ts[f.name].any():
                mask = bad_ts[f.name]
                bad = np.where(np.arange(len(mask)) % 2 == 0, "2025/03/05 20:00", "2025-02-30T20:00:00+08:00")
                col = pc.if_else(pa.array(mask), pa.array(bad), col)
            f = pa.field(f.name, STR)
        cols.append(col)
        fields.append(f)
    return pa.Table.from_arrays(cols, schema=pa.schema(fields))


class _Sink:
    """One table's output: ``<t>.parquet``, ``<t>.csv`` or a folder ``<t>/`` of Parquet files."""

    def __init__(self, out: Path, name: str, fmt: str, split_month_col: str | None = None) -> None:
        self.out, self.name, self.fmt = out, name, fmt
        self.schema = SCHEMAS[name]
        self.split_col = split_month_col if fmt == "folder" else None
        self.writers: dict[str, object] = {}
        self.files: list = []
        self.rows = 0
        if fmt == "folder":
            (out / name).mkdir(parents=True, exist_ok=True)

    def _writer(self, key: str):
        w = self.writers.get(key)
        if w is None:
            if self.fmt == "parquet":
                w = pq.ParquetWriter(str(self.out / f"{self.name}.parquet"), self.schema, **PARQUET_OPTS)
            elif self.fmt == "folder":
                w = pq.ParquetWriter(str(self.out / self.name / f"{key}.parquet"), self.schema, **PARQUET_OPTS)
            else:
                csv_schema = pa.schema(
                    [pa.field(f.name, STR) if pa.types.is_timestamp(f.type) else f for f in self.schema]
                )
                # header written by hand: Arrow would quote the column names
                fh = open(self.out / f"{self.name}.csv", "wb")  # closed in close()
                fh.write((",".join(self.schema.names) + "\n").encode())
                self.files.append(fh)
                w = pacsv.CSVWriter(
                    fh, csv_schema, write_options=pacsv.WriteOptions(include_header=False, quoting_style="none")
                )
            self.writers[key] = w
        return w

    def write(self, table: pa.Table, bad_ts: dict[str, np.ndarray] | None = None) -> None:
        if table.num_rows == 0:
            return
        self.rows += table.num_rows
        if self.fmt == "csv":
            self._writer("main").write_table(_csv_ready(table, bad_ts))
        elif self.split_col is None:
            self._writer("part-0").write_table(table)
        else:
            sec = pc.cast(table[self.split_col], INT).to_numpy() // 1_000_000 + UTC_OFFSET
            month = sec.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
            for m in np.unique(month):
                key = str(np.datetime64(int(m), "M"))
                self._writer(key).write_table(table.filter(pa.array(month == m)))

    def close(self) -> None:
        if not self.writers:  # still write an empty, typed file
            key = "main" if self.fmt == "csv" else "part-0"
            w = self._writer(key)
            if self.fmt == "csv":
                w.write_table(_csv_ready(self.schema.empty_table(), None))
        for key in sorted(self.writers):
            self.writers[key].close()
        for fh in self.files:
            fh.close()


# --------------------------------------------------------------------------------------------
# The world: calendar, anchors and streams, products, users, campaigns
# --------------------------------------------------------------------------------------------


@dataclass
class _World:
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


def _calendar(end_date: dt.date, days: int) -> tuple:
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


def _sizes(n_users: int) -> dict[str, int]:
    root = (n_users / 20_000) ** 0.5
    return {
        "anchors": int(np.clip(round(20 * root), 5, 200)),
        "products": int(np.clip(round(400 * root), 60, 4000)),
        "campaigns": 4 if n_users < 100_000 else (6 if n_users < 1_000_000 else 8),
        "campaign_size": int(np.clip(round(n_users * 0.1), 40, 80_000)),
    }


def _build_streams(w: _World, rng: np.random.Generator, n_anchors: int) -> None:
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


def _build_products(w: _World, rng: np.random.Generator, n_products: int) -> None:
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


def _build_users(w: _World, rng: np.random.Generator) -> None:
    n, days = w.n_users, w.days
    counts = np.floor(w.mix * n).astype(np.int64)
    counts = np.append(counts, n - counts.sum())
    ty = rng.permutation(np.repeat(np.arange(10), counts))
    w.types = ty
    # registration day relative to the window start (negative = before the window)
    before = -rng.integers(1, 731, n)
    late_cut = max(days - 45, 1)
    inside = rng.integers(0, late_cut, n)
    p_inside = np.where(ty == CASUAL, 0.3, 0.2)
    p_inside = np.where((ty == CHURNING) | (ty == RETURNING), 0.0, p_inside)
    reg_day = np.where(rng.random(n) < p_inside, inside, before)
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


def _build_campaigns(w: _World, rng: np.random.Generator, n_camp: int, size: int) -> None:
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
            wts = np.asarray(THEMES[theme], dtype=float)[w.types]
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
            open_p = CHANNEL_OPEN[channel] * np.where(w.types[users] == CORE, 1.8, 1.0)
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


# --------------------------------------------------------------------------------------------
# Orders (shared by the block simulation and the campaign pass)
# --------------------------------------------------------------------------------------------


@dataclass
class _Orders:
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


def _make_orders(
    w: _World,
    rng: np.random.Generator,
    user: np.ndarray,
    t: np.ndarray,
    stream: np.ndarray,
    cat: np.ndarray,
    status: np.ndarray,
    coupon_p: np.ndarray,
) -> _Orders:
    n = len(user)
    # items: 1-3 lines in the order's category
    r = rng.random(n)
    n_lines = 1 + (r > 0.65) + (r > 0.9)
    i_order = np.repeat(np.arange(n), n_lines)
    i_line = _rank_in_group(i_order) + 1
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
    return _Orders(
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


def _orders_tables(w: _World, o: _Orders, oid0: int) -> tuple[pa.Table, pa.Table]:
    n = len(o.user)
    oid = oid0 + np.arange(n)
    orders = _table(
        "orders",
        [
            _digits("o", oid, 9),
            _digits("u", o.user + 1, w.uid_width),
            _ts(o.t),
            _ts(np.maximum(o.paid, 0), o.paid >= 0),
            _vocab(STATUSES, o.status),
            _dec(o.amount),
            _dec(np.maximum(o.discount, 0), o.discount >= 0),
            _vocab(COUPONS, o.coupon),
            _digits("s", o.stream + 1, 6, o.stream >= 0),
            _vocab(("CNY",), np.where(o.currency_null, -1, 0)),
        ],
    )
    items = _table(
        "order_items",
        [
            _digits("o", oid[o.i_order], 9),
            _int(o.i_line),
            _digits("p", o.i_product + 1, 5),
            _int(o.i_qty),
            _dec(o.i_price),
        ],
    )
    return orders, items


def _refunds(w: _World, rng: np.random.Generator, o: _Orders, oid0: int, rid0: int) -> pa.Table:
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
    return _table(
        "refunds",
        [
            _digits("r", rid0 + np.arange(len(ridx)), 8),
            _digits("o", oid0 + ridx, 9),
            _ts(rt),
            _dec(ramt),
        ],
    )


# --------------------------------------------------------------------------------------------
# One block of users: sessions, events, orders, refunds, users rows
# --------------------------------------------------------------------------------------------


@dataclass
class _Block:
    events: pa.Table
    orders: pa.Table
    items: pa.Table
    refunds: pa.Table
    users: pa.Table
    n_events: int  # distinct events (ids used)
    n_orders: int
    n_refunds: int


def _active_days(rng, alo, ahi, rlo, rhi) -> np.ndarray:
    l1 = np.maximum(ahi - alo + 1, 0)
    l2 = np.maximum(rhi - rlo + 1, 0)
    k = (rng.random(len(alo)) * (l1 + l2)).astype(np.int64)
    return np.where(k < l1, alo + k, rlo + (k - l1))


def _simulate_block(w: _World, b: int, lo: int, hi: int, eid0: int, oid0: int, rid0: int) -> _Block:
    rng = _rng(w.seed, 1, b)
    n, days = hi - lo, w.days
    ty = w.types[lo:hi]
    act = w.act[lo:hi]
    alo, ahi = w.act_lo[lo:hi], w.act_hi[lo:hi]
    rlo, rhi = w.ret_lo[lo:hi], w.ret_hi[lo:hi]
    active_len = np.maximum(ahi - alo + 1, 0) + np.maximum(rhi - rlo + 1, 0)

    # ---- watch days and sessions --------------------------------------------------------
    d = np.arange(days)
    active = ((d >= alo[:, None]) & (d <= ahi[:, None])) | ((d >= rlo[:, None]) & (d <= rhi[:, None]))
    pw = np.minimum(P_WATCH[ty] * act, 0.9).astype(np.float32)
    hit = (rng.random((n, days), dtype=np.float32) < pw[:, None] * w.day_factor[None, :]) & active
    del active
    back = np.nonzero(ty == RETURNING)[0]
    hit[back, rlo[back]] = True  # a returning user does come back (on the first day of the return)
    wu, wd = np.nonzero(hit)
    del hit
    ns = 1 + rng.poisson(EXTRA_SESS[ty[wu]])
    su = np.repeat(wu, ns)
    sd = np.repeat(wd, ns)
    S = len(su)
    sty = ty[su]
    slot = _choice_cum(rng, SLOT_CUM[sty])
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

    ev_parts: list[tuple] = []  # (user_local, type, t, stream, product, value_cents, text)

    def add(u, et, t, s, p=None, v=None, tx=None):
        m = len(u)
        neg = np.full(m, -1, dtype=np.int64)
        ev_parts.append(
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

    add(su, EV_ENTER, enter, sidx)
    add(su[has_leave], EV_LEAVE, leave[has_leave], sidx[has_leave])

    # ---- in-room events ------------------------------------------------------------------
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
    prod[is_prod] = w.pick_products(rng, scat[rs[is_prod]])
    val = np.full(m, -1, dtype=np.int64)
    lk = rk == EV_LIKE
    val[lk] = (1 + rng.geometric(0.07, int(lk.sum()))) * 100
    gf = rk == EV_GIFT
    val[gf] = rng.choice(GIFT_CENTS, int(gf.sum()), p=GIFT_W / GIFT_W.sum())
    txt = np.full(m, -1, dtype=np.int64)
    cm = rk == EV_COMMENT
    txt[cm] = rng.choice(len(COMMENTS), int(cm.sum()), p=COMMENT_W / COMMENT_W.sum())
    add(su[rs], rk, rt, sidx[rs], prod, val, txt)

    # ---- browsing outside live rooms -------------------------------------------------------
    nb = rng.poisson(BROWSE_DAY[ty] * act * active_len)
    bu = np.repeat(np.arange(n), nb)
    bty = ty[bu]
    bday = _active_days(rng, alo[bu], ahi[bu], rlo[bu], rhi[bu])
    bt = w.times_in_days(rng, bday)
    bcat = np.where(rng.random(len(bu)) < 0.6, w.cat_pref[lo + bu], rng.choice(5, len(bu), p=CAT_W))
    bprod = w.pick_products(rng, bcat)
    nimp = 1 + rng.poisson(0.5, len(bu))
    iu = np.repeat(np.arange(len(bu)), nimp)
    nostream = np.full(len(iu), -1, dtype=np.int64)
    add(bu[iu], EV_IMPR, bt[iu] + rng.integers(0, 120, len(iu)), nostream, w.pick_products(rng, bcat[iu]))
    for et, probs, lag in ((EV_CLICK, BROWSE_CLICK, 130), (EV_FAV, BROWSE_FAV, 200), (EV_CART, BROWSE_CART, 260)):
        sel = rng.random(len(bu)) < probs[bty]
        k = int(sel.sum())
        add(bu[sel], et, bt[sel] + lag + rng.integers(0, 60, k), np.full(k, -1, dtype=np.int64), bprod[sel])
    sel = rng.random(len(bu)) < BROWSE_COUPON[bty]
    k = int(sel.sum())
    add(bu[sel], EV_COUPON, bt[sel] + rng.integers(0, 300, k), np.full(k, -1, dtype=np.int64))

    # ---- orders ----------------------------------------------------------------------------
    pbuy = np.minimum(P_ORDER_SESS[sty] * act[su] * w.day_factor[sd], 0.9)
    buy = np.nonzero(rng.random(S) < pbuy)[0]
    quick = sty[buy] == IMPULSE
    bt_o = np.where(
        quick,
        enter[buy] + np.minimum(15 + rng.integers(0, 165, len(buy)), sdur[buy]),
        enter[buy] + ((0.3 + 0.7 * rng.random(len(buy))) * sdur[buy]).astype(np.int64),
    )
    attributed = rng.random(len(buy)) >= 0.08
    no_ = rng.poisson(OFF_ORDER_DAY[ty] * act * active_len)
    ou_off = np.repeat(np.arange(n), no_)
    od_off = _active_days(rng, alo[ou_off], ahi[ou_off], rlo[ou_off], rhi[ou_off])
    ot_off = w.times_in_days(rng, od_off)
    o_user = np.concatenate([su[buy], ou_off])
    o_t = np.concatenate([bt_o, ot_off])
    o_sess = np.concatenate([buy, np.full(len(ou_off), -1)])
    o_stream = np.concatenate([np.where(attributed, sidx[buy], -1), np.full(len(ou_off), -1)])
    off_cat = np.where(rng.random(len(ou_off)) < 0.6, w.cat_pref[lo + ou_off], rng.choice(5, len(ou_off), p=CAT_W))
    o_cat = np.concatenate([scat[buy], off_cat])
    order = np.lexsort((o_t, o_user))
    o_user, o_t, o_sess, o_stream, o_cat = (x[order] for x in (o_user, o_t, o_sess, o_stream, o_cat))
    keep = _rank_in_group(o_user) < ORDER_CAP[ty[o_user]]
    o_user, o_t, o_sess, o_stream, o_cat = (x[keep] for x in (o_user, o_t, o_sess, o_stream, o_cat))
    # order ids follow time within the block
    order = np.argsort(o_t, kind="stable")
    o_user, o_t, o_sess, o_stream, o_cat = (x[order] for x in (o_user, o_t, o_sess, o_stream, o_cat))
    oty = ty[o_user]
    status = _choice_cum(rng, STATUS_CUM[oty])
    o = _make_orders(w, rng, o_user + lo, o_t, o_stream, o_cat, status, COUPON_P[oty])

    # funnel events right before in-room orders: click the product link, sometimes add to cart
    fs = np.nonzero(o_sess >= 0)[0]
    fsess = o_sess[fs]
    t_click = np.maximum(o_t[fs] - rng.integers(5, 60, len(fs)), enter[fsess])
    add(o_user[fs], EV_CLICK, t_click, sidx[fsess], o.first_product[fs])
    fc = rng.random(len(fs)) < 0.3
    add(o_user[fs][fc], EV_CART, np.maximum(o_t[fs][fc] - 3, t_click[fc]), sidx[fsess][fc], o.first_product[fs][fc])
    # price-sensitive buyers claim a coupon before a coupon order
    pcs = np.nonzero((o.coupon >= 0) & (oty == PRICE))[0]
    in_room = o_sess[pcs] >= 0
    ent = enter[np.where(in_room, o_sess[pcs], 0)] if S else np.zeros(len(pcs), dtype=np.int64)
    t_claim = np.where(
        in_room,
        ent + (rng.random(len(pcs)) * (o_t[pcs] - ent)).astype(np.int64),
        np.maximum(o_t[pcs] - rng.integers(60, 3 * 3600, len(pcs)), w.t0),
    )
    add(o_user[pcs], EV_COUPON, t_claim, np.where(in_room, sidx[np.where(in_room, o_sess[pcs], 0)] if S else -1, -1))

    # campaign conversions without the campaign (organic, status paid) for this block's touches
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

    orders_t, items_t = _orders_tables(w, o, oid0)
    refunds_t = _refunds(w, rng, o, oid0, rid0)

    # ---- assemble events ---------------------------------------------------------------------
    cols = [np.concatenate([p[i] for p in ev_parts]) for i in range(7)]
    ev_parts.clear()
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
    events_t = _table(
        "events",
        [
            _digits("e", eid_all, 10),
            _digits("u", e_user[take] + lo + 1, w.uid_width),
            _vocab(EVENT_TYPES, e_type[take]),
            _ts(e_t[take]),
            _digits("s", e_stream[take] + 1, 6, e_stream[take] >= 0),
            _digits("p", e_prod[take] + 1, 5, e_prod[take] >= 0),
            _dec(np.maximum(e_val[take], 0), e_val[take] >= 0),
            _vocab(COMMENTS, e_txt[take]),
        ],
    )

    users_t = _users_table(w, rng, lo, hi)
    return _Block(events_t, orders_t, items_t, refunds_t, users_t, ne, len(o.user), refunds_t.num_rows)


def _users_table(w: _World, rng: np.random.Generator, lo: int, hi: int) -> pa.Table:
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
    nick = pc.binary_join_element_wise(_vocab(NICK_PREFIX, nick_p), _digits("", nick_n, 4), "")
    nick = pc.if_else(pa.array(nulls[:, 5] < 0.05), pa.scalar(None, STR), nick)
    keep = w.in_users[lo:hi]
    # marketing consent draws from its own stream, so adding it changed no other generated value
    consent_draw = _rng(w.seed, 3, lo).random(n)
    consent = pa.array(consent_draw < CONSENT_GRANTED, mask=consent_draw >= 1.0 - CONSENT_UNKNOWN)
    t = _table(
        "users",
        [
            _digits("u", uid + 1, w.uid_width),
            _ts(w.reg_sec[lo:hi]),
            _vocab(("F", "M", "unknown"), gender),
            _int(birth, nulls[:, 0] >= 0.1),
            _vocab(PROVINCES, np.where(nulls[:, 1] < 0.05, -1, province)),
            _int(tier, nulls[:, 2] >= 0.05),
            _vocab(ACQ, np.where(nulls[:, 3] < 0.03, -1, acq)),
            _digits("", phone, 11, nulls[:, 4] >= 0.1),
            nick,
            consent,
        ],
    )
    return t.filter(pa.array(keep))


# --------------------------------------------------------------------------------------------
# Campaign pass: base-rate and uplift orders, touches table, truth
# --------------------------------------------------------------------------------------------


def _campaign_pass(w: _World, oid0: int) -> tuple[_Orders | None, pa.Table, list[dict]]:
    rng = _rng(w.seed, 2)
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
    o = _make_orders(w, rng, user, t, np.full(n, -1), cat, np.full(n, ST_PAID), np.full(n, 0.5))
    o.paid = paid  # keep the conversion timestamps exactly as decided above
    o.currency_null[:] = False

    touches = _table(
        "campaign_touches",
        [
            _digits("t", np.arange(1, len(w.t_user) + 1), 8),
            _vocab([c["campaign_id"] for c in w.campaigns], w.t_camp),
            _digits("u", w.t_user + 1, w.uid_width),
            _vocab(CHANNELS, np.array([CHANNELS.index(c["channel"]) for c in w.campaigns])[w.t_camp]),
            _ts(w.t_sent),
            _ts(np.maximum(w.t_opened, 0), w.t_opened >= 0),
            pa.array(w.t_control, type=pa.bool_()),
        ],
    )
    return o, touches, truth


def _streams_table(w: _World) -> pa.Table:
    n = len(w.s_start)
    return _table(
        "live_streams",
        [
            _digits("s", np.arange(1, n + 1), 6),
            _digits("a", w.s_anchor + 1, 3),
            _vocab(CATEGORIES, w.s_cat),
            _ts(w.s_start),
            _ts(w.s_end, ~w.s_live),
        ],
    )


def _products_table(w: _World) -> pa.Table:
    brands = [b for c in CATEGORIES for b in BRANDS[c]]
    return _table(
        "products",
        [
            _digits("p", np.arange(1, len(w.p_cat) + 1), 5),
            _vocab(CATEGORIES, w.p_cat),
            _vocab(brands, w.p_brand),
            _dec(w.p_price),
        ],
    )


# --------------------------------------------------------------------------------------------
# Dirty input (opt-in)
# --------------------------------------------------------------------------------------------

_DIRTY_TS = {
    "events": "event_at",
    "orders": "ordered_at",
    "refunds": "refunded_at",
    "users": "registered_at",
    "campaign_touches": "sent_at",
    "live_streams": "started_at",
}


def _set(table: pa.Table, col: str, mask: np.ndarray, value) -> pa.Table:
    if not mask.any():
        return table
    i = table.schema.get_field_index(col)
    typ = table.schema.field(i).type
    arr = table[col]
    if callable(value):
        repl = value(arr)
    else:
        repl = pa.scalar(value, typ)
    return table.set_column(i, table.schema.field(i), pc.if_else(pa.array(mask), repl, arr))


def _corrupt(name: str, table: pa.Table, rng: np.random.Generator, frac: float, fmt: str):
    """Corrupt about ``frac`` of the rows; returns (table, bad timestamp masks for CSV)."""
    n = table.num_rows
    hit = rng.random(n) < frac
    kind = rng.integers(0, 3, n)
    bad_ts: dict[str, np.ndarray] = {}
    csv = fmt == "csv"
    ts_col = _DIRTY_TS.get(name)
    if csv and ts_col:
        bad_ts[ts_col] = hit & (kind == 2)
        kind = np.where(kind == 2, 3, kind)
    else:
        kind = np.where(kind == 2, 0, kind)
    k0, k1 = hit & (kind == 0), hit & (kind == 1)
    if name in ("events", "orders", "campaign_touches", "users"):
        col = "user_id"
        table = _set(table, col, k0, None)
    elif name == "refunds":
        table = _set(table, "amount", k0, lambda a: pc.negate(a))
    elif name == "order_items":
        table = _set(table, "quantity", k0, 0)
    elif name == "products":
        table = _set(table, "list_price", k0, lambda a: pc.negate(a))
    elif name == "live_streams":
        table = _set(table, "stream_id", k0, None)
    if name == "events":
        table = _set(table, "event_type", k1, "page_view")
    elif name == "orders":
        table = _set(table, "amount", k1, lambda a: pc.negate(a))
    elif name == "order_items":
        table = _set(table, "unit_price", k1, lambda a: pc.negate(a))
    elif name == "campaign_touches":
        table = _set(table, "channel", k1, "email")
    elif name == "refunds":
        table = _set(table, "amount", k1, pa.scalar(0, DEC))
    return table, bad_ts


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def _clear_outputs(out: Path) -> None:
    for name in TABLES:
        for p in (out / f"{name}.parquet", out / f"{name}.csv"):
            if p.is_file():
                p.unlink()
        d = out / name
        if d.is_dir():
            shutil.rmtree(d)


def _block_size(days: int) -> int:
    """Users per block, about six million event rows per block (depends on days only)."""
    return int(np.clip(round(6_000_000 / (0.55 * days) / 1000) * 1000, 1000, 200_000))


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
    _clear_outputs(out)

    start, t0, t_end, day_start, factor = _calendar(end, n_days)
    w = _World(
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
    sizes = _sizes(n_users)
    _build_streams(w, _rng(seed, 0, 1), sizes["anchors"])
    _build_products(w, _rng(seed, 0, 2), sizes["products"])
    _build_users(w, _rng(seed, 0, 3))
    _build_campaigns(w, _rng(seed, 0, 4), sizes["campaigns"], sizes["campaign_size"])

    sinks = {name: _Sink(out, name, fmt, split_month_col="event_at" if name == "events" else None) for name in TABLES}
    dirty_chunk = {name: 0 for name in TABLES}

    def emit(name: str, table: pa.Table) -> None:
        bad = None
        if dirty > 0:
            dirty_chunk[name] += 1
            table, bad = _corrupt(name, table, _rng(seed, 99, TABLES.index(name), dirty_chunk[name]), dirty, fmt)
        sinks[name].write(table, bad)

    try:
        emit("live_streams", _streams_table(w))
        emit("products", _products_table(w))
        bs = _block_size(n_days)
        bounds = list(range(0, n_users, bs)) + [n_users]
        bar = Progress(len(bounds) - 1, f"generate {scale} ({n_users:,} users, {n_days} d)", progress)
        eid = oid = rid = 1
        for b in range(len(bounds) - 1):
            blk = _simulate_block(w, b, bounds[b], bounds[b + 1], eid, oid, rid)
            eid, oid, rid = eid + blk.n_events, oid + blk.n_orders, rid + blk.n_refunds
            emit("users", blk.users)
            emit("events", blk.events)
            emit("orders", blk.orders)
            emit("order_items", blk.items)
            emit("refunds", blk.refunds)
            del blk
            bar.update(1, f"{sinks['events'].rows:,} events")
        co, touches, truth = _campaign_pass(w, oid)
        if co is not None:
            orders_t, items_t = _orders_tables(w, co, oid)
            emit("orders", orders_t)
            emit("order_items", items_t)
        emit("campaign_touches", touches)
    finally:
        for s in sinks.values():
            s.close()

    user_types = pa.table(
        {
            "user_id": _digits("u", np.arange(1, n_users + 1), w.uid_width),
            "latent_type": _vocab(LATENT_TYPES, w.types),
            "in_users_table": pa.array(w.in_users),
        }
    )
    pq.write_table(user_types, truth_dir / "user_types.parquet", **PARQUET_OPTS)
    uplift_schema = pa.schema(
        [
            ("campaign_id", STR),
            ("theme", STR),
            ("channel", STR),
            ("sent_date", STR),
            ("n_treated", INT),
            ("n_control", INT),
            ("true_uplift", pa.float64()),
            ("base_rate", pa.float64()),
            ("uplift_order_prob", pa.float64()),
            ("attribution_days", INT),
        ]
    )
    pq.write_table(
        pa.Table.from_pylist(truth, schema=uplift_schema), truth_dir / "campaign_uplift.parquet", **PARQUET_OPTS
    )
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
