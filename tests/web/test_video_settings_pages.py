"""The video settings page: choosing a provider, the live preview, and applying it to upcoming sessions."""
import re

import pytest

from meetapp.extensions import db
from meetapp.models import MentoringSession, MentorProfile
from tests.support import MENTEE_EMAIL, MENTOR_EMAIL
from tests.web.helpers import (
    HTMX,
    checked_provider,
    field_errors,
    logged_in_csrf_client,
    preview,
    preview_error,
    save,
)

LINK_FIELD = 'name="manual_url"'
# The form of a session's room address: "…" for each session's own name, never a real-looking room.
EXAMPLE_ROOM = '<code class="preview-url">https://meet.jit.si/meetapp-session-…</code>'
A_REAL_LOOKING_ROOM = re.compile(r"meet\.jit\.si/meetapp-session-[a-z0-9]")
ZOOM_NOTICE = "Zoom is not connected; sessions use Jitsi."
BOOKING = {"startsAt": "2026-11-24T15:00:00Z", "durationMinutes": 60}


def saved_choice(app, mentor_id: int) -> tuple[str, str | None]:
    with app.app_context():
        profile = db.session.get(MentorProfile, mentor_id)
        return profile.video_provider, profile.manual_meeting_url


def stored_session(app, session_id: str) -> MentoringSession:
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        db.session.expunge(session)
        return session


def book_via_api(api_as, mentee_id: int, mentor_id: int) -> str:
    response = api_as(mentee_id).post("/api/mentoring/sessions", json={"mentorId": mentor_id, **BOOKING})
    assert response.status_code == 201
    return response.get_json()["session"]["id"]


# The page -----------------------------------------------------------------------------


def test_video_page_starts_with_jitsi_and_no_link_field(client, auth, mentor):
    auth.login(MENTOR_EMAIL)
    response = client.get("/settings/video")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert checked_provider(page) == "jitsi"
    assert LINK_FIELD not in page
    assert "No account needed." in page
    assert "Google Meet is not connected; sessions use Jitsi." in page
    assert "Zoom is not connected; sessions use Jitsi." in page
    assert "My own meeting link" in page
    assert EXAMPLE_ROOM in page.split("Sessions will meet at:")[1]
    assert not A_REAL_LOOKING_ROOM.search(page)
    assert "(each session gets its own room, with its own name where the “…” is)" in page
    assert 'hx-post="/settings/video/preview" hx-trigger="change" hx-target="#video-details"' in page
    assert "Right now:" not in page


def test_video_page_is_403_for_a_mentee(client, auth, app, mentor, mentee):
    auth.login(MENTEE_EMAIL)
    for response in (
        client.get("/settings/video"),
        save(client, provider="zoom"),
        preview(client, provider="jitsi"),
    ):
        assert response.status_code == 403
        assert "Only mentors choose how their sessions meet." in response.get_data(as_text=True)
    assert saved_choice(app, mentor) == ("jitsi", None)


def test_settings_page_links_to_video_settings_for_mentors_only(client, auth, mentor, mentee):
    auth.login(MENTOR_EMAIL)
    assert 'href="/settings/video"' in client.get("/settings/").get_data(as_text=True)
    auth.logout()
    auth.login(MENTEE_EMAIL)
    assert 'href="/settings/video"' not in client.get("/settings/").get_data(as_text=True)


def test_choosing_zoom_saves_and_says_sessions_use_jitsi(client, auth, app, mentor):
    auth.login(MENTOR_EMAIL)
    response = save(client, provider="zoom")
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings/video"
    assert saved_choice(app, mentor) == ("zoom", None)
    page = client.get("/settings/video").get_data(as_text=True)
    assert '<p class="flash flash-success">Saved. Zoom is not connected; sessions use Jitsi.</p>' in page
    assert checked_provider(page) == "zoom"
    # Said once on the page, by the Zoom choice: neither a "Right now" box nor the preview repeats it.
    again = client.get("/settings/video").get_data(as_text=True)
    assert again.count(ZOOM_NOTICE) == 1
    assert f'<span class="choice-note choice-note-warning" id="provider-2-note">{ZOOM_NOTICE}</span>' in again
    assert "Right now:" not in again
    assert EXAMPLE_ROOM in again
    assert LINK_FIELD not in page


