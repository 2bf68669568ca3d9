"""Video settings and meeting links through the JSON API."""
import pytest

from meetapp.extensions import db
from meetapp.models import MentoringSession, MentorProfile

SETTINGS = "/api/mentoring/me/video-settings"


def booking(mentor_id, starts_at="2026-11-24T15:00:00Z"):
    return {"mentorId": mentor_id, "startsAt": starts_at, "durationMinutes": 60}


def stored(app, session_id) -> MentoringSession:
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        db.session.expunge(session)
        return session


def test_a_new_mentor_meets_on_jitsi(as_mentor):
    response = as_mentor.get(SETTINGS)
    assert response.status_code == 200
    body = response.json
    assert (body["provider"], body["manualMeetingUrl"]) == ("jitsi", None)
    assert body["previewUrl"].startswith("https://meet.jit.si/meetapp-session-")
    assert (body["zoomUser"], body["googleUser"], body["connection"]) == (None, None, None)
    assert "notice" not in body


def test_choosing_a_manual_link_stores_it_rebuilt(app, as_mentor, mentor):
    response = as_mentor.put(SETTINGS, json={"provider": "manual", "manualMeetingUrl": "HTTPS://Zoom.us/j/42?pwd=x"})
    assert response.status_code == 200
    assert response.json["manualMeetingUrl"] == "https://zoom.us/j/42?pwd=x"
    assert response.json["previewUrl"] == "https://zoom.us/j/42?pwd=x"
    with app.app_context():
        assert db.session.get(MentorProfile, mentor).manual_meeting_url == "https://zoom.us/j/42?pwd=x"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"provider": "skype"}, "provider"),
        ({}, "provider"),
        ({"provider": "manual"}, "manualMeetingUrl"),
        ({"provider": "manual", "manualMeetingUrl": "javascript:alert(1)"}, "manualMeetingUrl"),
        ({"provider": "manual", "manualMeetingUrl": "https://evil.example\\@meet.google.com/x"}, "manualMeetingUrl"),
        ({"provider": "manual", "manualMeetingUrl": ["https://zoom.us/j/1"]}, "manualMeetingUrl"),
        ({"provider": "jitsi", "applyToUpcoming": "yes"}, "applyToUpcoming"),
    ],
)
def test_bad_video_settings_are_400_with_fields_and_change_nothing(app, as_mentor, mentor, body, field):
    response = as_mentor.put(SETTINGS, json=body)
    assert response.status_code == 400
    assert response.json["error"] == "validation_error"
    assert field in response.json["fields"]
    with app.app_context():
        profile = db.session.get(MentorProfile, mentor)
        assert (profile.video_provider, profile.manual_meeting_url) == ("jitsi", None)


def test_an_unknown_host_is_saved_with_a_warning(as_mentor):
    response = as_mentor.put(SETTINGS, json={"provider": "manual", "manualMeetingUrl": "https://example.org/room"})
    assert response.status_code == 200
    assert "example.org is not a meeting service we know" in response.json["warning"]


def test_zoom_without_credentials_says_it_uses_jitsi(as_mentor):
    response = as_mentor.put(SETTINGS, json={"provider": "zoom"})
    assert response.status_code == 200
    assert response.json["notice"] == "Zoom is not connected; sessions use Jitsi."
    assert response.json["previewUrl"].startswith("https://meet.jit.si/")
    assert (response.json["zoomUser"], response.json["connection"]) == (None, None)


def test_without_credentials_an_account_is_kept_unchecked(app, as_mentor, mentor):
    response = as_mentor.put(SETTINGS, json={"provider": "zoom", "zoomUser": "Ada@Example.com"})
    assert response.status_code == 200
    assert (response.json["zoomUser"], response.json["connection"]) == ("Ada@example.com", None)
    assert response.json["notice"] == "Zoom is not connected; sessions use Jitsi."
    with app.app_context():
        assert db.session.get(MentorProfile, mentor).zoom_user == "Ada@example.com"


def test_omitting_the_manual_link_keeps_it_and_null_clears_it(as_mentor):
    as_mentor.put(SETTINGS, json={"provider": "manual", "manualMeetingUrl": "https://whereby.com/okafor"})
    assert as_mentor.put(SETTINGS, json={"provider": "jitsi"}).json["manualMeetingUrl"] == "https://whereby.com/okafor"
    assert as_mentor.put(SETTINGS, json={"provider": "jitsi", "manualMeetingUrl": None}).json["manualMeetingUrl"] is None


@pytest.mark.parametrize("method", ["get", "put"])
def test_only_mentors_have_video_settings(as_mentee, method):
    response = getattr(as_mentee, method)(SETTINGS, **({"json": {"provider": "jitsi"}} if method == "put" else {}))
    assert response.status_code == 403
    assert response.json["error"] == "not_mentor"


def test_a_booking_gets_the_mentors_provider_at_that_moment(app, clock, as_mentor, as_mentee, mentor):
    as_mentor.put(SETTINGS, json={"provider": "manual", "manualMeetingUrl": "https://zoom.us/j/42"})
    first = as_mentee.post("/api/mentoring/sessions", json=booking(mentor)).json["session"]
    as_mentor.put(SETTINGS, json={"provider": "zoom"})
    second = as_mentee.post("/api/mentoring/sessions", json=booking(mentor, "2026-11-25T15:00:00Z")).json["session"]
    assert (first["provider"], second["provider"]) == ("manual", "zoom")
    manual, zoom = stored(app, first["id"]), stored(app, second["id"])
    assert (manual.meeting_kind, manual.meeting_url, manual.meeting_notice) == ("manual", "https://zoom.us/j/42", None)
    assert (zoom.meeting_kind, zoom.meeting_notice) == ("jitsi", "Zoom is not connected; sessions use Jitsi.")
    assert zoom.meeting_room.startswith("meetapp-session-") and zoom.meeting_external_id.startswith("mock-zoom-")


