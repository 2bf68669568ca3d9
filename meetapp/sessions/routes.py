"""Booking a session, and the session page with confirm, decline, cancel, reschedule and a new meeting link.

Every form works as a plain POST that redirects (PRG). When HTMX sends it, the
view answers with the re-rendered action panel instead, with the same status code.
The join status fragment (`/<id>/status`) is the same markup the pages include.
"""
import math
from datetime import date, datetime

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import Field, SelectChoice

from meetapp.domain.errors import (
    Conflict,
    DomainError,
    InvalidRequest,
    MenteeBusy,
    MentorBusy,
    NotMentee,
    NotMentor,
    TooManyPending,
)
from meetapp.domain.permissions import is_participant, may_retry_meeting, sees_attendance, sees_meeting_notice
from meetapp.domain.scheduling import (
    ENDED_STATUSES,
    SessionStatus,
    awaits_new_time,
    ended_by_support,
    move_takes_back_confirmation,
    offered_actions,
)
from meetapp.domain.timeutil import NonexistentLocalTime, local_to_utc, to_local, utcnow
from meetapp.domain.video import PROVIDER_LABELS, meeting_label
from meetapp.models import MentoringSession, User
from meetapp.services import booking, changes, joining, meetings, mentor_hours, mentors
from meetapp.sessions import bp, slot_picker
from meetapp.sessions.attendance_view import report_view
from meetapp.sessions.forms import (
    BookingForm,
    CancelForm,
    ChooseMentorForm,
    ConfirmForm,
    DeclineForm,
    RescheduleForm,
    SlotTypeForm,
    mentor_id_or_none,
)
from meetapp.web import rate_limits
from meetapp.web.errors import error_page, status_of
from meetapp.web.rate_limits import TooManyAttempts
from meetapp.web.unchanged_polls import not_modified

ERROR_TITLES = {400: "Request not understood", 403: "Not allowed", 404: "Session not found", 409: "Not possible"}
# Field names of the scheduling service -> form fields.
BOOKING_FIELDS = {"mentor": "mentor", "session_type": "session_type", "starts_at": "starts_at", "duration_minutes": "duration"}
RESCHEDULE_FIELDS = {"starts_at": "starts_at", "duration_minutes": "duration"}
CANCEL_FIELDS = {"reason": "reason"}
# htmx stops polling an element whose answer has this status (and still swaps it in).
STOP_POLLING = 286


@bp.errorhandler(DomainError)
def refused(exc: DomainError):
    status = status_of(exc)
    return error_page(status, ERROR_TITLES.get(status, "Not possible"), exc.message)


@bp.after_request
def keep_out_of_caches(response):
    # Session pages and fragments carry the viewer's own Join links.
    response.headers["Cache-Control"] = "no-store"
    return response


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def utc_start(field: Field) -> datetime | None:
    """The field's wall-clock time, read in the viewer's zone, as UTC; None (and a field error) if it has none."""
    if field.data is None:
        if not field.errors:
            field.errors.append("Pick a date and a time.")
        return None
    try:
        return local_to_utc(field.data, current_user.timezone)
    except NonexistentLocalTime as exc:
        field.errors.append(str(exc))
    except OverflowError:
        field.errors.append("That date is out of range.")
    return None


def too_many_bookings(refusal: TooManyAttempts) -> str:
    minutes = math.ceil(refusal.retry_after / 60)
    wait = f"{minutes} minute{'s' * (minutes != 1)}" if minutes <= 90 else f"{math.ceil(minutes / 60)} hours"
    return f"You have booked or moved sessions too often for now. Please try again in {wait}."


def add_field_errors(form, errors: dict[str, str], names: dict[str, str]) -> None:
    """Put the service's field errors next to the form's fields (the rest above the form)."""
    for key, message in errors.items():
        field = getattr(form, names.get(key, ""), None)
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors.append(message)


