"""The dashboard: a person's upcoming and recent sessions, in their own time zone."""
from flask import render_template
from flask_login import current_user

from meetapp import viewers
from meetapp.autocommit import autocommit
from meetapp.dashboard import bp, rows
from meetapp.domain.timeutil import utcnow
from meetapp.extensions import login_manager


@bp.get("/")
@autocommit
def index():
    now = utcnow()
    # The lists are read for whoever the login cookie names, and their SELECTs read that person
    # too (viewers.read_along): the login check after them costs no query. Nothing is shown before it.
    claimed = viewers.cookie_user_id()
    listed = rows.upcoming_and_past(claimed, now) if claimed is not None else None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    viewer = current_user._get_current_object()
    if listed is None or claimed != viewer.id:
        # Logged in by the remember-me cookie, which names nobody in the session cookie:
        # the lists are read for the person Flask-Login found.
        listed = rows.upcoming_and_past(viewer.id, now)
    upcoming, past = listed
    awaiting_me = rows.awaiting(upcoming, viewer)
    return render_template(
        "dashboard/index.html",
        upcoming_rows=rows.render_rows(upcoming, viewer, now, is_upcoming=True) if upcoming else None,
        # Past sessions too: one that ended minutes ago can still be joined until its window closes.
        past_rows=rows.render_rows(past, viewer, now, is_upcoming=False) if past else None,
        awaiting_me=awaiting_me,
        now=now,
    )
