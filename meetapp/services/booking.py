"""Booking and the session lifecycle against the database: the one place a session changes.

HTML views, the JSON API and the CLI all call these functions; they apply the
rules from `meetapp.domain.scheduling` and commit, or roll back and raise.
"""
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import orm
from sqlalchemy.orm.exc import StaleDataError

from meetapp.domain.accounts import MentorApproval, pending_cap_reached
from meetapp.domain.errors import (
    AddressNotConfirmed,
    ChangedMeanwhile,
    InvalidRequest,
    MenteeBusy,
    MentorBusy,
    NotFound,
    NotMentee,
    OwnMeetingLink,
    TooManyPending,
)
from meetapp.domain.permissions import may_view_session
from meetapp.domain.scheduling import (
    DEFAULT_SESSION_TYPES,
    ENDED_STATUSES,
    Action,
    BookingCheck,
    SessionStatus,
    awaits_new_time,
    check_cancel_reason,
    check_duration,
    check_may_act,
    check_participant,
    check_start,
    check_transition,
    move_takes_back_confirmation,
    on_the_second,
    slot_end,
)
from meetapp.domain.video import KIND_MANUAL
from meetapp.extensions import db
from meetapp.models import MentoringSession, MentorProfile, SessionType, User
from meetapp.outbox import notify
from meetapp.services import admin_log, meetings, mentor_hours, mentors

DEFAULT_SESSION_TYPE = "Standard"


def ensure_default_session_types() -> None:
    """Create the built-in session types that are missing; existing ones are left as configured."""
    existing = set(db.session.scalars(sa.select(SessionType.name)))
    for name, (duration, early, late) in DEFAULT_SESSION_TYPES.items():
        if name not in existing:
            db.session.add(
                SessionType(name=name, default_duration_minutes=duration, early_access_minutes=early, late_access_minutes=late)
            )
    db.session.commit()


def all_session_types() -> list[SessionType]:
    return list(db.session.scalars(sa.select(SessionType).order_by(SessionType.id)))


def all_mentors() -> list[User]:
    """The mentors a mentee may book, by name."""
    return list(db.session.scalars(sa.select(User).where(mentors.BOOKABLE).order_by(User.name, User.id)))


def session_type_named(name: str) -> SessionType | None:
    return db.session.scalar(sa.select(SessionType).where(sa.func.lower(SessionType.name) == name.strip().lower()))


# Built once, as every join and status poll runs it: 45 µs less than `db.session.get`, which builds
# its SELECT anew each time (measured in-process on SQLite, 212 against 258 µs).
_SESSION_BY_ID = sa.select(MentoringSession).where(MentoringSession.id == sa.bindparam("session_id"))


def find_session(session_id: str) -> MentoringSession | None:
    """The session with both people and its type (one query), or None; no permission check."""
    # PostgreSQL refuses a NUL in a string outright; no id has one, so it names no session.
    if not 0 < len(session_id) <= 32 or "\x00" in session_id:
        return None
    return db.session.scalar(_SESSION_BY_ID, {"session_id": session_id})


def session_for(user: User, session_id: str, *, admins_too: bool = False) -> MentoringSession:
    """The session if `user` takes part in it (or, with `admins_too`, may look at it as an admin);
    NotFound or NotParticipant otherwise."""
    session = find_session(session_id)
    if session is None:
        raise NotFound("There is no session with this id.")
    if admins_too and may_view_session(user.id, user.role, session.mentor_id, session.mentee_id):
        return session
    check_participant(user.id, session.mentor_id, session.mentee_id)
    return session


def sessions_of(user: User) -> list[MentoringSession]:
    return list(
        db.session.scalars(
            sa.select(MentoringSession)
            .where(sa.or_(MentoringSession.mentor_id == user.id, MentoringSession.mentee_id == user.id))
            .order_by(MentoringSession.starts_at, MentoringSession.id)
        ).unique()
    )


