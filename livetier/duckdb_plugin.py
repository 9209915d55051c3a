"""dbt-duckdb plugin: registers `livetier_pii_hash(varchar) -> varchar` (hex HMAC-SHA256) on the connection.

Declared under `plugins:` of the duckdb output in profiles.yml, so every dbt command (plain
`dbt build` as well as `python -m livetier`) hashes with the key of `livetier.pii`, resolved
here in Python: the key never enters SQL text, dbt vars, logs or artifacts. A null stays null.
The function is vectorised (Arrow batches in, Arrow out) and only hashes the non-null values.
"""

from __future__ import annotations

import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt_common.exceptions import DbtRuntimeError

from livetier.pii import PiiKeyError, hasher, resolve_key

FUNCTION_NAME = "livetier_pii_hash"
CACHE_SIZE = 200_000


def arrow_hash_function(key: bytes, cache_size: int = CACHE_SIZE):
    """The Arrow UDF body: hashes each non-null value of a string array, keeps nulls.

    Live-room comments repeat a lot ("666", "链接呢"), so hashes are memoised (at most
    `cache_size` values, in this process's memory only, emptied when full).
    """
    one = hasher(key)
    cache: dict[str, str] = {}

    def pii_hash(values: pa.Array) -> pa.Array:
        if values.null_count == len(values):
            return pa.nulls(len(values), pa.string())
        out = []
        for value in values.to_pylist():
            if value is None:
                out.append(None)
                continue
            digest = cache.get(value)
            if digest is None:
                digest = one(value)
                if len(cache) >= cache_size:
                    cache.clear()
                cache[value] = digest
            out.append(digest)
        return pa.array(out, pa.string())

    return pii_hash


class Plugin(BasePlugin):
    def initialize(self, plugin_config):
        self._function = None

    def configure_connection(self, conn):
        if self._function is None:
            try:
                key = resolve_key(self.creds.path if self.creds is not None else None)
            except PiiKeyError as exc:
                raise DbtRuntimeError(str(exc)) from None
            self._function = arrow_hash_function(key)
        # cursors (one per dbt thread) share the functions of the connection they come from
        conn.create_function(FUNCTION_NAME, self._function, ["VARCHAR"], "VARCHAR", type="arrow",
                             null_handling="special", side_effects=False)
