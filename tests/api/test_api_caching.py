"""No cache keeps an API answer: every one that carries a join link is `Cache-Control: no-store`, and so are errors."""
from datetime import timedelta

import pytest

from tests.support import OPENS, ApiClient


def assert_no_store(response, what: str) -> None:
    assert response.headers.get("Cache-Control") == "no-store", f"{what}: {response.headers.get('Cache-Control')!r}"


def assert_join_link_kept_out_of_caches(response, what: str) -> None:
    assert "/join/" in response.get_data(as_text=True), f"{what} carries no join link: is the test right?"
    assert_no_store(response, what)


def test_every_answer_with_a_join_link_is_no_store(clock, as_mentee, as_mentor, mentor):
    created = as_mentee.post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": "2026-11-23T10:00:00Z", "durationMinutes": 60}
    )
    assert created.status_code == 201
    assert_join_link_kept_out_of_caches(created, "POST /api/mentoring/sessions")
    session_id = created.json["session"]["id"]
    session_path = f"/api/mentoring/session/{session_id}"

    confirmed = as_mentor.post(f"{session_path}/confirm")
    assert confirmed.status_code == 200
    assert_join_link_kept_out_of_caches(confirmed, "POST …/confirm")
    clock.move_to(OPENS + timedelta(minutes=1))
    answers = {
        "GET /api/mentoring/sessions": as_mentee.get("/api/mentoring/sessions"),
        "GET …/session/<id>": as_mentee.get(session_path),
        "GET …/access": as_mentee.get(f"{session_path}/access"),
        "POST …/generate-link": as_mentor.post(f"{session_path}/generate-link"),
        "POST …/reschedule": as_mentee.post(f"{session_path}/reschedule", json={"startsAt": "2026-11-23T10:30:00Z"}),
    }
    for what, response in answers.items():
        assert response.status_code == 200, (what, response.json)
        assert_join_link_kept_out_of_caches(response, what)


@pytest.fixture
def pending_session(clock, as_mentee, mentor) -> str:
    return as_mentee.post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": "2026-11-24T10:00:00Z", "durationMinutes": 60}
    ).json["session"]["id"]


def test_api_errors_are_no_store(client, api_as, people, as_mentee, as_mentor, mentor, pending_session):
    stranger = api_as(people.make("mentee", "Sam Stranger"))
    session_path = f"/api/mentoring/session/{pending_session}"
    assert as_mentor.post(f"{session_path}/confirm").status_code == 200
    answers = {
        401: ApiClient(client, "not-a-token").get("/api/mentoring/sessions"),
        403: stranger.get(session_path),
        404: as_mentee.get("/api/mentoring/session/nO-sUch-sEssion1"),
        400: as_mentee.post("/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": "yesterday"}),
        409: as_mentor.post(f"{session_path}/confirm"),
    }
    for status, response in answers.items():
        assert response.status_code == status, (status, response.json)
        assert "error" in response.json
        assert_no_store(response, f"the API's {status} ({response.json['error']})")
