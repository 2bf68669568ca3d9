"""Logins that end: a copied cookie dies when every login ends (log out everywhere, a new password,
a reset), a plain logout clears this browser, a login starts afresh, and no login outlives its limits."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_login.utils import encode_cookie

from meetapp.extensions import db
from meetapp.models import User
from meetapp.services import passwords
from meetapp.services.accounts import create_user
from tests.support import NOW, PASSWORD

MENTEE_EMAIL = "max.mentee@example.com"
NEW_PASSWORD = "a brand new passphrase"
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def log_in(client, remember=True):
    data = {"email": MENTEE_EMAIL, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/auth/login", data=data)
    assert response.status_code == 302
    return response


def cookie_name(app, kind: str) -> str:
    return app.config["SESSION_COOKIE_NAME" if kind == "session" else "REMEMBER_COOKIE_NAME"]


def browser_with(app, cookies: dict[str, str]):
    """Another browser, holding copies of cookies: what a thief does with them."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def copy_of(app, client, kind: str):
    name = cookie_name(app, kind)
    return browser_with(app, {name: client.get_cookie(name).value})


def logged_in(client) -> bool:
    response = client.get("/")
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def login_id(client) -> str:
    with client.session_transaction() as session:
        return session["_user_id"]


def user_row(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


# The three ways every login of a person ends ------------------------------------------


def log_out_everywhere(app, client, user_id):
    assert client.post("/settings/security/log-out-everywhere").status_code == 302


def change_password(app, client, user_id):
    data = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD}
    assert client.post("/settings/security/password", data=data).status_code == 302


def reset_password(app, client, user_id):
    with app.app_context():
        token = passwords.reset_token(db.session.get(User, user_id), NOW)
    data = {"new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD}
    assert app.test_client().post(f"/auth/reset/{token}", data=data).status_code == 302


ENDINGS = [
    pytest.param(log_out_everywhere, id="log out everywhere"),
    pytest.param(change_password, id="password change"),
    pytest.param(reset_password, id="password reset"),
]


@pytest.mark.parametrize("kind", ["session", "remember"])
@pytest.mark.parametrize("ending", ENDINGS)
def test_a_copied_login_cookie_stops_working_when_every_login_ends(app, client, clock, mentee, ending, kind):
    log_in(client)
    stolen = client.get_cookie(cookie_name(app, kind)).value
    thief = browser_with(app, {cookie_name(app, kind): stolen})
    assert logged_in(thief)

    ending(app, client, mentee)

    assert not logged_in(thief)
    # Nor does the cookie work again in a browser that never used it before.
    assert not logged_in(browser_with(app, {cookie_name(app, kind): stolen}))


def test_the_api_with_a_login_cookie_is_401_after_log_out_everywhere(app, client, clock, mentee):
    log_in(client, remember=False)
    thief = copy_of(app, client, "session")
    assert thief.get("/api/mentoring/sessions").status_code == 200

    log_out_everywhere(app, client, mentee)

    response = thief.get("/api/mentoring/sessions")
    assert response.status_code == 401
    assert response.json["error"] == "unauthenticated"


def test_log_out_everywhere_bumps_the_login_version_once(app, client, clock, mentee):
    before = user_row(app, mentee).login_version
    log_in(client)
    log_out_everywhere(app, client, mentee)
    assert user_row(app, mentee).login_version == before + 1


# Logging out here, logging in afresh ----------------------------------------------------


def test_a_plain_logout_deletes_this_browsers_cookies_and_empties_its_session(app, client, clock, mentee):
    log_in(client)
    other_device = copy_of(app, client, "remember")
    with client.session_transaction() as session:
        session["planted"] = "left over"

    response = client.post("/auth/logout")

    assert response.status_code == 302
    remember = cookie_name(app, "remember")
    deleted = [header for header in response.headers.getlist("Set-Cookie") if header.startswith(f"{remember}=;")]
    assert deleted and "Expires=Thu, 01 Jan 1970" in deleted[0]
    assert client.get_cookie(remember) is None
    with client.session_transaction() as session:
        # Only the "You are logged out." message is left.
        assert set(session) <= {"_flashes"}
    assert not logged_in(client)
    # It ends this browser's login only; the way to end every other one is "Log out everywhere".
    assert logged_in(other_device)


def test_a_login_starts_with_an_empty_session_and_a_new_csrf_token(csrf_app):
    with csrf_app.app_context():
        create_user(email=MENTEE_EMAIL, name="Max Mentee", role="mentee", password=PASSWORD)
    client = csrf_app.test_client()
    token_before = CSRF_INPUT.search(client.get("/auth/login").get_data(as_text=True)).group(1)
    with client.session_transaction() as session:
        # Say someone planted a session in this browser before its owner logged in.
        session["planted"] = "by someone else"

    response = client.post(
        "/auth/login", data={"email": MENTEE_EMAIL, "password": PASSWORD, "csrf_token": token_before}
    )

    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
    # The form token from before the login is worthless now: the planter cannot post as the person.
    assert client.post("/auth/logout", data={"csrf_token": token_before}).status_code == 400
    assert logged_in(client)
    token_after = CSRF_INPUT.search(client.get("/").get_data(as_text=True)).group(1)
    assert token_after != token_before
    assert client.post("/auth/logout", data={"csrf_token": token_after}).status_code == 302
    assert not logged_in(client)


# How long a login lasts ---------------------------------------------------------------


def test_a_remembered_login_ends_14_days_after_it_began_however_its_cookie_is_replayed(app, client, clock, mentee):
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)
    log_in(client)
    remember = {cookie_name(app, "remember"): client.get_cookie(cookie_name(app, "remember")).value}

    clock.move_to(NOW + timedelta(days=14) - timedelta(minutes=1))
    replayed = browser_with(app, remember)
    assert logged_in(replayed)

    clock.move_to(NOW + timedelta(days=14) + timedelta(minutes=1))
    # The session the replay made a moment ago names the same login, so it ends too.
    assert not logged_in(replayed)
    assert not logged_in(browser_with(app, remember))


