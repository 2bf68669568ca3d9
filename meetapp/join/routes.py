"""`/join/<token>` in a browser: log in, check, log the attempt, and only then redirect to the meeting."""
from flask import redirect, render_template, request, url_for
from flask_login import current_user

from meetapp.domain.access import JoinRefusal
from meetapp.domain.permissions import refusal_tells_about_session
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
# Not @login_required: an attempt by someone not logged in is logged too, before the login page.
@bp.get("/join/<token>", merge_slashes=False)
def enter(token: str):
    now = utcnow()
    if not current_user.is_authenticated:
        joining.log_anonymous_attempt(token, now, request.remote_addr)
        return redirect(url_for("auth.login", next=request.path))
    attempt = joining.attempt_by_token(token, current_user, now, request.remote_addr)
    if attempt.meeting_url is not None:
        return joining.redirect_to_meeting(attempt.meeting_url)
    if attempt.refusal is JoinRefusal.TOO_EARLY:
        return render_template(
            "join/waiting.html", session=attempt.session, access=attempt.access, token=token, now=now
        )
    status, title = REFUSAL_PAGES[attempt.refusal]
    context = {
        "refusal": attempt.refusal.value,
        "title": title,
        # Only a participant hears about the session; a stranger's or a bad link says nothing of it.
        "session": attempt.session if refusal_tells_about_session(attempt.refusal) else None,
        "access": attempt.access,
    }
    return render_template("join/refused.html", **context), status
