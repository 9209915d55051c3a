"""Building blocks: contract-typed Arrow arrays straight from numpy buffers (no per-row Python),
the seeded random streams, and two vectorised helpers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from livetier.generator.contract import DEC, INT, STR, TS


def _bitmap(valid: np.ndarray | None) -> tuple[pa.Buffer | None, int]:
    if valid is None:
        return None, 0
    valid = np.asarray(valid, dtype=bool)
    nulls = int(len(valid) - np.count_nonzero(valid))
    if nulls == 0:
        return None, 0
    return pa.py_buffer(np.packbits(valid, bitorder="little")), nulls


def digits(prefix: str, nums: np.ndarray, width: int, valid: np.ndarray | None = None) -> pa.Array:
    """String array ``prefix + zero-padded nums`` built directly from buffers."""
    nums = np.asarray(nums, dtype=np.int64)
    n = len(nums)
    p = prefix.encode()
    lp = len(p)
    rec = lp + width
    buf = np.empty((n, rec), dtype=np.uint8)
    if lp:
        buf[:, :lp] = np.frombuffer(p, dtype=np.uint8)
    x = np.where(nums < 0, 0, nums)
    for j in range(width - 1, -1, -1):
        buf[:, lp + j] = x % 10 + 48
        x = x // 10
    offsets = np.arange(n + 1, dtype=np.int32) * rec
    bm, nulls = _bitmap(valid)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf), bm, nulls)


def vocab(words, codes: np.ndarray) -> pa.Array:
    """Strings from a vocabulary by integer code; negative codes are null."""
    codes = np.asarray(codes, dtype=np.int32)
    neg = codes < 0
    idx = pa.array(np.where(neg, 0, codes), type=pa.int32(), mask=neg if neg.any() else None)
    return pa.array(list(words), type=STR).take(idx)


def _prim(typ: pa.DataType, values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    values = np.ascontiguousarray(values, dtype=np.int64)
    bm, nulls = _bitmap(valid)
    return pa.Array.from_buffers(typ, len(values), [bm, pa.py_buffer(values)], null_count=nulls)


def ts(sec: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Timestamps from UTC epoch seconds."""
    return _prim(TS, np.asarray(sec, dtype=np.int64) * 1_000_000, valid)


def ints(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return _prim(INT, values, valid)


def dec(cents: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Money from integer cents."""
    cents = np.asarray(cents, dtype=np.int64)
    buf = np.empty((len(cents), 2), dtype=np.int64)
    buf[:, 0] = cents
    buf[:, 1] = cents >> 63
    bm, nulls = _bitmap(valid)
    return pa.Array.from_buffers(DEC, len(cents), [bm, pa.py_buffer(buf)], null_count=nulls)


def rng_for(seed: int, *path: int) -> np.random.Generator:
    """The random stream of one part of the simulation: ``(seed, *path)`` names it."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), *map(int, path)])))


def rank_in_group(keys_sorted: np.ndarray) -> np.ndarray:
    """0-based position of each row inside its run of equal (sorted) keys."""
    n = len(keys_sorted)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    idx = np.arange(n)
    first = np.empty(n, dtype=bool)
    first[0] = True
    first[1:] = keys_sorted[1:] != keys_sorted[:-1]
    start = np.maximum.accumulate(np.where(first, idx, 0))
    return idx - start


def choice_cum(rng: np.random.Generator, cum: np.ndarray) -> np.ndarray:
    """Row-wise categorical draw from a matrix of cumulative probabilities (n, k)."""
    u = rng.random(len(cum))[:, None]
    return np.minimum((u >= cum[:, :-1]).sum(axis=1), cum.shape[1] - 1)
