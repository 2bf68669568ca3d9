"""The dashboard: a person's upcoming and recent sessions, in their own time zone."""
from flask import render_template
from flask_login import current_user, login_required

from meetapp import scheduling
from meetapp.dashboard import bp
from meetapp.domain.scheduling import SessionStatus
from meetapp.domain.timeutil import utcnow


@bp.get("/")
@login_required
def index():
    upcoming, past = scheduling.upcoming_and_past(current_user, utcnow())
    awaiting_me = [s for s in upcoming if s.status is SessionStatus.PENDING and s.mentor_id == current_user.id]
    return render_template("dashboard/index.html", upcoming=upcoming, past=past, awaiting_me=awaiting_me)
