"""The settings pages: profile and time zone; personal API tokens, on the security page."""
import re

import pytest
import sqlalchemy as sa

from meetapp.extensions import db
from meetapp.models import ApiToken, User

MENTEE_EMAIL = "max.mentee@example.com"
TOKEN_VALUE = re.compile(r'id="new-token" class="token-value" type="text" value="(mtk_[^"]+)"')


def create_token(client, label="calendar sync"):
    return client.post("/settings/tokens", data={"label": label})


def token_ids(app, user_id: int) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.select(ApiToken.id).where(ApiToken.user_id == user_id)))


def test_settings_page_shows_the_account(client, auth, mentee):
    auth.login(MENTEE_EMAIL)
    page = client.get("/settings/").get_data(as_text=True)
    assert MENTEE_EMAIL in page
    assert "<dd>Mentee</dd>" in page
    # Name and time zone once each: as the form's values, not also read-only above it.
    assert page.count("Max Mentee") == 1 and 'value="Max Mentee"' in page
    assert "<dd>America/New_York</dd>" not in page
    assert re.search(r'<option [^>]*selected[^>]*value="America/New_York">New York, United States \(UTC-0[45]:00\)', page)
    assert 'href="/settings/security"' in page


def test_the_tokens_live_on_the_security_page(client, auth, mentee):
    auth.login(MENTEE_EMAIL)
    assert "/settings/tokens" not in client.get("/settings/").get_data(as_text=True)
    page = client.get("/settings/security").get_data(as_text=True)
    assert "You have no API tokens." in page
    assert 'action="/settings/tokens"' in page


def test_changing_the_time_zone_changes_the_times_shown(client, auth, app, clock, mentor, mentee):
    auth.login(MENTEE_EMAIL)
    response = client.post("/settings/profile", data={"name": "Max M.", "timezone": "Asia/Tokyo"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings/"
    page = client.get("/settings/").get_data(as_text=True)
    assert "Saved. Times are now shown in Asia/Tokyo." in page
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == MENTEE_EMAIL))
        assert (user.name, user.timezone) == ("Max M.", "Asia/Tokyo")
    assert "Start (your time, Asia/Tokyo)" in client.get("/sessions/new").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "Max", "timezone": "Nowhere/Special"}, "timezone", "Choose a time zone such as Europe/Berlin."),
        ({"name": "   ", "timezone": "UTC"}, "name", "Enter your name."),
        ({"name": "n" * 121, "timezone": "UTC"}, "name", "Keep the name under 120 characters."),
    ],
)
def test_bad_profile_input_is_400_and_changes_nothing(client, auth, app, mentee, data, field, message):
    auth.login(MENTEE_EMAIL)
    response = client.post("/settings/profile", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert re.search(rf'aria-describedby="[^"]*{field}-error"', page)
    with app.app_context():
        assert db.session.get(User, mentee).timezone == "America/New_York"


def test_a_new_token_is_shown_once_and_works_as_bearer(client, auth, app, mentee):
    auth.login(MENTEE_EMAIL)
    response = create_token(client)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    token = TOKEN_VALUE.search(page).group(1)
    assert "it is shown only this once" in page

    again = client.get("/settings/security").get_data(as_text=True)
    assert token not in again
    assert f"<code>{token[:12]}…</code>" in again
    assert "calendar sync" in again
    assert "Never" in again

    # The login cookie is signed, not encrypted: the token must not be in it.
    cookie = client.get_cookie("session")
    session_data = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    assert token not in repr(session_data)

    api = app.test_client()
    listed = api.get("/api/mentoring/sessions", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200
    assert listed.get_json() == {"sessions": []}
    assert "Never" not in client.get("/settings/security").get_data(as_text=True)


def test_revoking_a_token_makes_it_401(client, auth, app, mentee):
    auth.login(MENTEE_EMAIL)
    token = TOKEN_VALUE.search(create_token(client).get_data(as_text=True)).group(1)
    [token_id] = token_ids(app, mentee)
    response = client.post(f"/settings/tokens/{token_id}/revoke")
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings/security"
    assert "Token revoked." in client.get("/settings/security").get_data(as_text=True)
    api = app.test_client()
    assert api.get("/api/mentoring/sessions", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert token_ids(app, mentee) == []


def test_someone_elses_token_cannot_be_revoked(client, auth, app, people, mentee):
    owner = people.make("mentor", "Token Owner")
    token = people.token(owner)
    [token_id] = token_ids(app, owner)
    auth.login(MENTEE_EMAIL)
    response = client.post(f"/settings/tokens/{token_id}/revoke")
    assert response.status_code == 404
    assert token_ids(app, owner) == [token_id]
    api = app.test_client()
    assert api.get("/api/mentoring/sessions", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_the_token_list_shows_only_my_tokens(client, auth, app, people, mentee):
    owner = people.make("mentor", "Token Owner")
    others = people.token(owner)
    auth.login(MENTEE_EMAIL)
    create_token(client, "mine")
    page = client.get("/settings/security").get_data(as_text=True)
    assert "mine" in page
    assert others[:12] not in page


@pytest.mark.parametrize(("label", "message"), [("", "Give the token a label"), ("l" * 81, "under 80 characters")])
def test_a_token_needs_a_sensible_label(client, auth, app, mentee, label, message):
    auth.login(MENTEE_EMAIL)
    response = create_token(client, label)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert token_ids(app, mentee) == []
