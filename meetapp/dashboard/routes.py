"""The dashboard: a person's upcoming and recent sessions, in their own time zone."""
from flask import render_template
from flask_login import current_user, login_required

from meetapp import joining, scheduling
from meetapp.dashboard import bp
from meetapp.domain.scheduling import SessionStatus
from meetapp.domain.timeutil import utcnow


@bp.get("/")
@login_required
def index():
    now = utcnow()
    upcoming, past = scheduling.upcoming_and_past(current_user, now)
    awaiting_me = [s for s in upcoming if s.status is SessionStatus.PENDING and s.mentor_id == current_user.id]
    # Past sessions too: one that ended minutes ago can still be joined until its window closes.
    join_statuses = {session.id: joining.status_for(session, current_user, now) for session in [*upcoming, *past]}
    return render_template(
        "dashboard/index.html", upcoming=upcoming, past=past, awaiting_me=awaiting_me, join_statuses=join_statuses, now=now
    )
