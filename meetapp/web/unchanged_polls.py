"""The live pages' poll, answered 304 before Flask when nothing changed: the one measured shortcut
of the poll (bench/RESULTS.md).

Every open dashboard, session page and waiting page asks about once a minute whether anything
changed (`services.changes`); nearly every answer is "no". The views (`dashboard.changes`,
`sessions.status`) give that answer by the rules, after Flask-Login's check. This middleware gives
the same 304 for the common case and nothing else, in front of Flask: it verifies the login cookie
with Flask's own serializer, reads the person's login version and change count in one query by
primary key, checks the login as the user loader does (`login_still_valid`), and compares the
count with the page's `If-None-Match`. Anything else (a Host that is none of TRUSTED_HOSTS, no
cookie, a bad or expired one, a login ended elsewhere, a count that moved, another path, a lost
database) goes on to Flask untouched, so this can only ever say "unchanged", never show anything.

Measured with `bench/run --only healthz,poll` (SQLite, one run each, against the floor's `/healthz`):
the view alone 0.40, the view without Flask-Login and the ORM 0.62, this 0.92; with it an unchanged
poll costs what meetapp's own `/healthz` does (bench/RESULTS.md, "The live poll").
"""
import re
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, Response
from itsdangerous import BadSignature
from werkzeug.exceptions import SecurityError
from werkzeug.http import parse_cookie
from werkzeug.wsgi import get_host

from meetapp.domain.accounts import LoginId, login_still_valid
from meetapp.domain.timeutil import utcnow
from meetapp.extensions import db
from meetapp.models import User
from meetapp.services.accounts import MAX_USER_ID
from meetapp.services.changes import etag

# The polls whose answer depends only on the person's change count (and the login).
POLLED = re.compile(r"/dashboard/changes|/sessions/[A-Za-z0-9_-]{1,64}/status")
_LOGIN_AND_COUNT = sa.select(User.login_version, User.sessions_version).where(User.id == sa.bindparam("user_id"))


def not_modified_headers(tag: str) -> list[tuple[str, str]]:
    return [("ETag", tag), ("Cache-Control", "no-store"), ("Vary", "Cookie")]


def not_modified(tag: str) -> Response:
    """The views' 304, the same as this middleware's."""
    return Response(status=304, headers=not_modified_headers(tag))


def register(app: Flask) -> None:
    app.wsgi_app = UnchangedPolls(app, app.wsgi_app)


class UnchangedPolls:
    def __init__(self, app: Flask, wsgi_app):
        self.wsgi_app = wsgi_app
        self.serializer = app.session_interface.get_signing_serializer(app)
        self.cookie_name = app.config["SESSION_COOKIE_NAME"]
        self.session_max_age = int(app.permanent_session_lifetime.total_seconds())
        self.login_lifetime: timedelta = app.config["REMEMBER_COOKIE_DURATION"]
        self.trusted_hosts = app.config["TRUSTED_HOSTS"]
        with app.app_context():
            # One SELECT by primary key, read outside any transaction: on PostgreSQL one round trip, not
            # BEGIN, SELECT and ROLLBACK. Only ever this read; nothing is written on this connection.
            self.engine = db.engine.execution_options(isolation_level="AUTOCOMMIT")

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET" and POLLED.fullmatch(environ.get("PATH_INFO", "")):
            tag = self.unchanged_etag(environ)
            if tag is not None:
                start_response("304 NOT MODIFIED", not_modified_headers(tag))
                return []
        return self.wsgi_app(environ, start_response)

    def unchanged_etag(self, environ) -> str | None:
        """The page's ETag if its person is logged in and nothing changed for them, else None."""
        asked = environ.get("HTTP_IF_NONE_MATCH")
        cookie = parse_cookie(environ.get("HTTP_COOKIE", "")).get(self.cookie_name) if asked else None
        if not cookie or self.serializer is None or not self.host_trusted(environ):
            return None
        try:
            data = self.serializer.loads(cookie, max_age=self.session_max_age)
        except BadSignature:  # tampered, signed with an unknown key, expired, or not a payload of ours
            return None
        login = LoginId.parse(data.get("_user_id", "")) if isinstance(data, dict) else None
        if login is None or login.user_id > MAX_USER_ID:
            return None
        try:
            with self.engine.connect() as connection:
                row = connection.execute(_LOGIN_AND_COUNT, {"user_id": login.user_id}).first()
        except sa.exc.DBAPIError:
            # The database went away under us (a restart, a failover); SQLAlchemy has dropped the lost
            # connections. Flask answers this poll on a fresh one, or with its 503 (web.errors).
            return None
        if row is None or not login_still_valid(
            login, current_version=row.login_version, lifetime=self.login_lifetime, now=utcnow()
        ):
            return None
        tag = etag(login.user_id, row.sessions_version)
        return tag if asked.strip() == tag else None

    def host_trusted(self, environ) -> bool:
        # Flask answers any other Host with a 400 (web.errors), whatever the cookie: so must this.
        try:
            get_host(environ, self.trusted_hosts)
        except SecurityError:
            return False
        return True
