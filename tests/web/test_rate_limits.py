"""Login rate limits: failed attempts only, counted per address and per account.

Every client here is untrusted (it never logged in to the account before, so it has no device
cookie); tests/web/test_lockout.py has the owner's trusted browsers.
"""
import uuid

import pytest

from meetapp.extensions import db
from meetapp.services.accounts import create_user
from tests.support import PASSWORD
from tests.web.helpers import redis_app, redis_or_skip

EMAIL = "max.mentee@example.com"


@pytest.fixture
def limits(app):
    """Small limits, set before the first request (the views read them per request)."""
    app.config["LOGIN_RATE_LIMIT_PER_ACCOUNT"] = "3 per minute"
    app.config["LOGIN_RATE_LIMIT_PER_ADDRESS"] = "5 per minute"
    return app


def attempt(client, email, password="wrong password", address="10.0.0.1"):
    return client.post(
        "/auth/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def test_failed_attempts_on_one_account_are_limited_across_addresses(limits, client, mentee):
    for number, email in enumerate([EMAIL, "MAX.MENTEE@example.com", "  max.mentee@EXAMPLE.com "]):
        assert attempt(client, email, address=f"10.0.1.{number}").status_code == 200
    blocked = attempt(client, EMAIL, address="10.0.1.99")
    assert blocked.status_code == 429
    # While blocked, even the right password does not get in from a client the account has not seen log in.
    assert attempt(client, EMAIL, PASSWORD, address="10.0.1.100").status_code == 429
    assert client.get("/").status_code == 302


def test_the_account_limit_leaves_other_accounts_alone(limits, client, mentee, people):
    people.make("mentee", "Other Mentee")
    for number in range(3):
        attempt(client, EMAIL, address=f"10.0.2.{number}")
    assert attempt(client, EMAIL, address="10.0.2.50").status_code == 429
    assert attempt(client, "other.mentee@example.com", PASSWORD, address="10.0.2.51").status_code == 302


def test_failed_attempts_from_one_address_are_limited_across_accounts(limits, client, mentee):
    for number in range(5):
        assert attempt(client, f"someone{number}@example.com", address="10.0.3.1").status_code == 200
    assert attempt(client, "someone.else@example.com", address="10.0.3.1").status_code == 429
    assert attempt(client, EMAIL, PASSWORD, address="10.0.3.1").status_code == 429
    # Another address is not affected.
    assert attempt(client, EMAIL, PASSWORD, address="10.0.3.2").status_code == 302


def test_successful_logins_do_not_count(limits, client, auth, mentee):
    for _ in range(6):
        assert attempt(client, EMAIL, PASSWORD).status_code == 302
        auth.logout()
    # From a client that has not logged in (the one above is trusted now): all three failures are left.
    stranger = limits.test_client()
    for _ in range(3):
        assert attempt(stranger, EMAIL).status_code == 200
    assert attempt(stranger, EMAIL).status_code == 429


def test_looking_at_the_login_page_does_not_count(limits, client, mentee):
    for _ in range(10):
        assert client.get("/auth/login", environ_base={"REMOTE_ADDR": "10.0.4.1"}).status_code == 200
    assert attempt(client, EMAIL, PASSWORD, address="10.0.4.1").status_code == 302


def test_the_limit_page_explains_and_keeps_the_form(limits, client, mentee):
    for _ in range(3):
        client.post("/auth/login", data={"email": EMAIL, "password": "nope", "next": "/sessions/abc"})
    response = client.post("/auth/login", data={"email": EMAIL, "password": "nope", "next": "/sessions/abc"})
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Too many login attempts" in page
    assert "try again in a minute" in page
    assert f'value="{EMAIL}"' in page
    assert 'name="next" type="hidden" value="/sessions/abc"' in page
    assert int(response.headers["Retry-After"]) > 0


# Several app processes share one count through Redis.


def test_redis_storage_shares_the_count_between_app_instances(database_url):
    connection = redis_or_skip()
    unique = uuid.uuid4().hex
    email = f"shared-{unique}@example.com"
    first = redis_app(database_url, f"meetapp-test-{unique}")
    apps = [first]
    with first.app_context():
        create_user(email=email, name="Shared", role="mentee", password=PASSWORD)
    try:
        for number in range(2):
            assert attempt(first.test_client(), email, address=f"10.0.5.{number}").status_code == 200
        # Made after the failures: an in-process store would start this app from zero.
        second = redis_app(database_url, f"meetapp-test-{unique}")
        apps.append(second)
        response = attempt(second.test_client(), email, PASSWORD, address="10.0.5.9")
        assert response.status_code == 429
        assert "Too many login attempts" in response.get_data(as_text=True)
        assert connection.keys(f"*{unique}*"), "the count should live in Redis"
    finally:
        for key in connection.scan_iter(f"*{unique}*"):
            connection.delete(key)
        for app in apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()

