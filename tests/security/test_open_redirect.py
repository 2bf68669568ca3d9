"""Open redirects: no `next` (or anything else a request carries) can send a person off this site.

The login page takes `next` from its query string, keeps it in a hidden field and
redirects there after logging in; that is the one redirect target taken from
input. Each hostile value goes through every way in: the query string (as given
and percent-encoded again), the form field directly, the page's hidden field as a
browser would send it back, and a logged-in person opening the login page.
"""

import re
from html import unescape
from urllib.parse import quote, urlsplit

import pytest

from meetapp.config import from_environ
from meetapp.services.accounts import create_user
from tests.support import PASSWORD, running_app

EMAIL = "max.mentee@example.com"
HOSTILE = [
    "https://evil.example",
    "http://evil.example/sessions/x",
    "//evil.example",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)//",
    "data:text/html,<script>alert(1)</script>",
    "http:evil.example",
    "https:/evil.example",
    "http://localhost@evil.example",
    "//localhost@evil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%09/evil.example",
    "/%5Cevil.example",
    " //evil.example",
    "\t//evil.example",
    "\n//evil.example",
    "\x00//evil.example",
    "\x0b//evil.example",
    "\u3000//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/ /evil.example",
    "//evil.example/\x00",
    "//\u2215evil.example",
    "evil.example",
    # Paths into the join proxy end on a page that refreshes to them: its `url=` must stay a path.
    "/join/x;url=https://evil.example",
    "/join/x; URL='//evil.example'",
    '/join/x"><meta http-equiv="refresh" content="0; url=https://evil.example">',
    "//join/x",
]
# Already percent-encoded by the attacker: the query string as it reaches the server.
RAW_QUERIES = [
    "next=%2F%2Fevil.example",
    "next=%2F%5Cevil.example",
    "next=%2F%09%2Fevil.example",
    "next=%09%2F%2Fevil.example",
    "next=%00%2F%2Fevil.example",
    "next=https%3A%2F%2Fevil.example",
    "next=%2F%2F%2Fevil.example",
    "next=/sessions&next=//evil.example",
    "next=//evil.example&next=/sessions",
]
SAFE = ["/sessions/abc", "/settings/?tab=tokens", "/join/abc.def-_1", "/sessions/new#book"]
HIDDEN_NEXT = re.compile(r'<input[^>]*name="next"[^>]*>')
REFRESH = re.compile(r'<meta http-equiv="refresh" content="0; url=([^"]*)">')
CONTINUE_LINK = re.compile(r'<main.*?<a href="([^"]*)"', re.S)


def stays_on_site(location: str) -> bool:
    """A path on this app (or its own origin), read the way a browser reads it."""
    if any(ch.isspace() or not ch.isprintable() for ch in location) or "\\" in location:
        return False
    parts = urlsplit(location)
    if parts.scheme or parts.netloc:
        return (parts.scheme, parts.netloc) == ("http", "localhost") and not location.startswith("http://localhost@")
    return location.startswith("/") and not location.startswith("//")


def hidden_next(page: str) -> str:
    match = HIDDEN_NEXT.search(page)
    assert match, "the login page has no hidden next field"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return unescape(value.group(1)) if value else ""


@pytest.fixture
def app(app_pool, clock):
    app = app_pool.fresh()
    with app.app_context():
        create_user(email=EMAIL, name="Max Mentee", role="mentee", password=PASSWORD)
    return app


def log_in(client, next_value: str | None, **kwargs) -> str:
    """Log in with this `next`; where the browser goes then.

    That is the redirect's Location or, after a join link, the page that leaves the
    form first and then refreshes (and links) to the link: every address in it counts.
    """
    data = {"email": EMAIL, "password": PASSWORD}
    if next_value is not None:
        data["next"] = next_value
    response = client.post("/auth/login", data=data, **kwargs)
    if response.status_code == 302:
        return response.headers["Location"]
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    (refresh,) = REFRESH.findall(page)
    targets = {unescape(refresh)} | {unescape(href) for href in CONTINUE_LINK.findall(page)}
    assert len(targets) == 1, f"the continue page names {targets}"
    return targets.pop()


