"""The rules of accounts: what a login cookie names, who may be booked, and how many
unanswered requests a mentee may have. Pure Python; `now` is always a parameter.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class MentorApproval(StrEnum):
    """A self-registered mentor waits for an admin; only an approved mentor can be booked."""

    PENDING = "pending"
    APPROVED = "approved"
    SUSPENDED = "suspended"


def may_be_booked(*, approval: MentorApproval | None, email_confirmed: bool) -> bool:
    """A mentor whom mentees may book and find: approved by an admin, with a confirmed address."""
    return approval is MentorApproval.APPROVED and email_confirmed


@dataclass(frozen=True)
class LoginId:
    """What both login cookies carry (Flask-Login's alternative id): the person, their login
    version and when this login began. Bumping the version ends every login at once; the start
    bounds how long one login can be kept alive by its remember cookie."""

    user_id: int
    version: int
    started: int  # Unix seconds

    def __str__(self) -> str:
        return f"{self.user_id}.{self.version}.{self.started}"

    @classmethod
    def parse(cls, text: str) -> "LoginId | None":
        parts = text.split(".")
        if len(parts) != 3 or not all(part.isascii() and part.isdigit() and len(part) <= 12 for part in parts):
            return None
        return cls(*(int(part) for part in parts))


# A clock a little ahead on another app process must not log its people out.
CLOCK_SKEW = timedelta(minutes=5)


def login_still_valid(login: LoginId, *, current_version: int, lifetime: timedelta, now: datetime) -> bool:
    """The login was made under the person's current version, and began less than `lifetime` ago."""
    # In Unix seconds: a start no datetime can hold (year 10000 on) is simply not valid.
    age = now.timestamp() - login.started
    return login.version == current_version and -CLOCK_SKEW.total_seconds() <= age < lifetime.total_seconds()


def pending_cap_reached(*, pending_in_all: int, pending_with_mentor: int, cap_in_all: int, cap_per_mentor: int) -> str | None:
    """Why a mentee may not add another unanswered request, or None when they may."""
    if pending_with_mentor >= cap_per_mentor:
        return (
            f"You already have {pending_with_mentor} requests waiting for this mentor's answer. "
            "Wait for an answer, or cancel one, before asking for another time."
        )
    if pending_in_all >= cap_in_all:
        return (
            f"You already have {pending_in_all} requests waiting for an answer. "
            "Wait for your mentors to answer, or cancel one, before booking another."
        )
    return None
