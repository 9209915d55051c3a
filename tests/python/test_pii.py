"""Personal data (phone, nickname, comment text) is never readable in clear from anything a build writes,
and the keyed hash's key never appears anywhere either.

One raw export of the worked examples with distinctive personal values (quotes, SQL-looking text,
Unicode) is built with an automatically created warehouse key; every column of every table and
view in every schema, the DuckDB file's bytes and every file under the build's `target/` and
`logs/` are scanned for each clear value and for the key (text, hex and its HMAC pads). The hashes
are checked against Python's `hmac`, across rebuilds and keys; the Spark expression against a local
pyspark session (skipped without Java/pyspark).
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import os
import shutil
import stat
from pathlib import Path

import duckdb
import jinja2
import pytest
from dbt_harness import STAGING_SELECT, build, read_examples_table, write_table

from livetier import PROJECT_ROOT, pii
from livetier.duckdb_plugin import FUNCTION_NAME, define_hash_function

TABLES = ("orders", "users", "events", "live_streams", "products", "order_items", "refunds", "campaign_touches")
INJECTION = "x' || (select 'INJECTED') || '"
# A configured key with a quote and SQL in it: must neither break the build nor run as SQL.
ODD_KEY = "k3y-" + INJECTION + "-0123456789"
NO_KEY = {pii.KEY_ENV: "", pii.KEY_FILE_ENV: ""}


def _personal_raw(raw: Path) -> dict:
    """The examples with distinctive phones, nicknames and comment texts: users as a folder (half CSV,
    half Parquet), events as CSV. Returns the clear values by kind and the clear rows to hash."""
    users = read_examples_table("users")
    users["phone"] = [f"+86 139{i:04d}7{i:03d}" for i in range(len(users))]
    nicknames = [f"Zhao'Lei_{i:02d}" for i in range(len(users))]
    nicknames[1] = INJECTION
    nicknames[2] = "小明🙂\"quoted\", and more"
    users["nickname"] = nicknames
    events = read_examples_table("events")
    comments = events["event_type"] == "comment"
    assert comments.sum() >= 3, "the examples need comment events for this test"
    texts = [f"链接呢 ' or 1=1 -- comment #{i}" for i in range(int(comments.sum()))]
    texts[0] = "'); drop table orders; --"
    texts[1] = "line one\nline two, with a comma"
    events.loc[comments, "text"] = texts
    write_table(users, raw, "users", "folder")
    write_table(events, raw, "events", "csv")
    for table in TABLES:
        if table not in ("users", "events"):
            write_table(read_examples_table(table), raw, table, "csv")
    return {
        "values": {"phone": list(users["phone"]), "nickname": nicknames, "text": texts},
        "users": list(users[["user_id", "phone", "nickname"]].itertuples(index=False, name=None)),
        "events": list(events.loc[comments, ["event_id", "text"]].itertuples(index=False, name=None)),
    }


def _dbt(raw: Path, db: Path, env: dict[str, str], select: str | None = None, command: str = "build"):
    extra = {"DBT_LOG_PATH": str(db.parent / "logs"), **env}
    return build(raw, db, as_of="2025-03-31", select=select, command=command, env_extra=extra)


def _ok(result) -> None:
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def _key_forms(key: bytes) -> list[bytes]:
    pads = pii.spark_env(key)
    # the pads as bytes too: on DuckDB they are session variables (BLOB), never stored
    return [key, key.hex().encode(), pads[pii.SPARK_IPAD_ENV].encode(), pads[pii.SPARK_OPAD_ENV].encode(),
            *pii.hmac_pads(key)]


def _relations_text(db: Path) -> dict[str, str]:
    """Every table and view of every schema (and each view's SQL), its cells cast to text."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        found = con.execute(
            "select schema_name, table_name, null from duckdb_tables() where not internal and not temporary "
            "union all select schema_name, view_name, sql from duckdb_views() where not internal and not temporary"
        ).fetchall()
        out = {}
        for schema, name, view_sql in found:
            rows = con.execute(f'select * from "{schema}"."{name}"').fetchall()
            out[f"{schema}.{name}"] = (view_sql or "") + "\n".join("\t".join(map(str, r)) for r in rows)
        return out
    finally:
        con.close()


def _artifact_files(db: Path) -> list[Path]:
    files = [p for folder in ("target", "logs") for p in (db.parent / folder).rglob("*") if p.is_file()]
    assert any(p.name == "manifest.json" for p in files) and any(p.name == "dbt.log" for p in files)
    return files


