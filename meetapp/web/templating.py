"""Jinja filters and globals: times appear in the viewer's own time zone, nowhere else.

The viewer and their zone are put into each template's context once per render
(`viewer`, `viewer_tz`), so a page listing fifty sessions does not ask the
login machinery for the current user a few hundred times.
"""
from datetime import datetime

from flask import Flask, g, url_for
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context

from meetapp.domain.attendance import AttemptGroup, group_attempts
from meetapp.domain.countdown import countdown_text
from meetapp.domain.timeutil import iso_z, other_day, to_local, utcnow
from meetapp.services import changes


def viewer_timezone() -> str:
    return current_user.timezone if current_user.is_authenticated else "UTC"


def _zone(context: Context) -> str:
    zone = context.get("viewer_tz")
    return zone if zone is not None else viewer_timezone()


@pass_context
def local_datetime(context: Context, value: datetime, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    return to_local(value, _zone(context)).strftime(fmt)


@pass_context
def local_time(context: Context, value: datetime) -> str:
    return to_local(value, _zone(context)).strftime("%H:%M")


@pass_context
def zone_abbreviation(context: Context, value: datetime) -> str:
    return to_local(value, _zone(context)).strftime("%Z")


def _page_now(context: Context) -> datetime:
    now = context.get("page_now")
    return now if now is not None else utcnow()


@pass_context
def day_unless_today(context: Context, value: datetime) -> str:
    """'Tue 8 Dec' when `value` is not today in the viewer's zone, else '' (today goes without saying)."""
    return other_day(value, _page_now(context), _zone(context)) or ""


@pass_context
def local_moment(context: Context, value: datetime, since: datetime | None = None) -> str:
    """'14:02' today, 'Tue 8 Dec, 14:02' on another day, in the viewer's zone.

    With `since` (the start of a range), the day is given only where it differs from that one's:
    '14:02–14:03', not '14:02–Tue 8 Dec, 14:03'.
    """
    zone = _zone(context)
    day = other_day(value, since if since is not None else _page_now(context), zone)
    clock = to_local(value, zone).strftime("%H:%M")
    return f"{day}, {clock}" if day else clock


def attempt_groups(rows: list[tuple]) -> list[tuple[AttemptGroup, object]]:
    """services.joining.attendance_of's (event, person) rows as (group, person): one line per run
    of repeated attempts (domain.attendance.group_attempts)."""
    people = {event.user_id: person for event, person in rows}
    return [(group, people[group.first.user_id]) for group in group_attempts(event for event, _ in rows)]


def session_path(endpoint: str, session_id: str) -> str:
    """`url_for(endpoint, session_id=…)` for the session pages, through the URL map once per endpoint and request.

    A dashboard links each of its fifty sessions twice; through the URL map that cost 1.1 of
    its 7.4 ms (measured in-process on SQLite, see bench/RESULTS.md). Session ids are URL-safe
    (`secrets.token_urlsafe`), so one put where the marker was is exactly what url_for makes.
    """
    built = g.setdefault("session_paths", {})
    if endpoint not in built:
        built[endpoint] = url_for(endpoint, session_id=_MARKER).rpartition(_MARKER)
    before, _, after = built[endpoint]
    return before + session_id + after


_MARKER = "session-id-goes-here"


def viewer_context() -> dict:
    """The logged-in user (the object itself, not the proxy) and their time zone, or None and UTC."""
    if current_user.is_authenticated:
        viewer = current_user._get_current_object()
        return {"viewer": viewer, "viewer_tz": viewer.timezone}
    return {"viewer": None, "viewer_tz": "UTC"}


def server_clock() -> dict:
    """The server's time on every page (`<body data-server-now-ms>`): app.js counts down to opening
    times by it, so the browser's own clock never matters and fragments need no time of their own.
    The same reading is `page_now`, by which the filters tell what "today" is."""
    now = utcnow()
    return {"server_now_ms": int(now.timestamp() * 1000), "page_now": now}


def live_etag() -> str:
    """The viewer's live pages' ETag (services.changes): what their one poll says it has seen."""
    return changes.etag(current_user.id, current_user.sessions_version)


def register(app: Flask) -> None:
    app.add_template_filter(local_datetime, "local_datetime")
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(zone_abbreviation, "zone")
    app.add_template_filter(iso_z, "iso_z")
    app.add_template_filter(countdown_text, "countdown")
    app.add_template_filter(day_unless_today, "day_unless_today")
    app.add_template_filter(local_moment, "local_moment")
    app.add_template_filter(attempt_groups, "attempt_groups")
    app.add_template_global(viewer_timezone, "viewer_timezone")
    app.add_template_global(session_path, "session_path")
    app.add_template_global(live_etag, "live_etag")
    app.context_processor(viewer_context)
    app.context_processor(server_clock)
