"""Polls, dashboards and joins run on one Core connection of their own, without a transaction on
PostgreSQL; everything else keeps the ORM session and its transaction."""
import sqlite3
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from meetapp.autocommit import autocommit_endpoints
from meetapp.extensions import db
from meetapp.models import AttendanceEvent, MentoringSession
from tests.web import test_join_proxy
from tests.web.test_join_proxy import MENTEE_EMAIL, OPENS, attempts

booked = test_join_proxy.booked  # a confirmed session at 10:00 UTC


def in_autocommit(dbapi_connection) -> bool:
    if isinstance(dbapi_connection, sqlite3.Connection):
        return dbapi_connection.isolation_level is None
    return dbapi_connection.autocommit


@contextmanager
def modes_of_statements(app):
    """(statement's first word, whether it ran in autocommit) for each statement run inside the block."""
    seen: list[tuple[str, bool]] = []

    def record(connection, cursor, statement, parameters, context, executemany):
        seen.append((statement.split(None, 1)[0].upper(), in_autocommit(connection.connection.dbapi_connection)))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_only_views_that_read_or_log_one_row_are_marked(app):
    assert autocommit_endpoints(app) == {"dashboard.index", "sessions.status", "join.enter"}


@contextmanager
def checkouts(app):
    """How many connections the pool hands out inside the block."""
    count = [0]

    def checkout(dbapi_connection, connection_record, connection_proxy):
        count[0] += 1

    with app.app_context():
        pool = db.engine.pool
    sa.event.listen(pool, "checkout", checkout)
    try:
        yield count
    finally:
        sa.event.remove(pool, "checkout", checkout)


def test_polls_dashboards_and_joins_run_without_a_transaction_on_postgresql(
    app, client, auth, clock, booked, database_url
):
    session_id, mentee_path, _ = booked
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    with modes_of_statements(app) as seen:
        assert client.get("/").status_code == 200
        assert client.get(f"/sessions/{session_id}/status").status_code == 200
        assert client.get(mentee_path).status_code == 302
    assert [kind for kind, _ in seen].count("INSERT") == 1
    on_postgres = database_url.startswith("postgresql")
    # SQLite reads outside a transaction already, and wraps a lone INSERT in one itself.
    assert {autocommitted for _, autocommitted in seen} == {on_postgres}, seen
    assert [outcome for _, outcome, _ in attempts(app)][-1:] == ["joined"]


def test_a_join_is_logged_for_everyone_to_see_before_its_answer_is_out(app, client, auth, clock, booked, database_url):
    # Not after the response, nor in batches: once the redirect is out, no crash can lose the attempt.
    session_id, mentee_path, _ = booked
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    other = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    seen_by_other = []

    def look(response):
        with other.connect() as connection:
            seen_by_other.append(connection.scalar(
                sa.select(sa.func.count()).select_from(AttendanceEvent).where(AttendanceEvent.session_id == session_id)
            ))
        return response

    app.after_request_funcs.setdefault("join", []).append(look)
    try:
        assert client.get(mentee_path).status_code == 302
    finally:
        app.after_request_funcs["join"].remove(look)
        other.dispose()
    assert seen_by_other == [1]


@pytest.mark.parametrize("path", ["/", "status", "join"])
def test_a_hot_view_checks_out_one_connection_for_the_viewer_and_its_rows(app, client, auth, clock, booked, path):
    session_id, mentee_path, _ = booked
    path = {"status": f"/sessions/{session_id}/status", "join": mentee_path}.get(path, path)
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    with checkouts(app) as count:
        assert client.get(path).status_code in (200, 302)
    assert count[0] == 1


def test_the_api_join_keeps_the_sessions_transaction(app, clock, booked, api_as, mentee, database_url):
    # Not a hot view: the token's last use and the attempt are written in one transaction.
    session_id, _, _ = booked
    clock.move_to(OPENS)
    as_mentee = api_as(mentee)
    with modes_of_statements(app) as seen:
        assert as_mentee.get(f"/api/mentoring/session/{session_id}/join").status_code == 302
    assert [kind for kind, _ in seen].count("INSERT") == 1
    assert not any(autocommitted for _, autocommitted in seen), seen
    assert attempts(app)[-1][1:] == ("joined", "in_window")


def test_a_change_still_runs_in_one_transaction(app, client, auth, clock, booked, api_as, mentor):
    session_id, _, _ = booked
    with modes_of_statements(app) as seen:
        response = api_as(mentor).post(f"/api/mentoring/session/{session_id}/cancel", json={"reason": "Ill"})
        assert response.status_code == 200
    writes = [autocommitted for kind, autocommitted in seen if kind in ("INSERT", "UPDATE", "DELETE")]
    assert len(writes) >= 2 and not any(writes), seen


def test_the_connection_goes_back_to_transactions_afterwards(app, client, auth, clock, booked):
    session_id, mentee_path, _ = booked
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    assert client.get(mentee_path).status_code == 302
    with app.app_context():
        logged = db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceEvent))
        assert not in_autocommit(db.session.connection().connection.dbapi_connection)
        # Two writes, then a rollback: neither stays.
        db.session.execute(sa.insert(AttendanceEvent.__table__).values(
            session_id=session_id, user_id=None, at=OPENS, outcome="denied", reason="unauthenticated", address=None
        ))
        db.session.execute(sa.update(MentoringSession).where(MentoringSession.id == session_id).values(revision=99))
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceEvent)) == logged
        assert db.session.get(MentoringSession, session_id).revision != 99
