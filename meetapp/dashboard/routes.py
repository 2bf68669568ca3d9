"""The dashboard: a person's upcoming and recent sessions, in their own time zone, and its one poll."""
from datetime import datetime

from flask import make_response, render_template, request
from flask_login import current_user, login_required

from meetapp.dashboard import bp
from meetapp.domain.scheduling import ENDED_STATUSES
from meetapp.domain.timeutil import utcnow
from meetapp.models import MentoringSession
from meetapp.services import booking, changes, joining
from meetapp.web.unchanged_polls import not_modified


@bp.after_request
def keep_out_of_caches(response):
    # The page carries the viewer's own sessions.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
@login_required
def index():
    now = utcnow()
    not_over, past = booking.upcoming_and_past(current_user, now)
    # Cancelled and declined sessions will not happen: they leave Upcoming for a folded list of their
    # own, and get no join status (no Join control), here or under Past.
    upcoming = [session for session in not_over if session.status not in ENDED_STATUSES]
    ended = [session for session in not_over if session.status in ENDED_STATUSES]
    return render_template(
        "dashboard/index.html",
        upcoming=upcoming,
        ended=ended,
        past=past,
        # Past sessions too: one that ended minutes ago can still be joined until its window closes.
        join_states=join_states([*upcoming, *past], now),
        awaiting_me=sum(1 for session in upcoming if session.awaits_confirmation_by(current_user.id)),
        now=now,
    )


@bp.get("/dashboard/changes")
@login_required
def changes_since_seen():
    """The dashboard's one poll, about once a minute: `304` while nothing changed for the viewer since the
    count in `If-None-Match` (services.changes), else the rows of the sessions that changed since, each to
    replace its row by id or, new, to join Upcoming, and the awaiting-confirmation line.

    An unchanged poll is usually answered before Flask, with the same 304 (web.unchanged_polls).
    """
    tag = changes.etag(current_user.id, current_user.sessions_version)
    asked = request.headers.get("If-None-Match")
    if asked is not None and asked.strip() == tag:
        return not_modified(tag)
    now = utcnow()
    changed = changes.changed_since(current_user, changes.version_in(current_user.id, asked), now)
    live = [session for session in changed if session.status not in ENDED_STATUSES]
    rows = render_template(
        "dashboard/_changes.html",
        changed=changed,
        join_states=join_states(live, now),
        awaiting_me=booking.count_awaiting(current_user, now) if current_user.is_mentor else 0,
        now=now,
    )
    response = make_response(rows)
    response.headers["ETag"] = tag
    response.vary.add("Cookie")
    return response


def join_states(sessions: list[MentoringSession], now: datetime) -> dict[str, joining.JoinStatus]:
    return {session.id: joining.status_for(session, current_user, now) for session in sessions}
