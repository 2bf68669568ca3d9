"""Registering, logging in and out, and the guard on `next`, through the HTML pages."""
import re

import pytest
import sqlalchemy as sa

from meetapp.config import from_environ
from meetapp.extensions import db
from meetapp.models import User
from meetapp.services.accounts import create_user
from tests.support import PASSWORD, counted_queries, running_app

MENTEE_EMAIL = "max.mentee@example.com"
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def registration(**changes) -> dict:
    form = {
        "email": "new.person@example.com",
        "name": "New Person",
        "password": "a long enough password",
        "confirm": "a long enough password",
        "role": "mentee",
        "timezone": "Europe/Berlin",
    }
    form.update(changes)
    return form


def selected_zone(page: str) -> str:
    """The zone the page's time zone list has chosen."""
    select = re.search(r'<select [^>]*name="timezone"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.search(r'<option [^>]*\bselected\b[^>]*value="([^"]+)"', select).group(1)


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_register_page_offers_mentor_and_mentee_only(client):
    page = client.get("/auth/register").get_data(as_text=True)
    assert 'value="mentee"' in page and 'value="mentor"' in page
    assert 'value="admin"' not in page
    assert selected_zone(page) == "UTC"
    assert "data-guess-timezone" in page


def test_register_stores_the_account_and_asks_to_check_the_inbox(client, app):
    # An address already taken gets the same answer: see tests/web/test_registration.py.
    response = client.post("/auth/register", data=registration())
    assert response.status_code == 200
    assert "Check your inbox" in response.get_data(as_text=True)
    # Nobody is logged in by registering: the address is confirmed first.
    assert client.get("/").status_code == 302
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "new.person@example.com"))
        assert user.timezone == "Europe/Berlin"
        assert user.role.value == "mentee"
        assert user.check_password("a long enough password")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Choose a time zone such as Europe/Berlin."),
        ({"password": "short", "confirm": "short"}, "password", "Use at least 8 characters."),
        ({"role": "admin"}, "role", "Choose mentor or mentee."),
        ({"role": ""}, "role", "Choose mentor or mentee."),
        ({"confirm": "something else entirely"}, "confirm", "The two passwords differ."),
        ({"email": "not-an-email"}, "email", "An email address must have an @-sign."),
        ({"name": "   "}, "name", "Give a name of 1 to 120 characters."),
        ({"name": "Max\nBcc: someone@evil.example"}, "name", "no line breaks or hidden characters"),
        ({"name": "Max\u202eevil"}, "name", "no line breaks or hidden characters"),
    ],
)
def test_register_shows_the_problem_next_to_the_field(client, app, changes, field, message):
    response = client.post("/auth/register", data=registration(**changes))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    errors = re.search(rf'<ul class="field-errors" id="{field}-error">(.*?)</ul>', page, re.S)
    assert errors is not None, f"no errors shown for {field}"
    assert message in errors.group(1)
    assert user_count(app) == 0


def test_register_keeps_the_chosen_zone_after_an_error(client):
    page = client.post("/auth/register", data=registration(password="short", confirm="short")).get_data(as_text=True)
    assert selected_zone(page) == "Europe/Berlin"
    # A zone the person picked is not overwritten by the browser's guess.
    assert "data-guess-timezone" not in page


def test_login_logs_in_and_goes_to_the_dashboard(client, auth, mentee):
    response = auth.login(MENTEE_EMAIL)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert "Your sessions" in dashboard.get_data(as_text=True)


def test_login_accepts_the_email_in_any_case(auth, mentee):
    assert auth.login("  Max.Mentee@EXAMPLE.com ").status_code == 302


def failure_alert(response) -> str:
    page = response.get_data(as_text=True)
    return re.search(r'<div class="alert alert-error" role="alert">(.*?)</div>', page, re.S).group(1)


