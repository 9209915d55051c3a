"""`python -m livetier diff --base REV`: what a change does to the tiers, before it is merged.

Builds the tiers of the base revision (a detached git worktree in a temporary folder, removed
afterwards) and of the working tree on the same raw data, then reports per tier family the
migration matrix, the users who moved and their share of net GMV, three example users per move
with the facts and thresholds of each side (or the reason text of a `user_tier_reasons` mart),
the tier mix against `tier_mix_bounds`, and which seed rows and model files changed.

Cost: only what the tiers need is built (`+user_tiers +user_facts +user_rfm`, models and seeds,
no tests, no quality gate, no publish). The working tree is built first; when the change stays
within models/, macros/ and seeds/, the base starts from a copy of that warehouse and rebuilds
only the nodes dbt's state comparison finds modified, and their children (`state:modified+`
against the working tree's manifest): staging, the largest part, is built once and shared. A
change elsewhere (the Python pre-pass, the dbt project or profile) builds the base in full.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from livetier import PROJECT_ROOT

# the marts the report reads; the optional reasons mart is added when a side has it
TARGET_MODELS = ("user_tiers", "user_facts", "user_rfm")
REASONS_MODEL = "user_tier_reasons"
# a change to one of these can alter what staging reads, so the base is then built on its own
NOT_SHAREABLE = re.compile(r"^(livetier/|dbt_project\.yml$|profiles\.yml$|packages\.yml$|dependencies\.yml$)")
GMV_COLUMN = "net_gmv_365d"
EXAMPLES_PER_MOVE = 3
ABSENT = "(absent)"
# facts shown for a family besides those its CASE block names (rules that live in another model)
EXTRA_FACTS = {
    "value_tier": ("purchases_365d", "watch_days_90d", "interactions_90d"),
    "lifecycle_stage": ("days_since_first_seen", "days_since_last_active", "last_comeback_date"),
    "spend_tier": ("m_value", "m_cume_count", "buyer_count"),
    "rfm_segment": ("recency_days", "f_value", "m_value", "r_score", "f_score", "m_score", "rfm_cell"),
}
EXTRA_THRESHOLDS = {"rfm_segment": ("rfm_window_days", "rfm_score_buckets")}


class DiffError(Exception):
    """Stops the diff; the message is one sentence (or dbt's error lines) for the user."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Side:
    """One revision being built: its source folder, its warehouse and dbt target folder."""

    key: str  # "base" or "work"
    label: str  # shown to the reader
    root: Path
    folder: Path
    seconds: float = 0.0
    prepass_seconds: float = 0.0
    nodes_seconds: float = 0.0  # dbt's own execution time of the models and seeds (run_results)
    models_built: int = 0
    how: str = ""
    # models and seeds the side's project defines: the base's warehouse starts as a copy of the
    # working tree's, so a table only the working tree defines must not be read as the base's
    models: set[str] = field(default_factory=set)

    @property
    def db(self) -> Path:
        # the same file name on both sides: DuckDB names the catalog after it, and the views that
        # the base copies from the working tree's warehouse name that catalog
        return self.folder / "tiers.duckdb"

    @property
    def target(self) -> Path:
        return self.folder / "target"


@dataclass
class Report:
    base_rev: str
    base_sha: str
    raw: str
    as_of_date: str
    users: dict[str, int]
    total_gmv: Decimal
    families: list[dict] = field(default_factory=list)
    seed_changes: list[dict] = field(default_factory=list)
    model_changes: list[dict] = field(default_factory=list)
    cost: dict = field(default_factory=dict)


# ---------------------------------------------------------------- git


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)


def resolve_rev(root: Path, rev: str) -> str:
    if _git(root, "rev-parse", "--git-dir").returncode != 0:
        raise DiffError(f"{root} is not a git repository, so there is no base revision to compare with.")
    found = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if found.returncode != 0 or not found.stdout.strip():
        raise DiffError(f"'{rev}' is not a git revision of {root} (try a branch, tag or commit, e.g. main or HEAD~1).")
    return found.stdout.strip()


def changed_files(root: Path, sha: str) -> list[tuple[str, str]]:
    """(status, path) of every file that differs between `sha` and the working tree, untracked included."""
    diff = _git(root, "diff", "--name-status", "--no-renames", sha, "--")
    rows = [tuple(line.split("\t", 1)) for line in diff.stdout.splitlines() if "\t" in line]
    untracked = _git(root, "ls-files", "--others", "--exclude-standard")
    rows += [("A", path) for path in untracked.stdout.splitlines() if path]
    return sorted({(status[0], path) for status, path in rows}, key=lambda r: r[1])