# Booking ------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not current_user.is_mentee:
        raise NotMentee("Only mentees can book sessions. Mentors see the sessions booked with them on the dashboard.")
    if not current_user.email_confirmed:
        # booking.book_session refuses them as well; the page says so before the form is filled in, with a new link.
        return render_template("auth/confirm_first.html"), 403
    if request.method == "POST" and "slot" in request.form:
        return book_slot()
    if request.method == "GET" and "mentor" in request.args:
        return mentor_times()
    form = booking_form()
    if request.method == "GET":
        return booking_page(form)

    # `problem` refuses the whole request (too many bookings or requests): there is no field to fix.
    status, headers, problem = 400, {}, None
    # Every problem at once: what the form could not read, and the booking rules on all the rest.
    fields_read = form.validate()
    starts_at = utc_start(form.starts_at)
    if fields_read and starts_at is not None:
        try:
            rate_limits.count_booking(current_user.id)
            session = booking.book_session(
                mentee=current_user,
                mentor_id=form.mentor.data,
                starts_at=starts_at,
                duration_minutes=form.duration.data,
                session_type_name=form.session_type.data,
                now=utcnow(),
            )
        except TooManyAttempts as refusal:
            problem = too_many_bookings(refusal)
            status, headers = 429, {"Retry-After": str(refusal.retry_after)}
        except InvalidRequest as exc:
            add_field_errors(form, exc.fields, BOOKING_FIELDS)
        except TooManyPending as exc:
            # About the mentee's other requests, not this start time: above the form.
            problem = exc.message
            status = 409
        except Conflict as exc:
            form.starts_at.errors.append(exc.message)
            status = 409
        else:
            flash(booked_message(session), "success")
            return redirect(url_for("sessions.detail", session_id=session.id))
    elif starts_at is None or form.duration.data is None:
        add_booking_rule_errors(form, starts_at)
    return booking_page(form, problem=problem, status=status, headers=headers)


def booking_form(*, filled: bool = True) -> BookingForm:
    """The free date-time form with its mentor and session type lists; read from the request when `filled`,
    else (and on a GET) empty with the usual type and its duration."""
    session_types = booking.all_session_types()
    form = BookingForm() if filled else BookingForm(formdata=None)
    form.mentor.choices = mentor_choices()
    form.session_type.choices = [
        SelectChoice(
            kind.name,
            f"{kind.name} ({kind.default_duration_minutes} min)",
            {"data_duration": kind.default_duration_minutes},
        )
        for kind in session_types
    ]
    if not (filled and form.is_submitted()):
        standard = next((kind for kind in session_types if kind.name == booking.DEFAULT_SESSION_TYPE), None)
        form.session_type.data = booking.DEFAULT_SESSION_TYPE
        form.duration.data = standard.default_duration_minutes if standard else None
    return form


def mentor_choices() -> list[SelectChoice]:
    return [SelectChoice("", "Choose a mentor…")] + [
        SelectChoice(str(mentor.id), mentor.name) for mentor in booking.all_mentors()
    ]


def booking_page(
    form: BookingForm,
    *,
    chooser: ChooseMentorForm | None = None,
    chosen: User | None = None,
    problem: str | None = None,
    status: int = 200,
    headers: dict | None = None,
):
    """The page with the free date-time form: under the mentor chooser, or for the `chosen` mentor, who set
    no weekly hours and so is booked at any free time."""
    if chooser is None and chosen is None:
        chooser = ChooseMentorForm(formdata=None)
    if chooser is not None:
        chooser.mentor.choices = form.mentor.choices
    page = render_template("sessions/new.html", form=form, chooser=chooser, chosen=chosen, problem=problem)
    return make_response(page, status, headers or {})


