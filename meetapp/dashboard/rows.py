"""The dashboard's rows: a read-only listing of a person's sessions, and each row's HTML, remembered.

A dashboard lists dozens of sessions and is reloaded often, while a row changes only
when its session does, or as the clock moves its countdown on by a second. So the
listing is read as plain rows in one query (no ORM objects to build), and each row's
HTML is kept, keyed by everything it is made from: the session's columns (its
`revision` changes with every write), the two names and the session type's window,
the viewer and their time zone, which list it is in, the URL prefix, and the second.
A row is rendered at most once a second per process, however often the page is asked for.
"""
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, render_template, request
from markupsafe import Markup
from sqlalchemy import orm

from meetapp import joining
from meetapp.domain.scheduling import SessionStatus
from meetapp.domain.timeutil import minutes_between
from meetapp.extensions import db
from meetapp.models import MentoringSession, SessionType, User

PAST_SESSIONS_SHOWN = 20
ROWS_REMEMBERED = 4096


@dataclass(frozen=True)
class Person:
    id: int
    name: str


@dataclass(frozen=True)
class Kind:
    """The session type, as far as a row needs it: its name and its own access window."""

    name: str
    early_access_minutes: int | None
    late_access_minutes: int | None


@dataclass(frozen=True)
class Listing:
    """One session as the dashboard shows it; reads like a MentoringSession to the row templates."""

    id: str
    revision: int
    status: SessionStatus
    starts_at: datetime
    ends_at: datetime
    link_version: int
    mentor: Person
    mentee: Person
    session_type: Kind

    @property
    def mentor_id(self) -> int:
        return self.mentor.id

    @property
    def mentee_id(self) -> int:
        return self.mentee.id

    @property
    def duration_minutes(self) -> int:
        return minutes_between(self.starts_at, self.ends_at)

    def other_participant(self, user_id: int) -> Person:
        return self.mentee if user_id == self.mentor.id else self.mentor


_mentor, _mentee = orm.aliased(User), orm.aliased(User)
# One listing row, flat: session id, revision, status, start, end, link version, mentor id and name,
# mentee id and name, type name and window. Flat tuples hash fast, and they are the rows' memory keys.
_LISTING = (
    sa.select(
        MentoringSession.id,
        MentoringSession.revision,
        MentoringSession.status,
        MentoringSession.starts_at,
        MentoringSession.ends_at,
        MentoringSession.link_version,
        _mentor.id,
        _mentor.name,
        _mentee.id,
        _mentee.name,
        SessionType.name,
        SessionType.early_access_minutes,
        SessionType.late_access_minutes,
    )
    .join(_mentor, _mentor.id == MentoringSession.mentor_id)
    .join(_mentee, _mentee.id == MentoringSession.mentee_id)
    .join(SessionType, SessionType.id == MentoringSession.session_type_id)
    .where(sa.or_(MentoringSession.mentor_id == sa.bindparam("user_id"), MentoringSession.mentee_id == sa.bindparam("user_id")))
)
# Built once: the same two statements serve every dashboard.
_UPCOMING = _LISTING.where(MentoringSession.ends_at > sa.bindparam("now")).order_by(MentoringSession.starts_at)
_PAST = (
    _LISTING.where(MentoringSession.ends_at <= sa.bindparam("now"))
    .order_by(MentoringSession.starts_at.desc())
    .limit(PAST_SESSIONS_SHOWN)
)
STATUS, MENTOR_ID = 2, 6


def listing_of(row: tuple) -> Listing:
    (session_id, revision, status, starts_at, ends_at, link_version,
     mentor_id, mentor_name, mentee_id, mentee_name, kind, early, late) = row
    return Listing(
        session_id, revision, status, starts_at, ends_at, link_version,
        Person(mentor_id, mentor_name), Person(mentee_id, mentee_name), Kind(kind, early, late),
    )


def upcoming_and_past(user: User, now: datetime) -> tuple[list[tuple], list[tuple]]:
    """Rows of the sessions not yet over (soonest first) and the most recent finished ones (latest first).

    Two queries, whatever the number of sessions.
    """
    params = {"user_id": user.id, "now": now}
    upcoming = [tuple(row) for row in db.session.execute(_UPCOMING, params)]
    past = [tuple(row) for row in db.session.execute(_PAST, params)]
    return upcoming, past


def awaiting(rows: list[tuple], viewer: User) -> int:
    """How many of these sessions wait for the viewer, as their mentor, to confirm."""
    return sum(1 for row in rows if row[STATUS] is SessionStatus.PENDING and row[MENTOR_ID] == viewer.id)


class RowCache:
    """A bounded, thread-safe memory of rendered rows (least recently used goes first)."""

    def __init__(self, size: int = ROWS_REMEMBERED):
        self._rows: OrderedDict[tuple, Markup] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Markup | None:
        with self._lock:
            html = self._rows.get(key)
            if html is not None:
                self._rows.move_to_end(key)
            return html

    def put(self, key: tuple, html: Markup) -> None:
        with self._lock:
            self._rows[key] = html
            self._rows.move_to_end(key)
            while len(self._rows) > self._size:
                self._rows.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()


def rows_seen() -> RowCache:
    """This app's memory of rows: another app in the process (tests) has other keys and settings."""
    return current_app.extensions.setdefault("meetapp.dashboard_rows", RowCache())


def render_rows(rows: list[tuple], viewer: User, now: datetime, *, is_upcoming: bool) -> Markup:
    """The HTML of one list, each row from memory when nothing it shows has changed this second."""
    second = now.replace(microsecond=0)
    base = (viewer.id, viewer.timezone, is_upcoming, request.script_root, second)
    memory = rows_seen()
    parts = []
    for row in rows:
        key = (row, *base)
        html = memory.get(key)
        if html is None:
            listing = listing_of(row)
            join = joining.status_for(listing, viewer, second)
            html = Markup(
                render_template("dashboard/_session_row.html", session=listing, is_upcoming=is_upcoming, join=join)
            )
            memory.put(key, html)
        parts.append(html)
    # Every part is Markup already: joined as plain text, not escaped again piece by piece.
    return Markup("".join(parts))
