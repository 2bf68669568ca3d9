"""A mentor's availability and the free start times it gives: the slots a mentee picks from.

Hours are wall-clock times in the mentor's own zone, so "Mondays 09:00–12:00" stays 09:00 in
Berlin across daylight-saving changes; each day's hours are turned into real instants in that
zone's rules for that date, and everything after that is UTC. Pure Python; `now` is a parameter.

On the nights the clocks change, an hour that does not exist (02:30 on a spring-forward night)
starts or ends at the change, and an hour that happens twice (01:30 on a fall-back night) counts
both times: hours of 00:00–03:00 that night are four real hours, and slots step through both.
"""
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
GRID = timedelta(minutes=15)


class InvalidAvailability(ValueError):
    """Hours that make no sense: a start after its end, overlapping hours, a time outside the day."""


@dataclass(frozen=True, order=True)
class Hours:
    """From `start` to `end` minutes after midnight, wall-clock time (`end` may be 1440, midnight)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= MINUTES_PER_DAY:
            raise InvalidAvailability(f"{_hhmm(self.start)}–{_hhmm(self.end)} is not a stretch of one day.")

    @classmethod
    def parse(cls, start: str, end: str) -> "Hours":
        """From "09:00" and "12:00" ("24:00" for the end of the day)."""
        return cls(_minutes(start), _minutes(end))

    def as_text(self) -> tuple[str, str]:
        return _hhmm(self.start), _hhmm(self.end)


def _minutes(text: str) -> int:
    hours, colon, minutes = text.partition(":")
    # isascii: a superscript two is a digit to isdigit(), but not to int().
    if not (colon and text.isascii() and len(hours) == 2 and len(minutes) == 2 and hours.isdigit() and minutes.isdigit()):
        raise InvalidAvailability(f"{text!r} is not a time of day such as 09:30.")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > MINUTES_PER_DAY:
        raise InvalidAvailability(f"{text!r} is not a time of day such as 09:30.")
    return value


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def checked_hours(hours: Iterable[Hours]) -> tuple[Hours, ...]:
    """A day's stretches in order; InvalidAvailability if two overlap."""
    ordered = tuple(sorted(hours))
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.start < before.end:
            raise InvalidAvailability(
                f"{'–'.join(before.as_text())} and {'–'.join(after.as_text())} overlap."
            )
    return ordered


@dataclass(frozen=True)
class Availability:
    """When a mentor takes sessions.

    `weekly[0]` are Monday's hours … `weekly[6]` Sunday's. An exception replaces one date's hours
    (no hours: a day off; other hours: that day's own). `buffer` is kept free before and after each
    booked session, `minimum_notice` before a start, and nothing starts `horizon` or more from now.
    """

    timezone: str
    weekly: Mapping[int, tuple[Hours, ...]] = field(default_factory=dict)
    exceptions: Mapping[date, tuple[Hours, ...]] = field(default_factory=dict)
    buffer: timedelta = timedelta(0)
    minimum_notice: timedelta = timedelta(0)
    horizon: timedelta = timedelta(days=60)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (KeyError, ValueError):
            raise InvalidAvailability(f"{self.timezone!r} is not a time zone.") from None
        if set(self.weekly) - set(range(7)):
            raise InvalidAvailability("Weekdays are 0 (Monday) to 6 (Sunday).")
        object.__setattr__(self, "weekly", {day: checked_hours(hours) for day, hours in self.weekly.items()})
        object.__setattr__(self, "exceptions", {day: checked_hours(hours) for day, hours in self.exceptions.items()})
        if min(self.buffer, self.minimum_notice, self.horizon) < timedelta(0):
            raise InvalidAvailability("The buffer, the notice and the horizon cannot be negative.")

    def hours_on(self, day: date) -> tuple[Hours, ...]:
        if day in self.exceptions:
            return self.exceptions[day]
        return self.weekly.get(day.weekday(), ())


Interval = tuple[datetime, datetime]