def mentor_times():
    """`?mentor=<id>`: that mentor's free times one day at a time, or the free form for a mentor without hours."""
    chooser = ChooseMentorForm(formdata=request.args)
    mentor = mentors.bookable_mentor(chooser.mentor.data)
    if mentor is None:
        form = booking_form(filled=False)
        if request.args.get("mentor", "") == "":
            chooser.mentor.errors = ["Choose a mentor."]
            return booking_page(form, chooser=chooser, status=400)
        chooser.mentor.errors = ["There is no mentor with this id."]
        return booking_page(form, chooser=chooser, status=404)
    return mentor_page(mentor, request.args.get("session_type"), slot_picker.read_day(request.args.get("day")))


def mentor_page(mentor: User, type_name: object, day: date | None, *, problem: str | None = None, status: int = 200):
    """The slot picker for a mentor with weekly hours, at `day` of the mentee's calendar (None: the first with
    a free time); for htmx, the slot list alone. For a mentor without hours, the free form with them chosen."""
    offered = mentors.offered_types(mentor.mentor_profile, booking.all_session_types())
    kind = slot_picker.chosen_type(offered, type_name, booking.DEFAULT_SESSION_TYPE)
    if kind is None or not mentor_hours.has_hours(mentor.mentor_profile):
        form = booking_form(filled=False)
        form.mentor.data = mentor.id
        return booking_page(form, chosen=mentor, problem=problem, status=status)
    type_form = SlotTypeForm(formdata=None, session_type=kind.name)
    type_form.session_type.choices = [
        SelectChoice(offered_kind.name, f"{offered_kind.name} ({offered_kind.default_duration_minutes} min)")
        for offered_kind in offered
    ]
    context = {
        "mentor": mentor,
        "kind": kind,
        "type_form": type_form,
        "picker": slot_picker.slot_day(mentor, current_user, kind, day, utcnow()),
        "problem": problem,
    }
    # A history restore asks with HX-Request too, and wants the whole page.
    wants_list = is_htmx() and request.method == "GET" and not request.headers.get("HX-History-Restore-Request")
    template = "sessions/_slots.html" if wants_list else "sessions/new.html"
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def book_slot():
    """A press of one of the picker's buttons (or the mentor profile's): the slot's start, the type's usual length."""
    mentor = mentors.bookable_mentor(mentor_id_or_none(request.form.get("mentor")))
    type_name = request.form.get("session_type")
    if mentor is None:
        chooser = ChooseMentorForm(formdata=None)
        chooser.mentor.errors = ["There is no mentor with this id."]
        return booking_page(booking_form(filled=False), chooser=chooser, status=400)
    try:
        starts_at = slot_picker.read_slot(request.form.getlist("slot"))
    except ValueError as exc:
        return mentor_page(mentor, type_name, None, problem=str(exc), status=400)
    kind = booking.session_type_named(type_name) if isinstance(type_name, str) and len(type_name) <= 80 else None
    status, headers = 409, {}
    try:
        rate_limits.count_booking(current_user.id)
        session = booking.book_session(
            mentee=current_user,
            mentor_id=mentor.id,
            starts_at=starts_at,
            duration_minutes=kind.default_duration_minutes if kind else None,
            session_type_name=type_name,
            now=utcnow(),
        )
    except TooManyAttempts as refusal:
        problem = too_many_bookings(refusal)
        status, headers = 429, {"Retry-After": str(refusal.retry_after)}
    except InvalidRequest as exc:
        # The duration is the type's: without a known type, the type's own error says what is wrong.
        problem = " ".join(message for key, message in exc.fields.items() if key != "duration_minutes" or kind)
        status = 400
    except MentorBusy:
        problem = slot_picker.TAKEN
    except Conflict as exc:
        # Outside the mentor's hours, the mentee busy then, or too many requests waiting.
        problem = exc.message
    else:
        flash(booked_message(session), "success")
        return redirect(url_for("sessions.detail", session_id=session.id))
    day = to_local(starts_at, current_user.timezone).date()
    response = mentor_page(mentor, type_name, day, problem=problem, status=status)
    response.headers.update(headers)
    return response


