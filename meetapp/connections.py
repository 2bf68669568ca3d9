"""Pooled PostgreSQL connections are checked before use only when they have sat idle.

SQLAlchemy's `pool_pre_ping` checks every connection on every checkout: one more round
trip on every request, the fifth of a status poll's (BEGIN, the viewer, the session,
ROLLBACK). Measured side by side with `bench/run --pg --only status,access --rounds 5`,
this module keeps the status poll at 0.32 of its floor twin against 0.30 with
`pool_pre_ping` (bench/RESULTS.md). What it is for is a connection that
went stale while nobody used it: the server or a firewall closed it, or the database
restarted overnight. So a connection is pinged when it has been idle for longer than
`IDLE_SECONDS`, and one in steady use is not. Should the database go away under load,
the requests then in flight fail as they would with a ping, and SQLAlchemy drops the
whole pool at the first such failure; the error pages answer those with a 503.
"""
import time

import sqlalchemy as sa

# A connection used this recently was talking to the server a moment ago.
IDLE_SECONDS = 10.0
_CHECKED_IN_AT = "meetapp_checked_in_at"


def ping_when_idle(engine: sa.Engine) -> None:
    """Install the check on `engine`'s pool (instead of `pool_pre_ping`)."""

    @sa.event.listens_for(engine.pool, "checkin")
    def remember_when(dbapi_connection, record) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @sa.event.listens_for(engine.pool, "checkout")
    def ping_if_idle(dbapi_connection, record, proxy) -> None:
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if checked_in_at is None or time.monotonic() - checked_in_at <= IDLE_SECONDS:
            return  # just connected, or in steady use
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            # The pool throws this connection away and hands out a fresh one.
            raise sa.exc.DisconnectionError("connection went stale while idle") from exc