def _qualified(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """`"schema"."name"` of a table, whichever schema the project puts it in."""
    (schema,), = con.execute("select schema_name from duckdb_tables() where table_name = ?", [name]).fetchall()
    return f'"{schema}"."{name}"'


def _hashes(db: Path) -> tuple[dict, dict]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        users = con.execute("select user_id, phone_hash, nickname_hash from "
                            + _qualified(con, "base_live__users")).fetchall()
        events = con.execute("select event_id, text_hash from " + _qualified(con, "base_live__events")
                             + " where text_hash is not null").fetchall()
    finally:
        con.close()
    return _rows(users), _rows(events)


def _rows(rows: list[tuple]) -> list[tuple]:
    """Rows as a sorted list (a raw table may hold copies of a key: every raw row is compared)."""
    return sorted(rows, key=lambda row: tuple(str(v) for v in row))


def _expected(key: bytes, clear: dict) -> tuple[list, list]:
    """The hashes computed in Python from the clear rows written to the raw files."""
    def h(value):
        return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    def key_text(value):  # the raw views read an empty or all-space field as null
        return value.strip() or None if isinstance(value, str) else None

    return (_rows([(key_text(u), h(p), h(n)) for u, p, n in clear["users"]]),
            _rows([(key_text(e), h(t)) for e, t in clear["events"]]))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("pii")
    raw = base / "raw"
    clear = _personal_raw(raw)
    db = base / "auto" / "w.duckdb"
    db.parent.mkdir()
    result = _dbt(raw, db, NO_KEY)
    _ok(result)
    return {"base": base, "raw": raw, "db": db, "values": clear["values"], "clear": clear, "result": result}


def _secrets(built: dict) -> list[str]:
    values = [v for kind in built["values"].values() for v in kind]
    assert len(values) == len(set(values)) > 40
    return values


def test_key_file_is_created_once_owner_only(built: dict) -> None:
    key_file = pii.key_file_for(built["db"])
    mode = stat.S_IMODE(key_file.stat().st_mode)
    assert mode == 0o600, oct(mode)
    key = key_file.read_bytes()
    assert len(key) == 64 and int(key, 16) >= 0  # 256 random bits as hex


def test_hashes_are_hmac_sha256_of_the_clear_values(built: dict) -> None:
    key = pii.key_file_for(built["db"]).read_bytes()
    users, events = _hashes(built["db"])
    expected_users, expected_events = _expected(key, built["clear"])
    assert users == expected_users
    assert events == expected_events and len(events) == len(built["values"]["text"])
    # one value checked by hand: the nickname that looks like SQL
    assert hmac.new(key, INJECTION.encode(), "sha256").hexdigest() in {n for _, _, n in users}


def test_no_clear_value_or_key_in_any_schema(built: dict) -> None:
    relations = _relations_text(built["db"])
    assert any(r.endswith(".base_live__users") for r in relations)
    assert not [r for r in relations if r.startswith("raw.")], "raw views outlived the run"
    key = pii.key_file_for(built["db"]).read_bytes()
    needles = _secrets(built) + [k.decode() for k in _key_forms(key)] + ["INJECTED"]
    for name, text in relations.items():
        leaked = [n for n in needles if n in text]
        assert not leaked, f"{name} holds {leaked[:3]}"


def test_no_clear_value_or_key_in_the_warehouse_file_bytes(built: dict) -> None:
    key = pii.key_file_for(built["db"]).read_bytes()
    needles = [s.encode("utf-8") for s in _secrets(built)] + _key_forms(key)
    for path in built["db"].parent.glob(built["db"].name + "*"):
        if path.is_file() and not path.name.endswith(pii.KEY_SUFFIX):
            data = path.read_bytes()
            leaked = [n for n in needles if n in data]
            assert not leaked, f"{path.name} holds {leaked[:3]}"


def test_no_clear_value_or_key_in_target_or_logs(built: dict) -> None:
    key = pii.key_file_for(built["db"]).read_bytes()
    needles = [s.encode("utf-8") for s in _secrets(built)] + _key_forms(key)
    stdout = (built["result"].stdout + built["result"].stderr).encode()
    for path in [*_artifact_files(built["db"]), None]:
        data = stdout if path is None else path.read_bytes()
        leaked = [n for n in needles if n in data]
        assert not leaked, f"{path or 'dbt output'} holds {leaked[:3]}"


def test_rebuild_keeps_the_key_and_the_hashes(built: dict) -> None:
    key_file = pii.key_file_for(built["db"])
    key_before, hashes_before = key_file.read_bytes(), _hashes(built["db"])
    _ok(_dbt(built["raw"], built["db"], NO_KEY, select=STAGING_SELECT, command="build"))
    assert key_file.read_bytes() == key_before
    assert _hashes(built["db"]) == hashes_before


def test_configured_key_with_quotes_and_sql_builds_hashes_differently_and_leaks_nowhere(built: dict) -> None:
    db = built["base"] / "odd" / "w.duckdb"
    db.parent.mkdir()
    result = _dbt(built["raw"], db, {pii.KEY_ENV: ODD_KEY, pii.KEY_FILE_ENV: ""}, select=STAGING_SELECT)
    _ok(result)
    assert not pii.key_file_for(db).exists(), "a configured key must not create a key file"
    users, events = _hashes(db)
    assert (users, events) == _expected(ODD_KEY.encode(), built["clear"])
    auto_users, auto_events = _hashes(built["db"])
    assert [u for u, _, _ in users] == [u for u, _, _ in auto_users]
    hashes = {h for _, p, n in users for h in (p, n) if h} | {h for _, h in events}
    auto_hashes = {h for _, p, n in auto_users for h in (p, n) if h} | {h for _, h in auto_events}
    assert len(hashes) > 40 and hashes.isdisjoint(auto_hashes)
    needles = [s.encode("utf-8") for s in _secrets(built)] + _key_forms(ODD_KEY.encode()) + [b"INJECTED"]
    for path in _artifact_files(db):
        data = path.read_bytes()
        leaked = [n for n in needles if n in data]
        assert not leaked, f"{path} holds {leaked[:3]}"
    for name, text in _relations_text(db).items():
        leaked = [n.decode() for n in needles if n.decode() in text]
        assert not leaked, f"{name} holds {leaked[:3]}"


def test_key_file_setting_gives_the_same_hashes_as_the_same_key_in_the_env(built: dict, tmp_path: Path) -> None:
    key_file = tmp_path / "secret" / "pii.key"
    key_file.parent.mkdir()
    key_file.write_text(ODD_KEY + "\n")  # one trailing newline is not part of the key
    db = tmp_path / "w.duckdb"
    _ok(_dbt(built["raw"], db, {pii.KEY_ENV: "", pii.KEY_FILE_ENV: str(key_file)}, select=STAGING_SELECT))
    assert _hashes(db) == _expected(ODD_KEY.encode(), built["clear"])


def test_a_short_key_stops_the_build_with_one_sentence(built: dict, tmp_path: Path) -> None:
    result = _dbt(built["raw"], tmp_path / "w.duckdb", {pii.KEY_ENV: "k" * 15}, select=STAGING_SELECT)
    assert result.returncode != 0
    assert "is 15 bytes long: use at least 16" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "k" * 15 not in result.stdout + result.stderr


def test_raw_views_are_dropped_after_a_failed_run(built: dict, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    # the view over base_live__users cannot be created in an empty warehouse: the run fails after
    # on-run-start registered the raw views
    result = _dbt(built["raw"], db, NO_KEY, select="stg_live__users", command="run")
    assert result.returncode != 0
    assert "stg_live__users" in result.stdout and "on-run-end" in result.stdout
    con = duckdb.connect(str(db), read_only=True)
    try:
        left = con.execute("select count(*) from duckdb_views() where schema_name = 'raw'").fetchone()[0]
        left += con.execute("select count(*) from duckdb_tables() where schema_name = 'raw'").fetchone()[0]
    finally:
        con.close()
    assert left == 0


# --- the key: resolution rules, without dbt ---------------------------------------------------------

def test_key_resolution_rules(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    assert pii.resolve_key(db, {pii.KEY_ENV: "a" * 16}) == b"a" * 16
    with pytest.raises(pii.PiiKeyError, match="is 15 bytes long"):
        pii.resolve_key(db, {pii.KEY_ENV: "a" * 15})
    with pytest.raises(pii.PiiKeyError, match="set only one"):
        pii.resolve_key(db, {pii.KEY_ENV: "a" * 16, pii.KEY_FILE_ENV: str(tmp_path / "k")})
    with pytest.raises(pii.PiiKeyError, match="Cannot read the personal-data key file") as missing:
        pii.resolve_key(db, {pii.KEY_FILE_ENV: str(tmp_path / "absent.key")})
    assert "\n" not in str(missing.value)
    (tmp_path / "crlf.key").write_bytes(b"0123456789abcdef\r\n")
    assert pii.resolve_key(db, {pii.KEY_FILE_ENV: str(tmp_path / "crlf.key")}) == b"0123456789abcdef"
    with pytest.raises(pii.PiiKeyError, match="No personal-data key"):
        pii.resolve_key(":memory:", {})
    assert not pii.key_file_for(db).exists()
    old_umask = os.umask(0)  # the mode must not depend on the caller's umask
    try:
        created = pii.resolve_key(db, {})
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(pii.key_file_for(db).stat().st_mode) == 0o600
    assert pii.resolve_key(db, {}) == created  # reused, never replaced
    assert pii.resolve_key(tmp_path / "other.duckdb", {}) != created
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_hmac_pads_give_the_hmac_for_short_block_and_long_keys() -> None:
    for key in (b"k" * 16, b"k" * 64, b"k" * 65, ODD_KEY.encode()):
        ipad, opad = pii.hmac_pads(key)
        assert len(ipad) == len(opad) == 64
        for value in ("", "13900000000", INJECTION, "小明🙂"):
            inner = hashlib.sha256(ipad + value.encode()).digest()
            assert hashlib.sha256(opad + inner).hexdigest() == hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def test_duckdb_hash_function_is_the_hmac_on_every_cursor_keeps_nulls_and_stores_nothing(tmp_path: Path) -> None:
    key = ODD_KEY.encode() + b"x" * 60  # longer than a SHA-256 block: the key is hashed first
    values = ["", "13900000000", INJECTION, "小明🙂", "a" * 300, None]
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    try:
        define_hash_function(con, key)
        cursor = con.cursor()
        # a cursor is a connection of its own: without the plugin's second call it has no function
        with pytest.raises(duckdb.CatalogException):
            cursor.execute(f"select {FUNCTION_NAME}('a')")
        define_hash_function(cursor, key)
        for each in (con, cursor):
            got = each.execute(f"select v, {FUNCTION_NAME}(v) from unnest(?) as t(v)", [values]).fetchall()
            assert dict(got) == {v: None if v is None else pii.hmac_hex(key, v) for v in values}
        assert cursor.execute(f"select {FUNCTION_NAME}(12)").fetchone()[0] == pii.hmac_hex(key, "12")
        cursor.close()
        con.execute(f"create table hashed as select {FUNCTION_NAME}(v) as h from unnest(?) as t(v)", [values])
        con.execute("checkpoint")
    finally:
        con.close()
    wal = db.with_suffix(".duckdb.wal")
    data = db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert not [n for n in _key_forms(key) if n in data]
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("select count(*) from hashed where h is not null").fetchone()[0] == len(values) - 1
        with pytest.raises(duckdb.CatalogException):
            con.execute(f"select {FUNCTION_NAME}('a')")
    finally:
        con.close()


# --- Spark: the same HMAC from the pads, on a tiny local session ---------------------------------------

def _spark_missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed"
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and (Path(java_home) / "bin" / "java").exists()):
        return "no Java runtime"
    return None


def _spark_expression(column: str) -> str:
    source = (PROJECT_ROOT / "macros" / "pii_hash.sql").read_text()
    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    return env.from_string(source + "{{ spark__pii_hash('" + column + "') }}").render().strip()


@pytest.mark.skipif(_spark_missing() is not None, reason=f"Spark: {_spark_missing()}")
def test_spark_hash_equals_the_duckdb_hash(tmp_path: Path) -> None:
    from pyspark.sql import SparkSession

    key = ODD_KEY.encode()
    spark = (SparkSession.builder.master("local[1]").appName("pii").config("spark.ui.enabled", "false")
             .config("spark.sql.warehouse.dir", str(tmp_path / "wh")).getOrCreate())
    try:
        expression = _spark_expression("v")
        assert "${spark.livetier.pii_ipad}" in expression and key.hex() not in expression
        values = ["13900000000", INJECTION, "小明🙂", "", "链接呢\nline two"]
        frame = spark.createDataFrame([(v,) for v in values] + [(None,)], "v string")
        frame.createOrReplaceTempView("t")
        pads = pii.spark_env(key)  # what profiles.yml passes as these two session confs
        spark.conf.set("spark.livetier.pii_ipad", pads[pii.SPARK_IPAD_ENV])
        spark.conf.set("spark.livetier.pii_opad", pads[pii.SPARK_OPAD_ENV])
        got = dict(spark.sql(f"select v, {expression} as h from t").collect())
        assert got == {**{v: pii.hmac_hex(key, v) for v in values}, None: None}
        spark.conf.unset("spark.livetier.pii_opad")
        with pytest.raises(Exception, match="No personal-data key on Spark"):
            spark.sql(f"select {expression} as h from t").collect()
    finally:
        spark.stop()
