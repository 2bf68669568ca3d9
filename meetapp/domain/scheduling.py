"""Booking rules and the session lifecycle: who may do what, and in which state.

Every refusal is one of the domain's errors (meetapp.domain.errors), with a sentence
for a person; the web layers translate it to a status code and an error code.
"""
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from meetapp.domain.errors import (
    AlreadyCancelled,
    AlreadyConfirmed,
    DomainError,
    InvalidRequest,
    NotMentor,
    NotParticipant,
    SessionCancelled,
    SessionOver,
)

MIN_DURATION_MINUTES = 15
MAX_DURATION_MINUTES = 240
MAX_CANCEL_REASON_LENGTH = 500
# Far enough for any real booking, near enough to stop typos like year 20260.
MAX_BOOKING_HORIZON = timedelta(days=730)

# name -> (default duration, early access minutes, late access minutes). Every session is one to one,
# and every one waits for the mentor's confirmation (unless they confirm all at once): nothing here
# promises help in an emergency.
DEFAULT_SESSION_TYPES = {
    "Standard": (60, 15, 30),
    "Quick check-up": (15, 5, 15),
    "Extended session": (90, 15, 30),
    "Follow-up": (30, 10, 15),
}


class Role(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"
    ADMIN = "admin"


class SessionStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    # The mentor said no to the request (or to the mentee's new time); it ends the session like a cancellation.
    DECLINED = "declined"


# A session in one of these states is over before it happened: it holds no slot, and no link opens it.
ENDED_STATUSES = frozenset({SessionStatus.CANCELLED, SessionStatus.DECLINED})


class Action(StrEnum):
    CONFIRM = "confirm"
    # The mentor's no to a pending request: it ends the session, and the mentee is told.
    DECLINE = "decline"
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"
    NEW_LINK = "new_link"


# What an admin may do to anyone's session, through the same services as its people: call it off, or
# shut out a leaked link. Confirming, declining and moving it stay with the mentor and the mentee.
ADMIN_ACTIONS = frozenset({Action.CANCEL, Action.NEW_LINK})


def new_session_id() -> str:
    """An opaque, unguessable session id (96 random bits), never a sequence number."""
    return secrets.token_urlsafe(12)


def on_the_second(starts_at: datetime) -> datetime:
    """The start a session is stored with: a whole second. Pages count down and open Join by the second,
    from window edges written without a fraction; a fraction would open a page's Join before the proxy."""
    return starts_at.replace(microsecond=0)


def slot_end(starts_at: datetime, duration_minutes: int) -> datetime:
    return starts_at + timedelta(minutes=duration_minutes)


@dataclass
class BookingCheck:
    """Collects field errors so a person sees all of them at once."""

    errors: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidRequest(dict(self.errors))


def check_duration(duration_minutes: object, check: BookingCheck, name: str = "duration_minutes") -> None:
    if isinstance(duration_minutes, bool) or not isinstance(duration_minutes, int):
        check.add(name, "Give the duration as a whole number of minutes.")
    elif not MIN_DURATION_MINUTES <= duration_minutes <= MAX_DURATION_MINUTES:
        check.add(name, f"The duration must be between {MIN_DURATION_MINUTES} and {MAX_DURATION_MINUTES} minutes.")


def check_start(starts_at: datetime | None, now: datetime, check: BookingCheck, name: str = "starts_at") -> None:
    if starts_at is None:
        return
    if starts_at <= now:
        check.add(name, "The start is in the past; pick a time that is still ahead.")
    elif starts_at - now > MAX_BOOKING_HORIZON:
        check.add(name, "Sessions can be booked up to two years ahead.")


def check_cancel_reason(reason: object, check: BookingCheck, *, required: bool = False) -> None:
    """The reason for a cancellation or a decline: optional text of bounded length, but an admin who
    calls off other people's session must say why, as both of them read it."""
    if required and (reason is None or (isinstance(reason, str) and not reason.strip())):
        check.add("reason", "Say why the session is cancelled: both people read it.")
        return
    if reason is None:
        return
    if not isinstance(reason, str):
        check.add("reason", "The reason must be text.")
    elif len(reason) > MAX_CANCEL_REASON_LENGTH:
        check.add("reason", f"Keep the reason under {MAX_CANCEL_REASON_LENGTH} characters.")


def check_participant(user_id: int, mentor_id: int, mentee_id: int) -> None:
    if user_id not in (mentor_id, mentee_id):
        raise NotParticipant("This session belongs to other people.")


def check_transition(action: Action, status: SessionStatus, ends_at: datetime, now: datetime) -> None:
    """Refuse an action that does not apply to the session's current state."""
    if status is SessionStatus.CANCELLED:
        if action in (Action.CANCEL, Action.DECLINE):
            raise AlreadyCancelled("This session is already cancelled.")
        raise SessionCancelled("This session was cancelled; book a new one instead.")
    if status is SessionStatus.DECLINED:
        if action in (Action.CANCEL, Action.DECLINE):
            raise AlreadyCancelled("This request was declined already.")
        raise SessionCancelled("This request was declined; book a new time instead.")
    if ends_at <= now:
        raise SessionOver("This session is over and can no longer be changed.")
    if action is Action.CONFIRM and status is SessionStatus.CONFIRMED:
        raise AlreadyConfirmed("This session is already confirmed.")
    if action is Action.DECLINE and status is SessionStatus.CONFIRMED:
        # Declining answers a request; a confirmed session is called off by cancelling it, which tells both.
        raise AlreadyConfirmed("This session is already confirmed, so it cannot be declined: cancel it instead.")


def check_may_act(action: Action, user_id: int, mentor_id: int, mentee_id: int, *, is_admin: bool = False) -> None:
    if is_admin and action in ADMIN_ACTIONS:
        return
    check_participant(user_id, mentor_id, mentee_id)
    if action is Action.CONFIRM and user_id != mentor_id:
        raise NotMentor("Only the mentor can confirm a session.")
    if action is Action.DECLINE and user_id != mentor_id:
        raise NotMentor("Only the mentor can decline a request; to withdraw your own, cancel it.")
    if action is Action.NEW_LINK and user_id != mentor_id:
        raise NotMentor("Only the mentor (or an admin) can make a new meeting link.")


def awaits_confirmation_by(user_id: int, mentor_id: int, status: SessionStatus) -> bool:
    """Whether the session waits for `user_id`, as its mentor, to confirm it."""
    return status is SessionStatus.PENDING and user_id == mentor_id


def move_takes_back_confirmation(user_id: int, mentee_id: int, status: SessionStatus) -> bool:
    """Whether moving the session returns it to pending: the mentee may not move a confirmed time under
    the mentor's feet, so the mentor confirms the new time (or declines it). The mentor's move stands."""
    return user_id == mentee_id and status is SessionStatus.CONFIRMED


def awaits_new_time(status: SessionStatus, announced_at: datetime | None) -> bool:
    """Whether a pending session is a confirmed one that its mentee moved: it was announced to both
    (confirmation mails, calendar invites), and waits again for the mentor, who confirms the new time
    or declines it. A request never confirmed was never announced."""
    return status is SessionStatus.PENDING and announced_at is not None


def ended_by_support(ended_by_role: Role | None, viewer_role: Role) -> bool:
    """Whether the people of a session read that "meetapp support" ended it, rather than a name: an
    admin who cancelled it (or suspended its mentor) is named to other admins only."""
    return ended_by_role is Role.ADMIN and viewer_role is not Role.ADMIN


def allowed_actions(
    user_id: int,
    mentor_id: int,
    mentee_id: int,
    status: SessionStatus,
    ends_at: datetime,
    now: datetime,
    *,
    is_admin: bool = False,
) -> set[Action]:
    """The actions `user_id` may take on the session now, by exactly the rules above."""
    allowed = set()
    for action in Action:
        try:
            check_may_act(action, user_id, mentor_id, mentee_id, is_admin=is_admin)
            check_transition(action, status, ends_at, now)
        except DomainError:
            continue
        allowed.add(action)
    return allowed


def offered_actions(
    user_id: int,
    mentor_id: int,
    mentee_id: int,
    status: SessionStatus,
    ends_at: datetime,
    now: datetime,
    *,
    is_admin: bool = False,
) -> set[Action]:
    """The actions the session page offers: the allowed ones, except that a mentor answers a request with
    Decline, not Cancel. Both end it; a decline tells the mentee it was a no. (The API still takes a
    mentor's cancel of a request.)"""
    actions = allowed_actions(user_id, mentor_id, mentee_id, status, ends_at, now, is_admin=is_admin)
    if Action.DECLINE in actions:
        actions.discard(Action.CANCEL)
    return actions