def test_login_failure_gives_one_generic_message(client, auth, mentee):
    wrong_password = auth.login(MENTEE_EMAIL, "wrong password")
    unknown_email = auth.login("nobody@example.com")
    assert wrong_password.status_code == unknown_email.status_code == 200
    assert "Wrong email or password." in failure_alert(wrong_password)
    # Identical answers: the page does not tell which emails have an account.
    assert failure_alert(wrong_password) == failure_alert(unknown_email)
    assert client.get("/").status_code == 302


def test_login_form_with_blank_fields_says_what_is_missing(auth):
    response = auth.login("", "")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Enter your email." in page
    assert "Enter your password." in page


def test_login_remember_me_sets_the_remember_cookie(client, mentee):
    response = client.post(
        "/auth/login", data={"email": MENTEE_EMAIL, "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    assert any(cookie.startswith("remember_token=") for cookie in response.headers.getlist("Set-Cookie"))


def test_login_without_remember_me_sets_no_remember_cookie(client, auth, mentee):
    response = auth.login(MENTEE_EMAIL)
    assert not any(cookie.startswith("remember_token=") for cookie in response.headers.getlist("Set-Cookie"))


def test_login_page_carries_next_in_a_hidden_field(client):
    page = client.get("/auth/login?next=/sessions/abc").get_data(as_text=True)
    assert '<input id="next" name="next" type="hidden" value="/sessions/abc">' in page


def test_login_honours_a_local_next(client, mentee):
    response = client.post(
        "/auth/login", data={"email": MENTEE_EMAIL, "password": PASSWORD, "next": "/sessions/x?tab=1"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/sessions/x?tab=1"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "https://evil.example/sessions/x",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "",
    ],
)
def test_login_refuses_a_next_that_leaves_the_site(client, mentee, target):
    page = client.get("/auth/login", query_string={"next": target}).get_data(as_text=True)
    assert 'name="next" type="hidden" value=""' in page
    response = client.post("/auth/login", data={"email": MENTEE_EMAIL, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_logged_in_person_visiting_login_goes_to_the_dashboard(client, auth, mentee):
    auth.login(MENTEE_EMAIL)
    response = client.get("/auth/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("path", ["/", "/sessions/new", "/sessions/abc", "/settings/"])
def test_pages_need_a_login_and_come_back_after_it(client, path):
    response = client.get(path)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/auth/login?next=")
    assert client.get(location).status_code == 200


def test_login_required_round_trip_returns_to_the_page(client, mentee):
    location = client.get("/sessions/new").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    next_value = re.search(r'name="next" type="hidden" value="([^"]*)"', page).group(1)
    assert next_value == "/sessions/new"
    response = client.post("/auth/login", data={"email": MENTEE_EMAIL, "password": PASSWORD, "next": next_value})
    assert response.headers["Location"] == "/sessions/new"


def test_logout_page_shows_a_button(client, auth, mentee):
    auth.login(MENTEE_EMAIL)
    page = client.get("/auth/logout").get_data(as_text=True)
    assert 'action="/auth/logout"' in page
    assert "Log out</button>" in page
    # Visiting the page alone logs nobody out.
    assert client.get("/").status_code == 200


def test_logout_by_post_ends_the_login(client, auth, mentee):
    auth.login(MENTEE_EMAIL)
    response = auth.logout()
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert client.get("/").status_code == 302
    assert "You are logged out." in client.get("/auth/login").get_data(as_text=True)


def test_navigation_depends_on_who_is_looking(client, auth, people):
    anonymous = client.get("/auth/login").get_data(as_text=True)
    assert 'href="/auth/register"' in anonymous and 'href="/settings/"' not in anonymous
    people.make("mentor", "Mo Mentor")
    auth.login("mo.mentor@example.com")
    mentor_page = client.get("/").get_data(as_text=True)
    assert 'href="/settings/"' in mentor_page
    assert 'href="/sessions/new"' not in mentor_page
    assert 'action="/auth/logout"' in mentor_page


def test_pages_load_no_inline_script_or_style(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert "<script>" not in page and "style=" not in page and "<style" not in page
    assert '<script src="/static/htmx-2.0.11.min.js" defer></script>' in page
    assert '<script src="/static/app.js" defer></script>' in page
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false, "allowEval": false}\'>' in page


# CSRF: the shared `app` switches it off; `csrf_app` (conftest) has it on, as in production.


@pytest.fixture
def csrf_app(csrf_app):
    with csrf_app.app_context():
        create_user(email="cara@example.com", name="Cara", role="mentee", password=PASSWORD)
    return csrf_app


def test_login_post_without_csrf_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    client.get("/auth/login")
    response = client.post("/auth/login", data={"email": "cara@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert "Form expired" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_login_post_with_csrf_token_works(csrf_app):
    client = csrf_app.test_client()
    token = CSRF_INPUT.search(client.get("/auth/login").get_data(as_text=True)).group(1)
    response = client.post("/auth/login", data={"email": "cara@example.com", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_logout_post_without_csrf_token_keeps_the_login(csrf_app):
    client = csrf_app.test_client()
    token = CSRF_INPUT.search(client.get("/auth/login").get_data(as_text=True)).group(1)
    client.post("/auth/login", data={"email": "cara@example.com", "password": PASSWORD, "csrf_token": token})
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/").status_code == 200
    page = client.get("/").get_data(as_text=True)
    assert 'hx-headers=\'{"X-CSRFToken": "' in page
    token = CSRF_INPUT.search(page).group(1)
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("environment", "secure", "names"),
    [
        # `__Host-`: the browser keeps them only when Secure, on this very host and for the whole site.
        ("production", True, {"__Host-meetapp_session", "__Host-meetapp_remember"}),
        ("development", False, {"session", "remember_token"}),
    ],
)
def test_login_cookies_are_httponly_lax_and_secure_outside_development(tmp_path, environment, secure, names):
    config = from_environ(
        {
            "MEETAPP_ENV": environment,
            "SECRET_KEY": "k",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}",
            # The test client asks for "localhost", which production answers only when it is the public host.
            "PUBLIC_BASE_URL": "https://localhost",
        },
        str(tmp_path),
    )
    with running_app(config["SQLALCHEMY_DATABASE_URI"], **config, WTF_CSRF_ENABLED=True) as app:
        with app.app_context():
            create_user(email="cara@example.com", name="Cara", role="mentee", password=PASSWORD)
        client = app.test_client()
        token = CSRF_INPUT.search(client.get("/auth/login").get_data(as_text=True)).group(1)
        response = client.post(
            "/auth/login",
            data={"email": "cara@example.com", "password": PASSWORD, "remember": "y", "csrf_token": token},
        )
    assert response.status_code == 302
    cookies = {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}
    assert set(cookies) >= names
    for header in cookies.values():
        assert "HttpOnly" in header
        assert "SameSite=Lax" in header
        assert ("Secure" in header) is secure
        assert "Path=/;" in header and "Domain=" not in header


@pytest.mark.parametrize("user_id", ["abc", "", "-1", "²", "2147483648", "99999999999999999999999", "12345"])
def test_a_session_naming_no_real_user_is_simply_logged_out(client, mentee, user_id):
    # Only our signed cookie can name a user, but whatever it names must never cost a 500 (no integer
    # overflow on PostgreSQL) and never a login.
    with client.session_transaction() as session:
        session["_user_id"] = user_id
    assert client.get("/").status_code == 302


def test_the_login_loads_the_viewer_with_one_small_select(app, client, auth, mentee):
    auth.login("max.mentee@example.com")
    with counted_queries(app) as statements:
        assert client.get("/settings/").status_code == 200
    users = [statement for statement in statements if re.search(r"\bFROM users\b", statement)]
    assert len(users) == 1 and "JOIN" not in users[0], statements
