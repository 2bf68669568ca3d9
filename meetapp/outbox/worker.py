"""Delivering the outbox: what `flask worker` does on each pass.

A pass queues the reminders that have come due, then claims due mails in
batches and sends them. Claiming is one UPDATE that leases the rows to this
worker (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers), so
any number of workers on any number of machines never send one mail twice while
a lease holds. A worker that dies mid-batch only delays its mails until the
lease runs out. Failed deliveries come back with exponential backoff and
jitter, and after MAIL_MAX_ATTEMPTS they are marked failed for a person to see.
"""
import email.charset
import email.header
import os
import smtplib
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_mail import BadHeaderError, Connection, Message

from meetapp.domain.notifications import (
    MailKind,
    MailStatus,
    due_reminder_offset,
    reminder_horizon,
    retry_delay,
    stale_reason,
)
from meetapp.domain.scheduling import SessionStatus
from meetapp.domain.timeutil import utcnow
from meetapp.extensions import db, mail
from meetapp.models import MentoringSession, OutboxMail
from meetapp.outbox import notify
from meetapp.services import attendance, google_presence, meetings, passwords, presence

DEV_MAILBOX = "dev-mailbox"
SMTP = "smtp"


class MailNotConfigured(RuntimeError):
    """No way to deliver: MAIL_SERVER is unset outside development."""


@dataclass
class PassReport:
    reminders_queued: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    # Zoom and Google meetings made for sessions whose first attempt failed.
    meetings_made: int = 0
    # Password reset links mailed for the requests made on /auth/forgot.
    reset_links_queued: int = 0
    # Attendance reports finalised (their windows closed), and presence rows past retention deleted.
    reports_finalised: int = 0
    presence_deleted: int = 0
    # Google Meet sessions whose conference records were read.
    presence_read: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        return any((
            self.reminders_queued, self.sent, self.retrying, self.failed, self.skipped, self.meetings_made,
            self.reset_links_queued, self.reports_finalised, self.presence_deleted,
            self.presence_read,
        ))

    def summary(self) -> str:
        made = f", {self.meetings_made} meetings made" if self.meetings_made else ""
        resets = f", {self.reset_links_queued} reset links queued" if self.reset_links_queued else ""
        reports = f", {self.reports_finalised} attendance reports finalised" if self.reports_finalised else ""
        forgotten = f", {self.presence_deleted} old presence rows deleted" if self.presence_deleted else ""
        read = f", {self.presence_read} Google Meet records read" if self.presence_read else ""
        return (
            f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed, "
            f"{self.skipped} skipped, {self.reminders_queued} reminders queued{made}{resets}{read}{reports}{forgotten}"
        )


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def transport() -> str:
    """SMTP when MAIL_SERVER is set; the dev mailbox in development without it; otherwise refuse."""
    config = current_app.config
    if config.get("MAIL_SERVER"):
        return SMTP
    if config["MEETAPP_ENV"] == "development":
        return DEV_MAILBOX
    raise MailNotConfigured(
        "MAIL_SERVER is not set, so mail cannot be delivered. Set MAIL_SERVER (and MAIL_PORT, MAIL_USERNAME, …); "
        "only MEETAPP_ENV=development keeps mail in the dev mailbox instead."
    )


def run_pass(*, worker_id: str, clock: Callable[[], datetime] = utcnow) -> PassReport:
    """Make overdue provider meetings, queue due reminders and asked-for reset links, finalise the
    attendance of sessions whose window closed (mailing their no-shows), forget presence past its
    retention, then deliver every mail that is due now.

    The clock is the app's, never the database's.
    """
    via = transport()
    report = PassReport()
    report.meetings_made = meetings.retry_due(clock())
    report.reminders_queued = queue_due_reminders(clock())
    report.reset_links_queued = passwords.queue_reset_mails(clock())
    report.presence_read = google_presence.fetch_due(clock())
    report.reports_finalised = attendance.finalise_due(clock())
    report.presence_deleted = presence.delete_older_than(
        clock() - timedelta(days=current_app.config["PRESENCE_RETENTION_DAYS"])
    )
    while batch := claim_due(worker_id, clock()):
        deliver(batch, worker_id=worker_id, via=via, clock=clock, report=report)
    return report


def queue_due_reminders(now: datetime) -> int:
    """Queue each confirmed session's reminder that has come due; a reminder already queued stays single."""
    offsets = current_app.config["REMINDER_OFFSETS_MINUTES"]
    sessions = db.session.scalars(
        sa.select(MentoringSession).where(
            MentoringSession.status == SessionStatus.CONFIRMED,
            MentoringSession.starts_at > now,
            MentoringSession.starts_at <= now + reminder_horizon(offsets),
        )
    ).unique()
    due = [
        (session, offset)
        for session in sessions
        if (offset := due_reminder_offset(
            starts_at=session.starts_at, offsets=offsets, announced_at=session.announced_at, now=now
        )) is not None
    ]
    if not due:
        return 0
    already = {
        tuple(row)
        for row in db.session.execute(
            sa.select(OutboxMail.session_id, OutboxMail.sequence, OutboxMail.offset_minutes).where(
                OutboxMail.kind == MailKind.REMINDER,
                OutboxMail.session_id.in_([session.id for session, _ in due]),
            )
        )
    }
    queued = 0
    for session, offset in due:
        if (session.id, session.link_version, offset) not in already:
            queued += notify.reminder(session, offset, now)
    db.session.commit()
    return queued


