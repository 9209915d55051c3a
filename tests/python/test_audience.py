"""Audience lists end to end: the optional users.marketing_consent column (absent, false, null under the
seed policy) from the raw files to `audience_members`, per file in CSV and Parquet, and the export CLI
(`python -m livetier audience export`): every refusal and successful, atomic exports."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from dbt_harness import STAGING_SELECT, build, query, write_table

from livetier import PROJECT_ROOT
from livetier.audience import main as audience_main
from livetier.generator import generate

END = "2025-06-30"
CLOCK = "2025-07-01T00:00:00"  # the generated data ends on END: a later build clock
SELECT = "+audience_members +stream_kpis"
CAUTIOUS = ["--indirect-selection", "cautious"]  # no tests of models left out of SELECT


def _ok(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


@pytest.fixture(scope="module")
def raw_with_consent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("audience") / "raw"
    generate(out=raw, users=3000, days=60, seed=11, end_date=END, progress=False)
    return raw


@pytest.fixture(scope="module")
def consent_db(raw_with_consent: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("with_consent") / "w.duckdb"
    _ok(build(raw_with_consent, db, as_of=END, clock=CLOCK, select=SELECT, extra_args=CAUTIOUS))
    return db


@pytest.fixture(scope="module")
def no_consent_column_db(raw_with_consent: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same export with users.csv instead of users.parquet and no marketing_consent column."""
    raw = tmp_path_factory.mktemp("without") / "raw"
    shutil.copytree(raw_with_consent, raw)
    users = pq.read_table(raw / "users.parquet").drop(["marketing_consent"]).to_pandas()
    (raw / "users.parquet").unlink()
    write_table(users, raw, "users", "csv")
    db = raw.parent / "wo.duckdb"
    _ok(build(raw, db, as_of=END, clock=CLOCK, select=SELECT, extra_args=CAUTIOUS))
    return db


def _raw_consent(raw: Path) -> dict[str, object]:
    table = pq.read_table(raw / "users.parquet", columns=["user_id", "marketing_consent"]).to_pylist()
    return {row["user_id"]: row["marketing_consent"] for row in table}


def test_consent_false_and_null_are_never_contacted(consent_db: Path, raw_with_consent: Path) -> None:
    consent = _raw_consent(raw_with_consent)
    members = query(consent_db, "select list_id, user_id, marketing_consent_status, held_back_reason "
                                "from operations.audience_members")
    kinds = {"refused": 0, "unknown": 0, "granted": 0, "no_users_row": 0}
    for row in members.itertuples():
        value = consent.get(row.user_id, "missing")
        if value is False:
            kinds["refused"] += 1
            assert (row.marketing_consent_status, row.held_back_reason) == ("refused", "no_consent"), row
        elif value is None or value == "missing":
            # null, or no users row while the export has the column: the seed policy holds them back
            kinds["unknown" if value is None else "no_users_row"] += 1
            assert (row.marketing_consent_status, row.held_back_reason) == ("unknown", "no_consent"), row
        else:
            kinds["granted"] += 1
            assert row.marketing_consent_status == "granted" and row.held_back_reason != "no_consent", row
    assert kinds["refused"] > 0 and kinds["unknown"] > 0 and kinds["granted"] > 0, kinds
    # the other reasons occur too: the hold-out and the touch cap
    reasons = set(members["held_back_reason"].dropna())
    assert {"holdout", "touch_cap"} <= reasons, reasons
    assert members["held_back_reason"].isna().any()


def test_absent_consent_column_restricts_no_one(consent_db: Path, no_consent_column_db: Path) -> None:
    keys = "list_id, user_id, coalesce(anchor_id, '') as anchor_id, coalesce(stream_id, '') as stream_id"
    without = query(no_consent_column_db, f"select {keys}, marketing_consent_status, held_back_reason, "
                                          "holdout_bucket from operations.audience_members")
    assert len(without) > 0
    assert set(without["marketing_consent_status"]) == {"not_collected"}
    assert "no_consent" not in set(without["held_back_reason"].dropna())
    # consent changes who is contacted, never who is in a list, nor the hold-out draw
    with_column = query(consent_db, f"select {keys}, holdout_bucket from operations.audience_members")
    merged = without.merge(with_column, on=["list_id", "user_id", "anchor_id", "stream_id"], how="outer",
                           indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["holdout_bucket_x"] == merged["holdout_bucket_y"]).all()
    # the draw is the documented one: md5 of '<list>|<user>', first 8 hex digits
    for row in without.head(50).itertuples():
        assert row.holdout_bucket == int(hashlib.md5(f"{row.list_id}|{row.user_id}".encode()).hexdigest()[:8], 16)


