"""Queueing mail: each mail is rendered now, for its recipient, and written in the
caller's database transaction, so the change and its mail are kept or lost together.

Scheduling calls `booked`, `confirmed`, … before it commits; the worker calls
`reminder`. The unique mail key makes a second queueing of the same mail a no-op.
"""
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

import sqlalchemy as sa
from flask import current_app
from jinja2 import Environment

from meetapp.domain.calendar import CalendarPerson, Invite, event_uid, invite_ics
from meetapp.domain.notifications import ACCOUNT_MAILS, ENDING_MAILS, MailKind, duration_words
from meetapp.domain.scheduling import Role, SessionStatus, ended_by_support
from meetapp.domain.timeutil import minutes_between, to_local
from meetapp.domain.video import PROVIDER_LABELS
from meetapp.extensions import db
from meetapp.models import MentoringSession, OutboxMail, User
from meetapp.services.join_links import join_link
from meetapp.services.windows import window_of
from meetapp.sql import insert_or_skip
from meetapp.web.urls import public_host, public_url

SUBJECT_LENGTH = 300
# Mails that carry no join link: the session ended early, or is over.
NO_LINK = ENDING_MAILS | {MailKind.NO_SHOW}


@dataclass(frozen=True)
class Occasion:
    """What happened, beyond the session itself, that a mail tells its reader."""

    kind: MailKind
    by: User | None = None
    reason: str | None = None
    previous_starts_at: datetime | None = None
    previous_ends_at: datetime | None = None
    offset_minutes: int = 0
    # The session had been confirmed before this change: the mentee moved it, so it waits for the
    # mentor again (a reschedule), or the mentor said no to that new time (a decline).
    was_confirmed: bool = False
    # A no-show: who of the two did not come.
    absent: tuple[User, ...] = ()


def booked(session: MentoringSession, now: datetime) -> None:
    """A new booking: confirmations if the mentor auto-confirms, else a request to the mentor and,
    to the mentee, word that it was sent."""
    if session.status is SessionStatus.CONFIRMED:
        confirmed(session, now)
    else:
        _queue(session, Occasion(MailKind.BOOKING_REQUEST, by=session.mentee), [session.mentor], now)
        _queue(session, Occasion(MailKind.REQUEST_SENT, by=session.mentee), [session.mentee], now)


def confirmed(session: MentoringSession, now: datetime) -> None:
    _announce(session, Occasion(MailKind.CONFIRMATION, by=session.mentor), now)


def rescheduled(
    session: MentoringSession,
    *,
    by: User,
    previous_starts_at: datetime,
    previous_ends_at: datetime,
    was_confirmed: bool,
    now: datetime,
) -> None:
    """The new time to both people, saying who moved it. Still confirmed (the mentor moved it): new links
    and an updated invite. Pending: no link, and the mentor is asked to confirm or decline; when it had
    been confirmed (`was_confirmed`), the mail takes it out of both calendars until then."""
    occasion = Occasion(
        MailKind.RESCHEDULE,
        by=by,
        previous_starts_at=previous_starts_at,
        previous_ends_at=previous_ends_at,
        was_confirmed=was_confirmed,
    )
    if session.status is SessionStatus.CONFIRMED:
        _announce(session, occasion, now)
    else:
        _queue(session, occasion, [session.mentor, session.mentee], now)


def new_link(session: MentoringSession, now: datetime) -> None:
    """The mailed links died with the old meeting: send both people their new ones."""
    if session.status is SessionStatus.CONFIRMED:
        _announce(session, Occasion(MailKind.NEW_LINK), now)


def cancelled(session: MentoringSession, *, by: User | None, now: datetime) -> None:
    """Both people; `by` None names nobody as the canceller (an admin suspending the mentor), and an
    admin is named as meetapp support."""
    occasion = Occasion(MailKind.CANCELLATION, by=by, reason=session.cancel_reason)
    _queue(session, occasion, [session.mentor, session.mentee], now)


def declined(session: MentoringSession, *, was_confirmed: bool, now: datetime) -> None:
    """The mentee only: the mentor said no to their request, or (`was_confirmed`) to the new time they
    asked for, which ended a session that had been confirmed."""
    occasion = Occasion(MailKind.DECLINED, by=session.mentor, reason=session.cancel_reason, was_confirmed=was_confirmed)
    _queue(session, occasion, [session.mentee], now)


def reminder(session: MentoringSession, offset_minutes: int, now: datetime) -> int:
    """Queue the reminder at this offset for both people; returns how many were new."""
    occasion = Occasion(MailKind.REMINDER, offset_minutes=offset_minutes)
    return _queue(session, occasion, [session.mentor, session.mentee], now)