def test_own_link_is_saved_as_rebuilt_from_its_parts(client, auth, app, mentor):
    auth.login(MENTOR_EMAIL)
    response = save(client, provider="manual", manual_url="HTTPS://Zoom.us/j/123")
    assert response.status_code == 302
    assert saved_choice(app, mentor) == ("manual", "https://zoom.us/j/123")
    page = client.get("/settings/video").get_data(as_text=True)
    assert "Saved. New sessions will meet at your own meeting link." in page
    assert checked_provider(page) == "manual"
    assert re.search(r'<input [^>]*name="manual_url"[^>]*type="url" value="https://zoom.us/j/123"', page)
    assert "Sessions will meet at: <code class=\"preview-url\">https://zoom.us/j/123</code>" in page
    assert "(each session gets its own room)" not in page


@pytest.mark.parametrize("data", [{"provider": "manual"}, {"provider": "manual", "manual_url": "  "}])
def test_own_link_without_a_link_is_400_with_the_field_shown(client, auth, app, mentor, data):
    """Without JavaScript the field is not on the page yet when "My own meeting link" is picked."""
    auth.login(MENTOR_EMAIL)
    response = save(client, **data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<html" in page
    assert LINK_FIELD in page
    assert "Enter the link to your meeting room" in field_errors(page, "manual_url")
    assert re.search(r'aria-describedby="[^"]*manual_url-error', page)
    assert checked_provider(page) == "manual"
    assert saved_choice(app, mentor) == ("jitsi", None)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("javascript:alert(1)", "Only https:// links are accepted."),
        ("data:text/html,x", "Only https:// links are accepted."),
        ("http://zoom.us/j/1", "Only https:// links are accepted."),
        (r"https://evil.example\@meet.google.com/x", "backslash"),
        ("https://meet.google.com@evil.example/x", "The link contains '@'"),
        ("https://zoom.us:8443/j/1", "Links with a port number are not accepted"),
        ("https://zoom.us./j/1", "The host name ends with a dot"),
        ("https://zoom.us/j/1 2", "spaces or hidden characters"),
    ],
)
def test_a_dangerous_link_is_refused_next_to_the_field(client, auth, app, mentor, url, message):
    auth.login(MENTOR_EMAIL)
    save(client, provider="manual", manual_url="https://zoom.us/j/999")
    response = save(client, provider="manual", manual_url=url, apply_to_upcoming="y")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message.replace("'", "&#39;") in field_errors(page, "manual_url")
    assert saved_choice(app, mentor) == ("manual", "https://zoom.us/j/999")


def test_after_a_refused_link_the_preview_says_why_that_link_cannot_be_used(client, auth, app, mentor):
    auth.login(MENTOR_EMAIL)
    page = save(client, provider="manual", manual_url="http://zoom.us/j/1").get_data(as_text=True)
    assert re.search(r'<input [^>]*name="manual_url"[^>]*value="http://zoom.us/j/1"', page)
    assert preview_error(page) == "This link cannot be used: Only https:// links are accepted."
    assert "Enter your meeting link" not in page
    # The live preview says the same while the link is typed.
    fragment = preview(client, provider="manual", manual_url="http://zoom.us/j/1").get_data(as_text=True)
    assert preview_error(fragment) == "This link cannot be used: Only https:// links are accepted."


def test_after_an_unknown_provider_the_preview_says_so_too(client, auth, mentor):
    auth.login(MENTOR_EMAIL)
    page = save(client, provider="skype").get_data(as_text=True)
    assert preview_error(page) == "Choose Jitsi, Google Meet, Zoom or your own meeting link."
    assert "Enter your meeting link" not in page


def test_the_example_address_is_the_same_form_every_time_and_in_the_api(client, auth, api_as, mentor):
    auth.login(MENTOR_EMAIL)
    first, second = (client.get("/settings/video").get_data(as_text=True) for _ in range(2))
    assert EXAMPLE_ROOM in first and EXAMPLE_ROOM in second
    body = api_as(mentor).get("/api/mentoring/me/video-settings").json
    assert body["previewUrl"] == "https://meet.jit.si/meetapp-session-…"


