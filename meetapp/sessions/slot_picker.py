"""The booking page's slot picker: one day of a mentor's free times, in the mentee's own calendar.

A day is the mentee's: from their local midnight to the next one, so 23 or 25 hours on the nights
their clocks change, and starting at the jump where a midnight does not exist. The slots themselves
come from `services.mentor_hours.slots_for`; this module only cuts them into days and reads the
picker's arguments strictly.
"""
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from meetapp.domain.timeutil import start_of_day, to_local
from meetapp.models import SessionType, User
from meetapp.services import mentor_hours

TAKEN = "That time was just taken. Here are the times still free."
BAD_SLOT = "That time could not be read. Pick one of the free times below."
# Exactly what the picker's buttons send: a UTC start on the minute, e.g. 2026-12-07T08:00:00Z.
SLOT_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:00Z")
SLOT_YEARS = (2000, 2999)
DAY_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def long_day(day: date) -> str:
    """ "Monday 7 December 2026", spelt out rather than strftime'd: the same English in any locale."""
    return f"{_DAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def read_slot(values: list[str]) -> datetime:
    """The one start the form sent, as an aware UTC datetime; ValueError for anything else (several
    values, a naive or offset time, seconds, a date that does not exist)."""
    if len(values) != 1 or not SLOT_PATTERN.fullmatch(values[0]):
        raise ValueError(BAD_SLOT)
    try:
        slot = datetime.strptime(values[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(BAD_SLOT) from None
    # Any year the picker could show: the booking rules judge the rest (past, too far ahead) in their own words.
    if not SLOT_YEARS[0] <= slot.year <= SLOT_YEARS[1]:
        raise ValueError(BAD_SLOT)
    return slot


def read_day(text: object) -> date | None:
    """The day argument: None when there is none (the picker shows the first day with a free time), the
    date it names as YYYY-MM-DD, and for anything else `date.min`, which `slot_day` turns into today."""
    if text is None:
        return None
    if not isinstance(text, str) or not DAY_PATTERN.fullmatch(text):
        return date.min
    try:
        return date.fromisoformat(text)
    except ValueError:
        return date.min


def day_bounds(day: date, tz_name: str) -> tuple[datetime, datetime]:
    """From the day's first instant to the next day's, in UTC."""
    return start_of_day(day, tz_name), start_of_day(day + timedelta(days=1), tz_name)


def chosen_type(offered: list[SessionType], name: object, default: str) -> SessionType | None:
    """The offered session type called `name` (in any letter case); else `default` if offered; else the first."""
    by_name = {kind.name.casefold(): kind for kind in offered}
    if isinstance(name, str) and name.casefold() in by_name:
        return by_name[name.casefold()]
    return by_name.get(default.casefold(), offered[0] if offered else None)


@dataclass(frozen=True)
class SlotDay:
    """One day of the picker, in the mentee's zone."""

    day: date
    slots: list[datetime]
    duration: timedelta
    today: date
    last_day: date
    next_available: date | None
    horizon_days: int
    # Whether the mentor has any free time at all before the horizon (for "No free times in the next N days").
    any_free: bool
    # The day is not 24 hours long: its labels name the zone's abbreviation ("01:30 PDT"), as an hour repeats or is skipped.
    clocks_change: bool

    @property
    def heading(self) -> str:
        return long_day(self.day)

    @property
    def previous_day(self) -> date | None:
        return self.day - timedelta(days=1) if self.day > self.today else None

    @property
    def next_day(self) -> date | None:
        return self.day + timedelta(days=1) if self.day < self.last_day else None

    @property
    def next_available_heading(self) -> str | None:
        return long_day(self.next_available) if self.next_available else None


def slot_day(mentor: User, mentee: User, kind: SessionType, wanted: date | None, now: datetime) -> SlotDay:
    """The mentor's free times for `kind` on the `wanted` day of the mentee's calendar: today for a day
    before today, the horizon's last day for one after it, the first day with a free time for None.

    One reading of the free times up to the horizon gives the day, its slots and the next day with any.
    """
    zone = mentee.timezone
    horizon_days = mentor.mentor_profile.horizon_days
    today = to_local(now, zone).date()
    last_day = to_local(now + timedelta(days=horizon_days), zone).date()
    slots = mentor_hours.slots_for(mentor, duration_minutes=kind.default_duration_minutes, now=now, mentee=mentee)
    if wanted is None:
        day = to_local(slots[0], zone).date() if slots else today
    else:
        day = min(max(wanted, today), last_day)
    starts, ends = day_bounds(day, zone)
    later = next((slot for slot in slots if slot >= ends), None)
    return SlotDay(
        day=day,
        slots=[slot for slot in slots if starts <= slot < ends],
        duration=timedelta(minutes=kind.default_duration_minutes),
        today=today,
        last_day=last_day,
        next_available=to_local(later, zone).date() if later else None,
        horizon_days=horizon_days,
        any_free=bool(slots),
        clocks_change=ends - starts != timedelta(days=1),
    )
