"""Helpers and constants for the whole suite: a clock reading, people, API and SMTP stand-ins, app and database set-up.

Plain code, no fixtures: test modules import from here; the fixtures that wrap these live in tests/conftest.py.
"""
import os
import re
import socket
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from meetapp import create_app
from meetapp.config import testing_config
from meetapp.extensions import db
from meetapp.models import AttendanceEvent
from meetapp.services.accounts import create_user, issue_api_token
from meetapp.services.booking import ensure_default_session_types

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
# A Monday morning in late November: far from any DST change in the zones the tests use.
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


# Databases and apps -------------------------------------------------------------------


def postgres_reachable() -> bool:
    engine = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect():
            return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def database_backends() -> list[str]:
    """SQLite always; PostgreSQL when configured and reachable, and always under CI (where it must work)."""
    if POSTGRES_URL and (IN_CI or postgres_reachable()):
        return ["sqlite", "postgresql"]
    return ["sqlite"]


# For a test that only PostgreSQL can run (two transactions at once, a server to lose): its one
# backend, or none (skipped, as every PostgreSQL test is outside CI) where PostgreSQL is not at hand.
ON_POSTGRESQL_ONLY = pytest.mark.parametrize(
    "database_url", [backend for backend in database_backends() if backend == "postgresql"], indirect=True
)


@contextmanager
def scratch_postgres_database(prefix: str):
    """A new, empty PostgreSQL database on TEST_DATABASE_URL's server, dropped afterwards.

    Each test run gets its own, so parallel runs never see each other's rows.
    """
    server_url = sa.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.fail(f"TEST_DATABASE_URL is set but PostgreSQL is unreachable: {exc}")
    engine = sa.create_engine(server_url.set(database=name))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def running_app(database_url: str, **overrides):
    """An app on `database_url` with the schema and the built-in session types in place."""
    app = create_app(testing_config(database_url, **overrides))
    with app.app_context():
        if database_url.startswith("sqlite"):
            db.create_all()
        ensure_default_session_types()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@contextmanager
def counted_queries(app):
    """Collect the SQL statements run inside the block, to pin a page to a fixed number of queries."""
    statements: list[str] = []

    def record(connection, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def table_read_by(statement: str) -> str:
    """The first table a SELECT reads from (`SELECT … FROM users …` → "users")."""
    return re.search(r"\bFROM\s+(\w+)", statement).group(1)


def set_session_type(app, name: str, *, early: int, late: int) -> None:
    """`flask session-types set NAME --early EARLY --late LATE`: a session type with its own access window."""
    result = app.test_cli_runner().invoke(
        args=["session-types", "set", name, "--early", str(early), "--late", str(late)]
    )
    assert result.exit_code == 0, result.output


# People and clients -------------------------------------------------------------------


class People:
    """Creates users on demand and remembers their ids (objects expire across requests)."""

    def __init__(self, app):
        self.app = app

    def make(self, role: str, name: str, email: str | None = None, timezone: str = "UTC") -> int:
        with self.app.app_context():
            user = create_user(
                email=email or f"{name.lower().replace(' ', '.')}@example.com",
                name=name,
                role=role,
                password=PASSWORD,
                timezone=timezone,
            )
            return user.id

    def token(self, user_id: int) -> str:
        from meetapp.models import User

        with self.app.app_context():
            return issue_api_token(db.session.get(User, user_id))


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = PASSWORD, **kwargs):
        return self._client.post("/auth/login", data={"email": email, "password": password}, **kwargs)

    def logout(self):
        return self._client.post("/auth/logout")


class ApiClient:
    """The test client with a bearer token on every request."""

    def __init__(self, client, token: str):
        self._client, self._headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, path, **kwargs):
        return self._client.get(path, headers=self._headers, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self._client.post(path, json=json, headers=self._headers, **kwargs)

    def put(self, path, json=None, **kwargs):
        return self._client.put(path, json=json, headers=self._headers, **kwargs)


# The confirmed session at 10:00 UTC of the join tests (fixture `confirmed_with_links`) ---

START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # an hour after NOW; Standard type: 15 min early, 30 late
OPENS, CLOSES = START - timedelta(minutes=15), START + timedelta(minutes=90)
MENTOR_EMAIL, MENTEE_EMAIL = "mona.mentor@example.com", "max.mentee@example.com"


def path_of(url: str) -> str:
    return url.removeprefix("http://127.0.0.1:5000")


def attempts(app) -> list[tuple]:
    """The attendance log, oldest first: (user id, outcome, reason)."""
    with app.app_context():
        return [
            (e.user_id, e.outcome, e.reason)
            for e in db.session.scalars(sa.select(AttendanceEvent).order_by(AttendanceEvent.id))
        ]


# Mail ---------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on now (aiosmtpd needs a real port number; 0 does not work)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    """A real SMTP server (aiosmtpd) in the test process that keeps what it receives.

    `refuse` names recipients it answers 550; `stop()` / `start()` take it down and
    bring it back on the same port, as a mail server that goes away would.
    """

    def __init__(self):
        self.port = free_port()
        self.received: list[EmailMessage] = []
        self.refuse: set[str] = set()
        self._controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"

    def start(self) -> "SmtpSink":
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.received if address in message["To"]]
