"""The dashboard's rows: a read-only listing of a person's sessions, and each row's HTML, remembered.

A dashboard lists dozens of sessions, and most rows look the same from one visit to the
next: a session days away says "Opens in 3 days" for hours. So the listing is read as
flat rows in two queries (no ORM objects to build), which read the viewer too (see
viewers.read_along), and each row's HTML is kept, keyed
by everything it is made from but the clock: the session's columns (its `revision` changes
with every write), the two names and the session type's window, the viewer and their time
zone, which list it is in and the URL prefix. The clock's part is a deadline instead: a
rendering is good until `Access.shown_until`, when the clock next changes what it shows
(state, message, countdown, next poll; a Join link is signed to the second). A row about to
open is rendered anew each second; one days away, once in hours, and reusing it costs no
access-window evaluation at all. Rows even keep their status and times as the database stored
them; only a row rendered anew is converted (`typed`).
"""
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, render_template, request
from markupsafe import Markup
from sqlalchemy import orm

from meetapp import autocommit, viewers
from meetapp.domain.access import Access, evaluate
from meetapp.domain.scheduling import SessionStatus
from meetapp.domain.timeutil import minutes_between
from meetapp.extensions import db
from meetapp.models import MentoringSession, SessionType, User
from meetapp.services import joining

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
# The status and the two times come back as the database driver hands them over (text, on SQLite):
# a row is first of all a memory key, and only a row that must be rendered anew needs its Python
# types (see `typed`). Converting fifty rows that are then found in memory was half of reading them.
_AS_STORED = (MentoringSession.status, MentoringSession.starts_at, MentoringSession.ends_at)
# One listing row, flat: session id, revision, status, start, end, link version, mentor id and name,
# mentee id and name, type name and window. Flat tuples hash fast, and they are the rows' memory keys.
_LISTING = (
    sa.select(
        MentoringSession.id,
        MentoringSession.revision,
        *(sa.type_coerce(column, sa.String).label(column.key) for column in _AS_STORED),
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
)
WIDTH = len(_LISTING.selected_columns)
# Each statement also reads the person whose id is `viewer_id`, the login cookie's (viewers.read_along):
# a dashboard or a status poll then costs Flask-Login no query of its own.
_MINE = viewers.read_along(_LISTING).where(
    sa.or_(MentoringSession.mentor_id == sa.bindparam("viewer_id"), MentoringSession.mentee_id == sa.bindparam("viewer_id"))
)
_BY_ID = viewers.read_along(_LISTING).where(MentoringSession.id == sa.bindparam("session_id"))
# Built once: the same two statements serve every dashboard.
_UPCOMING = _MINE.where(MentoringSession.ends_at > sa.bindparam("now")).order_by(MentoringSession.starts_at)
_PAST = (
    _MINE.where(MentoringSession.ends_at <= sa.bindparam("now"))
    .order_by(MentoringSession.starts_at.desc())
    .limit(PAST_SESSIONS_SHOWN)
)
STATUS, STARTS_AT, ENDS_AT, MENTOR_ID, MENTEE_ID, EARLY, LATE = 2, 3, 4, 6, 8, 11, 12
PENDING = SessionStatus.PENDING.value


# The columns' own conversions, per database dialect.
_converters: dict[str, list] = {}


def typed(row: tuple) -> tuple:
    """The row with its status and times as Python values (SessionStatus, aware UTC datetimes)."""
    dialect = db.engine.dialect
    converters = _converters.get(dialect.name)
    if converters is None:
        converters = _converters[dialect.name] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in _AS_STORED
        ]
    status, starts_at, ends_at = (
        convert(value) if convert is not None else value
        for convert, value in zip(converters, row[STATUS : ENDS_AT + 1], strict=True)
    )
    return (*row[:STATUS], status, starts_at, ends_at, *row[ENDS_AT + 1 :])


def listing_of(row: tuple) -> Listing:
    """A `typed` row as the row templates read it."""
    (session_id, revision, status, starts_at, ends_at, link_version,
     mentor_id, mentor_name, mentee_id, mentee_name, kind, early, late) = row
    return Listing(
        session_id, revision, status, starts_at, ends_at, link_version,
        Person(mentor_id, mentor_name), Person(mentee_id, mentee_name), Kind(kind, early, late),
    )


def upcoming_and_past(user_id: int, now: datetime) -> tuple[list[tuple], list[tuple]]:
    """Rows of the person's sessions not yet over (soonest first) and the most recent finished ones (latest first).

    Two queries, whatever the number of sessions; they read the person too, for Flask-Login.
    """
    params = {"viewer_id": user_id, "now": now}
    # Plain column rows need no ORM: they run as Core statements (see autocommit).
    connection = autocommit.connection()
    # fetchall: one call into the driver for the whole list, not one per row.
    upcoming = [viewers.own_part(row, WIDTH) for row in connection.execute(_UPCOMING, params).all()]
    past = [viewers.own_part(row, WIDTH) for row in connection.execute(_PAST, params).all()]
    return upcoming, past


