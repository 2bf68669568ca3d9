"""What changed for a person since their page last looked: the live pages' conditional poll.

Each person's `sessions_version` counts the changes to their sessions, and each session keeps the
mentor's and the mentee's count at its last change. A page carries the count it was rendered at as
its ETag; its poll answers 304 while the count is the same, and otherwise sends the sessions changed
since (`changed_since`).

The counting is a `before_flush` listener rather than a call in every service, so no change is
missed wherever it is made (a page, the API, the worker, the CLI, an admin). It raises the counts
with UPDATE … RETURNING, which holds each person's row until the commit: one person's changes
commit in the order of their numbers, so a page that has seen number v has seen every change up to
v. A flush takes the rows in the order of their ids, so two transactions that change the same people
wait for each other but never deadlock. A transaction raises each person's count once, however many
times it flushes (a change, then the mail that marks the session announced): nobody sees the number
before the commit, which publishes everything it stamped together.
"""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from meetapp.extensions import db
from meetapp.models import MentoringSession, User
from meetapp.services.booking import LISTED

_users = User.__table__
# In `Session.info`: the counts this transaction has raised so far, by person.
_COUNTED = "meetapp.changes.counted"


def etag(user_id: int, sessions_version: int) -> str:
    """The ETag of every live page of this person at this count: the poll's answer is 304 while it holds."""
    return f'"{user_id}.{sessions_version}"'


def version_in(user_id: int, if_none_match: str | None) -> int | None:
    """The count a poll's `If-None-Match` says its page has seen, or None if it names another person
    or none at all (the page is then sent everything it may show)."""
    if not if_none_match:
        return None
    prefix = f'"{user_id}.'
    text = if_none_match.strip()
    if not (text.startswith(prefix) and text.endswith('"')):
        return None
    number = text[len(prefix) : -1]
    if not (number.isascii() and number.isdigit() and len(number) <= 12):
        return None
    return int(number)


_CHANGED_SINCE = (
    sa.select(MentoringSession)
    .options(*LISTED)
    .where(
        sa.or_(
            sa.and_(
                MentoringSession.mentor_id == sa.bindparam("user_id"),
                MentoringSession.mentor_version_at_change > sa.bindparam("version"),
            ),
            sa.and_(
                MentoringSession.mentee_id == sa.bindparam("user_id"),
                MentoringSession.mentee_version_at_change > sa.bindparam("version"),
            ),
        ),
        MentoringSession.ends_at > sa.bindparam("now"),
    )
    .order_by(MentoringSession.starts_at, MentoringSession.id)
)


def changed_since(user: User, version: int | None, now: datetime) -> list[MentoringSession]:
    """The person's sessions not over yet that changed after `version` (all of them for None), with what a
    dashboard row shows. Sessions that are over cannot be changed any more, so a page has them already."""
    params = {"user_id": user.id, "version": -1 if version is None else version, "now": now}
    return list(db.session.scalars(_CHANGED_SINCE, params))


def _people_of(session: MentoringSession) -> tuple[int, int]:
    # A session being booked may know its people only as objects until the flush sets the ids.
    mentor_id = session.mentor_id if session.mentor_id is not None else session.mentor.id
    mentee_id = session.mentee_id if session.mentee_id is not None else session.mentee.id
    return mentor_id, mentee_id


@sa.event.listens_for(orm.Session, "before_flush")
def count_session_changes(session: orm.Session, flush_context, instances) -> None:
    """Raise the count of both people of every session this flush adds or changes, and stamp the sessions."""
    changed = [
        item
        for item in (*session.new, *session.dirty)
        if isinstance(item, MentoringSession) and (item in session.new or session.is_modified(item))
    ]
    if not changed:
        return
    people = {item: _people_of(item) for item in changed}
    counts = session.info.setdefault(_COUNTED, {})
    connection = session.connection()
    for person in sorted({person for pair in people.values() for person in pair} - counts.keys()):
        counts[person] = connection.execute(
            sa.update(_users)
            .where(_users.c.id == person)
            .values(sessions_version=_users.c.sessions_version + 1)
            .returning(_users.c.sessions_version)
        ).scalar_one()
    for item, (mentor_id, mentee_id) in people.items():
        item.mentor_version_at_change = counts[mentor_id]
        item.mentee_version_at_change = counts[mentee_id]


@sa.event.listens_for(orm.Session, "after_transaction_end")
def forget_counts(session: orm.Session, transaction: orm.SessionTransaction) -> None:
    # The transaction's end, or a savepoint's (a count raised in one that rolled back is gone from the
    # row); not the end of the inner transaction each flush runs in.
    if transaction.parent is None or transaction.nested:
        session.info.pop(_COUNTED, None)
