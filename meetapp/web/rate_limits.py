"""Rate limits beyond Flask-Limiter's decorators: the join doors' refused attempts per client address
(`JOIN_DENIED_RATE_LIMIT`).

A refusal is counted when it happens, and only a refusal consults the limit. So a join that
will be let in never waits on the limit's storage (Redis, when several processes run), is
never turned away because that storage is down, and is not held back by other people behind
the same address (a clinic's or a company's NAT, where somebody kept opening a stale link).
What the limit is for, someone walking through tokens or session ids, is refusals only.

It runs on Flask-Limiter's own strategy and storage, so it follows `RATELIMIT_STORAGE_URI`
and `RATELIMIT_KEY_PREFIX` like every other limit, and it is shared by both doors.
"""
import logging
import math
import time
from functools import cache

from flask import current_app
from limits import RateLimitItem, parse_many
from werkzeug.exceptions import TooManyRequests

from meetapp.extensions import limiter

SCOPE = "join-denied"

log = logging.getLogger(__name__)


class TooManyRefusals(TooManyRequests):
    """429: this address has been refused too often; the attempt is answered with this alone and not recorded."""


@cache
def _limits(spec: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(spec))


def count_join_refusal(address: str | None) -> None:
    """Counts one refused attempt from `address`; raises TooManyRefusals once the address is over its limit.

    Should the storage fail, the refusal is still given and the failure logged: the attempt was
    refused either way, and the join tokens are signed, so a limit that cannot count for a while
    lets nobody in.
    """
    if not limiter.enabled:
        return
    config = current_app.config
    identifiers = (config["RATELIMIT_KEY_PREFIX"], address or "unknown", SCOPE)
    items, strategy = _limits(config["JOIN_DENIED_RATE_LIMIT"]), limiter.limiter
    try:
        # Every limit counts the attempt, as Flask-Limiter's own would: no short-circuit.
        breached = [item for item in items if not strategy.hit(item, *identifiers)]
        if not breached:
            return
        resets_at = max(strategy.get_window_stats(item, *identifiers).reset_time for item in breached)
    except Exception:  # the storage's own errors (redis, memcached) share no base class
        log.exception("The join refusal limit could not be counted; the refusal stands without it")
        return
    raise TooManyRefusals(retry_after=max(1, math.ceil(resets_at - time.time())))