def _due(now: datetime):
    return sa.and_(
        OutboxMail.status == MailStatus.QUEUED,
        OutboxMail.next_attempt_at <= now,
        sa.or_(OutboxMail.lease_until.is_(None), OutboxMail.lease_until <= now),
    )


def claim_due(worker_id: str, now: datetime, limit: int | None = None) -> list[OutboxMail]:
    """Lease up to `limit` due mails to this worker and return them, oldest due first."""
    config = current_app.config
    limit = limit or config["MAIL_BATCH_SIZE"]
    picked = (
        sa.select(OutboxMail.id)
        .where(_due(now))
        .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
    )
    claimed = db.session.scalars(
        sa.update(OutboxMail)
        .where(OutboxMail.id.in_(sa.select(picked.c.id)), _due(now))
        .values(lease_until=now + timedelta(seconds=config["MAIL_LEASE_SECONDS"]), claimed_by=worker_id)
        .returning(OutboxMail.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    if not claimed:
        return []
    rows = list(
        db.session.scalars(
            sa.select(OutboxMail).where(OutboxMail.id.in_(claimed)).order_by(OutboxMail.next_attempt_at, OutboxMail.id)
        )
    )
    # Detached, so the commit after each outcome does not expire them into one reload per mail.
    for row in rows:
        db.session.expunge(row)
    return rows


def deliver(
    batch: list[OutboxMail], *, worker_id: str, via: str, clock: Callable[[], datetime], report: PassReport
) -> None:
    """Send a claimed batch over one SMTP connection, recording each outcome as it happens."""
    config = current_app.config
    sessions = _session_states([row.session_id for row in batch if row.session_id is not None])
    # Stop well inside the lease, so no other worker can take over a mail this one is still sending.
    deadline = time.monotonic() + config["MAIL_LEASE_SECONDS"] / 2
    with _postman(via) as postman:
        for position, row in enumerate(batch):
            if time.monotonic() > deadline:
                _release(batch[position:], worker_id)
                return
            reason = None
            if row.session_id is not None:
                state = sessions[row.session_id]
                reason = stale_reason(
                    kind=row.kind, sequence=row.sequence, session_status=state.status,
                    link_version=state.link_version, starts_at=state.starts_at, now=clock(),
                )
            if reason:
                _finish(row, worker_id, status=MailStatus.SKIPPED, error=reason, counts_attempt=False, now=clock())
                report.skipped += 1
                continue
            try:
                postman.send(row)
            except postman.transient_errors as exc:
                _record_failure(row, worker_id, exc, clock(), report)
                if postman.broken:
                    # The server is unreachable: every mail left in the batch fails the same way now.
                    for rest in batch[position + 1:]:
                        _record_failure(rest, worker_id, exc, clock(), report)
                    return
            else:
                _finish(row, worker_id, status=MailStatus.SENT, via=via, counts_attempt=True, now=clock())
                report.sent += 1


@dataclass(frozen=True)
class _SessionState:
    status: SessionStatus
    link_version: int
    starts_at: datetime


def _session_states(session_ids: list[str]) -> dict[str, _SessionState]:
    rows = db.session.execute(
        sa.select(
            MentoringSession.id, MentoringSession.status, MentoringSession.link_version, MentoringSession.starts_at
        ).where(MentoringSession.id.in_(set(session_ids)))
    )
    return {row.id: _SessionState(row.status, row.link_version, row.starts_at) for row in rows}


def _record_failure(row: OutboxMail, worker_id: str, exc: BaseException, now: datetime, report: PassReport) -> None:
    config = current_app.config
    attempts = row.attempts + 1
    error = _describe(exc)
    report.errors.append(error)
    if is_permanent(exc) or attempts >= config["MAIL_MAX_ATTEMPTS"]:
        _finish(row, worker_id, status=MailStatus.FAILED, error=error, counts_attempt=True, now=now)
        report.failed += 1
        current_app.logger.error("Mail %s to recipient %s failed for good: %s", row.id, row.recipient_id, error)
        return
    delay = retry_delay(
        attempts, base_seconds=config["MAIL_RETRY_BASE_SECONDS"], cap_seconds=config["MAIL_RETRY_MAX_SECONDS"]
    )
    _finish(row, worker_id, status=MailStatus.QUEUED, error=error, counts_attempt=True, now=now, retry_at=now + delay)
    report.retrying += 1
    current_app.logger.warning("Mail %s not delivered (attempt %s), retrying in %ss: %s",
                               row.id, attempts, int(delay.total_seconds()), error)


def _finish(
    row: OutboxMail,
    worker_id: str,
    *,
    status: MailStatus,
    now: datetime,
    counts_attempt: bool,
    error: str | None = None,
    via: str | None = None,
    retry_at: datetime | None = None,
) -> None:
    """Record one mail's outcome, only if this worker still holds it, and commit at once."""
    values: dict = {"status": status, "lease_until": None, "claimed_by": None, "last_error": error}
    if counts_attempt:
        values["attempts"] = OutboxMail.attempts + 1
    if status is MailStatus.SENT:
        values.update(sent_at=now, sent_via=via)
    if retry_at is not None:
        values["next_attempt_at"] = retry_at
    if db.session.get_bind().dialect.name == "postgresql":
        # An outcome need not wait for the disk: PostgreSQL may lose the last fraction of a second of
        # such commits in a crash (never a half-written row), and a lost "sent" only means the mail
        # goes again, with the same Message-ID, once the lease runs out, as when a worker dies
        # between the SMTP answer and this commit. Claims stay synchronous.
        db.session.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))
    db.session.execute(
        sa.update(OutboxMail)
        .where(OutboxMail.id == row.id, OutboxMail.claimed_by == worker_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _release(rows: list[OutboxMail], worker_id: str) -> None:
    db.session.execute(
        sa.update(OutboxMail)
        .where(OutboxMail.id.in_([row.id for row in rows]), OutboxMail.claimed_by == worker_id)
        .values(lease_until=None, claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def is_permanent(exc: BaseException) -> bool:
    """A 5xx answer about this very mail (a refused recipient, rejected content) will not change on retry.

    Connection, authentication and sender problems are the operator's to fix, so they are retried.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPDataError):
        return exc.smtp_code >= 500
    return isinstance(exc, BadHeaderError)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        detail = "; ".join(f"{code} {message.decode(errors='replace')}" for code, message in exc.recipients.values())
        return f"Recipient refused: {detail}"[:500]
    if isinstance(exc, smtplib.SMTPResponseException):
        message = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"SMTP {exc.smtp_code}: {message}"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]


class _DevMailbox:
    """Development without MAIL_SERVER: the mail stays in the outbox, readable at /dev/mail."""

    transient_errors: tuple = ()
    broken = False

    def send(self, row: OutboxMail) -> None:
        pass


class _SmtpPostman:
    """Flask-Mail over one SMTP connection, opened on first use and reopened after a dropped one."""

    transient_errors = (smtplib.SMTPException, OSError, BadHeaderError)

    def __init__(self) -> None:
        self._connection: Connection | None = None
        # True when the server could not be reached at all, rather than refusing one mail.
        self.broken = False

    def send(self, row: OutboxMail) -> None:
        if self._connection is None:
            try:
                self._connection = _open_connection()
            except self.transient_errors:
                self.broken = True
                raise
        try:
            self._connection.send(build_message(row))
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()
            raise

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and connection.host is not None:
            try:
                connection.host.quit()
            except (smtplib.SMTPException, OSError):
                connection.host.close()


@contextmanager
def _postman(via: str) -> Iterator[_DevMailbox | _SmtpPostman]:
    if via == DEV_MAILBOX:
        yield _DevMailbox()
        return
    postman = _SmtpPostman()
    try:
        yield postman
    finally:
        postman.close()


def _open_connection() -> Connection:
    """Flask-Mail's connection, with a socket timeout it does not set itself (a hung server must not hang us)."""
    connection = mail.connect()
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(current_app.config["MAIL_TIMEOUT_SECONDS"])
    try:
        connection.host = connection.configure_host()
    finally:
        socket.setdefaulttimeout(previous)
    connection.num_emails = 0
    return connection


_ADDRESS_SPECIALS = frozenset('()<>@,;:\\"[]')


def header_safe_name(name: str) -> str:
    """A display name that no mail program can read as part of the address.

    Flask-Mail quotes such a name, but the email package may refold a long To header
    and drop the quotes, so `Max <attacker@evil.example>` would become the address.
    A name with address punctuation goes as an RFC 2047 encoded word instead, which
    every reader decodes back to the name exactly as the person wrote it.
    """
    if not any(ch in _ADDRESS_SPECIALS for ch in name):
        return name
    charset = email.charset.Charset("utf-8")
    charset.header_encoding = email.charset.BASE64
    return email.header.Header(name, charset=charset).encode(maxlinelen=0)


def build_message(row: OutboxMail) -> Message:
    """The MIME message: text and HTML alternatives, invite.ics attached, the outbox's Message-ID."""
    host = row.message_id.rsplit("@", 1)[-1].rstrip(">")
    message = Message(
        subject=row.subject,
        recipients=[(header_safe_name(row.to_name), row.to_address)],
        body=row.text_body,
        html=row.html_body,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    if row.session_id is not None:
        # Threads every mail about one session together in the reader's mail program.
        message.extra_headers["References"] = f"<session-{row.session_id}@{host}>"
    message.msgId = row.message_id
    if row.ics:
        message.attach(
            "invite.ics", f"text/calendar; method={row.ics_method}; charset=UTF-8", row.ics.encode(), "attachment"
        )
    return message
