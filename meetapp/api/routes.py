"""Mentoring-session endpoints of the JSON API."""
from flask import request, url_for

from meetapp.api import bp
from meetapp.api.auth import api_user
from meetapp.api.errors import ApiError, api_fields
from meetapp.domain.access import Access, AccessStatus, JoinRefusal
from meetapp.domain.errors import InvalidRequest
from meetapp.domain.permissions import sees_attendance
from meetapp.domain.presence import Interval, PersonLine, Report, intervals
from meetapp.domain.scheduling import SessionStatus, ended_by_support
from meetapp.domain.timeutil import iso_z, parse_aware_iso, utcnow
from meetapp.models import AttendanceReport, MentoringSession, User
from meetapp.services import attendance as attendance_service
from meetapp.services import booking, join_links, joining, video_settings, windows
from meetapp.web import rate_limits


def session_json(session: MentoringSession, viewer: User) -> dict:
    """A session as `viewer` sees it through the API: their own join link, never the meeting's address."""
    body = {
        "id": session.id,
        "status": session.status.value,
        "mentor": person_json(session.mentor),
        "mentee": person_json(session.mentee),
        "sessionType": session.session_type.name,
        "startsAt": iso_z(session.starts_at),
        "endsAt": iso_z(session.ends_at),
        "durationMinutes": session.duration_minutes,
        "provider": session.video_provider,
        "joinUrl": join_links.join_link(session, viewer, utcnow()),
    }
    if session.cancelled_at is not None:
        # Cancelled or declined (the status says which). An admin who ended it is not named to its people.
        by = session.cancelled_by
        by_support = by is not None and ended_by_support(by.role, viewer.role)
        body["cancellation"] = {
            "by": person_json(by) if by and not by_support else None,
            "reason": session.cancel_reason,
            "at": iso_z(session.cancelled_at),
        }
        if by_support:
            body["cancellation"]["bySupport"] = True
    return body


def person_json(user: User) -> dict:
    return {"id": user.id, "name": user.name}


def json_body() -> dict:
    """The request body as a JSON object; an empty body counts as {}."""
    if not request.get_data(cache=True):
        return {}
    try:
        body = request.get_json(force=True, silent=True)
    except RecursionError:
        # Nesting deeper than the parser's stack: no body this API takes looks like that.
        body = None
    if body is None:
        raise ApiError(400, "invalid_json", "The body is not valid JSON.")
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object.")
    # PostgreSQL cannot store a NUL character, and no person types one. A lone UTF-16 surrogate
    # ("\ud800" in JSON) is no character at all: no database and no mail could take it.
    unstorable = {
        name: problem for name, value in body.items() if (problem := unstorable_text(name) or unstorable_text(value))
    }
    if unstorable:
        raise ApiError(400, "validation_error", "Some fields need attention.", fields=unstorable)
    return body


def unstorable_text(value: object) -> str | None:
    """Why some text in `value` (a JSON value, nested or not) cannot be stored, or None."""
    if isinstance(value, str):
        if "\x00" in value:
            return "Text must not contain NUL characters."
        if not value.isascii() and any("\ud800" <= char <= "\udfff" for char in value):
            return "Text must be valid Unicode (it holds a lone surrogate)."
        return None
    if isinstance(value, dict):
        items = [item for pair in value.items() for item in pair]
    elif isinstance(value, list):
        items = value
    else:
        return None
    return next((problem for item in items if (problem := unstorable_text(item))), None)


def time_field(body: dict, name: str, errors: dict[str, str]):
    """Parse an ISO 8601 time that must carry an offset; None (and an error noted) if it does not."""
    raw = body.get(name)
    if raw is None:
        return None
    try:
        return parse_aware_iso(raw)
    except ValueError as exc:
        errors[name] = str(exc)
    except OverflowError:
        # Such as 9999-12-31T23:59:59-14:00, which is past the year 9999 in UTC.
        errors[name] = "That time is out of range."
    return None


def with_parse_errors(errors: dict[str, str], call):
    """Run a booking call; parse errors found earlier take precedence over its own field errors."""
    try:
        return call()
    except InvalidRequest as exc:
        raise ApiError(400, "validation_error", exc.message, fields={**api_fields(exc.fields), **errors}) from None


