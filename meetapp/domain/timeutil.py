"""Time handling: aware UTC inside, the viewer's IANA time zone only at the edges."""
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from difflib import SequenceMatcher
from functools import lru_cache
from importlib import resources
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


# The zones offered in lists ---------------------------------------------------------------
# tzdata's zone.tab names, country by country, every place that keeps its own clock, and none of
# the older names kept for compatibility (Africa/Asmera, America/Atka, US/Eastern). zone1970.tab
# would be shorter, but it merges zones that agree since 1970, so Oslo would be found only as Berlin.
# Any valid IANA name is still accepted (is_timezone): these are only the ones offered.

REGION_LABELS = {"America": "Americas", "Atlantic": "Atlantic Ocean", "Indian": "Indian Ocean", "Pacific": "Pacific Ocean"}
MAX_TIMEZONE_SEARCH_LENGTH = 100
# How alike two city names must be (difflib's ratio) to count as spellings of one place: Asmera and
# Asmara are 0.83, Belfast and Jersey 0.31.
SPELT_ALIKE = 0.6


@dataclass(frozen=True)
class ListedZone:
    name: str  # "America/Indiana/Indianapolis"
    region: str  # "Americas"; "" for UTC
    place: str  # "Indianapolis (Indiana), United States"
    # Other names for the same clock that mean this place: "Asia/Calcutta" for Asia/Kolkata.
    aliases: tuple[str, ...] = ()

    def search_text(self) -> str:
        return _searchable(" ".join((self.name, self.place, *self.aliases)))


def _tzdata_text(file_name: str) -> str:
    return resources.files("tzdata").joinpath("zoneinfo", file_name).read_text(encoding="utf-8")


def _tzdata_rows(file_name: str) -> list[list[str]]:
    return [line.split("\t") for line in _tzdata_text(file_name).splitlines() if line and not line.startswith("#")]


def _searchable(text: str) -> str:
    return text.replace("_", " ").replace("/", " ").casefold()


def _city(name: str) -> str:
    return name.rsplit("/", 1)[-1].casefold()


def _region(name: str) -> str:
    return REGION_LABELS.get(name.split("/")[0], name.split("/")[0]) if "/" in name else ""


def _place(name: str, country: str) -> str:
    """ "Indianapolis (Indiana), United States" for America/Indiana/Indianapolis in the US."""
    _area, *within, city = [part.replace("_", " ") for part in name.split("/")]
    within = [part for part in within if part != country]
    return city + (f" ({', '.join(within)})" if within else "") + f", {country}"


@lru_cache(maxsize=1)
def listed_timezones() -> tuple[ListedZone, ...]:
    """UTC, then every zone of zone.tab by region and place, each with its other names."""
    countries = {row[0]: row[1] for row in _tzdata_rows("iso3166.tab")}
    available = set(timezone_names())
    places = {"UTC": "UTC (Coordinated Universal Time)"}
    for code, _coordinates, name, *_comment in _tzdata_rows("zone.tab"):
        if name in available:
            places[name] = _place(name, countries.get(code, code))
    # tzdata.zi's "L target alias" lines tie each other name to the zone whose clock it keeps. Listed names
    # can be such names too (Europe/Oslo keeps Europe/Berlin's clock), so an unlisted name goes to the
    # listed zone on its clock with a city spelt much like it (Africa/Asmera: Asmara, not Nairobi), else to
    # the clock's own zone (GB: London).
    clock_of = {
        alias: target
        for _link, target, alias in (line.split() for line in _tzdata_text("tzdata.zi").splitlines() if line.startswith("L "))
    }
    listed_by_clock = defaultdict(list)
    for name in places:
        listed_by_clock[clock_of.get(name, name)].append(name)
    aliases = defaultdict(list)
    # Every link, and the clocks themselves that are not listed under their own name (Etc/UTC).
    for other, clock in [*clock_of.items(), *((clock, clock) for clock in listed_by_clock)]:
        listed = listed_by_clock.get(clock)
        if other not in places and listed:
            likeness = {name: SequenceMatcher(None, _city(name), _city(other)).ratio() for name in listed}
            closest = max(listed, key=likeness.get)
            if likeness[closest] < SPELT_ALIKE and clock in places:
                closest = clock
            aliases[closest].append(other)
    zones = [ListedZone(name, _region(name), place, tuple(sorted(aliases[name]))) for name, place in places.items()]
    # UTC (no region) first, then by region and place.
    return tuple(sorted(zones, key=lambda zone: (zone.region, zone.place)))


def listed_timezone(name: str) -> ListedZone | None:
    """The listed zone called `name`, or the one it is another name for; None if there is none."""
    for zone in listed_timezones():
        if name == zone.name or name in zone.aliases:
            return zone
    return None


def find_timezones(query: str) -> tuple[ListedZone, ...]:
    """The listed zones whose name, place or other names contain every word of `query`."""
    words = _searchable(query[:MAX_TIMEZONE_SEARCH_LENGTH]).split()
    return tuple(zone for zone in listed_timezones() if all(word in zone.search_text() for word in words))


def utc_offset(name: str, now: datetime) -> str:
    """The zone's offset at `now`, as "UTC+05:30" or "UTC-03:00"."""
    offset = now.astimezone(ZoneInfo(name)).utcoffset() or timedelta(0)
    minutes = abs(offset) // timedelta(minutes=1)
    return f"UTC{'-' if offset < timedelta(0) else '+'}{minutes // 60:02d}:{minutes % 60:02d}"


def utcnow() -> datetime:
    return datetime.now(UTC)


_ISO_CHARACTERS = re.compile(r"[0-9Tt:.,+\-Zz ]+")


def parse_aware_iso(text: str) -> datetime:
    """Parse ISO 8601 that carries `Z` or an offset; return it in UTC.

    Raises ValueError for anything else, including naive times, which would be ambiguous.
    """
    # Python 3.11's fromisoformat skips one character of any kind before the offset ("…00xZ",
    # "…00\x00Z"): only the characters of an ISO 8601 time get that far.
    if not isinstance(text, str) or not 10 <= len(text) <= 40 or not _ISO_CHARACTERS.fullmatch(text):
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


def start_of_day(day: date, tz_name: str) -> datetime:
    """The first instant of `day` in `tz_name`, in UTC. Where the clocks skip midnight (spring
    forward at 00:00), fold=0 reads it with the offset before the change, which is exactly the
    instant the day starts (01:00 local); where midnight happens twice, fold=0 is the first."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def to_local(value: datetime, tz_name: str) -> datetime:
    return value.astimezone(ZoneInfo(tz_name))


def minutes_between(start: datetime, end: datetime) -> int:
    return int((end - start) / timedelta(minutes=1))


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def other_day(value: datetime, reference: datetime, tz_name: str) -> str | None:
    """The day of `value` in `tz_name` ('Tue 8 Dec', 'Wed 5 Jan 2028' in another year), or None when it
    falls on the same local day as `reference` (usually now: "today" needs no date).

    Spelled out rather than strftime'd: the same English whatever the process locale.
    """
    zone = ZoneInfo(tz_name)
    local, seen_from = value.astimezone(zone), reference.astimezone(zone)
    if local.date() == seen_from.date():
        return None
    day = f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]}"
    return day if local.year == seen_from.year else f"{day} {local.year}"