def add_booking_rule_errors(form: BookingForm, starts_at: datetime | None) -> None:
    """What the booking rules say about a form whose start or duration could not be read, next to the fields
    they are about, where the form has not said something already ("Give a start time." beside "Give the
    start as a date and a time…" would say it twice).

    """
    errors = booking.booking_errors(
        mentee=current_user,
        mentor_id=form.mentor.data,
        starts_at=starts_at,
        duration_minutes=form.duration.data,
        session_type_name=form.session_type.data,
        now=utcnow(),
    )
    for key, message in errors.items():
        field = getattr(form, BOOKING_FIELDS.get(key, ""), None)
        if field is None:
            form.form_errors.append(message)
        elif not field.errors:
            field.errors.append(message)


def booked_message(session: MentoringSession) -> str:
    if session.status is SessionStatus.CONFIRMED:
        return f"Your session with {session.mentor.name} is booked and confirmed."
    return f"Your session request was sent to {session.mentor.name}. You'll see here when they confirm it."


# The join status ----------------------------------------------------------------------


@bp.get("/<session_id>/status")
@login_required
def status(session_id: str):
    """The join status fragment. The session page and the waiting page poll it about once a minute with
    `If-None-Match`: `304` while nothing changed for the viewer (services.changes), usually answered
    before Flask (web.unchanged_polls). HTMX polling stops on its final states (286)."""
    tag = changes.etag(current_user.id, current_user.sessions_version)
    asked = request.headers.get("If-None-Match")
    if asked is not None and asked.strip() == tag:
        return not_modified(tag)
    now = utcnow()
    session = booking.session_for(current_user, session_id)
    state = joining.status_for(session, current_user, now)
    fragment = render_template(
        "sessions/_status.html", session=session, access=state.access, join_href=state.join_href, now=now
    )
    response = make_response(fragment, STOP_POLLING if state.access.final and is_htmx() else 200)
    response.headers["ETag"] = tag
    response.vary.update(("HX-Request", "Cookie"))
    return response


# The session page ---------------------------------------------------------------------


def status_note(session: MentoringSession, viewer: User, now: datetime) -> str | None:
    """The one sentence beside the status badge, where the badge alone does not say what comes next.
    (An ended session's line names who ended it: see `ended_by`.)"""
    if session.status in ENDED_STATUSES:
        return None
    if session.ends_at <= now:
        never = "It was never confirmed. " if session.status is SessionStatus.PENDING else ""
        return never + "This session is over; it can no longer be changed."
    what = " the new time" if awaits_new_time(session.status, session.announced_at) else ""
    if session.awaits_confirmation_by(viewer.id):
        return f"Waiting for you to confirm or decline{what}."
    if session.status is SessionStatus.PENDING:
        return f"Waiting for {session.mentor.name} to confirm{what}."
    return None


def ended_by(session: MentoringSession, viewer: User) -> str | None:
    """Who cancelled or declined the session, as `viewer` reads it; None while it is not ended."""
    if session.status not in ENDED_STATUSES:
        return None
    person = session.cancelled_by
    if person is None:
        return "someone no longer here"
    if ended_by_support(person.role, viewer.role):
        return "meetapp support"
    return person.name + (" (you)" if person.id == viewer.id else "")


