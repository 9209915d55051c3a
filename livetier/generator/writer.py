"""Writing the tables: one sink per contract table (``<t>.parquet``, ``<t>.csv`` or a folder
``<t>/`` of monthly Parquet files for events), and the ground truth. Writer options are fixed,
so a seed always gives byte-identical files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from livetier.generator.contract import CAMPAIGN_UPLIFT_SCHEMA, INT, SCHEMAS, STR, TABLES
from livetier.generator.corruption import unparseable_timestamps
from livetier.generator.vocabulary import UTC_OFFSET

PARQUET_OPTS = {
    "compression": "zstd",
    "compression_level": 1,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_version": "1.0",
}


def csv_ready(table: pa.Table, bad_ts: dict[str, np.ndarray] | None) -> pa.Table:
    """Timestamps as ISO-8601 strings with the Shanghai offset (``+08:00``)."""
    cols, fields = [], []
    for f, col in zip(table.schema, table.columns, strict=True):
        if pa.types.is_timestamp(f.type):
            us = pc.cast(col, INT)
            local = pc.cast(pc.divide(pc.add(us, UTC_OFFSET * 1_000_000), 1_000_000), pa.timestamp("s"))
            col = pc.binary_join_element_wise(pc.strftime(local, format="%Y-%m-%dT%H:%M:%S"), "+08:00", "")
            if bad_ts and f.name in bad_ts and bad_ts[f.name].any():
                mask = bad_ts[f.name]
                col = pc.if_else(pa.array(mask), pa.array(unparseable_timestamps(mask)), col)
            f = pa.field(f.name, STR)
        cols.append(col)
        fields.append(f)
    return pa.Table.from_arrays(cols, schema=pa.schema(fields))


class Sink:
    """One table's output: ``<t>.parquet``, ``<t>.csv`` or a folder ``<t>/`` of Parquet files."""

    def __init__(self, out: Path, name: str, fmt: str, split_month_col: str | None = None) -> None:
        self.out, self.name, self.fmt = out, name, fmt
        self.schema = SCHEMAS[name]
        self.split_col = split_month_col if fmt == "folder" else None
        self.writers: dict[str, object] = {}
        self.files: list = []
        self.rows = 0
        if fmt == "folder":
            (out / name).mkdir(parents=True, exist_ok=True)

    def _writer(self, key: str):
        w = self.writers.get(key)
        if w is None:
            if self.fmt == "parquet":
                w = pq.ParquetWriter(str(self.out / f"{self.name}.parquet"), self.schema, **PARQUET_OPTS)
            elif self.fmt == "folder":
                w = pq.ParquetWriter(str(self.out / self.name / f"{key}.parquet"), self.schema, **PARQUET_OPTS)
            else:
                csv_schema = pa.schema(
                    [pa.field(f.name, STR) if pa.types.is_timestamp(f.type) else f for f in self.schema]
                )
                # header written by hand: Arrow would quote the column names
                fh = open(self.out / f"{self.name}.csv", "wb")  # closed in close()
                fh.write((",".join(self.schema.names) + "\n").encode())
                self.files.append(fh)
                w = pacsv.CSVWriter(
                    fh, csv_schema, write_options=pacsv.WriteOptions(include_header=False, quoting_style="none")
                )
            self.writers[key] = w
        return w

    def write(self, table: pa.Table, bad_ts: dict[str, np.ndarray] | None = None) -> None:
        if table.num_rows == 0:
            return
        self.rows += table.num_rows
        if self.fmt == "csv":
            self._writer("main").write_table(csv_ready(table, bad_ts))
        elif self.split_col is None:
            self._writer("part-0").write_table(table)
        else:
            sec = pc.cast(table[self.split_col], INT).to_numpy() // 1_000_000 + UTC_OFFSET
            month = sec.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
            for m in np.unique(month):
                key = str(np.datetime64(int(m), "M"))
                self._writer(key).write_table(table.filter(pa.array(month == m)))

    def close(self) -> None:
        if not self.writers:  # still write an empty, typed file
            key = "main" if self.fmt == "csv" else "part-0"
            w = self._writer(key)
            if self.fmt == "csv":
                w.write_table(csv_ready(self.schema.empty_table(), None))
        for key in sorted(self.writers):
            self.writers[key].close()
        for fh in self.files:
            fh.close()



def clear_outputs(out: Path) -> None:
    for name in TABLES:
        for p in (out / f"{name}.parquet", out / f"{name}.csv"):
            if p.is_file():
                p.unlink()
        d = out / name
        if d.is_dir():
            shutil.rmtree(d)



def write_truth(truth_dir: Path, user_types: pa.Table, campaign_uplift: list[dict]) -> None:
    """``user_types.parquet`` (every user's latent type) and ``campaign_uplift.parquet``."""
    pq.write_table(user_types, truth_dir / "user_types.parquet", **PARQUET_OPTS)
    pq.write_table(
        pa.Table.from_pylist(campaign_uplift, schema=CAMPAIGN_UPLIFT_SCHEMA),
        truth_dir / "campaign_uplift.parquet",
        **PARQUET_OPTS,
    )
