"""The video settings page with Zoom and Google Meet connected (to the fake servers): the mentor's account,
checked with the provider on save and in the preview, never on the plain page."""
import re

import pytest

from meetapp.extensions import db
from meetapp.models import MentorProfile
from tests.provider_fixtures import (
    google_refresh_token_config,
    google_service_account_config,
    zoom_config,
)
from tests.providers.fakes import GOOGLE_CLIENT_ID
from tests.support import MENTOR_EMAIL, running_app
from tests.web.helpers import (
    HTMX,
    checked_provider,
    field_errors,
    logged_in_csrf_client,
    preview,
    preview_error,
    save,
)

ZOOM_FIELD = 'name="zoom_user"'
GOOGLE_FIELD = 'name="google_user"'
CONNECTED_AS_ADA = "Connected as Zoom user ada@example.com (Ada Lovelace)."


@pytest.fixture
def app(request, database_url, fake_zoom, fake_google):
    """Zoom and Google Meet (a service account) connected to the fakes; `indirect` parameters change that:
    "refresh token" (Google through one account), "wrong zoom secret", "not connected"."""
    setup = getattr(request, "param", "service account")
    config = {}
    if setup in ("service account", "refresh token"):
        config |= zoom_config(fake_zoom)
    if setup == "service account":
        config |= google_service_account_config(fake_google)
    if setup == "refresh token":
        config |= google_refresh_token_config(fake_google)
    if setup == "wrong zoom secret":
        config |= zoom_config(fake_zoom, ZOOM_CLIENT_SECRET="not-the-secret")
    with running_app(database_url, **config) as app:
        yield app


@pytest.fixture
def mentor_in(client, auth, mentor):
    auth.login(MENTOR_EMAIL)
    return mentor


def saved(app, mentor_id: int) -> tuple[str, str | None, str | None]:
    with app.app_context():
        profile = db.session.get(MentorProfile, mentor_id)
        return profile.video_provider, profile.zoom_user, profile.google_user


def flashes(page: str, kind: str) -> list[str]:
    return re.findall(rf'<p class="flash flash-{kind}">(.*?)</p>', page, re.S)


def account_input(page: str, name: str) -> str:
    return re.search(rf'<input [^>]*name="{name}"[^>]*>', page).group(0)


# The page, which never asks a provider ------------------------------------------------------------


def test_connected_providers_are_offered_without_a_not_connected_note(client, mentor_in, fake_zoom, fake_google):
    page = client.get("/settings/video").get_data(as_text=True)
    assert "is not connected" not in page
    assert "A Zoom meeting for each session, made on your Zoom user." in page
    assert "A provider that is not connected can still be chosen" not in page
    assert ZOOM_FIELD not in page and GOOGLE_FIELD not in page
    assert fake_zoom.requests == [] and fake_google.requests == []


def test_the_page_shows_the_saved_account_without_asking_zoom(client, mentor_in, fake_zoom):
    assert save(client, provider="zoom", zoom_user="ada@example.com").status_code == 302
    client.get("/settings/video")  # shows the flashed "Connected as …" once
    fake_zoom.requests.clear()
    page = client.get("/settings/video").get_data(as_text=True)
    assert checked_provider(page) == "zoom"
    field = account_input(page, "zoom_user")
    assert 'type="email"' in field and 'value="ada@example.com"' in field
    assert 'aria-describedby="zoom_user-hint"' in field
    assert re.search(r'<label for="zoom_user">Your Zoom user \(email\)</label>', page)
    assert '<code class="preview-url">https://zoom.us/j/…</code>' in page
    assert "each session gets its own Zoom meeting, made when it is booked" in page
    assert "Connected as" not in page and "Right now:" not in page
    assert fake_zoom.requests == []


def test_a_zoom_mentor_without_an_account_is_told_sessions_use_jitsi(app, client, mentor_in, fake_zoom):
    with app.app_context():
        db.session.get(MentorProfile, mentor_in).video_provider = "zoom"
        db.session.commit()
    page = client.get("/settings/video").get_data(as_text=True)
    assert '<p class="preview-notice">Enter your Zoom user to have Zoom meetings made; until then sessions use Jitsi.</p>' in page
    assert "Right now:" not in page
    assert ZOOM_FIELD in page
    assert '<code class="preview-url">https://meet.jit.si/meetapp-session-…</code>' in page.split("Sessions will meet at:")[1]
    assert fake_zoom.requests == []