def render_session(
    session: MentoringSession,
    *,
    status: int = 200,
    notice: str | None = None,
    problem: str | None = None,
    cancel_form: CancelForm | None = None,
    decline_form: DeclineForm | None = None,
    reschedule_form: RescheduleForm | None = None,
):
    """The session page, or only its action panel for HTMX; forms given here keep what was typed."""
    now = utcnow()
    if reschedule_form is None:
        reschedule_form = RescheduleForm(
            formdata=None,
            starts_at=to_local(session.starts_at, current_user.timezone).replace(tzinfo=None),
            duration=session.duration_minutes,
        )
    participant = is_participant(current_user.id, session.mentor_id, session.mentee_id)
    # An admin looking after the session sees it and who tried to join, and may cancel it or give it a
    # new link (domain.scheduling.ADMIN_ACTIONS), but cannot join it.
    state = joining.status_for(session, current_user, now) if participant else None
    if participant:
        heading = f"{session.session_type.name} with {session.other_participant(current_user.id).name}"
    else:
        heading = f"{session.session_type.name}: {session.mentor.name} and {session.mentee.name}"
    whole_attendance = sees_attendance(current_user.id, current_user.role, session.mentor_id)
    context = {
        "session": session,
        "is_participant": participant,
        "heading": heading,
        "actions": offered_actions(
            current_user.id,
            session.mentor_id,
            session.mentee_id,
            session.status,
            session.ends_at,
            now,
            is_admin=current_user.is_admin,
        ),
        "status_note": status_note(session, current_user, now),
        "ended_by": ended_by(session, current_user),
        "shows_joining": session.status is SessionStatus.CONFIRMED,
        # The mentee's move of a confirmed session waits for the mentor: the form says so beforehand.
        "reschedule_asks_mentor": move_takes_back_confirmation(current_user.id, session.mentee_id, session.status),
        "access": state.access if state else None,
        "join_href": state.join_href if state else None,
        # A participant's page polls for changes until nothing can change any more.
        "live_until": state.access.window.closes_at if state and not state.access.final else None,
        "now": now,
        # Only the full page lists the attempts; the panel that HTMX swaps in after an action does not.
        "attendance": joining.attendance_of(session) if whole_attendance and not is_htmx() else None,
        # The attendance report: the whole of it for the mentor and admins, the mentee's own line for them.
        "attendance_report": (
            report_view(session, current_user, now, whole=whole_attendance) if not is_htmx() else None
        ),
        "whole_attendance": whole_attendance,
        "provider_label": meeting_label(session.video_provider, session.meeting_kind),
        "provider_name": PROVIDER_LABELS[session.video_provider],
        "can_retry_meeting": may_retry_meeting(current_user.id, session.mentor_id) and meetings.can_retry(session),
        # A new link cannot shut anyone out of the mentor's own meeting address: the panel says what can.
        "own_meeting_link": booking.meets_at_own_link(session),
        "shows_meeting_notice": sees_meeting_notice(current_user.id, session.mentor_id),
        "confirm_form": ConfirmForm(formdata=None),
        # Like confirming, a new link needs only the CSRF token.
        "new_link_form": ConfirmForm(formdata=None),
        "cancel_form": cancel_form or CancelForm(formdata=None),
        "decline_form": decline_form or DeclineForm(formdata=None),
        "reschedule_form": reschedule_form,
        "notice": notice,
        "problem": problem,
    }
    template = "sessions/_panel.html" if is_htmx() else "sessions/detail.html"
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def changed(session: MentoringSession, message: str):
    """After a change: redirect to the page (PRG), or hand HTMX the fresh panel with the message in it."""
    if is_htmx():
        return render_session(session, notice=message)
    flash(message, "success")
    return redirect(url_for("sessions.detail", session_id=session.id))


@bp.get("/<session_id>")
@login_required
def detail(session_id: str):
    return render_session(booking.session_for(current_user, session_id, admins_too=True))


@bp.post("/<session_id>/confirm")
@login_required
def confirm(session_id: str):
    session = booking.session_for(current_user, session_id)
    try:
        booking.confirm_session(session, user=current_user, now=utcnow())
    except Conflict as exc:
        return render_session(session, problem=exc.message, status=409)
    return changed(session, f"Session confirmed. {session.mentee.name} now sees it as confirmed.")


@bp.post("/<session_id>/decline")
@login_required
def decline(session_id: str):
    session = booking.session_for(current_user, session_id)
    form = DeclineForm()
    if not form.validate():
        return render_session(session, decline_form=form, status=400)
    try:
        booking.decline_session(session, user=current_user, reason=form.reason.data, now=utcnow())
    except InvalidRequest as exc:
        add_field_errors(form, exc.fields, CANCEL_FIELDS)
        return render_session(session, decline_form=form, status=400)
    except Conflict as exc:
        return render_session(session, problem=exc.message, status=409)
    return changed(session, f"Request declined. {session.mentee.name} has been told.")


