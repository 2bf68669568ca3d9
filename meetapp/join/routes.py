"""`/join/<token>` in a browser: log in, check, log the attempt, and only then redirect to the meeting."""
from flask import redirect, render_template, request, url_for
from flask_login import current_user

from meetapp.autocommit import autocommit
from meetapp.domain.access import JoinRefusal
from meetapp.domain.timeutil import utcnow
from meetapp.join import bp
from meetapp.services import joining

REFUSAL_PAGES = {
    JoinRefusal.NOT_FOUND: (404, "Link not valid"),
    JoinRefusal.NOT_PARTICIPANT: (403, "Not your link"),
    JoinRefusal.CANCELLED: (410, "Session cancelled"),
    JoinRefusal.NOT_CONFIRMED: (409, "Not confirmed yet"),
    JoinRefusal.EXPIRED: (410, "Session ended"),
}


@bp.after_request
def keep_out_of_caches_and_referrers(response):
    # The answer may be a redirect to the meeting: no cache keeps it, no page learns it.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# No 308 from "/join//x" to "/join/x": a mangled link is a 404, not a redirect.
# Refusals are rate-limited per address where they happen, in `joining` (see meetapp.web.rate_limits).
@bp.get("/join/<token>", merge_slashes=False)
@autocommit
def enter(token: str):
    now = utcnow()
    # One SELECT reads the session as a flat row and, with it, whoever the login cookie names;
    # Flask-Login then takes that viewer without a query of its own (see viewers.prefetch).
    claim, target = joining.target_of_token(token, now)
    if not current_user.is_authenticated:
        joining.record_anonymous_attempt(target, now, request.remote_addr)
        return redirect(url_for("auth.login", next=request.path))
    viewer = current_user._get_current_object()
    attempt = joining.attempt_by_claim(claim, target, viewer, now, request.remote_addr)
    if attempt.meeting_url is not None:
        return joining.redirect_to_meeting(attempt.meeting_url)
    # A refusal explains itself with the whole session: the one path that loads it.
    session = attempt.session()
    if attempt.refusal is JoinRefusal.TOO_EARLY:
        return render_template("join/waiting.html", session=session, access=attempt.access, token=token, now=now)
    status, title = REFUSAL_PAGES[attempt.refusal]
    context = {"refusal": attempt.refusal.value, "title": title, "session": session, "access": attempt.access}
    return render_template("join/refused.html", **context), status
