"""DuckDB vs Spark: the worked examples built on both engines give the same rows in every model.

One `dbt build` of the whole project per engine (the examples, as-of 2025-03-31, pinned clock),
then every model and seed both engines built is compared row for row: public marts first,
then staging, intermediate and seeds (so a difference is found where it starts). Decimals and
integers must be equal (money to the cent), floats within 1e-6, dates, timestamps, text and
booleans exactly; column names (in any order) and type families (text, integer, decimal,
float, date, timestamp, boolean) must agree; run-start columns (`_loaded_at`, `loaded_at`,
`_changed_at`) and the engine's own hashes (`fingerprint`, `stream_fingerprint`,
`purchases_fingerprint`, `sessions_fingerprint`, `refunds_fingerprint`, `event_id_hash`) and
DuckDB's file bookkeeping (`_source_sha256`) are left out. Data and unit
tests that pass on DuckDB must pass on Spark.

A second, smaller build runs staging and the quality marts on a raw directory of awkward
values (every bad-input class of test_bad_input, offsets, fractions, rounding, overflow,
folders mixing CSV and typed Parquet, quoted line breaks, Unicode), where the parsing macros
differ most between the engines. All four builds run at once.

Needs the Spark extra (`pip install -r requirements-spark.txt`: dbt-spark, pyspark) and a Java
runtime; skipped otherwise. Takes about 6-10 minutes on 2 cores (`make test-spark`).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import pickle
import shutil
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dbt_harness import EXAMPLES_RAW, SEED_AND_MODELS, STAGING_SELECT, build
from test_bad_input import _events, _orders, _other_tables, _refunds

from livetier import PROJECT_ROOT, pii
from livetier.publish import set_search_path
from livetier.rawcheck import raw_files_var

AS_OF = "2025-03-31"
# dbt Python models (the CLV fits): disabled on the Spark target, so their tests do not run there
PYTHON_MODELS = sorted(p.stem for p in (PROJECT_ROOT / "models").rglob("*.py"))
SPARK_SCHEMA = "livetier"  # `schema` of the spark target in profiles.yml
LAYER_ORDER = {"marts": 0, "staging": 1, "intermediate": 2, "seeds": 3}
# Run-start timestamps of the incremental models, the as-of chain's change fingerprints (sums of
# each engine's own hash function), base_live__events.event_id_hash (each engine's hash of the
# event_id, looked up only within one warehouse) and the orders' and order lines'
# `_source_sha256` (DuckDB's bookkeeping of the files they read by file; null on Spark, which
# rebuilds them): never compared.
VOLATILE_COLUMNS = {"_loaded_at", "loaded_at", "_changed_at", "fingerprint", "stream_fingerprint",
                    "purchases_fingerprint", "sessions_fingerprint", "refunds_fingerprint", "event_id_hash",
                    "_source_sha256"}
# The history marts' run log: DuckDB's incremental bookkeeping (Spark rebuilds those marts and logs
# nothing), a record of runs rather than data: never compared.
RUN_LOGS = {"int_history_runs_logged"}
# A test key (not a secret): both engines must hash with the same key to give the same rows.
PARITY_PII_KEY = "livetier-parity-test-key-0123456789"


def _spark_missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("dbt.adapters.spark") is None:
        return "the Spark extra is not installed (pip install -r requirements-spark.txt)"
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and (Path(java_home) / "bin" / "java").exists()):
        return "no Java runtime (java) for pyspark"
    return None


pytestmark = pytest.mark.skipif(_spark_missing() is not None, reason=f"Spark parity: {_spark_missing()}")


def _project_relations() -> list[tuple[str, str]]:
    """(layer, name) for every model and seed file of the project, marts first; read at collection time."""
    found = [("seeds", path.stem) for path in (PROJECT_ROOT / "seeds").glob("*.csv")]
    for path in (PROJECT_ROOT / "models").rglob("*.sql"):
        found.append((path.relative_to(PROJECT_ROOT / "models").parts[0], path.stem))
    return sorted(found, key=lambda item: (LAYER_ORDER.get(item[0], 9), item[1]))


def _unique_id(layer: str, name: str) -> str:
    return f"{'seed' if layer == 'seeds' else 'model'}.livetier.{name}"


@dataclass
class Table:
    columns: list[tuple[str, str]]  # (name, engine type)
    rows: list[tuple]


@dataclass
class EngineBuild:
    name: str
    result: subprocess.CompletedProcess
    target: Path
    statuses: dict[str, tuple[str, str]]  # unique_id -> (status, message)
    tables: dict[str, Table]


def _statuses(target: Path) -> dict[str, tuple[str, str]]:
    path = target / "run_results.json"
    if not path.exists():
        return {}
    results = json.loads(path.read_text())["results"]
    return {r["unique_id"]: (r["status"], r.get("message") or "") for r in results}


def _built_relations(statuses: dict[str, tuple[str, str]]) -> list[str]:
    return [uid.split(".")[-1] for uid, (status, _) in statuses.items()
            if uid.startswith(("model.", "seed.")) and status == "success"]


def _read_duckdb(db: Path, models: list[str]) -> dict[str, Table]:
    con = duckdb.connect(str(db), read_only=True)
    set_search_path(con)
    try:
        tables = {}
        for model in models:
            cursor = con.execute(f'select * from "{model}"')
            tables[model] = Table([(d[0], str(d[1])) for d in cursor.description], cursor.fetchall())
        return tables
    finally:
        con.close()


def _read_spark(warehouse: Path, models: list[str], scratch: Path) -> dict[str, Table]:
    out = scratch / "spark_tables.pickle"
    env = dict(os.environ, TZ="UTC")
    reader = Path(__file__).with_name("spark_read.py")
    done = subprocess.run([sys.executable, str(reader), str(warehouse), SPARK_SCHEMA, str(out), *models],
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    with open(out, "rb") as handle:
        raw = pickle.load(handle)
    return {name: Table(value["columns"], value["rows"]) for name, value in raw.items()}


def _start_both(pool: ThreadPoolExecutor, base: Path, raw: Path, as_of: str | None, select: str | None = None,
                command: str = "build", extra: list[str] | None = None,
                unit_tests: bool = False) -> tuple[Future, Future]:
    """Starts the DuckDB and the Spark build of `raw` under `base` (`unit_tests`: dbt's unit tests too)."""
    duck_db = base / "duckdb" / "w.duckdb"
    spark_dir = base / "spark"
    duck_db.parent.mkdir(parents=True)
    spark_dir.mkdir(parents=True)
    # one personal-data key for both engines: DuckDB's plugin reads it, Spark gets its HMAC pads
    key_env = {pii.KEY_ENV: PARITY_PII_KEY, pii.KEY_FILE_ENV: ""}
    spark_env = {"DBT_TARGET": "spark", "SPARK_WAREHOUSE_DIR": str(spark_dir), **key_env,
                 **pii.spark_env(PARITY_PII_KEY.encode())}
    duck_run = pool.submit(build, raw, duck_db, as_of=as_of, select=select, command=command, env_extra=key_env,
                           extra_args=list(extra or []), unit_tests=unit_tests)
    # the harness puts dbt's target/ beside the `db` path; Spark keeps its tables in spark_dir
    spark_run = pool.submit(build, raw, spark_dir / "unused.duckdb", as_of=as_of, select=select,
                            command=command, env_extra=spark_env, unit_tests=unit_tests,
                            extra_args=[*(extra or []), "--vars", raw_files_var(raw)])
    return duck_run, spark_run


def _read_both(base: Path, duck_run: Future, spark_run: Future) -> dict[str, EngineBuild]:
    """Waits for both builds of `base` and reads every relation each one built."""
    duck_db = base / "duckdb" / "w.duckdb"
    spark_dir = base / "spark"
    duck_result, spark_result = duck_run.result(), spark_run.result()
    duck_statuses = _statuses(duck_db.parent / "target")
    spark_statuses = _statuses(spark_dir / "target")
    assert duck_statuses, "DuckDB build wrote no run results:\n" + duck_result.stdout[-3000:]
    assert spark_statuses, "Spark build wrote no run results:\n" + spark_result.stdout[-3000:] \
        + spark_result.stderr[-3000:]
    return {
        "duckdb": EngineBuild("duckdb", duck_result, duck_db.parent / "target", duck_statuses,
                              _read_duckdb(duck_db, _built_relations(duck_statuses))),
        "spark": EngineBuild("spark", spark_result, spark_dir / "target", spark_statuses,
                             _read_spark(spark_dir, _built_relations(spark_statuses), base)),
    }


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, EngineBuild]]:
    """Both scenarios, all four builds at once (Spark spends most of its time waiting on itself).

    `examples`: the whole project (seeds, models, data and unit tests) on the worked examples.
    `awkward`: staging and the quality marts (no tests) on the awkward raw directory.
    """
    examples_base = tmp_path_factory.mktemp("parity")
    awkward_base = tmp_path_factory.mktemp("parity_awkward")
    _write_awkward_raw(awkward_base / "raw")
    with ThreadPoolExecutor(max_workers=4) as pool:
        examples_runs = _start_both(pool, examples_base, EXAMPLES_RAW, AS_OF, unit_tests=True)
        # seeds and models only: the base models read the seed quality_bounds; no tests on awkward data
        awkward_runs = _start_both(pool, awkward_base, awkward_base / "raw", AS_OF, select=STAGING_SELECT,
                                   extra=SEED_AND_MODELS)
        return {
            "examples": _read_both(examples_base, *examples_runs),
            "awkward": _read_both(awkward_base, *awkward_runs),
        }


