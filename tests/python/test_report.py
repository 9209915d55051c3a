"""The operators' report, looked at as a person would: in a browser.

A small simulated shop (1,500 users, 60 days) is built and published through the CLI, then
`python -m livetier report` writes the page and headless Chromium (Debian's `chromium`) renders it:
once to read the laid-out DOM (each chart's box, the numbers as shown) and once for a full-page
screenshot. The test asserts that every chart drew something where the page says it is (pixels
that are not background, in several colours) and that every number in the page equals the marts,
queried here on their own. An orders-only export (no streams, no campaigns) gives "no data"
figures instead of failing.

Chromium is required: without it the test fails with one sentence, unless LIVETIER_SKIP_BROWSER=1
opts out (`make browser` installs it, as root, on Debian).
"""

from __future__ import annotations

import csv
import math
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import numpy as np
import pytest
from bi_build import cli_build, must
from dbt_harness import EXAMPLES_RAW
from png_pixels import read_png

from livetier import PROJECT_ROOT
from livetier.browser import chromium_path, page_height, rendered_dom, screenshot
from livetier.generator import generate

SKIP_ENV = "LIVETIER_SKIP_BROWSER"
FIGURES = ("value_pyramid", "lifecycle_stages", "value_tier_transitions", "rfm_heatmap", "pareto_curve",
           "alert_counts", "stream_review", "anchor_fans", "campaign_uplift")
SHOP_END = "2025-06-30"  # last business date of the simulated shop, and D
WHITE = 245  # a pixel with every channel at or above this is background


@pytest.fixture(scope="module", autouse=True)
def chromium() -> str:
    if os.environ.get(SKIP_ENV, "").strip() == "1":
        pytest.skip(f"{SKIP_ENV}=1: the browser test of the report is switched off")
    found = chromium_path()
    if found is None:
        pytest.fail(f"Chromium is not installed (/usr/bin/chromium), so the report cannot be rendered: run "
                    f"`make browser` as root (apt-get install chromium), or set {SKIP_ENV}=1 to skip this test.")
    return found


# ---------------------------------------------------------------------------------------------
# What Chromium rendered
# ---------------------------------------------------------------------------------------------

@dataclass
class Page:
    figures: dict[str, dict] = field(default_factory=dict)  # key -> {"empty": bool, "box": (x, y, w, h), "svg": text}
    tables: dict[str, dict[str, dict[str, tuple[str, str, bool]]]] = field(default_factory=dict)
    overview: dict[str, str] = field(default_factory=dict)
    as_of: str = ""


class _DomReader(HTMLParser):
    """Collects figures (chart box, SVG text), number tables (data-value, shown text) and the overview."""

    def __init__(self) -> None:
        super().__init__()
        self.page = Page()
        self.figure: str | None = None
        self.in_svg = False
        self.table: str | None = None
        self.row: str | None = None
        self.cell: tuple[str, str, bool] | None = None
        self.text: list[str] = []
        self.as_of_open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "figure" and "data-figure" in a:
            self.figure = a["data-figure"]
            self.page.figures[self.figure] = {"empty": a.get("data-empty") == "true", "box": None, "svg": ""}
        elif tag == "svg" and self.figure and "chart" in a.get("class", ""):
            self.in_svg = True
            if a.get("data-box"):
                self.page.figures[self.figure]["box"] = tuple(int(v) for v in a["data-box"].split(","))
        elif tag == "table" and "data-figure" in a:
            self.table = a["data-figure"]
            self.page.tables[self.table] = {}
        elif tag == "tr" and self.table and "data-row" in a:
            self.row = a["data-row"]
            self.page.tables[self.table][self.row] = {}
        elif tag == "td" and self.row is not None:
            self.cell = (a["data-field"], a["data-value"], a.get("data-null") == "true")
            self.text = []
        elif tag == "div" and "data-value" in a and "data-row" in a:
            self.page.overview[a["data-row"]] = a["data-value"]
        elif tag == "b" and a.get("data-field") == "as_of_date":
            self.as_of_open = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.in_svg = False
        elif tag == "figure":
            self.figure = None
        elif tag == "table":
            self.table = None
        elif tag == "tr":
            self.row = None
        elif tag == "td" and self.cell is not None:
            name, value, null = self.cell
            self.page.tables[self.table][self.row][name] = (value, "".join(self.text).strip(), null)
            self.cell = None
        elif tag == "b":
            self.as_of_open = False

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.text.append(data)
        if self.in_svg and self.figure:
            self.page.figures[self.figure]["svg"] += data + "\n"
        if self.as_of_open:
            self.page.as_of += data


