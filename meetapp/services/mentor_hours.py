"""A mentor's availability as stored, checked and turned into free slots.

The stored shape is the API's (`GET`/`PUT /api/mentoring/me/availability`):

    {"timezone": "Europe/Berlin", "weekly": {"mon": [["09:00", "12:00"], ["14:00", "17:00"]], …},
     "exceptions": [{"date": "2026-12-24", "hours": []}],
     "bufferMinutes": 10, "minimumNoticeMinutes": 720, "horizonDays": 60}

`read_settings` checks such a body field by field (errors keyed by those names); the settings page
builds the same body from its form. The rules themselves are in `meetapp.domain.availability`.
A mentor without weekly hours has no availability: mentees book them at any free time, as before.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from meetapp.domain.availability import (
    WEEKDAYS,
    Availability,
    Hours,
    InvalidAvailability,
    checked_hours,
    free_slots,
    within_hours,
)
from meetapp.domain.errors import InvalidRequest, OutsideAvailability
from meetapp.domain.scheduling import ENDED_STATUSES
from meetapp.domain.timeutil import is_timezone, to_local
from meetapp.extensions import db
from meetapp.models import MentoringSession, MentorProfile, User

MAX_STRETCHES_PER_DAY = 8
MAX_EXCEPTIONS = 200
BUFFER_RANGE = (0, 240)
NOTICE_RANGE = (0, 30 * 24 * 60)
HORIZON_RANGE = (1, 365)
DEFAULT_NOTICE_MINUTES = 240
DEFAULT_HORIZON_DAYS = 60
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class HourSettings:
    """What a mentor set, checked. `timezone` None: the mentor's own zone."""

    timezone: str | None
    weekly: dict[int, tuple[Hours, ...]]
    exceptions: dict[date, tuple[Hours, ...]]
    buffer_minutes: int = 0
    minimum_notice_minutes: int = DEFAULT_NOTICE_MINUTES
    horizon_days: int = DEFAULT_HORIZON_DAYS


def settings_of(profile: MentorProfile) -> HourSettings:
    """The stored settings (checked when they were saved, so read without checking again)."""
    return HourSettings(
        timezone=profile.availability_timezone,
        weekly={
            WEEKDAYS.index(day): tuple(Hours.parse(*pair) for pair in pairs)
            for day, pairs in (profile.weekly_hours or {}).items()
            if pairs
        },
        exceptions={
            date.fromisoformat(item["date"]): tuple(Hours.parse(*pair) for pair in item["hours"])
            for item in (profile.hour_exceptions or [])
        },
        buffer_minutes=profile.buffer_minutes,
        minimum_notice_minutes=profile.minimum_notice_minutes,
        horizon_days=profile.horizon_days,
    )


def settings_json(settings: HourSettings, own_timezone: str) -> dict:
    """The API's shape: every weekday present, exceptions by date."""
    return {
        "timezone": settings.timezone or own_timezone,
        "weekly": {
            name: [list(hours.as_text()) for hours in settings.weekly.get(index, ())] for index, name in enumerate(WEEKDAYS)
        },
        "exceptions": [
            {"date": day.isoformat(), "hours": [list(hours.as_text()) for hours in settings.exceptions[day]]}
            for day in sorted(settings.exceptions)
        ],
        "bufferMinutes": settings.buffer_minutes,
        "minimumNoticeMinutes": settings.minimum_notice_minutes,
        "horizonDays": settings.horizon_days,
    }