@contextmanager
def base_worktree(root: Path, sha: str, where: Path) -> Iterator[Path]:
    added = _git(root, "worktree", "add", "--detach", str(where), sha)
    if added.returncode != 0:
        raise DiffError(f"git could not check out {sha[:10]} into {where}: {added.stderr.strip().splitlines()[-1]}")
    try:
        yield where
    finally:
        _git(root, "worktree", "remove", "--force", str(where))
        _git(root, "worktree", "prune")


# ---------------------------------------------------------------- building one side

ANSI = re.compile(r"\x1b\[[0-9;]*m")
LOG_TIME = re.compile(r"^\d\d:\d\d:\d\d\s+")


def dbt_error_lines(output: str) -> list[str]:
    """The lines of dbt's output that say what failed (its closing summary, or the error itself)."""
    lines = [LOG_TIME.sub("", ANSI.sub("", line)).rstrip() for line in output.splitlines()]
    for i, line in enumerate(lines):
        if line.startswith("Completed with"):
            tail = [x for x in lines[i + 1:] if x.strip() and not x.startswith("Done. PASS=")]
            return tail[:30] or [line]
    hits = [x for x in lines if re.search(r"error", x, re.IGNORECASE) and x.strip()]
    return hits[:30] or [x for x in lines if x.strip()][-10:]


def _dbt() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def _targets(root: Path) -> list[str]:
    models = [m for m in (*TARGET_MODELS, REASONS_MODEL) if any((root / "models").rglob(f"{m}.sql"))]
    return [f"+{m}" for m in models]