# Saving -------------------------------------------------------------------------------------------


def test_saving_zoom_checks_the_user_and_says_who_meetings_are_made_as(app, client, mentor_in, fake_zoom):
    response = save(client, provider="zoom", zoom_user="  Ada@Example.COM ")
    assert response.status_code == 302
    assert saved(app, mentor_in) == ("zoom", "Ada@example.com", None)
    assert [r.path for r in fake_zoom.sent("GET")] == ["/v2/users/Ada@example.com"]
    page = client.get("/settings/video").get_data(as_text=True)
    assert flashes(page, "success") == [f"Saved. New sessions will meet on Zoom. {CONNECTED_AS_ADA}"]


def test_zoom_without_an_account_is_refused_next_to_the_field(app, client, mentor_in, fake_zoom):
    response = save(client, provider="zoom")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Enter the email of your Zoom user." in field_errors(page, "zoom_user")
    field = account_input(page, "zoom_user")
    assert re.search(r'aria-describedby="zoom_user-hint zoom_user-error"', field)
    assert 'aria-invalid="true"' in field
    assert saved(app, mentor_in) == ("jitsi", None, None)
    assert fake_zoom.requests == []


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("ada", "Enter the email of your Zoom user, such as name@example.com."),
        ("ada@", "Enter the email of your Zoom user, such as name@example.com."),
        ("a" * 250 + "@example.com", "An email has at most 254 characters."),
    ],
)
def test_a_malformed_zoom_user_is_refused_without_asking_zoom(app, client, mentor_in, fake_zoom, typed, message):
    response = save(client, provider="zoom", zoom_user=typed)
    assert response.status_code == 400
    assert message in field_errors(response.get_data(as_text=True), "zoom_user")
    assert saved(app, mentor_in) == ("jitsi", None, None)
    assert fake_zoom.requests == []


def test_an_unknown_zoom_user_is_refused_and_nothing_is_saved(app, client, mentor_in, fake_zoom):
    save(client, provider="zoom", zoom_user="ada@example.com")
    response = save(client, provider="zoom", zoom_user="nobody@example.com", apply_to_upcoming="y")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "No Zoom user nobody@example.com in this account." in field_errors(page, "zoom_user")
    assert 'value="nobody@example.com"' in account_input(page, "zoom_user")
    assert saved(app, mentor_in) == ("zoom", "ada@example.com", None)


@pytest.mark.parametrize("app", ["wrong zoom secret"], indirect=True)
def test_credentials_zoom_refuses_are_an_error_next_to_the_account(app, client, mentor_in, fake_zoom):
    response = save(client, provider="zoom", zoom_user="ada@example.com")
    assert response.status_code == 400
    errors = field_errors(response.get_data(as_text=True), "zoom_user")
    assert "Zoom refused the app&#39;s credentials (Invalid client_id or client_secret)" in errors
    assert "not-the-secret" not in response.get_data(as_text=True)
    assert saved(app, mentor_in) == ("jitsi", None, None)


def test_zoom_refusing_the_app_s_token_is_an_error(app, client, mentor_in, fake_zoom):
    fake_zoom.accept_tokens = False
    response = save(client, provider="zoom", zoom_user="ada@example.com")
    assert response.status_code == 400
    assert "Zoom refused the app&#39;s access" in field_errors(response.get_data(as_text=True), "zoom_user")
    assert saved(app, mentor_in) == ("jitsi", None, None)


def test_zoom_that_does_not_answer_saves_the_account_with_a_warning(app, client, mentor_in, fake_zoom):
    fake_zoom.fail(times=3, status=503)
    response = save(client, provider="zoom", zoom_user="ada@example.com")
    assert response.status_code == 302
    assert saved(app, mentor_in) == ("zoom", "ada@example.com", None)
    page = client.get("/settings/video").get_data(as_text=True)
    assert flashes(page, "success") == ["Saved. New sessions will meet on Zoom."]
    assert flashes(page, "warning") == [
        "Zoom did not answer (Zoom had a server error (HTTP 503)); the account is saved and checked again"
        " when meetings are made."
    ]


def test_leaving_zoom_keeps_the_account(app, client, mentor_in, fake_zoom):
    save(client, provider="zoom", zoom_user="ada@example.com")
    assert save(client, provider="jitsi").status_code == 302
    assert saved(app, mentor_in) == ("jitsi", "ada@example.com", None)
    # Back to Zoom without the field on the page (no JavaScript): the saved account is checked and used.
    fake_zoom.requests.clear()
    assert save(client, provider="zoom").status_code == 302
    assert saved(app, mentor_in) == ("zoom", "ada@example.com", None)
    assert len(fake_zoom.sent("GET", "/v2/users/")) == 1


