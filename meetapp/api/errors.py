"""JSON errors for the API: `{"error": code, "message": sentence, "fields"?: {...}}`.

The domain's refusals become a status and a stable error code here, and its field names
the API's spellings (`starts_at` → `startsAt`).
"""
from meetapp.api import bp
from meetapp.domain.errors import (
    AddressNotConfirmed,
    AlreadyCancelled,
    AlreadyConfirmed,
    ChangedMeanwhile,
    Conflict,
    DomainError,
    Forbidden,
    InvalidRequest,
    MenteeBusy,
    MentorBusy,
    NotFound,
    NotMentee,
    NotMentor,
    NotParticipant,
    OutsideAvailability,
    OwnMeetingLink,
    SessionCancelled,
    SessionOver,
    TooManyPending,
)
from meetapp.web.errors import json_error
from meetapp.web.rate_limits import TooManyAttempts

# Most specific first: the first kind an error is decides its answer.
DOMAIN_ERRORS = (
    (InvalidRequest, 400, "validation_error"),
    (NotParticipant, 403, "not_participant"),
    (NotMentor, 403, "not_mentor"),
    (NotMentee, 403, "not_mentee"),
    (AddressNotConfirmed, 403, "email_unconfirmed"),
    (Forbidden, 403, "forbidden"),
    (NotFound, 404, "not_found"),
    (MentorBusy, 409, "mentor_busy"),
    (MenteeBusy, 409, "mentee_busy"),
    (OutsideAvailability, 409, "outside_availability"),
    (AlreadyConfirmed, 409, "already_confirmed"),
    (AlreadyCancelled, 409, "already_cancelled"),
    (SessionCancelled, 409, "cancelled"),
    (SessionOver, 409, "session_over"),
    (ChangedMeanwhile, 409, "changed"),
    (TooManyPending, 409, "too_many_pending"),
    (OwnMeetingLink, 409, "own_meeting_link"),
    (Conflict, 409, "conflict"),
)
# The API's names for the domain's fields; the rest are spelt the same.
API_FIELDS = {
    "mentor": "mentorId",
    "session_type": "sessionType",
    "starts_at": "startsAt",
    "duration_minutes": "durationMinutes",
    "manual_url": "manualMeetingUrl",
    "zoom_user": "zoomUser",
    "google_user": "googleUser",
    "apply_to_upcoming": "applyToUpcoming",
}


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, fields: dict[str, str] | None = None, headers: dict | None = None
    ):
        super().__init__(message)
        self.status, self.code, self.message, self.fields, self.headers = status, code, message, fields, headers


def api_fields(fields: dict[str, str]) -> dict[str, str]:
    return {API_FIELDS.get(name, name): message for name, message in fields.items()}


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    response, status = json_error(error.status, error.code, error.message, error.fields)
    response.headers.update(error.headers or {})
    return response, status


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    status, code = next((status, code) for kind, status, code in DOMAIN_ERRORS if isinstance(error, kind))
    fields = api_fields(error.fields) if isinstance(error, (InvalidRequest, OutsideAvailability)) else None
    return json_error(status, code, error.message, fields)


@bp.errorhandler(TooManyAttempts)
def rate_limited(error: TooManyAttempts):
    """A write over its rate limit (booking, rescheduling): 429 with Retry-After, as the contract says."""
    message = f"Too many attempts for now. Try again in {error.retry_after} seconds."
    response, status = json_error(429, "rate_limited", message)
    response.headers["Retry-After"] = str(error.retry_after)
    return response, status