PAST_SESSIONS_SHOWN = 20


# What a dashboard row shows of a session, its two people and its type, and nothing more: the
# rest of a session's thirty columns cost the ORM a millisecond for fifty rows (measured in-process
# on SQLite: 0.8 against 1.9 ms). A row that read another column would load it with a query of its
# own; tests/web pin the dashboard's statement count.
LISTED = (
    orm.load_only(
        MentoringSession.id,
        MentoringSession.status,
        MentoringSession.starts_at,
        MentoringSession.ends_at,
        MentoringSession.link_version,
        MentoringSession.mentor_id,
        MentoringSession.mentee_id,
        MentoringSession.session_type_id,
    ),
    orm.joinedload(MentoringSession.mentor).load_only(User.id, User.name),
    orm.joinedload(MentoringSession.mentee).load_only(User.id, User.name),
    orm.joinedload(MentoringSession.session_type).load_only(
        SessionType.name, SessionType.early_access_minutes, SessionType.late_access_minutes
    ),
)
_THEIRS = (
    sa.select(MentoringSession)
    .options(*LISTED)
    .where(sa.or_(MentoringSession.mentor_id == sa.bindparam("user_id"), MentoringSession.mentee_id == sa.bindparam("user_id")))
)
_UPCOMING = _THEIRS.where(MentoringSession.ends_at > sa.bindparam("now")).order_by(
    MentoringSession.starts_at, MentoringSession.id
)
_PAST = (
    _THEIRS.where(MentoringSession.ends_at <= sa.bindparam("now"))
    .order_by(MentoringSession.starts_at.desc(), MentoringSession.id)
    .limit(PAST_SESSIONS_SHOWN)
)


def upcoming_and_past(user: User, now: datetime) -> tuple[list[MentoringSession], list[MentoringSession]]:
    """The person's sessions not yet over (soonest first), and the latest finished ones (latest first),
    loaded with what the dashboard shows of them."""
    params = {"user_id": user.id, "now": now}
    return list(db.session.scalars(_UPCOMING, params)), list(db.session.scalars(_PAST, params))


