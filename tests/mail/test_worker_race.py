"""Two workers racing over the same outbox: every mail is delivered exactly once."""
import threading
from datetime import UTC, datetime

import sqlalchemy as sa

from meetapp.domain.notifications import MailStatus
from meetapp.extensions import db
from meetapp.models import OutboxMail, User
from meetapp.outbox import notify
from meetapp.outbox.worker import run_pass
from meetapp.services.booking import book_session, confirm_session
from tests.support import NOW

MAILS = 500


def queue_many(app, mentor_id: int, mentee_id: int) -> set[str]:
    """500 due mails: 250 reminders for each of the two people (one per made-up offset)."""
    with app.app_context():
        session = book_session(
            mentee=db.session.get(User, mentee_id),
            mentor_id=mentor_id,
            starts_at=datetime(2026, 12, 20, 10, 0, tzinfo=UTC),
            duration_minutes=60,
            now=NOW,
        )
        confirm_session(session, user=db.session.get(User, mentor_id), now=NOW)
        for offset in range(1, MAILS // 2 + 1):
            notify.reminder(session, offset, NOW)
        db.session.execute(sa.update(OutboxMail).where(OutboxMail.kind != "reminder").values(status=MailStatus.SENT))
        db.session.commit()
        return set(db.session.scalars(sa.select(OutboxMail.message_id).where(OutboxMail.kind == "reminder")))


def test_two_workers_deliver_every_mail_exactly_once(app, clock, mentor, mentee, smtp_sink):
    expected = queue_many(app, mentor, mentee)
    assert len(expected) == MAILS
    # Small batches, so the two workers claim over and over against each other.
    app.config["MAIL_BATCH_SIZE"] = 7
    start = threading.Barrier(2)
    reports, failures = {}, []

    def work(name: str) -> None:
        try:
            with app.app_context():
                start.wait()
                reports[name] = run_pass(worker_id=name)
        except BaseException as exc:  # surfaced by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("worker-a", "worker-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not failures, failures
    received = [message["Message-ID"] for message in smtp_sink.received]
    assert len(received) == MAILS, "no mail lost and none sent twice"
    assert set(received) == expected
    assert reports["worker-a"].sent + reports["worker-b"].sent == MAILS
    assert reports["worker-a"].sent > 0 and reports["worker-b"].sent > 0, "both workers really raced"
    with app.app_context():
        statuses = db.session.execute(
            sa.select(OutboxMail.status, OutboxMail.attempts, sa.func.count()).group_by(
                OutboxMail.status, OutboxMail.attempts
            ).where(OutboxMail.kind == "reminder")
        ).all()
        assert [tuple(row) for row in statuses] == [(MailStatus.SENT, 1, MAILS)]
