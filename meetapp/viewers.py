"""Who is asking: the logged-in person, read as one flat row on every logged-in request.

Flask-Login asks for the person behind the login cookie on every page, every status poll
and every join. Those read only who the person is (id, name, email, role, time zone), so
the loader reads just that as one row, without the ORM: building a `User` costs more
than the rest of a status poll's own work. Code that changes the person or follows their
relationships gets the ORM object from `as_user`.

The hot views (the join, the status poll, the dashboard) read the viewer within their own
query instead (`read_along`): the person the login cookie names comes back at the end of the
row, and `prefetch` hands them to Flask-Login's loader, so the request has one query less.
Such a view runs its query before the login check and shows nothing until the check passes.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from flask import g, session
from flask_login import UserMixin

from meetapp import autocommit
from meetapp.domain.scheduling import Role
from meetapp.extensions import db
from meetapp.models import User

# Ids are 32-bit integers: a larger number would overflow in PostgreSQL's hands.
MAX_ID = 2**31 - 1
COLUMNS = (User.id, User.name, User.email, User.role, User.timezone)
_BY_ID = sa.select(*COLUMNS).where(User.id == sa.bindparam("id"))
_PREFETCHED = "meetapp_prefetched_viewer"
# The person the login cookie names, under a name of their own in a view's query.
_ALONG = User.__table__.alias("viewer")
_ALONG_COLUMNS = [_ALONG.c[column.key] for column in COLUMNS]


class Viewer(UserMixin):
    """The logged-in person as Flask-Login's `current_user`: what pages show and decide on, read-only."""

    def __init__(self, id: int, name: str, email: str, role: Role, timezone: str):  # noqa: A002 (the column's name)
        self.id, self.name, self.email, self.role, self.timezone = id, name, email, role, timezone

    @property
    def is_mentor(self) -> bool:
        return self.role is Role.MENTOR

    @property
    def is_mentee(self) -> bool:
        return self.role is Role.MENTEE

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def __repr__(self) -> str:
        return f"<Viewer {self.id} {self.email} {self.role}>"


def user_id_of(value: object) -> int | None:
    """The id in a login cookie's `_user_id`, or None for anything that is not one of our ids."""
    if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10):
        return None
    number = int(value)
    return number if number <= MAX_ID else None


def cookie_user_id() -> int | None:
    """The id the login cookie names, for a view that reads the viewer within its own query.

    Only a hint: Flask-Login still decides who is logged in, and asks `load` for them.
    """
    return user_id_of(session.get("_user_id"))


def prefetch(viewer: Viewer) -> None:
    """The viewer, read by the request's own query; `load` hands it to Flask-Login without another."""
    setattr(g, _PREFETCHED, viewer)


def read_along(statement: sa.Select) -> sa.Select:
    """`statement`, also reading the person whose id is its `viewer_id` parameter (`cookie_user_id()`).

    Their columns come last in every row, all None when nobody has that id; `own_part` takes them off.
    """
    return statement.add_columns(*_ALONG_COLUMNS).outerjoin(_ALONG, _ALONG.c.id == sa.bindparam("viewer_id"))


def own_part(row: Sequence, width: int) -> tuple:
    """The first `width` values of a `read_along` row; the viewer after them, if there is one, is prefetched."""
    if row[width] is not None:
        prefetch(Viewer(*row[width:]))
    return tuple(row[:width])


def load(user_id: str) -> Viewer | None:
    """Flask-Login's user loader: the person with this id, or None (which logs the cookie out)."""
    number = user_id_of(user_id)
    if number is None:
        return None
    prefetched = g.get(_PREFETCHED)
    if prefetched is not None and prefetched.id == number:
        return prefetched
    # In the hot views on their own Core connection (see autocommit), elsewhere the ORM session's.
    row = autocommit.connection().execute(_BY_ID, {"id": number}).first()
    return Viewer(*row) if row is not None else None


def as_user(person: User | Viewer) -> User:
    """The ORM `User` behind a viewer (one query, or none if the request has loaded it already)."""
    # Accounts are never deleted, so the person the loader has just read is there.
    return person if isinstance(person, User) else db.session.get_one(User, person.id)
