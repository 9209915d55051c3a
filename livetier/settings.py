"""Settings from the environment, parsed and validated before dbt starts.

Every value that reaches SQL text is checked here, so a bad one stops the CLI with one sentence
(exit 2) before dbt runs a single step: `AS_OF_DATE` (a real YYYY-MM-DD date), `BUILD_CLOCK` (an
ISO-8601 timestamp, normalised to canonical UTC text), `BUSINESS_TIMEZONE` (an IANA zone name)
and the DuckDB sizes and thread count of the profile. The dbt macros `setting_date`,
`setting_timestamp`, `business_timezone` and `validate_settings` apply the same rules when dbt is
run directly.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

import pytz

_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.]([0-9]+))?)?(?:(Z)|([+-])([0-9]{2})(?::?([0-9]{2}))?)?)?"
)
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_SIZE = re.compile(r"[0-9]+(?:[.][0-9]+)? ?(?:[KMGT]i?B|B)", re.IGNORECASE)
_ZONE = re.compile(r"[A-Za-z0-9/_+-]+")


class SettingsError(ValueError):
    """A setting that cannot be used; the message is one sentence naming it."""


def _shown(value: str) -> str:
    """The value as the messages quote it: cut to 40 characters, escapes visible."""
    return repr(value[:40])


def _real_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def parse_as_of_date(text: str, name: str = "AS_OF_DATE") -> str:
    """`YYYY-MM-DD` of a real calendar date ('' when empty), else SettingsError."""
    value = text.strip()
    if not value:
        return ""
    match = _DATE.fullmatch(value)
    if match is None or not _real_date(*(int(g) for g in match.groups())):
        raise SettingsError(
            f"{name} must be a real calendar date written YYYY-MM-DD, such as 2025-03-31 (got {_shown(value)})."
        )
    return value


def parse_build_clock(text: str, name: str = "BUILD_CLOCK") -> str:
    """Canonical UTC text `YYYY-MM-DDTHH:MM:SS.ffffffZ` of an ISO-8601 timestamp ('' when empty).

    The contract's timestamp form: an offset (`Z`, `+HH:MM`, `+HHMM`, `+HH`) is honoured, none
    means UTC, a bare date is midnight; years 1000-9998; the fraction is cut to microseconds.
    """
    value = text.strip()
    if not value:
        return ""
    match = _TIMESTAMP.fullmatch(value)
    problem = None
    if match is None:
        problem = "it is not of the form YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|+HH:MM]"
    else:
        year, month, day = (int(g) for g in match.group(1, 2, 3))
        hour, minute, second = (int(g or 0) for g in match.group(4, 5, 6))
        offset_hour, offset_minute = (int(g or 0) for g in match.group(10, 11))
        if not 1000 <= year <= 9998:
            problem = "the year must be between 1000 and 9998"
        elif not _real_date(year, month, day):
            problem = "that day does not exist"
        elif hour > 23 or minute > 59 or second > 59 or offset_hour > 23 or offset_minute > 59:
            problem = "the time of day or the offset is out of range"
    if problem is not None:
        raise SettingsError(
            f"{name} must be an ISO-8601 timestamp such as 2025-04-20T00:00:00Z, but {problem} (got {_shown(value)})."
        )
    micro = int(((match.group(7) or "") + "000000")[:6])
    sign = -1 if match.group(9) == "-" else 1
    local = dt.datetime(year, month, day, hour, minute, second, micro)
    utc = local - dt.timedelta(minutes=sign * (offset_hour * 60 + offset_minute))
    return utc.isoformat(timespec="microseconds") + "Z"


def parse_time_zone(text: str, name: str = "BUSINESS_TIMEZONE") -> str:
    """An IANA time zone name known to pytz (what dbt's `modules.pytz` checks), else SettingsError."""
    value = text.strip()
    if value not in pytz.all_timezones_set or _ZONE.fullmatch(value) is None:
        raise SettingsError(f"{name} must be an IANA time zone name such as Asia/Shanghai (got {_shown(value)}).")
    return value


def parse_size(text: str, name: str) -> str:
    """A DuckDB size such as `3GB` or `512 MiB`, else SettingsError."""
    value = text.strip()
    if _SIZE.fullmatch(value) is None:
        raise SettingsError(f"{name} must be a size such as 3GB or 512MiB (got {_shown(value)}).")
    return value


def parse_threads(text: str, name: str = "DUCKDB_THREADS") -> str:
    """A whole number of threads, at least 1, else SettingsError."""
    value = text.strip()
    if not value.isdigit() or not value.isascii() or int(value) < 1:
        raise SettingsError(f"{name} must be a whole number of threads, at least 1 (got {_shown(value)}).")
    return str(int(value))


def validated_env(env: Mapping[str, str]) -> dict[str, str]:
    """The settings of `env` that reach SQL, parsed and normalised; raises SettingsError on the first bad one.

    Only the variables present are returned (absent ones keep dbt's defaults), so the result can be
    merged over `env` before dbt starts.
    """
    parsers = {
        "AS_OF_DATE": parse_as_of_date,
        "BUILD_CLOCK": parse_build_clock,
        "BUSINESS_TIMEZONE": parse_time_zone,
        "DUCKDB_MEMORY_LIMIT": lambda v: parse_size(v, "DUCKDB_MEMORY_LIMIT"),
        "DUCKDB_MAX_TEMP_SIZE": lambda v: parse_size(v, "DUCKDB_MAX_TEMP_SIZE"),
        "DUCKDB_THREADS": parse_threads,
    }
    return {key: parse(env[key]) for key, parse in parsers.items() if key in env}