def _instant(day: date, minutes: int, zone: ZoneInfo, *, latest: bool) -> datetime:
    """The real instant of a wall-clock time on `day` in `zone`, in UTC.

    A time that happens twice gives its first instant (`latest` False) or its second; a time that
    does not exist (the clocks jumped over it) gives the instant of the jump.
    """
    wall = datetime.combine(day, time()) + timedelta(minutes=minutes)
    candidates = sorted({wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)})
    real = [instant for instant in candidates if instant.astimezone(zone).replace(tzinfo=None) == wall]
    if real:
        return real[-1] if latest else real[0]
    # In the gap: the jump is the first instant whose wall time is past `wall` (at most a few hours on).
    instant = candidates[0]
    while instant.astimezone(zone).replace(tzinfo=None) < wall:
        instant += timedelta(minutes=1)
    return instant


def open_intervals(availability: Availability, start: datetime, end: datetime) -> list[Interval]:
    """The mentor's stretches of hours that overlap `start`–`end`, whole (not cut at either end, so
    slots keep the stretch's own grid), as UTC intervals in order."""
    zone = ZoneInfo(availability.timezone)
    intervals = []
    day, last_day = start.astimezone(zone).date() - timedelta(days=1), end.astimezone(zone).date()
    while day <= last_day:
        for hours in availability.hours_on(day):
            opens = _instant(day, hours.start, zone, latest=False)
            closes = _instant(day, hours.end, zone, latest=True)
            if hours.end == MINUTES_PER_DAY:
                closes = _instant(day + timedelta(days=1), 0, zone, latest=False)
            if opens < end and closes > start:
                intervals.append((opens, closes))
        day += timedelta(days=1)
    return intervals


def _blocked(busy: Iterable[Interval], buffer: timedelta) -> list[Interval]:
    """Booked sessions widened by the buffer, sorted and merged where they touch."""
    merged: list[Interval] = []
    for starts_at, ends_at in sorted((s - buffer, e + buffer) for s, e in busy):
        if merged and starts_at <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], ends_at))
        else:
            merged.append((starts_at, ends_at))
    return merged


def free_slots(
    availability: Availability,
    *,
    duration: timedelta,
    busy: Iterable[Interval],
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
    grid: timedelta = GRID,
) -> list[datetime]:
    """The free start times (UTC) of a session of `duration`, between `start` and `end` as far as the
    notice and the horizon allow.

    Starts step by `grid` from the beginning of each stretch of hours; a session must fit inside the
    hours and keep the buffer from every interval in `busy` (the mentor's pending and confirmed
    sessions: the caller leaves out cancelled and declined ones).
    """
    if duration <= timedelta(0) or grid <= timedelta(0):
        raise ValueError("the duration and the grid must be positive")
    earliest = now + availability.minimum_notice
    latest = now + availability.horizon
    start = max(start or earliest, earliest)
    end = min(end or latest, latest)
    if start >= end:
        return []
    blocked = _blocked(busy, availability.buffer)
    block_ends = [ends_at for _, ends_at in blocked]
    slots = []
    for opens, closes in open_intervals(availability, start, end):
        candidate = opens
        while candidate + duration <= closes and candidate < end:
            if candidate >= start:
                # The first blocked interval ending after the candidate starts is the only one to check:
                # they are merged, so the next one starts after it ends.
                index = bisect_right(block_ends, candidate)
                if index == len(blocked) or blocked[index][0] >= candidate + duration:
                    slots.append(candidate)
                else:
                    # Jump past the block, staying on this stretch's grid.
                    skip = blocked[index][1] - candidate
                    candidate += max(grid, -(-skip // grid) * grid)
                    continue
            candidate += grid
    return slots


def within_hours(availability: Availability, starts_at: datetime, ends_at: datetime) -> bool:
    """Whether a session from `starts_at` to `ends_at` lies wholly inside one stretch of the mentor's hours."""
    return any(
        opens <= starts_at and ends_at <= closes
        for opens, closes in open_intervals(availability, starts_at - timedelta(days=1), ends_at + timedelta(days=1))
    )