@pytest.fixture(scope="module")
def engines(scenarios: dict[str, dict[str, EngineBuild]]) -> dict[str, EngineBuild]:
    return scenarios["examples"]


@pytest.fixture(scope="module")
def awkward(scenarios: dict[str, dict[str, EngineBuild]]) -> dict[str, EngineBuild]:
    return scenarios["awkward"]


def _write_awkward_raw(raw: Path) -> None:
    """test_bad_input's tables, with orders and events turned into folders of awkward files."""
    for write_bad_rows in (_orders, _events, _refunds, _other_tables):
        write_bad_rows(raw)
    for table in ("orders", "events"):
        (raw / table).mkdir()
        (raw / f"{table}.csv").rename(raw / table / "part-0.csv")
        (raw / table / "_skipped.csv").write_text("garbage\n1\n")
    # offsets, fractions, impossible times, rounding, overflow, padding; no currency column,
    # an extra column, columns in another order
    pd.DataFrame(
        [
            ["t01", "u1", "2025-03-10 10:00:00+0800", "  12.50 ", "1.005", "extra"],
            ["t02", "u1", "2025-03-10T10:00+08", ".5", "", ""],
            ["t03", "u2", "2025-03-10T10:00:00-05:30", "5.", "-0.004", ""],
            ["t04", "u2", "2025-03-10T10:00:00.5Z", "+3", "0001.10", ""],
            ["t05", "u3", "2025-03-10T10:00:00.123456789+08:00", "2.675", "0.994999", ""],
            ["t06", "u3", "2025-03-10T23:59:59.9999999", "1234567890123456.78", "", ""],
            ["t07", "u4", "2024-02-29T12:00:00", "-0.004", "", ""],
            ["t08", "u4", "2025-02-29T12:00:00", "1", "", ""],
            ["t09", "u5", "2025-03-10T24:00:00", "1", "", ""],
            ["t10", "u5", "2025-03-10T10:60:00", "1", "", ""],
            ["t11", "u6", "2025-03-10t10:00:00", "1", "", ""],
            ["t12", "u6", "2025-03-10T10:00:00Z\n", "1", "", ""],
            ["t13", "u7", "2025-03-10T00:30:00+08:00", "99999999999999999999", "", ""],
            ["t14", "u7", "2025-03-10 10:00:00 +08:00", "1", "", ""],
            ["t15", "u8", "\t2025-03-10T10:00:00Z", "1", "", ""],
            ["t16", "u8", "2025-03-10T10:00:00+14:00", "12345678901234567.8", "", ""],
            ["t17", "用户9", "2025-03-10", "7.77", "", ""],
        ],
        columns=["order_id", "user_id", "ordered_at", "amount", "discount_amount", "note"],
    ).assign(status="paid", paid_at=lambda frame: frame.ordered_at).to_csv(
        raw / "orders" / "part-1.csv", index=False)
    # typed Parquet: naive and zoned timestamps, a double amount, an integer user id
    pq.write_table(pa.table({
        "order_id": ["p1", "p2", "p3"],
        "user_id": pa.array([42, 43, 44], pa.int64()),
        "ordered_at": pa.array([datetime(2025, 3, 9, 23, 30), datetime(2025, 3, 10, 10, 0, 0, 500000),
                                datetime(2025, 3, 11, 16, 0)], pa.timestamp("us")),
        "paid_at": pa.array([datetime(2025, 3, 9, 23, 30), datetime(2025, 3, 10, 10, 0, 0, 250000), None],
                            pa.timestamp("us", tz="UTC")),
        "status": ["paid", "paid", "created"],
        "amount": pa.array([0.1 + 0.2, 100.0, 12.5], pa.float64()),
        "currency": ["CNY", None, "CNY"],
        # numbers in text columns (pandas' floats for integer ids with nulls): integer text when integral
        "coupon_id": pa.array([7.0, 2.5, math.nan], pa.float64()),
        "stream_id": pa.array([Decimal("3.00"), None, Decimal("-3.50")], pa.decimal128(5, 2)),
    }), raw / "orders" / "part-2.parquet")
    # Unicode, quotes, commas and a line break inside quoted text; hour of day near midnight
    pd.DataFrame(
        [
            ["w1", "用户9", "comment", "2025-03-10T23:59:59+08:00", "s1", "主播好，\"赞\"\n第二行"],
            ["w2", "用户9", "gift", "2025-03-10T16:00:00Z", "s1", None],
            ["w3", "u1", "like", "2025-03-10T15:59:59.999999Z", "s1", "  "],
        ],
        columns=["event_id", "user_id", "event_type", "event_at", "stream_id", "text"],
    ).to_csv(raw / "events" / "part-1.csv", index=False)
    # timestamps in nanoseconds, as pandas writes them (Spark reads them as numbers): naive and zoned,
    # typed (orders, events) and not (refunds), digits past the microsecond at a business day's end
    day_end = int(datetime(2025, 3, 10, 15, 59, 59, tzinfo=UTC).timestamp()) * 10**9
    pq.write_table(pa.table({
        "order_id": ["n1", "n2"],
        "user_id": ["u1", "u2"],
        "ordered_at": pa.array([day_end + 999_999_500, day_end + 3_600 * 10**9 + 123_456_789], pa.timestamp("ns")),
        "paid_at": pa.array([day_end + 10**9 + 1, None], pa.timestamp("ns", tz="UTC")),
        "status": ["paid", "created"],
        "amount": [10.0, 5.0],
    }), raw / "orders" / "part-3.parquet")
    pq.write_table(pa.table({
        "event_id": ["wn1"], "user_id": ["u1"], "event_type": ["like"], "stream_id": ["s1"],
        "event_at": pa.array([day_end + 999_999_999], pa.timestamp("ns", tz="Asia/Shanghai")),
    }), raw / "events" / "part-3.parquet")
    (raw / "refunds").mkdir()
    (raw / "refunds.csv").rename(raw / "refunds" / "part-0.csv")
    pq.write_table(pa.table({
        "refund_id": ["rn1", "rn2"], "order_id": ["n1", "p2"],
        "refunded_at": pa.array([day_end + 999_999_999, None], pa.timestamp("ns", tz="UTC")),
        "amount": ["1.00", "2.00"],
    }), raw / "refunds" / "part-1.parquet")