def build_side(side: Side, raw: Path, env: dict[str, str], state: Path | None) -> None:
    """Pre-pass (the side's own code) and a dbt build of what the tiers need; raises DiffError."""
    started = time.perf_counter()
    side.folder.mkdir(parents=True, exist_ok=True)
    prepass = subprocess.run([sys.executable, "-m", "livetier.ingest", str(raw), str(side.db)],
                             cwd=side.root, env=env, capture_output=True, text=True)
    side.prepass_seconds = time.perf_counter() - started
    if prepass.returncode != 0:
        said = (prepass.stderr.strip() or prepass.stdout.strip()).splitlines() or ["error: the raw pre-pass failed"]
        if side.key == "work":  # bad raw input or settings: the pre-pass's own sentence
            raise DiffError(said[-1].removeprefix("error: "), 2)
        raise _side_failed(side, said[-3:], 1, "its raw pre-pass")
    selectors = _targets(side.root)
    if state is not None:
        selectors = [f"state:modified+,{s}" for s in selectors]
    args = [_dbt(), "build", "--select", *selectors, "--resource-type", "model", "--resource-type", "seed",
            "--full-refresh", "--target-path", str(side.target), "--log-path", str(side.folder / "logs"),
            "--project-dir", str(side.root), "--profiles-dir", str(side.root), "--no-use-colors"]
    if state is not None:
        args += ["--state", str(state)]
    done = subprocess.run(args, cwd=side.root, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise _side_failed(side, dbt_error_lines(done.stdout + "\n" + done.stderr), 1, "dbt")
    side.models_built, side.nodes_seconds = _nodes_run(side.target)
    side.models = defined_models(side.target)
    side.seconds = time.perf_counter() - started


def hook_macro_files(target: Path) -> set[str]:
    """Files of the macros the on-run-start/-end hooks reach (with every dispatch variant): a change
    there alters the raw views staging reads, which dbt's state comparison does not see."""
    manifest = json.loads((target / "manifest.json").read_text())
    macros = manifest.get("macros", {})
    todo = [m for key, node in manifest.get("nodes", {}).items() if key.startswith("operation.")
            for m in node.get("depends_on", {}).get("macros", [])]
    seen: set[str] = set()
    while todo:
        current = todo.pop()
        if current in seen or current not in macros:
            continue
        seen.add(current)
        todo += macros[current].get("depends_on", {}).get("macros", [])
        base_name = macros[current]["name"].split("__")[-1]
        todo += [key for key, macro in macros.items() if macro["name"].split("__")[-1] == base_name]
    return {macros[key]["original_file_path"] for key in seen}


def defined_models(target: Path) -> set[str]:
    """Names of the models and seeds a side's project defines (its manifest)."""
    try:
        manifest = json.loads((target / "manifest.json").read_text())
    except (OSError, ValueError):
        return set()
    return {node["name"] for node in manifest.get("nodes", {}).values()
            if node.get("resource_type") in ("model", "seed")}


def _nodes_run(target: Path) -> tuple[int, float]:
    """How many nodes dbt ran and the sum of their execution times."""
    try:
        results = json.loads((target / "run_results.json").read_text())["results"]
    except (OSError, ValueError, KeyError):
        return 0, 0.0
    return len(results), sum(float(r.get("execution_time") or 0) for r in results)


def _side_failed(side: Side, lines: list[str], code: int, who: str) -> DiffError:
    body = "\n".join(f"    {line}" for line in lines)
    return DiffError(f"the {side.label} does not build; {who} said:\n{body}", code)


# ---------------------------------------------------------------- reading the warehouses


def _relation(con: duckdb.DuckDBPyConnection, catalog: str, name: str, defined: set[str]) -> str | None:
    if name not in defined:
        return None
    rows = con.execute(
        "select table_schema from information_schema.tables where table_catalog = ? and table_name = ? "
        "order by table_schema = 'segmentation' desc, table_schema", [catalog, name]).fetchall()
    return f'"{catalog}"."{rows[0][0]}"."{name}"' if rows else None


def _columns(con: duckdb.DuckDBPyConnection, relation: str | None) -> list[str]:
    if relation is None:
        return []
    return [r[0] for r in con.execute(f"select * from {relation} limit 0").description]


def tier_families(root: Path) -> list[str]:
    """Families in display order: macros/tier_families.sql, then any other family of tier_labels."""
    families: list[str] = []
    macro = root / "macros" / "tier_families.sql"
    if macro.exists():
        found = re.search(r"return\(\s*\[([^\]]*)\]", macro.read_text(encoding="utf-8"))
        if found:
            families += re.findall(r"'(\w+)'", found.group(1))
    for row in _read_csv(root / "seeds" / "tier_labels.csv")[1]:
        if row.get("family") and row["family"] not in families:
            families.append(row["family"])
    return families


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not path.exists():
        return [], []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def thresholds_at(root: Path, as_of: str) -> dict[str, str]:
    """threshold_name -> value of seeds/seg_thresholds.csv, the row valid on `as_of` where rows are dated."""
    _, rows = _read_csv(root / "seeds" / "seg_thresholds.csv")
    chosen: dict[str, tuple[str, str]] = {}
    for row in rows:
        since = (row.get("valid_from") or "").strip()
        if since and since > as_of:
            continue
        name = row.get("threshold_name", "")
        if name not in chosen or since >= chosen[name][0]:
            chosen[name] = (since, row.get("threshold_value", ""))
    return {name: _plain(value) for name, (_, value) in chosen.items()}


def _plain(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, (Decimal, float)):
        text = format(Decimal(str(value)).normalize(), "f")
        return text
    text = str(value)
    if re.fullmatch(r"-?\d+\.\d*", text):
        text = text.rstrip("0").rstrip(".")
    return text


def rule_inputs(root: Path, family: str) -> tuple[set[str], set[str]]:
    """(threshold names, identifiers) used by the CASE block that assigns `family` in the side's models."""
    names: set[str] = set()
    words: set[str] = set()
    for path in sorted((root / "models").rglob("*.sql")):
        text = path.read_text(encoding="utf-8").lower()
        for match in re.finditer(rf"\bend\s+as\s+{re.escape(family)}\b", text):
            depth, start = 0, None
            tokens = list(re.finditer(r"\bcase\b|\bend\b", text[: match.start() + 3]))
            for token in reversed(tokens):
                depth += 1 if token.group() == "end" else -1
                if depth == 0:
                    start = token.start()
                    break
            if start is None:
                continue
            block = text[start: match.end()]
            names |= set(re.findall(r"threshold\(\s*'(\w+)'\s*\)", block))
            words |= set(re.findall(r"\b[a-z_][a-z0-9_]*\b", re.sub(r"threshold\([^)]*\)", "", block)))
    return names, words


def _reasons(con: duckdb.DuckDBPyConnection, side: Side, family: str, user_ids: list[str]) -> dict[str, str] | None:
    """The reason text per user for `family`, from a user_tier_reasons mart or reason columns of user_tiers."""
    if not user_ids:
        return {}
    mart = _relation(con, side.key, REASONS_MODEL, side.models)
    columns = _columns(con, mart)
    family_column = next((c for c in ("tier_family", "family") if c in columns), None)
    if mart and family_column and "user_id" in columns:
        texts = [c for c in columns if "reason" in c.lower() and c != family_column]
        if texts:
            parts = " || ' ' || ".join(f"coalesce(cast({c} as varchar), '')" for c in texts)
            rows = con.execute(
                f"select user_id, string_agg(trim({parts}), '; ' order by {', '.join(columns)}) from {mart} "
                f"where {family_column} = ? and user_id in (select unnest(?)) group by user_id",
                [family, user_ids]).fetchall()
            return {r[0]: r[1] for r in rows}
    for relation in (mart, _relation(con, side.key, "user_tiers", side.models)):
        wide = [c for c in _columns(con, relation) if c.lower().startswith(family) and "reason" in c.lower()]
        if relation and wide:
            rows = con.execute(f"select user_id, {', '.join(wide)} from {relation} "
                               "where user_id in (select unnest(?))", [user_ids]).fetchall()
            return {r[0]: "; ".join(f"{_plain(v)}" for v in r[1:] if v is not None) for r in rows}
    return None


# ---------------------------------------------------------------- the comparison


def compare(con: duckdb.DuckDBPyConnection, base: Side, work: Side, report: Report) -> None:
    rel = {side.key: {m: _relation(con, side.key, m, side.models) for m in TARGET_MODELS} for side in (base, work)}
    for side in (base, work):
        if rel[side.key]["user_tiers"] is None:
            raise DiffError(f"the {side.label} built no user_tiers table, so there are no tiers to compare.", 1)
    cols = {key: _columns(con, rel[key]["user_tiers"]) for key in rel}
    families = [f for f in dict.fromkeys(tier_families(work.root) + tier_families(base.root))
                if f in cols["base"] or f in cols["work"]]
    for key in rel:
        selected = ", ".join(f"cast({f} as varchar) as {f}" if f in cols[key] else f"null::varchar as {f}"
                             for f in families)
        con.execute(f"create temp view {key}_tiers as select cast(user_id as varchar) as user_id, {selected} "
                    f"from {rel[key]['user_tiers']}")
        facts = rel[key]["user_facts"]
        gmv = f"cast({GMV_COLUMN} as decimal(18, 2))" if GMV_COLUMN in _columns(con, facts) else "0"
        con.execute(f"create temp view {key}_gmv as select cast(user_id as varchar) as user_id, {gmv} as gmv "
                    f"from {facts}" if facts else f"create temp view {key}_gmv as select ''::varchar as user_id, "
                    "0::decimal(18, 2) as gmv where false")
    con.execute(
        "create temp table paired as select coalesce(w.user_id, b.user_id) as user_id, "
        + ", ".join(f"b.{f} as base_{f}, w.{f} as work_{f}" for f in families)
        + ", coalesce(wg.gmv, bg.gmv, 0) as gmv from base_tiers as b full join work_tiers as w using (user_id) "
        "left join work_gmv as wg on wg.user_id = coalesce(w.user_id, b.user_id) "
        "left join base_gmv as bg on bg.user_id = coalesce(w.user_id, b.user_id)")
    report.users = {key: con.execute(f"select count(*) from {key}_tiers").fetchone()[0] for key in rel}
    report.total_gmv = con.execute("select coalesce(sum(gmv), 0) from work_gmv").fetchone()[0] or Decimal(0)
    report.as_of_date = str(con.execute(
        f"select max(as_of_date) from {rel['work']['user_tiers']}").fetchone()[0]
        if "as_of_date" in cols["work"] else "")
    thresholds = {side.key: thresholds_at(side.root, report.as_of_date) for side in (base, work)}
    for family in families:
        report.families.append(_family(con, family, base, work, rel, thresholds, report))


def _family(con, family: str, base: Side, work: Side, rel: dict, thresholds: dict, report: Report) -> dict:
    pairs = con.execute(
        f"select coalesce(base_{family}, ?) as from_tier, coalesce(work_{family}, ?) as to_tier, "
        "count(*) as users, sum(gmv) as gmv from paired group by 1, 2 order by 1, 2", [ABSENT, ABSENT]).fetchall()
    matrix = [{"family": family, "from_tier": f, "to_tier": t, "users": n,
               "net_gmv_365d": g if g is not None else Decimal("0.00")} for f, t, n, g in pairs]
    moves = [m for m in matrix if m["from_tier"] != m["to_tier"]]
    moved_users = sum(m["users"] for m in moves)
    moved_gmv = sum((m["net_gmv_365d"] for m in moves), Decimal(0))
    order = _tier_order(family, base, work)
    mix = _mix(con, family, base, work, order)
    examples = []
    if moves:
        names, words = set(EXTRA_THRESHOLDS.get(family, ())), set()
        for side in (base, work):
            side_names, side_words = rule_inputs(side.root, family)
            names |= side_names
            words |= side_words
        changed = {n for n in set(thresholds["base"]) | set(thresholds["work"])
                   if thresholds["base"].get(n) != thresholds["work"].get(n)}
        if not names:  # a family whose rule this reader cannot find: show what changed
            names = changed
        shown_thresholds = [(n, thresholds["base"].get(n, ABSENT), thresholds["work"].get(n, ABSENT))
                            for n in sorted(names, key=lambda n: (n not in changed, n))]
        for move in sorted(moves, key=lambda m: (-m["users"], m["from_tier"], m["to_tier"])):
            users = [r[0] for r in con.execute(
                f"select user_id from paired where coalesce(base_{family}, ?) = ? and coalesce(work_{family}, ?) = ? "
                f"order by gmv desc, user_id limit {EXAMPLES_PER_MOVE}",
                [ABSENT, move["from_tier"], ABSENT, move["to_tier"]]).fetchall()]
            examples.append({"from_tier": move["from_tier"], "to_tier": move["to_tier"],
                             "users": _example_users(con, family, users, base, work, rel, words),
                             "thresholds": [{"name": n, "base": b, "working": w} for n, b, w in shown_thresholds]})
    return {"family": family, "matrix": matrix, "moved_users": moved_users, "moved_net_gmv_365d": moved_gmv,
            "moved_share_of_net_gmv": (moved_gmv / report.total_gmv) if report.total_gmv else None,
            "tiers": order, "mix": mix, "examples": examples}


def _example_users(con, family: str, users: list[str], base: Side, work: Side, rel: dict, words: set[str]) -> list:
    out = []
    facts: dict[str, dict[str, dict]] = {}
    reasons: dict[str, dict[str, str] | None] = {}
    for side in (base, work):
        reasons[side.key] = _reasons(con, side, family, users)
        facts[side.key] = {}
        for model in ("user_facts", "user_rfm"):
            relation = rel[side.key][model]
            wanted = [c for c in _columns(con, relation) if c != "user_id" and c != "as_of_date"
                      and (c in words or c in EXTRA_FACTS.get(family, ()))]
            if not wanted:
                continue
            for row in con.execute(f"select cast(user_id as varchar), {', '.join(wanted)} from {relation} "
                                   "where cast(user_id as varchar) in (select unnest(?))", [users]).fetchall():
                facts[side.key].setdefault(row[0], {}).update(
                    {c: _plain(v) for c, v in zip(wanted, row[1:], strict=True)})
    gmv = dict(con.execute("select user_id, gmv from paired where user_id in (select unnest(?))", [users]).fetchall())
    for user in users:
        entry = {"user_id": user, "net_gmv_365d": gmv.get(user, Decimal(0))}
        for side in (base, work):
            side_reasons = reasons[side.key]
            if side_reasons is not None:
                entry[f"{side.key}_reason"] = side_reasons.get(user, "")
            entry[f"{side.key}_facts"] = facts[side.key].get(user, {})
        out.append(entry)
    return out


def _tier_order(family: str, base: Side, work: Side) -> list[str]:
    order: list[str] = []
    for side in (work, base):
        rows = [r for r in _read_csv(side.root / "seeds" / "tier_labels.csv")[1] if r.get("family") == family]
        for row in sorted(rows, key=lambda r: int(r.get("sort_order") or 0)):
            if row["tier_code"] not in order:
                order.append(row["tier_code"])
    return order


def _mix(con, family: str, base: Side, work: Side, order: list[str]) -> list[dict]:
    sizes = {}
    for key in ("base", "work"):
        total = con.execute(f"select count(*) from {key}_tiers").fetchone()[0] or 1
        for tier, users in con.execute(
                f"select {family}, count(*) from {key}_tiers where {family} is not null group by 1").fetchall():
            sizes.setdefault(tier, {})[key] = (users, Decimal(users) / Decimal(total))
    bounds = {}
    for side in (base, work):
        for row in _read_csv(side.root / "seeds" / "tier_mix_bounds.csv")[1]:
            if row.get("family") == family:
                bounds.setdefault(row.get("tier"), {})[side.key] = (
                    Decimal(row["min_share"]), Decimal(row["max_share"]))
    tiers = [t for t in order if t in sizes] + sorted(t for t in sizes if t not in order)
    mix = []
    for tier in tiers:
        row = {"tier": tier}
        for key in ("base", "work"):
            users, share = sizes[tier].get(key, (0, Decimal(0)))
            bound = bounds.get(tier, {}).get(key)
            row[key] = {"users": users, "share": share, "min_share": bound[0] if bound else None,
                        "max_share": bound[1] if bound else None,
                        "within": None if bound is None else bound[0] <= share <= bound[1]}
        mix.append(row)
    return mix


# ---------------------------------------------------------------- what changed


def seed_row_changes(base_root: Path, work_root: Path, files: list[tuple[str, str]]) -> list[dict]:
    """Row-level differences of the seeds/*.csv that changed, keyed by the seed's first column(s)."""
    out = []
    for _, path in files:
        if not (path.startswith("seeds/") and path.endswith(".csv")):
            continue
        base_cols, base_rows = _read_csv(base_root / path)
        work_cols, work_rows = _read_csv(work_root / path)
        entry: dict = {"seed": path, "columns_added": [c for c in work_cols if c not in base_cols],
                       "columns_removed": [c for c in base_cols if c not in work_cols],
                       "added": [], "removed": [], "changed": []}
        common = [c for c in work_cols if c in base_cols]
        key = _seed_key(common or work_cols or base_cols, base_rows, work_rows)
        base_by = {tuple(r.get(c, "") for c in key): r for r in base_rows}
        work_by = {tuple(r.get(c, "") for c in key): r for r in work_rows}
        for k, row in work_by.items():
            if k not in base_by:
                entry["added"].append(row)
                continue
            diffs = {c: (base_by[k].get(c, ""), row.get(c, "")) for c in common
                     if base_by[k].get(c, "") != row.get(c, "")}
            if diffs:
                entry["changed"].append({"key": dict(zip(key, k, strict=True)), "columns": diffs})
        entry["removed"] = [row for k, row in base_by.items() if k not in work_by]
        entry["key"] = key
        out.append(entry)
    return out


def _seed_key(columns: list[str], *sides: list[dict[str, str]]) -> list[str]:
    candidates = [c for c in columns if c != "comment"]
    preferred = [c for c in candidates if c == "valid_from"]
    key: list[str] = []
    for column in candidates[:1] + preferred + candidates[1:]:
        if column in key:
            continue
        key.append(column)
        if all(len({tuple(r.get(c, "") for c in key) for r in rows}) == len(rows) for rows in sides):
            return key
    return key


# ---------------------------------------------------------------- output


def _pct(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _facts_text(facts: dict[str, str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in facts.items()) or "no facts"


def render_markdown(report: Report) -> str:
    lines = [f"## Tier diff: `{report.base_rev}` ({report.base_sha[:10]}) → working tree", ""]
    lines.append(f"Raw data `{report.raw}`, as of {report.as_of_date}; users: base {report.users['base']:,}, "
                 f"working tree {report.users['work']:,}. Net GMV is `net_gmv_365d` of the working tree's "
                 f"`user_facts` (total {_money(report.total_gmv)}).")
    lines += ["", "### What changed", ""]
    if not report.seed_changes and not report.model_changes:
        lines.append("No seed, model or macro differs from the base.")
    for seed in report.seed_changes:
        lines.append(f"- `{seed['seed']}` (rows keyed by {', '.join(seed['key'])}):")
        for column in seed["columns_added"]:
            lines.append(f"  - column `{column}` added")
        for column in seed["columns_removed"]:
            lines.append(f"  - column `{column}` removed")
        for change in seed["changed"]:
            key = ", ".join(change["key"].values())
            diffs = "; ".join(f"{c} {b} → {w}" for c, (b, w) in change["columns"].items())
            lines.append(f"  - `{key}`: {diffs}")
        for row in seed["added"]:
            lines.append(f"  - added: {_row_text(row)}")
        for row in seed["removed"]:
            lines.append(f"  - removed: {_row_text(row)}")
        if not any(seed[k] for k in ("columns_added", "columns_removed", "changed", "added", "removed")):
            lines.append("  - no row differs (formatting only)")
    if report.model_changes:
        status = {"M": "modified", "A": "added", "D": "deleted"}
        lines.append("- models and macros: " + ", ".join(
            f"`{c['path']}` ({status.get(c['status'], c['status'])})" for c in report.model_changes))
    elif report.seed_changes:
        lines.append("- models and macros: none")
    for fam in report.families:
        lines += ["", _family_heading(fam, report)]
        if not fam["moved_users"]:
            continue
        lines += [""] + _matrix_table(fam) + [""] + _mix_table(fam) + ["", "Examples (top net GMV per move):", ""]
        for example in fam["examples"]:
            lines.append(f"- **{example['from_tier']} → {example['to_tier']}**")
            for user in example["users"]:
                lines.append(f"  - `{user['user_id']}` (net GMV {_money(user['net_gmv_365d'])}): " + _user_text(user))
            changed = [t for t in example["thresholds"] if t["base"] != t["working"]]
            same = [t for t in example["thresholds"] if t["base"] == t["working"]]
            text = ", ".join(f"{t['name']} {t['base']} → {t['working']}" for t in changed)
            if same:
                text += ("; unchanged: " if text else "") + ", ".join(f"{t['name']} {t['base']}" for t in same)
            lines.append(f"  - thresholds: {text or 'none found'}")
    cost = report.cost
    if cost:
        lines += ["", f"<sub>Built in {cost['total_seconds']:.0f} s: working tree {cost['work_seconds']:.0f} s "
                  f"({cost['work_nodes']} models and seeds), base {cost['base_seconds']:.0f} s "
                  f"({cost['base_nodes']} models and seeds, {cost['base_how']}).</sub>"]
    return "\n".join(lines) + "\n"


def _row_text(row: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in row.items() if k != "comment")


def _family_heading(fam: dict, report: Report) -> str:
    if not fam["moved_users"]:
        return f"### {fam['family']}: no user moved"
    total = max(report.users["work"], report.users["base"], 1)
    users = "user" if fam["moved_users"] == 1 else "users"
    return (f"### {fam['family']}: {fam['moved_users']:,} {users} moved ({_pct(Decimal(fam['moved_users']) / total)} "
            f"of users), {_money(fam['moved_net_gmv_365d'])} net GMV ({_pct(fam['moved_share_of_net_gmv'])})")


def _matrix_table(fam: dict) -> list[str]:
    tiers = list(dict.fromkeys(fam["tiers"] + [m["from_tier"] for m in fam["matrix"]]
                               + [m["to_tier"] for m in fam["matrix"]]))
    present_from = {m["from_tier"] for m in fam["matrix"]}
    present_to = {m["to_tier"] for m in fam["matrix"]}
    cells = {(m["from_tier"], m["to_tier"]): m["users"] for m in fam["matrix"]}
    to_tiers = [t for t in tiers if t in present_to]
    lines = ["| base ↓ / working → | " + " | ".join(to_tiers) + " |", "|---|" + "---:|" * len(to_tiers)]
    for source in (t for t in tiers if t in present_from):
        row = []
        for dest in to_tiers:
            n = cells.get((source, dest), 0)
            row.append("" if n == 0 else (f"{n:,}" if source == dest else f"**{n:,}**"))
        lines.append(f"| {source} | " + " | ".join(row) + " |")
    return lines


def _mix_table(fam: dict) -> list[str]:
    lines = ["| tier | base users | base share | working users | working share | bounds (working) |",
             "|---|---:|---:|---:|---:|---|"]
    for row in fam["mix"]:
        base, work = row["base"], row["work"]
        if work["min_share"] is None:
            bound = "no bound"
        else:
            flag = "ok" if work["within"] else "**outside**"
            bound = f"{work['min_share']}-{work['max_share']} {flag}"
            if base["within"] is not None and base["within"] != work["within"]:
                bound += " (base: " + ("ok" if base["within"] else "outside") + ")"
        lines.append(f"| {row['tier']} | {base['users']:,} | {_pct(base['share'])} | {work['users']:,} | "
                     f"{_pct(work['share'])} | {bound} |")
    return lines


def _user_text(user: dict) -> str:
    """The reason (where a side has a reasons mart) or the deciding facts of each side, once when equal."""
    sides = {}
    for key, name in (("base", "base"), ("work", "working")):
        if f"{key}_reason" in user:
            sides[name] = f"reason: {user[f'{key}_reason'] or 'no reason row'}"
        else:
            sides[name] = _facts_text(user[f"{key}_facts"])
    if sides["base"] == sides["working"]:
        return f"{sides['base']} (same on both sides)"
    return "; ".join(f"{name}: {text}" for name, text in sides.items())


def _jsonable(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def write_outputs(report: Report, markdown: str, out: Path, movers: list[tuple]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "tier_diff.md").write_text(markdown, encoding="utf-8")
    with (out / "tier_diff.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["family", "from_tier", "to_tier", "users", "net_gmv_365d"])
        for fam in report.families:
            for m in fam["matrix"]:
                writer.writerow([fam["family"], m["from_tier"], m["to_tier"], m["users"], m["net_gmv_365d"]])
    with (out / "tier_diff_users.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["family", "user_id", "from_tier", "to_tier", "net_gmv_365d"])
        writer.writerows(movers)
    payload = {"base_rev": report.base_rev, "base_sha": report.base_sha, "raw": report.raw,
               "as_of_date": report.as_of_date, "users": report.users, "total_net_gmv_365d": report.total_gmv,
               "seed_changes": report.seed_changes, "model_changes": report.model_changes,
               "families": report.families, "cost": report.cost}
    (out / "tier_diff.json").write_text(json.dumps(_jsonable(payload), indent=1, ensure_ascii=False) + "\n",
                                        encoding="utf-8")


def _movers(con, report: Report) -> list[tuple]:
    rows = []
    for fam in report.families:
        f = fam["family"]
        rows += [(f, *r) for r in con.execute(
            f"select user_id, coalesce(base_{f}, ?), coalesce(work_{f}, ?), gmv from paired "
            f"where base_{f} is distinct from work_{f} order by user_id", [ABSENT, ABSENT]).fetchall()]
    return rows


# ---------------------------------------------------------------- the command


def run_diff(rev: str, raw: Path, out: Path | None, root: Path = PROJECT_ROOT, full_base: bool = False) -> int:
    from livetier.settings import SettingsError, validated_env

    sha = resolve_rev(root, rev)
    env = {**os.environ, "RAW_PATH": str(raw), "DBT_TARGET": "duckdb", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    # both sides run on one clock and one personal-data key (user ids are not hashed; this keeps
    # every hashed column comparable too); a throwaway key when none is configured
    if not env.get("BUILD_CLOCK", "").strip():
        env["BUILD_CLOCK"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if not env.get("LIVETIER_PII_KEY", "").strip() and not env.get("LIVETIER_PII_KEY_FILE", "").strip():
        env["LIVETIER_PII_KEY"] = secrets.token_hex(32)
    try:
        env.update(validated_env(env))
    except SettingsError as err:
        raise DiffError(str(err)) from None
    changes = changed_files(root, sha)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="livetier-diff-") as tmp:
        folder = Path(tmp)
        work = Side("work", "working tree", root, folder / "work")
        with base_worktree(root, sha, folder / "base-src") as base_root:
            base = Side("base", f"base revision {rev} ({sha[:10]})", base_root, folder / "base")
            _say(f"building the working tree's tiers on {raw} ...")
            build_side(work, raw, {**env, "DUCKDB_PATH": str(work.db)}, None)
            _say(_done(work))
            base.folder.mkdir(parents=True)
            why_full = _why_full_base(changes, work.target, full_base)
            if why_full is None:
                shutil.copyfile(work.db, base.db)
                base.how = "only what changed, on a copy of the working tree's warehouse"
                _say(f"building the base's tiers ({sha[:10]}): only what differs from the working tree ...")
                build_side(base, raw, {**env, "DUCKDB_PATH": str(base.db)}, work.target)
            else:
                base.how = f"in full: {why_full}"
                _say(f"building the base's tiers ({sha[:10]}) {base.how} ...")
                build_side(base, raw, {**env, "DUCKDB_PATH": str(base.db)}, None)
            _say(_done(base))
            report = Report(rev, sha, str(raw), "", {}, Decimal(0))
            report.seed_changes = seed_row_changes(base_root, root, changes)
            report.model_changes = [{"status": s, "path": p} for s, p in changes
                                    if p.startswith(("models/", "macros/"))]
            con = duckdb.connect()
            try:
                for side in (base, work):
                    con.execute(f"attach '{side.db}' as {side.key} (read_only)")
                compare(con, base, work, report)
                movers = _movers(con, report)
            except duckdb.Error as err:
                first = (str(err).strip().splitlines() or [type(err).__name__])[0]
                raise DiffError(f"the two warehouses could not be compared: {first}", 1) from None
            finally:
                con.close()
    report.cost = {"total_seconds": time.perf_counter() - started, "base_how": base.how}
    for side in (work, base):
        report.cost |= {f"{side.key}_seconds": side.seconds, f"{side.key}_nodes": side.models_built,
                        f"{side.key}_prepass_seconds": side.prepass_seconds,
                        f"{side.key}_nodes_seconds": side.nodes_seconds}
    markdown = render_markdown(report)
    sys.stdout.write(markdown)
    if out is not None:
        write_outputs(report, markdown, out, movers)
        _say(f"wrote {out / 'tier_diff.md'}, tier_diff.csv, tier_diff_users.csv and tier_diff.json")
    return 0


def _why_full_base(changes: list[tuple[str, str]], work_target: Path, full_base: bool) -> str | None:
    """Why the base cannot start from the working tree's warehouse, or None when it can."""
    if full_base:
        return "--full-base"
    hooks = hook_macro_files(work_target)
    for _, path in changes:
        if NOT_SHAREABLE.match(path):
            return f"{path} differs (the pre-pass or the dbt project)"
        if path in hooks or re.search(r"sources?\.ya?ml$", path):
            return f"{path} differs (it shapes the raw views staging reads)"
    return None


def _done(side: Side) -> str:
    return (f"  done in {side.seconds:.0f} s: pre-pass {side.prepass_seconds:.0f} s, {side.models_built} models "
            f"and seeds run for {side.nodes_seconds:.0f} s, the rest is dbt's start, parse and hooks")


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="livetier diff", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="git revision to compare the working tree with")
    parser.add_argument("--raw", help="raw folder (default: RAW_PATH, else the sample data)")
    parser.add_argument("--out", help="folder for tier_diff.md, tier_diff.csv, tier_diff_users.csv, tier_diff.json")
    parser.add_argument("--full-base", action="store_true",
                        help="build the base on its own instead of rebuilding only what changed (slower; a check)")
    ns = parser.parse_args(argv)
    from livetier.cli import DEFAULT_RAW, ensure_sample_data

    raw = Path(ns.raw or os.environ.get("RAW_PATH", "").strip() or DEFAULT_RAW)
    if not ns.raw and not os.environ.get("RAW_PATH", "").strip():
        ensure_sample_data(raw)
    try:
        return run_diff(ns.base, raw.resolve(), Path(ns.out) if ns.out else None, full_base=ns.full_base)
    except DiffError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.code