def test_an_unknown_host_is_saved_with_a_warning(client, auth, app, mentor):
    auth.login(MENTOR_EMAIL)
    response = save(client, provider="manual", manual_url="https://example.org/room")
    assert response.status_code == 302
    assert saved_choice(app, mentor) == ("manual", "https://example.org/room")
    page = client.get("/settings/video").get_data(as_text=True)
    assert re.search(r'<p class="flash flash-warning">example\.org is not a meeting service we know', page)


def test_an_unknown_provider_is_a_field_error(client, auth, app, mentor):
    auth.login(MENTOR_EMAIL)
    response = save(client, provider="skype")
    assert response.status_code == 400
    assert "Choose Jitsi, Google Meet, Zoom or your own meeting link." in field_errors(
        response.get_data(as_text=True), "provider"
    )
    assert saved_choice(app, mentor) == ("jitsi", None)


def test_another_provider_keeps_the_saved_link(client, auth, app, mentor):
    auth.login(MENTOR_EMAIL)
    save(client, provider="manual", manual_url="https://zoom.us/j/123")
    assert save(client, provider="google").status_code == 302
    assert saved_choice(app, mentor) == ("google", "https://zoom.us/j/123")
    # Back to the own link without the field on the page (no JavaScript): the saved link is used.
    assert save(client, provider="manual").status_code == 302
    assert saved_choice(app, mentor) == ("manual", "https://zoom.us/j/123")


# The preview fragment -----------------------------------------------------------------


def test_preview_for_jitsi_is_an_example_room_in_a_fragment(client, auth, app, mentor):
    auth.login(MENTOR_EMAIL)
    response = preview(client, provider="jitsi")
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="video-details"')
    assert "<html" not in fragment
    assert LINK_FIELD not in fragment
    assert EXAMPLE_ROOM in fragment
    assert not A_REAL_LOOKING_ROOM.search(fragment)
    assert "(each session gets its own room, with its own name where the “…” is)" in fragment


def test_preview_for_zoom_shows_the_jitsi_room_it_falls_back_to(client, auth, app, mentor):
    auth.login(MENTOR_EMAIL)
    fragment = preview(client, provider="zoom", manual_url="javascript:half-typed").get_data(as_text=True)
    # The Zoom choice on the page says it is not connected; the fragment swapped in beside it does not repeat it.
    assert ZOOM_NOTICE not in fragment
    assert EXAMPLE_ROOM in fragment
    assert preview_error(fragment) == ""
    assert saved_choice(app, mentor) == ("jitsi", None)


def test_switching_to_an_own_link_brings_the_field_without_an_error_yet(client, auth, app, mentor):
    auth.login(MENTOR_EMAIL)
    fragment = preview(client, provider="manual").get_data(as_text=True)
    assert "<html" not in fragment
    field = re.search(r'<input [^>]*name="manual_url"[^>]*>', fragment).group(0)
    assert 'type="url"' in field
    assert 'hx-post="/settings/video/preview"' in field
    assert 'hx-trigger="input changed delay:300ms"' in field
    # Typing swaps only the preview, never the input itself.
    assert 'hx-target="#video-preview"' in field
    assert 'hx-select="#video-preview &gt; *"' in field and 'hx-swap="innerHTML"' in field
    assert "Your meeting link" in fragment
    assert preview_error(fragment) == ""
    assert "Enter your meeting link to see where sessions will meet." in fragment


def test_switching_back_to_an_own_link_shows_the_saved_one(client, auth, app, mentor):
    auth.login(MENTOR_EMAIL)
    save(client, provider="manual", manual_url="https://zoom.us/j/123")
    save(client, provider="zoom")
    fragment = preview(client, provider="manual").get_data(as_text=True)
    assert re.search(r'<input [^>]*name="manual_url"[^>]*value="https://zoom.us/j/123"', fragment)
    assert '<code class="preview-url">https://zoom.us/j/123</code>' in fragment


def test_preview_shows_the_typed_link_and_saves_nothing(client, auth, app, mentor):
    auth.login(MENTOR_EMAIL)
    response = preview(client, provider="manual", manual_url="HTTPS://Zoom.us/j/123")
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment
    assert '<div id="video-preview"' in fragment
    assert "Sessions will meet at: <code class=\"preview-url\">https://zoom.us/j/123</code>" in fragment
    assert saved_choice(app, mentor) == ("jitsi", None)