def test_confirming_keeps_the_meeting_and_rescheduling_makes_a_new_room(app, clock, as_mentor, as_mentee, mentor):
    session = as_mentee.post("/api/mentoring/sessions", json=booking(mentor)).json["session"]
    room = stored(app, session["id"]).meeting_room
    as_mentor.post(f"/api/mentoring/session/{session['id']}/confirm")
    assert stored(app, session["id"]).meeting_room == room
    as_mentor.put(SETTINGS, json={"provider": "zoom"})
    as_mentee.post(f"/api/mentoring/session/{session['id']}/reschedule", json={"startsAt": "2026-11-26T15:00:00Z"})
    moved = stored(app, session["id"])
    assert moved.meeting_room != room
    assert (moved.video_provider, moved.link_version) == ("jitsi", 2)


def test_generate_link_makes_a_fresh_room_and_revokes_earlier_links(app, clock, as_mentor, as_mentee, mentor):
    session = as_mentee.post("/api/mentoring/sessions", json=booking(mentor)).json["session"]
    before = stored(app, session["id"])
    response = as_mentor.post(f"/api/mentoring/session/{session['id']}/generate-link")
    assert response.status_code == 200
    link = response.json["meetingLink"]
    assert link["provider"] == "jitsi"
    assert link["joinUrl"].startswith("http://127.0.0.1:5000/join/")
    assert link["joinUrl"] != session["joinUrl"]
    after = stored(app, session["id"])
    assert after.meeting_room != before.meeting_room
    assert after.link_version == before.link_version + 1


def test_an_admin_may_generate_a_link_but_not_the_mentee_or_a_stranger(clock, as_mentee, api_as, people, mentor):
    session = as_mentee.post("/api/mentoring/sessions", json=booking(mentor)).json["session"]
    path = f"/api/mentoring/session/{session['id']}/generate-link"
    assert as_mentee.post(path).json["error"] == "not_mentor"
    stranger = api_as(people.make("mentor", "Stranger Mentor"))
    assert stranger.post(path).status_code == 403
    admin = api_as(people.make("admin", "Ada Admin"))
    assert admin.post(path).status_code == 200
    assert admin.post("/api/mentoring/session/unknown-id/generate-link").status_code == 404


def test_generate_link_on_a_cancelled_session_is_409(clock, as_mentor, as_mentee, mentor):
    session = as_mentee.post("/api/mentoring/sessions", json=booking(mentor)).json["session"]
    as_mentee.post(f"/api/mentoring/session/{session['id']}/cancel")
    response = as_mentor.post(f"/api/mentoring/session/{session['id']}/generate-link")
    assert response.status_code == 409
    assert response.json["error"] == "cancelled"


def test_apply_to_upcoming_gives_upcoming_sessions_the_new_meeting(app, clock, as_mentor, as_mentee, mentor):
    upcoming = as_mentee.post("/api/mentoring/sessions", json=booking(mentor)).json["session"]
    cancelled = as_mentee.post("/api/mentoring/sessions", json=booking(mentor, "2026-11-25T15:00:00Z")).json["session"]
    as_mentee.post(f"/api/mentoring/session/{cancelled['id']}/cancel")
    response = as_mentor.put(
        SETTINGS, json={"provider": "manual", "manualMeetingUrl": "https://whereby.com/okafor", "applyToUpcoming": True}
    )
    assert response.json["sessionsUpdated"] == 1
    moved = stored(app, upcoming["id"])
    assert (moved.video_provider, moved.meeting_kind, moved.meeting_url, moved.link_version) == (
        "manual", "manual", "https://whereby.com/okafor", 2,
    )
    assert stored(app, cancelled["id"]).meeting_kind == "jitsi"


def test_without_apply_to_upcoming_booked_sessions_keep_their_meeting(app, clock, as_mentor, as_mentee, mentor):
    session = as_mentee.post("/api/mentoring/sessions", json=booking(mentor)).json["session"]
    response = as_mentor.put(SETTINGS, json={"provider": "manual", "manualMeetingUrl": "https://whereby.com/okafor"})
    assert response.json["sessionsUpdated"] == 0
    assert stored(app, session["id"]).meeting_kind == "jitsi"


def test_no_api_answer_contains_the_meeting_address(app, clock, as_mentor, as_mentee, mentor):
    as_mentor.put(SETTINGS, json={"provider": "zoom"})
    session = as_mentee.post("/api/mentoring/sessions", json=booking(mentor)).json["session"]
    room = stored(app, session["id"]).meeting_room
    answers = [
        as_mentee.get("/api/mentoring/sessions"),
        as_mentee.get(f"/api/mentoring/session/{session['id']}"),
        as_mentor.post(f"/api/mentoring/session/{session['id']}/confirm"),
    ]
    for answer in answers:
        assert room not in answer.get_data(as_text=True)
    new_room = stored(app, session["id"]).meeting_room
    regenerated = as_mentor.post(f"/api/mentoring/session/{session['id']}/generate-link")
    assert new_room not in regenerated.get_data(as_text=True)
    assert stored(app, session["id"]).meeting_room not in regenerated.get_data(as_text=True)