@bp.post("/mentoring/sessions")
def create_session():
    mentee = api_user()
    rate_limits.count_booking(mentee.id)
    body = json_body()
    errors: dict[str, str] = {}
    starts_at = time_field(body, "startsAt", errors)
    mentor_id = body.get("mentorId")
    if isinstance(mentor_id, int) and not -(2**31) <= mentor_id < 2**31:
        # Outside PostgreSQL's integer (and far enough out, SQLite's): nobody has it, and the database would refuse it.
        errors["mentorId"], mentor_id = "There is no mentor with this id.", None
    session = with_parse_errors(
        errors,
        lambda: booking.book_session(
            mentee=mentee,
            mentor_id=mentor_id,
            starts_at=starts_at,
            duration_minutes=body.get("durationMinutes"),
            session_type_name=body.get("sessionType", booking.DEFAULT_SESSION_TYPE),
            now=utcnow(),
        ),
    )
    location = url_for("api.get_session", session_id=session.id)
    return {"session": session_json(session, mentee)}, 201, {"Location": location}


@bp.get("/mentoring/sessions")
def list_sessions():
    user = api_user()
    return {"sessions": [session_json(s, user) for s in booking.sessions_of(user)]}


@bp.get("/mentoring/session/<session_id>")
def get_session(session_id: str):
    user = api_user()
    return {"session": session_json(booking.session_for(user, session_id), user)}


@bp.post("/mentoring/session/<session_id>/confirm")
def confirm_session(session_id: str):
    user = api_user()
    session = booking.confirm_session(booking.session_for(user, session_id), user=user, now=utcnow())
    return {"session": session_json(session, user)}


@bp.post("/mentoring/session/<session_id>/cancel")
def cancel_session(session_id: str):
    user = api_user()
    session = booking.session_for(user, session_id)
    body = json_body()
    session = booking.cancel_session(session, user=user, reason=body.get("reason"), now=utcnow())
    return {"session": session_json(session, user)}


@bp.post("/mentoring/session/<session_id>/decline")
def decline_session(session_id: str):
    user = api_user()
    session = booking.session_for(user, session_id)
    body = json_body()
    session = booking.decline_session(session, user=user, reason=body.get("reason"), now=utcnow())
    return {"session": session_json(session, user)}


@bp.post("/mentoring/session/<session_id>/reschedule")
def reschedule_session(session_id: str):
    user = api_user()
    session = booking.session_for(user, session_id)
    rate_limits.count_booking(user.id)
    body = json_body()
    errors: dict[str, str] = {}
    starts_at = time_field(body, "startsAt", errors)
    session = with_parse_errors(
        errors,
        lambda: booking.reschedule_session(
            session,
            user=user,
            starts_at=starts_at,
            duration_minutes=body.get("durationMinutes"),
            now=utcnow(),
        ),
    )
    # Which happened: the mentor's move stands; the mentee's waits for the mentor to confirm it.
    return {
        "session": session_json(session, user),
        "rescheduledBy": "mentor" if user.id == session.mentor_id else "mentee",
        "needsConfirmation": session.status is SessionStatus.PENDING,
    }


@bp.post("/mentoring/session/<session_id>/generate-link")
def generate_link(session_id: str):
    user = api_user()
    session = booking.session_for(user, session_id, admins_too=True)
    session = booking.new_meeting_link(session, user=user, now=utcnow())
    link = {"provider": session.video_provider, "joinUrl": join_links.join_link(session, user, utcnow())}
    return {"meetingLink": link, "session": session_json(session, user)}


def video_settings_json(settings: video_settings.VideoSettings) -> dict:
    body = {
        "provider": settings.provider,
        "manualMeetingUrl": settings.manual_url,
        "previewUrl": settings.preview_url,
        "zoomUser": settings.zoom_user,
        "googleUser": settings.google_user,
        # Who the provider said meetings are made as, when this request asked it (PUT); GET never asks.
        "connection": settings.connection,
    }
    if settings.notice:
        body["notice"] = settings.notice
    if settings.warning:
        body["warning"] = settings.warning
    return body


@bp.get("/mentoring/me/video-settings")
def get_video_settings():
    return video_settings_json(video_settings.current_settings(api_user()))


@bp.put("/mentoring/me/video-settings")
def put_video_settings():
    body = json_body()
    saved = video_settings.save(
        api_user(),
        provider=body.get("provider"),
        manual_url=body.get("manualMeetingUrl", video_settings.UNCHANGED),
        zoom_user=body.get("zoomUser", video_settings.UNCHANGED),
        google_user=body.get("googleUser", video_settings.UNCHANGED),
        apply_to_upcoming=body.get("applyToUpcoming", False),
        now=utcnow(),
    )
    return video_settings_json(saved) | {"sessionsUpdated": saved.sessions_updated}


