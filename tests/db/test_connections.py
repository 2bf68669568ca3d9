"""PostgreSQL connections that went stale while idle are replaced; busy ones are not pinged.

The server really drops the connection (pg_terminate_backend), as a restart or a firewall would.
"""
import pytest
import sqlalchemy as sa

from meetapp import connections
from meetapp.extensions import db
from tests.support import database_backends, running_app

# SQLite has no server to lose a connection to. (Under CI PostgreSQL is required, so this never skips there.)
pytestmark = [
    pytest.mark.skipif("postgresql" not in database_backends(), reason="PostgreSQL is not reachable"),
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]


def backend_pid(app) -> int:
    with app.app_context():
        pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
        db.session.remove()
    return pid


def terminate(pid: int, postgres_engine) -> None:
    with postgres_engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def pings(app, monkeypatch) -> list[object]:
    """Every ping the pool makes from now on."""
    seen = []
    with app.app_context():
        dialect = db.engine.dialect
    real = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda connection: seen.append(connection) or real(connection))
    return seen


def test_a_connection_that_went_stale_while_idle_is_replaced(database_url, postgres_engine, monkeypatch):
    monkeypatch.setattr(connections, "IDLE_SECONDS", 0.0)
    with running_app(database_url) as app:
        seen = pings(app, monkeypatch)
        stale = backend_pid(app)
        terminate(stale, postgres_engine)
        seen.clear()
        assert app.test_client().get("/healthz/ready").status_code == 200
        assert len(seen) == 1  # the stale one, which failed and was replaced without the request noticing
        assert backend_pid(app) != stale


def test_a_connection_in_steady_use_is_not_pinged(database_url, monkeypatch):
    with running_app(database_url) as app:
        seen = pings(app, monkeypatch)
        client = app.test_client()
        for _ in range(5):
            assert client.get("/healthz/ready").status_code == 200
        assert seen == []


def test_losing_the_database_under_a_request_is_a_503_and_the_next_one_reconnects(
    database_url, postgres_engine, people, client, auth
):
    app = client.application
    people.make("mentee", "Max Mentee")
    auth.login("max.mentee@example.com")
    terminate(backend_pid(app), postgres_engine)
    response = client.get("/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert "try again" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_losing_the_database_under_an_api_request_is_a_json_503(database_url, postgres_engine, client, api_as, mentee):
    api = api_as(mentee)
    app = client.application
    terminate(backend_pid(app), postgres_engine)
    response = api.get("/api/mentoring/sessions")
    assert response.status_code == 503
    assert response.json["error"] == "unavailable"
    assert api.get("/api/mentoring/sessions").status_code == 200
