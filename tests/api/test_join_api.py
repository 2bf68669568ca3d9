"""The access document, the API join door, and the attendance log, as contract section 4 describes them."""
from datetime import UTC, datetime, timedelta

import pytest

from tests.support import ApiClient, People, running_app, set_session_type

START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
OPENS, CLOSES = START - timedelta(minutes=15), START + timedelta(minutes=90)


@pytest.fixture
def session_id(clock, as_mentee, as_mentor, mentor):
    """A confirmed Standard session from 10:00 to 11:00 UTC (joinable 09:45 to 11:30)."""
    session = as_mentee.post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": "2026-11-23T10:00:00Z", "durationMinutes": 60}
    ).json["session"]
    as_mentor.post(f"/api/mentoring/session/{session['id']}/confirm")
    return session["id"]


def access(client, session_id):
    response = client.get(f"/api/mentoring/session/{session_id}/access")
    assert response.status_code == 200
    return response.json


def test_the_access_document_while_joinable(clock, as_mentee, session_id):
    clock.move_to(START - timedelta(minutes=10))
    body = access(as_mentee, session_id)
    assert body["session"] == session_id and body["provider"] == "jitsi"
    assert body["access"] == {
        "canJoin": True,
        "status": "available",
        "message": "You can join now. Your session starts in 10 minutes.",
        "availableAt": "2026-11-23T09:45:00Z",
        "expiresAt": "2026-11-23T11:30:00Z",
        "timeUntilAvailable": 0,
        "timeUntilExpiry": 100,
        "secondsUntilAvailable": 0,
        "secondsUntilExpiry": 6000,
    }
    assert body["joinUrl"].startswith("http://127.0.0.1:5000/join/")


def test_too_early_rounds_minutes_up_and_has_no_join_url(clock, as_mentee, session_id):
    clock.move_to(OPENS - timedelta(seconds=61))
    body = access(as_mentee, session_id)
    assert (body["access"]["status"], body["access"]["canJoin"]) == ("too_early", False)
    assert (body["access"]["timeUntilAvailable"], body["access"]["secondsUntilAvailable"]) == (2, 61)
    assert body["access"]["message"] == "Joining opens at 04:45 (in 2 minutes)."
    assert "joinUrl" not in body


def test_expired_carries_expired_at(clock, as_mentee, session_id):
    clock.move_to(CLOSES)
    body = access(as_mentee, session_id)["access"]
    assert (body["status"], body["expiredAt"], body["timeUntilExpiry"], body["secondsUntilExpiry"]) == (
        "expired", "2026-11-23T11:30:00Z", 0, 0,
    )


def test_cancelled_and_pending_statuses(clock, as_mentee, as_mentor, mentor, session_id):
    pending = as_mentee.post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": "2026-11-23T12:00:00Z", "durationMinutes": 30}
    ).json["session"]
    assert access(as_mentee, pending["id"])["access"]["status"] == "pending"
    as_mentor.post(f"/api/mentoring/session/{session_id}/cancel")
    clock.move_to(START)
    body = access(as_mentee, session_id)
    assert (body["access"]["status"], body["access"]["canJoin"]) == ("cancelled", False)
    assert "joinUrl" not in body


def test_the_access_document_and_the_join_follow_the_session_types_own_window(app, clock, as_mentee, as_mentor, mentor):
    # Opens 60 minutes before 11:00 and closes 5 after 12:00; the defaults would say 10:45 and 12:30.
    set_session_type(app, "Long lead", early=60, late=5)
    session_id = as_mentee.post(
        "/api/mentoring/sessions",
        json={"mentorId": mentor, "startsAt": "2026-11-23T11:00:00Z", "durationMinutes": 60, "sessionType": "Long lead"},
    ).json["session"]["id"]
    as_mentor.post(f"/api/mentoring/session/{session_id}/confirm")
    opens, closes = datetime(2026, 11, 23, 10, 0, tzinfo=UTC), datetime(2026, 11, 23, 12, 5, tzinfo=UTC)

    clock.move_to(opens - timedelta(minutes=1))
    early = access(as_mentee, session_id)["access"]
    assert (early["status"], early["availableAt"], early["expiresAt"]) == (
        "too_early", "2026-11-23T10:00:00Z", "2026-11-23T12:05:00Z",
    )
    assert early["secondsUntilAvailable"] == 60
    refused = join(as_mentee, session_id)
    assert (refused.status_code, refused.json["error"]) == (409, "too_early")

    clock.move_to(opens)
    assert access(as_mentee, session_id)["access"]["status"] == "available"
    assert join(as_mentee, session_id).status_code == 302

    clock.move_to(closes)
    late = access(as_mentee, session_id)["access"]
    assert (late["status"], late["expiredAt"]) == ("expired", "2026-11-23T12:05:00Z")
    refused = join(as_mentee, session_id)
    assert (refused.status_code, refused.json["error"]) == (410, "expired")


