"""`python -m livetier diff --base REV` on the worked examples (20 users, D = 2025-03-31).

The project's tracked files are copied into a temporary git repository; each test changes its
working tree (a seed, a tier model, a broken base commit) and diffs it against HEAD. Expected
movers are derived by hand from the rules and tests/fixtures/examples/expected_users.csv:

- core fans need 4 purchases instead of 3 (seed): u01 (purchases_365d 3, watch_days_90d 6,
  interactions_90d 10) is the only core fan; with 4 it fails rule 1, buys more than once (not
  potential), has bought (not new_visitor), so it is regular. u17 has 4 purchases but watched on
  no day in 90, so it stays regular. Net GMV: u01 750.00 of 3,000.00 in total (25%).
- new visitors up to and including 30 days (`<` becomes `<=` in the SQL) and the fall-through tier
  renamed casual -> passerby: u08 (first seen 30 days ago, never bought, no watch day) leaves
  casual for new_visitor; the other casual users u10, u11, u12, u13, u16 land in passerby, a tier
  code only the working tree has. The working tree also replaces the `user_tier_reasons` mart with a
  simpler one: each side's own reason text is shown (the base builds its own mart, even though
  its warehouse starts as a copy of the working tree's).

Each diff is two partial builds (the working tree, then only what changed on the base side).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dbt_harness import git

from livetier import PROJECT_ROOT

EXAMPLES_RAW = PROJECT_ROOT / "tests" / "fixtures" / "examples" / "raw"
TIERS_MODEL = Path("models/intermediate/as_of/int_user_tiers_assigned.sql")
THRESHOLDS = Path("seeds/seg_thresholds.csv")
REASONS_MART = Path("models/marts/segmentation/user_tier_reasons.sql")
REASONS_SQL = """with

tiers as (
    select * from {{ ref('user_tiers') }}
),

facts as (
    select * from {{ ref('user_facts') }}
)

select
    tiers.user_id,
    'value_tier' as family,
    tiers.value_tier as tier,
    tiers.value_tier as rule_id,
    'first seen ' || cast(facts.days_since_first_seen as varchar) || ' days ago' as reason,
    tiers.as_of_date
from tiers
inner join facts
    on tiers.user_id = facts.user_id