def access_json(access: Access) -> dict:
    body = {
        "canJoin": access.can_join,
        "status": access.status.value,
        "message": access.message,
        "availableAt": iso_z(access.window.opens_at),
        "expiresAt": iso_z(access.window.closes_at),
        "timeUntilAvailable": access.minutes_until_available,
        "timeUntilExpiry": access.minutes_until_expiry,
        "secondsUntilAvailable": access.seconds_until_available,
        "secondsUntilExpiry": access.seconds_until_expiry,
    }
    if access.status is AccessStatus.EXPIRED:
        body["expiredAt"] = body["expiresAt"]
    return body


@bp.get("/mentoring/session/<session_id>/access")
def session_access(session_id: str):
    user = api_user()
    session = booking.session_for(user, session_id)
    now = utcnow()
    access = windows.access_of(session, user, now)
    body = {"session": session.id, "provider": session.video_provider, "access": access_json(access)}
    if access.can_join:
        body["joinUrl"] = join_links.join_link(session, user, now)
    return body


JOIN_ERRORS = {
    JoinRefusal.NOT_FOUND: (404, "There is no session with this id."),
    JoinRefusal.NOT_PARTICIPANT: (403, "This session belongs to other people."),
    # The access message says which: cancelled, or declined.
    JoinRefusal.CANCELLED: (410, None),
    JoinRefusal.NOT_CONFIRMED: (409, "This session is not confirmed yet."),
    JoinRefusal.TOO_EARLY: (409, None),
    JoinRefusal.EXPIRED: (410, None),
}


@bp.get("/mentoring/session/<session_id>/join")
def join_session(session_id: str):
    attempt = joining.attempt_by_id(session_id, api_user(), utcnow(), request.remote_addr)
    if attempt.meeting_url is not None:
        return joining.redirect_to_meeting(attempt.meeting_url)
    status, message = JOIN_ERRORS[attempt.refusal]
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    raise ApiError(status, attempt.refusal.value, message or attempt.access.message, headers=headers)


@bp.get("/mentoring/session/<session_id>/attendance")
def attendance(session_id: str):
    """Who clicked Join, who the provider saw in the room, and the report that reads the two together.

    The mentor and admins get all of it; the mentee gets only their own clicks, presence and line
    (domain.permissions.sees_attendance). A session never confirmed has no report ("report": null).
    """
    user = api_user()
    session = booking.session_for(user, session_id, admins_too=True)
    whole = sees_attendance(user.id, user.role, session.mentor_id)
    now = utcnow()
    presence_events = attendance_service.events_of(session.id)
    report = attendance_service.report_of(session, now, events=presence_events)
    stored = attendance_service.stored_report(session.id) if report is not None else None
    events = [
        {"userId": event.user_id, "at": iso_z(event.at), "outcome": event.outcome, "reason": event.reason}
        for event, _ in joining.attendance_of(session)
        if whole or event.user_id == user.id
    ]
    presence = [
        interval_json(interval)
        for interval in intervals(presence_events)
        if whole or interval.user_id == user.id
    ]
    only_user_id = None if whole else user.id
    return {"events": events, "presence": presence, "report": report_json(report, stored, only_user_id)}


def interval_json(interval: Interval) -> dict:
    body = {
        "userId": interval.user_id,
        "joinedAt": iso_z(interval.joined_at),
        "leftAt": iso_z(interval.left_at) if interval.left_at else None,
        "source": interval.source,
    }
    if interval.user_id is None:
        # Only a participant the provider matched to nobody keeps a name (models.PresenceEvent).
        body["name"] = interval.display_name
    return body


def report_json(report: Report | None, stored: AttendanceReport | None, only_user_id: int | None) -> dict | None:
    """The report as the API gives it; with `only_user_id`, that person's own line and nothing more."""
    if report is None:
        return None
    if only_user_id is not None:
        own = report.line_of(only_user_id)
        return {"people": [person_line_json(own)] if own else [], "final": stored is not None}
    return {
        "outcome": report.outcome.value,
        "minutesTogether": report.minutes_together,
        "final": stored is not None,
        "finalisedAt": iso_z(stored.finalised_at) if stored else None,
        "presenceSource": report.presence_source,
        "people": [person_line_json(line) for line in report.people],
    }


def person_line_json(line: PersonLine) -> dict:
    return {
        "userId": line.user_id,
        "state": line.state.value,
        "firstClickAt": iso_z(line.first_click_at) if line.first_click_at else None,
        "firstClickOutcome": line.first_click_outcome,
        "firstClickReason": line.first_click_reason,
        "firstPresentAt": iso_z(line.first_present_at) if line.first_present_at else None,
        "minutesPresent": line.minutes_present,
        "minutesLate": line.minutes_late,
    }
