"""The access window: when a participant may join a session, and how to tell them.

`access_window` is the one rule for when a session can be joined; one call to `evaluate`
answers everything the API, the join proxy, the dashboard fragment and the waiting page
need, for one `now`.
"""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from meetapp.domain.scheduling import SessionStatus


class AccessStatus(StrEnum):
    AVAILABLE = "available"
    TOO_EARLY = "too_early"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    PENDING = "pending"


@dataclass(frozen=True)
class WindowMinutes:
    """How many minutes before the start joining opens, and after the end it closes."""

    early: int
    late: int


@dataclass(frozen=True)
class Window:
    opens_at: datetime
    closes_at: datetime

    def contains(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at


def access_window(
    *, starts_at: datetime, ends_at: datetime, early_minutes: int | None, late_minutes: int | None, defaults: WindowMinutes
) -> Window:
    """The one rule for when a session can be joined: from `early` minutes before its start until
    `late` minutes after its end, each the session type's own minutes or, where the type leaves
    them empty (None), the configured default. Joins, mails, reminders, the dashboard and the
    provider retries all take their window from here."""
    early = early_minutes if early_minutes is not None else defaults.early
    late = late_minutes if late_minutes is not None else defaults.late
    return Window(starts_at - timedelta(minutes=early), ends_at + timedelta(minutes=late))


@dataclass(frozen=True)
class Access:
    status: AccessStatus
    message: str
    window: Window
    seconds_until_available: int
    seconds_until_expiry: int
    # When the status will next change by the clock alone; None when only an event can change it.
    next_change: datetime | None
    # Nothing will change any more: cancelled or declined, or the window has closed.
    final: bool

    @property
    def can_join(self) -> bool:
        return self.status is AccessStatus.AVAILABLE

    @property
    def minutes_until_available(self) -> int:
        return math.ceil(self.seconds_until_available / 60)

    @property
    def minutes_until_expiry(self) -> int:
        return math.ceil(self.seconds_until_expiry / 60)


def evaluate(
    *,
    status: SessionStatus,
    starts_at: datetime,
    ends_at: datetime,
    window: Window,
    now: datetime,
    timezone: str = "UTC",
) -> Access:
    """The access state of a session at `now`, with a message in the viewer's `timezone`.

    Cancellation (or a decline) comes first, then confirmation, then the clock: the same
    order in which the join proxy refuses.
    """
    until_open = max(0, math.ceil((window.opens_at - now).total_seconds()))
    until_close = max(0, math.ceil((window.closes_at - now).total_seconds()))
    closed = now >= window.closes_at
    zone = ZoneInfo(timezone)

    def at(instant: datetime) -> str:
        return _clock_time(instant, now, zone)

    if status is SessionStatus.CANCELLED:
        return Access(AccessStatus.CANCELLED, "This session was cancelled.", window, until_open, until_close, None, True)
    if status is SessionStatus.DECLINED:
        # Refused as a cancellation is (the contract knows no other code), in words of its own.
        return Access(AccessStatus.CANCELLED, "This request was declined.", window, until_open, until_close, None, True)
    if status is SessionStatus.PENDING:
        message = "This session was never confirmed." if closed else "Waiting for the mentor to confirm this session."
        return Access(AccessStatus.PENDING, message, window, until_open, until_close, None, closed)
    if now < window.opens_at:
        message = f"Joining opens {at(window.opens_at)} ({_in(window.opens_at - now)})."
        return Access(AccessStatus.TOO_EARLY, message, window, until_open, until_close, window.opens_at, False)
    if closed:
        message = f"This session has ended; joining closed {at(window.closes_at)}."
        return Access(AccessStatus.EXPIRED, message, window, 0, 0, None, True)
    if now < starts_at:
        message = f"You can join now. Your session starts {_in(starts_at - now)}."
    elif now < ends_at:
        message = "You can join now. Your session is under way."
    else:
        message = f"You can still join until {_clock_time(window.closes_at, now, zone, bare=True)}."
    return Access(AccessStatus.AVAILABLE, message, window, 0, until_close, window.closes_at, False)


def _in(delta: timedelta) -> str:
    """'in 12 minutes', 'in 3 hours' (rounded up, never 'in 0 minutes'), 'in 2 days' (whole days)."""
    minutes = max(1, math.ceil(delta.total_seconds() / 60))
    if minutes < 120:
        return f"in {minutes} minute{'s' if minutes != 1 else ''}"
    if minutes < 48 * 60:
        return f"in {math.ceil(minutes / 60)} hours"
    # Whole days, rounded down like the countdown beside it ("Opens in 3 days").
    return f"in {minutes // (24 * 60)} days"


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _clock_time(instant: datetime, now: datetime, zone: ZoneInfo, bare: bool = False) -> str:
    """'at 14:45' today, 'on Tue 24 Nov at 14:45' on another day, in the viewer's zone.

    Spelled out rather than strftime'd: the same English whatever the process locale.
    """
    local = instant.astimezone(zone)
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if local.date() == now.astimezone(zone).date():
        return clock if bare else f"at {clock}"
    text = f"{_DAYS[local.weekday()]} {local.day:02d} {_MONTHS[local.month - 1]} at {clock}"
    return text if bare else f"on {text}"


class JoinRefusal(StrEnum):
    """Why a join attempt is refused, in the order the join proxy checks."""

    NOT_FOUND = "not_found"
    NOT_PARTICIPANT = "not_participant"
    CANCELLED = "cancelled"
    NOT_CONFIRMED = "not_confirmed"
    TOO_EARLY = "too_early"
    EXPIRED = "expired"


def refuse_join(
    *,
    caller_id: int,
    token_user_id: int | None,
    token_version: int | None,
    mentor_id: int,
    mentee_id: int,
    link_version: int,
    access: Access,
) -> JoinRefusal | None:
    """The reason to refuse this join, or None to let the caller in.

    `token_*` are None when joining through the API by session id. A token from an
    earlier link version is revoked (404) — except that once a session is
    cancelled or declined, every link to it says so (410), since that also bumps the version.
    """
    if token_version is not None and token_version != link_version and access.status is not AccessStatus.CANCELLED:
        return JoinRefusal.NOT_FOUND
    if caller_id not in (mentor_id, mentee_id) or (token_user_id is not None and token_user_id != caller_id):
        return JoinRefusal.NOT_PARTICIPANT
    if access.status is AccessStatus.CANCELLED:
        return JoinRefusal.CANCELLED
    if access.status is AccessStatus.PENDING:
        return JoinRefusal.NOT_CONFIRMED
    if access.status is AccessStatus.TOO_EARLY:
        return JoinRefusal.TOO_EARLY
    if access.status is AccessStatus.EXPIRED:
        return JoinRefusal.EXPIRED
    return None
