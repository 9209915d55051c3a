"""Great Expectations checkpoint over the public marts: `python -m livetier.quality --db PATH`.

GX has no working DuckDB datasource (see engineering facts), so each mart is read with DuckDB into
pandas and validated through GX's pandas route, one checkpoint per mart, with an ephemeral (in-memory)
context: nothing but the static Data Docs is written, by default to gx/uncommitted/data_docs/local_site/
(gitignored).

Two severities. Structural expectations (keys, accepted values, reconciliations between marts) fail
the gate. Distribution expectations (the tier mix against seeds/tier_mix_bounds.csv, the balance of
the RFM scores against seeds/score_balance_bounds.csv) only warn, naming the bound and by how much
it is exceeded: bounds tuned to the sample data must not fail a new user's first run on a real
export. Exit code 0 when no structural expectation fails (and, with `strict`, no warning), else 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from livetier import PROJECT_ROOT
from livetier.publish import PUBLIC_SCHEMAS, set_search_path

DEFAULT_DOCS_DIR = PROJECT_ROOT / "gx" / "uncommitted" / "data_docs" / "local_site"
BOUNDS_CSV = PROJECT_ROOT / "seeds" / "tier_mix_bounds.csv"
SCORE_BOUNDS_CSV = PROJECT_ROOT / "seeds" / "score_balance_bounds.csv"
# Where the marts and seeds live (see livetier.publish); `main` for databases built before the move.
SEARCH_PATH = (*PUBLIC_SCHEMAS, "main")
MARTS = ("user_facts", "user_rfm", "user_tiers", "user_tags")
TIER_SETS: dict[str, list[str]] = {
    "value_tier": ["core_fan", "potential", "new_visitor", "regular", "casual"],
    "lifecycle_stage": ["new", "reactivated", "active", "silent", "churned"],
    "spend_tier": ["high", "mid", "low", "none"],
}
RFM_SEGMENTS = [
    f"{a}_{b}" for a in ("important", "general") for b in ("value", "develop", "retain", "winback")
]
TIER_SETS["rfm_segment"] = [*RFM_SEGMENTS, "non_buyer"]
ISO_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?")
MIX = "user_tiers_mix"  # derived frame: one 0/1 column per family=tier, its mean is the tier's share
SCORES = "user_rfm_scores"  # derived frame: one 0/1 column per score=value, its mean is the value's share


@dataclass(frozen=True)
class Check:
    """One expectation, the columns it needs and whether they are part of the mart contract."""

    expectation: Any  # a great_expectations.expectations.Expectation
    columns: tuple[str, ...] = ()
    required: bool = False
    label: str = ""  # how the report names it, after the mart ("value_tier", "a>=b"); "" = table level

    def __post_init__(self) -> None:  # the label travels with the expectation into its result
        self.expectation.meta = {**(self.expectation.meta or {}), "label": self.label}


@dataclass
class Report:
    failed: int = 0
    warned: int = 0
    evaluated: int = 0

    def say(self, line: str) -> None:
        print(line, flush=True)


def _gx() -> tuple[Any, Any]:
    """Imports GX lazily (3 s) with analytics off; returns (gx, gx.expectations)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    with warnings.catch_warnings():  # GX imports pyspark when installed; its pandas-3 notice is not ours
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"pyspark\.")
        import great_expectations as gx
        import great_expectations.expectations as gxe

    return gx, gxe


# ---- the suites -------------------------------------------------------------------------------


def _key(gxe: Any, column: str = "user_id") -> list[Check]:
    return [
        Check(gxe.ExpectColumnValuesToNotBeNull(column=column), (column,), True, column),
        Check(gxe.ExpectColumnValuesToBeUnique(column=column), (column,), True, column),
    ]


def _between(gxe: Any, column: str, lo: float | None = None, hi: float | None = None,
             strict_min: bool = False, required: bool = False) -> Check:
    exp = gxe.ExpectColumnValuesToBeBetween(column=column, min_value=lo, max_value=hi, strict_min=strict_min)
    return Check(exp, (column,), required, column)


