"""Clients for the Zoom and Google Meet HTTP APIs, and what they share: the meeting they make and their errors.

Nothing here imports Flask. Every error message is safe to show a mentor: it never carries a secret, a token or a link.
"""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExternalMeeting:
    """A meeting made through a provider's API.

    `join_url` and `password` stay out of the repr because a repr ends up in logs and the link must not leak.
    `notice` is set when the meeting was made, but not as asked (Google refused the access type), for the mentor.
    """

    provider: str
    external_id: str
    join_url: str = field(repr=False)
    password: str | None = field(default=None, repr=False)
    meeting_code: str | None = None
    notice: str | None = None


class ProviderError(Exception):
    """A provider call that failed. `transient` says whether trying again later may work."""

    transient = False

    def __init__(self, message: str, *, retry_after: float | None = None, provider: str | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.provider = provider


class NotConnected(ProviderError):
    """Credentials missing or refused, delegation not granted, or no such user: an admin has to act."""


class RateLimited(ProviderError):
    """The provider asked us to slow down; `retry_after` (seconds) is its hint, when it gave one."""

    transient = True


class Unavailable(ProviderError):
    """A 5xx, a timeout or a connection failure."""

    transient = True


class Rejected(ProviderError):
    """The provider refused the request itself (a 4xx that is not about credentials)."""


class MeetingGone(ProviderError):
    """The meeting or space the request was about no longer exists."""
