"""The attendance report as the session page shows it: a timeline across the access window, one
row per person (and one per participant the provider matched to nobody), with each bar and mark
placed in percent of the window here, on the server.

The page's Content-Security-Policy allows no inline styles, so the template draws the rows as SVG,
whose x and width attributes take these percentages as they are. The rules of the report itself
are domain.presence's; this only places what it says.
"""
from dataclasses import dataclass
from datetime import datetime

from meetapp.domain.attendance import group_attempts
from meetapp.domain.presence import Interval, PersonLine, Report
from meetapp.models import AttendanceReport, AttendanceReportChange, MentoringSession, User
from meetapp.services import attendance
from meetapp.services.windows import window_of


@dataclass(frozen=True)
class Bar:
    """One stretch of presence: `left` and `width` in percent of the window."""

    left: float
    width: float
    joined_at: datetime
    # None while they are still there, as far as the provider has told.
    left_at: datetime | None


@dataclass(frozen=True)
class Mark:
    """A run of Join clicks (domain.attendance.group_attempts), at its first click."""

    left: float
    at: datetime
    outcome: str
    count: int


@dataclass(frozen=True)
class Row:
    name: str
    is_viewer: bool
    # None for a participant the provider matched to nobody (they have no line of the report).
    line: PersonLine | None
    bars: tuple[Bar, ...]
    marks: tuple[Mark, ...]


@dataclass(frozen=True)
class ReportView:
    report: Report
    # The finalised row, or None while the report is provisional (until the window closes).
    stored: AttendanceReport | None
    changes: list[AttendanceReportChange]
    opens_at: datetime
    closes_at: datetime
    start_left: float
    end_left: float
    rows: tuple[Row, ...]


class Placer:
    """Percent of the window [opens_at, closes_at] for an instant, clamped to the track."""

    def __init__(self, opens_at: datetime, closes_at: datetime):
        self.opens_at, self.seconds = opens_at, (closes_at - opens_at).total_seconds() or 1.0

    def __call__(self, at: datetime) -> float:
        share = (at - self.opens_at).total_seconds() / self.seconds
        return round(min(max(share, 0.0), 1.0) * 100, 2)


def report_view(session: MentoringSession, viewer: User, now: datetime, *, whole: bool) -> ReportView | None:
    """The report for the page, or None for a session never confirmed or whose window has not opened
    yet (nothing to tell). Without `whole` (the mentee) the rows hold the viewer's own line alone."""
    window = window_of(session)
    if now < window.opens_at:
        return None
    clicks = attendance.clicks_of(session.id)
    report = attendance.report_of(session, now, clicks=clicks)
    if report is None:
        return None
    place = Placer(window.opens_at, window.closes_at)
    until = min(now, window.closes_at)
    people = ((session.mentor, report.mentor), (session.mentee, report.mentee))
    rows = [
        Row(
            name=person.name,
            is_viewer=person.id == viewer.id,
            line=line,
            bars=bars(line.intervals, place, until),
            marks=marks([click for click in clicks if click.user_id == person.id], place),
        )
        for person, line in people
        if whole or person.id == viewer.id
    ]
    if whole:
        rows.extend(
            Row(interval.display_name or "Someone unnamed", False, None, bars([interval], place, until), ())
            for interval in report.unmatched
        )
    stored = attendance.stored_report(session.id)
    return ReportView(
        report=report,
        stored=stored,
        changes=attendance.changes_of(session.id) if stored is not None and whole else [],
        opens_at=window.opens_at,
        closes_at=window.closes_at,
        start_left=place(session.starts_at),
        end_left=place(session.ends_at),
        rows=tuple(rows),
    )


def bars(intervals: list[Interval] | tuple[Interval, ...], place: Placer, until: datetime) -> tuple[Bar, ...]:
    """Each interval as a bar; one still open runs to `until` (now, or the window's close)."""
    drawn = []
    for interval in intervals:
        left, right = place(interval.joined_at), place(interval.left_at or until)
        if right > left:
            drawn.append(Bar(left, round(right - left, 2), interval.joined_at, interval.left_at))
    return tuple(drawn)


def marks(clicks: list, place: Placer) -> tuple[Mark, ...]:
    return tuple(
        Mark(place(group.first.at), group.first.at, group.first.outcome, group.count) for group in group_attempts(clicks)
    )
