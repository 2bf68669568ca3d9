"""A mentor's own meeting link, told honestly: one address for all their sessions, open at any time to
whoever has it, and not something a "new meeting link" from meetapp can replace."""
import re

import pytest
import sqlalchemy as sa

from meetapp.extensions import db
from meetapp.models import MentoringSession, OutboxMail
from tests.support import MENTEE_EMAIL, MENTOR_EMAIL
from tests.web.helpers import HTMX, preview, save

OWN_LINK = "https://zoom.us/j/42"
OWN_LINK_STAYS = "This session meets at the mentor&#39;s own meeting link, which meetapp cannot replace"


def book(as_mentee, mentor_id: int, starts_at: str = "2026-11-24T15:00:00Z") -> str:
    response = as_mentee.post(
        "/api/mentoring/sessions", json={"mentorId": mentor_id, "startsAt": starts_at, "durationMinutes": 60}
    )
    assert response.status_code == 201
    return response.json["session"]["id"]


def own_link_session(as_mentor, as_mentee, mentor_id: int) -> str:
    """A confirmed session that meets at the mentor's own link."""
    assert as_mentor.put(
        "/api/mentoring/me/video-settings", json={"provider": "manual", "manualMeetingUrl": OWN_LINK}
    ).status_code == 200
    session_id = book(as_mentee, mentor_id)
    assert as_mentor.post(f"/api/mentoring/session/{session_id}/confirm").status_code == 200
    return session_id


def state_of(app, session_id: str) -> tuple:
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        mails = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail))
        return session.link_version, session.meeting_kind, session.meeting_url, mails


# The video settings -------------------------------------------------------------------------


def test_the_own_link_field_says_the_link_is_shared_and_open_at_any_time(client, auth, app, mentor):
    auth.login(MENTOR_EMAIL)
    assert save(client, provider="manual", manual_url=OWN_LINK).status_code == 302
    page = client.get("/settings/video").get_data(as_text=True)
    scope = re.search(r'<p class="hint" id="manual_url-scope">(.*?)</p>', page, re.S).group(1)
    scope = " ".join(scope.split())
    assert "every session that meets at your own link shares this one address" in scope
    assert "on Jitsi with signed tokens (JWT" in scope
    assert "in Zoom or Google Meet meetings made through their API" in scope
    assert "anyone who has the address can enter at any time" in scope
    assert re.search(r'<input [^>]*aria-describedby="manual_url-hint manual_url-scope video-preview"', page)
    assert "your personal Zoom room: the same room for every session." in page


def test_switching_to_an_own_link_brings_the_warning_with_the_field(client, auth, mentor):
    auth.login(MENTOR_EMAIL)
    fragment = preview(client, provider="manual").get_data(as_text=True)
    assert 'id="manual_url-scope"' in fragment
    assert 'id="manual_url-scope"' not in preview(client, provider="jitsi").get_data(as_text=True)


# The session page ---------------------------------------------------------------------------


def test_an_own_link_session_offers_no_new_link_and_says_what_does_help(
    client, auth, app, clock, as_mentor, as_mentee, mentor
):
    on_jitsi = book(as_mentee, mentor, "2026-11-25T15:00:00Z")
    session_id = own_link_session(as_mentor, as_mentee, mentor)
    auth.login(MENTOR_EMAIL)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert f"/sessions/{session_id}/new-link" not in page
    note = " ".join(re.search(r'<p class="hint own-link-note">(.*?)</p>', page, re.S).group(1).split())
    assert "meetapp cannot give it a new one: anyone who has that address can enter at any time." in note
    assert '<a href="/settings/video">video settings</a>' in note
    assert OWN_LINK not in page
    # A session meeting on a room meetapp made still gets a new one.
    assert f'hx-post="/sessions/{on_jitsi}/new-link"' in client.get(f"/sessions/{on_jitsi}").get_data(as_text=True)


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["form", "htmx"])
def test_asking_for_a_new_link_for_an_own_link_session_is_refused(
    client, auth, app, clock, as_mentor, as_mentee, mentor, headers
):
    session_id = own_link_session(as_mentor, as_mentee, mentor)
    before = state_of(app, session_id)
    auth.login(MENTOR_EMAIL)
    response = client.post(f"/sessions/{session_id}/new-link", headers=headers)
    assert response.status_code == 409
    assert OWN_LINK_STAYS in response.get_data(as_text=True)
    assert state_of(app, session_id) == before


def test_the_mentee_reads_no_note_about_the_mentors_link(client, auth, clock, as_mentor, as_mentee, mentor):
    session_id = own_link_session(as_mentor, as_mentee, mentor)
    auth.login(MENTEE_EMAIL)
    assert "own-link-note" not in client.get(f"/sessions/{session_id}").get_data(as_text=True)


# The API ------------------------------------------------------------------------------------


def test_generate_link_for_an_own_link_session_is_409_for_the_mentor_and_an_admin(
    app, clock, api_as, people, as_mentor, as_mentee, mentor
):
    session_id = own_link_session(as_mentor, as_mentee, mentor)
    before = state_of(app, session_id)
    admin = api_as(people.make("admin", "Ada Admin"))
    for caller in (as_mentor, admin):
        response = caller.post(f"/api/mentoring/session/{session_id}/generate-link")
        assert response.status_code == 409
        assert response.json["error"] == "own_meeting_link"
        assert response.json["message"].startswith(
            "This session meets at the mentor's own meeting link, which meetapp cannot replace"
        )
        assert OWN_LINK not in response.get_data(as_text=True)
    assert state_of(app, session_id) == before
