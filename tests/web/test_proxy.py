"""Behind a reverse proxy (TRUSTED_PROXIES): the client's own address counts, and a forged header never does."""
import pytest
import sqlalchemy as sa

from meetapp.config import from_environ
from meetapp.extensions import db
from meetapp.models import AttendanceEvent
from tests.support import MENTEE_EMAIL, OPENS, PASSWORD, running_app

EMAIL = "max.mentee@example.com"


def failed_login(client, forwarded_for: str, proxy: str = "10.9.9.9"):
    return client.post(
        "/auth/login",
        data={"email": EMAIL, "password": "wrong"},
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": proxy},
    )


@pytest.fixture
def behind_one_proxy(database_url):
    with running_app(database_url, TRUSTED_PROXIES=1, LOGIN_RATE_LIMIT_PER_ADDRESS="2 per minute") as app:
        yield app


def test_each_client_behind_the_proxy_has_its_own_address_limit(behind_one_proxy):
    client = behind_one_proxy.test_client()
    for _ in range(2):
        assert failed_login(client, "203.0.113.7").status_code == 200
    assert failed_login(client, "203.0.113.7").status_code == 429
    # Another client through the same proxy is not locked out by the first one.
    assert failed_login(client, "198.51.100.4").status_code == 200


def test_the_proxy_tells_the_scheme_and_the_app_sees_the_client(behind_one_proxy):
    seen = {}

    @behind_one_proxy.get("/_probe")
    def probe():
        from flask import request

        seen.update(address=request.remote_addr, scheme=request.scheme)
        return "ok"

    behind_one_proxy.test_client().get(
        "/_probe",
        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert seen == {"address": "203.0.113.7", "scheme": "https"}


def test_without_a_trusted_proxy_a_forged_header_changes_nothing(database_url):
    with running_app(database_url, LOGIN_RATE_LIMIT_PER_ADDRESS="2 per minute") as app:
        client = app.test_client()
        for forged in ("203.0.113.1", "203.0.113.2"):
            assert failed_login(client, forged, proxy="192.0.2.50").status_code == 200
        assert failed_login(client, "203.0.113.3", proxy="192.0.2.50").status_code == 429


# X-Forwarded-Host and X-Forwarded-Prefix: trusted only when TRUSTED_PROXY_HOST / _PREFIX say so -----

PROXY = {"REMOTE_ADDR": "10.9.9.9"}
# What a client can write into headers that most proxies pass straight through.
FORGED = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Prefix": "/evil"}


@pytest.fixture
def app(database_url):
    """Behind one trusted proxy, and nothing else: TRUSTED_PROXY_HOST and TRUSTED_PROXY_PREFIX are off."""
    with running_app(database_url, TRUSTED_PROXIES=1) as app:
        yield app


def logged_addresses(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AttendanceEvent.address).order_by(AttendanceEvent.id)))


def assert_nothing_forged_in(response, where: str) -> None:
    text = response.get_data(as_text=True) + response.headers.get("Location", "")
    assert "evil.example" not in text, f"{where} names the forwarded host"
    assert "/evil/" not in text, f"{where} uses the forwarded prefix"


def test_the_forwarded_client_is_the_address_in_the_attendance_log(app, client, auth, clock, confirmed_with_links):
    _, mentee_path, _ = confirmed_with_links
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    response = client.get(mentee_path, headers={"X-Forwarded-For": "203.0.113.7", **FORGED}, environ_base=PROXY)
    assert response.status_code == 302
    assert logged_addresses(app) == ["203.0.113.7"]


def test_the_forwarded_scheme_counts_but_not_the_forwarded_host_or_prefix(client):
    # Werkzeug's own redirect to the slashed URL is built from the request's scheme, host and prefix.
    response = client.get("/settings", headers={"X-Forwarded-Proto": "https", **FORGED}, environ_base=PROXY)
    assert response.status_code == 308
    assert response.headers["Location"] == "https://localhost/settings/"


