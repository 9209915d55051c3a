"""The operators' report: one static HTML page drawn from the published warehouse.

`python -m livetier report --out DIR [--db PATH]` reads the published file (DUCKDB_PATH, opened
read-only: a build running meanwhile is neither blocked nor seen half-way) and writes
`DIR/index.html`: the value pyramid, lifecycle stages, the week's value-tier moves, the RFM heatmap,
the Pareto curve of net GMV, the last streams' review, each anchor's fan pyramid, campaign uplift
with its intervals and the alert counts, labelled in Chinese and English.

The page works offline: charts are inline SVG drawn here, styles are inline, no file is fetched.
Every figure carries its numbers as a table (`<table data-figure=...>`, each cell with the mart's
exact value in `data-value`), so a reader or a test can trace any bar to the marts. A mart with no
rows (an orders-only export has no streams) gives a figure that says "暂无数据 · no data". No user
id or other personal data is written: only counts and sums.

The folder is written under a temporary name beside DIR and renamed into place, so a reader never
sees a half-written report; DIR is replaced only if it is empty or holds a previous report.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import os
import shutil
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from livetier.publish import PUBLIC_SCHEMAS

GENERATOR = "livetier report"
INDEX = "index.html"
LAST_STREAMS = 12  # streams shown in the review, latest first
ANCHORS_DRAWN = 24  # anchors drawn as small pyramids (the table lists every anchor)
PARETO_MARKS = (1, 5, 10, 20, 50, 80, 100)  # top x% of users listed under the Pareto curve

NO_DATA = "暂无数据 · no data"
TIER_COLOURS = {
    "core_fan": "#b2182b", "potential": "#ef8a62", "regular": "#4393c3", "new_visitor": "#5aae61",
    "casual": "#bababa",
    "new": "#1b9e77", "reactivated": "#66a61e", "active": "#2166ac", "silent": "#f4a582", "churned": "#969696",
    "anchor_core_fan": "#b2182b", "anchor_regular": "#4393c3", "anchor_viewer": "#bababa",
}
ENTRY = "(none)"  # from-tier of users entering the population in tier_transition_matrix
NOT_KNOWN = "not_known"  # campaign_tier_readout: users not yet known on the eve of the touch


class ReportError(Exception):
    """The report cannot be written; the message is one sentence for the user."""


# ---------------------------------------------------------------------------------------------
# What a figure is: a chart and the numbers behind it
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    field: str
    zh: str
    en: str
    kind: str = "text"  # text, int, share (0..1 as %), rate (0..1 as %, 2 places), money, pp, minutes, date, time, bool


@dataclass
class Figure:
    key: str
    zh: str
    en: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)  # each row: "row_key" plus one value per column field
    chart: str = ""  # inline SVG; empty when there is nothing to draw
    note: str = ""
    empty_reason: str = ""
    wide: bool = False  # spans both columns of the page


@dataclass(frozen=True)
class Labels:
    """Tier names (中文, English) and levels from seeds.tier_labels."""

    names: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    levels: dict[tuple[str, str], int] = field(default_factory=dict)

    def rank(self, family: str, code: str) -> tuple[int, str]:
        """Sort key: highest tier_level first, unknown codes last."""
        return (-self.levels.get((family, code), -1), code)


def _label(labels: Labels, family: str, code: str) -> tuple[str, str]:
    """(中文, English) of a tier from seeds.tier_labels; the code itself when the seed lacks it."""
    if code == ENTRY:
        return "新进入", "entered"
    if code == NOT_KNOWN:
        return "当时未知", "not yet known"
    return labels.names.get((family, code), (code, code))


# ---------------------------------------------------------------------------------------------
# Reading the marts
# ---------------------------------------------------------------------------------------------

class Marts:
    """Read-only queries on the published file; a relation that is absent reads as no rows."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        rows = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_catalog = current_database()"
        ).fetchall()
        self.present = {r[0] for r in rows}

    def has(self, *relations: str) -> bool:
        return all(r in self.present for r in relations)

    def missing(self, *relations: str) -> str:
        absent = [r for r in relations if r not in self.present]
        return f"{', '.join(absent)} is not in this warehouse" if absent else ""

    def rows(self, sql: str, params: list | None = None) -> list[dict]:
        cursor = self.con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def tier_labels(self) -> Labels:
        if not self.has("seeds.tier_labels"):
            return Labels()
        rows = self.rows("select family, tier_code, label_zh, label_en, tier_level from seeds.tier_labels")
        return Labels({(r["family"], r["tier_code"]): (r["label_zh"], r["label_en"]) for r in rows},
                      {(r["family"], r["tier_code"]): r["tier_level"] for r in rows})

    def as_of_date(self) -> dt.date | None:
        if not self.has("segmentation.user_tiers"):
            return None
        return self.con.execute("select max(as_of_date) from segmentation.user_tiers").fetchone()[0]


# ---------------------------------------------------------------------------------------------
# SVG drawing (a few primitives; coordinates in the viewBox, the page scales the whole chart)
# ---------------------------------------------------------------------------------------------

def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _svg(width: float, height: float, body: Iterable[str], title: str) -> str:
    # drawn at most at its own size (1 unit = 1 pixel), smaller when the column is narrower
    return (f'<svg class="chart" viewBox="0 0 {width:g} {height:g}" style="max-width: {width:g}px" role="img">'
            f'<title>{_esc(title)}</title>{"".join(body)}</svg>')


def _text(x: float, y: float, text: object, size: float = 12, anchor: str = "start", fill: str = "#222",
          weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" text-anchor="{anchor}" fill="{fill}" '
            f'font-weight="{weight}">{_esc(text)}</text>')


def _rect(x: float, y: float, w: float, h: float, fill: str, extra: str = "") -> str:
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" fill="{fill}"{extra}/>'


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str = "#888", width: float = 1, dash: str = "") -> str:
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" '
            f'stroke-width="{width:g}"{dashed}/>')


def _no_data(reason: str, width: float = 560, height: float = 120) -> str:
    body = [_rect(0, 0, width, height, "#f4f4f4"),
            _text(width / 2, height / 2 - 4, NO_DATA, 18, "middle", "#777", "bold"),
            _text(width / 2, height / 2 + 20, reason, 12, "middle", "#777")]
    return _svg(width, height, body, NO_DATA).replace('class="chart"', 'class="chart no-data"', 1)