def count_awaiting(mentor: User, now: datetime) -> int:
    """How many of the mentor's requests, not over yet, wait for them to confirm or decline."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(MentoringSession)
        .where(
            MentoringSession.mentor_id == mentor.id,
            MentoringSession.status == SessionStatus.PENDING,
            MentoringSession.ends_at > now,
        )
    )


def book_session(
    *,
    mentee: User,
    mentor_id: object,
    starts_at: datetime | None,
    duration_minutes: object,
    session_type_name: object = DEFAULT_SESSION_TYPE,
    now: datetime,
) -> MentoringSession:
    """Book a session for `mentee`; pending, or confirmed at once if the mentor auto-confirms.

    `starts_at` is None when the caller could not parse it (and has reported that).
    """
    if not mentee.is_mentee:
        raise NotMentee("Only mentees can book sessions.")
    if not mentee.email_confirmed:
        raise AddressNotConfirmed(
            "Confirm your email address first: follow the link we mailed you, or ask for a new one on your dashboard."
        )
    mentor, session_type, check = _check_booking(
        mentee=mentee,
        mentor_id=mentor_id,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        session_type_name=session_type_name,
        now=now,
    )
    check.raise_if_any()

    starts_at = on_the_second(starts_at)
    ends_at = slot_end(starts_at, duration_minutes)
    try:
        profile = _claim_slot(
            mentor_id=mentor.id, mentee_id=mentee.id, starts_at=starts_at, ends_at=ends_at, keep_to_hours_at=now
        )
        if profile.approval is not MentorApproval.APPROVED:
            raise InvalidRequest({"mentor": "There is no mentor with this id."})
        auto_confirm = profile.auto_confirm
        if not auto_confirm:
            # A confirmed booking waits for nobody, so only requests count against the cap.
            _refuse_past_pending_cap(mentee_id=mentee.id, mentor_id=mentor.id, now=now)
        session = MentoringSession(
            mentor=mentor,
            mentee=mentee,
            session_type=session_type,
            starts_at=starts_at,
            ends_at=ends_at,
            status=SessionStatus.CONFIRMED if auto_confirm else SessionStatus.PENDING,
            confirmed_at=now if auto_confirm else None,
            created_at=now,
            updated_at=now,
        )
        # The mentor's provider at this moment; confirming or rescheduling keeps it.
        meetings.give_meeting(session, profile.video_provider if profile else "jitsi", profile, now)
        db.session.add(session)
        db.session.flush()
        notify.booked(session, now)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    _make_provider_meeting(session, now)
    return session


def booking_errors(
    *, mentee: User, mentor_id: object, starts_at: datetime | None, duration_minutes: object, session_type_name: object, now: datetime
) -> dict[str, str]:
    """What the booking rules say about these fields, by field name, without booking anything: the
    booking page asks when its form could not read the start or the duration, to show every problem at once."""
    return _check_booking(
        mentee=mentee,
        mentor_id=mentor_id,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        session_type_name=session_type_name,
        now=now,
    )[2].errors


def _check_booking(
    *, mentee: User, mentor_id: object, starts_at: datetime | None, duration_minutes: object, session_type_name: object, now: datetime
) -> tuple[User | None, SessionType | None, BookingCheck]:
    """The mentor and the session type the fields name, and every field error, collected (not raised)."""
    check = BookingCheck()
    mentor = None
    if isinstance(mentor_id, bool) or not isinstance(mentor_id, int):
        check.add("mentor", "Choose a mentor.")
    elif mentor_id == mentee.id:
        check.add("mentor", "You cannot book a session with yourself.")
    else:
        mentor = db.session.scalar(sa.select(User).where(User.id == mentor_id, mentors.BOOKABLE))
        if mentor is None:
            # A mentor still waiting for approval, or suspended, is as unknown to mentees as nobody.
            check.add("mentor", "There is no mentor with this id.")
    session_type = None
    if not isinstance(session_type_name, str) or len(session_type_name) > 80:
        check.add("session_type", "Give the session type by its name, e.g. Standard.")
    else:
        session_type = session_type_named(session_type_name)
        if session_type is None:
            check.add("session_type", f"There is no session type called {session_type_name[:80]!r}.")
        elif mentor is not None and not mentors.offers(mentor.mentor_profile, session_type):
            check.add("session_type", f"{mentor.name} does not offer {session_type.name} sessions.")
    if starts_at is None:
        check.add("starts_at", "Give a start time.")
    check_start(starts_at, now, check)
    check_duration(duration_minutes, check)
    return mentor, session_type, check


def confirm_session(session: MentoringSession, *, user: User, now: datetime) -> MentoringSession:
    """The mentor confirms a request, or the new time the mentee moved a confirmed session to."""
    check_may_act(Action.CONFIRM, user.id, session.mentor_id, session.mentee_id)
    check_transition(Action.CONFIRM, session.status, session.ends_at, now)
    if awaits_new_time(session.status, session.announced_at):
        # The move took the session out of both calendars under the current link version (the invite's
        # SEQUENCE); the new invite must outrank that removal, and so gets a version of its own.
        session.link_version += 1
    session.status = SessionStatus.CONFIRMED
    session.confirmed_at = now
    session.updated_at = now
    _commit_change(lambda: notify.confirmed(session, now))
    return session


def cancel_session(session: MentoringSession, *, user: User, reason: object, now: datetime) -> MentoringSession:
    """Either person calls the session off, or an admin does, who must give a reason (both people read
    it) and whose action is logged with the change."""
    check_may_act(Action.CANCEL, user.id, session.mentor_id, session.mentee_id, is_admin=user.is_admin)
    check = BookingCheck()
    check_cancel_reason(reason, check, required=user.is_admin)
    check.raise_if_any()
    mark_cancelled(session, by=user, reason=_reason_or_none(reason), now=now)
    if user.is_admin:
        admin_log.record(user, "session.cancel", f"session:{session.id}", now, detail=session.cancel_reason)
    _commit_change(lambda: notify.cancelled(session, by=user, now=now))
    meetings.meeting_cancelled(session)
    return session


def decline_session(session: MentoringSession, *, user: User, reason: object, now: datetime) -> MentoringSession:
    """The mentor says no to a pending request: a new booking, or the new time the mentee moved a
    confirmed session to (the old time does not come back). It ends the session as a cancellation
    does, and the mentee is mailed, with the reason if there is one."""
    check_may_act(Action.DECLINE, user.id, session.mentor_id, session.mentee_id)
    check = BookingCheck()
    check_cancel_reason(reason, check)
    check.raise_if_any()
    check_transition(Action.DECLINE, session.status, session.ends_at, now)
    was_confirmed = awaits_new_time(session.status, session.announced_at)
    _end(session, SessionStatus.DECLINED, by=user, reason=_reason_or_none(reason), now=now)
    _commit_change(lambda: notify.declined(session, was_confirmed=was_confirmed, now=now))
    meetings.meeting_cancelled(session)
    return session


def _reason_or_none(reason: object) -> str | None:
    """A checked reason as stored: trimmed, and None when blank."""
    return (reason.strip() or None) if isinstance(reason, str) else None


def mark_cancelled(session: MentoringSession, *, by: User, reason: str | None, now: datetime) -> None:
    """Cancel the session in the caller's transaction, without mail or commit: `cancel_session` adds
    both for one session; suspending a mentor cancels all of theirs and commits them with its own mails.
    After the commit, the caller removes the provider's meeting (`meetings.meeting_cancelled`)."""
    check_transition(Action.CANCEL, session.status, session.ends_at, now)
    _end(session, SessionStatus.CANCELLED, by=by, reason=reason, now=now)


