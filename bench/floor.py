"""The floor: the least a Flask app must do to answer the requests `bench/run` measures on meetapp.

bench/run serves this next to meetapp, under the same gunicorn.conf.py and on the same database,
and gives each of meetapp's figures as a share of its twin here: the ratio says what meetapp's
extensions, ORM, layers and checks cost on top of the work itself, on this machine and this day.

It is a plain `Flask` app with no extensions and no ORM: the database driver itself (sqlite3 or
psycopg 3), one connection per thread, and Jinja templates compiled once. Each route does only
the essential work, and every route that reads the database reads it in one statement:

* /sessions/<id>/status: the login cookie, the session with its people, type and viewer (with the
  viewer's change count, for the ETag), its access window, the status fragment.
* /join/<token> and /api/…/join: the login cookie or API token, the join token (browser only),
  the session with its window and viewer, the checks, one attendance row, a 302 to the Jitsi room.
* /api/…/access: the API token, the same read, the access document.
* /: the login cookie, the viewer's upcoming sessions with both people and the type, each row
  with its window and status fragment, and the awaiting-confirmation line, in a small page.
* /dashboard/changes: the login cookie, the viewer's change count and the sessions changed since the
  count in If-None-Match, in one read; 304 when nothing changed, else their rows (and, for a mentor,
  the awaiting-confirmation line, which takes a second read).

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
# meetapp.domain.join_tokens still reads short-lived join tokens (the pages no longer issue them): five minutes.
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
       t.early_access_minutes, t.late_access_minutes, t.name, mentor.name, mentee.name, v.role, v.sessions_version
FROM users v
LEFT JOIN mentoring_sessions s ON s.id = ?
LEFT JOIN session_types t ON t.id = s.session_type_id
LEFT JOIN users mentor ON mentor.id = s.mentor_id
LEFT JOIN users mentee ON mentee.id = s.mentee_id
WHERE v.id = ? AND v.login_version = ?""")
UPCOMING = sql("""
SELECT v.id, v.name, v.timezone, s.id, s.status, s.starts_at, s.ends_at, s.link_version, s.mentor_id, s.mentee_id,
       t.early_access_minutes, t.late_access_minutes, t.name, mentor.name, mentee.name, v.role, v.sessions_version
FROM users v
LEFT JOIN mentoring_sessions s ON (s.mentor_id = v.id OR s.mentee_id = v.id) AND s.ends_at > ?
LEFT JOIN session_types t ON t.id = s.session_type_id
LEFT JOIN users mentor ON mentor.id = s.mentor_id
LEFT JOIN users mentee ON mentee.id = s.mentee_id
WHERE v.id = ? AND v.login_version = ?
ORDER BY s.starts_at""")
# As meetapp's services.changes: the viewer's sessions not over yet, changed after the count the page has seen.
CHANGED = sql("""
SELECT v.id, v.name, v.timezone, s.id, s.status, s.starts_at, s.ends_at, s.link_version, s.mentor_id, s.mentee_id,
       t.early_access_minutes, t.late_access_minutes, t.name, mentor.name, mentee.name, v.role, v.sessions_version
FROM users v
LEFT JOIN mentoring_sessions s ON s.ends_at > ? AND (
       (s.mentor_id = v.id AND s.mentor_version_at_change > ?) OR (s.mentee_id = v.id AND s.mentee_version_at_change > ?))
LEFT JOIN session_types t ON t.id = s.session_type_id
LEFT JOIN users mentor ON mentor.id = s.mentor_id
LEFT JOIN users mentee ON mentee.id = s.mentee_id
WHERE v.id = ? AND v.login_version = ?
ORDER BY s.starts_at, s.id""")
AWAITING = sql("""
SELECT count(*) FROM mentoring_sessions WHERE mentor_id = ? AND status = 'pending' AND ends_at > ?""")
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
Listed = namedtuple("Listed", f"{_COLUMNS} type_name mentor_name mentee_name viewer_role sessions_version")
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


def etag(row: Listed) -> str:
    """The viewer's live pages' ETag, as meetapp's services.changes writes it."""
    return f'"{row.viewer_id}.{row.sessions_version}"'


def seen_version(user_id: int, if_none_match: str) -> int:
    """The change count a poll's If-None-Match names, or -1 (everything) when it names none of the viewer's."""
    prefix = f'"{user_id}.'
    number = if_none_match[len(prefix) : -1] if if_none_match.startswith(prefix) and if_none_match.endswith('"') else ""
    return int(number) if number.isascii() and number.isdigit() and len(number) <= 12 else -1


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
    elif row.status == "declined":
        state, message = "cancelled", "This request was declined."
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

