"""Joining a Zoom session through the proxy: each person reaches the meeting by their own registrant link,
so that Zoom's events (POST /webhooks/zoom) can tell the two people apart."""
import hashlib
import hmac
import json
import logging

import pytest
import sqlalchemy as sa

from meetapp.domain.video import Meeting, Participant
from meetapp.extensions import db
from meetapp.models import MentoringSession, MentorProfile, PresenceEvent, ZoomRegistrant
from meetapp.providers.zoom import Registrant
from meetapp.services import meetings
from tests.provider_fixtures import zoom_config
from tests.support import MENTEE_EMAIL, MENTOR_EMAIL, NOW, OPENS, counted_queries, path_of, running_app

SECRET = "zoom-webhook-secret-for-joins"


@pytest.fixture
def app(database_url, fake_zoom):
    with running_app(database_url, **zoom_config(fake_zoom), ZOOM_WEBHOOK_SECRET_TOKEN=SECRET) as app:
        yield app


@pytest.fixture
def zoom_session(app, clock, api_as, mentor, mentee) -> tuple[str, str, str]:
    """A confirmed 10:00 session on Zoom: (id, the mentee's join path, the mentor's join path); the clock at its opening."""
    with app.app_context():
        profile = db.session.get(MentorProfile, mentor)
        profile.video_provider, profile.zoom_user = "zoom", "ada@example.com"
        db.session.commit()
    booked = api_as(mentee).post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": "2026-11-23T10:00:00Z", "durationMinutes": 60}
    ).json["session"]
    confirmed = api_as(mentor).post(f"/api/mentoring/session/{booked['id']}/confirm").json["session"]
    assert stored(app, booked["id"]).meeting_kind == "zoom"
    clock.move_to(OPENS)
    return booked["id"], path_of(booked["joinUrl"]), path_of(confirmed["joinUrl"])


def stored(app, session_id: str) -> MentoringSession:
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        db.session.expunge(session)
        return session


def registrants(app) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            sa.select(ZoomRegistrant.session_id, ZoomRegistrant.user_id, ZoomRegistrant.meeting_id,
                      ZoomRegistrant.registrant_id, ZoomRegistrant.join_url).order_by(ZoomRegistrant.id)
        ).all()


def join(client, auth, email: str, path: str):
    auth.logout()
    auth.login(email)
    response = client.get(path)
    assert response.status_code == 302
    return response.headers["Location"]


def test_the_mentee_is_sent_to_their_own_registrant_link(app, client, auth, zoom_session, mentee, fake_zoom):
    session_id, mentee_path, _ = zoom_session
    session = stored(app, session_id)

    location = join(client, auth, MENTEE_EMAIL, mentee_path)

    held = fake_zoom.registrant_of(session.meeting_external_id, MENTEE_EMAIL)
    assert location == held["join_url"] != session.meeting_url
    assert (held["first_name"], held["last_name"]) == ("Max", "Mentee")
    assert registrants(app) == [(session_id, mentee, session.meeting_external_id, held["id"], held["join_url"])]


def test_the_mentor_starts_the_meeting_and_is_never_registered(app, client, auth, zoom_session, fake_zoom):
    _, _, mentor_path = zoom_session
    location = join(client, auth, MENTOR_EMAIL, mentor_path)
    assert location.startswith("https://zoom.us/s/")
    assert fake_zoom.sent("POST", "/registrants") == [] and registrants(app) == []


def test_a_second_join_reuses_the_link_without_asking_zoom(app, client, auth, zoom_session, fake_zoom):
    _, mentee_path, _ = zoom_session
    first = join(client, auth, MENTEE_EMAIL, mentee_path)
    again = client.get(mentee_path).headers["Location"]
    assert again == first
    assert len(fake_zoom.sent("POST", "/registrants")) == 1
    assert len(registrants(app)) == 1


def test_zoom_down_while_registering_still_lets_the_mentee_in_by_the_shared_link(
    app, client, auth, zoom_session, fake_zoom, caplog
):
    session_id, mentee_path, _ = zoom_session
    fake_zoom.fail(times=1, status=503, path="/registrants")
    with caplog.at_level(logging.WARNING):
        location = join(client, auth, MENTEE_EMAIL, mentee_path)
    assert location == stored(app, session_id).meeting_url
    assert "join by its shared link" in caplog.text and location not in caplog.text
    assert registrants(app) == []

    # Zoom is back: the next join registers them.
    own = client.get(mentee_path).headers["Location"]
    assert own != location
    assert own == fake_zoom.registrant_of(stored(app, session_id).meeting_external_id, MENTEE_EMAIL)["join_url"]