def listing_row(session_id: str, viewer_id: int | None) -> tuple | None:
    """One session's listing row by id (one query), or None; no permission check.

    The same query reads the person with `viewer_id` (the login cookie's), for Flask-Login.
    """
    if not 0 < len(session_id) <= 32:
        return None
    row = autocommit.connection().execute(_BY_ID, {"session_id": session_id, "viewer_id": viewer_id}).first()
    return viewers.own_part(row, WIDTH) if row is not None else None


def awaiting(rows: list[tuple], viewer: User) -> int:
    """How many of these sessions wait for the viewer, as their mentor, to confirm."""
    return sum(1 for row in rows if row[STATUS] == PENDING and row[MENTOR_ID] == viewer.id)


@dataclass(frozen=True)
class Rendered:
    """A row or fragment as rendered at `rendered_at`, good until `access.shown_until`."""

    html: Markup
    access: Access
    rendered_at: datetime


class RowCache:
    """A bounded, thread-safe memory of rendered rows (least recently used goes first)."""

    def __init__(self, size: int = ROWS_REMEMBERED):
        self._rows: OrderedDict[tuple, Rendered] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Rendered | None:
        with self._lock:
            rendered = self._rows.get(key)
            if rendered is not None:
                self._rows.move_to_end(key)
            return rendered

    def put(self, key: tuple, rendered: Rendered) -> None:
        with self._lock:
            self._rows[key] = rendered
            self._rows.move_to_end(key)
            while len(self._rows) > self._size:
                self._rows.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()


def rows_seen() -> RowCache:
    """This app's memory of rendered rows and fragments: another app in the process (tests) has other settings."""
    return current_app.extensions.setdefault("meetapp.dashboard_rows", RowCache())


@dataclass(frozen=True)
class Context:
    """What every row of one request shares: the viewer, the app's default window, the URL prefix."""

    viewer: User
    early_default: int
    late_default: int
    script_root: str
    memory: RowCache

    @classmethod
    def now_for(cls, viewer: User) -> "Context":
        early, late = joining.default_window_minutes()
        return cls(viewer, early, late, request.script_root, rows_seen())


def access_of(row: tuple, context: Context, now: datetime) -> Access:
    """The access state of a `typed` row for the context's viewer."""
    early, late = row[EARLY], row[LATE]
    return evaluate(
        status=row[STATUS],
        starts_at=row[STARTS_AT],
        ends_at=row[ENDS_AT],
        early_minutes=early if early is not None else context.early_default,
        late_minutes=late if late is not None else context.late_default,
        now=now,
        timezone=context.viewer.timezone,
    )


def remembered(template: str, row: tuple, context: Context, now: datetime, **extra) -> tuple[Markup, Access]:
    """`template` rendered for this session row and viewer now, from memory while everything it shows is as it was.

    The key is what the template is made from besides the clock: the row's columns, the viewer and
    their zone, the URL prefix and the `extra` context. A rendering is kept with the moment it was
    made and `Access.shown_until`, the moment the clock will change what it shows (a countdown's next
    second, "in 3 days" becoming "in 2 days", the viewer's midnight); between the two it is sent
    again without working anything out. The Access returned is the one it was rendered with: its
    state and finality hold just as long.
    """
    viewer = context.viewer
    key = (template, row, viewer.id, viewer.timezone, context.script_root, *extra.values())
    kept = context.memory.get(key)
    if kept is not None and kept.rendered_at <= now < kept.access.shown_until:
        return kept.html, kept.access
    values = typed(row)
    access = access_of(values, context, now)
    listing = listing_of(values)
    join_path = joining.join_path(listing, viewer, now, short_lived=True) if access.can_join else None
    html = Markup(
        render_template(
            template, session=listing, access=access, join_path=join_path,
            join=joining.JoinStatus(access, join_path), **extra,
        )
    )
    context.memory.put(key, Rendered(html, access, now))
    return html, access


def render_rows(rows: list[tuple], viewer: User, now: datetime, *, is_upcoming: bool) -> Markup:
    """The HTML of one list of dashboard rows."""
    context = Context.now_for(viewer)
    parts = [remembered("dashboard/_session_row.html", row, context, now, is_upcoming=is_upcoming)[0] for row in rows]
    # Every part is Markup already: joined as plain text, not escaped again piece by piece.
    return Markup("".join(parts))