def test_access_is_for_participants_only(api_as, people, session_id, client):
    stranger = api_as(people.make("mentee", "Stranger"))
    assert stranger.get(f"/api/mentoring/session/{session_id}/access").json["error"] == "not_participant"
    assert stranger.get("/api/mentoring/session/nope/access").status_code == 404
    assert client.get(f"/api/mentoring/session/{session_id}/access").status_code == 401


def join(client, session_id):
    return client.get(f"/api/mentoring/session/{session_id}/join")


def assert_private(response):
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_joining_through_the_api_redirects_inside_the_window(clock, as_mentor, session_id):
    clock.move_to(OPENS)
    response = join(as_mentor, session_id)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://meet.jit.si/meetapp-session-")
    assert_private(response)
    assert response.get_data() == b""  # the address is in the Location header and nowhere else


@pytest.mark.parametrize(
    ("move", "status", "code"),
    [
        (OPENS - timedelta(seconds=1), 409, "too_early"),
        (CLOSES, 410, "expired"),
    ],
)
def test_joining_outside_the_window_is_refused(clock, as_mentee, session_id, move, status, code):
    clock.move_to(move)
    response = join(as_mentee, session_id)
    assert response.status_code == status
    assert response.json["error"] == code
    assert response.json["message"]
    assert "Location" not in response.headers
    assert_private(response)


def test_every_join_refusal_in_the_contracts_order(clock, client, as_mentee, as_mentor, api_as, people, mentor, session_id):
    clock.move_to(START)
    assert join(client, session_id).json["error"] == "unauthenticated"
    assert join(as_mentee, "no-such-session").json["error"] == "not_found"
    stranger = api_as(people.make("mentee", "Stranger"))
    assert join(stranger, session_id).status_code == 403
    pending = as_mentee.post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": "2026-11-23T10:15:00+00:00", "durationMinutes": 15}
    )
    assert pending.status_code == 409  # the mentor is busy then; book the pending one after the confirmed one
    pending = as_mentee.post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": "2026-11-23T11:00:00Z", "durationMinutes": 15}
    ).json["session"]
    clock.move_to(datetime(2026, 11, 23, 11, 0, tzinfo=UTC))
    refused = join(as_mentee, pending["id"])
    assert (refused.status_code, refused.json["error"]) == (409, "not_confirmed")
    as_mentor.post(f"/api/mentoring/session/{pending['id']}/cancel")
    refused = join(as_mentee, pending["id"])
    assert (refused.status_code, refused.json["error"]) == (410, "cancelled")


def test_the_mentor_and_an_admin_read_every_attempt(clock, as_mentee, as_mentor, api_as, people, mentee, session_id):
    clock.move_to(OPENS - timedelta(minutes=5))
    join(as_mentee, session_id)
    clock.move_to(OPENS + timedelta(minutes=2))
    join(as_mentee, session_id)
    expected = [
        {"userId": mentee, "at": "2026-11-23T09:40:00Z", "outcome": "denied", "reason": "too_early"},
        {"userId": mentee, "at": "2026-11-23T09:47:00Z", "outcome": "joined", "reason": "in_window"},
    ]
    assert as_mentor.get(f"/api/mentoring/session/{session_id}/attendance").json["events"] == expected
    admin = api_as(people.make("admin", "Ada Admin"))
    assert admin.get(f"/api/mentoring/session/{session_id}/attendance").json["events"] == expected


def test_strangers_do_not_see_attendance(as_mentee, api_as, people, session_id):
    # The mentee sees their own line (tests/api/test_attendance_api.py); a stranger nothing.
    stranger = api_as(people.make("mentor", "Stranger Mentor"))
    assert stranger.get(f"/api/mentoring/session/{session_id}/attendance").status_code == 403
    assert as_mentee.get("/api/mentoring/session/nope/attendance").status_code == 404


def test_the_join_url_in_the_session_opens_the_join_proxy_for_that_person(clock, client, auth, as_mentee, session_id):
    join_url = as_mentee.get(f"/api/mentoring/session/{session_id}").json["session"]["joinUrl"]
    clock.move_to(OPENS)
    auth.login("max.mentee@example.com")
    response = client.get(join_url.removeprefix("http://127.0.0.1:5000"))
    assert response.status_code == 302
    assert "Max%20Mentee" in response.headers["Location"]


def test_refused_api_joins_from_one_address_are_rate_limited(database_url, clock):
    with running_app(database_url, JOIN_DENIED_RATE_LIMIT="2 per minute") as app:
        people = People(app)
        api = ApiClient(app.test_client(), people.token(people.make("mentee", "Max Mentee")))
        codes = [api.get("/api/mentoring/session/nope/join").status_code for _ in range(3)]
        assert codes == [404, 404, 429]
        assert api.get("/api/mentoring/session/nope/join").json["error"] == "rate_limited"
