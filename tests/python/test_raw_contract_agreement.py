"""The raw contract is stated in several places; they must agree (issue 14, item 4).

Views of the contract, each `table -> columns` (None: that view names tables only):
- `generator`: the tables and columns `livetier.generator` writes (`contract.SCHEMAS`);
- `sources`: the dbt sources `models/staging/live/_live__sources.yml` (what staging reads);
- `rawcheck`: the checker's `RAW_COLUMNS` (the contract the read plan is made from);
- `readme`: the contract table of README.md ("The raw contract").

The sources YAML is the reference for names. The checker owns the reading rules: a column of
`rawcheck.PRESENCE_FLAGGED_COLUMNS` is optional (an export may leave it out, e.g.
`users.marketing_consent`); every other column is required.
Every view must name the same tables, hold every required column and no column the sources do
not declare. A new statement of the contract is one more entry in `VIEWS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from livetier import rawcheck
from livetier.generator import contract
from livetier.ingest import parquet_kind

ROOT = Path(__file__).resolve().parents[2]
SOURCES_YML = ROOT / "models" / "staging" / "live" / "_live__sources.yml"
README = ROOT / "README.md"

Contract = dict[str, list[str] | None]


def sources_tables(path: Path = SOURCES_YML) -> dict[str, list[dict]]:
    """`table -> [column entries]` of the `live` source."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    (live,) = [s for s in doc["sources"] if s["name"] == "live"]
    return {t["name"]: t.get("columns", []) for t in live["tables"]}


def optional_columns(tables: dict[str, list[dict]]) -> dict[str, set[str]]:
    """The columns an export may leave out: those the checker flags by presence."""
    return {name: set(rawcheck.PRESENCE_FLAGGED_COLUMNS.get(name, ())) for name in tables}


def generator_view() -> Contract:
    return {name: list(schema.names) for name, schema in contract.SCHEMAS.items()}


def sources_view() -> Contract:
    return {name: [c["name"] for c in cols] for name, cols in sources_tables().items()}


def rawcheck_view() -> Contract:
    columns = getattr(rawcheck, "RAW_COLUMNS", None)
    if columns is None:  # today the checker lists tables only
        return dict.fromkeys(rawcheck.RAW_TABLES)
    return {name: list(columns[name]) if name in columns else None for name in rawcheck.RAW_TABLES}


def _split_top_level(text: str) -> list[str]:
    """Split at commas outside parentheses and backticks."""
    parts, depth, tick, cur = [], 0, False, ""
    for ch in text:
        if ch == "`":
            tick = not tick
        elif not tick and ch == "(":
            depth += 1
        elif not tick and ch == ")":
            depth -= 1
        if ch == "," and depth == 0 and not tick:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return [p.strip() for p in parts + [cur] if p.strip()]


def readme_rows(path: Path = README) -> dict[str, tuple[list[str], list[str], bool]]:
    """`table -> (key columns, other columns, marked required)` from the README contract table."""
    text = path.read_text(encoding="utf-8")
    section = text.split("## The raw contract", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[list[str], list[str], bool]] = {}
    in_table = False
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else None
        if cells == ["table", "key", "columns"]:
            in_table = True
            continue
        if not in_table or cells is None:
            in_table = in_table and cells is not None
            continue
        if set(cells[0]) <= set("-: "):
            continue
        name = re.match(r"[a-z_]+", cells[0]).group(0)
        key = [k.strip() for k in cells[1].split("+")]
        cols = [re.match(r"[a-z_]+", item).group(0) for item in _split_top_level(cells[2])]
        rows[name] = (key, cols, "(required)" in cells[0])
    return rows


def readme_view() -> Contract:
    return {name: key + cols for name, (key, cols, _) in readme_rows().items()}


VIEWS: dict[str, Callable[[], Contract]] = {
    "generator": generator_view,
    "rawcheck": rawcheck_view,
    "readme": readme_view,
}


def disagreements(reference: Contract, optional: dict[str, set[str]], views: dict[str, Contract]) -> list[str]:
    """What each view gets wrong against the reference (the sources): tables, required columns,
    undeclared columns, repeated columns. Empty when they agree."""
    problems: list[str] = []
    for view, tables in views.items():
        if set(tables) != set(reference):
            problems.append(
                f"{view}: tables {sorted(set(tables) - set(reference))} not in the sources, "
                f"{sorted(set(reference) - set(tables))} missing"
            )
        for name in sorted(set(tables) & set(reference)):
            cols = tables[name]
            if cols is None:
                continue
            ref = set(reference[name])
            required = ref - optional.get(name, set())
            if missing := sorted(required - set(cols)):
                problems.append(f"{view}: {name} lacks required column(s) {missing}")
            if extra := sorted(set(cols) - ref):
                problems.append(f"{view}: {name} has column(s) {extra} the sources do not declare")
            if len(cols) != len(set(cols)):
                problems.append(f"{view}: {name} repeats a column")
    return problems


@pytest.fixture(scope="module")
def reference() -> tuple[Contract, dict[str, set[str]]]:
    return sources_view(), optional_columns(sources_tables())


