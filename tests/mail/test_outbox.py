"""The outbox keeps a change and its mail together: both are written, or neither; never twice."""
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from meetapp.domain.errors import Conflict
from meetapp.domain.notifications import MailKind
from meetapp.domain.scheduling import SessionStatus
from meetapp.extensions import db
from meetapp.models import MentoringSession, OutboxMail, User
from meetapp.outbox import notify
from meetapp.services.booking import book_session, confirm_session
from tests.support import NOW

STARTS = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def pending(app, mentor, mentee) -> str:
    with app.app_context():
        session = book_session(
            mentee=db.session.get(User, mentee), mentor_id=mentor, starts_at=STARTS, duration_minutes=60, now=NOW
        )
        return session.id


def test_a_booking_and_its_request_mails_are_written_together(app, pending, mentor, mentee):
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMail).order_by(OutboxMail.id)).all()
        assert [(row.session_id, row.kind, row.recipient_id, row.sequence) for row in rows] == [
            (pending, MailKind.BOOKING_REQUEST, mentor, 1),
            (pending, MailKind.REQUEST_SENT, mentee, 1),
        ]
        assert all(row.next_attempt_at == NOW and row.attempts == 0 for row in rows)


def test_a_refused_booking_queues_no_mail(app, pending, people, mentor):
    other = people.make("mentee", "Other Mentee")
    with app.app_context():
        with pytest.raises(Conflict):
            book_session(
                mentee=db.session.get(User, other), mentor_id=mentor, starts_at=STARTS, duration_minutes=60, now=NOW
            )
    assert count(app, OutboxMail) == 2
    assert count(app, MentoringSession) == 1


def test_if_the_mail_cannot_be_written_the_change_is_not_made_either(app, pending, mentor, monkeypatch):
    def broken_template(*args, **kwargs):
        raise RuntimeError("template missing")

    monkeypatch.setattr(notify, "_compose", broken_template)
    with app.app_context():
        with pytest.raises(RuntimeError):
            confirm_session(db.session.get(MentoringSession, pending), user=db.session.get(User, mentor), now=NOW)
    with app.app_context():
        assert db.session.get(MentoringSession, pending).status is SessionStatus.PENDING
    assert count(app, OutboxMail) == 2


def test_queueing_the_same_mail_twice_keeps_one(app, pending, mentor):
    with app.app_context():
        session = db.session.get(MentoringSession, pending)
        confirm_session(session, user=db.session.get(User, mentor), now=NOW)
        assert notify.reminder(session, 15, NOW) == 2
        assert notify.reminder(session, 15, NOW) == 0
        db.session.commit()
    assert count(app, OutboxMail) == 2 + 2 + 2


def test_the_database_itself_refuses_a_duplicate_mail_key(app, pending):
    with app.app_context():
        original = db.session.scalar(sa.select(OutboxMail))
        copy = {column.key: getattr(original, column.key) for column in OutboxMail.__table__.columns if column.key != "id"}
        copy["message_id"] = "<another@example.com>"
        db.session.add(OutboxMail(**copy))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()
    assert count(app, OutboxMail) == 2
