"""The dashboard: a person's upcoming and recent sessions, in their own time zone."""
from flask import render_template
from flask_login import current_user, login_required

from meetapp.dashboard import bp
from meetapp.domain.scheduling import ENDED_STATUSES
from meetapp.domain.timeutil import utcnow
from meetapp.services import booking, joining


@bp.after_request
def keep_out_of_caches(response):
    # The page carries the viewer's own Join links.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
@login_required
def index():
    now = utcnow()
    not_over, past = booking.upcoming_and_past(current_user, now)
    # Cancelled and declined sessions will not happen: they leave Upcoming for a folded list of their
    # own, and get no join status (no Join control, nothing that polls), here or under Past.
    upcoming = [session for session in not_over if session.status not in ENDED_STATUSES]
    ended = [session for session in not_over if session.status in ENDED_STATUSES]
    return render_template(
        "dashboard/index.html",
        upcoming=upcoming,
        ended=ended,
        past=past,
        # Past sessions too: one that ended minutes ago can still be joined until its window closes.
        join_states={
            session.id: joining.status_for(session, current_user, now)
            for session in [*upcoming, *past]
            if session.status not in ENDED_STATUSES
        },
        awaiting_me=sum(1 for session in upcoming if session.awaits_confirmation_by(current_user.id)),
        now=now,
    )
