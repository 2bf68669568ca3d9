"""Pages for admins: a home with what needs looking at; every session and every person, searched and
paged; the mail queue (how many mails are in each state, each state's mails with why they failed or
were skipped, and a retry); the mentors (approving and suspending them); the log of what admins did;
and the attendance export (a CSV of the sessions' attendance reports).

Admins change things through the same services as everyone else, and each of those writes its row in
the admin log (services.admin_log) in the same transaction as the change. Mail bodies carry people's
personal join links, so no admin page shows them.
"""
from datetime import timedelta

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from meetapp.admin import bp
from meetapp.admin.forms import PeopleSearchForm, SessionSearchForm
from meetapp.domain.errors import Conflict, InvalidRequest, NotFound
from meetapp.domain.notifications import MailStatus
from meetapp.domain.timeutil import to_local, utcnow
from meetapp.outbox.upkeep import NotRetryable, mails_with_status, retry_mails, status_counts
from meetapp.services import admin_log, admin_views, attendance_export, mentor_approval
from meetapp.services.admin_views import MAX_PAGE, PER_PAGE, SessionSearch, check_page_number
from meetapp.web.errors import error_page

MAILS_SHOWN = 100
# The largest id a row can have on every database (PostgreSQL's integer): a larger one is a 404,
# not a parameter the database refuses with an error.
LARGEST_ID = 2**31 - 1
LATEST_ACTIONS_SHOWN = 10
BAD_PAGE = f"Give the page as a whole number from 1 to {MAX_PAGE}."


@bp.before_request
@login_required
def admins_only():
    """Every admin page and action: log in first, then admins only."""
    if not current_user.is_admin:
        abort(403)


@bp.after_request
def keep_out_of_caches(response):
    # Every admin page lists people's names, addresses and sessions.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(NotFound)
def not_found(exc: NotFound):
    return error_page(404, "Not found", exc.message)


def page_number() -> int:
    """`?page=` as a number (1 when absent); InvalidRequest on `page` for anything else."""
    raw = request.args.get("page", "")
    if not raw:
        return 1
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_PAGE))) or not 1 <= int(raw) <= MAX_PAGE:
        raise InvalidRequest({"page": BAD_PAGE})
    return int(raw)


def search_args(form) -> dict[str, str]:
    """The form's filled-in fields as query arguments, for links to other pages of the same search."""
    return {field.name: request.args[field.name] for field in form if request.args.get(field.name)}


def page_error(form, exc: InvalidRequest) -> None:
    # The page number has no field of its own on the form: its error goes above the form.
    form.form_errors.extend(exc.fields.values())


# Home -------------------------------------------------------------------------------------


def home_searches(today) -> list[tuple[str, dict[str, str]]]:
    """The session counts of the home page, each as the search its link opens, so the number and the
    list it leads to always agree."""
    week_ago = today - timedelta(days=7)
    return [
        (f"Starting today, {today:%a %d %b}", {"from": today.isoformat(), "to": today.isoformat()}),
        ("Waiting for their mentor, from today on", {"status": "pending", "from": today.isoformat()}),
        (f"Cancelled, starting since {week_ago:%a %d %b}", {"status": "cancelled", "from": week_ago.isoformat()}),
    ]


def session_search(form: SessionSearchForm) -> SessionSearch:
    """The validated form as a search; its days are read in the admin's own time zone."""
    starts_from, starts_before = admin_views.day_bounds(
        form.starts_from.data, form.starts_to.data, current_user.timezone
    )
    return SessionSearch(
        person=form.person.data or "", status=form.status_value, starts_from=starts_from, starts_before=starts_before
    )


@bp.get("/")
def home():
    today = to_local(utcnow(), current_user.timezone).date()
    tiles = []
    for label, args in home_searches(today):
        # Read through the search form, exactly as the link's page will read it.
        form = SessionSearchForm(formdata=MultiDict(args))
        form.validate()
        tiles.append((label, admin_views.count_sessions(session_search(form)), args))
    actions = admin_log.latest(LATEST_ACTIONS_SHOWN)
    return render_template(
        "admin/home.html",
        tiles=tiles,
        mentors_waiting=admin_views.mentors_waiting(),
        mail_counts=status_counts(),
        actions=actions,
        people=admin_views.people_named(actions),
        # The export form starts with the days the export takes by default.
        export_days=attendance_export.day_range(None, None, utcnow().date()),
    )


