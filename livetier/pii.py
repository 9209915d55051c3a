"""The key for hashing personal data (phone, nickname, comment text) and the keyed hash itself.

The hash is HMAC-SHA256 (hex) under a secret key that never appears in SQL text, dbt vars,
logs or artifacts. The key is, in this order of precedence (setting both is an error):

- `LIVETIER_PII_KEY`: the key itself (its UTF-8 bytes);
- `LIVETIER_PII_KEY_FILE`: a file holding the key (its bytes, one trailing newline ignored);
- otherwise `<warehouse>.pii-key` beside the DuckDB file: created once with a random 256-bit key
  (64 hex characters, mode 0600, atomically: never overwritten) and reused afterwards.

On DuckDB, `livetier.duckdb_plugin` resolves the key and defines `livetier_pii_hash(value)` on
each connection (DuckDB's own sha256 over the HMAC pads, held in session variables). Spark gets
the pads as secret env vars (`spark_env`), which profiles.yml turns into session confs read back
by `spark__pii_hash`; the pads are as secret as the key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_ENV = "LIVETIER_PII_KEY"
KEY_FILE_ENV = "LIVETIER_PII_KEY_FILE"
KEY_SUFFIX = ".pii-key"
# A shorter key could be found by brute force together with the hashed values.
MIN_KEY_BYTES = 16
SPARK_IPAD_ENV = "DBT_ENV_SECRET_LIVETIER_PII_IPAD"
SPARK_OPAD_ENV = "DBT_ENV_SECRET_LIVETIER_PII_OPAD"
_BLOCK = 64  # SHA-256 block size in bytes


class PiiKeyError(RuntimeError):
    """The key cannot be resolved; the message is one sentence and never contains the key."""


def key_file_for(warehouse: str | os.PathLike) -> Path:
    return Path(str(warehouse) + KEY_SUFFIX)


def _checked(key: bytes, origin: str) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        raise PiiKeyError(f"The personal-data key from {origin} is {len(key)} bytes long: "
                          f"use at least {MIN_KEY_BYTES} (for example 64 random hex characters).")
    return key


def _read_key_file(path: Path, origin: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PiiKeyError(f"Cannot read the personal-data key file {path} ({origin}): "
                          f"{exc.strerror or exc}.") from None
    if data.endswith(b"\r\n"):
        data = data[:-2]
    elif data.endswith(b"\n"):
        data = data[:-1]
    return _checked(data, f"{origin} {path}")


def _create_key_file(path: Path) -> bytes:
    """Writes a new random key to `path` unless another process got there first; returns the key in it."""
    key = secrets.token_hex(32).encode("ascii")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # atomic, and fails instead of replacing a key that exists
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)
    return _read_key_file(path, "the warehouse's key file")


def resolve_key(warehouse: str | os.PathLike | None, environ: dict[str, str] | None = None) -> bytes:
    """The key for this warehouse (see the module docstring); creates the warehouse key file if needed."""
    env = os.environ if environ is None else environ
    given, given_file = env.get(KEY_ENV, ""), env.get(KEY_FILE_ENV, "")
    if given and given_file:
        raise PiiKeyError(f"Both {KEY_ENV} and {KEY_FILE_ENV} are set: set only one of them.")
    if given:
        return _checked(given.encode("utf-8"), KEY_ENV)
    if given_file:
        return _read_key_file(Path(given_file).expanduser(), KEY_FILE_ENV)
    if warehouse is None or str(warehouse) in ("", ":memory:") or str(warehouse).startswith(("md:", "motherduck:")):
        raise PiiKeyError(f"No personal-data key: set {KEY_ENV} or {KEY_FILE_ENV} "
                          "(a key is created automatically only beside a DuckDB warehouse file).")
    path = key_file_for(Path(warehouse).expanduser().resolve())
    if path.exists():
        return _read_key_file(path, "the warehouse's key file")
    if not path.parent.is_dir():
        raise PiiKeyError(f"Cannot create the personal-data key file {path}: its folder does not exist.")
    try:
        return _create_key_file(path)
    except OSError as exc:
        raise PiiKeyError(f"Cannot create the personal-data key file {path}: {exc.strerror or exc}.") from None


def hmac_hex(key: bytes, value: str) -> str:
    """The reference keyed hash of one value (what `livetier_pii_hash` and `spark__pii_hash` return)."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The HMAC-SHA256 inner and outer pads of `key`: HMAC(K, m) = sha256(opad || sha256(ipad || m)).

    As secret as the key (the key is recovered from either)."""
    block_key = hashlib.sha256(key).digest() if len(key) > _BLOCK else key
    block_key = block_key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in block_key), bytes(b ^ 0x5C for b in block_key)


def spark_env(key: bytes) -> dict[str, str]:
    """Env vars for a Spark run: the HMAC inner and outer pads (hex), which profiles.yml makes session confs.

    dbt scrubs the values of `DBT_ENV_SECRET_*` env vars from its logs; treat them like the key.
    """
    ipad, opad = hmac_pads(key)
    return {SPARK_IPAD_ENV: ipad.hex(), SPARK_OPAD_ENV: opad.hex()}