def _not_null(gxe: Any, column: str, required: bool = False) -> Check:
    return Check(gxe.ExpectColumnValuesToNotBeNull(column=column), (column,), required, column)


def _in_set(gxe: Any, column: str, values: Sequence[Any], required: bool = True) -> list[Check]:
    return [
        _not_null(gxe, column, required),
        Check(gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values)), (column,), required, column),
    ]


def _at_least(gxe: Any, big: str, small: str, required: bool = False) -> Check:
    """big >= small on every row where both are known."""
    exp = gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=big, column_B=small, or_equal=True, ignore_row_if="either_value_is_missing"
    )
    return Check(exp, (big, small), required, f"{big}>={small}")


def _row_count(gxe: Any, value: int, why: str) -> Check:
    return Check(gxe.ExpectTableRowCountToEqual(value=value, meta={"why": why}))


def _user_facts(gxe: Any, frames: dict[str, pd.DataFrame]) -> list[Check]:
    checks = _key(gxe)
    windows = {"watch_days": (7, 30, 90), "watch_seconds": (7, 30, 90), "interactions": (30, 90),
               "purchases": (30, 90, 365), "net_gmv": (30, 90, 365)}
    for stem, days in windows.items():
        cols = [f"{stem}_{n}d" for n in days]
        for col, n in zip(cols, days, strict=True):  # at most n watch days in n days
            checks += [_not_null(gxe, col), _between(gxe, col, 0, n if stem == "watch_days" else None)]
        checks += [_at_least(gxe, big, small) for small, big in zip(cols, cols[1:], strict=False)]
    for col in ("lifetime_purchases", "lifetime_net_gmv"):
        checks += [_not_null(gxe, col), _between(gxe, col, 0)]
    for col in ("days_since_first_seen", "days_since_last_active", "recency_days", "frequency", "recency",
                "monetary_value"):
        checks.append(_between(gxe, col, 0))
    checks += [
        _at_least(gxe, "lifetime_purchases", "purchases_365d"),
        _at_least(gxe, "last_purchase_date", "first_purchase_date"),
        _at_least(gxe, "last_active_date", "first_seen_date"),
        _at_least(gxe, "T", "recency"),
        _not_null(gxe, "first_seen_date"),
    ]
    if "user_tiers" in frames:
        checks.append(_row_count(gxe, len(frames["user_tiers"]), "rows in user_tiers"))
    return checks


def _user_rfm(gxe: Any, frames: dict[str, pd.DataFrame]) -> list[Check]:
    checks = _key(gxe)
    for col in ("r_score", "f_score", "m_score"):
        checks += _in_set(gxe, col, [1, 2, 3, 4, 5])
    checks += [
        _not_null(gxe, "rfm_cell", True),
        Check(gxe.ExpectColumnValuesToMatchRegex(column="rfm_cell", regex=r"^[1-5]{3}$"),
              ("rfm_cell",), True, "rfm_cell"),
        *_in_set(gxe, "rfm_segment", RFM_SEGMENTS),
        _between(gxe, "m_value", 0, strict_min=True, required=True),
        _between(gxe, "f_value", 1, required=True),
        _between(gxe, "recency_days", 0, required=True),
    ]
    tiers = frames.get("user_tiers")
    if tiers is not None and "rfm_segment" in tiers.columns:
        buyers = int((tiers["rfm_segment"] != "non_buyer").sum())
        checks.append(_row_count(gxe, buyers, "buyers (rfm_segment != non_buyer) in user_tiers"))
    return checks


def _user_tiers(gxe: Any, frames: dict[str, pd.DataFrame]) -> list[Check]:
    checks = _key(gxe)
    for family, tiers in TIER_SETS.items():
        checks += _in_set(gxe, family, tiers)
    checks += [
        _not_null(gxe, "as_of_date", True),
        Check(gxe.ExpectColumnUniqueValueCountToBeBetween(column="as_of_date", min_value=0, max_value=1),
              ("as_of_date",), True, "as_of_date"),
    ]
    return checks


