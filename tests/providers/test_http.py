"""The HTTP helper: timeouts, which failures are retried and which are not, Retry-After, and the token cache."""
import socket
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from meetapp.providers import RateLimited, Unavailable
from meetapp.providers.http import HttpClient, TokenCache, parse_retry_after, scrub

NOW = 1_795_000_000.0


def client(sleeps, **overrides) -> HttpClient:
    options = {"timeout": 2.0, "connect_timeout": 1.0, "retries": 2, "max_retry_after": 5.0, "sleep": sleeps.append,
               "clock": lambda: NOW}
    return HttpClient("Echo", **(options | overrides))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    "header, seconds",
    [
        ("7", 7.0),
        (" 2.5 ", 2.5),
        (format_datetime(datetime.fromtimestamp(NOW + 90, UTC), usegmt=True), 90.0),  # HTTP-date
        (datetime.fromtimestamp(NOW + 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), 3600.0),  # Zoom's daily limit
        (format_datetime(datetime.fromtimestamp(NOW - 30, UTC), usegmt=True), 0.0),  # already past
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_read_in_each_published_form(header, seconds):
    assert parse_retry_after(header, NOW) == seconds


def test_scrub_removes_secrets_and_keeps_one_short_line():
    text = scrub("bad\n  secret-123 here " + "x" * 500, ["secret-123", None])
    assert "secret-123" not in text and "[redacted]" in text
    assert "\n" not in text and len(text) == 200


def test_get_is_retried_after_a_server_error_then_succeeds(fake_echo, sleeps):
    fake_echo.fail(times=2, status=503)
    response = client(sleeps).send("GET", f"{fake_echo.url}/thing")
    assert response.status_code == 200
    assert len(fake_echo.sent("GET")) == 3
    assert sleeps == [0.25, 0.5]


def test_get_gives_up_after_the_retries_with_unavailable(fake_echo, sleeps):
    fake_echo.fail(times=5, status=500)
    with pytest.raises(Unavailable) as caught:
        client(sleeps).send("GET", f"{fake_echo.url}/thing")
    assert caught.value.transient is True
    assert "HTTP 500" in str(caught.value)
    assert len(fake_echo.sent()) == 3


def test_a_create_is_not_resent_after_a_server_error(fake_echo, sleeps):
    fake_echo.fail(times=1, status=502)
    with pytest.raises(Unavailable):
        client(sleeps).send("POST", f"{fake_echo.url}/meetings", json={})
    assert len(fake_echo.sent("POST")) == 1
    assert sleeps == []


def test_a_post_marked_idempotent_is_retried_after_a_server_error(fake_echo, sleeps):
    fake_echo.fail(times=1, status=500)
    response = client(sleeps).send("POST", f"{fake_echo.url}/token", idempotent=True, data={"a": "b"})
    assert response.status_code == 200
    assert len(fake_echo.sent("POST")) == 2


def test_a_short_retry_after_is_honoured_even_for_a_create(fake_echo, sleeps):
    fake_echo.rate_limit(times=1, retry_after="2")
    response = client(sleeps).send("POST", f"{fake_echo.url}/meetings", json={})
    assert response.status_code == 200
    assert sleeps == [2.0]
    assert len(fake_echo.sent("POST")) == 2


def test_a_long_retry_after_raises_rate_limited_at_once(fake_echo, sleeps):
    fake_echo.rate_limit(times=1, retry_after="120")
    with pytest.raises(RateLimited) as caught:
        client(sleeps).send("GET", f"{fake_echo.url}/thing")
    assert caught.value.retry_after == 120.0
    assert caught.value.transient is True
    assert sleeps == [] and len(fake_echo.sent()) == 1


def test_a_429_without_retry_after_backs_off_briefly_then_raises(fake_echo, sleeps):
    fake_echo.rate_limit(times=5, retry_after=None)
    with pytest.raises(RateLimited) as caught:
        client(sleeps).send("GET", f"{fake_echo.url}/thing")
    assert caught.value.retry_after is None
    assert sleeps == [0.25, 0.5]


def test_the_retry_after_cap_is_configurable(fake_echo, sleeps):
    fake_echo.rate_limit(times=1, retry_after="3")
    with pytest.raises(RateLimited):
        client(sleeps, max_retry_after=1.0).send("GET", f"{fake_echo.url}/thing")


def test_a_slow_answer_times_out_quickly_and_is_retried_for_a_get(fake_echo, sleeps):
    fake_echo.slow_down(1.0, times=3)
    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        client(sleeps, timeout=0.15, retries=1).send("GET", f"{fake_echo.url}/slow")
    assert time.monotonic() - started < 0.9
    assert "did not answer within 0.15 s" in str(caught.value)
    assert len(fake_echo.sent("GET")) == 2


def test_a_create_that_timed_out_is_not_resent(fake_echo, sleeps):
    fake_echo.slow_down(0.5, times=3)
    with pytest.raises(Unavailable):
        client(sleeps, timeout=0.15).send("POST", f"{fake_echo.url}/meetings", json={})
    assert len(fake_echo.sent("POST")) == 1
    assert sleeps == []


def test_a_refused_connection_is_retried_even_for_a_create(sleeps):
    with pytest.raises(Unavailable) as caught:
        client(sleeps).send("POST", f"http://127.0.0.1:{closed_port()}/meetings", json={})
    assert str(caught.value) == "Echo could not be reached."
    assert sleeps == [0.25, 0.5]  # two retries: nothing reached the provider, so nothing can be duplicated


def test_client_errors_are_returned_to_the_caller_without_retries(fake_echo, sleeps):
    fake_echo.fail(times=1, status=404)
    response = client(sleeps).send("GET", f"{fake_echo.url}/thing")
    assert response.status_code == 404
    assert len(fake_echo.sent()) == 1


def test_retries_are_logged_without_headers_or_query_string(fake_echo, sleeps, caplog):
    fake_echo.fail(times=1, status=503)
    caplog.set_level("DEBUG")
    client(sleeps).send("GET", f"{fake_echo.url}/thing?code=query-secret", headers={"Authorization": "Bearer tok-1"})
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name == "meetapp.providers")
    assert "HTTP 503" in ours and "query-secret" not in ours
    assert "tok-1" not in caplog.text


class Fetches:
    def __init__(self, expires_in: float = 3600):
        self.count, self.expires_in = 0, expires_in

    def __call__(self):
        self.count += 1
        time.sleep(0.01)  # long enough for concurrent callers to pile up behind the lock
        return f"token-{self.count}", self.expires_in


def test_token_cache_reuses_a_token_until_a_minute_before_it_expires():
    now = [NOW]
    cache, fetch = TokenCache(lambda: now[0]), Fetches(3600)
    assert cache.get("a", fetch) == "token-1"
    now[0] += 3600 - 61
    assert cache.get("a", fetch) == "token-1"
    now[0] += 2
    assert cache.get("a", fetch) == "token-2"


def test_token_cache_keeps_subjects_apart_and_invalidates_only_the_failed_token():
    cache, fetch = TokenCache(lambda: NOW), Fetches()
    assert cache.get("ada", fetch) == "token-1"
    assert cache.get("bob", fetch) == "token-2"
    cache.invalidate("ada", "token-0")  # an older token: the current one stays
    assert cache.get("ada", fetch) == "token-1"
    cache.invalidate("ada", "token-1")
    assert cache.get("ada", fetch) == "token-3"
    assert cache.get("bob", fetch) == "token-2"


def test_token_cache_fetches_once_for_many_threads():
    cache, fetch = TokenCache(lambda: NOW), Fetches()
    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("a", fetch))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["token-1"] * 8
    assert fetch.count == 1