def no_show(session: MentoringSession, absent: list[User], present: list[User], now: datetime) -> int:
    """A finalised no-show: the person who came is told, and so is every admin who asked to be
    (`User.mail_no_shows`). No join link, no calendar change."""
    admins = db.session.scalars(sa.select(User).where(User.role == Role.ADMIN, User.mail_no_shows.is_(True))).all()
    present_ids = {person.id for person in present}
    recipients = [*present, *(admin for admin in admins if admin.id not in present_ids)]
    if not recipients:
        return 0
    return _queue(session, Occasion(MailKind.NO_SHOW, absent=tuple(absent)), recipients, now)


def account_mail(kind: MailKind, recipient: User, now: datetime, **context) -> None:
    """Queue a mail about `recipient`'s account (a reset link, a confirmation link, a lockout, …),
    rendered from mail/<kind>.txt and .html with `context`, in the caller's transaction."""
    if kind not in ACCOUNT_MAILS:
        raise ValueError(f"{kind} is a mail about a session")
    context = {
        "recipient": recipient,
        "kind": kind.value,
        "settings_url": public_url("settings.index"),
        "login_url": public_url("auth.login"),
        **context,
    }
    text_template = _environment().get_template(f"mail/{kind.value}.txt")
    subject = " ".join("".join(text_template.blocks["subject"](text_template.new_context(context))).split())
    context["subject"] = subject[:SUBJECT_LENGTH]
    db.session.execute(
        sa.insert(OutboxMail).values(
            session_id=None,
            kind=kind,
            recipient_id=recipient.id,
            sequence=0,
            offset_minutes=0,
            to_name=recipient.name,
            to_address=recipient.email,
            subject=context["subject"],
            text_body=text_template.render(context),
            html_body=_environment().get_template(f"mail/{kind.value}.html").render(context),
            # Each account mail is its own: a second reset link is a second mail.
            message_id=f"<{kind.value}.{uuid.uuid4().hex}@{public_host()}>",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


def _announce(session: MentoringSession, occasion: Occasion, now: datetime) -> None:
    session.announced_at = now
    _queue(session, occasion, [session.mentor, session.mentee], now)


def _queue(session: MentoringSession, occasion: Occasion, recipients: list[User], now: datetime) -> int:
    rows = [_compose(session, occasion, recipient, now) for recipient in recipients]
    return _insert_new(rows)


def _insert_new(rows: list[dict]) -> int:
    """INSERT … ON CONFLICT DO NOTHING: a mail already queued under the same key stays as it is."""
    statement = insert_or_skip(OutboxMail.__table__).values(rows).on_conflict_do_nothing().returning(OutboxMail.id)
    return len(db.session.execute(statement).all())


def message_id(session_id: str, kind: MailKind, recipient_id: int, sequence: int, offset_minutes: int) -> str:
    """Deterministic, so a retried mail keeps its Message-ID and receivers can drop a duplicate."""
    return f"<{kind.value}.{sequence}.{offset_minutes}.{session_id}.{recipient_id}@{public_host()}>"


def _compose(session: MentoringSession, occasion: Occasion, recipient: User, now: datetime) -> dict:
    kind = occasion.kind
    confirmed = session.status is SessionStatus.CONFIRMED
    # A join link only where it can work: a confirmed session that is not ending.
    join_url = join_link(session, recipient, now) if confirmed and kind not in NO_LINK else None
    context = _context(session, occasion, recipient, join_url, now)
    text_template = _environment().get_template(f"mail/{kind.value}.txt")
    subject = " ".join("".join(text_template.blocks["subject"](text_template.new_context(context))).split())
    context["subject"] = subject[:SUBJECT_LENGTH]
    invite = _invite(session, occasion, recipient, join_url or public_url("sessions.detail", session_id=session.id), now)
    return {
        "session_id": session.id,
        "kind": kind,
        "recipient_id": recipient.id,
        "sequence": session.link_version,
        "offset_minutes": occasion.offset_minutes,
        "to_name": recipient.name,
        "to_address": recipient.email,
        "subject": context["subject"],
        "text_body": text_template.render(context),
        "html_body": _environment().get_template(f"mail/{kind.value}.html").render(context),
        "ics": invite_ics(invite).decode() if invite else None,
        "ics_method": invite.method if invite else None,
        "message_id": message_id(session.id, kind, recipient.id, session.link_version, occasion.offset_minutes),
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def _context(session: MentoringSession, occasion: Occasion, recipient: User, join_url: str | None, now: datetime) -> dict:
    tz = recipient.timezone
    opens_at = window_of(session).opens_at
    early = minutes_between(opens_at, session.starts_at)
    starts, ends, opens = to_local(session.starts_at, tz), to_local(session.ends_at, tz), to_local(opens_at, tz)
    previous = to_local(occasion.previous_starts_at, tz) if occasion.previous_starts_at else None
    by_role = occasion.by.role if occasion.by is not None else None
    return {
        "recipient": recipient,
        "other": session.other_participant(recipient.id),
        "is_mentor": recipient.id == session.mentor_id,
        "session_type": session.session_type.name,
        "duration_minutes": session.duration_minutes,
        "provider": PROVIDER_LABELS.get(session.video_provider, session.video_provider),
        "timezone": tz,
        "when": f"{starts:%A %d %B %Y}, {starts:%H:%M}–{ends:%H:%M} {starts:%Z}",
        "short_when": f"{starts:%a %d %b}, {starts:%H:%M} {starts:%Z}",
        "opens_at": f"{opens:%H:%M}" if opens.date() == starts.date() else f"{opens:%a %d %b}, {opens:%H:%M}",
        "early_minutes": early,
        "previous_when": f"{previous:%A %d %B %Y}, {previous:%H:%M} {previous:%Z}" if previous else None,
        "join_url": join_url,
        "session_url": public_url("sessions.detail", session_id=session.id),
        "settings_url": public_url("settings.index"),
        "book_url": public_url("sessions.new"),
        "by": occasion.by,
        "by_recipient": occasion.by is not None and occasion.by.id == recipient.id,
        "by_mentor": occasion.by is not None and occasion.by.id == session.mentor_id,
        # An admin's cancellation is told as meetapp support's (domain.scheduling.ended_by_support).
        "by_support": ended_by_support(by_role, recipient.role),
        # A moved session that waits for the mentor to confirm (or decline) its new time.
        "needs_confirmation": session.status is SessionStatus.PENDING,
        "was_confirmed": occasion.was_confirmed,
        "reason": occasion.reason,
        "starts_in": duration_words(max(1, math.ceil((session.starts_at - now) / timedelta(minutes=1)))),
        "kind": occasion.kind.value,
        "absent": occasion.absent,
        "is_admin": recipient.role is Role.ADMIN,
    }


def _invite(session: MentoringSession, occasion: Occasion, recipient: User, link: str, now: datetime) -> Invite | None:
    """The calendar entry for a confirmed session, or its removal: when a session that is in the
    calendars ends, or when the mentee moves it and it waits for the mentor's confirmation again.

    A session is in both calendars exactly while it is confirmed (`confirmed_at`): a pending one never
    carries an invite, and moving it back to pending takes it out, so a new time waits in nobody's calendar."""
    starts_at, ends_at = session.starts_at, session.ends_at
    withdrawn = occasion.kind is MailKind.RESCHEDULE and occasion.was_confirmed
    if occasion.kind in ENDING_MAILS:
        if session.confirmed_at is None:
            return None
    elif withdrawn:
        # The entry being removed is the one at the old time.
        starts_at, ends_at = occasion.previous_starts_at, occasion.previous_ends_at
    elif session.status is not SessionStatus.CONFIRMED or occasion.kind in (MailKind.REMINDER, MailKind.NO_SHOW):
        return None
    cancelled = occasion.kind in ENDING_MAILS or withdrawn
    other = session.other_participant(recipient.id)
    tz = recipient.timezone
    opens = to_local(window_of(session).opens_at, tz)
    if withdrawn:
        confirmer = "you" if recipient.id == session.mentor_id else session.mentor.name
        description = (
            f"Moved: {session.session_type.name} with {other.name} waits for {confirmer} to confirm"
            " a new time. A new invite follows once it is confirmed."
        )
    elif cancelled:
        description = f"Cancelled. {session.session_type.name} with {other.name}."
    else:
        description = (
            f"{session.session_type.name} with {other.name}.\n"
            f"Join with your own link (it works from {opens:%H:%M} {opens:%Z}): {link}"
        )
    sender_name, sender_address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    return Invite(
        uid=event_uid(session.id, public_host()),
        # The link version goes up with every change, so each update outranks the last.
        sequence=session.link_version,
        cancelled=cancelled,
        starts_at=starts_at,
        ends_at=ends_at,
        summary=f"{session.session_type.name} with {other.name}",
        description=description,
        join_url=link,
        organizer=CalendarPerson(sender_name or "meetapp", sender_address),
        attendees=(
            (CalendarPerson(session.mentor.name, session.mentor.email), "CHAIR"),
            (CalendarPerson(session.mentee.name, session.mentee.email), "REQ-PARTICIPANT"),
        ),
        stamp=now,
    )


def _environment() -> Environment:
    """The app's Jinja environment, with block lines trimmed so plain-text mails read cleanly."""
    environment = current_app.extensions.get("meetapp.mail_jinja")
    if environment is None:
        environment = current_app.jinja_env.overlay(trim_blocks=True, lstrip_blocks=True)
        current_app.extensions["meetapp.mail_jinja"] = environment
    return environment