def test_every_statement_of_the_contract_agrees_with_the_sources(reference):
    ref, optional = reference
    views = {name: build() for name, build in VIEWS.items()}
    assert disagreements(ref, optional, views) == []


def test_the_views_are_not_empty(reference):
    # a parser that silently finds nothing would agree with nothing: guard the guards
    ref, _ = reference
    assert len(ref) == 8 and all(len(cols) >= 4 for cols in ref.values())
    assert readme_view().keys() == ref.keys()
    assert sum(len(c) for c in readme_view().values()) == sum(len(c) for c in ref.values())
    assert set(rawcheck_view()) == set(rawcheck.RAW_TABLES)


def test_the_generator_writes_every_column_optional_ones_included(reference):
    # the sample data exercises the whole contract, so the generator leaves nothing out
    ref, _ = reference
    assert {t: set(c) for t, c in generator_view().items()} == {t: set(c) for t, c in ref.items()}


def test_optional_columns_are_the_ones_the_readme_says_may_be_left_out(reference):
    _, optional = reference
    flagged = {(t, c) for t, cols in optional.items() for c in cols}
    assert flagged == {("users", "marketing_consent")}
    users_row = README.read_text(encoding="utf-8").split("\n| users |", 1)[1].split("\n", 1)[0]
    assert "marketing_consent?" in users_row and "may be left out" in users_row


def test_required_table_and_keys_agree_with_the_readme_and_the_checker():
    tables = sources_tables()
    doc = yaml.safe_load(SOURCES_YML.read_text(encoding="utf-8"))
    (live,) = [s for s in doc["sources"] if s["name"] == "live"]
    meta = {t["name"]: t.get("meta") or {} for t in live["tables"]}
    rows = readme_rows()
    assert {t for t, m in meta.items() if m.get("required")} == {t for t, r in rows.items() if r[2]} == {"orders"}
    for name in tables:
        assert meta[name]["key"] == rows[name][0], name
        assert set(meta[name]["key"]) <= set(contract.SCHEMAS[name].names), name
        # the key the header check names (livetier.ingest) is the key the sources declare
        assert list(rawcheck.KEY_COLUMNS[name]) == meta[name]["key"], name
    assert set(rawcheck.KEY_COLUMNS) == set(tables)


def test_generator_types_match_the_checkers_contract_types():
    # the checker's contract types (dec, int) and its typed Parquet columns, both directions
    # for money and integers: a money column the generator writes is read as money, and so on
    arrow_kind = {contract.DEC: "dec", contract.INT: "int"}
    for name, columns in rawcheck.RAW_COLUMNS.items():
        schema = contract.SCHEMAS[name]
        for column, contract_type in columns.items():
            typ = schema.field(column).type
            assert (contract_type if contract_type in ("dec", "int") else None) == arrow_kind.get(typ), (
                name, column, typ)
        # every column the checker reads typed is one the generator writes in a type it reads typed
        rules = {column_name: rule for column_name, rule, _ in rawcheck.view_columns(
            name, "parquet", [[f.name, parquet_kind(f.type)] for f in schema])}
        for column in rawcheck.PARQUET_TYPED_COLUMNS.get(name, ()):
            companion = rules.get(f"{column}__utc") or rules.get(f"{column}__number")
            assert companion not in (None, "utc_missing", "int_missing", "dec_missing"), (name, column, companion)


# ---- the check itself can fail ------------------------------------------------------------


def _without(view: Contract, table: str, column: str) -> Contract:
    return {
        t: ([c for c in cols if c != column] if t == table and cols is not None else cols) for t, cols in view.items()
    }


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_a_required_column_missing_from_a_view_is_reported(reference, view):
    ref, optional = reference
    built = VIEWS[view]()
    if all(cols is None for cols in built.values()):
        pytest.skip(f"{view} names tables only")
    problems = disagreements(ref, optional, {view: _without(built, "orders", "coupon_id")})
    assert problems == [f"{view}: orders lacks required column(s) ['coupon_id']"]


def test_an_optional_column_may_be_missing_but_an_undeclared_one_may_not(reference):
    ref, optional = reference
    gen = generator_view()
    assert disagreements(ref, optional, {"generator": _without(gen, "users", "marketing_consent")}) == []
    extra = {**gen, "users": gen["users"] + ["wechat_id"]}
    assert disagreements(ref, optional, {"generator": extra}) == [
        "generator: users has column(s) ['wechat_id'] the sources do not declare"
    ]


def test_a_table_missing_from_the_checker_is_reported(reference):
    ref, optional = reference
    tables = dict.fromkeys(t for t in rawcheck.RAW_TABLES if t != "refunds")
    assert disagreements(ref, optional, {"rawcheck": tables}) == [
        "rawcheck: tables [] not in the sources, ['refunds'] missing"
    ]


def test_a_required_column_dropped_from_the_sources_is_reported(reference):
    # the reference side too: a column the generator writes but the sources forgot
    ref, optional = reference
    assert disagreements(_without(ref, "refunds", "refunded_at"), optional, {"generator": generator_view()}) == [
        "generator: refunds has column(s) ['refunded_at'] the sources do not declare"
    ]