# Sessions ---------------------------------------------------------------------------------


@bp.get("/sessions")
def sessions():
    form = SessionSearchForm(formdata=request.args)
    results, status = None, 200
    if form.validate():
        try:
            results = admin_views.search_sessions(session_search(form), page_number(), PER_PAGE)
        except InvalidRequest as exc:
            page_error(form, exc)
    if results is None:
        # Bad input lists nothing rather than sessions the admin did not ask for.
        status = 400
    return render_template("admin/sessions.html", form=form, results=results, args=search_args(form)), status


# People -----------------------------------------------------------------------------------


@bp.get("/people")
def people():
    form = PeopleSearchForm(formdata=request.args)
    results, status = None, 200
    if form.validate():
        try:
            results = admin_views.search_people(form.q.data or "", form.role_value, page_number(), PER_PAGE)
        except InvalidRequest as exc:
            page_error(form, exc)
    if results is None:
        status = 400
    return render_template("admin/people.html", form=form, results=results, args=search_args(form)), status


# The admin log ----------------------------------------------------------------------------


@bp.get("/log")
def log():
    try:
        page = admin_views.log_page(page_number(), PER_PAGE)
    except InvalidRequest as exc:
        return render_template("admin/log.html", page=None, errors=list(exc.fields.values())), 400
    return render_template("admin/log.html", page=page, errors=[])


# Mail -------------------------------------------------------------------------------------


def back_to_the_queue():
    # 303: the browser follows with a GET, so reloading the page does not retry again.
    return redirect(url_for("admin.mail_queue"), 303)


MAIL_STATUSES = [status.value for status in MailStatus]


@bp.get("/mail")
def mail_queue():
    """Without `?status=`: the counts, and the newest failed and queued mails. With it: every mail in
    that state, paged, newest first (the drill-down from the counts)."""
    counts = status_counts()
    chosen = request.args.get("status", "")
    if not chosen:
        return render_template(
            "admin/mail.html",
            counts=counts,
            status=None,
            failed=mails_with_status(MailStatus.FAILED, MAILS_SHOWN),
            queued=mails_with_status(MailStatus.QUEUED, MAILS_SHOWN),
        )
    try:
        if chosen not in MAIL_STATUSES:
            raise InvalidRequest({"status": f"Choose a status from the list: {', '.join(MAIL_STATUSES)}."})
        status = MailStatus(chosen)
        number = page_number()
        check_page_number(number, counts[status], PER_PAGE)
    except InvalidRequest as exc:
        return render_template("admin/mail.html", counts=counts, status=None, errors=list(exc.fields.values())), 400
    mails = mails_with_status(status, PER_PAGE, offset=(number - 1) * PER_PAGE)
    page = admin_views.Page(mails, number, counts[status], PER_PAGE)
    return render_template("admin/mail.html", counts=counts, status=status, page=page)


@bp.post(f"/mail/<int(max={LARGEST_ID}):mail_id>/retry")
def retry_mail(mail_id: int):
    try:
        retry_mails([mail_id], utcnow(), admin=current_user)
    except NotRetryable as exc:
        flash(f"{exc} Nothing was changed.", "error")
    else:
        flash(f"Mail {mail_id} is queued again; the worker sends it on its next pass.", "success")
    return back_to_the_queue()


@bp.post("/mail/retry-failed")
def retry_failed():
    count = retry_mails(None, utcnow(), admin=current_user)
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


# The attendance export --------------------------------------------------------------------


@bp.get("/attendance.csv")
def attendance_csv():
    """Every confirmed session starting on the UTC days `from`..`to` (inclusive; the last 30 days by
    default) with its attendance report, as a CSV file (services.attendance_export)."""
    now = utcnow()
    try:
        days = attendance_export.day_range(request.args.get("from"), request.args.get("to"), now.date())
    except attendance_export.BadRange as exc:
        return str(exc), 400, {"Content-Type": "text/plain; charset=utf-8"}
    response = make_response(attendance_export.as_csv(days, now))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{days.filename}"'
    return response
