"""The meeting's own address (room, URL, provider meeting id) appears in no page, fragment or API answer.

Every GET route the app has is requested by every kind of viewer at several
moments of a session's life, plus the answers to every state-changing call.
The only place the address may appear is the Location header of a join redirect.
The one deliberate exception: a mentor's own saved meeting link on their own
video settings (page and API), where they typed it.
"""
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.routing import Rule

from meetapp.extensions import db
from meetapp.models import MentoringSession
from tests.support import PASSWORD

MANUAL_URL = "https://whereby.com/private-room-5f3a9c"
OWN_SETTINGS = {"settings.video", "settings.video_preview", "api.get_video_settings"}
MOMENTS = [
    datetime(2026, 11, 23, 9, 0, tzinfo=UTC),  # too early
    datetime(2026, 11, 23, 9, 50, tzinfo=UTC),  # joinable
    datetime(2026, 11, 23, 13, 0, tzinfo=UTC),  # over
]


def login(client, email):
    client.post("/auth/logout")
    if email:
        assert client.post("/auth/login", data={"email": email, "password": PASSWORD}).status_code == 302


def book(api, mentor_id, start):
    return api.post(
        "/api/mentoring/sessions", json={"mentorId": mentor_id, "startsAt": start, "durationMinutes": 60}
    ).json["session"]


@pytest.fixture
def world(app, clock, people, api_as):
    """Sessions on every kind of meeting, and the addresses that must never be shown."""
    jitsi_mentor = people.make("mentor", "Jo Jitsi")
    manual_mentor = people.make("mentor", "Manu Manual")
    zoom_mentor = people.make("mentor", "Zoe Zoom")
    mentee = people.make("mentee", "Max Mentee")
    people.make("mentee", "Stranger Mentee")
    people.make("admin", "Ada Admin")
    api_as(manual_mentor).put("/api/mentoring/me/video-settings", json={"provider": "manual", "manualMeetingUrl": MANUAL_URL})
    api_as(zoom_mentor).put("/api/mentoring/me/video-settings", json={"provider": "zoom"})
    as_mentee = api_as(mentee)
    sessions = [
        book(as_mentee, jitsi_mentor, "2026-11-23T10:00:00Z"),
        book(as_mentee, manual_mentor, "2026-11-23T11:00:00Z"),
        book(as_mentee, zoom_mentor, "2026-11-24T10:00:00Z"),
    ]
    for session, mentor_id in zip(sessions[:2], (jitsi_mentor, manual_mentor), strict=True):
        api_as(mentor_id).post(f"/api/mentoring/session/{session['id']}/confirm")
    with app.app_context():
        secrets = set()
        for session in sessions:
            row = db.session.get(MentoringSession, session["id"])
            secrets |= {value for value in (row.meeting_room, row.meeting_url, row.meeting_external_id) if value}
    assert MANUAL_URL in secrets and len(secrets) >= 4
    # The manual mentor has weekly hours, so their profile and the booking page list free times.
    api_as(manual_mentor).put("/api/mentoring/me/availability", json={"weekly": {"tue": [["08:00", "18:00"]]}})
    mentors = [jitsi_mentor, manual_mentor, zoom_mentor]
    return {"ids": [s["id"] for s in sessions], "secrets": secrets, "mentee": mentee, "mentors": mentors}


def get_routes(app) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and rule.endpoint != "static"]


def urls_for(rule: Rule, session_ids, join_paths, mentor_ids) -> list[str]:
    if "mentor_id" in rule.arguments:
        return [rule.build({"mentor_id": mentor_id})[1] for mentor_id in mentor_ids]
    if rule.endpoint == "sessions.new":
        # The booking page for each mentor: the free times, or the free form for a mentor without hours.
        return [rule.rule, *(f"{rule.rule}?mentor={mentor_id}" for mentor_id in mentor_ids)]
    if "token" in rule.arguments:
        return [*join_paths, "/join/not-a-token"]
    if "session_id" in rule.arguments:
        return [rule.build({"session_id": sid})[1] for sid in session_ids]
    if "token_id" in rule.arguments:
        return [rule.build({"token_id": 1})[1]]
    assert not rule.arguments, f"the scan does not know how to fill {rule}"
    return [rule.rule]