def _end(session: MentoringSession, status: SessionStatus, *, by: User, reason: str | None, now: datetime) -> None:
    """End the session early (cancelled or declined): who, why and when are kept in the same columns."""
    session.status = status
    session.cancel_reason = reason
    session.cancelled_by_id = by.id
    session.cancelled_at = now
    # Revokes every earlier join link; those links then say that the session ended (410).
    session.link_version += 1
    # A Zoom or Google meeting still to be made is not needed any more.
    session.meeting_retry_at = None
    session.updated_at = now


def reschedule_session(
    session: MentoringSession,
    *,
    user: User,
    starts_at: datetime | None,
    duration_minutes: object = None,
    now: datetime,
) -> MentoringSession:
    """Move a session; every earlier join link stops working. Moved by the mentor, it keeps its status.
    Moved by the mentee, a confirmed session waits for the mentor again, who confirms the new time or
    declines it; it is no new request, so the cap on pending requests does not apply."""
    check_may_act(Action.RESCHEDULE, user.id, session.mentor_id, session.mentee_id)
    check_transition(Action.RESCHEDULE, session.status, session.ends_at, now)
    if duration_minutes is None:
        duration_minutes = session.duration_minutes
    check = BookingCheck()
    if starts_at is None:
        check.add("starts_at", "Give the new start time.")
    check_start(starts_at, now, check)
    check_duration(duration_minutes, check)
    check.raise_if_any()

    starts_at = on_the_second(starts_at)
    ends_at = slot_end(starts_at, duration_minutes)
    previous_starts_at, previous_ends_at = session.starts_at, session.ends_at
    takes_back_confirmation = move_takes_back_confirmation(user.id, session.mentee_id, session.status)
    try:
        _claim_slot(
            mentor_id=session.mentor_id,
            mentee_id=session.mentee_id,
            starts_at=starts_at,
            ends_at=ends_at,
            ignore=session.id,
            # A mentor may move their own session outside their hours; a mentee keeps to them.
            keep_to_hours_at=now if user.id == session.mentee_id else None,
        )
        session.starts_at = starts_at
        session.ends_at = ends_at
        if takes_back_confirmation:
            session.status = SessionStatus.PENDING
            session.confirmed_at = None
        keeps_meeting = session.meeting_kind in meetings.EXTERNAL
        if keeps_meeting:
            # The provider's meeting moves with the session; the links still change.
            session.link_version += 1
        else:
            meetings.renew_meeting(session, session.mentor.mentor_profile, now)
        session.updated_at = now
    except BaseException:
        db.session.rollback()
        raise
    _commit_change(
        lambda: notify.rescheduled(
            session,
            by=user,
            previous_starts_at=previous_starts_at,
            previous_ends_at=previous_ends_at,
            was_confirmed=takes_back_confirmation,
            now=now,
        )
    )
    if keeps_meeting:
        meetings.meeting_moved(session)
    _make_provider_meeting(session, now)
    return session