def _user_tags(gxe: Any, frames: dict[str, pd.DataFrame]) -> list[Check]:
    checks = _key(gxe)
    if "user_tiers" in frames:
        checks.append(_row_count(gxe, len(frames["user_tiers"]), "rows in user_tiers"))
    return checks


def _tier_mix(gxe: Any, bounds: pd.DataFrame) -> list[Check]:
    """One share expectation per bound row (`family`, `tier`, `min_share`, `max_share`)."""
    checks = []
    for row in bounds.itertuples(index=False):
        lo, hi = (None if pd.isna(v) else float(v) for v in (row.min_share, row.max_share))
        column = f"{row.family}={row.tier}"
        checks.append(Check(gxe.ExpectColumnMeanToBeBetween(column=column, min_value=lo, max_value=hi),
                            (column,), False, column))
    return checks


SUITES: dict[str, Callable[[Any, dict[str, pd.DataFrame]], list[Check]]] = {
    "user_facts": _user_facts, "user_rfm": _user_rfm, "user_tiers": _user_tiers, "user_tags": _user_tags,
}


# ---- reading the database ---------------------------------------------------------------------


def _connect(db_path: Path) -> duckdb.DuckDBPyConnection:
    """Read-only connection whose bare table names resolve in the marts' and seeds' schemas."""
    con = duckdb.connect(str(db_path), read_only=True)
    set_search_path(con, SEARCH_PATH)
    return con


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = current_database() and table_schema in (select unnest(?))",
        [list(SEARCH_PATH)],
    ).fetchall()
    return {r[0] for r in rows}


def _bounds(con: duckdb.DuckDBPyConnection, tables: set[str], report: Report) -> pd.DataFrame | None:
    """The tier-mix bounds from the database seed, else the CSV seed, else None."""
    if "tier_mix_bounds" in tables:
        raw, source = con.execute("select * from tier_mix_bounds").df(), "table tier_mix_bounds"
    elif BOUNDS_CSV.exists():
        raw, source = pd.read_csv(BOUNDS_CSV), str(BOUNDS_CSV.relative_to(PROJECT_ROOT))
    else:
        report.say("note: no tier_mix_bounds table or seed CSV; tier-mix expectations skipped")
        return None
    raw = raw.rename(columns={"tier_code": "tier"})
    missing = {"family", "tier", "min_share", "max_share"} - set(raw.columns)
    if missing:
        report.say(f"note: {source} lacks {sorted(missing)}; tier-mix expectations skipped")
        return None
    return raw.sort_values(["family", "tier"], kind="stable").reset_index(drop=True)


def _score_bounds(report: Report) -> pd.DataFrame | None:
    """The RFM score-balance bounds (`score`, `score_value`, shares) as tier-mix-shaped rows."""
    if not SCORE_BOUNDS_CSV.exists():
        report.say(f"note: no {SCORE_BOUNDS_CSV.name}; score-balance expectations skipped")
        return None
    raw = pd.read_csv(SCORE_BOUNDS_CSV)
    raw = raw.rename(columns={"score": "family"}).assign(tier=raw["score_value"].astype(int))
    return raw[["family", "tier", "min_share", "max_share"]]


def _mix_frame(tiers: pd.DataFrame, bounds: pd.DataFrame, report: Report) -> tuple[pd.DataFrame, pd.DataFrame]:
    """0/1 indicator columns `family=tier` over user_tiers (means = shares) and the usable bounds."""
    known = bounds[bounds["family"].isin(tiers.columns)]
    for family in sorted(set(bounds["family"]) - set(known["family"])):
        report.say(f"note: user_tiers has no column {family}; its tier-mix bounds skipped")
    mix = pd.DataFrame({
        f"{r.family}={r.tier}": tiers[r.family].eq(r.tier).fillna(False).astype("float64")
        for r in known.itertuples(index=False)
    })
    return mix, known