def test_google_with_a_service_account_needs_and_checks_the_workspace_user(app, client, mentor_in, fake_google):
    refused = save(client, provider="google")
    assert refused.status_code == 400
    assert "Enter the email of your Google Workspace user." in field_errors(refused.get_data(as_text=True), "google_user")
    stranger = save(client, provider="google", google_user="eve@example.com")
    assert stranger.status_code == 400
    assert "Google refused to act for eve@example.com" in field_errors(stranger.get_data(as_text=True), "google_user")
    assert saved(app, mentor_in) == ("jitsi", None, None)

    assert save(client, provider="google", google_user="bob@example.com").status_code == 302
    assert saved(app, mentor_in) == ("google", None, "bob@example.com")
    page = client.get("/settings/video").get_data(as_text=True)
    assert flashes(page, "success") == [
        "Saved. New sessions will meet on Google Meet. Connected as Google Workspace user bob@example.com."
    ]
    assert 'value="bob@example.com"' in account_input(page, "google_user")
    assert ZOOM_FIELD not in page


def test_google_refusing_delegation_is_an_error(app, client, mentor_in, fake_google):
    fake_google.delegation_allowed = False
    response = save(client, provider="google", google_user="ada@example.com")
    assert response.status_code == 400
    assert "may not act for users of this Workspace" in field_errors(response.get_data(as_text=True), "google_user")


@pytest.mark.parametrize("app", ["refresh token"], indirect=True)
def test_google_through_one_account_needs_no_user(app, client, mentor_in, fake_google):
    response = save(client, provider="google")
    assert response.status_code == 302
    assert saved(app, mentor_in) == ("google", None, None)
    page = client.get("/settings/video").get_data(as_text=True)
    assert flashes(page, "success") == [
        f"Saved. New sessions will meet on Google Meet. Connected as Google account connected through OAuth client"
        f" {GOOGLE_CLIENT_ID}."
    ]
    assert GOOGLE_FIELD not in page
    fragment = preview(client, provider="google").get_data(as_text=True)
    assert f'<p class="preview-connection">Connected as Google account connected through OAuth client {GOOGLE_CLIENT_ID}.</p>' in fragment
    assert '<code class="preview-url">https://meet.google.com/…</code>' in fragment


@pytest.mark.parametrize("app", ["refresh token"], indirect=True)
def test_a_revoked_refresh_token_refuses_google(app, client, mentor_in, fake_google):
    fake_google.refresh_tokens.clear()
    response = save(client, provider="google")
    assert response.status_code == 400
    assert "Google refused the refresh token" in field_errors(response.get_data(as_text=True), "provider")
    assert saved(app, mentor_in) == ("jitsi", None, None)


@pytest.mark.parametrize("app", ["not connected"], indirect=True)
def test_without_credentials_zoom_is_a_stand_in_and_needs_no_account(app, client, mentor_in, fake_zoom):
    page = client.get("/settings/video").get_data(as_text=True)
    assert "Zoom is not connected; sessions use Jitsi." in page
    response = save(client, provider="zoom")
    assert response.status_code == 302
    assert saved(app, mentor_in) == ("zoom", None, None)
    page = client.get("/settings/video").get_data(as_text=True)
    assert flashes(page, "success") == ["Saved. Zoom is not connected; sessions use Jitsi."]
    assert ZOOM_FIELD not in page
    fragment = preview(client, provider="zoom").get_data(as_text=True)
    # Said once on the page, by the Zoom choice: the preview swapped in beside it does not repeat it.
    assert "Zoom is not connected" not in fragment
    assert ZOOM_FIELD not in fragment
    assert fake_zoom.requests == []


# The preview ------------------------------------------------------------------------------------