def _family(engine_type: str) -> str:
    t = engine_type.lower()
    if t.startswith(("varchar", "string", "char", "text")):
        return "text"
    if t.startswith("decimal"):
        return "decimal"
    if t in ("double", "float", "real"):
        return "float"
    if t.startswith(("tinyint", "smallint", "int", "bigint", "hugeint", "utinyint", "usmallint", "uinteger",
                     "ubigint", "uhugeint")):
        return "integer"
    if t.startswith("timestamp"):
        return "timestamp"
    if t in ("date", "boolean"):
        return t
    if t.startswith("array") or t.endswith("[]"):
        return "list"
    return t


def _same(left: object, right: object) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, float) or isinstance(right, float):
        return math.isclose(float(left), float(right), rel_tol=1e-9, abs_tol=1e-6)
    if isinstance(left, (int, Decimal)) and isinstance(right, (int, Decimal)):
        return Decimal(left) == Decimal(right)
    if isinstance(left, datetime) and isinstance(right, datetime):
        return left.replace(tzinfo=None) == right.replace(tzinfo=None)
    if isinstance(left, (date, str, bool)):
        return left == right
    return left == right


def _sort_key(row: tuple) -> tuple:
    key = []
    for value in row:
        if value is None:
            key.append((0, ""))
        elif isinstance(value, float):
            key.append((1, round(value, 6)))
        elif isinstance(value, (int, Decimal)):
            key.append((1, Decimal(value)))
        elif isinstance(value, datetime):
            key.append((1, value.replace(tzinfo=None).isoformat()))
        elif isinstance(value, (list, tuple)):
            key.append((1, repr(value)))
        else:
            key.append((1, value))
    return tuple(key)


