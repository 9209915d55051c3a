"""Reads tables of a dbt-spark warehouse into plain Python rows (run as a subprocess by the parity test).

    python spark_read.py WAREHOUSE_DIR SCHEMA OUT.pickle TABLE [TABLE ...]

WAREHOUSE_DIR is the SPARK_WAREHOUSE_DIR the `spark` target of profiles.yml ran with: the
parquet files are in WAREHOUSE_DIR/warehouse and the Derby metastore in WAREHOUSE_DIR/metastore,
as the profile puts them. Writes {table: {"columns": [(name, type)], "rows": [tuple]}} for every
table that exists. Run it with TZ=UTC: Spark hands timestamps to Python in the local zone.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    warehouse, schema, out, *tables = argv
    base = Path(warehouse).resolve()
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(base / "warehouse"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={base / 'metastore'} -Duser.timezone=UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .enableHiveSupport()
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        existing = {row.tableName for row in spark.sql(f"show tables in {schema}").collect()}
        result = {}
        for table in tables:
            if table not in existing:
                continue
            frame = spark.table(f"{schema}.{table}")
            result[table] = {
                "columns": [(field.name, field.dataType.simpleString()) for field in frame.schema.fields],
                "rows": [tuple(row) for row in frame.collect()],
            }
    finally:
        spark.stop()
    with open(out, "wb") as handle:
        pickle.dump(result, handle)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