def test_a_login_without_remember_ends_12_idle_hours_after_its_cookie_was_written(app, client, clock, mentee):
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=12)
    log_in(client, remember=False)
    assert logged_in(client)

    clock.move_to(NOW + timedelta(hours=11, minutes=59))
    assert logged_in(client)
    clock.move_to(NOW + timedelta(hours=12, minutes=1))
    assert not logged_in(client)


def test_a_login_without_remember_lasts_while_its_cookie_is_written_again(app, client, clock, mentee):
    log_in(client, remember=False)
    clock.move_to(NOW + timedelta(hours=6))
    # Saving the profile flashes a message, and showing it writes the session cookie anew.
    assert client.post("/settings/profile", data={"name": "Max", "timezone": "UTC"}).status_code == 302
    assert "Saved." in client.get("/settings/").get_data(as_text=True)

    clock.move_to(NOW + timedelta(hours=12, minutes=1))
    assert logged_in(client)
    clock.move_to(NOW + timedelta(hours=18, minutes=1))
    assert not logged_in(client)


# A login id nobody issued --------------------------------------------------------------


def tampered_ids(user_id: int, version: int, started: int) -> dict[str, str]:
    return {
        "older version": f"{user_id}.{version - 1}.{started}",
        "newer version": f"{user_id}.{version + 1}.{started}",
        "starts tomorrow": f"{user_id}.{version}.{started + 86400}",
        "started 15 days ago": f"{user_id}.{version}.{started - 15 * 86400}",
        "no start": f"{user_id}.{version}",
        "four parts": f"{user_id}.{version}.{started}.1",
        "letters": "a.b.c",
        "negative": f"-{user_id}.{version}.{started}",
        "huge user": f"99999999999.{version}.{started}",
        "too many digits": f"{user_id}.{version}.9999999999999",
        "empty": "",
    }


TAMPERED = [
    "older version",
    "newer version",
    "starts tomorrow",
    "started 15 days ago",
    "no start",
    "four parts",
    "letters",
    "negative",
    "huge user",
    "too many digits",
    "empty",
    "beyond year 9999",
]


@pytest.mark.parametrize("tampering", TAMPERED)
def test_a_tampered_login_id_in_the_session_is_simply_logged_out(app, client, clock, mentee, tampering):
    log_in(client, remember=False)
    user_id, version, started = (int(part) for part in login_id(client).split("."))
    ids = tampered_ids(user_id, version, started) | {"beyond year 9999": f"{user_id}.{version}.999999999999"}
    with client.session_transaction() as session:
        session["_user_id"] = ids[tampering]
    assert not logged_in(client)


@pytest.mark.parametrize("tampering", ["older version", "newer version", "starts tomorrow", "letters", "empty"])
def test_a_tampered_login_id_in_the_remember_cookie_is_simply_logged_out(app, client, clock, mentee, tampering):
    log_in(client)
    genuine = login_id(client)
    user_id, version, started = (int(part) for part in genuine.split("."))
    with app.test_request_context():
        forged = encode_cookie(tampered_ids(user_id, version, started)[tampering])
        signed_genuine = encode_cookie(genuine)
    remember = cookie_name(app, "remember")
    assert logged_in(browser_with(app, {remember: signed_genuine}))
    assert not logged_in(browser_with(app, {remember: forged}))


def test_a_login_of_a_deleted_person_is_simply_logged_out(app, client, clock, mentee):
    log_in(client)
    with app.app_context():
        db.session.execute(sa.delete(User).where(User.id == mentee))
        db.session.commit()
    assert not logged_in(client)
    assert not logged_in(copy_of(app, client, "remember"))
