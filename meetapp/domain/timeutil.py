"""Time handling: aware UTC inside, the viewer's IANA time zone only at the edges."""
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


class NonexistentLocalTime(ValueError):
    """A wall-clock time that a daylight-saving jump skips in that zone."""


@lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    return tuple(sorted(name for name in available_timezones() if "/" in name or name == "UTC"))


def is_timezone(name: str) -> bool:
    if not isinstance(name, str) or name not in timezone_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_aware_iso(text: str) -> datetime:
    """Parse ISO 8601 that carries `Z` or an offset; return it in UTC.

    Raises ValueError for anything else, including naive times, which would be ambiguous.
    """
    if not isinstance(text, str) or not 10 <= len(text) <= 40:
        raise ValueError("Give the time in ISO 8601, e.g. 2026-11-24T15:00:00Z.")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("Give the time in ISO 8601, e.g. 2026-11-24T15:00:00Z.") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("The time needs a time zone: end it with Z or an offset such as +01:00.")
    return value.astimezone(UTC)


def iso_z(value: datetime) -> str:
    """Render an aware datetime as ISO 8601 UTC with a trailing Z, to the second."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def local_to_utc(wall_time: datetime, tz_name: str) -> datetime:
    """Interpret a naive wall-clock time in `tz_name` and return it in UTC.

    A time the clocks skip (spring forward) is refused rather than silently moved;
    a time that happens twice (fall back) means its first occurrence.
    """
    zone = ZoneInfo(tz_name)
    local = wall_time.replace(tzinfo=zone, fold=0)
    as_utc = local.astimezone(UTC)
    if as_utc.astimezone(zone).replace(tzinfo=None) != wall_time.replace(tzinfo=None):
        raise NonexistentLocalTime(
            f"{wall_time:%H:%M} does not exist on {wall_time:%d %b %Y} in {tz_name} (the clocks change)."
        )
    return as_utc


def to_local(value: datetime, tz_name: str) -> datetime:
    return value.astimezone(ZoneInfo(tz_name))


def minutes_between(start: datetime, end: datetime) -> int:
    return int((end - start) / timedelta(minutes=1))