def read_settings(body: dict, *, current: HourSettings) -> HourSettings:
    """Check a body in the API's shape; a field left out keeps its `current` value.

    Raises InvalidRequest naming each bad field (`weekly.mon`, `exceptions[2].date`, `bufferMinutes`, …).
    """
    errors: dict[str, str] = {}
    timezone = current.timezone
    if "timezone" in body:
        timezone = body["timezone"]
        if timezone is not None and not (isinstance(timezone, str) and len(timezone) <= 64 and is_timezone(timezone)):
            errors["timezone"] = "Choose a time zone such as Europe/Berlin."
    weekly = current.weekly
    if "weekly" in body:
        weekly = _read_weekly(body["weekly"], errors)
    exceptions = current.exceptions
    if "exceptions" in body:
        exceptions = _read_exceptions(body["exceptions"], errors)
    numbers = {}
    for name, default, (low, high), unit in (
        ("bufferMinutes", current.buffer_minutes, BUFFER_RANGE, "minutes"),
        ("minimumNoticeMinutes", current.minimum_notice_minutes, NOTICE_RANGE, "minutes"),
        ("horizonDays", current.horizon_days, HORIZON_RANGE, "days"),
    ):
        value = body.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[name] = f"Give a whole number of {unit} from {low} to {high}."
        numbers[name] = value
    if errors:
        raise InvalidRequest(errors)
    return HourSettings(
        timezone=timezone,
        weekly=weekly,
        exceptions=exceptions,
        buffer_minutes=numbers["bufferMinutes"],
        minimum_notice_minutes=numbers["minimumNoticeMinutes"],
        horizon_days=numbers["horizonDays"],
    )


def _read_weekly(value: object, errors: dict[str, str]) -> dict[int, tuple[Hours, ...]]:
    if not isinstance(value, dict):
        errors["weekly"] = 'Give the hours by weekday, e.g. {"mon": [["09:00", "12:00"]]}.'
        return {}
    unknown = [name for name in value if name not in WEEKDAYS]
    if unknown:
        errors["weekly"] = f"Weekdays are {', '.join(WEEKDAYS)}; {str(unknown[0])[:20]!r} is none of them."
    weekly = {}
    for index, name in enumerate(WEEKDAYS):
        if name in value:
            hours = _read_hours(value[name], f"weekly.{name}", errors)
            if hours:
                weekly[index] = hours
    return weekly


def _read_exceptions(value: object, errors: dict[str, str]) -> dict[date, tuple[Hours, ...]]:
    if not isinstance(value, list) or len(value) > MAX_EXCEPTIONS:
        errors["exceptions"] = f'Give at most {MAX_EXCEPTIONS} dates as [{{"date": "2026-12-24", "hours": []}}, …].'
        return {}
    exceptions: dict[date, tuple[Hours, ...]] = {}
    for position, item in enumerate(value):
        name = f"exceptions[{position}]"
        if not isinstance(item, dict) or not isinstance(item.get("date"), str):
            errors[name] = 'Give each exception as {"date": "2026-12-24", "hours": [["10:00", "12:00"]]} (no hours: a day off).'
            continue
        try:
            # fromisoformat also reads 20261224 and the week date 2026-W52-4; only YYYY-MM-DD is meant.
            if not ISO_DATE.fullmatch(item["date"]):
                raise ValueError
            day = date.fromisoformat(item["date"])
        except ValueError:
            errors[f"{name}.date"] = "Give the date as YYYY-MM-DD, e.g. 2026-12-24."
            continue
        if day in exceptions:
            errors[f"{name}.date"] = f"{day.isoformat()} is given twice."
            continue
        exceptions[day] = _read_hours(item.get("hours", []), f"{name}.hours", errors) or ()
    return exceptions


def _read_hours(value: object, name: str, errors: dict[str, str]) -> tuple[Hours, ...] | None:
    """A list of ["09:00", "12:00"] pairs, checked (in order, not overlapping); None after an error."""
    if not isinstance(value, list) or len(value) > MAX_STRETCHES_PER_DAY:
        errors[name] = f'Give at most {MAX_STRETCHES_PER_DAY} stretches of hours as [["09:00", "12:00"], …].'
        return None
    try:
        stretches = []
        for pair in value:
            # ASCII only: "²²" passes str.isdigit() but int() refuses it, with a ValueError of its own.
            if not (isinstance(pair, list) and len(pair) == 2 and all(_short_ascii(text) for text in pair)):
                raise InvalidAvailability('Give each stretch as ["09:00", "12:00"].')
            stretches.append(Hours.parse(*pair))
        return checked_hours(stretches)
    except InvalidAvailability as exc:
        errors[name] = str(exc)
        return None


def _short_ascii(text: object) -> bool:
    return isinstance(text, str) and len(text) <= 5 and text.isascii()