OWN_LINK_STAYS = (
    "This session meets at the mentor's own meeting link, which meetapp cannot replace: a new link from"
    " meetapp would still lead to the same address. To shut out a link that leaked, make a new one with the"
    " meeting provider and save it in the video settings, applied to upcoming sessions."
)


def meets_at_own_link(session: MentoringSession) -> bool:
    """Whether the session meets at the mentor's own meeting link: an address meetapp did not make, is
    the same for all the mentor's sessions there, and only the mentor can change (in the video settings)."""
    return session.meeting_kind == KIND_MANUAL


def new_meeting_link(session: MentoringSession, *, user: User, now: datetime) -> MentoringSession:
    """A fresh room (or provider meeting) for the session; every earlier join link dies. Refused for a
    session at the mentor's own link, where it would only pretend to shut out whoever has the address.
    The mentor or an admin, whose action is logged with the change."""
    check_may_act(Action.NEW_LINK, user.id, session.mentor_id, session.mentee_id, is_admin=user.is_admin)
    check_transition(Action.NEW_LINK, session.status, session.ends_at, now)
    if meets_at_own_link(session):
        raise OwnMeetingLink(OWN_LINK_STAYS)
    meetings.renew_meeting(session, session.mentor.mentor_profile, now)
    session.updated_at = now
    if user.is_admin:
        admin_log.record(user, "session.new_link", f"session:{session.id}", now)
    _commit_change(lambda: notify.new_link(session, now))
    _make_provider_meeting(session, now)
    return session


def upcoming_sessions_of_mentor(mentor: User, now: datetime) -> list[MentoringSession]:
    return list(
        db.session.scalars(
            sa.select(MentoringSession).where(
                MentoringSession.mentor_id == mentor.id,
                MentoringSession.status.not_in(ENDED_STATUSES),
                MentoringSession.ends_at > now,
            )
        ).unique()
    )


def _make_provider_meeting(session: MentoringSession, now: datetime) -> None:
    """Once the change is committed, make the Zoom or Google meeting it asks for (the worker retries failures)."""
    if session.meeting_retry_at is not None:
        meetings.make_provider_meeting(session.id, now)


def _claim_slot(
    *,
    mentor_id: int,
    mentee_id: int,
    starts_at: datetime,
    ends_at: datetime,
    ignore: str | None = None,
    keep_to_hours_at: datetime | None = None,
) -> MentorProfile:
    """Hold the mentor's schedule for this transaction, then refuse the slot if anyone is busy in it;
    with `keep_to_hours_at` (now), also if it is outside the mentor's hours, notice or horizon, or
    inside their buffer around another session. Returns the mentor's profile as read under the lock."""
    _lock_schedule(mentor_id)
    # Read again under the lock: an admin's suspension and a change of hours commit before this
    # booking reads, or wait for it; a booking never goes past either.
    profile = db.session.scalar(
        sa.select(MentorProfile).where(MentorProfile.user_id == mentor_id).execution_options(populate_existing=True)
    )
    buffer = timedelta(0)
    if keep_to_hours_at is not None:
        mentor_hours.refuse_outside(profile, profile.user.timezone, starts_at, ends_at, keep_to_hours_at)
        buffer = timedelta(minutes=profile.buffer_minutes)
    _refuse_clashes(
        mentor_id=mentor_id, mentee_id=mentee_id, starts_at=starts_at, ends_at=ends_at, ignore=ignore, buffer=buffer
    )
    return profile