def _without_volatile(table: Table) -> Table:
    keep = [i for i, (name, _) in enumerate(table.columns) if name.lower() not in VOLATILE_COLUMNS]
    return Table([table.columns[i] for i in keep], [tuple(row[i] for i in keep) for row in table.rows])


def compare_tables(duck: Table, spark: Table) -> list[str]:
    """Differences between the two engines' rows of one model, as sentences (empty when equal)."""
    duck, spark = _without_volatile(duck), _without_volatile(spark)
    problems = []
    duck_names = [name.lower() for name, _ in duck.columns]
    spark_names = [name.lower() for name, _ in spark.columns]
    if sorted(duck_names) != sorted(spark_names):
        return [f"columns differ: DuckDB {duck_names} vs Spark {spark_names}"]
    # matched by name: a partitioned Spark table (insert_overwrite) puts its partition columns last
    position = [spark_names.index(name) for name in duck_names]
    for (name, duck_type), spark_index in zip(duck.columns, position, strict=True):
        spark_type = spark.columns[spark_index][1]
        if _family(duck_type) != _family(spark_type):
            problems.append(f"column {name} is {duck_type} on DuckDB but {spark_type} on Spark (cast it)")
    if len(duck.rows) != len(spark.rows):
        problems.append(f"{len(duck.rows)} rows on DuckDB vs {len(spark.rows)} on Spark")
    left = sorted(duck.rows, key=_sort_key)
    right = sorted((tuple(row[i] for i in position) for row in spark.rows), key=_sort_key)
    shown = 0
    for duck_row, spark_row in zip(left, right, strict=False):
        if not all(_same(a, b) for a, b in zip(duck_row, spark_row, strict=True)):
            diff = {n: (a, b) for n, a, b in zip(duck_names, duck_row, spark_row, strict=True) if not _same(a, b)}
            problems.append(f"row differs (DuckDB, Spark): {diff} in DuckDB row {duck_row}")
            shown += 1
            if shown == 5:
                problems.append("... (first 5 differing rows shown)")
                break
    return problems


