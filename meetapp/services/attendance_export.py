"""The admins' attendance export: one CSV row per confirmed session starting in a range of UTC days,
with the report as services.attendance works it out (the stored one where the worker finalised it).

Spreadsheets run a cell that starts with = + - @ (or a tab or carriage return before one) as a
formula; every cell that starts so gets a leading apostrophe (OWASP, "CSV Injection").
"""
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from meetapp.domain.presence import PersonLine
from meetapp.domain.scheduling import SessionStatus
from meetapp.domain.timeutil import iso_z
from meetapp.models import MentoringSession
from meetapp.services import attendance

DEFAULT_DAYS = 30
MAX_DAYS = 366
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

PERSON_COLUMNS = ("state", "first click", "first click answer", "first present", "minutes present", "minutes late")
HEADER = (
    "session id", "starts at", "type", "provider",
    "mentor id", "mentor name", "mentee id", "mentee name",
    "outcome", "final", "minutes together",
    *(f"mentor {column}" for column in PERSON_COLUMNS),
    *(f"mentee {column}" for column in PERSON_COLUMNS),
)


class BadRange(ValueError):
    """The days asked for make no range; the message says why, in words for the admin."""


@dataclass(frozen=True)
class DayRange:
    first: date
    last: date  # inclusive

    @property
    def filename(self) -> str:
        return f"attendance-{self.first.isoformat()}-to-{self.last.isoformat()}.csv"


def day_range(raw_from: str | None, raw_to: str | None, today: date) -> DayRange:
    """`from` and `to` (YYYY-MM-DD, UTC days, `to` inclusive); by default the last DEFAULT_DAYS days
    up to today. BadRange for an unreadable date, from after to, or more than MAX_DAYS days."""
    last = _day(raw_to, "to") if raw_to else today
    try:
        first = _day(raw_from, "from") if raw_from else last - timedelta(days=DEFAULT_DAYS - 1)
    except OverflowError:
        raise BadRange("Give a 'from' day: the default reaches before the first day there is.") from None
    if first > last:
        raise BadRange("The 'from' day comes after the 'to' day.")
    if (last - first).days + 1 > MAX_DAYS:
        raise BadRange(f"Export at most {MAX_DAYS} days at a time.")
    return DayRange(first, last)


def _day(raw: str, name: str) -> date:
    try:
        if len(raw) != 10:
            raise ValueError
        day = date.fromisoformat(raw)
    except ValueError:
        raise BadRange(f"Give '{name}' as a day, YYYY-MM-DD.") from None
    if day == date.max:
        # The export reads up to the start of the day after `to`, which would not exist.
        raise BadRange(f"Give '{name}' as a day before {date.max.isoformat()}.")
    return day


def sessions_in(days: DayRange) -> sa.Select:
    """The confirmed sessions starting on those days, in order (a query, for attendance.reports_of)."""
    starts_from = datetime.combine(days.first, time(), UTC)
    starts_before = datetime.combine(days.last + timedelta(days=1), time(), UTC)
    return (
        sa.select(MentoringSession)
        .where(
            MentoringSession.status == SessionStatus.CONFIRMED,
            MentoringSession.starts_at >= starts_from,
            MentoringSession.starts_at < starts_before,
        )
        .order_by(MentoringSession.starts_at, MentoringSession.id)
    )


def rows(days: DayRange, now: datetime) -> Iterator[list]:
    """The header, then a row per session."""
    yield list(HEADER)
    for session, report, stored in attendance.reports_of(sessions_in(days), now):
        yield [
            session.id, iso_z(session.starts_at), session.session_type.name, session.video_provider,
            session.mentor_id, session.mentor.name, session.mentee_id, session.mentee.name,
            report.outcome.value, "yes" if stored else "no", report.minutes_together,
            *_person(report.mentor), *_person(report.mentee),
        ]


def _person(line: PersonLine) -> list:
    return [
        line.state.value,
        iso_z(line.first_click_at) if line.first_click_at else "",
        (line.first_click_reason if line.first_click_outcome == "denied" else line.first_click_outcome) or "",
        iso_z(line.first_present_at) if line.first_present_at else "",
        line.minutes_present,
        "" if line.minutes_late is None else line.minutes_late,
    ]


def safe_cell(value) -> str:
    """The value as a cell no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def as_csv(days: DayRange, now: datetime) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows(days, now):
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()
