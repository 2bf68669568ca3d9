"""The floor: the least a Flask app must do to answer the requests `bench/run` measures on meetapp.

bench/run serves this next to meetapp, under the same gunicorn.conf.py and on the same database,
and gives each of meetapp's figures as a share of its twin here: the ratio says what meetapp's
extensions, ORM, layers and checks cost on top of the work itself, on this machine and this day.

It is a plain `Flask` app with no extensions and no ORM: the database driver itself (sqlite3 or
psycopg 3), one connection per thread, and Jinja templates compiled once. Each route does only
the essential work, and every route that reads the database reads it in one statement:

* /sessions/<id>/status: the login cookie, the session with its people, type and viewer,
  its access window, the status fragment (with a short-lived join link when joinable).
* /join/<token> and /api/…/join: the login cookie or API token, the join token (browser only),
  the session with its window and viewer, the checks, one attendance row, a 302 to the Jitsi room.
* /api/…/access: the API token, the same read, the access document.
* /: the login cookie, the viewer's upcoming sessions with both people and the type, each row
  with its window and status fragment, in a small page.

Only what the benchmark exercises is covered: meetings are Jitsi rooms without JWT, and a
refused request answers with its bare status code and is not logged.
Settings come from meetapp's environment variables: SECRET_KEY, DATABASE_URL, PUBLIC_BASE_URL,
JITSI_BASE_URL, JITSI_ALLOW_EARLY_MINUTES and JITSI_MAX_LATE_MINUTES.
Serve it from the project root: `BIND=127.0.0.1:8001 gunicorn -c gunicorn.conf.py bench.floor:app`.
"""
import hashlib
import json
import math
import os
import sqlite3
import threading
from collections import namedtuple
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from urllib.parse import quote
from zoneinfo import ZoneInfo

import psycopg
from flask import Flask, Response, abort, request, session
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import DictLoader, Environment
from markupsafe import Markup

DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite:///instance/meetapp.db")
POSTGRES = DATABASE_URL.startswith("postgresql")
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
JITSI_BASE_URL = os.environ.get("JITSI_BASE_URL", "https://meet.jit.si").rstrip("/")
EARLY_MINUTES = int(os.environ.get("JITSI_ALLOW_EARLY_MINUTES") or 15)
LATE_MINUTES = int(os.environ.get("JITSI_MAX_LATE_MINUTES") or 30)
# Jitsi's URL-hash settings, as meetapp.domain.video.jitsi_hash writes them; the display name follows.
JITSI_HASH = (
    "config.prejoinConfig.enabled=true&config.startWithAudioMuted=false"
    "&config.startWithVideoMuted=false&config.requireDisplayName=true"
)
SHORT_LIVED = timedelta(minutes=5)

app = Flask(__name__)
# Flask's own cookie sessions verify meetapp's login cookie; Flask-Login keeps the id in `_user_id`.
app.secret_key = os.environ["SECRET_KEY"]
# meetapp's production name for its session cookie, which the floor reads.
app.config["SESSION_COOKIE_NAME"] = "__Host-meetapp_session"
# Join tokens exactly as meetapp.domain.join_tokens signs them: [session id, user id, link version, short-lived].
join_tokens = URLSafeTimedSerializer(app.secret_key, salt="meetapp.join-link.v1")


# The database ----------------------------------------------------------------------------

_local = threading.local()


def db() -> sqlite3.Connection | psycopg.Connection:
    """This thread's connection, opened on first use; every statement commits by itself."""
    connection = getattr(_local, "connection", None)
    if connection is None:
        if POSTGRES:
            url = DATABASE_URL.replace("postgresql+psycopg://", "postgresql://")
            connection = psycopg.connect(url, autocommit=True)
        else:
            connection = sqlite3.connect(
                DATABASE_URL.removeprefix("sqlite:///"), timeout=30, isolation_level=None, check_same_thread=False
            )
            for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL"):
                connection.execute(f"PRAGMA {pragma}")
        _local.connection = connection
    return connection


def sql(statement: str) -> str:
    return statement.replace("?", "%s") if POSTGRES else statement


