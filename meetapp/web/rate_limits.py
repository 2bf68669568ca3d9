"""Rate limits on failures: failed logins per client address and per account, and refused join
attempts per client address. Only failures are counted, where they happen.

The counts live in `RATELIMIT_STORAGE_URI` (memory:// in one process; Redis when several
processes run, so they count together), counted by the `limits` library, each limit in
fixed windows ("5 per minute;20 per hour"), its keys under `RATELIMIT_KEY_PREFIX`.

* Logging in: a form is checked against both limits before its password is (`refuse_login_if_over`),
  and counts against them only when the email or the password is wrong (`count_failed_login`).
  While an account is over its limit, even the right password does not get in.
* Joining: a refusal counts when it happens (`count_join_refusal`), and only a refusal consults
  the limit. So a join that will be let in never waits on the storage, is never turned away
  because the storage is down, and is not held back by other people behind the same address
  (a clinic's or a company's NAT, where somebody kept opening a stale link).

Should the storage fail, the request goes on without its limit and the failure is logged: a
login still needs the right password, and join tokens are signed, so a limit that cannot count
for a while lets nobody in.

Nothing here runs on requests that have no limits: no hooks, only these calls from the views.
"""
import logging
import math
import time
from dataclasses import dataclass
from functools import cache

from flask import Flask, current_app
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

LOGIN_ADDRESS, LOGIN_ACCOUNT, JOIN_DENIED = "login-address", "login-account", "join-denied"

log = logging.getLogger(__name__)


class TooManyAttempts(TooManyRequests):
    """429, with the seconds until the limit lets the next attempt through in `retry_after`."""


@dataclass(frozen=True)
class Limiter:
    strategy: FixedWindowRateLimiter
    prefix: str
    enabled: bool


def register(app: Flask) -> None:
    """This app's counter, on the configured storage (a storage URI that cannot work stops start-up)."""
    strategy = FixedWindowRateLimiter(storage_from_string(app.config["RATELIMIT_STORAGE_URI"]))
    app.extensions["meetapp.rate_limits"] = Limiter(
        strategy, app.config["RATELIMIT_KEY_PREFIX"], app.config.get("RATELIMIT_ENABLED", True)
    )


def limiter() -> Limiter:
    return current_app.extensions["meetapp.rate_limits"]


def reset() -> None:
    """Forget every count (tests)."""
    limiter().strategy.storage.reset()


@cache
def _parsed(spec: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(spec))


def _refuse_if_over(scope: str, key: str, spec: str) -> None:
    """TooManyAttempts if `key` has used up any of the limits in `spec`; counts nothing."""
    counter = limiter()
    if not counter.enabled:
        return
    identifiers = (counter.prefix, key, scope)
    try:
        used_up = [item for item in _parsed(spec) if not counter.strategy.test(item, *identifiers)]
        if used_up:
            raise TooManyAttempts(retry_after=_seconds_until_reset(counter, used_up, identifiers))
    except TooManyAttempts:
        raise
    except Exception:  # the storage's own errors (redis, memcached) share no base class
        log.exception("The %s limit could not be read; the request goes on without it", scope)


def _hit(scope: str, key: str, spec: str) -> int | None:
    """Count one failure for `key` against every limit in `spec`; the seconds until it may try again
    once it is over one of them, else None."""
    counter = limiter()
    if not counter.enabled:
        return None
    identifiers = (counter.prefix, key, scope)
    try:
        # Every limit counts the failure: no short-circuit.
        breached = [item for item in _parsed(spec) if not counter.strategy.hit(item, *identifiers)]
        return _seconds_until_reset(counter, breached, identifiers) if breached else None
    except Exception:
        log.exception("The %s limit could not be counted; the request goes on without it", scope)
        return None


def _seconds_until_reset(counter: Limiter, items: list[RateLimitItem], identifiers: tuple[str, ...]) -> int:
    resets_at = max(counter.strategy.get_window_stats(item, *identifiers).reset_time for item in items)
    return max(1, math.ceil(resets_at - time.time()))


def refuse_login_if_over(address: str | None, account: str) -> None:
    """Before a login form's password is checked: TooManyAttempts while its address or its account is over."""
    config = current_app.config
    _refuse_if_over(LOGIN_ADDRESS, address or "unknown", config["LOGIN_RATE_LIMIT_PER_ADDRESS"])
    _refuse_if_over(LOGIN_ACCOUNT, account, config["LOGIN_RATE_LIMIT_PER_ACCOUNT"])


def count_failed_login(address: str | None, account: str) -> None:
    """A wrong email or password: one failure for the address and one for the account. This attempt
    has its answer already; the next one over a limit is refused by `refuse_login_if_over`."""
    config = current_app.config
    _hit(LOGIN_ADDRESS, address or "unknown", config["LOGIN_RATE_LIMIT_PER_ADDRESS"])
    _hit(LOGIN_ACCOUNT, account, config["LOGIN_RATE_LIMIT_PER_ACCOUNT"])


def count_join_refusal(address: str | None) -> None:
    """Count one refused join attempt from `address`; TooManyAttempts once the address is over its limit.

    The attempt is then answered with the 429 alone and not logged: a flood of refusals writes no flood of rows.
    """
    retry_after = _hit(JOIN_DENIED, address or "unknown", current_app.config["JOIN_DENIED_RATE_LIMIT"])
    if retry_after is not None:
        raise TooManyAttempts(retry_after=retry_after)


def count_attempt(scope: str, key: str, setting: str) -> None:
    """Count one attempt by `key` (a person's id, a client address, an account's address) against the
    limits in the setting named `setting`; TooManyAttempts, with its Retry-After, once over them.

    For actions limited on every attempt, failed or not: booking, registering, asking for mail.
    Call it before the action does anything, so a refused attempt changes nothing.
    """
    retry_after = _hit(scope, key, current_app.config[setting])
    if retry_after is not None:
        raise TooManyAttempts(retry_after=retry_after)