def test_consent_column_is_read_per_file_in_csv_and_parquet(tmp_path: Path) -> None:
    """A folder whose CSV file has the column and whose Parquet file has not, and the other way round."""
    users = pd.DataFrame({
        "user_id": ["c1", "c2", "c3", "c4", "p1", "p2"],
        "registered_at": ["2025-01-01T00:00:00Z"] * 6,
        "marketing_consent": ["true", "false", None, "Y", "false", None],
    })
    orders = pd.DataFrame({"order_id": ["o1"], "user_id": ["c1"], "ordered_at": ["2025-01-02T00:00:00Z"],
                           "status": ["created"], "amount": ["1.00"]})
    for csv_has_column, expected in [
        (True, {"c1": "granted", "c2": "refused", "c3": "unknown", "c4": "granted",
                "p1": "not_collected", "p2": "not_collected"}),
        (False, {"c1": "not_collected", "c2": "not_collected", "c3": "not_collected", "c4": "not_collected",
                 "p1": "refused", "p2": "unknown"}),
    ]:
        raw = tmp_path / f"raw_{csv_has_column}"
        folder = raw / "users"
        folder.mkdir(parents=True)
        csv_part, parquet_part = users.iloc[:4], users.iloc[4:]
        (csv_part if csv_has_column else csv_part.drop(columns="marketing_consent")).to_csv(
            folder / "part-0.csv", index=False)
        (parquet_part.drop(columns="marketing_consent") if csv_has_column else parquet_part).astype("string") \
            .to_parquet(folder / "part-1.parquet", index=False)
        write_table(orders, raw, "orders", "csv")
        db = tmp_path / f"users_{csv_has_column}.duckdb"
        _ok(build(raw, db, as_of="2025-01-31", select=STAGING_SELECT))
        got = query(db, "select user_id, marketing_consent_status from stg_live__users")
        assert dict(zip(got["user_id"], got["marketing_consent_status"], strict=True)) == expected


