"""What admins look through: every session and every person, searched and paged, and the log of
what admins did, with the people it names.

Read only: nothing here changes or commits anything. The views parse the query string; these
take plain values (UTC bounds, enums, a page number) and answer one page and its total, in two
statements (the count, then the page with both people and the type joined in).

Searching by a name or an address is a case-insensitive `LIKE '%…%'`, which no index can serve,
and the start-time bounds alone have no index of their own either (there is one on
(mentor_id, starts_at) and one on mentee_id). So a search reads the users and sessions tables
through; at meetapp's scale (thousands of people, tens of thousands of sessions) that is a few
milliseconds. An index on starts_at, or PostgreSQL's pg_trgm for the names, is the step after.
SQLite's lower() folds ASCII letters only, so there "ÉVA" is not found by "éva" (PostgreSQL finds it).
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from meetapp.domain.accounts import MentorApproval
from meetapp.domain.errors import InvalidRequest
from meetapp.domain.scheduling import Role, SessionStatus
from meetapp.domain.timeutil import start_of_day
from meetapp.extensions import db
from meetapp.models import AdminAction, MentoringSession, MentorProfile, SessionType, User
from meetapp.services import admin_log

PER_PAGE = 50
# Further than anyone pages by hand; a larger page number is refused rather than handed to the
# database as an offset it would have to count its way to.
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, which page it is (from 1), and how many rows the whole list has."""

    items: list
    number: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None

    @property
    def first_shown(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_shown(self) -> int:
        return (self.number - 1) * self.per_page + len(self.items)


def check_page_number(number: int, total: int, per_page: int = PER_PAGE) -> None:
    """InvalidRequest on `page` unless the list has this page (page 1 always exists, if empty)."""
    pages = max(1, -(-total // per_page))
    if not 1 <= number <= pages:
        rows = "page" if pages == 1 else "pages"
        raise InvalidRequest({"page": f"There is no page {number}: this list has {pages} {rows}."})


def day_bounds(first: date | None, last: date | None, tz_name: str) -> tuple[datetime | None, datetime | None]:
    """The UTC instants from the start of `first` to the start of the day after `last`, both days
    read in `tz_name` (either may be None: no bound)."""
    return (
        start_of_day(first, tz_name) if first else None,
        start_of_day(last + timedelta(days=1), tz_name) if last else None,
    )


# Sessions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionSearch:
    """What an admin looks for; every part is optional."""

    # Part of either person's name or email address, in any letter case.
    person: str = ""
    status: SessionStatus | None = None
    # Sessions that start at or after `starts_from` and before `starts_before` (aware UTC).
    starts_from: datetime | None = None
    starts_before: datetime | None = None


# What a row of the list shows, and nothing more: the session's thirty columns are not needed.
_LISTED = (
    orm.load_only(
        MentoringSession.id,
        MentoringSession.status,
        MentoringSession.starts_at,
        MentoringSession.ends_at,
        MentoringSession.mentor_id,
        MentoringSession.mentee_id,
        MentoringSession.session_type_id,
    ),
    orm.joinedload(MentoringSession.mentor).load_only(User.id, User.name, User.email),
    orm.joinedload(MentoringSession.mentee).load_only(User.id, User.name, User.email),
    orm.joinedload(MentoringSession.session_type).load_only(SessionType.name),
)


def _matching(term: str) -> sa.ColumnElement[bool]:
    """People whose name or address contains `term` in any letter case; % and _ in it are plain characters."""
    needle = term.lower()
    return sa.or_(
        sa.func.lower(User.name).contains(needle, autoescape=True),
        # Addresses are stored lower-cased (models.normalise_email).
        User.email.contains(needle, autoescape=True),
    )


def _session_conditions(search: SessionSearch) -> list[sa.ColumnElement[bool]]:
    conditions = []
    if search.person:
        people = sa.select(User.id).where(_matching(search.person))
        conditions.append(sa.or_(MentoringSession.mentor_id.in_(people), MentoringSession.mentee_id.in_(people)))
    if search.status is not None:
        conditions.append(MentoringSession.status == search.status)
    if search.starts_from is not None:
        conditions.append(MentoringSession.starts_at >= search.starts_from)
    if search.starts_before is not None:
        conditions.append(MentoringSession.starts_at < search.starts_before)
    return conditions


def count_sessions(search: SessionSearch) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(MentoringSession).where(*_session_conditions(search))
    )


def search_sessions(search: SessionSearch, page: int, per_page: int = PER_PAGE) -> Page:
    """One page of the sessions that match, latest start first (so the furthest ahead lead, and
    paging on goes back in time); InvalidRequest on `page` if the list has no such page."""
    total = count_sessions(search)
    check_page_number(page, total, per_page)
    rows = db.session.scalars(
        sa.select(MentoringSession)
        .options(*_LISTED)
        .where(*_session_conditions(search))
        .order_by(MentoringSession.starts_at.desc(), MentoringSession.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return Page(list(rows), page, total, per_page)


# People --------------------------------------------------------------------------------

# A person as the list shows them: never the password hash, the login version or anything secret.
_PERSON = orm.load_only(
    User.id, User.name, User.email, User.role, User.timezone, User.created_at, User.email_confirmed_at
)


def _people_conditions(term: str, role: Role | None) -> list[sa.ColumnElement[bool]]:
    conditions = []
    if term:
        conditions.append(_matching(term))
    if role is not None:
        conditions.append(User.role == role)
    return conditions


def search_people(term: str, role: Role | None, page: int, per_page: int = PER_PAGE) -> Page:
    """One page of the people whose name or address contains `term` (everyone when empty), of
    `role` (any when None), by name; each mentor with their profile, for the approval state."""
    conditions = _people_conditions(term, role)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(*conditions))
    check_page_number(page, total, per_page)
    rows = db.session.scalars(
        sa.select(User)
        .outerjoin(MentorProfile, MentorProfile.user_id == User.id)
        .options(
            _PERSON,
            orm.contains_eager(User.mentor_profile).load_only(MentorProfile.user_id, MentorProfile.approval),
        )
        .where(*conditions)
        .order_by(User.name, User.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return Page(list(rows), page, total, per_page)


def mentors_waiting() -> int:
    """Mentors who registered and wait for an admin's decision."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(MentorProfile).where(MentorProfile.approval == MentorApproval.PENDING)
    )


# The admin log -------------------------------------------------------------------------


@dataclass(frozen=True)
class LogPage:
    """A page of the admin log, newest first, and the people its rows name ("user:12") by id."""

    actions: list[AdminAction]
    number: int
    has_older: bool
    people: dict[int, User]

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.has_older else None


def log_page(page: int, per_page: int = PER_PAGE) -> LogPage:
    """One page of the admin log, in two statements: the page with its admins (and one row more, to
    know whether an older page exists), and the people it names. InvalidRequest on `page` past the end."""
    if not 1 <= page <= MAX_PAGE:
        raise InvalidRequest({"page": f"There is no page {page} of the log."})
    rows = admin_log.latest(per_page + 1, (page - 1) * per_page)
    if page > 1 and not rows:
        raise InvalidRequest({"page": f"There is no page {page} of the log."})
    actions = rows[:per_page]
    return LogPage(actions, page, len(rows) > per_page, people_named(actions))


def people_named(actions: list[AdminAction]) -> dict[int, User]:
    """The people that log rows are about ("user:12"), by id, in one query; the deleted are missing."""
    ids = {int(key) for kind, _, key in (a.subject.partition(":") for a in actions) if kind == "user" and key.isdigit()}
    if not ids:
        return {}
    people = db.session.scalars(sa.select(User).options(orm.load_only(User.id, User.name, User.email)).where(User.id.in_(ids)))
    return {person.id: person for person in people}
