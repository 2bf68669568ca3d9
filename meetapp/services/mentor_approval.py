"""Admins vet mentors: approving one lets mentees find and book them; suspending one hides them and
cancels their upcoming sessions, with every mail it sends, in one transaction.
"""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm.exc import StaleDataError

from meetapp.domain.accounts import MentorApproval
from meetapp.domain.errors import ChangedMeanwhile, Conflict, InvalidRequest, NotFound
from meetapp.domain.notifications import MailKind
from meetapp.extensions import db
from meetapp.models import MentorProfile, User
from meetapp.outbox import notify
from meetapp.services import admin_log, booking, meetings
from meetapp.web.urls import public_url

MAX_REASON_LENGTH = 500
# What both people of a cancelled session read as its reason: the admin's own reason is for the mentor only.
CANCEL_REASON = "The mentor is no longer available on meetapp."
# The order of the admin page: who waits for a decision comes first.
REVIEW_ORDER = (MentorApproval.PENDING, MentorApproval.APPROVED, MentorApproval.SUSPENDED)
ALREADY = {
    MentorApproval.APPROVED: "{name} is already approved.",
    MentorApproval.SUSPENDED: "{name} is already suspended.",
}


@dataclass(frozen=True)
class Suspension:
    mentor: User
    cancelled_sessions: int


def mentors_by_approval() -> dict[MentorApproval, list[MentorProfile]]:
    """Every mentor's profile, with the person and the admin of the last decision, grouped by approval
    (pending, approved, suspended) and by name within each group."""
    profiles = db.session.scalars(
        sa.select(MentorProfile)
        .join(MentorProfile.user)
        .options(orm.contains_eager(MentorProfile.user), orm.joinedload(MentorProfile.approval_changed_by))
        .order_by(User.name, User.id)
    )
    groups: dict[MentorApproval, list[MentorProfile]] = {approval: [] for approval in REVIEW_ORDER}
    for profile in profiles:
        groups[profile.approval].append(profile)
    return groups


def find_mentor(mentor_id: int) -> User:
    """The mentor with this id; NotFound for an unknown id and for anyone who is not a mentor."""
    mentor = db.session.get(User, mentor_id)
    if mentor is None or not mentor.is_mentor or mentor.mentor_profile is None:
        raise NotFound("There is no mentor with this id.")
    return mentor


def approve(mentor_id: int, *, admin: User, now: datetime) -> User:
    """Let mentees find and book the mentor (pending or suspended → approved), and mail them so.
    Conflict if they are approved already: nothing changes then."""
    mentor = find_mentor(mentor_id)
    try:
        _decide(mentor, MentorApproval.APPROVED, admin=admin, reason=None, now=now)
        notify.account_mail(
            MailKind.MENTOR_APPROVED,
            mentor,
            now,
            email_confirmed=mentor.email_confirmed,
            dashboard_url=public_url("dashboard.index"),
            video_settings_url=public_url("settings.video"),
        )
        admin_log.record(admin, "mentor.approve", f"user:{mentor.id}", now)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return mentor


def suspend(mentor_id: int, *, admin: User, reason: object, now: datetime) -> Suspension:
    """Hide the mentor from mentees (approved or pending → suspended), cancel every session of theirs
    that has not ended, mail both people of each and the mentor (with `reason`, which only they read).
    All of it commits together or not at all.

    InvalidRequest for a missing or overlong reason, Conflict if they are suspended already."""
    mentor = find_mentor(mentor_id)
    if mentor.mentor_profile.approval is MentorApproval.SUSPENDED:
        raise Conflict(ALREADY[MentorApproval.SUSPENDED].format(name=mentor.name))
    reason = _checked_reason(reason)
    try:
        # First the mentor's row: a booking with this mentor still in flight holds it
        # (booking._lock_schedule), so its session is committed, and cancelled below, before we go on.
        _decide(mentor, MentorApproval.SUSPENDED, admin=admin, reason=reason, now=now)
        sessions = booking.upcoming_sessions_of_mentor(mentor, now)
        for session in sessions:
            booking.mark_cancelled(session, by=admin, reason=CANCEL_REASON, now=now)
        db.session.flush()
        for session in sessions:
            # Nobody is named as cancelling: the mails say what happened, not which admin did it.
            notify.cancelled(session, by=None, now=now)
        notify.account_mail(MailKind.MENTOR_SUSPENDED, mentor, now, reason=reason, cancelled=len(sessions))
        admin_log.record(
            admin, "mentor.suspend", f"user:{mentor.id}", now, detail=f"Sessions cancelled: {len(sessions)}. Reason: {reason}"
        )
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise ChangedMeanwhile(
            f"One of {mentor.name}'s sessions changed at the same moment. Try again."
        ) from None
    except BaseException:
        db.session.rollback()
        raise
    for session in sessions:
        meetings.meeting_cancelled(session)
    return Suspension(mentor, len(sessions))


def _checked_reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidRequest({"reason": "Say why the mentor is suspended: they read it in their mail."})
    reason = reason.strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidRequest({"reason": f"Keep the reason to {MAX_REASON_LENGTH} characters or fewer."})
    return reason


def _decide(mentor: User, approval: MentorApproval, *, admin: User, reason: str | None, now: datetime) -> None:
    """Record the admin's decision, unless the mentor already has that approval (Conflict).

    One conditional UPDATE, so two admins deciding the same at once cannot both go on to mail."""
    changed = db.session.execute(
        sa.update(MentorProfile)
        .where(MentorProfile.user_id == mentor.id, MentorProfile.approval != approval)
        .values(approval=approval, approval_reason=reason, approval_changed_at=now, approval_changed_by_id=admin.id)
    ).rowcount
    if changed != 1:
        raise Conflict(ALREADY[approval].format(name=mentor.name))

