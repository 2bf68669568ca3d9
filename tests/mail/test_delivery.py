"""Delivery by `flask worker`: SMTP outages, retries with backoff, giving up, leases, stale mail, the CLI."""
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from meetapp.domain.notifications import MailStatus
from meetapp.extensions import db
from meetapp.models import OutboxMail
from meetapp.outbox.worker import claim_due, run_pass
from tests.mail.helpers import STARTS, book
from tests.support import NOW, People, counted_queries, running_app


@pytest.fixture
def two_confirmations(clock, as_mentee, as_mentor, mentor):
    """A confirmed session whose two confirmation mails wait in the outbox (the request was never sent)."""
    session_id = book(as_mentee, mentor)
    assert as_mentor.post(f"/api/mentoring/session/{session_id}/confirm").status_code == 200
    return session_id


def mails(app, **where) -> list[OutboxMail]:
    with app.app_context():
        query = sa.select(OutboxMail).filter_by(**where).order_by(OutboxMail.id)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def confirmation_rows(app) -> list[OutboxMail]:
    return mails(app, kind="confirmation")


def test_while_smtp_is_down_nothing_is_lost_and_it_all_arrives_once_it_is_back(
    app, two_confirmations, worker, smtp_sink, clock
):
    smtp_sink.stop()
    report = worker()
    assert (report.sent, report.retrying, report.failed) == (0, 2, 0)
    for row in confirmation_rows(app):
        assert row.status is MailStatus.QUEUED and row.attempts == 1
        assert "Connection refused" in row.last_error or "Errno" in row.last_error
        assert NOW + timedelta(seconds=15) <= row.next_attempt_at <= NOW + timedelta(seconds=30)
    assert worker().retrying == 0, "not retried before its backoff is over"

    smtp_sink.start()
    clock.shift(timedelta(seconds=31))
    assert worker().sent == 2
    assert worker().sent == 0
    assert sorted(message["To"] for message in smtp_sink.received) == [
        "Max Mentee <max.mentee@example.com>",
        "Mona Mentor <mona.mentor@example.com>",
    ]
    assert {row.status for row in confirmation_rows(app)} == {MailStatus.SENT}
    assert {message["Message-ID"] for message in smtp_sink.received} == {
        row.message_id for row in confirmation_rows(app)
    }


def test_backoff_grows_then_the_worker_gives_up_and_says_so(app, two_confirmations, worker, smtp_sink, clock):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    smtp_sink.stop()
    waits = []
    for _ in range(2):
        worker()
        (row, _) = confirmation_rows(app)
        waits.append(row.next_attempt_at - datetime.now(UTC))
        clock.move_to(row.next_attempt_at + timedelta(seconds=60))
    assert timedelta(seconds=15) <= waits[0] <= timedelta(seconds=30)
    assert timedelta(seconds=30) <= waits[1] <= timedelta(seconds=60)

    report = worker()
    assert report.failed == 2
    assert {(row.status, row.attempts) for row in confirmation_rows(app)} == {(MailStatus.FAILED, 3)}
    clock.shift(timedelta(days=1))
    assert worker().failed == 0, "a failed mail stays failed until someone retries it"

    listing = app.test_cli_runner().invoke(args=["outbox", "list"])
    assert listing.exit_code == 0
    assert listing.output.count("failed") >= 2 and "max.mentee@example.com" in listing.output
    retried = app.test_cli_runner().invoke(args=["outbox", "retry", "--all-failed"])
    assert retried.exit_code == 0 and "Queued 2 mails again." in retried.output
    smtp_sink.start()
    assert worker().sent == 2


def test_a_recipient_the_server_refuses_fails_at_once_and_the_others_still_go(
    app, two_confirmations, worker, smtp_sink
):
    smtp_sink.refuse = {"max.mentee@example.com"}
    report = worker()
    assert (report.sent, report.failed, report.retrying) == (1, 1, 0)
    refused = mails(app, kind="confirmation", to_address="max.mentee@example.com")[0]
    assert refused.status is MailStatus.FAILED and refused.attempts == 1
    assert "550" in refused.last_error
    assert [message["To"] for message in smtp_sink.received] == ["Mona Mentor <mona.mentor@example.com>"]


