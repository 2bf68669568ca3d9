"""What the rules refuse, in the domain's own words.

Nothing here knows HTTP: the JSON API maps these to status codes, error codes and its
field spellings (meetapp/api/errors.py), and the pages to status codes and form fields.
"""


class DomainError(Exception):
    """A refusal, with a sentence for a person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidRequest(DomainError):
    """Input that can never succeed as given; `fields` maps the domain's field names
    (`starts_at`, `mentor`, `manual_url`, …) to messages."""

    def __init__(self, fields: dict[str, str], message: str = "Some fields need attention."):
        super().__init__(message)
        self.fields = fields


class Forbidden(DomainError):
    """The person may not do this."""


class NotParticipant(Forbidden):
    """The session belongs to other people."""


class NotMentor(Forbidden):
    """Only the session's mentor (or a mentor at all) may do this."""


class NotMentee(Forbidden):
    """Only mentees may do this."""


class AddressNotConfirmed(Forbidden):
    """The person has not yet confirmed their email address by the mailed link."""


class NotFound(DomainError):
    """There is no such thing."""


class Conflict(DomainError):
    """Not possible in the present state of things."""


class MentorBusy(Conflict):
    """The mentor has another session at that time."""


class OutsideAvailability(Conflict):
    """The time is outside the mentor's hours, notice or horizon; `fields` names the start."""

    def __init__(self, message: str):
        super().__init__(message)
        self.fields = {"starts_at": message}


class MenteeBusy(Conflict):
    """The mentee has another session at that time."""


class AlreadyConfirmed(Conflict):
    pass


class AlreadyCancelled(Conflict):
    pass


class SessionCancelled(Conflict):
    """The session was cancelled, so it can no longer be changed."""


class SessionOver(Conflict):
    """The session has ended, so it can no longer be changed."""


class ChangedMeanwhile(Conflict):
    """Someone else changed the same thing at the same moment."""


class TooManyPending(Conflict):
    """The mentee already has as many unanswered requests as they may have."""


class OwnMeetingLink(Conflict):
    """The session meets at the mentor's own meeting link, an address only the mentor can change."""