def _lock_schedule(mentor_id: int) -> None:
    """Serialise bookings per mentor until this transaction ends, on SQLite and PostgreSQL alike."""
    db.session.execute(
        sa.update(MentorProfile)
        .where(MentorProfile.user_id == mentor_id)
        .values(schedule_version=MentorProfile.schedule_version + 1)
        .execution_options(synchronize_session=False)
    )


def _refuse_past_pending_cap(*, mentee_id: int, mentor_id: int, now: datetime) -> None:
    """TooManyPending if the mentee has as many unanswered requests as they may. Counted under the
    mentor's lock, so two racing requests to one mentor cannot both slip under the cap per mentor;
    requests to different mentors at the same instant can pass the cap in all by one each (the
    booking rate limit bounds how many)."""
    pending = db.session.execute(
        sa.select(MentoringSession.mentor_id, sa.func.count())
        .where(
            MentoringSession.mentee_id == mentee_id,
            MentoringSession.status == SessionStatus.PENDING,
            MentoringSession.ends_at > now,
        )
        .group_by(MentoringSession.mentor_id)
    ).all()
    config = current_app.config
    refusal = pending_cap_reached(
        pending_in_all=sum(count for _, count in pending),
        pending_with_mentor=sum(count for mentor, count in pending if mentor == mentor_id),
        cap_in_all=config["MAX_PENDING_BOOKINGS"],
        cap_per_mentor=config["MAX_PENDING_PER_MENTOR"],
    )
    if refusal:
        raise TooManyPending(refusal)


def _refuse_clashes(
    *,
    mentor_id: int,
    mentee_id: int,
    starts_at: datetime,
    ends_at: datetime,
    ignore: str | None = None,
    buffer: timedelta = timedelta(0),
) -> None:
    """Conflict if the mentor, or the mentee, already has a live session overlapping [starts_at, ends_at)
    (for the mentor, widened by `buffer` either side)."""

    def clash_with(column, margin: timedelta = timedelta(0)) -> bool:
        query = sa.select(MentoringSession.id).where(
            column,
            MentoringSession.status.not_in(ENDED_STATUSES),
            MentoringSession.starts_at < ends_at + margin,
            MentoringSession.ends_at > starts_at - margin,
        )
        if ignore is not None:
            query = query.where(MentoringSession.id != ignore)
        return db.session.scalar(query.limit(1)) is not None

    if clash_with(MentoringSession.mentor_id == mentor_id):
        raise MentorBusy("The mentor already has a session at that time. Pick another time.")
    if buffer and clash_with(MentoringSession.mentor_id == mentor_id, buffer):
        minutes = int(buffer.total_seconds() // 60)
        raise MentorBusy(f"The mentor keeps {minutes} minutes free between sessions. Pick another time.")
    if clash_with(MentoringSession.mentee_id == mentee_id):
        raise MenteeBusy("The mentee already has another session at that time.")


def _commit_change(queue_mail: Callable[[], None]) -> None:
    """Write the change, then queue its mail, in one transaction: both are kept or neither."""
    try:
        db.session.flush()
        queue_mail()
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise ChangedMeanwhile("Someone changed this session at the same moment. Reload and try again.") from None
    except BaseException:
        db.session.rollback()
        raise