def test_a_new_link_makes_a_new_meeting_and_a_new_registration(app, client, auth, api_as, zoom_session, mentor, mentee):
    session_id, _, _ = zoom_session
    auth.login(MENTEE_EMAIL)
    first = client.get(f"/sessions/{session_id}/join").headers["Location"]
    assert api_as(mentor).post(f"/api/mentoring/session/{session_id}/generate-link").status_code == 200
    second = client.get(f"/sessions/{session_id}/join").headers["Location"]
    assert second != first
    old, new = registrants(app)
    assert old[2] != new[2] == stored(app, session_id).meeting_external_id


def test_two_joins_registering_at_once_keep_one_link(app, zoom_session, mentee, monkeypatch):
    """The join that stores its registration second finds the first one's row and uses it."""
    session_id, _, _ = zoom_session
    session = stored(app, session_id)
    meeting = Meeting(provider="zoom", kind="zoom", url=session.meeting_url, external_id=session.meeting_external_id)
    person = Participant(mentee, "Max Mentee", MENTEE_EMAIL, is_host=False)
    with app.app_context():
        client = meetings.zoom_client()

        def register_while_another_join_stores_first(meeting_id, **person_fields):
            db.session.add(ZoomRegistrant(session_id=session_id, user_id=mentee, meeting_id=meeting_id,
                                          registrant_id="reg-first", join_url="https://zoom.us/w/first", created_at=NOW))
            db.session.commit()
            return Registrant("reg-second", "https://zoom.us/w/second")

        monkeypatch.setattr(client, "register", register_while_another_join_stores_first)
        assert meetings.registrant_join_url(meeting, session_id, person, NOW) == "https://zoom.us/w/first"
    assert [row[3] for row in registrants(app)] == ["reg-first"]


def test_a_jitsi_join_never_reads_the_registrants(app, client, auth, clock, confirmed_with_links):
    _, mentee_path, _ = confirmed_with_links
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    with counted_queries(app) as statements:
        assert client.get(mentee_path).status_code == 302
    assert statements and not any("zoom_registrants" in statement for statement in statements)


def test_no_page_or_api_answer_shows_the_registrant_link(app, client, auth, api_as, zoom_session, mentee):
    session_id, mentee_path, _ = zoom_session
    own = join(client, auth, MENTEE_EMAIL, mentee_path)
    bodies = [
        client.get("/").get_data(as_text=True),
        client.get(f"/sessions/{session_id}").get_data(as_text=True),
        api_as(mentee).get(f"/api/mentoring/session/{session_id}").get_data(as_text=True),
    ]
    assert not any(own in body or "zoom.us/w/" in body for body in bodies)


def test_zooms_event_for_the_registrant_names_the_mentee(app, client, auth, zoom_session, mentee, fake_zoom, clock):
    """End to end: the proxy registers the mentee; Zoom's event then carries their registrant_id (and here an
    address Zoom knows them by that is not their meetapp one), and the presence row is theirs."""
    session_id, mentee_path, _ = zoom_session
    join(client, auth, MENTEE_EMAIL, mentee_path)
    meeting_id = stored(app, session_id).meeting_external_id
    held = fake_zoom.registrant_of(meeting_id, MENTEE_EMAIL)
    body = json.dumps({
        "event": "meeting.participant_joined",
        "event_ts": 1_795_420_000_000,
        "payload": {"account_id": "A", "object": {"id": meeting_id, "uuid": "u==", "host_id": "h", "type": 2,
                                                  "participant": {"user_id": "167", "user_name": "Max M",
                                                                  "registrant_id": held["id"], "email": "max@home.example",
                                                                  "participant_uuid": "p-1",
                                                                  "join_time": "2026-11-23T09:58:00Z"}}},
    }).encode()
    timestamp = str(int(OPENS.timestamp()))
    digest = hmac.new(SECRET.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    response = client.post("/webhooks/zoom", data=body, content_type="application/json",
                           headers={"x-zm-signature": f"v0={digest}", "x-zm-request-timestamp": timestamp})
    assert response.status_code == 200
    with app.app_context():
        [row] = db.session.scalars(sa.select(PresenceEvent)).all()
        assert (row.session_id, row.user_id, row.participant_key) == (session_id, mentee, held["id"])