def save_settings(mentor: User, settings: HourSettings, now: datetime) -> None:
    """Store the settings; exceptions for dates already past in the mentor's zone are dropped."""
    profile = mentor.mentor_profile
    today = to_local(now, settings.timezone or mentor.timezone).date()
    stored = settings_json(settings, mentor.timezone)
    profile.availability_timezone = settings.timezone
    profile.weekly_hours = {day: pairs for day, pairs in stored["weekly"].items() if pairs}
    profile.hour_exceptions = [item for item in stored["exceptions"] if date.fromisoformat(item["date"]) >= today]
    profile.buffer_minutes = settings.buffer_minutes
    profile.minimum_notice_minutes = settings.minimum_notice_minutes
    profile.horizon_days = settings.horizon_days
    db.session.commit()


def availability_of(profile: MentorProfile, own_timezone: str) -> Availability | None:
    """The mentor's availability for the slot rules, or None if they set no weekly hours."""
    settings = settings_of(profile)
    if not settings.weekly:
        return None
    return Availability(
        settings.timezone or own_timezone,
        weekly=settings.weekly,
        exceptions=settings.exceptions,
        buffer=timedelta(minutes=settings.buffer_minutes),
        minimum_notice=timedelta(minutes=settings.minimum_notice_minutes),
        horizon=timedelta(days=settings.horizon_days),
    )


def busy_times(mentor_id: int, start: datetime, end: datetime, *, also: int | None = None) -> list[tuple[datetime, datetime]]:
    """The live (pending or confirmed) sessions of the mentor, and of person `also`, overlapping `start`–`end`."""
    theirs = MentoringSession.mentor_id == mentor_id
    if also is not None:
        theirs = sa.or_(theirs, MentoringSession.mentee_id == also)
    rows = db.session.execute(
        sa.select(MentoringSession.starts_at, MentoringSession.ends_at).where(
            theirs,
            MentoringSession.status.not_in(ENDED_STATUSES),
            MentoringSession.starts_at < end,
            MentoringSession.ends_at > start,
        )
    )
    return [(starts_at, ends_at) for starts_at, ends_at in rows]


def slots_for(
    mentor: User,
    *,
    duration_minutes: int,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
    mentee: User | None = None,
) -> list[datetime]:
    """The free start times (UTC) of a session of `duration_minutes` with the mentor, between `start` and
    `end` as far as the notice and the horizon allow; for a `mentee`, only times they are free as well.
    Empty for a mentor without weekly hours (see `has_hours`)."""
    availability = availability_of(mentor.mentor_profile, mentor.timezone)
    if availability is None:
        return []
    earliest = max(start or now, now + availability.minimum_notice)
    latest = min(end or now + availability.horizon, now + availability.horizon)
    if earliest >= latest:
        return []
    margin = availability.buffer + timedelta(minutes=duration_minutes)
    busy = busy_times(mentor.id, earliest - margin, latest + margin, also=mentee.id if mentee else None)
    return free_slots(availability, duration=timedelta(minutes=duration_minutes), busy=busy, now=now, start=start, end=end)


def has_hours(profile: MentorProfile) -> bool:
    return any(profile.weekly_hours.values()) if profile.weekly_hours else False


def refuse_outside(profile: MentorProfile, own_timezone: str, starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    """OutsideAvailability unless a session from `starts_at` to `ends_at` keeps to the mentor's hours,
    notice and horizon. Nothing is refused for a mentor without weekly hours."""
    availability = availability_of(profile, own_timezone)
    if availability is None:
        return
    if starts_at < now + availability.minimum_notice:
        raise OutsideAvailability(f"This mentor takes bookings at least {_duration(availability.minimum_notice)} ahead.")
    if starts_at >= now + availability.horizon:
        raise OutsideAvailability(f"This mentor takes bookings at most {availability.horizon.days} days ahead.")
    if not within_hours(availability, starts_at, ends_at):
        raise OutsideAvailability("That time is outside the mentor's hours. Pick one of the free times.")


def _duration(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes} minutes"
    hours = minutes // 60
    return f"{hours} hour{'s' * (hours != 1)}"
