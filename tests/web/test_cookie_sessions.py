"""The login cookie: each process remembers what a cookie verified to, and nothing else about it changes."""
from datetime import timedelta

from flask import session

from meetapp.cookie_sessions import RememberingCookieSessions

MENTEE_EMAIL = "max.mentee@example.com"


def remembered(app) -> int:
    assert isinstance(app.session_interface, RememberingCookieSessions)
    return len(app.session_interface._verified)


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def logged_in_and_remembered(app, client, auth) -> str:
    """Log in and settle the cookie (the first page adds a CSRF token); returns it, now remembered."""
    auth.login(MENTEE_EMAIL)
    client.get("/")
    assert client.get("/").status_code == 200
    cookie = session_cookie(client)
    assert any(key[-1] == cookie for key in app.session_interface._verified)
    return cookie


def test_a_repeated_cookie_is_verified_once_and_still_logs_in(app, client, auth, clock, mentee):
    cookie = logged_in_and_remembered(app, client, auth)
    count = remembered(app)
    assert client.get("/").status_code == 200 and client.get("/settings/").status_code == 200
    assert session_cookie(client) == cookie
    assert remembered(app) == count


def test_a_tampered_cookie_is_neither_accepted_nor_remembered(app, client, auth, clock, mentee):
    auth.login(MENTEE_EMAIL)
    client.get("/")
    good, count = session_cookie(client), remembered(app)
    payload, stamp, signature = good.rsplit(".", 2)
    for forged in (f"{payload}.{stamp}.{signature[:-2]}AA", f"{payload}x.{stamp}.{signature}", good[:-1]):
        client.set_cookie("session", forged)
        assert client.get("/").status_code == 302
    assert remembered(app) == count


def test_a_remembered_cookie_still_expires(app, client, auth, clock, mentee):
    cookie = logged_in_and_remembered(app, client, auth)
    clock.shift(app.permanent_session_lifetime + timedelta(seconds=1))
    client.set_cookie("session", cookie)
    assert client.get("/").status_code == 302


def test_a_remembered_cookie_from_the_future_is_refused(app, client, auth, clock, mentee):
    cookie = logged_in_and_remembered(app, client, auth)
    clock.shift(-60)
    client.set_cookie("session", cookie)
    assert client.get("/").status_code == 302


def test_a_new_key_does_not_take_a_cookie_remembered_under_the_old_one(app, client, auth, clock, mentee):
    cookie = logged_in_and_remembered(app, client, auth)
    app.secret_key = app.config["SECRET_KEY"] = "a-rotated-key"
    assert client.get("/").status_code == 302
    # Kept as a fallback, the old key still verifies it: rotation works as Flask documents it.
    app.config["SECRET_KEY_FALLBACKS"] = ["test-secret-key"]
    client.set_cookie("session", cookie)
    assert client.get("/").status_code == 200


def test_every_request_gets_its_own_copy_of_the_data(app, client, auth, clock, mentee):
    @app.get("/_test/poke")
    def poke():
        session.get("_flashes", []).append(("info", "leaked?"))  # changed in place, never saved
        return "ok"

    auth.login(MENTEE_EMAIL)
    with client.session_transaction() as stored:
        stored["_flashes"] = []
    assert client.get("/_test/poke").status_code == 200
    with client.session_transaction() as stored:
        assert stored["_flashes"] == []
    assert "leaked?" not in client.get("/").get_data(as_text=True)