def test_a_forwarded_host_or_prefix_reaches_no_link_in_a_page(client, auth, clock, confirmed_with_links):
    session_id = confirmed_with_links[0]
    anonymous = client.get("/auth/login", headers=FORGED, environ_base=PROXY)
    auth.login(MENTEE_EMAIL)
    pages = {
        "/auth/login": anonymous,
        "/": client.get("/", headers=FORGED, environ_base=PROXY),
        f"/sessions/{session_id}": client.get(f"/sessions/{session_id}", headers=FORGED, environ_base=PROXY),
    }
    for path, response in pages.items():
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert '<script src="/static/app.js"' in page, path
        assert '<a class="brand" href="/">' in page, path
        assert_nothing_forged_in(response, path)


def test_a_forwarded_host_or_prefix_reaches_no_redirect(client, auth, clock, confirmed_with_links):
    session_id = confirmed_with_links[0]
    to_login = client.get("/", headers=FORGED, environ_base=PROXY)
    assert to_login.headers["Location"] == "/auth/login?next=%2F"
    logged_in = client.post(
        "/auth/login", data={"email": MENTEE_EMAIL, "password": PASSWORD}, headers=FORGED, environ_base=PROXY
    )
    assert logged_in.headers["Location"] == "/"
    cancelled = client.post(
        f"/sessions/{session_id}/cancel", data={"reason": "Unwell"}, headers=FORGED, environ_base=PROXY
    )
    assert cancelled.headers["Location"] == f"/sessions/{session_id}"
    for response in (to_login, logged_in, cancelled):
        assert response.status_code == 302
        assert_nothing_forged_in(response, response.headers["Location"])


def test_with_trusted_proxy_prefix_the_prefix_is_in_links_and_redirects(database_url):
    with running_app(database_url, TRUSTED_PROXIES=1, TRUSTED_PROXY_PREFIX=True) as app:
        client = app.test_client()
        headers = {"X-Forwarded-Prefix": "/meetapp", "X-Forwarded-Host": "evil.example"}
        page = client.get("/auth/login", headers=headers, environ_base=PROXY)
        assert page.status_code == 200
        assert '<script src="/meetapp/static/app.js"' in page.get_data(as_text=True)
        assert 'action="/meetapp/auth/login' in page.get_data(as_text=True)
        assert client.get("/", headers=headers, environ_base=PROXY).headers["Location"] == (
            "/meetapp/auth/login?next=%2Fmeetapp%2F"
        )
        # The host stays untrusted.
        slashed = client.get("/settings", headers=headers, environ_base=PROXY)
        assert slashed.headers["Location"] == "http://localhost/meetapp/settings/"


def test_with_trusted_proxy_host_an_unknown_forwarded_host_is_refused(database_url):
    with running_app(database_url, TRUSTED_PROXIES=1, TRUSTED_PROXY_HOST=True) as app:
        client = app.test_client()
        for path in ("/", "/auth/login", "/settings"):
            response = client.get(path, headers={"X-Forwarded-Host": "evil.example"}, environ_base=PROXY)
            assert response.status_code == 400, path
            assert_nothing_forged_in(response, path)


def public_base_url_hosts(url: str) -> list[str]:
    """TRUSTED_HOSTS as the settings derive them from PUBLIC_BASE_URL alone."""
    environ = {"MEETAPP_ENV": "testing", "SECRET_KEY": "test-secret-key", "PUBLIC_BASE_URL": url}
    return from_environ(environ, instance_path="/nonexistent")["TRUSTED_HOSTS"]


@pytest.mark.parametrize(
    "trusted_hosts",
    [["meet.example.org", "localhost"], public_base_url_hosts("https://meet.example.org")],
    ids=["TRUSTED_HOSTS", "PUBLIC_BASE_URL"],
)
def test_with_trusted_proxy_host_a_known_forwarded_host_is_used(database_url, trusted_hosts):
    with running_app(database_url, TRUSTED_PROXIES=1, TRUSTED_PROXY_HOST=True, TRUSTED_HOSTS=trusted_hosts) as app:
        client = app.test_client()
        headers = {"X-Forwarded-Host": "meet.example.org", "X-Forwarded-Proto": "https"}
        assert client.get("/auth/login", headers=headers, environ_base=PROXY).status_code == 200
        slashed = client.get("/settings", headers=headers, environ_base=PROXY)
        assert slashed.headers["Location"] == "https://meet.example.org/settings/"