def assert_clean(response, secrets, where):
    body = response.get_data(as_text=True)
    headers = {k: v for k, v in response.headers.items() if k != "Location"}
    for secret in secrets:
        assert secret not in body, f"{where} shows the meeting address {secret!r}"
        assert secret not in str(headers), f"{where} puts the meeting address in a header"


@pytest.mark.parametrize("email", [None, "max.mentee@example.com", "jo.jitsi@example.com", "manu.manual@example.com", "zoe.zoom@example.com", "stranger.mentee@example.com", "ada.admin@example.com"])
def test_no_get_answer_shows_a_meeting_address(app, client, clock, world, email):
    login(client, email)
    join_paths = []
    if email:
        sessions = client.get("/api/mentoring/sessions").json["sessions"]
        join_paths = [s["joinUrl"].removeprefix("http://127.0.0.1:5000") for s in sessions]
    scanned = 0
    for moment in MOMENTS:
        clock.move_to(moment)
        for rule in get_routes(app):
            for url in urls_for(rule, world["ids"], join_paths, world["mentors"]):
                for headers in ({}, {"HX-Request": "true"}):
                    response = client.get(url, headers=headers)
                    secrets = world["secrets"]
                    if rule.endpoint in OWN_SETTINGS and email == "manu.manual@example.com":
                        secrets = secrets - {MANUAL_URL}
                    assert_clean(response, secrets, f"GET {url} as {email} at {moment:%H:%M}")
                    scanned += 1
    assert scanned > 100


def test_answers_to_changes_show_no_meeting_address(app, client, clock, world, api_as, people):
    jitsi_session, manual_session, zoom_session = world["ids"]
    login(client, "manu.manual@example.com")
    html = [
        client.post(f"/sessions/{manual_session}/new-link", headers={"HX-Request": "true"}),
        client.post(f"/sessions/{manual_session}/reschedule", data={"starts_at": "2026-11-25T08:00", "duration": "60"}),
    ]
    login(client, "zoe.zoom@example.com")
    html.append(client.post(f"/sessions/{zoom_session}/confirm", headers={"HX-Request": "true"}))
    login(client, "max.mentee@example.com")
    html.append(client.post(f"/sessions/{jitsi_session}/cancel", data={"reason": "x"}, headers={"HX-Request": "true"}))
    with app.app_context():
        secrets = world["secrets"] | {
            value
            for sid in world["ids"]
            for value in (db.session.get(MentoringSession, sid).meeting_room, db.session.get(MentoringSession, sid).meeting_url)
            if value
        }
    # A new link cannot change a mentor's own meeting address: the refusal (409) must not show it either.
    assert html[0].status_code == 409
    for response in html:
        assert response.status_code in (200, 302, 409)
        assert_clean(response, secrets, f"an HTML change answering {response.status_code}")
    as_admin = api_as(people.make("admin", "Second Admin"))
    regenerated = as_admin.post(f"/api/mentoring/session/{zoom_session}/generate-link")
    assert regenerated.status_code == 200
    with app.app_context():
        secrets |= {db.session.get(MentoringSession, zoom_session).meeting_room}
    assert_clean(regenerated, secrets, "generate-link")


def test_only_the_location_header_of_a_join_carries_the_address(client, clock, world):
    login(client, "max.mentee@example.com")
    session = client.get(f"/api/mentoring/session/{world['ids'][1]}").json["session"]
    clock.move_to(datetime(2026, 11, 23, 10, 50, tzinfo=UTC) + timedelta(minutes=0))
    response = client.get(session["joinUrl"].removeprefix("http://127.0.0.1:5000"))
    assert response.status_code == 302
    assert response.headers["Location"] == MANUAL_URL
    assert_clean(response, {MANUAL_URL}, "the join redirect")