"""


@pytest.fixture
def repo(project: Path) -> Path:
    """The repository back at its first commit with a clean working tree."""
    first = git(project, "rev-list", "--max-parents=0", "HEAD")
    git(project, "reset", "-q", "--hard", first)
    git(project, "clean", "-qfd")
    return project


def _diff(repo: Path, out: Path, base: str = "HEAD", *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "DUCKDB_PATH", "RAW_PATH"))}
    env.update({"RAW_PATH": str(EXAMPLES_RAW), "AS_OF_DATE": "2025-03-31", "BUILD_CLOCK": "2025-04-20T00:00:00"})
    return subprocess.run([sys.executable, "-m", "livetier", "diff", "--base", base, "--out", str(out), *extra],
                          cwd=repo, env=env, capture_output=True, text=True)


def _moves(out: Path) -> set[tuple[str, str, str, int]]:
    with (out / "tier_diff.csv").open(newline="") as handle:
        return {(r["family"], r["from_tier"], r["to_tier"], int(r["users"]))
                for r in csv.DictReader(handle) if r["from_tier"] != r["to_tier"]}


def _movers(out: Path) -> set[tuple[str, str, str, str]]:
    with (out / "tier_diff_users.csv").open(newline="") as handle:
        return {(r["family"], r["user_id"], r["from_tier"], r["to_tier"]) for r in csv.DictReader(handle)}


def _replace(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert text.count(old) >= count, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count))


def test_seed_change_core_fans_need_four_purchases(repo: Path, tmp_path: Path) -> None:
    _replace(repo / THRESHOLDS, "core_min_purchases_365d,3,", "core_min_purchases_365d,4,")
    done = _diff(repo, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert _moves(tmp_path) == {("value_tier", "core_fan", "regular", 1)}
    assert _movers(tmp_path) == {("value_tier", "u01", "core_fan", "regular")}
    report = json.loads((tmp_path / "tier_diff.json").read_text())
    value = next(f for f in report["families"] if f["family"] == "value_tier")
    assert value["moved_users"] == 1
    assert value["moved_net_gmv_365d"] == pytest.approx(750.0)
    assert value["moved_share_of_net_gmv"] == pytest.approx(0.25)
    mix = {row["tier"]: (row["base"]["users"], row["work"]["users"]) for row in value["mix"]}
    assert mix == {"core_fan": (1, 0), "potential": (2, 2), "new_visitor": (3, 3), "regular": (8, 9), "casual": (6, 6)}
    assert all(f["moved_users"] == 0 for f in report["families"] if f["family"] != "value_tier")
    assert report["model_changes"] == []
    [seed] = report["seed_changes"]
    assert seed["changed"] == [{"key": {"threshold_name": "core_min_purchases_365d"},
                                "columns": {"threshold_value": ["3", "4"]}}]
    markdown = done.stdout
    assert markdown == (tmp_path / "tier_diff.md").read_text()
    assert "`core_min_purchases_365d`: threshold_value 3 → 4" in markdown
    # the example: u01 with its deciding facts (equal on both sides) and the threshold of each side
    example = next(line for line in markdown.splitlines() if "`u01`" in line)
    assert "purchases_365d 3" in example and "watch_days_90d 6" in example and "interactions_90d 10" in example
    assert "core_min_purchases_365d 3 → 4" in markdown
    # the base was built on a copy of the working tree's warehouse, only what the seed change touches
    assert report["cost"]["base_nodes"] < report["cost"]["work_nodes"]
    assert "Traceback" not in done.stderr
    assert git(repo, "worktree", "list").count("\n") == 0  # the base's worktree is gone
    # the shortcut changes nothing: the base built on its own gives the same diff
    full = _diff(repo, tmp_path / "full", "HEAD", "--full-base")
    assert full.returncode == 0, full.stderr[-3000:]
    for name in ("tier_diff.csv", "tier_diff_users.csv"):
        assert (tmp_path / "full" / name).read_text() == (tmp_path / name).read_text()
    assert json.loads((tmp_path / "full" / "tier_diff.json").read_text())["cost"]["base_how"] == "in full: --full-base"


def test_sql_change_and_a_renamed_tier(repo: Path, tmp_path: Path) -> None:
    model = repo / TIERS_MODEL
    _replace(model, "days_since_first_seen < new_window_days", "days_since_first_seen <= new_window_days")
    _replace(model, "else 'casual'", "else 'passerby'")
    (repo / REASONS_MART).write_text(REASONS_SQL)
    done = _diff(repo, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert _moves(tmp_path) == {("value_tier", "casual", "new_visitor", 1), ("value_tier", "casual", "passerby", 5)}
    assert _movers(tmp_path) == {("value_tier", "u08", "casual", "new_visitor")} | {
        ("value_tier", user, "casual", "passerby") for user in ("u10", "u11", "u12", "u13", "u16")}
    report = json.loads((tmp_path / "tier_diff.json").read_text())
    assert report["model_changes"] == [{"status": "M", "path": TIERS_MODEL.as_posix()},
                                       {"status": "M", "path": REASONS_MART.as_posix()}]
    assert report["seed_changes"] == []
    value = next(f for f in report["families"] if f["family"] == "value_tier")
    mix = {row["tier"]: row for row in value["mix"]}
    assert (mix["casual"]["base"]["users"], mix["casual"]["work"]["users"]) == (6, 0)
    assert (mix["passerby"]["base"]["users"], mix["passerby"]["work"]["users"]) == (0, 5)
    assert mix["passerby"]["work"]["min_share"] is None  # a tier code tier_mix_bounds does not know
    assert "| passerby | 0 | 0.0% | 5 | 25.0% | no bound |" in done.stdout
    # u08: the base's reason (user_tier_reasons: the new-visitor window failed at 30 days), the
    # working tree's reason from its replaced mart
    example = next(line for line in done.stdout.splitlines() if "`u08`" in line)
    base_text, work_text = example.split("; working: ")
    assert "base: reason: casual" in base_text
    assert "days_since_first_seen 30 >= 30 (new_window_days)" in base_text
    assert work_text == "reason: first seen 30 days ago"


def test_base_that_does_not_build_is_reported_with_dbts_error(repo: Path, tmp_path: Path) -> None:
    model = repo / TIERS_MODEL
    good = model.read_text()
    _replace(model, "coalesce(buyer_rfm_segment, 'non_buyer') as rfm_segment",
             "coalesce(buyer_rfm_segment, 'non_buyer') as rfm_segment,, broken")
    git(repo, "-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-qam", "broken tiers")
    model.write_text(good)  # the working tree repairs it
    done = _diff(repo, tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    assert "error: the base revision HEAD" in done.stderr and "does not build; dbt said:" in done.stderr
    assert "int_user_tiers_assigned" in done.stderr  # dbt's own error lines name the model
    assert not (tmp_path / "tier_diff.md").exists()
    assert git(repo, "worktree", "list").count("\n") == 0


def test_unknown_revision_is_one_sentence(repo: Path, tmp_path: Path) -> None:
    done = _diff(repo, tmp_path, base="no-such-branch")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "'no-such-branch' is not a git revision" in done.stderr


def test_seed_rows_compared_on_all_columns_with_dated_rules(tmp_path: Path) -> None:
    """A `valid_from` column (dated rules) on one or both sides: rows pair by name and date."""
    from livetier.diff import seed_row_changes, thresholds_at

    header = "threshold_name,threshold_value,comment"
    rows = ["core_min_purchases_365d,3,rule 1", "new_window_days,30,rule 3"]
    base, added, edited = tmp_path / "base", tmp_path / "added", tmp_path / "edited"
    dated_row = "core_min_purchases_365d,4,x,2025-06-01"
    for root, lines in (
        (base, [header, *rows]),
        # the column added (existing rows: the beginning of time) and a dated change
        (added, [header + ",valid_from", *(r + ",1900-01-01" for r in rows), dated_row]),
    ):
        (root / "seeds").mkdir(parents=True)
        (root / THRESHOLDS).write_text("\n".join(lines) + "\n")
    [change] = seed_row_changes(base, added, [("M", THRESHOLDS.as_posix())])
    assert change["columns_added"] == ["valid_from"] and change["changed"] == [] and change["removed"] == []
    assert [(r["threshold_name"], r["threshold_value"], r["valid_from"]) for r in change["added"]] == [
        ("core_min_purchases_365d", "4", "2025-06-01")]
    # both sides dated: the key is name and date, and a value edited in place is a changed row
    (edited / "seeds").mkdir(parents=True)
    (edited / THRESHOLDS).write_text((added / THRESHOLDS).read_text().replace("days,30,", "days,28,"))
    [change] = seed_row_changes(added, edited, [("M", THRESHOLDS.as_posix())])
    assert change["key"] == ["threshold_name", "valid_from"]
    assert change["changed"] == [{"key": {"threshold_name": "new_window_days", "valid_from": "1900-01-01"},
                                  "columns": {"threshold_value": ("30", "28")}}]
    # the thresholds shown for a side are those valid on D
    assert thresholds_at(added, "2025-05-31")["core_min_purchases_365d"] == "3"
    assert thresholds_at(added, "2025-06-01")["core_min_purchases_365d"] == "4"
    assert thresholds_at(base, "2025-06-01")["core_min_purchases_365d"] == "3"
