"""The mail queue for admins: how many mails are in each state, which failed and why, and a retry.

Mail bodies carry people's personal join links, so no admin page shows them.
"""
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from meetapp.admin import bp
from meetapp.domain.notifications import MailStatus
from meetapp.domain.timeutil import utcnow
from meetapp.outbox.upkeep import NotRetryable, mails_with_status, retry_mails, status_counts

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