# meetapp's templates/sessions/_status.html: each part that holds for a while carries its time range and is
# hidden at render time when out of it; the Join control is a link to the join door only while it is open.
STATUS_HTML = """\
{%- macro during(start=none, end=none) -%}
{%- if start is not none %} data-shown-from="{{ start | iso_z }}"{% endif -%}
{%- if end is not none %} data-shown-until="{{ end | iso_z }}"{% endif -%}
{%- if (start is not none and now < start) or (end is not none and now >= end) %} hidden{% endif -%}
{%- endmacro -%}
{%- set state, opens_at, closes_at = access.state, access.opens_at, access.closes_at -%}
<div class="join-state join-state-{{ state | replace('_', '-') }}" id="join-state-{{ row.session_id }}" \
data-join-state="{{ state }}"
{%- if not access.final %} data-opens-at="{{ opens_at | iso_z }}" data-closes-at="{{ closes_at | iso_z }}"
     data-say-available="Joining is open: you can join {{ what }} now." data-say-expired="{{ what }} has ended."
{%- else %} data-final{% endif %}
{%- if row.status == "confirmed" %} data-confirmed{% endif %}>
{% if state in ("too_early", "available") %}
  <a class="button button-primary button-join" data-join-link data-href="{{ join_path }}"
{%- if state == "available" %} href="{{ join_path }}"{% else %} role="link" aria-disabled="true"{% endif %}\
{{ during(end=closes_at) }}>
    <span{{ during(start=opens_at) }}>Join</span><span{{ during(end=opens_at) }}>Opens in <span \
class="join-countdown" data-countdown-text data-countdown-until="{{ opens_at | iso_z }}">\
{{ access.until_open | countdown }}</span></span><span class="visually-hidden"> {{ what }}</span>
  </a>
  <p class="join-state-message"{{ during(end=opens_at) }}>Joining opens at <time datetime="{{ opens_at | iso_z }}">\
{{ opens_at | local_time(zone) }}</time> {{ opens_note }}.</p>
  <p class="join-state-message"{{ during(opens_at, row.starts_at) }}>You can join now. Your session starts at \
<time datetime="{{ row.starts_at | iso_z }}">{{ row.starts_at | local_time(zone) }}</time>.</p>
  <p class="join-state-message"{{ during(row.starts_at, row.ends_at) }}>You can join now. Your session is under way.</p>
  <p class="join-state-message"{{ during(row.ends_at, closes_at) }}>You can still join until \
<time datetime="{{ closes_at | iso_z }}">{{ closes_at | local_time(zone) }}</time>.</p>
  <p class="join-state-headline"{{ during(start=closes_at) }}>Session ended</p>
  <p class="join-state-message"{{ during(start=closes_at) }}>This session has ended; joining closed at \
{{ closes_at | local_time(zone) }}.</p>
{% elif state == "pending" %}
  <p class="join-state-headline"{{ during(end=closes_at) }}>Waiting for confirmation</p>
{% if row.viewer_id == row.mentee_id %}
  <p class="join-state-message"{{ during(end=closes_at) }}>{{ access.message }}</p>
{% endif %}
  <p class="join-state-headline"{{ during(start=closes_at) }}>Never confirmed</p>
  <p class="join-state-message"{{ during(start=closes_at) }}>This session was never confirmed.</p>
{% elif state == "expired" %}
  <p class="join-state-headline">Session ended</p>
  <p class="join-state-message">{{ access.message }}</p>
{% else %}
  <p class="join-state-headline">{{ "Declined" if row.status == "declined" else "Cancelled" }}</p>
{% endif %}
  <span class="visually-hidden" aria-live="polite" data-announce></span>
</div>"""

# meetapp's templates/dashboard/_session_row.html; a cancelled or declined session has no Join control.
ROW_HTML = """\
{% set awaiting_me = row.status == "pending" and row.viewer_id == row.mentor_id %}
<li class="session-row{% if awaiting_me %} session-row-attention{% endif %}" id="session-{{ row.session_id }}" \
data-starts-at="{{ row.starts_at | iso_z }}"
    data-status="{{ row.status }}" data-say="{{ what }}, {{ row.starts_at | local_datetime(zone) }}: {{ row.status }}.">
  <div class="session-row-main">
    <p class="session-row-title">
      <a href="/sessions/{{ row.session_id }}">{{ what }}</a>
    </p>
    <p class="session-row-when">
      <time datetime="{{ row.starts_at | iso_z }}">{{ row.starts_at | local_datetime(zone) }}</time>–<time \
datetime="{{ row.ends_at | iso_z }}">{{ row.ends_at | local_time(zone) }}</time>
      <span class="zone">{{ row.starts_at.astimezone(zone).strftime("%Z") }}, {{ row.viewer_zone }}</span>
      · {{ ((row.ends_at - row.starts_at).total_seconds() // 60) | int }} min
    </p>
{% if awaiting_me %}
    <p class="session-row-flag">Awaiting your confirmation</p>
{% endif %}
  </div>
  <div class="session-row-side">
    <span class="badge badge-{{ row.status }}">{{ row.status | capitalize }}</span>
{% if row.status not in ("cancelled", "declined") %}
    <div class="join-status" id="join-status-{{ row.session_id }}" data-session-id="{{ row.session_id }}">
{% include "status.html" %}
    </div>
{% endif %}
  </div>
</li>
"""

# meetapp's templates/dashboard/_awaiting.html.
AWAITING_HTML = """\
<p class="alert alert-info" id="awaiting-me"{% if not awaiting %} hidden{% endif %}>
{% if awaiting %}
  {{ awaiting }} {{ "session is" if awaiting == 1 else "sessions are" }} awaiting your confirmation.
{% endif %}
</p>
"""