@bp.post("/<session_id>/cancel")
@login_required
def cancel(session_id: str):
    # Admins too, through the same service: they must give a reason, and the action is logged.
    session = booking.session_for(current_user, session_id, admins_too=True)
    form = CancelForm()
    if not form.validate():
        return render_session(session, cancel_form=form, status=400)
    try:
        booking.cancel_session(session, user=current_user, reason=form.reason.data, now=utcnow())
    except InvalidRequest as exc:
        add_field_errors(form, exc.fields, CANCEL_FIELDS)
        return render_session(session, cancel_form=form, status=400)
    except Conflict as exc:
        return render_session(session, problem=exc.message, status=409)
    if not is_participant(current_user.id, session.mentor_id, session.mentee_id):
        return changed(session, "Session cancelled. Both people have been told, as by meetapp support.")
    return changed(session, "Session cancelled. It shows as cancelled for both of you.")


@bp.post("/<session_id>/reschedule")
@login_required
def reschedule(session_id: str):
    session = booking.session_for(current_user, session_id)
    form = RescheduleForm()
    if not form.validate() or (starts_at := utc_start(form.starts_at)) is None:
        return render_session(session, reschedule_form=form, status=400)
    try:
        rate_limits.count_booking(current_user.id)
        booking.reschedule_session(
            session, user=current_user, starts_at=starts_at, duration_minutes=form.duration.data, now=utcnow()
        )
    except TooManyAttempts as refusal:
        form.form_errors.append(too_many_bookings(refusal))
        response = render_session(session, reschedule_form=form, status=429)
        response.headers["Retry-After"] = str(refusal.retry_after)
        return response
    except InvalidRequest as exc:
        add_field_errors(form, exc.fields, RESCHEDULE_FIELDS)
        return render_session(session, reschedule_form=form, status=400)
    except Conflict as exc:
        if isinstance(exc, MentorBusy | MenteeBusy):
            form.starts_at.errors.append(exc.message)
            return render_session(session, reschedule_form=form, status=409)
        return render_session(session, problem=exc.message, status=409)
    return changed(session, moved_message(session))


def moved_message(session: MentoringSession) -> str:
    """What the person who moved the session reads: whether the move stands or waits for the mentor."""
    if session.status is SessionStatus.CONFIRMED:
        return f"Session moved. {session.mentee.name} has been told."
    if current_user.id == session.mentor_id:
        return f"Session moved. {session.mentee.name} has been told; it still waits for your confirmation."
    return f"Session moved. It waits for {session.mentor.name} to confirm the new time."


@bp.post("/<session_id>/meeting/retry")
@login_required
def retry_meeting(session_id: str):
    """The mentor asks again for the Zoom or Google meeting that could not be made."""
    session = booking.session_for(current_user, session_id)
    if not may_retry_meeting(current_user.id, session.mentor_id):
        raise NotMentor("Only the mentor can retry the meeting.")
    if not meetings.can_retry(session):
        return render_session(session, problem="This session is not waiting for a meeting.", status=409)
    if meetings.retry_now(session, utcnow()):
        return changed(session, f"The {PROVIDER_LABELS[session.video_provider]} meeting is ready.")
    return render_session(session, problem=session.meeting_notice, status=409)


@bp.post("/<session_id>/new-link")
@login_required
def new_link(session_id: str):
    # The mentor, or an admin shutting out a leaked link (logged by the service).
    session = booking.session_for(current_user, session_id, admins_too=True)
    try:
        booking.new_meeting_link(session, user=current_user, now=utcnow())
    except Conflict as exc:
        return render_session(session, problem=exc.message, status=409)
    return changed(session, "The meeting has a new link; earlier links to this session no longer work.")
