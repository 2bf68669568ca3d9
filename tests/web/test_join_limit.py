"""The join doors' rate limit: refusals are counted per address when they happen, and only they."""
import logging
import uuid
from dataclasses import replace

import pytest
import sqlalchemy as sa
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from meetapp.extensions import db
from meetapp.models import AttendanceEvent
from meetapp.services.accounts import create_user
from tests.support import MENTEE_EMAIL, OPENS, PASSWORD, ApiClient, attempts
from tests.web.helpers import redis_app, redis_or_skip

STRANGER_EMAIL = "sam.stranger@example.com"


@pytest.fixture
def two_refusals(app):
    app.config["JOIN_DENIED_RATE_LIMIT"] = "2 per minute"
    return app


def get(client, path, address):
    return client.get(path, environ_base={"REMOTE_ADDR": address})


def test_over_the_limit_a_refusal_is_429_with_retry_after_and_writes_nothing(
    two_refusals, client, auth, clock, confirmed_with_links, people
):
    _, mentee_path, _ = confirmed_with_links
    people.make("mentee", "Sam Stranger", email=STRANGER_EMAIL)
    clock.move_to(OPENS)
    auth.login(STRANGER_EMAIL)
    assert [get(client, mentee_path, "203.0.113.1").status_code for _ in range(2)] == [403, 403]
    logged = attempts(two_refusals)
    assert [outcome for _, outcome, _ in logged] == ["denied", "denied"]

    response = get(client, mentee_path, "203.0.113.1")
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["Cache-Control"] == "no-store"
    assert "Too many attempts" in response.get_data(as_text=True)
    # A flood of refusals writes no flood of rows.
    assert attempts(two_refusals) == logged
    # The count is per address.
    assert get(client, mentee_path, "198.51.100.1").status_code == 403


def test_an_address_over_the_limit_still_lets_its_own_participant_in(
    two_refusals, client, auth, clock, confirmed_with_links, mentee
):
    # Behind one NAT: somebody kept opening a broken link, then the patient opens theirs.
    _, mentee_path, _ = confirmed_with_links
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    assert [get(client, "/join/broken-link", "203.0.113.2").status_code for _ in range(3)] == [404, 404, 429]
    response = get(client, mentee_path, "203.0.113.2")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://meet.jit.si/")
    assert attempts(two_refusals)[-1] == (mentee, "joined", "in_window")
    # Refusals stay refused.
    assert get(client, "/join/broken-link", "203.0.113.2").status_code == 429


def test_too_early_is_a_refusal_and_counts(two_refusals, client, auth, clock, confirmed_with_links):
    _, mentee_path, _ = confirmed_with_links
    auth.login(MENTEE_EMAIL)
    assert [get(client, mentee_path, "203.0.113.3").status_code for _ in range(3)] == [200, 200, 429]


def test_both_doors_share_one_count(two_refusals, client, auth, clock, confirmed_with_links, people, mentee):
    session_id, _, _ = confirmed_with_links
    auth.login(MENTEE_EMAIL)
    assert [get(client, "/join/broken-link", "203.0.113.4").status_code for _ in range(2)] == [404, 404]
    api = ApiClient(client, people.token(mentee))
    response = api.get(f"/api/mentoring/session/{session_id}x/join", environ_base={"REMOTE_ADDR": "203.0.113.4"})
    assert response.status_code == 429
    assert response.json["error"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_anonymous_visitors_are_sent_to_log_in_and_counted(two_refusals, client, clock, confirmed_with_links):
    _, mentee_path, _ = confirmed_with_links
    assert [get(client, mentee_path, "203.0.113.5").status_code for _ in range(3)] == [302, 302, 429]
    assert [get(client, "/join/broken-link", "198.51.100.5").status_code for _ in range(3)] == [302, 302, 429]


def anonymous_rows(app) -> list[tuple]:
    with app.app_context():
        return [
            (event.address, event.at)
            for event in db.session.scalars(
                sa.select(AttendanceEvent).where(AttendanceEvent.user_id.is_(None)).order_by(AttendanceEvent.id)
            )
        ]


def test_anonymous_hits_on_a_link_are_logged_once_a_minute_per_address(app, client, clock, confirmed_with_links):
    _, mentee_path, _ = confirmed_with_links
    for _ in range(5):
        assert get(client, mentee_path, "203.0.113.8").status_code == 302
    assert get(client, mentee_path, "198.51.100.8").status_code == 302
    assert [address for address, _ in anonymous_rows(app)] == ["203.0.113.8", "198.51.100.8"]
    clock.shift(59)
    get(client, mentee_path, "203.0.113.8")
    assert len(anonymous_rows(app)) == 2
    clock.shift(2)
    get(client, mentee_path, "203.0.113.8")
    assert [address for address, _ in anonymous_rows(app)] == ["203.0.113.8", "198.51.100.8", "203.0.113.8"]
    # A link that names no session logs nothing at all.
    get(client, "/join/broken-link", "203.0.113.8")
    assert len(anonymous_rows(app)) == 3


@pytest.fixture
def storage_down(app, monkeypatch):
    """Call it to make the limiter's storage a Redis nobody answers at (port 1 refuses connections)."""
    down = FixedWindowRateLimiter(storage_from_string("redis://127.0.0.1:1"))
    counter = app.extensions["meetapp.rate_limits"]
    return lambda: monkeypatch.setitem(app.extensions, "meetapp.rate_limits", replace(counter, strategy=down))


def test_with_its_storage_down_refusals_are_still_refused_and_joins_go_through(
    two_refusals, client, auth, clock, confirmed_with_links, mentee, storage_down, caplog
):
    _, mentee_path, _ = confirmed_with_links
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)  # logging in has limits of its own, counted in the same storage
    storage_down()
    with caplog.at_level(logging.ERROR, logger="meetapp.web.rate_limits"):
        assert [get(client, "/join/broken-link", "203.0.113.6").status_code for _ in range(3)] == [404, 404, 404]
    assert "could not be counted" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        assert get(client, mentee_path, "203.0.113.6").status_code == 302
    # An allowed join never asked the storage.
    assert caplog.records == []
    assert attempts(two_refusals)[-1] == (mentee, "joined", "in_window")


def test_refusals_are_counted_in_redis_across_app_processes(database_url):
    connection = redis_or_skip()
    unique = uuid.uuid4().hex
    email = f"walker-{unique}@example.com"
    apps = [redis_app(database_url, f"meetapp-test-{unique}", JOIN_DENIED_RATE_LIMIT="2 per minute")]
    with apps[0].app_context():
        create_user(email=email, name="Link Walker", role="mentee", password=PASSWORD)

    def logged_in(app):
        client = app.test_client()
        client.post("/auth/login", data={"email": email, "password": PASSWORD})
        return client

    try:
        first = logged_in(apps[0])
        assert [get(first, "/join/walking", "203.0.113.7").status_code for _ in range(2)] == [404, 404]
        # Made after the refusals: an in-process store would start this app from zero.
        apps.append(redis_app(database_url, f"meetapp-test-{unique}", JOIN_DENIED_RATE_LIMIT="2 per minute"))
        assert get(logged_in(apps[1]), "/join/walking", "203.0.113.7").status_code == 429
        assert any(b"join-denied" in key for key in connection.keys(f"*{unique}*"))
    finally:
        for key in connection.scan_iter(f"*{unique}*"):
            connection.delete(key)
        for app in apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