PAGE_HTML = """\
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Dashboard · floor</title></head>
<body data-server-now-ms="{{ now_ms }}">
<main>
  <h1>Your sessions</h1>
  <p>Times are in your time zone, {{ zone }}.</p>
{% include "awaiting.html" %}
  <section aria-labelledby="upcoming-title" data-live-poll="/dashboard/changes" data-live-etag="{{ etag }}">
    <h2 id="upcoming-title">Upcoming</h2>
    <ul class="session-list" id="upcoming-sessions">{{ rows }}</ul>
  </section>
</main>
</body>
</html>
"""

templates = Environment(
    loader=DictLoader(
        {"status.html": STATUS_HTML, "row.html": ROW_HTML, "awaiting.html": AWAITING_HTML, "page.html": PAGE_HTML}
    ),
    autoescape=True,
    trim_blocks=True,
)
templates.filters["iso_z"] = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")
templates.filters["local_time"] = lambda moment, zone: moment.astimezone(zone).strftime("%H:%M")
templates.filters["local_datetime"] = lambda moment, zone: moment.astimezone(zone).strftime("%a %d %b %Y, %H:%M")
templates.filters["countdown"] = countdown
STATUS, ROW, AWAITING_LINE, PAGE = (
    templates.get_template(name) for name in ("status.html", "row.html", "awaiting.html", "page.html")
)


def long_lived_join_path(row: Target) -> str:
    """The API's joinUrl, a long-lived join link."""
    return "/join/" + join_tokens.dumps([row.session_id, row.viewer_id, row.link_version, 0])


def shown(row: Listed, now: datetime, zone: ZoneInfo) -> dict:
    """What the status fragment, alone or in a dashboard row, is rendered from."""
    access = access_of(row, now, zone)
    other = row.mentor_name if row.viewer_id == row.mentee_id else row.mentee_name
    return {
        "row": row,
        "access": access,
        "join_path": f"/sessions/{row.session_id}/join",
        "what": f"{row.type_name} with {other}",
        "zone": zone,
        "now": now,
        "opens_note": opens_note(access.opens_at, now, zone),
    }


def rows_of(listed: list[Listed], now: datetime) -> Markup:
    """The dashboard rows of a statement's rows (a viewer with no session reads as one row of Nones)."""
    zone = ZoneInfo(listed[0].viewer_zone)
    return Markup("".join(ROW.render(shown(row, now, zone)) for row in listed if row.session_id is not None))


# The routes ---------------------------------------------------------------------------------


@app.get("/healthz")
def healthz():
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@app.get("/sessions/<session_id>/status")
def status(session_id: str):
    row = participant(read(Listed, ONE_LISTED, session_id, *cookie_viewer()))
    headers = {"ETag": etag(row), "Cache-Control": "no-store", "Vary": "HX-Request, Cookie"}
    if request.headers.get("If-None-Match", "").strip() == headers["ETag"]:
        return Response(status=304, headers=headers)
    context = shown(row, datetime.now(UTC), ZoneInfo(row.viewer_zone))
    # htmx stops polling on 286.
    code = 286 if context["access"].final and request.headers.get("HX-Request") == "true" else 200
    return Response(STATUS.render(context), code, headers=headers)


@app.get("/")
def dashboard():
    now = datetime.now(UTC)
    rows = read(Listed, UPCOMING, stored(now), *cookie_viewer())
    if not rows:
        abort(401)
    awaiting = sum(1 for row in rows if row.status == "pending" and row.viewer_id == row.mentor_id)
    return PAGE.render(
        rows=rows_of(rows, now), awaiting=awaiting, etag=etag(rows[0]), zone=rows[0].viewer_zone,
        now_ms=int(now.timestamp() * 1000),
    )


@app.get("/dashboard/changes")
def dashboard_changes():
    """The dashboard's poll: 304 while the viewer's change count is the one the page has seen, else the
    rows of the sessions changed since; the count and the rows come in the same read as the login."""
    user_id, login_version = cookie_viewer()
    asked = request.headers.get("If-None-Match", "").strip()
    seen = seen_version(user_id, asked)
    now = datetime.now(UTC)
    rows = read(Listed, CHANGED, stored(now), seen, seen, user_id, login_version)
    if not rows:
        abort(401)
    headers = {"ETag": etag(rows[0]), "Cache-Control": "no-store", "Vary": "Cookie"}
    if asked == headers["ETag"]:
        return Response(status=304, headers=headers)
    body = rows_of(rows, now)
    if rows[0].viewer_role == "mentor":
        # Only a mentor's answer has the awaiting-confirmation line, as on meetapp: a second read.
        awaiting = db().execute(AWAITING, (user_id, stored(now))).fetchone()[0]
        body += Markup(AWAITING_LINE.render(awaiting=awaiting))
    return Response(body, headers=headers)


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
        body["joinUrl"] = PUBLIC_BASE_URL + long_lived_join_path(row)
    return body
