"""The mentor's Zoom and Google accounts through the JSON API, with both providers connected to the fakes."""
import pytest

from meetapp.extensions import db
from meetapp.models import MentorProfile
from tests.provider_fixtures import google_refresh_token_config, google_service_account_config, zoom_config
from tests.providers.fakes import GOOGLE_CLIENT_ID
from tests.support import running_app

SETTINGS = "/api/mentoring/me/video-settings"


@pytest.fixture
def app(request, database_url, fake_zoom, fake_google):
    """Zoom and Google Meet through a service account; with the parameter "refresh token", Google through one account."""
    refresh = getattr(request, "param", None) == "refresh token"
    google = google_refresh_token_config if refresh else google_service_account_config
    with running_app(database_url, **(zoom_config(fake_zoom) | google(fake_google))) as app:
        yield app


def saved(app, mentor_id: int) -> tuple[str, str | None, str | None]:
    with app.app_context():
        profile = db.session.get(MentorProfile, mentor_id)
        return profile.video_provider, profile.zoom_user, profile.google_user


def test_get_shows_the_accounts_and_never_asks_a_provider(as_mentor, fake_zoom, fake_google):
    assert as_mentor.put(SETTINGS, json={"provider": "zoom", "zoomUser": "ada@example.com"}).status_code == 200
    fake_zoom.requests.clear()
    body = as_mentor.get(SETTINGS).json
    assert body == {
        "provider": "zoom",
        "manualMeetingUrl": None,
        "previewUrl": "https://zoom.us/j/…",
        "zoomUser": "ada@example.com",
        "googleUser": None,
        "connection": None,
    }
    assert fake_zoom.requests == [] and fake_google.requests == []


def test_put_checks_the_zoom_user_and_says_who_meetings_are_made_as(app, as_mentor, mentor, fake_zoom):
    response = as_mentor.put(SETTINGS, json={"provider": "zoom", "zoomUser": "ada@example.com"})
    assert response.status_code == 200
    body = response.json
    assert body["connection"] == "Zoom user ada@example.com (Ada Lovelace)"
    assert (body["zoomUser"], body["googleUser"], body["sessionsUpdated"]) == ("ada@example.com", None, 0)
    assert "notice" not in body and "warning" not in body
    assert saved(app, mentor) == ("zoom", "ada@example.com", None)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"provider": "zoom"}, "zoomUser", "Enter the email of your Zoom user."),
        ({"provider": "zoom", "zoomUser": ""}, "zoomUser", "Enter the email of your Zoom user."),
        ({"provider": "zoom", "zoomUser": None}, "zoomUser", "Enter the email of your Zoom user."),
        ({"provider": "zoom", "zoomUser": "ada"}, "zoomUser", "such as name@example.com"),
        ({"provider": "zoom", "zoomUser": 5}, "zoomUser", "Give the email as text."),
        ({"provider": "zoom", "zoomUser": ["ada@example.com"]}, "zoomUser", "Give the email as text."),
        ({"provider": "zoom", "zoomUser": "nobody@example.com"}, "zoomUser", "No Zoom user nobody@example.com"),
        ({"provider": "jitsi", "googleUser": "x" * 250 + "@example.com"}, "googleUser", "at most 254 characters"),
        ({"provider": "google"}, "googleUser", "Enter the email of your Google Workspace user."),
        ({"provider": "google", "googleUser": "eve@example.com"}, "googleUser", "Google refused to act for eve@"),
    ],
)
def test_a_refused_account_is_400_with_fields_and_saves_nothing(app, as_mentor, mentor, body, field, message):
    response = as_mentor.put(SETTINGS, json=body)
    assert response.status_code == 400
    assert response.json["error"] == "validation_error"
    assert message in response.json["fields"][field]
    assert saved(app, mentor) == ("jitsi", None, None)


def test_zoom_refusing_the_app_is_400_on_the_account(app, as_mentor, mentor, fake_zoom):
    fake_zoom.accept_tokens = False
    response = as_mentor.put(SETTINGS, json={"provider": "zoom", "zoomUser": "ada@example.com"})
    assert response.status_code == 400
    assert "Zoom refused the app's access" in response.json["fields"]["zoomUser"]
    assert saved(app, mentor) == ("jitsi", None, None)


def test_zoom_that_does_not_answer_saves_with_a_warning(app, as_mentor, mentor, fake_zoom):
    fake_zoom.fail(times=3, status=503)
    response = as_mentor.put(SETTINGS, json={"provider": "zoom", "zoomUser": "ada@example.com"})
    assert response.status_code == 200
    assert response.json["connection"] is None
    assert response.json["warning"].startswith("Zoom did not answer (Zoom had a server error (HTTP 503));")
    assert saved(app, mentor) == ("zoom", "ada@example.com", None)


def test_zoom_rate_limiting_saves_with_a_warning(app, as_mentor, mentor, fake_zoom):
    fake_zoom.rate_limit(times=3, retry_after="60")
    response = as_mentor.put(SETTINGS, json={"provider": "zoom", "zoomUser": "ada@example.com"})
    assert response.status_code == 200
    assert "Zoom is rate limiting meetapp" in response.json["warning"]
    assert saved(app, mentor) == ("zoom", "ada@example.com", None)


def test_an_omitted_account_is_kept_and_null_clears_it(app, as_mentor, mentor):
    as_mentor.put(SETTINGS, json={"provider": "google", "googleUser": "bob@example.com"})
    kept = as_mentor.put(SETTINGS, json={"provider": "google"})
    assert (kept.status_code, kept.json["googleUser"]) == (200, "bob@example.com")
    assert kept.json["connection"] == "Google Workspace user bob@example.com"
    cleared = as_mentor.put(SETTINGS, json={"provider": "jitsi", "googleUser": None})
    assert (cleared.status_code, cleared.json["googleUser"]) == (200, None)
    assert saved(app, mentor) == ("jitsi", None, None)


@pytest.mark.parametrize("app", ["refresh token"], indirect=True)
def test_google_through_one_account_needs_no_user(app, as_mentor, mentor):
    response = as_mentor.put(SETTINGS, json={"provider": "google"})
    assert response.status_code == 200
    assert response.json["connection"] == f"Google account connected through OAuth client {GOOGLE_CLIENT_ID}"
    assert response.json["previewUrl"] == "https://meet.google.com/…"
    assert saved(app, mentor) == ("google", None, None)