def test_preview_shows_a_warning_for_an_unknown_host(client, auth, app, mentor):
    auth.login(MENTOR_EMAIL)
    fragment = preview(client, provider="manual", manual_url="https://example.org/room").get_data(as_text=True)
    assert '<code class="preview-url">https://example.org/room</code>' in fragment
    assert '<p class="preview-warning">example.org is not a meeting service we know.' in fragment
    assert saved_choice(app, mentor) == ("jitsi", None)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("javascript:alert(1)", "Only https:// links are accepted."),
        ("https://meet.google.com@evil.example/x", "which can hide the real site"),
        ("https://zoom.us:8443/j/1", "Links with a port number are not accepted"),
        ("", "Enter the link to your meeting room"),
    ],
)
def test_preview_shows_a_refused_link_inline_with_200(client, auth, app, mentor, url, message):
    auth.login(MENTOR_EMAIL)
    response = preview(client, provider="manual", manual_url=url)
    # htmx 2 swaps only 2xx answers: the refusal is content, not a status.
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert message in preview_error(fragment)
    assert "preview-url" not in fragment
    assert saved_choice(app, mentor) == ("jitsi", None)


# Applying to upcoming sessions --------------------------------------------------------


def test_applying_to_upcoming_gives_booked_sessions_the_new_link(client, auth, app, clock, api_as, mentor, mentee):
    session_id = book_via_api(api_as, mentee, mentor)
    before = stored_session(app, session_id)
    assert before.meeting_kind == "jitsi"
    auth.login(MENTOR_EMAIL)
    response = save(client, provider="manual", manual_url="https://zoom.us/j/777", apply_to_upcoming="y")
    assert response.status_code == 302
    after = stored_session(app, session_id)
    assert after.video_provider == "manual"
    assert after.meeting_kind == "manual"
    assert after.meeting_url == "https://zoom.us/j/777"
    assert after.link_version == before.link_version + 1
    page = client.get("/settings/video").get_data(as_text=True)
    assert "1 upcoming session got new meeting links; links sent for them earlier no longer work." in page


def test_without_applying_booked_sessions_keep_their_meeting(client, auth, app, clock, api_as, mentor, mentee):
    session_id = book_via_api(api_as, mentee, mentor)
    before = stored_session(app, session_id)
    auth.login(MENTOR_EMAIL)
    assert save(client, provider="manual", manual_url="https://zoom.us/j/777").status_code == 302
    after = stored_session(app, session_id)
    assert (after.meeting_kind, after.meeting_room, after.meeting_url, after.link_version) == (
        "jitsi",
        before.meeting_room,
        None,
        before.link_version,
    )
    assert "got new meeting links" not in client.get("/settings/video").get_data(as_text=True)


def test_applying_with_no_upcoming_sessions_says_so(client, auth, app, clock, mentor):
    auth.login(MENTOR_EMAIL)
    save(client, provider="google", apply_to_upcoming="y")
    page = client.get("/settings/video").get_data(as_text=True)
    assert "Saved. Google Meet is not connected; sessions use Jitsi. You have no upcoming sessions to change." in page


# CSRF ---------------------------------------------------------------------------------


def test_saving_needs_the_csrf_token(csrf_app):
    client, mentor_id = logged_in_csrf_client(csrf_app)
    page = client.get("/settings/video").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/settings/video"[^>]*>\s*<input [^>]*>', page).group(0)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)

    refused = save(client, provider="zoom")
    assert refused.status_code == 400
    assert "Your form expired" in refused.get_data(as_text=True)
    assert saved_choice(csrf_app, mentor_id) == ("jitsi", None)

    accepted = save(client, provider="zoom", csrf_token=token)
    assert accepted.status_code == 302
    assert saved_choice(csrf_app, mentor_id) == ("zoom", None)


def test_the_htmx_preview_needs_the_csrf_header(csrf_app):
    client, _ = logged_in_csrf_client(csrf_app)
    page = client.get("/settings/video").get_data(as_text=True)
    header_token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)

    refused = preview(client, provider="manual")
    assert refused.status_code == 400
    assert LINK_FIELD not in refused.get_data(as_text=True)

    accepted = client.post(
        "/settings/video/preview", data={"provider": "manual"}, headers={**HTMX, "X-CSRFToken": header_token}
    )
    assert accepted.status_code == 200
    assert LINK_FIELD in accepted.get_data(as_text=True)
