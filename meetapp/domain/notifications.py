"""The rules of mail about sessions: which kinds exist, when a reminder is due, when a queued
mail has gone stale, and how long to wait before trying a failed delivery again.

Pure Python; `now` is always a parameter.
"""
import random
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from meetapp.domain.scheduling import ENDED_STATUSES, SessionStatus


class MailKind(StrEnum):
    BOOKING_REQUEST = "booking_request"
    # To the mentee: their request went to the mentor.
    REQUEST_SENT = "request_sent"
    CONFIRMATION = "confirmation"
    RESCHEDULE = "reschedule"
    NEW_LINK = "new_link"
    CANCELLATION = "cancellation"
    # To the mentee: the mentor declined the request (or the new time they asked for).
    DECLINED = "declined"
    REMINDER = "reminder"
    # To the person who came (and admins who asked): the other did not; the session is a no-show.
    NO_SHOW = "no_show"
    # About an account, not a session.
    EMAIL_CONFIRMATION = "email_confirmation"
    REGISTRATION_ATTEMPT = "registration_attempt"
    PASSWORD_RESET = "password_reset"
    PASSWORD_CHANGED = "password_changed"
    LOGIN_LOCKOUT = "login_lockout"
    MENTOR_APPROVED = "mentor_approved"
    MENTOR_SUSPENDED = "mentor_suspended"


ACCOUNT_MAILS = frozenset({
    MailKind.EMAIL_CONFIRMATION,
    MailKind.REGISTRATION_ATTEMPT,
    MailKind.PASSWORD_RESET,
    MailKind.PASSWORD_CHANGED,
    MailKind.LOGIN_LOCKOUT,
    MailKind.MENTOR_APPROVED,
    MailKind.MENTOR_SUSPENDED,
})


class MailStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    # Not sent because a newer mail about the same session replaced it.
    SKIPPED = "skipped"


# Mails carrying a join link that a later change can kill; a cancellation or a decline never goes stale.
_CARRIES_CURRENT_LINK = {MailKind.CONFIRMATION, MailKind.RESCHEDULE, MailKind.NEW_LINK, MailKind.REMINDER}
# The last word on a session that ended early: always sent.
ENDING_MAILS = frozenset({MailKind.CANCELLATION, MailKind.DECLINED})


def due_reminder_offset(
    *, starts_at: datetime, offsets: Iterable[int], announced_at: datetime | None, now: datetime
) -> int | None:
    """The reminder offset (minutes before the start) to send now, if any.

    Only the most recent offset that has come due counts: a worker that was down
    does not catch up with a string of stale reminders. An offset that came due
    before the participants were last told the time (confirmation, reschedule, new
    link) is not sent, since that mail said it all. Nothing once the session starts.
    """
    if now >= starts_at:
        return None
    due = [
        minutes
        for minutes in offsets
        if starts_at - timedelta(minutes=minutes) <= now
        and (announced_at is None or starts_at - timedelta(minutes=minutes) > announced_at)
    ]
    return min(due, default=None)


def reminder_horizon(offsets: Iterable[int]) -> timedelta:
    """How far ahead of `now` a session can start and still be owed a reminder."""
    return timedelta(minutes=max(offsets, default=0))


def stale_reason(
    *,
    kind: MailKind,
    sequence: int,
    session_status: SessionStatus,
    link_version: int,
    starts_at: datetime,
    now: datetime,
) -> str | None:
    """Why a queued mail should no longer go out, or None to send it.

    A mail names one version of the session's links (`sequence`); once a newer
    change has its own mail queued, the older one would only carry dead links.
    """
    if kind in ENDING_MAILS:
        return None
    if session_status in ENDED_STATUSES:
        return f"The session was {session_status.value}; the mail saying so replaces this one."
    if kind in _CARRIES_CURRENT_LINK and sequence != link_version:
        return "The session changed since; a newer mail replaces this one."
    if kind in (MailKind.BOOKING_REQUEST, MailKind.REQUEST_SENT) and (
        session_status is not SessionStatus.PENDING or sequence != link_version
    ):
        return "The request was answered or changed before this mail went out."
    if kind is MailKind.REMINDER and (session_status is not SessionStatus.CONFIRMED or now >= starts_at):
        return "The reminder is no longer useful: the session is not confirmed or has started."
    return None


def retry_delay(
    attempts: int, *, base_seconds: float, cap_seconds: float, rand: Callable[[], float] = random.random
) -> timedelta:
    """Exponential backoff with jitter after `attempts` failed deliveries (1 = the first failure).

    Half the delay is fixed and half random ("equal jitter"), so many workers that
    failed together do not all return at the same instant, yet none retries at once.
    """
    exponential = min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1))
    return timedelta(seconds=exponential / 2 + rand() * exponential / 2)


def duration_words(minutes: int) -> str:
    """'15 minutes', '1 hour', '24 hours', '1 hour 30 minutes' — for reminder subjects."""
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if rest or not hours:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)
