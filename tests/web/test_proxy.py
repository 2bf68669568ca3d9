"""Behind a reverse proxy (TRUSTED_PROXIES): the client's own address counts, and a forged header never does."""
import pytest

from tests.conftest import running_app

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