def test_unparseable_consent_is_set_aside(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_table(pd.DataFrame({"user_id": ["a", "b"], "registered_at": ["2025-01-01T00:00:00Z"] * 2,
                              "marketing_consent": ["maybe", "no"]}), raw, "users", "csv")
    write_table(pd.DataFrame({"order_id": ["o1"], "user_id": ["a"], "ordered_at": ["2025-01-02T00:00:00Z"],
                              "status": ["created"], "amount": ["1.00"]}), raw, "orders", "csv")
    db = tmp_path / "bad.duckdb"
    _ok(build(raw, db, as_of="2025-01-31", select=STAGING_SELECT))
    got = query(db, "select user_id, marketing_consent_status from stg_live__users")
    assert got.to_dict("records") == [{"user_id": "b", "marketing_consent_status": "refused"}]
    reasons = query(db, "select reason, row_count from data_quality_ledger where raw_table = 'users' "
                        "and outcome = 'set_aside'")
    assert reasons.to_dict("records") == [{"reason": "unparseable", "row_count": 1}]


# --- the export CLI ---------------------------------------------------------------------------


def _export(db: Path, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = audience_main(["export", "--db", str(db), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _a_scope(db: Path, column: str, list_id: str) -> str:
    frame = query(db, f"select {column}, count(*) as n from operations.audience_members where list_id = "
                      f"'{list_id}' and held_back_reason is null group by 1 order by n desc, 1 limit 1")
    return str(frame.iloc[0, 0])


@pytest.mark.parametrize(("args", "message"), [
    (["--list", "no_such_list"], "unknown audience list 'no_such_list': the lists are post_stream_care_carted, "
                                 "recall_silent_buyers, warm_up_fans."),
    (["--list", "warm_up_fans", "--anchor", "A_nobody"], "unknown anchor 'A_nobody'"),
    (["--list", "post_stream_care_carted", "--stream", "S_nothing"], "unknown stream 'S_nothing'"),
    (["--list", "warm_up_fans"], "list 'warm_up_fans' (warm_up) is per anchor: give --anchor."),
    (["--list", "post_stream_care_carted"], "list 'post_stream_care_carted' (post_stream_care) is per stream"),
    (["--list", "warm_up_fans", "--stream", "x"], "list 'warm_up_fans' (warm_up) takes --anchor, not --stream."),
    (["--list", "recall_silent_buyers", "--anchor", "x"], "takes no --anchor: it is not scoped by one."),
])
def test_export_refuses_bad_input(consent_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
                                  args: list[str], message: str) -> None:
    out = tmp_path / "members.csv"
    out.write_text("previous export\n")
    code, _, err = _export(consent_db, capsys, *args, "--out", str(out))
    assert code == 2
    assert message in err and err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert out.read_text() == "previous export\n"  # refused before anything is written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["members.csv"]


def test_export_scope_flags_are_exclusive(consent_db: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "livetier", "audience", "export", "--list", "warm_up_fans",
                           "--anchor", "a", "--stream", "s", "--out", str(tmp_path / "x.csv"), "--db", str(consent_db)],
                          cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert done.returncode == 2 and "not allowed with argument" in done.stderr


def test_export_warm_up_list_of_an_anchor_as_csv(consent_db: Path, tmp_path: Path) -> None:
    anchor = _a_scope(consent_db, "anchor_id", "warm_up_fans")
    out = tmp_path / "lists" / "warm.csv"
    out.parent.mkdir()
    out.write_text("old\n")
    # through the project's CLI entry point
    done = subprocess.run([sys.executable, "-m", "livetier", "audience", "export", "--list", "warm_up_fans",
                           "--anchor", anchor, "--out", str(out), "--db", str(consent_db)],
                          cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    got = pd.read_csv(out, dtype=str)
    assert list(got.columns) == ["list_id", "anchor_id", "user_id", "channel", "message_type"]
    expected = query(consent_db, "select list_id, anchor_id, user_id, channel, message_type "
                                 "from operations.audience_members where list_id = 'warm_up_fans' and "
                                 f"anchor_id = '{anchor}' and held_back_reason is null order by user_id")
    assert len(got) > 0
    pd.testing.assert_frame_equal(got, expected.astype(str))
    held = query(consent_db, "select user_id from operations.audience_members where list_id = 'warm_up_fans' "
                             f"and anchor_id = '{anchor}' and held_back_reason is not null")
    assert not set(held["user_id"]) & set(got["user_id"])
    assert set(got["message_type"]) <= {"review_content", "flash_sale_notice"}
    assert sorted(p.name for p in out.parent.iterdir()) == ["warm.csv"]  # no temporary file left


def test_export_recall_and_post_stream_care_as_parquet(consent_db: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "recall.parquet"
    code, printed, _ = _export(consent_db, capsys, "--list", "recall_silent_buyers", "--out", str(out),
                               "--format", "parquet")
    assert code == 0 and "members to contact of list recall_silent_buyers" in printed
    got = pq.read_table(out).to_pandas()
    assert list(got.columns) == ["list_id", "user_id", "channel", "message_type"]
    expected = query(consent_db, "select count(*) as n from operations.audience_members "
                                 "where list_id = 'recall_silent_buyers' and held_back_reason is null")
    # silent users' one weekly touch mostly goes to the recall_due alert: the list may be empty
    assert len(got) == expected["n"][0]
    assert set(got["channel"]) <= {"sms"}

    stream = _a_scope(consent_db, "stream_id", "post_stream_care_carted")
    out = tmp_path / "care.parquet"
    code, _, _ = _export(consent_db, capsys, "--list", "post_stream_care_carted", "--stream", stream,
                         "--out", str(out), "--format", "parquet")
    assert code == 0
    got = pq.read_table(out).to_pandas()
    assert list(got.columns) == ["list_id", "stream_id", "user_id", "channel", "message_type"]
    assert set(got["stream_id"]) == {stream} and len(got) > 0


def test_export_holds_no_personal_data(consent_db: Path) -> None:
    con = duckdb.connect(str(consent_db), read_only=True)
    try:
        columns = {row[0] for row in con.execute(
            "select column_name from information_schema.columns where table_name = 'audience_members'").fetchall()}
    finally:
        con.close()
    assert not columns & {"phone", "nickname", "text", "phone_hash", "nickname_hash", "text_hash"}
