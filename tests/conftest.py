"""Shared fixtures, in the style of Flask's tutorial: app, client, runner, auth, plus people and a clock.

Every test that uses `app` runs once on a fresh SQLite file and, when
TEST_DATABASE_URL is set (always under CI=true), once on PostgreSQL.
The plain helpers these fixtures wrap live in tests/support.py.
"""
import pytest
import sqlalchemy as sa
import time_machine

from meetapp.extensions import db
from tests.providers.fakes import FakeGoogle, FakeZoom
from tests.support import (
    IN_CI,
    NOW,
    POSTGRES_URL,
    ApiClient,
    AuthActions,
    People,
    SmtpSink,
    database_backends,
    path_of,
    running_app,
    scratch_postgres_database,
)


def pytest_configure(config):
    if IN_CI and not POSTGRES_URL:
        raise pytest.UsageError("CI=true needs TEST_DATABASE_URL: the suite must run on PostgreSQL too.")


@pytest.fixture(scope="session")
def postgres_engine():
    """This run's PostgreSQL database with the schema in place."""
    with scratch_postgres_database("meetapp_test") as engine:
        db.metadata.create_all(engine)
        yield engine


@pytest.fixture(params=database_backends())
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'meetapp.db'}"
        return
    engine = request.getfixturevalue("postgres_engine")
    tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield engine.url.render_as_string(hide_password=False)


@pytest.fixture
def app(database_url):
    with running_app(database_url) as app:
        yield app


@pytest.fixture
def csrf_app(database_url):
    """Like `app`, with CSRF protection on as in production (the plain `app` turns it off)."""
    with running_app(database_url, WTF_CSRF_ENABLED=True) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def clock():
    """Freeze time at NOW; `clock.move_to(...)` / `clock.shift(...)` move it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(app):
    return People(app)


@pytest.fixture
def mentor(people):
    return people.make("mentor", "Mona Mentor", timezone="Europe/Berlin")


@pytest.fixture
def mentee(people):
    return people.make("mentee", "Max Mentee", timezone="America/New_York")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def api_as(client, people):
    """`api_as(user_id)` gives an API client authenticated as that user."""
    return lambda user_id: ApiClient(client, people.token(user_id))


@pytest.fixture
def as_mentee(api_as, mentee):
    return api_as(mentee)


@pytest.fixture
def as_mentor(api_as, mentor):
    return api_as(mentor)


@pytest.fixture
def confirmed_with_links(clock, api_as, mentor, mentee):
    """A confirmed session at 10:00 UTC (tests.support.START): (id, the mentee's join path, the mentor's join path)."""
    as_mentee, as_mentor = api_as(mentee), api_as(mentor)
    session = as_mentee.post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": "2026-11-23T10:00:00Z", "durationMinutes": 60}
    ).json["session"]
    confirmed = as_mentor.post(f"/api/mentoring/session/{session['id']}/confirm").json["session"]
    return session["id"], path_of(session["joinUrl"]), path_of(confirmed["joinUrl"])


@pytest.fixture
def smtp_sink():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def fake_zoom():
    """The fake Zoom API (tests/providers/fakes.py) on a free port."""
    with FakeZoom() as fake:
        yield fake


@pytest.fixture
def fake_google():
    """The fake Google OAuth and Meet APIs (tests/providers/fakes.py) on a free port."""
    with FakeGoogle() as fake:
        yield fake
