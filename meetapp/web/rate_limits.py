"""Rate limits: failed logins per client address, per account and per device, refused join attempts
per client address, and actions limited on every attempt (booking, registering, asking for mail).

The counts live in `RATELIMIT_STORAGE_URI` (memory:// in one process; Redis when several
processes run, so they count together), counted by the `limits` library, each limit in
fixed windows ("5 per minute;20 per hour"), its keys under `RATELIMIT_KEY_PREFIX`.

* Logging in, after OWASP's "device cookies": a browser that has logged in to an account carries a
  signed device cookie for it (auth.routes). With it, the browser is trusted by that account: its
  failures count against the device (`LOGIN_RATE_LIMIT_PER_DEVICE`), and the account's lockout does
  not apply to it until the device has used up its own limit. Every other attempt is untrusted: its
  failures count against the account (`LOGIN_RATE_LIMIT_PER_ACCOUNT`), and while the account is over,
  untrusted clients are refused even with the right password. So someone guessing at a clinician's
  password locks out nobody but other strangers. The address limit applies to everyone.
  A form is checked before its password is (`refuse_login_if_over`), and counts only when the email
  or the password is wrong (`count_failed_login`).
* Joining: a refusal counts when it happens (`count_join_refusal`), and only a refusal consults
  the limit. So a join that will be let in never waits on the storage, is never turned away
  because the storage is down, and is not held back by other people behind the same address
  (a clinic's or a company's NAT, where somebody kept opening a stale link).
* Booking, rescheduling, registering, asking for mail: every attempt counts, before the action
  does anything (`count_attempt`), so a refused one changes nothing.

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

LOGIN_ADDRESS, LOGIN_ACCOUNT, LOGIN_DEVICE = "login-address", "login-account", "login-device"
JOIN_DENIED, LOCKOUT_MAIL, BOOKING = "join-denied", "lockout-mail", "booking"
# However often an account is locked, its owner hears about it at most this often.
LOCKOUT_MAIL_LIMIT = "1 per hour"

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
    retry_after = _used_up(scope, key, spec)
    if retry_after is not None:
        raise TooManyAttempts(retry_after=retry_after)


def _used_up(scope: str, key: str, spec: str) -> int | None:
    """The seconds until `key` may try again if it has used up any of the limits in `spec`, else None;
    counts nothing."""
    counter = limiter()
    if not counter.enabled:
        return None
    identifiers = (counter.prefix, key, scope)
    try:
        used_up = [item for item in _parsed(spec) if not counter.strategy.test(item, *identifiers)]
        return _seconds_until_reset(counter, used_up, identifiers) if used_up else None
    except Exception:  # the storage's own errors (redis, memcached) share no base class
        log.exception("The %s limit could not be read; the request goes on without it", scope)
        return None


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


def trusted_device(device: str | None) -> str | None:
    """`device` (the nonce of a device cookie the account being logged in to gave this browser) while
    the device has failures left; None once it has used them up, or had no cookie: untrusted."""
    if device is None or _used_up(LOGIN_DEVICE, device, current_app.config["LOGIN_RATE_LIMIT_PER_DEVICE"]) is not None:
        return None
    return device


def refuse_login_if_over(address: str | None, account: str, device: str | None) -> None:
    """Before a login form's password is checked: TooManyAttempts while its address is over, or, for an
    untrusted client (`device` None, see `trusted_device`), while its account is."""
    config = current_app.config
    _refuse_if_over(LOGIN_ADDRESS, address or "unknown", config["LOGIN_RATE_LIMIT_PER_ADDRESS"])
    if device is None:
        _refuse_if_over(LOGIN_ACCOUNT, account, config["LOGIN_RATE_LIMIT_PER_ACCOUNT"])


def count_failed_login(address: str | None, account: str, device: str | None) -> int | None:
    """A wrong email or password: one failure for the address, and one for the trusted device or else
    for the account. This attempt has its answer already; the next one over a limit is refused by
    `refuse_login_if_over`.

    When this failure used up the account's limit, the seconds until untrusted clients may try again
    (the owner should hear of it: `lockout_mail_due`); else None."""
    config = current_app.config
    _hit(LOGIN_ADDRESS, address or "unknown", config["LOGIN_RATE_LIMIT_PER_ADDRESS"])
    if device is not None:
        _hit(LOGIN_DEVICE, device, config["LOGIN_RATE_LIMIT_PER_DEVICE"])
        return None
    _hit(LOGIN_ACCOUNT, account, config["LOGIN_RATE_LIMIT_PER_ACCOUNT"])
    return _used_up(LOGIN_ACCOUNT, account, config["LOGIN_RATE_LIMIT_PER_ACCOUNT"])


def lockout_mail_due(account: str) -> bool:
    """Whether the owner of `account`, just locked, is to be mailed about it: once per LOCKOUT_MAIL_LIMIT."""
    counter = limiter()
    if not counter.enabled:
        return False
    try:
        return counter.strategy.hit(_parsed(LOCKOUT_MAIL_LIMIT)[0], counter.prefix, account, LOCKOUT_MAIL)
    except Exception:
        # Better no mail than one on every failed attempt while the storage is away.
        log.exception("The lockout mail limit could not be counted; no mail this time")
        return False


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


def count_booking(user_id: int) -> None:
    """One booking or rescheduling by this person, counted before the booking service runs;
    TooManyAttempts once they are over BOOKING_RATE_LIMIT."""
    count_attempt(BOOKING, str(user_id), "BOOKING_RATE_LIMIT")