@pytest.mark.parametrize("target", HOSTILE, ids=repr)
def test_a_hostile_next_never_leads_off_the_site(app, target):
    client = app.test_client()
    page = client.get("/auth/login", query_string={"next": target})
    assert page.status_code == 200
    kept = hidden_next(page.get_data(as_text=True))
    assert kept == "" or stays_on_site(kept), f"the login form keeps {kept!r}"
    assert stays_on_site(location := log_in(client, kept)), location
    client.post("/auth/logout")

    for given in (target, quote(target, safe=""), f" {target}", f"{target}\x00"):
        if "\x00" in given:
            # No form sends a NUL character: refused before anyone is logged in or sent anywhere.
            refused = client.post("/auth/login", data={"email": EMAIL, "password": PASSWORD, "next": given})
            assert refused.status_code == 400 and "Location" not in refused.headers
            continue
        location = log_in(client, given)
        assert stays_on_site(location), f"next={given!r} -> {location!r}"
        client.post("/auth/logout")

    log_in(client, None)
    response = client.get("/auth/login", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("query", RAW_QUERIES)
def test_a_next_encoded_by_the_attacker_never_leads_off_the_site(app, query):
    client = app.test_client()
    page = client.get(f"/auth/login?{query}")
    kept = hidden_next(page.get_data(as_text=True))
    assert kept == "" or stays_on_site(kept), f"?{query} is kept as {kept!r}"
    assert stays_on_site(location := log_in(client, kept)), location


@pytest.mark.parametrize("target", SAFE)
def test_a_path_on_this_site_is_where_login_leads(app, target):
    client = app.test_client()
    kept = hidden_next(client.get("/auth/login", query_string={"next": target}).get_data(as_text=True))
    assert kept == target
    assert log_in(client, kept) == target


def test_a_join_link_opened_logged_out_comes_back_to_itself(app):
    client = app.test_client()
    response = client.get("/join/not-a-real-token")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert stays_on_site(login_url)
    kept = hidden_next(client.get(login_url).get_data(as_text=True))
    assert kept == "/join/not-a-real-token"
    assert log_in(client, kept) == "/join/not-a-real-token"


@pytest.mark.parametrize("path", ["/settings/", "/sessions/new", "/admin/mail", "/sessions/abc/status"])
def test_every_login_redirect_names_a_path_of_this_site(app, path):
    response = app.test_client().get(path, query_string={"next": "https://evil.example"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert stays_on_site(location)
    assert "evil.example" not in location.split("?")[0]


def test_registration_and_logout_ignore_a_next(app):
    client = app.test_client()
    form = {
        "email": "new@example.com",
        "name": "New",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "role": "mentee",
        "timezone": "UTC",
    }
    registered = client.post("/auth/register?next=https://evil.example", data={**form, "next": "//evil.example"})
    # Registering leads nowhere: it answers "Check your inbox" in place.
    assert registered.status_code == 200 and "Location" not in registered.headers
    assert "evil.example" not in registered.get_data(as_text=True)
    with app.app_context():
        create_user(email="olly.out@example.com", name="Olly", role="mentee", password=PASSWORD)
    assert client.post("/auth/login", data={"email": "olly.out@example.com", "password": PASSWORD}).status_code == 302
    logged_out = client.post("/auth/logout?next=https://evil.example", data={"next": "//evil.example"})
    assert logged_out.headers["Location"] == "/auth/login"


def test_a_host_header_that_is_not_ours_is_refused(app):
    client = app.test_client()
    response = client.get("/", headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
    assert response.status_code == 400
    assert "evil.example" not in response.headers.get("Location", "")


@pytest.mark.parametrize("path", ["/sessions", "/auth/login", "/join/x", "/healthz"])
def test_no_redirect_of_werkzeugs_own_points_at_the_host_a_client_sent(app, path):
    # "/sessions" without its slash: Werkzeug's own redirect, built from the request's host.
    response = app.test_client().get(path, headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "evil.example" not in response.get_data(as_text=True) + response.headers.get("Location", "")


def test_the_public_host_is_answered_in_production(tmp_path):
    config = from_environ(
        {
            "MEETAPP_ENV": "production",
            "SECRET_KEY": "k",
            "PUBLIC_BASE_URL": "https://meet.example.org",
            "TRUSTED_HOSTS": "10.0.0.5",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}",
        },
        str(tmp_path),
    )
    assert config["TRUSTED_HOSTS"] == ["meet.example.org", "10.0.0.5"]
    with running_app(config["SQLALCHEMY_DATABASE_URI"], **config) as app:
        client = app.test_client()
        assert client.get("/healthz", headers={"Host": "meet.example.org"}).status_code == 200
        assert client.get("/healthz", headers={"Host": "10.0.0.5:8000"}).status_code == 200
        assert client.get("/healthz", headers={"Host": "localhost"}).status_code == 400