@pytest.mark.parametrize(("layer", "model"), _project_relations(), ids=lambda v: v)
def test_model_is_identical_on_spark(engines: dict[str, EngineBuild], layer: str, model: str) -> None:
    if model in RUN_LOGS:
        pytest.skip(f"{model} records DuckDB's incremental runs, not data; Spark rebuilds and logs nothing")
    duck, spark = engines["duckdb"], engines["spark"]
    uid = _unique_id(layer, model)
    if duck.statuses.get(uid, ("", ""))[0] != "success" or model not in duck.tables:
        pytest.skip(f"{model} was not built on DuckDB ({duck.statuses.get(uid, ('not in this build',))[0]})")
    spark_status, message = spark.statuses.get(uid, ("not run", ""))
    assert spark_status == "success", f"{model} did not build on Spark ({spark_status}): {message[-2000:]}"
    assert model in spark.tables, f"{model} built on Spark but no relation {SPARK_SCHEMA}.{model} was found"
    problems = compare_tables(duck.tables[model], spark.tables[model])
    assert not problems, f"{layer} model {model} differs between DuckDB and Spark:\n" + "\n".join(problems)


def test_public_marts_were_compared(engines: dict[str, EngineBuild]) -> None:
    """The ledger at least; every mart DuckDB built must exist on Spark too."""
    marts = [model for layer, model in _project_relations() if layer == "marts"]
    assert "data_quality_ledger" in marts
    built = [model for model in marts if model in engines["duckdb"].tables]
    assert "data_quality_ledger" in built, engines["duckdb"].result.stdout[-3000:]
    missing = [model for model in built if model not in engines["spark"].tables]
    assert not missing, f"marts built on DuckDB but not on Spark: {missing}"


def test_data_and_unit_tests_pass_on_spark_as_on_duckdb(engines: dict[str, EngineBuild]) -> None:
    duck, spark = engines["duckdb"], engines["spark"]
    broken = []
    for uid, (status, _) in sorted(duck.statuses.items()):
        if not uid.startswith(("test.", "unit_test.")) or status != "pass":
            continue
        spark_status, message = spark.statuses.get(uid, ("not run", ""))
        if spark_status == "not run" and any(f"_{name}_" in uid for name in PYTHON_MODELS):
            continue  # a test of a dbt Python model, which the Spark target disables (see clv_predictions_enabled)
        if spark_status != "pass":
            broken.append(f"{uid}: {spark_status} {message[-500:]}")
    assert not broken, "tests passing on DuckDB but not on Spark:\n" + "\n".join(broken)


def test_awkward_raw_values_parse_identically(awkward: dict[str, EngineBuild]) -> None:
    duck, spark = awkward["duckdb"], awkward["spark"]
    assert duck.result.returncode == 0, duck.result.stdout[-3000:]
    assert spark.result.returncode == 0, spark.result.stdout[-3000:] + spark.result.stderr[-2000:]
    assert duck.tables["data_quality_ledger"].rows, "the awkward build produced an empty ledger"
    assert sorted(duck.tables) == sorted(spark.tables)
    problems = []
    for name in sorted(duck.tables):
        problems += [f"{name}: {problem}" for problem in compare_tables(duck.tables[name], spark.tables[name])]
    assert not problems, "awkward raw values differ between DuckDB and Spark:\n" + "\n".join(problems)