def _heat(value: float, top: float, rgb: tuple[int, int, int] = (33, 102, 172)) -> str:
    """White to `rgb` as value goes from 0 to top."""
    share = 0.0 if top <= 0 else max(0.0, min(1.0, value / top))
    r, g, b = (round(255 - (255 - c) * share) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def _ink(background: str) -> str:
    """Black or white text, whichever reads on the background."""
    r, g, b = (int(background[i:i + 2], 16) for i in (1, 3, 5))
    return "#fff" if 0.299 * r + 0.587 * g + 0.114 * b < 140 else "#222"


# ---------------------------------------------------------------------------------------------
# Number formats (what a person reads; the exact value is in data-value)
# ---------------------------------------------------------------------------------------------

def _fmt(value: object, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "share":
        return f"{float(value) * 100:.1f}%"
    if kind == "rate":
        return f"{float(value) * 100:.2f}%"
    if kind == "money":
        return f"¥{float(value):,.2f}"
    if kind == "pp":
        return f"{float(value) * 100:+.2f} pp"
    if kind == "minutes":
        return f"{float(value) / 60:.1f} min"
    if kind == "bool":
        return "是 yes" if value else "否 no"
    if kind == "time":
        return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, dt.datetime) else str(value)
    if kind == "date":
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return str(value)


def _exact(value: object) -> str:
    """The value as the mart holds it: integers and decimals exactly, floats by repr, dates in ISO."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def _money_short(value: float) -> str:
    return f"¥{value / 10_000:,.1f}万" if abs(value) >= 100_000 else f"¥{value:,.0f}"


# ---------------------------------------------------------------------------------------------
# The figures
# ---------------------------------------------------------------------------------------------

USERS = Column("user_count", "用户数", "users", "int")
USER_SHARE = Column("share_of_users", "用户占比", "share of users", "share")
GMV = Column("net_gmv_365d", "近365天净成交", "net GMV 365d", "money")
GMV_SHARE = Column("gmv_share", "成交占比", "GMV share", "share")


def _tier_code_columns() -> list[Column]:
    return [Column("tier_code", "分层代码", "tier code"), Column("label_zh", "分层", "tier (中文)"),
            Column("label_en", "名称", "tier (English)")]


def _tier_kpis_at_d(marts: Marts, family: str, order: str) -> list[dict]:
    return marts.rows(
        f"""
        select tier_code, user_count, share_of_users, net_gmv_365d, gmv_share
        from segmentation.tier_kpis
        where tier_family = ? and period_end = (select max(period_end) from segmentation.tier_kpis)
        order by {order}, tier_code
        """,
        [family],
    )


def value_pyramid(marts: Marts, labels: Labels) -> Figure:
    figure = Figure("value_pyramid", "价值金字塔", "Value pyramid",
                    [*_tier_code_columns(), USERS, USER_SHARE, GMV, GMV_SHARE],
                    note="每层用户数与近365天净成交占比（截至 D）。Users per value tier and their share of the "
                         "last 365 days' net GMV, as of D.")
    if not marts.has("segmentation.tier_kpis"):
        figure.empty_reason = marts.missing("segmentation.tier_kpis")
        return figure
    rows = _tier_kpis_at_d(marts, "value_tier", "tier_level desc")
    for row in rows:
        row["row_key"] = row["tier_code"]
        row["label_zh"], row["label_en"] = _label(labels, "value_tier", row["tier_code"])
    figure.rows = rows
    if not rows or sum(r["user_count"] for r in rows) == 0:
        figure.empty_reason = "segmentation.tier_kpis has no value tier users"
        return figure
    layer, apex_x, apex_y, half_base = 52, 100, 16, 96
    height = apex_y + layer * len(rows)
    body = []
    for i, row in enumerate(rows):
        y0, y1 = apex_y + i * layer, apex_y + (i + 1) * layer
        w0, w1 = half_base * (y0 - apex_y) / (height - apex_y), half_base * (y1 - apex_y) / (height - apex_y)
        colour = TIER_COLOURS.get(row["tier_code"], "#888")
        points = f"{apex_x - w0:.1f},{y0} {apex_x + w0:.1f},{y0} {apex_x + w1:.1f},{y1} {apex_x - w1:.1f},{y1}"
        body.append(f'<polygon points="{points}" fill="{colour}" stroke="#fff" stroke-width="2" '
                    f'data-row="{_esc(row["tier_code"])}"/>')
        centre = (y0 + y1) / 2
        body.append(_text(212, centre - 9, f'{row["label_zh"]} {row["label_en"]}', 14, weight="bold"))
        users, gmv = float(row["share_of_users"] or 0), float(row["gmv_share"] or 0)
        body.append(_rect(212, centre - 1, 120 * users, 10, "#9e9e9e"))
        body.append(_rect(212, centre + 12, 120 * gmv, 10, colour))
        body.append(_text(338, centre + 8, f'{row["user_count"]:,} 人 · {_fmt(row["share_of_users"], "share")}', 12))
        body.append(_text(338, centre + 21, f'GMV {_fmt(row["gmv_share"], "share")} · '
                          f'{_money_short(float(row["net_gmv_365d"] or 0))}', 12, fill="#444"))
    body.append(_rect(212, height + 8, 12, 10, "#9e9e9e"))
    body.append(_text(228, height + 17, "用户占比 users", 12))
    body.append(_rect(330, height + 8, 12, 10, TIER_COLOURS["core_fan"]))
    body.append(_text(346, height + 17, "成交占比 GMV share (365d)", 12))
    figure.chart = _svg(560, height + 26, body, "价值金字塔 Value pyramid")
    return figure


def lifecycle_stages(marts: Marts, labels: Labels) -> Figure:
    figure = Figure("lifecycle_stages", "生命周期阶段", "Lifecycle stages",
                    [*_tier_code_columns(), USERS, USER_SHARE, GMV, GMV_SHARE],
                    note="新用户 → 活跃 → 沉默 → 流失，以及回流（截至 D）。Users per lifecycle stage as of D.")
    if not marts.has("segmentation.tier_kpis"):
        figure.empty_reason = marts.missing("segmentation.tier_kpis")
        return figure
    rows = _tier_kpis_at_d(marts, "lifecycle_stage", "sort_order")
    for row in rows:
        row["row_key"] = row["tier_code"]
        row["label_zh"], row["label_en"] = _label(labels, "lifecycle_stage", row["tier_code"])
    figure.rows = rows
    top = max((float(r["share_of_users"] or 0) for r in rows), default=0)
    if top == 0:
        figure.empty_reason = "segmentation.tier_kpis has no lifecycle stage users"
        return figure
    step, body = 48, []
    for i, row in enumerate(rows):
        y = 14 + i * step
        share = float(row["share_of_users"] or 0)
        body.append(_text(0, y + 14, row["label_zh"], 13, weight="bold"))
        body.append(_text(0, y + 30, row["label_en"], 11, fill="#555"))
        body.append(_rect(120, y + 4, 300 * share / top, 26, TIER_COLOURS.get(row["tier_code"], "#888"),
                          f' data-row="{_esc(row["tier_code"])}"'))
        body.append(_text(120 + 300 * share / top + 6, y + 16, f'{row["user_count"]:,}', 12, weight="bold"))
        body.append(_text(120 + 300 * share / top + 6, y + 30, _fmt(row["share_of_users"], "share"), 11,
                          fill="#555"))
    figure.chart = _svg(560, 20 + step * len(rows), body, "生命周期阶段 Lifecycle stages")
    return figure


def transition_heatmap(marts: Marts, labels: Labels) -> Figure:
    columns = [Column("from_tier", "上期分层", "from tier"), Column("to_tier", "本期分层", "to tier"),
               Column("user_count", "用户数", "users", "int"),
               Column("from_tier_user_count", "上期该层用户", "users of the from tier", "int"),
               Column("transition_rate", "流转率", "transition rate", "share")]
    figure = Figure("value_tier_transitions", "本周价值分层流转", "This week's value-tier moves", columns)
    needed = ("segmentation.tier_transition_matrix", "segmentation.user_tier_history")
    if not marts.has(*needed):
        figure.empty_reason = marts.missing(*needed)
        return figure
    rows = marts.rows(
        """
        with week as (
            select max(period_end) as period_end
            from segmentation.user_tier_history
            where is_period_end
        )
        select matrix.from_period_end, matrix.period_end, matrix.from_tier, matrix.to_tier, matrix.user_count,
            matrix.from_tier_user_count, matrix.transition_rate
        from segmentation.tier_transition_matrix as matrix
        inner join week on matrix.period_end = week.period_end
        where matrix.tier_family = 'value_tier'
        order by matrix.from_tier, matrix.to_tier
        """
    )
    for row in rows:
        row["row_key"] = f'{row["from_tier"]}>{row["to_tier"]}'
    figure.rows = rows
    if not rows:
        figure.empty_reason = "no period end in segmentation.tier_transition_matrix"
        return figure
    start, end = rows[0]["from_period_end"], rows[0]["period_end"]
    figure.note = (f"行：{_fmt(start, 'date')} 所在分层；列：{_fmt(end, 'date')} 所在分层；"
                   "格内为流转率与人数，对角线为留存。"
                   f" Rows: tier on {_fmt(start, 'date')}; columns: tier on {_fmt(end, 'date')}; each row sums to "
                   "100%, the diagonal is retention.")
    tiers = sorted(({r["to_tier"] for r in rows} | {r["from_tier"] for r in rows}) - {ENTRY},
                   key=lambda c: labels.rank("value_tier", c))
    from_tiers = [t for t in tiers if any(r["from_tier"] == t for r in rows)]
    from_tiers += [ENTRY] if any(r["from_tier"] == ENTRY for r in rows) else []
    cell = {(r["from_tier"], r["to_tier"]): r for r in rows}
    left, top, width, height = 118, 46, 86, 40
    body = []
    for j, tier in enumerate(tiers):
        zh, en = _label(labels, "value_tier", tier)
        body.append(_text(left + j * width + width / 2, 18, zh, 12, "middle", weight="bold"))
        body.append(_text(left + j * width + width / 2, 34, en, 10, "middle", "#555"))
    for i, source in enumerate(from_tiers):
        zh, en = _label(labels, "value_tier", source)
        y = top + i * height
        body.append(_text(left - 8, y + 18, zh, 12, "end", weight="bold"))
        body.append(_text(left - 8, y + 32, en, 10, "end", "#555"))
        for j, target in enumerate(tiers):
            row = cell.get((source, target))
            rate = float(row["transition_rate"]) if row else 0.0
            fill = _heat(rate, 1.0)
            body.append(_rect(left + j * width, y, width - 2, height - 2, fill,
                              f' data-row="{_esc(source)}>{_esc(target)}"'))
            if row:
                ink = _ink(fill)
                body.append(_text(left + j * width + width / 2 - 1, y + 17, _fmt(rate, "share"), 12, "middle", ink,
                                  "bold" if source == target else "normal"))
                body.append(_text(left + j * width + width / 2 - 1, y + 31, f'{row["user_count"]:,}', 10, "middle",
                                  ink))
    figure.chart = _svg(left + width * len(tiers) + 4, top + height * len(from_tiers) + 4, body,
                        "价值分层流转 Value-tier transitions")
    return figure


def rfm_heatmap(marts: Marts, _labels: Labels) -> Figure:
    columns = [Column("r_score", "R 分", "R score", "int"), Column("f_score", "F 分", "F score", "int"),
               Column("buyers", "购买用户", "buyers", "int"), Column("net_gmv", "净成交 (M 合计)", "net GMV (sum of M)",
                                                                     "money")]
    figure = Figure("rfm_heatmap", "RFM 热力图", "RFM heatmap", columns,
                    note="近365天购买用户按 R（最近购买）与 F（购买频次）得分分布，5 为最好。Buyers of the RFM "
                         "window per recency and frequency score (5 best); colour = buyers.")
    if not marts.has("segmentation.user_rfm"):
        figure.empty_reason = marts.missing("segmentation.user_rfm")
        return figure
    found = marts.rows("select r_score, f_score, count(*) as buyers, sum(m_value) as net_gmv "
                       "from segmentation.user_rfm group by r_score, f_score")
    if not found:
        figure.empty_reason = "segmentation.user_rfm has no buyers"
        return figure
    buckets = 5
    if marts.has("seeds.seg_thresholds"):
        seed = marts.con.execute("select max(threshold_value) from seeds.seg_thresholds "
                                 "where threshold_name = 'rfm_score_buckets'").fetchone()[0]
        buckets = int(seed) if seed else buckets
    buckets = max([buckets] + [r["r_score"] for r in found] + [r["f_score"] for r in found])
    cells = {(r["r_score"], r["f_score"]): r for r in found}
    rows = []
    for r in range(buckets, 0, -1):
        for f in range(1, buckets + 1):
            hit = cells.get((r, f), {})
            rows.append({"row_key": f"{r}{f}", "r_score": r, "f_score": f, "buyers": hit.get("buyers", 0),
                         "net_gmv": hit.get("net_gmv", Decimal("0.00"))})
    figure.rows = rows
    most = max(r["buyers"] for r in rows)
    left, top, size_w, size_h = 62, 8, 88, 44
    body = []
    for row in rows:
        x = left + (row["f_score"] - 1) * size_w
        y = top + (buckets - row["r_score"]) * size_h
        fill = _heat(row["buyers"], most, (178, 24, 43))
        body.append(_rect(x, y, size_w - 2, size_h - 2, fill, f' data-row="{row["row_key"]}"'))
        body.append(_text(x + size_w / 2 - 1, y + 20, f'{row["buyers"]:,}', 13, "middle", _ink(fill), "bold"))
        body.append(_text(x + size_w / 2 - 1, y + 35, _money_short(float(row["net_gmv"])), 10, "middle", _ink(fill)))
    for k in range(1, buckets + 1):
        body.append(_text(left - 8, top + (buckets - k) * size_h + 26, f"R{k}", 12, "end", weight="bold"))
        body.append(_text(left + (k - 1) * size_w + size_w / 2, top + buckets * size_h + 16, f"F{k}", 12, "middle",
                          weight="bold"))
    bottom = top + buckets * size_h + 38
    body.append(_text(left + buckets * size_w / 2, bottom, "F 购买频次 frequency score →", 11, "middle", "#555"))
    body.append(f'<text x="14" y="{top + buckets * size_h / 2:.1f}" font-size="11" fill="#555" text-anchor="middle" '
                f'transform="rotate(-90 14 {top + buckets * size_h / 2:.1f})">R 最近购买 recency score →</text>')
    figure.chart = _svg(left + buckets * size_w + 8, bottom + 6, body, "RFM 热力图 RFM heatmap")
    return figure


def pareto_curve(marts: Marts, _labels: Labels) -> Figure:
    columns = [Column("top_user_pct", "前 x% 用户", "top x% of users", "int"),
               Column("users", "用户数", "users", "int"),
               Column("net_gmv", "其近365天净成交", "their net GMV 365d", "money"),
               Column("gmv_share", "成交占比", "share of net GMV", "share")]
    figure = Figure("pareto_curve", "净成交帕累托曲线", "Pareto curve of net GMV", columns,
                    note="用户按近365天净成交从高到低排序（同额按 user_id）：前 x% 用户贡献的净成交占比。"
                         "Users sorted by net GMV over 365 days (ties by user id): the share of net GMV held by "
                         "the top x% of users (x% of n users = ceil(n·x/100)).")
    if not marts.has("segmentation.user_facts"):
        figure.empty_reason = marts.missing("segmentation.user_facts")
        return figure
    points = marts.rows(
        """
        with ranked as (
            select
                row_number() over (order by net_gmv_365d desc, user_id) as gmv_rank,
                sum(net_gmv_365d) over (
                    order by net_gmv_365d desc, user_id rows between unbounded preceding and current row
                ) as cumulative_gmv
            from segmentation.user_facts
        ),
        totals as (
            select count(*) as user_count, sum(net_gmv_365d) as net_gmv from segmentation.user_facts
        ),
        steps as (
            select unnest(range(0, 101)) as pct
        ),
        cuts as (
            select steps.pct, cast(ceil(totals.user_count * steps.pct / 100.0) as bigint) as users, totals.net_gmv
            from steps
            cross join totals
        )
        select cuts.pct, cuts.users, coalesce(ranked.cumulative_gmv, 0) as cumulative_gmv, cuts.net_gmv as total_gmv
        from cuts
        left join ranked on ranked.gmv_rank = cuts.users
        order by cuts.pct
        """
    )
    total = points[-1]["total_gmv"] if points else None
    if not points or not total or points[-1]["users"] == 0:
        figure.empty_reason = "segmentation.user_facts has no net GMV in the last 365 days"
        return figure
    by_pct = {p["pct"]: p for p in points}
    figure.rows = [{"row_key": str(pct), "top_user_pct": pct, "users": by_pct[pct]["users"],
                    "net_gmv": by_pct[pct]["cumulative_gmv"],
                    "gmv_share": (Decimal(by_pct[pct]["cumulative_gmv"]) / Decimal(total)).quantize(Decimal("1e-6"))}
                   for pct in PARETO_MARKS]
    left, top, width, height = 56, 12, 470, 250
    body = [_rect(left, top, width, height, "#fafafa")]
    for tick in (0, 25, 50, 75, 100):
        level = top + height * (1 - tick / 100)
        body.append(_line(left, level, left + width, level, "#e2e2e2"))
        body.append(_text(left - 6, level + 4, f"{tick}%", 10, "end", "#555"))
        body.append(_text(left + width * tick / 100, top + height + 16, f"{tick}%", 10, "middle", "#555"))
    body.append(_line(left, top + height, left + width, top, "#999", 1, "4 4"))
    coords = [(left + width * p["pct"] / 100, top + height * (1 - float(p["cumulative_gmv"]) / float(total)))
              for p in points]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    body.append(f'<polyline points="{path}" fill="none" stroke="#b2182b" stroke-width="3"/>')
    for row in figure.rows:
        if row["top_user_pct"] in (10, 20, 50):
            x = left + width * row["top_user_pct"] / 100
            y = top + height * (1 - float(row["gmv_share"]))
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="#b2182b"/>')
            body.append(_text(x + 8, y + 14, f'前{row["top_user_pct"]}% → {_fmt(row["gmv_share"], "share")}', 11,
                              weight="bold"))
    body.append(_text(left + width / 2, top + height + 34, "用户（按净成交从高到低） users, highest net GMV first →",
                      11, "middle", "#555"))
    body.append(f'<text x="14" y="{top + height / 2:.1f}" font-size="11" fill="#555" text-anchor="middle" '
                f'transform="rotate(-90 14 {top + height / 2:.1f})">累计净成交占比 cumulative net GMV</text>')
    figure.chart = _svg(left + width + 24, top + height + 42, body, "帕累托曲线 Pareto curve")
    return figure


def alert_counts(marts: Marts, _labels: Labels) -> Figure:
    columns = [Column("alert_code", "预警代码", "alert code"), Column("label_zh", "预警", "alert (中文)"),
               Column("label_en", "名称", "alert (English)"), Column("alerts", "触发", "firing", "int"),
               Column("to_send", "可发送", "to send", "int"),
               Column("suppressed", "超出触达上限", "held back by the touch cap", "int")]
    figure = Figure("alert_counts", "预警数量", "Alert counts", columns,
                    note="截至 D 触发的预警；超出每周触达上限的不发送。Alerts firing as of D; those over the "
                         "user's weekly touch cap are held back.")
    if not marts.has("operations.user_alerts"):
        figure.empty_reason = marts.missing("operations.user_alerts")
        return figure
    playbook = marts.has("seeds.alert_playbook")
    source = ("seeds.alert_playbook as playbook left join operations.user_alerts as alerts "
              "on playbook.alert_code = alerts.alert_code" if playbook else
              "(select distinct alert_code, alert_label_zh as label_zh, alert_label_en as label_en, priority "
              "from operations.user_alerts) as playbook inner join operations.user_alerts as alerts "
              "on playbook.alert_code = alerts.alert_code")
    rows = marts.rows(
        f"""
        select playbook.alert_code, playbook.label_zh, playbook.label_en,
            count(alerts.alert_code) as alerts,
            count(alerts.alert_code) filter (where not alerts.is_suppressed) as to_send,
            count(alerts.alert_code) filter (where alerts.is_suppressed) as suppressed
        from {source}
        group by playbook.alert_code, playbook.label_zh, playbook.label_en, playbook.priority
        order by playbook.priority, playbook.alert_code
        """
    )
    for row in rows:
        row["row_key"] = row["alert_code"]
    figure.rows = rows
    most = max((r["alerts"] for r in rows), default=0)
    if most == 0:
        figure.empty_reason = "operations.user_alerts has no alert firing"
        return figure
    step, body = 48, []
    for i, row in enumerate(rows):
        y = 6 + i * step
        body.append(_text(0, y + 14, row["label_zh"], 13, weight="bold"))
        body.append(_text(0, y + 30, row["label_en"], 10, fill="#555"))
        send_w, held_w = 260 * row["to_send"] / most, 260 * row["suppressed"] / most
        body.append(_rect(170, y + 4, send_w, 26, "#d6604d", f' data-row="{_esc(row["alert_code"])}"'))
        body.append(_rect(170 + send_w, y + 4, held_w, 26, "#cccccc"))
        body.append(_text(170 + send_w + held_w + 6, y + 16, f'{row["alerts"]:,}', 12, weight="bold"))
        body.append(_text(170 + send_w + held_w + 6, y + 30, f'其中 {row["suppressed"]:,} 超上限 held', 10,
                          fill="#555"))
    y = 10 + step * len(rows)
    body += [_rect(170, y, 12, 8, "#d6604d"), _text(186, y + 8, "可发送 to send", 11),
             _rect(290, y, 12, 8, "#cccccc"), _text(306, y + 8, "超出触达上限 held back", 11)]
    figure.chart = _svg(560, y + 16, body, "预警数量 Alert counts")
    return figure


def stream_review(marts: Marts, _labels: Labels) -> Figure:
    columns = [Column("stream_id", "直播场次", "stream"), Column("anchor_id", "主播", "anchor"),
               Column("category", "品类", "category"), Column("started_at", "开播 (UTC)", "started (UTC)", "time"),
               Column("ended_at", "下播 (UTC)", "ended (UTC)", "time"),
               Column("viewers", "观看人数", "viewers", "int"),
               Column("peak_concurrent_viewers", "在线峰值", "peak concurrent", "int"),
               Column("avg_watch_seconds_per_viewer", "平均观看时长", "avg watch per viewer", "minutes"),
               Column("interaction_rate", "互动率", "interaction rate", "rate"),
               Column("conversion_rate", "转化率", "conversion", "rate"),
               Column("net_gmv", "净成交", "net GMV", "money"), Column("gpm", "GPM 千次观看成交", "GPM", "money"),
               Column("new_viewers", "新用户", "new viewers", "int"),
               Column("returning_viewers", "老用户", "returning viewers", "int")]
    figure = Figure("stream_review", "最近直播复盘", "Last streams' review", columns, wide=True,
                    note=f"最近开播的 {LAST_STREAMS} 场（最新在上）。The {LAST_STREAMS} latest streams, newest first: "
                         "peak concurrency, average watch time, conversion (buying viewers / viewers), GPM (net "
                         "GMV per 1,000 views), new vs returning viewers. 下播为空 = 未结束或未知 (end unknown).")
    if not marts.has("operations.stream_kpis"):
        figure.empty_reason = marts.missing("operations.stream_kpis")
        return figure
    rows = marts.rows(
        f"""
        select {", ".join(c.field for c in columns)}
        from operations.stream_kpis
        order by started_at desc, stream_id desc
        limit {LAST_STREAMS}
        """
    )
    for row in rows:
        row["row_key"] = row["stream_id"]
    figure.rows = rows
    if not rows:
        figure.empty_reason = "operations.stream_kpis has no stream"
        return figure
    metrics = [("peak_concurrent_viewers", "在线峰值", "peak", "#2166ac", lambda v: f"{v:,}"),
               ("avg_watch_seconds_per_viewer", "平均观看时长", "avg watch", "#5aae61", lambda v: _fmt(v, "minutes")),
               ("conversion_rate", "转化率", "conversion", "#d6604d", lambda v: _fmt(v, "rate")),
               ("gpm", "GPM", "GMV per 1,000 views", "#b2182b", lambda v: f"¥{float(v):,.0f}")]
    label_w, col_w, step, head = 250, 176, 30, 40
    body = []
    for k, (_, zh, en, _, _) in enumerate(metrics):
        body.append(_text(label_w + k * col_w, 16, zh, 12, weight="bold"))
        body.append(_text(label_w + k * col_w, 31, en, 10, fill="#555"))
    new_x = label_w + len(metrics) * col_w
    body.append(_text(new_x, 16, "新 / 老用户", 12, weight="bold"))
    body.append(_text(new_x, 31, "new / returning viewers", 10, fill="#555"))
    tops = {m[0]: max((float(r[m[0]]) for r in rows if r[m[0]] is not None), default=0) for m in metrics}
    for i, row in enumerate(rows):
        y = head + i * step
        if i % 2 == 0:
            body.append(_rect(0, y - 2, new_x + 176, step, "#f6f6f6"))
        body.append(_text(4, y + 12, f'{row["stream_id"]} · {row["anchor_id"] or "–"} · {row["category"] or "–"}', 12,
                          weight="bold"))
        body.append(_text(4, y + 24, _fmt(row["started_at"], "time") + " UTC"
                          + ("" if row["ended_at"] else " · 未结束 end unknown"), 10, fill="#555"))
        for k, (name, _, _, colour, show) in enumerate(metrics):
            value = row[name]
            width = 0.0 if value is None or tops[name] == 0 else 110 * float(value) / tops[name]
            body.append(_rect(label_w + k * col_w, y + 4, width, 16, colour,
                              f' data-row="{_esc(row["stream_id"])}" data-field="{name}"'))
            body.append(_text(label_w + k * col_w + width + 4, y + 16, "–" if value is None else show(value), 11))
        viewers = row["viewers"] or 0
        new_w = 0.0 if viewers == 0 else 120 * row["new_viewers"] / viewers
        body.append(_rect(new_x, y + 4, new_w, 16, "#ef8a62"))
        body.append(_rect(new_x + new_w, y + 4, 120 - new_w if viewers else 0, 16, "#67a9cf"))
        body.append(_text(new_x + 124, y + 16, f'{row["new_viewers"]:,}/{row["returning_viewers"]:,}', 10))
    figure.chart = _svg(new_x + 176, head + step * len(rows) + 4, body, "最近直播复盘 Last streams' review")
    return figure


def anchor_fan_pyramids(marts: Marts, labels: Labels) -> Figure:
    tiers = ("anchor_core_fan", "anchor_regular", "anchor_viewer")
    columns = [Column("anchor_id", "主播", "anchor"), Column("fans", "粉丝合计", "fans (all tiers)", "int"),
               *(Column(t, *_label(labels, "anchor_fan_tier", t), "int") for t in tiers)]
    figure = Figure("anchor_fans", "主播粉丝金字塔", "Each anchor's fan pyramid", columns, wide=True)
    if not marts.has("operations.anchor_fans"):
        figure.empty_reason = marts.missing("operations.anchor_fans")
        return figure
    found = marts.rows("select anchor_id, anchor_fan_tier, count(*) as users from operations.anchor_fans "
                       "group by anchor_id, anchor_fan_tier")
    per_anchor: dict[str, dict] = {}
    for hit in found:
        row = per_anchor.setdefault(hit["anchor_id"], {"row_key": hit["anchor_id"], "anchor_id": hit["anchor_id"],
                                                       **dict.fromkeys(tiers, 0)})
        row[hit["anchor_fan_tier"]] = hit["users"]
    for row in per_anchor.values():
        row["fans"] = sum(row[t] for t in tiers)
    rows = sorted(per_anchor.values(), key=lambda r: (-r["anchor_core_fan"], -r["fans"], r["anchor_id"]))
    figure.rows = rows
    if not rows:
        figure.empty_reason = "operations.anchor_fans has no fan"
        return figure
    drawn = rows[:ANCHORS_DRAWN]
    shown = (f"画出铁粉最多的 {len(drawn)} 位主播（共 {len(rows)} 位，表中全列）。"
             f"Drawn: the {len(drawn)} anchors with the most core fans of {len(rows)}; the table lists all."
             if len(rows) > len(drawn) else
             f"共 {len(rows)} 位主播。{len(rows)} anchors.")
    figure.note = ("每位主播的粉丝分层：铁粉（顶）、常客、路人观众（底），条宽为该层占该主播粉丝的比例。"
                   "Per anchor: core fans (top), regulars, passing viewers (bottom); bar width = the tier's share "
                   "of the anchor's fans. " + shown)
    per_row, cell_w, cell_h = 6, 193, 104
    body = []
    for n, row in enumerate(drawn):
        x, y = (n % per_row) * cell_w, (n // per_row) * cell_h
        body.append(_rect(x + 2, y + 2, cell_w - 6, cell_h - 6, "#f7f7f7"))
        body.append(_text(x + 10, y + 20, f'{row["anchor_id"]}', 13, weight="bold"))
        body.append(_text(x + cell_w - 12, y + 20, f'{row["fans"]:,} 人', 11, "end", "#555"))
        largest = max(row[t] for t in tiers) or 1
        for k, tier in enumerate(tiers):
            width = max(2.0, 84 * row[tier] / largest) if row[tier] else 0.0
            cy = y + 30 + k * 22
            body.append(_rect(x + 52 - width / 2, cy, width, 18, TIER_COLOURS[tier],
                              f' data-row="{_esc(row["anchor_id"])}" data-field="{tier}"'))
            body.append(_text(x + 99, cy + 13, f'{row[tier]:,}', 11, weight="bold" if k == 0 else "normal"))
            body.append(_text(x + cell_w - 12, cy + 13, _label(labels, "anchor_fan_tier", tier)[0], 10, "end",
                              "#555"))
    figure.chart = _svg(per_row * cell_w, math.ceil(len(drawn) / per_row) * cell_h, body,
                        "主播粉丝金字塔 Anchor fan pyramids")
    return figure


def campaign_uplift(marts: Marts, labels: Labels) -> Figure:
    columns = [Column("campaign_id", "活动", "campaign"), Column("tier_family", "分层族", "tier family"),
               Column("tier_code", "分层（活动前一天）", "tier on the eve"),
               Column("treatment_users", "触达组", "treated", "int"), Column("control_users", "对照组", "control",
                                                                              "int"),
               Column("treatment_conversion_rate", "触达组转化率", "treated conversion", "rate"),
               Column("control_conversion_rate", "对照组转化率", "control conversion", "rate"),
               Column("absolute_uplift", "转化增量", "conversion uplift", "pp"),
               Column("uplift_ci_low", "95% 下限", "95% low", "pp"), Column("uplift_ci_high", "95% 上限", "95% high",
                                                                             "pp"),
               Column("gmv_per_user_uplift", "人均成交增量", "GMV per user uplift", "money"),
               Column("gmv_per_user_uplift_ci_low", "95% 下限", "95% low", "money"),
               Column("gmv_per_user_uplift_ci_high", "95% 上限", "95% high", "money"),
               Column("is_too_small_to_read", "样本过小", "too small to read", "bool"),
               Column("is_attribution_complete", "归因窗口已结束", "attribution complete", "bool")]
    figure = Figure("campaign_uplift", "活动增量（95% 区间）", "Campaign uplift with 95% intervals", columns, wide=True,
                    note="每个活动整体及按活动前一天的价值分层：触达组减对照组的转化率（百分点）与人均净成交（元）。"
                         "样本过小的格不画（表中有点估计）。Per campaign, overall and by value tier on the eve of the "
                         "touch: treated minus control conversion (percentage points) and net GMV per user (CNY) "
                         "with 95% intervals; cells too small to read are not drawn (their point estimates are in "
                         "the table).")
    if not marts.has("operations.campaign_tier_readout"):
        figure.empty_reason = marts.missing("operations.campaign_tier_readout")
        return figure
    rows = marts.rows(
        f"""
        select {", ".join(c.field for c in columns)}
        from operations.campaign_tier_readout
        where tier_family in ('all', 'value_tier')
        order by campaign_id, tier_family = 'value_tier', tier_code
        """
    )
    rows.sort(key=lambda r: (r["campaign_id"], r["tier_family"] != "all", labels.rank("value_tier", r["tier_code"])))
    for row in rows:
        row["row_key"] = f'{row["campaign_id"]}:{row["tier_family"]}:{row["tier_code"]}'
    figure.rows = rows
    if not rows:
        figure.empty_reason = "operations.campaign_tier_readout has no campaign"
        return figure
    panels = [("absolute_uplift", "uplift_ci_low", "uplift_ci_high", "转化增量", "conversion uplift (pp)",
               lambda v: f"{v * 100:g}"),
              ("gmv_per_user_uplift", "gmv_per_user_uplift_ci_low", "gmv_per_user_uplift_ci_high", "人均成交增量",
               "net GMV per user uplift (CNY)", lambda v: f"{v:,g}")]
    label_w, panel_w, gap, step, head = 300, 380, 50, 22, 44
    body = []
    for i, row in enumerate(rows):
        y = head + i * step
        if row["tier_family"] == "all":
            body.append(_rect(0, y, label_w + 2 * panel_w + gap, step, "#eef3f8"))
            text = f'{row["campaign_id"]} 全体 all  ({row["treatment_users"]:,} vs {row["control_users"]:,} 人)'
            body.append(_text(4, y + 15, text, 12, weight="bold"))
        else:
            zh, en = _label(labels, "value_tier", row["tier_code"])
            small = " · 样本过小 too small to read" if row["is_too_small_to_read"] else ""
            body.append(_text(20, y + 15, f"{zh} {en}{small}", 11, fill="#999" if small else "#333"))
    drawn = [r for r in rows if not r["is_too_small_to_read"]]
    for k, (point, low, high, zh, en, show) in enumerate(panels):
        values = [float(r[c]) for r in drawn for c in (point, low, high) if r[c] is not None] + [0.0]
        lo, hi = min(values), max(values)
        pad = (hi - lo) * 0.08 or 0.01
        lo, hi = lo - pad, hi + pad
        x0 = label_w + k * (panel_w + gap)

        def xpos(v: float, lo: float = lo, hi: float = hi, x0: float = x0) -> float:
            return x0 + panel_w * (v - lo) / (hi - lo)

        body.append(_text(x0, 16, zh, 12, weight="bold"))
        body.append(_text(x0 + 90, 16, en, 10, fill="#555"))
        body.append(_line(xpos(0), head - 8, xpos(0), head + step * len(rows), "#555", 1))
        body.append(_text(xpos(0), head - 12, "0", 10, "middle", "#555"))
        for tick in _ticks(lo, hi):
            if tick != 0:
                body.append(_line(xpos(tick), head - 8, xpos(tick), head + step * len(rows), "#e6e6e6"))
                body.append(_text(xpos(tick), head - 12, show(tick), 9, "middle", "#777"))
        for i, row in enumerate(rows):
            cy = head + i * step + step / 2
            if row[point] is None or row["is_too_small_to_read"]:
                continue
            colour = TIER_COLOURS.get(row["tier_code"], "#333")
            if row[low] is not None and row[high] is not None:
                body.append(_line(xpos(float(row[low])), cy, xpos(float(row[high])), cy, colour, 2))
            body.append(f'<circle cx="{xpos(float(row[point])):.1f}" cy="{cy:.1f}" r="4.5" fill="{colour}" '
                        f'data-row="{_esc(row["row_key"])}" data-field="{point}"/>')
    figure.chart = _svg(label_w + 2 * panel_w + gap + 10, head + step * len(rows) + 22, body,
                        "活动增量 Campaign uplift")
    return figure


def _ticks(lo: float, hi: float) -> list[float]:
    """About five round tick values between lo and hi."""
    raw = (hi - lo) / 5
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    return [round(first + i * step, 12) for i in range(int((hi - first) / step) + 1)]


def summary(marts: Marts, _labels: Labels) -> Figure:
    columns = [Column("measure", "指标", "measure"), Column("label_zh", "名称", "name (中文)"),
               Column("label_en", "名称", "name (English)"), Column("value", "数值", "value", "int")]
    figure = Figure("summary", "概览", "Overview", columns)
    rows = []
    if marts.has("segmentation.tier_kpis"):
        rows += marts.rows(
            """
            select 'users' as measure, '已知用户' as label_zh, 'users known' as label_en, sum(user_count) as value
            from segmentation.tier_kpis
            where tier_family = 'value_tier' and period_end = (select max(period_end) from segmentation.tier_kpis)
            union all
            select 'buyers_365d', '近365天购买用户', 'buyers (365 days)', sum(buyer_count)
            from segmentation.tier_kpis
            where tier_family = 'value_tier' and period_end = (select max(period_end) from segmentation.tier_kpis)
            """
        )
        gmv = marts.con.execute(
            "select sum(net_gmv_365d) from segmentation.tier_kpis where tier_family = 'value_tier' "
            "and period_end = (select max(period_end) from segmentation.tier_kpis)").fetchone()[0]
        rows.append({"measure": "net_gmv_365d", "label_zh": "近365天净成交", "label_en": "net GMV (365 days)",
                     "value": gmv, "kind": "money"})
    if marts.has("operations.stream_kpis"):
        rows += marts.rows("select 'streams' as measure, '直播场次' as label_zh, 'streams' as label_en, "
                           "count(*) as value from operations.stream_kpis")
    for row in rows:
        row["row_key"] = row["measure"]
    figure.rows = rows
    return figure


FIGURES: list[Callable[[Marts, Labels], Figure]] = [
    value_pyramid, lifecycle_stages, transition_heatmap, rfm_heatmap, pareto_curve, alert_counts,
    stream_review, anchor_fan_pyramids, campaign_uplift,
]


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------

STYLE = """
body { margin: 0; background: #eef0f3; color: #222;
  font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "PingFang SC", "Microsoft YaHei", "DejaVu Sans", sans-serif; }
main { width: 1200px; margin: 0 auto; padding: 20px 0 40px; }
header h1 { margin: 0 0 4px; font-size: 26px; }
header p { margin: 2px 0; color: #555; font-size: 13px; }
.overview { display: flex; gap: 12px; margin: 14px 0 18px; }
.overview div { background: #fff; border-radius: 8px; padding: 10px 16px; flex: 1; }
.overview b { display: block; font-size: 22px; }
.overview span { color: #555; font-size: 12px; }
.grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px; }
.numbers { overflow-x: auto; }
figure { background: #fff; border-radius: 8px; margin: 0; padding: 14px 16px; box-shadow: 0 1px 2px #0001; }
figure.wide { grid-column: 1 / -1; }
figure h2 { margin: 0 0 2px; font-size: 18px; }
figure h2 small { font-weight: normal; color: #555; font-size: 14px; margin-left: 6px; }
figure p.note { margin: 4px 0 10px; color: #555; font-size: 12px; line-height: 1.5; }
svg.chart { display: block; width: 100%; height: auto; }
details { margin-top: 10px; font-size: 12px; }
summary { cursor: pointer; color: #2166ac; }
table { border-collapse: collapse; margin-top: 6px; width: 100%; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 3px 6px; text-align: right; white-space: nowrap; }
th { white-space: normal; vertical-align: bottom; }
th { background: #f3f5f8; font-weight: normal; color: #444; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
footer { margin-top: 20px; color: #777; font-size: 11px; }
"""

# Only for tools and tests: opened as index.html#measure, the page writes where each chart is drawn
# (page pixels: left, top, width, height) and the page height into the DOM. Nothing is fetched.
MEASURE = """
if (location.hash === '#measure') {
  for (const chart of document.querySelectorAll('figure svg.chart')) {
    const box = chart.getBoundingClientRect();
    chart.setAttribute('data-box', [box.left + scrollX, box.top + scrollY, box.width, box.height]
      .map(Math.round).join(','));
  }
  document.body.setAttribute('data-page-height', document.documentElement.scrollHeight);
}
"""


def _table(figure: Figure) -> str:
    head = "".join(f'<th class="{"text" if c.kind == "text" else c.kind}" data-field="{c.field}">{_esc(c.zh)}<br>'
                   f'{_esc(c.en)}</th>' for c in figure.columns)
    body = []
    for row in figure.rows:
        cells = []
        for column in figure.columns:
            value = row.get(column.field)
            kind = row.get("kind", column.kind) if column.field == "value" else column.kind
            null = ' data-null="true"' if value is None else ""
            cells.append(f'<td class="{"text" if kind == "text" else kind}" data-field="{column.field}" '
                         f'data-value="{_esc("" if value is None else _exact(value))}"{null}>'
                         f'{_esc(_fmt(value, kind))}</td>')
        body.append(f'<tr data-row="{_esc(row["row_key"])}">{"".join(cells)}</tr>')
    opened = " open" if 0 < len(figure.rows) <= 12 else ""
    return (f'<details{opened}><summary>数字 Numbers ({len(figure.rows)} 行 rows)</summary>'
            f'<div class="numbers"><table data-figure="{figure.key}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div></details>')


def _figure_html(figure: Figure) -> str:
    empty = not figure.chart
    chart = _no_data(figure.empty_reason or "no rows", 1120 if figure.wide else 540) if empty else figure.chart
    classes = " ".join(c for c in ("wide" if figure.wide else "", "empty" if empty else "") if c)
    note = f'<p class="note">{_esc(figure.note)}</p>' if figure.note else ""
    return (f'<figure data-figure="{figure.key}" data-empty="{str(empty).lower()}"'
            f'{f" class={chr(34)}{classes}{chr(34)}" if classes else ""}>'
            f'<h2>{_esc(figure.zh)}<small>{_esc(figure.en)}</small></h2>{note}{chart}{_table(figure)}</figure>')


def _overview_html(figure: Figure) -> str:
    items = "".join(f'<div data-row="{_esc(r["row_key"])}" data-value="{_esc(_exact(r["value"]))}">'
                    f'<b>{_esc(_fmt(r["value"], r.get("kind", "int")))}</b>'
                    f'<span>{_esc(r["label_zh"])} · {_esc(r["label_en"])}</span></div>'
                    for r in figure.rows if r["value"] is not None)
    return f'<section class="overview" data-figure="summary">{items}</section>' if items else ""


def render(marts: Marts, source: Path) -> str:
    """The whole page as one HTML string."""
    labels = marts.tier_labels()
    as_of = marts.as_of_date()
    figures = [make(marts, labels) for make in FIGURES]
    built = dt.datetime.fromtimestamp(source.stat().st_mtime, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "".join([
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">',
        f'<meta name="generator" content="{GENERATOR}">',
        '<meta name="viewport" content="width=1240">',
        f"<title>用户分层运营报告 Tiering report · D = {_fmt(as_of, 'date')}</title>",
        f"<style>{STYLE}</style></head><body><main>",
        "<header><h1>用户分层运营报告 <small style=\"font-weight:normal;font-size:18px\">Tiering report for "
        "operators</small></h1>",
        f'<p>截至日期 As of D = <b data-field="as_of_date">{_esc(_fmt(as_of, "date"))}</b> · '
        f"数据 warehouse {_esc(source.name)} (published {built})</p>",
        "<p>所有数字来自已发布的数据集市；每个图下的表格给出精确数值。Every number comes from the published marts; "
        "the table under each chart holds the exact values.</p></header>",
        _overview_html(summary(marts, labels)),
        '<div class="grid">',
        *(_figure_html(f) for f in figures),
        "</div>",
        "<footer>livetier · 离线静态页面，无外部资源 static page, works offline · no personal data (counts and sums "
        "only)</footer>",
        f"</main><script>{MEASURE}</script></body></html>\n",
    ])


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

def _replaceable(out: Path) -> bool:
    """DIR may be replaced: absent, empty, or holding only a previous report's index.html."""
    if not out.exists():
        return True
    if not out.is_dir():
        return False
    entries = list(out.iterdir())
    if not entries:
        return True
    if [e.name for e in entries] != [INDEX]:
        return False
    head = (out / INDEX).read_text(encoding="utf-8", errors="replace")[:2000]
    return f'content="{GENERATOR}"' in head


def write_report(db: Path, out: Path) -> Path:
    """Writes DIR/index.html from the published file `db`; returns its path. ReportError when it cannot."""
    db, out = Path(db).resolve(), Path(out).resolve()
    if not db.is_file():
        raise ReportError(f"no published database at {db}; run `make run` (or set DUCKDB_PATH) first")
    if not _replaceable(out):
        raise ReportError(f"{out} exists and is not a livetier report folder (it holds other files); "
                          "choose another --out")
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            marts = Marts(con)
            if not any(r.split(".")[0] in PUBLIC_SCHEMAS and not r.startswith("seeds.") for r in marts.present):
                raise ReportError(f"{db} holds no public mart (schemas segmentation, operations, quality); "
                                  "is it a published livetier database?")
            page = render(marts, db)
    except duckdb.Error as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ReportError(f"cannot read {db}: {first}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.parent / f".{out.name}.{os.getpid()}.writing"
    old = out.parent / f".{out.name}.{os.getpid()}.replaced"
    shutil.rmtree(temp, ignore_errors=True)
    try:
        temp.mkdir()
        (temp / INDEX).write_text(page, encoding="utf-8")
        if out.exists():
            os.replace(out, old)  # each rename is atomic; the old report goes once the new one is in place
        os.replace(temp, out)
    except OSError as err:
        shutil.rmtree(temp, ignore_errors=True)
        if old.exists() and not out.exists():
            os.replace(old, out)
        raise ReportError(f"writing the report to {out} failed: {err.strerror or err}; nothing was changed there") \
            from None
    shutil.rmtree(old, ignore_errors=True)
    return out / INDEX


def main(db: Path, out: Path) -> int:
    """`python -m livetier report`: 0 and the page's path on stdout, or 1 and one sentence on stderr."""
    try:
        index = write_report(db, out)
    except ReportError as err:
        print(f"error: {err}.", file=sys.stderr)
        return 1
    print(f"report: {index}")
    return 0
