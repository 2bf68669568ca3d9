"""Pages for admins: the mail queue (how many mails are in each state, which failed and why, and a
retry), and the mentors (approving and suspending them).

Mail bodies carry people's personal join links, so no admin page shows them.
"""
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from meetapp.admin import bp
from meetapp.domain.errors import Conflict, InvalidRequest, NotFound
from meetapp.domain.notifications import MailStatus
from meetapp.domain.timeutil import utcnow
from meetapp.outbox.upkeep import NotRetryable, mails_with_status, retry_mails, status_counts
from meetapp.services import mentor_approval
from meetapp.web.errors import error_page

MAILS_SHOWN = 100
# The largest id a row can have on every database (PostgreSQL's integer): a larger one is a 404,
# not a parameter the database refuses with an error.
LARGEST_ID = 2**31 - 1


@bp.before_request
@login_required
def admins_only():
    """Every admin page and action: log in first, then admins only."""
    if not current_user.is_admin:
        abort(403)


@bp.errorhandler(NotFound)
def not_found(exc: NotFound):
    return error_page(404, "Not found", exc.message)


def back_to_the_queue():
    # 303: the browser follows with a GET, so reloading the page does not retry again.
    return redirect(url_for("admin.mail_queue"), 303)


@bp.get("/mail")
def mail_queue():
    return render_template(
        "admin/mail.html",
        counts=status_counts(),
        failed=mails_with_status(MailStatus.FAILED, MAILS_SHOWN),
        queued=mails_with_status(MailStatus.QUEUED, MAILS_SHOWN),
    )


@bp.post(f"/mail/<int(max={LARGEST_ID}):mail_id>/retry")
def retry_mail(mail_id: int):
    try:
        retry_mails([mail_id], utcnow())
    except NotRetryable as exc:
        flash(f"{exc} Nothing was changed.", "error")
    else:
        flash(f"Mail {mail_id} is queued again; the worker sends it on its next pass.", "success")
    return back_to_the_queue()


@bp.post("/mail/retry-failed")
def retry_failed():
    count = retry_mails(None, utcnow())
    if count:
        mails = "mail is" if count == 1 else "mails are"
        flash(f"{count} failed {mails} queued again; the worker sends them on its next pass.", "success")
    else:
        flash("There are no failed mails to retry.", "info")
    return back_to_the_queue()


# Mentors ----------------------------------------------------------------------------------


def render_mentors(*, status: int = 200, refused_id: int | None = None, reason: str = "", error: str | None = None):
    """The mentors page; after a refused suspension, that mentor's form stays open with what was typed."""
    return make_response(
        render_template(
            "admin/mentors.html",
            groups=mentor_approval.mentors_by_approval(),
            max_reason=mentor_approval.MAX_REASON_LENGTH,
            cancel_reason=mentor_approval.CANCEL_REASON,
            refused_id=refused_id,
            reason=reason,
            error=error,
        ),
        status,
    )


def back_to_the_mentors():
    return redirect(url_for("admin.mentors"), 303)


@bp.get("/mentors")
def mentors():
    return render_mentors()


@bp.post(f"/mentors/<int(max={LARGEST_ID}):mentor_id>/approve")
def approve_mentor(mentor_id: int):
    try:
        mentor = mentor_approval.approve(mentor_id, admin=current_user, now=utcnow())
    except Conflict as exc:
        flash(f"{exc.message} Nothing was changed.", "info")
    else:
        if mentor.email_confirmed:
            flash(f"{mentor.name} is approved: mentees can now find and book them. We mailed them.", "success")
        else:
            flash(
                f"{mentor.name} is approved. Mentees can book them once they confirm their email address."
                " We mailed them.",
                "success",
            )
    return back_to_the_mentors()


@bp.post(f"/mentors/<int(max={LARGEST_ID}):mentor_id>/suspend")
def suspend_mentor(mentor_id: int):
    reason = request.form.get("reason", "")
    try:
        suspension = mentor_approval.suspend(mentor_id, admin=current_user, reason=reason, now=utcnow())
    except InvalidRequest as exc:
        return render_mentors(status=400, refused_id=mentor_id, reason=reason, error=exc.fields["reason"])
    except Conflict as exc:
        flash(f"{exc.message} Nothing was changed.", "info")
        return back_to_the_mentors()
    name, cancelled = suspension.mentor.name, suspension.cancelled_sessions
    if cancelled:
        sessions = "session was" if cancelled == 1 else "sessions were"
        flash(
            f"{name} is suspended. {cancelled} upcoming {sessions} cancelled; both people were mailed,"
            " and mentees read only that the mentor is no longer available.",
            "success",
        )
    else:
        flash(f"{name} is suspended; they had no upcoming sessions. We mailed them your reason.", "success")
    return back_to_the_mentors()