def _warning(result: Any) -> str:
    """`share 0.997 is above the bound 0.8 by 0.197` for a distribution expectation."""
    kwargs, observed = result.expectation_config.kwargs, (result.result or {}).get("observed_value")
    lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
    if observed is None:
        return _detail(result)
    if hi is not None and observed > hi:
        return f"share {_plain(observed)} is above the bound {_plain(hi)} by {_plain(observed - hi)}"
    if lo is not None and observed < lo:
        return f"share {_plain(observed)} is below the bound {_plain(lo)} by {_plain(lo - observed)}"
    return _detail(result)


# ---- running and reporting --------------------------------------------------------------------


def _context(gx: Any, docs_dir: Path) -> Any:
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        data_docs_sites={"local_site": {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }},
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        analytics_enabled=False,
    )
    return gx.get_context(project_config=config, mode="ephemeral")


def _plain(value: Any) -> str:
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_plain(v) for v in value) + ")"
    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "null"
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        value = value.item()
    if isinstance(value, str) and ISO_DATETIME.fullmatch(value):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):  # also pd.Timestamp
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(round(value, 4))
    return repr(value)


def _exception(result: Any) -> str | None:
    info = result.exception_info or {}
    infos = [info] if "raised_exception" in info else list(info.values())
    for item in infos:
        if isinstance(item, dict) and item.get("raised_exception"):
            return str(item.get("exception_message") or "exception").strip().splitlines()[0][:200]
    return None


def _detail(result: Any) -> str:
    error = _exception(result)
    if error:
        return f"error: {error}"
    res, kwargs = result.result or {}, result.expectation_config.kwargs
    lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
    bounds = ""
    if lo is not None and hi is not None:
        bounds = f" (allowed [{_plain(lo)}, {_plain(hi)}])"
    elif lo is not None or hi is not None:
        sign = (">" if kwargs.get("strict_min") else ">=") if lo is not None else "<="
        bounds = f" (allowed {sign} {_plain(lo if lo is not None else hi)})"
    if res.get("unexpected_count"):
        sample = res.get("partial_unexpected_list") or []
        shown = ", ".join(_plain(v) for v in sample[:5]) + (", ..." if res["unexpected_count"] > 5 else "")
        return f"{res['unexpected_count']} unexpected values [{shown}]{bounds}"
    observed = f"observed {_plain(res.get('observed_value'))}"
    if "value" in kwargs:
        why = (result.expectation_config.meta or {}).get("why")
        return f"{observed}, expected {_plain(kwargs['value'])}" + (f" ({why})" if why else "")
    return observed + bounds


def _validate(gx: Any, context: Any, name: str, frame: pd.DataFrame, checks: list[Check],
              report: Report, warn_only: bool = False, source_name: str = "") -> None:
    """Runs one mart's suite as a checkpoint (docs updated by its action) and reports it.

    With `warn_only` (distribution checks), a failed expectation is a warning naming its bound.
    """
    runnable: list[Check] = []
    missing_required: dict[str, int] = {}  # contract column -> expectations it blocks
    for check in checks:
        absent = [c for c in check.columns if c not in frame.columns]
        if not absent:
            runnable.append(check)
        elif check.required:
            for column in absent:
                missing_required[column] = missing_required.get(column, 0) + 1
        else:
            report.say(f"note: {name} has no column {', '.join(absent)}; skipped {check.expectation.expectation_type}")
    source = context.data_sources.add_pandas(name)
    batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("whole")
    suite = context.suites.add(gx.ExpectationSuite(name, expectations=[c.expectation for c in runnable]))
    definition = context.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch, suite=suite))
    checkpoint = context.checkpoints.add(gx.Checkpoint(
        name=name, validation_definitions=[definition],
        actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
    ))
    outcome = checkpoint.run(batch_parameters={"dataframe": frame})
    results = [r for run in outcome.run_results.values() for r in run.results]
    failures = [r for r in results if not r.success]
    total = len(results) + len(missing_required)
    bad = len(failures) + len(missing_required)
    report.evaluated += total
    if warn_only:
        report.warned += bad
    else:
        report.failed += bad
    kind = "distribution, warn only" if warn_only else "structural"
    report.say(f"{name}: {total - bad}/{total} expectations passed ({len(frame)} rows; {kind})")
    for column, blocked in missing_required.items():
        report.say(f"  FAIL {name}.{column}: required column missing ({blocked} expectations not run)")
    for r in failures:
        label = (r.expectation_config.meta or {}).get("label", "")
        where = f"{name}.{label}" if label else name
        if warn_only:
            report.say(f"  WARN {where}: {_warning(r)} ({source_name})")
        else:
            report.say(f"  FAIL {where}: {r.expectation_config.type} failed: {_detail(r)}")