def test_switching_to_zoom_checks_the_saved_account(app, client, mentor_in, fake_zoom):
    save(client, provider="zoom", zoom_user="ada@example.com")
    save(client, provider="jitsi")
    fake_zoom.requests.clear()
    response = preview(client, provider="zoom")
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="video-details"')
    field = account_input(fragment, "zoom_user")
    assert 'value="ada@example.com"' in field
    assert 'aria-describedby="zoom_user-hint zoom_user-connection"' in field
    assert 'hx-post="/settings/video/preview"' in field and 'hx-trigger="change"' in field
    assert 'hx-target="#video-details"' in field and 'hx-swap="outerHTML"' in field
    assert f'<p class="field-connection" id="zoom_user-connection" role="status">{CONNECTED_AS_ADA}</p>' in fragment
    assert len(fake_zoom.sent("GET", "/v2/users/")) == 1
    assert saved(app, mentor_in) == ("jitsi", "ada@example.com", None)


def test_switching_to_zoom_without_an_account_asks_for_one_without_an_error(app, client, mentor_in, fake_zoom):
    fragment = preview(client, provider="zoom").get_data(as_text=True)
    assert ZOOM_FIELD in fragment
    assert field_errors(fragment, "zoom_user") == "" and preview_error(fragment) == ""
    assert "Enter your Zoom user to have Zoom meetings made; until then sessions use Jitsi." in fragment
    assert fake_zoom.requests == []


def test_the_preview_checks_a_typed_account_and_saves_nothing(app, client, mentor_in, fake_zoom):
    fragment = preview(client, provider="zoom", zoom_user="ada@example.com").get_data(as_text=True)
    assert CONNECTED_AS_ADA in fragment
    assert saved(app, mentor_in) == ("jitsi", None, None)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("nobody@example.com", "No Zoom user nobody@example.com in this account."),
        ("nobody", "Enter the email of your Zoom user, such as name@example.com."),
    ],
)
def test_the_preview_shows_a_refused_account_next_to_the_field(app, client, mentor_in, typed, message):
    response = preview(client, provider="zoom", zoom_user=typed)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert message in field_errors(fragment, "zoom_user")
    field = account_input(fragment, "zoom_user")
    assert 'aria-describedby="zoom_user-hint zoom_user-error"' in field and 'aria-invalid="true"' in field
    assert preview_error(fragment) == ""
    assert "Connected as" not in fragment
    assert saved(app, mentor_in) == ("jitsi", None, None)


def test_the_preview_says_when_zoom_does_not_answer(app, client, mentor_in, fake_zoom):
    fake_zoom.fail(times=3, status=503)
    fragment = preview(client, provider="zoom", zoom_user="ada@example.com").get_data(as_text=True)
    assert "Zoom had a server error (HTTP 503)." in field_errors(fragment, "zoom_user")


def test_another_provider_in_the_preview_takes_the_account_field_away(app, client, mentor_in, fake_zoom):
    fragment = preview(client, provider="jitsi", zoom_user="nobody@example.com").get_data(as_text=True)
    assert ZOOM_FIELD not in fragment
    assert field_errors(fragment, "zoom_user") == ""
    assert fake_zoom.requests == []


# Escaping -----------------------------------------------------------------------------------------


def test_what_zoom_says_and_what_was_typed_are_escaped(app, client, mentor_in, fake_zoom):
    fake_zoom.add_user("eve@example.com", "<script>alert(1)</script>", "<b>x</b>")
    fragment = preview(client, provider="zoom", zoom_user="eve@example.com").get_data(as_text=True)
    assert "<script>alert(1)" not in fragment and "<b>x</b>" not in fragment
    assert "Connected as Zoom user eve@example.com (&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;x&lt;/b&gt;)." in fragment
    assert save(client, provider="zoom", zoom_user="eve@example.com").status_code == 302
    page = client.get("/settings/video").get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in flashes(page, "success")[0]

    odd = "o'neil&x@example.com"
    refused = preview(client, provider="zoom", zoom_user=odd).get_data(as_text=True)
    assert "o&#39;neil&amp;" in field_errors(refused, "zoom_user")
    assert "o'neil&" not in refused


def test_the_account_preview_needs_the_csrf_header(database_url, fake_zoom):
    with running_app(database_url, WTF_CSRF_ENABLED=True, **zoom_config(fake_zoom)) as csrf_app:
        client, mentor_id = logged_in_csrf_client(csrf_app)
        refused = client.post(
            "/settings/video/preview", data={"provider": "zoom", "zoom_user": "ada@example.com"}, headers=HTMX
        )
        assert refused.status_code == 400
        refused_save = client.post("/settings/video", data={"provider": "zoom", "zoom_user": "ada@example.com"})
        assert refused_save.status_code == 400
        assert fake_zoom.requests == []
        assert saved(csrf_app, mentor_id) == ("jitsi", None, None)
