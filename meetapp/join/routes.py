"""The join proxy in a browser, `/join/<token>` and the pages' `/sessions/<id>/join`: log in, check, log the
attempt, and only then redirect to the meeting."""
from datetime import datetime

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from meetapp.domain.access import JoinRefusal
from meetapp.domain.permissions import refusal_tells_about_session
from meetapp.domain.timeutil import utcnow
from meetapp.join import bp
from meetapp.services import changes, joining

REFUSAL_PAGES = {
    JoinRefusal.NOT_FOUND: (404, "Link not valid"),
    JoinRefusal.NOT_PARTICIPANT: (403, "Not your link"),
    JoinRefusal.CANCELLED: (410, "Session cancelled"),
    JoinRefusal.NOT_CONFIRMED: (409, "Not confirmed yet"),
    JoinRefusal.EXPIRED: (410, "Session ended"),
}
# The pages' door names a session, not a link: where a link's title would mislead, its own.
DOOR_TITLES = {JoinRefusal.NOT_FOUND: "Session not found", JoinRefusal.NOT_PARTICIPANT: "Not your session"}


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
    seen = seen_so_far()
    return answer(joining.attempt_by_token(token, current_user, now, request.remote_addr), now, seen, by_link=True)


# The Join control in pages: the same checks in the same order, logged the same way, with the login
# cookie in place of a token. Its address names only the session, so a page's source lets in nobody
# but a logged-in participant; cancelling or moving the session refuses it as it refuses every link.
@bp.get("/sessions/<session_id>/join", merge_slashes=False)
def door(session_id: str):
    now = utcnow()
    if not current_user.is_authenticated:
        joining.log_anonymous_door_attempt(session_id, now, request.remote_addr)
        return redirect(url_for("auth.login", next=request.path))
    seen = seen_so_far()
    return answer(joining.attempt_by_id(session_id, current_user, now, request.remote_addr), now, seen, by_link=False)


def seen_so_far() -> str:
    """The viewer's live ETag as loaded with the login, before the attempt commits (and everything is read
    anew): the waiting page's poll then never claims a change the page does not show."""
    return changes.etag(current_user.id, current_user.sessions_version)


def answer(attempt: joining.JoinAttempt, now: datetime, seen: str, *, by_link: bool):
    """Into the meeting, the waiting page before the window opens, or the page that says why not."""
    if attempt.meeting_url is not None:
        return joining.redirect_to_meeting(attempt.meeting_url)
    if attempt.refusal is JoinRefusal.TOO_EARLY:
        return render_template("join/waiting.html", session=attempt.session, access=attempt.access, now=now, seen=seen)
    status, title = REFUSAL_PAGES[attempt.refusal]
    context = {
        "refusal": attempt.refusal.value,
        "title": title if by_link else DOOR_TITLES.get(attempt.refusal, title),
        "by_link": by_link,
        # Only a participant hears about the session; a stranger's or a bad link says nothing of it.
        "session": attempt.session if refusal_tells_about_session(attempt.refusal) else None,
        "access": attempt.access,
    }
    return render_template("join/refused.html", **context), status