def read_dom(dom: str) -> Page:
    reader = _DomReader()
    reader.feed(dom)
    return reader.page


@dataclass
class Rendered:
    db: Path
    index: Path
    html: str
    page: Page
    pixels: np.ndarray


def run_report(db: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "livetier", "report", "--db", str(db), "--out", str(out)],
                          cwd=PROJECT_ROOT, capture_output=True, text=True)


def render(db: Path, out: Path) -> Rendered:
    result = must(run_report(db, out))
    index = out / "index.html"
    assert result.stdout.strip() == f"report: {index}"
    dom = rendered_dom(index)
    png = screenshot(index, out.parent / f"{out.name}.png", height=page_height(dom))
    return Rendered(db, index, index.read_text(encoding="utf-8"), read_dom(dom), read_png(png))


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    root = tmp_path_factory.mktemp("report_shop")
    generate(out=root / "raw", scale="small", seed=11, users=1500, days=60, end_date=SHOP_END, progress=False)
    db = root / "tiers.duckdb"
    must(cli_build(root / "raw", db, as_of=SHOP_END, clock=f"{SHOP_END}T23:59:00"))
    return render(db, root / "report")


@pytest.fixture(scope="module")
def orders_only(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    root = tmp_path_factory.mktemp("report_orders_only")
    (root / "raw").mkdir()
    shutil.copy(EXAMPLES_RAW / "orders.csv", root / "raw" / "orders.csv")
    db = root / "tiers.duckdb"
    must(cli_build(root / "raw", db))
    return render(db, root / "report")


# ---------------------------------------------------------------------------------------------
# The charts drew
# ---------------------------------------------------------------------------------------------

def _ink_in(pixels: np.ndarray, box: tuple[int, int, int, int]) -> tuple[float, int]:
    """Share of non-background pixels in the box, and how many distinct (coarse) colours they have."""
    x, y, w, h = box
    region = pixels[y:y + h, x:x + w, :3].astype(int)
    ink = ~(region >= WHITE).all(axis=2)
    colours = {tuple(c) for c in (region[ink] // 32).tolist()}
    return float(ink.mean()) if ink.size else 0.0, len(colours)


def test_every_chart_drew_where_the_page_says(shop: Rendered) -> None:
    height, width, _ = shop.pixels.shape
    assert width == 1240 and height > 2000  # the whole page, not one screen
    for key in FIGURES:
        figure = shop.page.figures[key]
        assert not figure["empty"], f"{key} says no data on a shop that has it"
        x, y, w, h = figure["box"]
        assert w > 300 and h > 80 and x + w <= width and y + h <= height, (key, figure["box"])
        ink, colours = _ink_in(shop.pixels, figure["box"])
        assert ink > 0.03 and colours >= 3, f"{key}: only {ink:.1%} of its box is drawn, in {colours} colours"
    # between two charts of the grid is page background, not ink: the boxes are where the charts are
    pyramid = shop.page.figures["value_pyramid"]["box"]
    gap = (pyramid[0] + pyramid[2] + 30, pyramid[1], 8, pyramid[3])
    assert _ink_in(shop.pixels, gap)[1] <= 1


def test_the_page_works_offline_and_holds_no_personal_data(shop: Rendered) -> None:
    assert not re.search(r"https?:|<(link|img|iframe|object|embed)\b|\b(src|href)=|@import|url\(", shop.html)
    with duckdb.connect(str(shop.db), read_only=True) as con:
        users = {r[0] for r in con.execute("select user_id from segmentation.user_facts").fetchall()}
    tokens = set(re.findall(r"[A-Za-z0-9_]+", shop.html))
    assert users and not (users & tokens), sorted(users & tokens)[:5]


# ---------------------------------------------------------------------------------------------
# The numbers in the page are the marts'
# ---------------------------------------------------------------------------------------------

def _marts(db: Path, sql: str) -> list[dict]:
    with duckdb.connect(str(db), read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _seed(name: str) -> list[dict]:
    with open(PROJECT_ROOT / "seeds" / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _same(shown: tuple[str, str, bool], expected: object, what: str) -> None:
    value, _text, null = shown
    if expected is None:
        assert null and value == "", what
    elif isinstance(expected, bool):
        assert value == str(expected).lower(), what
    elif isinstance(expected, float):
        assert float(value) == expected, what
    elif isinstance(expected, int | Decimal):
        assert Decimal(value) == Decimal(expected), (what, value, expected)
    elif hasattr(expected, "isoformat"):
        assert value == expected.isoformat(), what
    else:
        assert value == str(expected), what


def _table_equals(page: Page, key: str, expected: dict[str, dict]) -> None:
    table = page.tables[key]
    assert list(table) == list(expected), (key, list(table), list(expected))
    for row_key, fields in expected.items():
        for name, value in fields.items():
            _same(table[row_key][name], value, f"{key} {row_key} {name}")


def test_pyramid_lifecycle_and_overview_equal_the_marts(shop: Rendered) -> None:
    labels = {(r["family"], r["tier_code"]): r for r in _seed("tier_labels")}
    as_of = _marts(shop.db, "select max(as_of_date) as d from segmentation.user_tiers")[0]["d"]
    assert shop.page.as_of == as_of.isoformat()
    for key, family in (("value_pyramid", "value_tier"), ("lifecycle_stages", "lifecycle_stage")):
        kpis = _marts(shop.db, f"select * from segmentation.tier_kpis where tier_family = '{family}' "
                               f"and period_end = '{as_of}'")
        # the pyramid top down (highest tier_level first); the stages in the seed's order
        if family == "value_tier":
            kpis.sort(key=lambda r: -int(labels[("value_tier", r["tier_code"])]["tier_level"]))
        else:
            kpis.sort(key=lambda r: int(labels[("lifecycle_stage", r["tier_code"])]["sort_order"]))
        assert {r["tier_code"] for r in kpis} == {c for f, c in labels if f == family}
        _table_equals(shop.page, key, {r["tier_code"]: {
            "label_zh": labels[(family, r["tier_code"])]["label_zh"],
            "label_en": labels[(family, r["tier_code"])]["label_en"],
            "user_count": r["user_count"], "share_of_users": r["share_of_users"],
            "net_gmv_365d": r["net_gmv_365d"], "gmv_share": r["gmv_share"]} for r in kpis})
        for r in kpis:  # what a person reads: the table's text and the chart's label
            assert shop.page.tables[key][r["tier_code"]]["user_count"][1] == f'{r["user_count"]:,}'
            assert f'{r["user_count"]:,}' in shop.page.figures[key]["svg"]
            assert labels[(family, r["tier_code"])]["label_zh"] in shop.page.figures[key]["svg"]
    facts = _marts(shop.db, "select count(*) as users, count(*) filter (where purchases_365d > 0) as buyers, "
                            "sum(net_gmv_365d) as gmv from segmentation.user_facts")[0]
    streams = _marts(shop.db, "select count(*) as n from operations.stream_kpis")[0]["n"]
    overview = {name: Decimal(value) for name, value in shop.page.overview.items()}
    assert overview == {"users": facts["users"], "buyers_365d": facts["buyers"], "net_gmv_365d": facts["gmv"],
                        "streams": streams}


def test_week_of_moves_equals_the_history(shop: Rendered) -> None:
    """Recounted from user_tier_history: each user's value tier at the last two period ends."""
    ends = _marts(shop.db, "select distinct period_end from segmentation.user_tier_history where is_period_end "
                           "order by period_end desc limit 2")
    now, before = ends[0]["period_end"], ends[1]["period_end"]
    pairs = _marts(shop.db, f"""
        select coalesce(old.value_tier, '(none)') as from_tier, new.value_tier as to_tier, count(*) as users
        from segmentation.user_tier_history as new
        left join segmentation.user_tier_history as old
            on old.user_id = new.user_id and old.period_end = '{before}'
        where new.period_end = '{now}'
        group by all
    """)
    sizes: dict[str, int] = {}
    for p in pairs:
        sizes[p["from_tier"]] = sizes.get(p["from_tier"], 0) + p["users"]
    table = shop.page.tables["value_tier_transitions"]
    assert set(table) == {f'{p["from_tier"]}>{p["to_tier"]}' for p in pairs}
    for p in pairs:
        row = table[f'{p["from_tier"]}>{p["to_tier"]}']
        assert int(row["user_count"][0]) == p["users"] and int(row["from_tier_user_count"][0]) == sizes[p["from_tier"]]
        assert abs(Decimal(row["transition_rate"][0]) - Decimal(p["users"]) / sizes[p["from_tier"]]) <= Decimal("5e-7")
    assert len(pairs) > 5 and any(p["from_tier"] != p["to_tier"] for p in pairs)


def test_rfm_heatmap_and_pareto_equal_the_marts(shop: Rendered) -> None:
    cells = {(r["r_score"], r["f_score"]): r for r in _marts(
        shop.db, "select r_score, f_score, count(*) as buyers, sum(m_value) as gmv from segmentation.user_rfm "
                 "group by all")}
    expected = {}
    for r in range(5, 0, -1):
        for f in range(1, 6):
            hit = cells.get((r, f), {"buyers": 0, "gmv": Decimal("0")})
            expected[f"{r}{f}"] = {"r_score": r, "f_score": f, "buyers": hit["buyers"], "net_gmv": hit["gmv"]}
    _table_equals(shop.page, "rfm_heatmap", expected)
    # Pareto, recomputed: users sorted by net GMV (ties by user id), the top ceil(n x pct / 100)
    facts = _marts(shop.db, "select user_id, net_gmv_365d from segmentation.user_facts")
    facts.sort(key=lambda r: (-r["net_gmv_365d"], r["user_id"]))
    total = sum(r["net_gmv_365d"] for r in facts)
    expected = {}
    for pct in (1, 5, 10, 20, 50, 80, 100):
        users = math.ceil(len(facts) * pct / 100)
        gmv = sum((r["net_gmv_365d"] for r in facts[:users]), Decimal("0"))
        expected[str(pct)] = {"top_user_pct": pct, "users": users, "net_gmv": gmv}
        shown = Decimal(shop.page.tables["pareto_curve"][str(pct)]["gmv_share"][0])
        assert abs(shown - gmv / total) <= Decimal("5e-7"), pct
    _table_equals(shop.page, "pareto_curve", expected)
    assert shop.page.tables["pareto_curve"]["100"]["gmv_share"][0] == "1.000000"


def test_streams_anchors_campaigns_and_alerts_equal_the_marts(shop: Rendered) -> None:
    streams = _marts(shop.db, "select * from operations.stream_kpis order by started_at desc, stream_id desc limit 12")
    fields = ("anchor_id", "category", "started_at", "ended_at", "viewers", "peak_concurrent_viewers",
              "avg_watch_seconds_per_viewer", "interaction_rate", "conversion_rate", "net_gmv", "gpm", "new_viewers",
              "returning_viewers")
    _table_equals(shop.page, "stream_review", {s["stream_id"]: {f: s[f] for f in fields} for s in streams})
    for s in streams:
        assert s["stream_id"] in shop.page.figures["stream_review"]["svg"]
    fans = _marts(shop.db, "select anchor_id, anchor_fan_tier, count(*) as users from operations.anchor_fans "
                           "group by all")
    per_anchor: dict[str, dict] = {}
    for f in fans:
        row = per_anchor.setdefault(f["anchor_id"], {"anchor_core_fan": 0, "anchor_regular": 0, "anchor_viewer": 0})
        row[f["anchor_fan_tier"]] = f["users"]
    table = shop.page.tables["anchor_fans"]
    assert set(table) == set(per_anchor) and len(per_anchor) >= 5
    for anchor, counts in per_anchor.items():
        for tier, users in counts.items():
            assert int(table[anchor][tier][0]) == users, (anchor, tier)
        assert int(table[anchor]["fans"][0]) == sum(counts.values())
    readout = _marts(shop.db, "select * from operations.campaign_tier_readout where tier_family in ('all', "
                              "'value_tier')")
    table = shop.page.tables["campaign_uplift"]
    assert len(table) == len(readout) > 0
    for r in readout:
        row = table[f'{r["campaign_id"]}:{r["tier_family"]}:{r["tier_code"]}']
        for name in ("treatment_users", "control_users", "treatment_conversion_rate", "control_conversion_rate",
                     "absolute_uplift", "uplift_ci_low", "uplift_ci_high", "gmv_per_user_uplift",
                     "gmv_per_user_uplift_ci_low", "gmv_per_user_uplift_ci_high", "is_too_small_to_read"):
            _same(row[name], r[name], f'{r["campaign_id"]} {r["tier_code"]} {name}')
    assert any(not r["is_too_small_to_read"] for r in readout)  # some intervals are drawn
    alerts = {r["alert_code"]: r for r in _marts(
        shop.db, "select alert_code, count(*) as n, count(*) filter (where is_suppressed) as held "
                 "from operations.user_alerts group by all")}
    playbook = {r["alert_code"]: r for r in _seed("alert_playbook")}
    expected = {}
    for code in sorted(playbook, key=lambda c: int(playbook[c]["priority"])):
        hit = alerts.get(code, {"n": 0, "held": 0})
        expected[code] = {"label_zh": playbook[code]["label_zh"], "label_en": playbook[code]["label_en"],
                          "alerts": hit["n"], "suppressed": hit["held"], "to_send": hit["n"] - hit["held"]}
    _table_equals(shop.page, "alert_counts", expected)


# ---------------------------------------------------------------------------------------------
# Empty marts, bad input, atomic writes
# ---------------------------------------------------------------------------------------------

def test_an_orders_only_export_says_no_data_instead_of_failing(orders_only: Rendered) -> None:
    figures = orders_only.page.figures
    assert set(figures) == set(FIGURES)
    for key in ("stream_review", "anchor_fans", "campaign_uplift"):
        assert figures[key]["empty"] and "暂无数据 · no data" in figures[key]["svg"], key
        assert orders_only.page.tables[key] == {}
        ink, colours = _ink_in(orders_only.pixels, figures[key]["box"])
        assert ink > 0.3, f"{key}: the no-data panel is not drawn"  # the grey panel and its text
    for key in ("value_pyramid", "rfm_heatmap", "pareto_curve"):
        assert not figures[key]["empty"], key
        assert _ink_in(orders_only.pixels, figures[key]["box"])[1] >= 3, key
    users = _marts(orders_only.db, "select count(*) as n from segmentation.user_tiers")[0]["n"]
    assert sum(int(r["user_count"][0]) for r in orders_only.page.tables["value_pyramid"].values()) == users


def test_bad_input_is_one_sentence_and_the_folder_is_replaced_whole(shop: Rendered, tmp_path: Path) -> None:
    missing = run_report(tmp_path / "missing.duckdb", tmp_path / "out")
    assert missing.returncode == 1 and "no published database" in missing.stderr
    assert missing.stderr.strip().count("\n") == 0 and "Traceback" not in missing.stderr
    assert not (tmp_path / "out").exists()

    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    refused = run_report(shop.db, other)
    assert refused.returncode == 1 and "is not a livetier report folder" in refused.stderr
    assert refused.stderr.strip().count("\n") == 0
    assert [p.name for p in other.iterdir()] == ["keep.txt"] and (other / "keep.txt").read_text() == "mine"

    out = tmp_path / "report"
    must(run_report(shop.db, out))
    first = (out / "index.html").read_text(encoding="utf-8")
    must(run_report(shop.db, out))  # a second run replaces the first report
    assert (out / "index.html").read_text(encoding="utf-8") == first  # same marts, same page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes", "report"]  # no temporary folder left