def run_checkpoint(db_path: Path, docs_dir: Path | None = None, strict: bool = False) -> int:
    """Validates the public marts in `db_path`; prints a report.

    Returns 1 when a structural expectation fails, or with `strict` when a distribution one warns; else 0.
    """
    started = time.perf_counter()
    docs_dir = Path(docs_dir) if docs_dir is not None else DEFAULT_DOCS_DIR
    report = Report()
    if not Path(db_path).is_file():
        report.say(f"error: no DuckDB database at {db_path}")
        return 1
    with _connect(db_path) as con:
        tables = _tables(con)
        frames = {m: con.execute(f'select * from "{m}"').df() for m in MARTS if m in tables}
        bounds = _bounds(con, tables, report) if "user_tiers" in frames else None
    for mart in MARTS:
        if mart not in frames:
            report.say(f"note: {mart} not in the database; its suite skipped")
    if not frames:
        report.say("error: none of the public marts is in the database; nothing validated")
        return 1
    gx, gxe = _gx()
    context = _context(gx, docs_dir)
    for mart, frame in frames.items():
        _validate(gx, context, mart, frame, SUITES[mart](gxe, frames), report)
    if bounds is not None and len(frames["user_tiers"]):
        mix, usable = _mix_frame(frames["user_tiers"], bounds, report)
        if len(usable):
            _validate(gx, context, MIX, mix, _tier_mix(gxe, usable), report, True, "seeds/tier_mix_bounds.csv")
    elif bounds is not None:
        report.say("note: user_tiers is empty; tier-mix expectations skipped")
    score_bounds = _score_bounds(report) if "user_rfm" in frames else None
    if score_bounds is not None and len(frames["user_rfm"]):
        scores, usable = _mix_frame(frames["user_rfm"], score_bounds, report)
        if len(usable):
            _validate(gx, context, SCORES, scores, _tier_mix(gxe, usable), report, True,
                      "seeds/score_balance_bounds.csv")
    if report.failed:
        verdict = f"FAILED ({report.failed} failed)"
        verdict += f" and {report.warned} distribution warnings" if report.warned else ""
    elif report.warned:
        verdict = f"PASSED with {report.warned} distribution warnings" + (" (failing: strict)" if strict else "")
    else:
        verdict = "PASSED"
    report.say(f"GX checkpoint {verdict}: {report.evaluated} expectations on {len(frames)} marts "
               f"in {time.perf_counter() - started:.1f} s; Data Docs: {docs_dir / 'index.html'}")
    return 1 if report.failed or (strict and report.warned) else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m livetier.quality", description=__doc__.splitlines()[0])
    default_db = os.environ.get("DUCKDB_PATH", "").strip() or str(PROJECT_ROOT / "warehouse.duckdb")
    parser.add_argument("--db", type=Path, default=Path(default_db), help="DuckDB file (default: %(default)s)")
    parser.add_argument("--docs-dir", type=Path, default=None,
                        help=f"Data Docs directory (default: {DEFAULT_DOCS_DIR.relative_to(PROJECT_ROOT)})")
    parser.add_argument("--strict", action="store_true", default=os.environ.get("STRICT", "") == "1",
                        help="distribution warnings fail too (default: STRICT=1 in the environment)")
    args = parser.parse_args(argv)
    return run_checkpoint(args.db, args.docs_dir, strict=args.strict)


if __name__ == "__main__":
    sys.exit(main())
