"""The domain's refusals and the API's error codes: every concrete error has its own row in
meetapp.api.errors.DOMAIN_ERRORS, and the domain errors themselves know nothing of HTTP."""
import inspect

import pytest

from meetapp import create_app
from meetapp.api.errors import DOMAIN_ERRORS, domain_error
from meetapp.config import testing_config
from meetapp.domain import errors

# The contract's status and error code for each concrete refusal.
CONTRACT = {
    "InvalidRequest": (400, "validation_error"),
    "NotParticipant": (403, "not_participant"),
    "NotMentor": (403, "not_mentor"),
    "NotMentee": (403, "not_mentee"),
    "NotFound": (404, "not_found"),
    "MentorBusy": (409, "mentor_busy"),
    "MenteeBusy": (409, "mentee_busy"),
    "AlreadyConfirmed": (409, "already_confirmed"),
    "AlreadyCancelled": (409, "already_cancelled"),
    "SessionCancelled": (409, "cancelled"),
    "SessionOver": (409, "session_over"),
    "ChangedMeanwhile": (409, "changed"),
    "AddressNotConfirmed": (403, "email_unconfirmed"),
    "TooManyPending": (409, "too_many_pending"),
    "OwnMeetingLink": (409, "own_meeting_link"),
    "OutsideAvailability": (409, "outside_availability"),
}


def defined_errors() -> list[type]:
    """Every exception class written in meetapp/domain/errors.py (not the ones it imports)."""
    return [
        kind
        for _, kind in inspect.getmembers(errors, inspect.isclass)
        if issubclass(kind, Exception) and kind.__module__ == errors.__name__
    ]


def concrete_errors() -> list[type]:
    """The errors nothing else in the module specialises: the ones the rules raise."""
    kinds = defined_errors()
    return [kind for kind in kinds if not any(other is not kind and issubclass(other, kind) for other in kinds)]


def instance_of(kind: type) -> errors.DomainError:
    if issubclass(kind, errors.InvalidRequest):
        return kind({"starts_at": "That time is in the past."})
    return kind("Not possible.")


def test_the_contract_names_every_concrete_error_and_no_other():
    # A new error class fails here until the contract (and so DOMAIN_ERRORS) says what the API answers.
    assert {kind.__name__ for kind in concrete_errors()} == set(CONTRACT)


@pytest.mark.parametrize("kind", concrete_errors(), ids=lambda kind: kind.__name__)
def test_each_concrete_error_has_its_own_row_in_the_api_table(kind):
    assert kind.__name__ in CONTRACT, f"{kind.__name__} is new: say in CONTRACT which code the API answers it with"
    rows = [(status, code) for row_kind, status, code in DOMAIN_ERRORS if row_kind is kind]
    assert rows == [CONTRACT[kind.__name__]], f"{kind.__name__} has no row of its own in DOMAIN_ERRORS"


@pytest.mark.parametrize("kind", concrete_errors(), ids=lambda kind: kind.__name__)
def test_the_api_answers_each_concrete_error_with_its_contract_code(kind):
    # Through the API's handler: a broader row placed before a narrower one would win here.
    assert kind.__name__ in CONTRACT, f"{kind.__name__} is new: say in CONTRACT which code the API answers it with"
    app = create_app(testing_config("sqlite://"))
    with app.test_request_context("/api/mentoring/sessions"):
        response, status = domain_error(instance_of(kind))
    assert (status, response.json["error"]) == CONTRACT[kind.__name__]
    assert response.json["message"] == instance_of(kind).message
    if kind is errors.InvalidRequest:
        assert response.json["fields"] == {"startsAt": "That time is in the past."}
    if kind is errors.OutsideAvailability:
        assert response.json["fields"] == {"startsAt": "Not possible."}


@pytest.mark.parametrize("kind", defined_errors(), ids=lambda kind: kind.__name__)
def test_domain_errors_carry_no_http_status_or_api_code(kind):
    for thing in (kind, instance_of(kind)):
        assert not hasattr(thing, "status"), f"{kind.__name__} has a status: the API decides that"
        assert not hasattr(thing, "code"), f"{kind.__name__} has a code: the API decides that"
