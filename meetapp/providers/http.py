"""HTTP plumbing for the provider clients: explicit timeouts, a couple of quick retries, and an access-token cache.

Nothing here logs a header or a body: they carry bearer tokens, client secrets, signed assertions and Zoom's start_url.
"""
import email.utils
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError

from meetapp.providers import RateLimited, Unavailable

log = logging.getLogger("meetapp.providers")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
DETAIL_LIMIT = 200


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait, from Retry-After as delta-seconds, an HTTP-date, or the ISO 8601 instant Zoom sends.

    `now` is wall-clock time (seconds since the epoch). None when there is no usable value.
    """
    if not value or not value.strip():
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def scrub(text: object, secrets: Iterable[str | None] = ()) -> str:
    """A provider's own error text, made fit for a mentor: one short line, without any of our secrets."""
    line = " ".join(str(text or "").split())
    for secret in secrets:
        if secret:
            line = line.replace(secret, "[redacted]")
    return line if len(line) <= DETAIL_LIMIT else line[: DETAIL_LIMIT - 1] + "…"


def json_body(response: requests.Response) -> dict[str, Any]:
    """The response's JSON object, or {} when it has none (error pages from proxies are often HTML)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _never_sent(exc: requests.RequestException) -> bool:
    """Whether the connection failed before any byte of the request went out (refused, DNS, connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, ConnectTimeoutError)  # NewConnectionError and NameResolutionError are subclasses


class HttpClient:
    """`requests.Session` with (connect, read) timeouts and bounded, quick retries.

    Retries only happen when they are cheap and safe:

    * idempotent requests (GET, PATCH, DELETE, and token POSTs, which the caller marks idempotent) on a
      connection error, a timeout, a 5xx or a 429;
    * any request, including one that creates a meeting, when the connection was never made or the answer
      was 429: in both cases the provider has not acted on it.

    A create is never resent after a read timeout, a dropped connection or a 5xx: the provider may already
    have made the meeting, and a blind retry would make a second one that nobody deletes. The caller gets
    `Unavailable` and decides. A wait longer than `max_retry_after`, or a failure after the last retry, raises
    `RateLimited` / `Unavailable` at once so the caller's worker backs off instead of holding a thread.
    """

    def __init__(
        self,
        label: str,
        *,
        session: requests.Session | None = None,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        retries: int = 2,
        max_retry_after: float = 5.0,
        backoff: float = 0.25,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ):
        self.label = label
        self.session = session or requests.Session()
        self.timeout, self.connect_timeout = timeout, connect_timeout
        self.retries, self.max_retry_after, self.backoff = retries, max_retry_after, backoff
        self.sleep, self.clock = sleep, clock

    def send(self, method: str, url: str, *, idempotent: bool | None = None, **kwargs: Any) -> requests.Response:
        """The provider's answer, which may be any status below 500 except 429 (those raise or are retried)."""
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        attempt = 0
        while True:
            attempt += 1
            final = attempt > self.retries
            try:
                response = self.session.request(
                    method, url, timeout=(self.connect_timeout, self.timeout), **kwargs
                )
            except requests.RequestException as exc:
                self._raise_unless_retryable(exc, idempotent=idempotent, final=final)
                reason, delay = type(exc).__name__, self._backoff(attempt)
            else:
                delay = self._retry_delay(response, idempotent=idempotent, final=final, attempt=attempt)
                if delay is None:
                    return response
                reason = f"HTTP {response.status_code}"
            log.warning(
                "%s: %s %s failed (%s); retry %d of %d in %.2f s",
                self.label, method, _without_query(url), reason, attempt, self.retries, delay,
            )
            self.sleep(delay)

    def _backoff(self, attempt: int) -> float:
        return self.backoff * 2 ** (attempt - 1)

    def _raise_unless_retryable(self, exc: requests.RequestException, *, idempotent: bool, final: bool) -> None:
        never_sent = _never_sent(exc)
        # A certificate problem will not fix itself in a quarter of a second.
        retryable = never_sent or (idempotent and not isinstance(exc, requests.exceptions.SSLError))
        if retryable and not final:
            return
        if isinstance(exc, requests.Timeout) and not never_sent:
            message = f"{self.label} did not answer within {self.timeout:g} s."
        else:
            message = f"{self.label} could not be reached."
        raise Unavailable(message, provider=self.label) from exc

    def _retry_delay(
        self, response: requests.Response, *, idempotent: bool, final: bool, attempt: int
    ) -> float | None:
        status = response.status_code
        if status != 429 and status < 500:
            return None
        retry_after = parse_retry_after(response.headers.get("Retry-After"), self.clock())
        too_long = retry_after is not None and retry_after > self.max_retry_after
        if status == 429:
            # 429 means the provider did nothing with the request, so even a create may be sent again.
            if final or too_long:
                raise RateLimited(
                    f"{self.label} is rate limiting meetapp; try again later.",
                    retry_after=retry_after,
                    provider=self.label,
                )
        elif final or too_long or not idempotent:
            raise Unavailable(
                f"{self.label} had a server error (HTTP {status}).", retry_after=retry_after, provider=self.label
            )
        return retry_after if retry_after is not None else self._backoff(attempt)


def _without_query(url: str) -> str:
    return url.split("?", 1)[0]


class TokenCache:
    """Access tokens per subject, reused until `margin` seconds before they expire. Safe across threads.

    One lock per subject: concurrent requests for the same subject wait for one token request instead of
    each fetching their own (Zoom invalidates older tokens when too many are issued at once).
    """

    def __init__(self, clock: Callable[[], float] = time.time, margin: float = 60.0):
        self._clock, self._margin = clock, margin
        self._tokens: dict[str, tuple[str, float]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, subject: str, fetch: Callable[[], tuple[str, float]]) -> str:
        """The cached token for `subject`, or a new one from `fetch()` -> (token, expires_in seconds)."""
        with self._lock_for(subject):
            cached = self._tokens.get(subject)
            if cached and self._clock() < cached[1]:
                return cached[0]
            asked_at = self._clock()
            token, expires_in = fetch()
            margin = min(self._margin, expires_in / 2)
            self._tokens[subject] = (token, asked_at + expires_in - margin)
            return token

    def invalidate(self, subject: str, token: str) -> None:
        """Forget `token`, unless another thread has already replaced it with a fresh one."""
        with self._lock_for(subject):
            cached = self._tokens.get(subject)
            if cached and cached[0] == token:
                del self._tokens[subject]

    def _lock_for(self, subject: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(subject, threading.Lock())
