"""The dashboard: a person's upcoming and recent sessions, in their own time zone."""
from flask import render_template
from flask_login import current_user, login_required

from meetapp.autocommit import autocommit
from meetapp.dashboard import bp, rows
from meetapp.domain.timeutil import utcnow


@bp.get("/")
@login_required
@autocommit
def index():
    now = utcnow()
    viewer = current_user._get_current_object()
    upcoming, past = rows.upcoming_and_past(viewer, now)
    awaiting_me = rows.awaiting(upcoming, viewer)
    return render_template(
        "dashboard/index.html",
        upcoming_rows=rows.render_rows(upcoming, viewer, now, is_upcoming=True) if upcoming else None,
        # Past sessions too: one that ended minutes ago can still be joined until its window closes.
        past_rows=rows.render_rows(past, viewer, now, is_upcoming=False) if past else None,
        awaiting_me=awaiting_me,
        now=now,
    )