def stored(moment: datetime) -> datetime | str:
    """A time as meetapp keeps it: timestamptz on PostgreSQL, naive UTC text on SQLite (as SQLAlchemy writes it)."""
    return moment if POSTGRES else moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def utc(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value and value.astimezone(UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


# Each statement reads the viewer and LEFT JOINs the session, so "nobody" (401) and "no such session" (404) differ.
ONE_LISTED = sql("""
SELECT v.id, v.name, v.timezone, s.id, s.status, s.starts_at, s.ends_at, s.link_version, s.mentor_id, s.mentee_id,
       t.early_access_minutes, t.late_access_minutes, t.name, mentor.name, mentee.name
FROM users v
LEFT JOIN mentoring_sessions s ON s.id = ?
LEFT JOIN session_types t ON t.id = s.session_type_id
LEFT JOIN users mentor ON mentor.id = s.mentor_id
LEFT JOIN users mentee ON mentee.id = s.mentee_id
WHERE v.id = ? AND v.login_version = ?""")
UPCOMING = sql("""
SELECT v.id, v.name, v.timezone, s.id, s.status, s.starts_at, s.ends_at, s.link_version, s.mentor_id, s.mentee_id,
       t.early_access_minutes, t.late_access_minutes, t.name, mentor.name, mentee.name
FROM users v
LEFT JOIN mentoring_sessions s ON (s.mentor_id = v.id OR s.mentee_id = v.id) AND s.ends_at > ?
LEFT JOIN session_types t ON t.id = s.session_type_id
LEFT JOIN users mentor ON mentor.id = s.mentor_id
LEFT JOIN users mentee ON mentee.id = s.mentee_id
WHERE v.id = ? AND v.login_version = ?
ORDER BY s.starts_at""")
TARGET_BY_COOKIE = sql("""
SELECT v.id, v.name, v.timezone, s.id, s.status, s.starts_at, s.ends_at, s.link_version, s.mentor_id, s.mentee_id,
       t.early_access_minutes, t.late_access_minutes, s.video_provider, s.meeting_room
FROM users v
LEFT JOIN mentoring_sessions s ON s.id = ?
LEFT JOIN session_types t ON t.id = s.session_type_id
WHERE v.id = ? AND v.login_version = ?""")
TARGET_BY_TOKEN = sql("""
SELECT v.id, v.name, v.timezone, s.id, s.status, s.starts_at, s.ends_at, s.link_version, s.mentor_id, s.mentee_id,
       t.early_access_minutes, t.late_access_minutes, s.video_provider, s.meeting_room
FROM api_tokens k
JOIN users v ON v.id = k.user_id
LEFT JOIN mentoring_sessions s ON s.id = ?
LEFT JOIN session_types t ON t.id = s.session_type_id
WHERE k.token_hash = ?""")
RECORD_JOIN = sql("""
INSERT INTO attendance_events (session_id, user_id, at, outcome, reason, address)
VALUES (?, ?, ?, 'joined', 'in_window', ?)""")

# Their rows; the session's columns are all None when the viewer has none.
_COLUMNS = (
    "viewer_id viewer_name viewer_zone session_id status starts_at ends_at link_version mentor_id mentee_id early late"
)
Listed = namedtuple("Listed", f"{_COLUMNS} type_name mentor_name mentee_name")
Target = namedtuple("Target", f"{_COLUMNS} provider room")


def read(kind: type, statement: str, *params) -> list:
    """The statement's rows as `kind`, with their two times as aware UTC datetimes."""
    return [kind(*raw[:5], utc(raw[5]), utc(raw[6]), *raw[7:]) for raw in db().execute(statement, params).fetchall()]


# Who is asking ---------------------------------------------------------------------------


def cookie_viewer() -> tuple[int, int]:
    """The viewer's id and the login version the cookie was issued under ("id.version.started");
    each statement reads the viewer only while that version is still theirs."""
    parts = session.get("_user_id", "").split(".")
    if not (len(parts) == 3 and all(part.isdigit() for part in parts)):
        abort(401)
    return int(parts[0]), int(parts[1])


def token_hash() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        abort(401)
    return hashlib.sha256(token.strip().encode()).hexdigest()


def participant(rows: list) -> tuple:
    """The one row of a single-session statement, once the viewer exists and takes part in the session."""
    if not rows:
        abort(401)
    row = rows[0]
    if row.session_id is None:
        abort(404)
    if row.viewer_id not in (row.mentor_id, row.mentee_id):
        abort(403)
    return row


# The access window ------------------------------------------------------------------------


class Access(NamedTuple):
    state: str  # available, too_early, expired, cancelled or pending
    message: str
    opens_at: datetime
    closes_at: datetime
    until_open: int  # whole seconds, rounded up
    until_close: int
    final: bool  # nothing will change any more

    @property
    def poll_seconds(self) -> int:
        until = {"too_early": self.until_open, "available": self.until_close}.get(self.state)
        return 60 if until is None else min(60, until + 1)


def window(row: Listed | Target) -> tuple[datetime, datetime]:
    early = EARLY_MINUTES if row.early is None else row.early
    late = LATE_MINUTES if row.late is None else row.late
    return row.starts_at - timedelta(minutes=early), row.ends_at + timedelta(minutes=late)


def access_of(row: Listed | Target, now: datetime, zone: ZoneInfo) -> Access:
    opens_at, closes_at = window(row)
    until_open = max(0, math.ceil((opens_at - now).total_seconds()))
    until_close = max(0, math.ceil((closes_at - now).total_seconds()))
    closed = now >= closes_at
    if row.status == "cancelled":
        state, message = "cancelled", "This session was cancelled."
    elif row.status == "pending":
        state = "pending"
        message = "This session was never confirmed." if closed else "Waiting for the mentor to confirm this session."
    elif now < opens_at:
        state, message = "too_early", f"Joining opens {clock(opens_at, now, zone)} ({within(opens_at - now)})."
    elif closed:
        state, message = "expired", f"This session has ended; joining closed {clock(closes_at, now, zone)}."
    elif now < row.starts_at:
        state, message = "available", f"You can join now. Your session starts {within(row.starts_at - now)}."
    elif now < row.ends_at:
        state, message = "available", "You can join now. Your session is under way."
    else:
        state, message = "available", f"You can still join until {closes_at.astimezone(zone):%H:%M}."
    final = state in ("cancelled", "expired") or (state == "pending" and closed)
    return Access(state, message, opens_at, closes_at, until_open, until_close, final)


def clock(instant: datetime, now: datetime, zone: ZoneInfo) -> str:
    """'at 14:45' today, 'on Tue 24 Nov at 14:45' another day, in the viewer's zone."""
    local = instant.astimezone(zone)
    return f"at {local:%H:%M}" if local.date() == now.astimezone(zone).date() else f"on {local:%a %d %b at %H:%M}"


def within(delta: timedelta) -> str:
    minutes = max(1, math.ceil(delta.total_seconds() / 60))
    if minutes < 120:
        return f"in {minutes} minute{'s' if minutes != 1 else ''}"
    return f"in {math.ceil(minutes / 60)} hours" if minutes < 48 * 60 else f"in {minutes // (24 * 60)} days"


def countdown(seconds: int) -> str:
    """meetapp.domain.countdown's one format: '2 days 4 hours', '5 hours 12 minutes', '04:41'."""
    if seconds < 3600:
        return f"{seconds // 60:02d}:{seconds % 60:02d}"
    if seconds >= 86400:
        big, unit, small, small_unit = seconds // 86400, "day", seconds % 86400 // 3600, "hour"
    else:
        big, unit, small, small_unit = seconds // 3600, "hour", seconds % 3600 // 60, "minute"
    text = f"{big} {unit}{'' if big == 1 else 's'}"
    return f"{text} {small} {small_unit}{'' if small == 1 else 's'}" if small else text


def opens_note(opens_at: datetime, now: datetime, zone: ZoneInfo) -> str:
    """'(your time)' today, '(Tue 8 Dec, your time)' another day: the opening time's one sentence."""
    local = opens_at.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return "(your time)"
    day = f"{local:%a} {local.day} {local:%b}"
    return f"({day if local.year == now.astimezone(zone).year else f'{day} {local.year}'}, your time)"


# Templates, compiled once -------------------------------------------------------------------

STATUS_HTML = """\
{% if access.state == "too_early" %}
{% set announce_text = "Joining opens at " ~ access.opens_at.astimezone(zone).strftime("%H:%M") ~ " " ~ opens_note ~ "." %}
{% else %}
{% set announce_text = access.message %}
{% endif %}
<div class="join-state join-state-{{ access.state | replace('_', '-') }}" id="join-state-{{ row.session_id }}"
     data-join-state="{{ access.state }}" data-announce-text="{{ announce_text }}"
{% if not access.final %}
     hx-get="/sessions/{{ row.session_id }}/status" hx-trigger="load delay:{{ access.poll_seconds }}s, refresh"
     hx-swap="outerHTML" hx-sync="this:drop"
{% endif %}
>
{% if access.state == "too_early" %}
  <p class="join-state-headline" role="timer" data-countdown-until="{{ access.opens_at | iso_z }}">Opens in \
<span class="join-countdown" data-countdown-text>{{ access.until_open | countdown }}</span></p>
  <p class="join-state-message">Joining opens at <time datetime="{{ access.opens_at | iso_z }}">\
{{ access.opens_at.astimezone(zone).strftime("%H:%M") }}</time> {{ opens_note }}.</p>
{% elif access.state == "available" %}
  <a class="button button-primary button-join" href="{{ join_path }}" data-join-link>Join\
<span class="visually-hidden"> {{ row.type_name }} with {{ other }}</span></a>
  <p class="join-state-message">{{ access.message }}</p>
{% elif access.state == "pending" %}
  <p class="join-state-headline">{{ "Never confirmed" if access.final else "Waiting for confirmation" }}</p>
{% if access.final or row.viewer_id == row.mentee_id %}
  <p class="join-state-message">{{ access.message }}</p>
{% endif %}
{% elif access.state == "expired" %}
  <p class="join-state-headline">Session ended</p>
  <p class="join-state-message">{{ access.message }}</p>
{% else %}
  <p class="join-state-headline">Cancelled</p>
{% endif %}
  <span class="visually-hidden" aria-live="polite" data-announce></span>
</div>"""

ROW_HTML = """\
{% set awaiting_me = row.status == "pending" and row.viewer_id == row.mentor_id %}
{% set start, end = row.starts_at.astimezone(zone), row.ends_at.astimezone(zone) %}
<li class="session-row{% if awaiting_me %} session-row-attention{% endif %}" id="session-{{ row.session_id }}">
  <div class="session-row-main">
    <p class="session-row-title">
      <a href="/sessions/{{ row.session_id }}">{{ row.type_name }} with {{ other }}</a>
    </p>
    <p class="session-row-when">
      <time datetime="{{ row.starts_at | iso_z }}">{{ start.strftime("%a %d %b %Y, %H:%M") }}</time>–<time \
datetime="{{ row.ends_at | iso_z }}">{{ end.strftime("%H:%M") }}</time>
      <span class="zone">{{ start.strftime("%Z") }}, {{ row.viewer_zone }}</span>
      · {{ (row.ends_at - row.starts_at).seconds // 60 }} min
    </p>
{% if awaiting_me %}
    <p class="session-row-flag">Awaiting your confirmation</p>
{% endif %}
  </div>
  <div class="session-row-side">
    <span class="badge badge-{{ row.status }}">{{ row.status | capitalize }}</span>
    <div class="join-status" id="join-status-{{ row.session_id }}" data-session-id="{{ row.session_id }}">
{% include "status.html" %}
    </div>
  </div>
</li>
"""

PAGE_HTML = """\
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Dashboard · floor</title></head>
<body data-server-now-ms="{{ now_ms }}">
<main>
  <h1>Your sessions</h1>
  <p>Times are in your time zone, {{ zone }}.</p>
  <section aria-labelledby="upcoming-title">
    <h2 id="upcoming-title">Upcoming</h2>
    <ul class="session-list">{{ rows }}</ul>
  </section>
</main>
</body>
</html>
"""

templates = Environment(
    loader=DictLoader({"status.html": STATUS_HTML, "row.html": ROW_HTML, "page.html": PAGE_HTML}),
    autoescape=True,
    trim_blocks=True,
)
templates.filters["iso_z"] = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")
templates.filters["countdown"] = countdown
STATUS, ROW, PAGE = (templates.get_template(name) for name in ("status.html", "row.html", "page.html"))


def join_path(row: Listed | Target, *, short_lived: bool) -> str:
    return "/join/" + join_tokens.dumps([row.session_id, row.viewer_id, row.link_version, int(short_lived)])


def shown(row: Listed, now: datetime, zone: ZoneInfo) -> dict:
    """What the status fragment, alone or in a dashboard row, is rendered from."""
    access = access_of(row, now, zone)
    path = join_path(row, short_lived=True) if access.state == "available" else None
    other = row.mentor_name if row.viewer_id == row.mentee_id else row.mentee_name
    note = opens_note(access.opens_at, now, zone)
    return {"row": row, "access": access, "join_path": path, "other": other, "zone": zone, "opens_note": note}


# The routes ---------------------------------------------------------------------------------


@app.get("/healthz")
def healthz():
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@app.get("/sessions/<session_id>/status")
def status(session_id: str):
    row = participant(read(Listed, ONE_LISTED, session_id, *cookie_viewer()))
    context = shown(row, datetime.now(UTC), ZoneInfo(row.viewer_zone))
    # htmx stops polling on 286.
    code = 286 if context["access"].final and request.headers.get("HX-Request") == "true" else 200
    return Response(STATUS.render(context), code, headers={"Cache-Control": "no-store"})


@app.get("/")
def dashboard():
    now = datetime.now(UTC)
    rows = read(Listed, UPCOMING, stored(now), *cookie_viewer())
    if not rows:
        abort(401)
    zone = ZoneInfo(rows[0].viewer_zone)
    listed = Markup("".join(ROW.render(shown(row, now, zone)) for row in rows if row.session_id is not None))
    return PAGE.render(rows=listed, zone=rows[0].viewer_zone, now_ms=int(now.timestamp() * 1000))


@app.get("/join/<token>")
def browser_join(token: str):
    viewer = cookie_viewer()
    now = datetime.now(UTC)
    try:
        (session_id, user_id, link_version, short_lived), signed_at = join_tokens.loads(token, return_timestamp=True)
    except (BadSignature, TypeError, ValueError):
        abort(404)
    if short_lived and not now - SHORT_LIVED <= signed_at <= now + timedelta(seconds=5):
        abort(404)
    row = participant(read(Target, TARGET_BY_COOKIE, session_id, *viewer))
    if link_version != row.link_version:
        abort(404)
    if user_id != row.viewer_id:
        abort(403)
    return join(row, now)


@app.get("/api/mentoring/session/<session_id>/join")
def api_join(session_id: str):
    return join(participant(read(Target, TARGET_BY_TOKEN, session_id, token_hash())), datetime.now(UTC))


def join(row: Target, now: datetime) -> Response:
    """Check the session's state and window, log the join, and send the viewer to the room."""
    opens_at, closes_at = window(row)
    if row.status == "cancelled":
        abort(410)
    if row.status != "confirmed" or now < opens_at:
        abort(409)
    if now >= closes_at:
        abort(410)
    db().execute(RECORD_JOIN, (row.session_id, row.viewer_id, stored(now), request.remote_addr))
    name = quote(json.dumps(row.viewer_name, ensure_ascii=False), safe="")
    location = f"{JITSI_BASE_URL}/{row.room}#{JITSI_HASH}&userInfo.displayName={name}"
    return Response(
        status=302, headers={"Location": location, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    )


@app.get("/api/mentoring/session/<session_id>/access")
def access_document(session_id: str):
    row = participant(read(Target, TARGET_BY_TOKEN, session_id, token_hash()))
    now = datetime.now(UTC)
    access = access_of(row, now, ZoneInfo(row.viewer_zone))
    body = {
        "session": row.session_id,
        "provider": row.provider,
        "access": {
            "canJoin": access.state == "available",
            "status": access.state,
            "message": access.message,
            "availableAt": access.opens_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "expiresAt": access.closes_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timeUntilAvailable": math.ceil(access.until_open / 60),
            "timeUntilExpiry": math.ceil(access.until_close / 60),
            "secondsUntilAvailable": access.until_open,
            "secondsUntilExpiry": access.until_close,
        },
    }
    if access.state == "expired":
        body["access"]["expiredAt"] = body["access"]["expiresAt"]
    if access.state == "available":
        body["joinUrl"] = PUBLIC_BASE_URL + join_path(row, short_lived=False)
    return body