def test_a_server_that_never_answers_costs_one_timeout_not_one_per_mail(app, two_confirmations, worker):
    app.config["MAIL_TIMEOUT_SECONDS"] = 1
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        app.config["MAIL_PORT"] = silent.getsockname()[1]
        app.extensions["mail"].port = app.config["MAIL_PORT"]
        started = time.monotonic()
        report = worker()
    assert time.monotonic() - started < 5
    assert (report.sent, report.retrying) == (0, 2)
    assert all("timed out" in row.last_error for row in confirmation_rows(app))


def test_a_worker_that_dies_holding_mail_only_delays_it(app, two_confirmations, worker, smtp_sink, clock):
    with app.app_context():
        assert len(claim_due("crashed-worker", datetime.now(UTC))) == 4
    report = worker()
    assert (report.sent, report.skipped) == (0, 0), "leased to the crashed worker"

    clock.shift(timedelta(seconds=app.config["MAIL_LEASE_SECONDS"]))
    report = worker()
    # The request and its "sent" note were answered by the confirmation before the worker came round.
    assert (report.sent, report.skipped) == (2, 2)
    assert len(smtp_sink.received) == 2


def test_mail_made_stale_by_a_later_change_is_skipped_not_sent(app, two_confirmations, as_mentor, worker, smtp_sink):
    # The mentor moves it: it stays confirmed, and the mails carry the new time and links.
    as_mentor.post(f"/api/mentoring/session/{two_confirmations}/reschedule", json={"startsAt": "2026-11-24T12:00:00Z"})
    report = worker()
    assert (report.sent, report.skipped) == (2, 4)
    assert {message["Subject"].split(":")[0] for message in smtp_sink.received} == {"Moved"}
    skipped = mails(app, status="skipped")
    assert {row.kind.value for row in skipped} == {"booking_request", "request_sent", "confirmation"}
    assert all(row.last_error for row in skipped)


def test_flask_worker_once_delivers_and_exits_zero(app, two_confirmations, smtp_sink):
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "2 sent" in result.output
    assert len(smtp_sink.received) == 2


def test_the_worker_will_not_run_without_a_mail_server_outside_development(database_url):
    with running_app(database_url) as app:
        result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 2
    assert "MAIL_SERVER is not set" in result.output


def test_in_development_without_a_mail_server_mail_goes_to_the_dev_mailbox(database_url, clock):
    with running_app(database_url, MEETAPP_ENV="development") as app:
        people = People(app)
        mentor = people.make("mentor", "Mona Mentor")
        mentee = people.make("mentee", "Max Mentee")
        with app.app_context():
            from meetapp.models import User
            from meetapp.services.booking import book_session

            book_session(mentee=db.session.get(User, mentee), mentor_id=mentor, starts_at=STARTS,
                         duration_minutes=60, now=NOW)
            report = run_pass(worker_id="dev")
        assert report.sent == 2
        assert {(row.status, row.sent_via) for row in mails(app)} == {(MailStatus.SENT, "dev-mailbox")}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["outbox", "retry", "999"], "No failed mail with id 999."),
        (["outbox", "retry"], "Give the ids of failed mails, or --all-failed"),
        (["outbox", "retry", "1", "--all-failed"], "Give the ids of failed mails, or --all-failed"),
        (["outbox", "retry", "1"], "No failed mail with id 1."),
    ],
)
def test_retrying_what_is_not_a_failed_mail_changes_nothing(app, two_confirmations, args, message):
    before = [(row.id, row.status, row.attempts) for row in mails(app)]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2
    assert message in result.output
    assert [(row.id, row.status, row.attempts) for row in mails(app)] == before


def test_listing_an_empty_queue_says_so(app):
    result = app.test_cli_runner().invoke(args=["outbox", "list", "--status", "all"])
    assert result.exit_code == 0 and result.output.strip() == "No mails."


def test_on_postgresql_only_outcomes_skip_the_wait_for_the_disk(app, two_confirmations, worker, smtp_sink):
    """Outcomes commit without waiting for the WAL flush (a lost one means a resend); claims wait for it."""
    with counted_queries(app) as statements:
        assert worker().sent == 2
    relaxed = [number for number, statement in enumerate(statements) if "synchronous_commit" in statement]
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert relaxed == []
        return
    # Each relaxed commit is one outcome: the two sent, and the stale request and its note skipped.
    after = [statements[number + 1] for number in relaxed]
    assert len(after) == 4 and all(statement.startswith("UPDATE outbox") for statement in after), statements
    assert sum("sent_at" in statement for statement in after) == 2
    claim = next(number for number, statement in enumerate(statements) if "SKIP LOCKED" in statement)
    assert claim - 1 not in relaxed
