"""Mentoring-session endpoints of the JSON API."""
from flask import request, url_for

from meetapp import scheduling, video_settings
from meetapp.api import bp
from meetapp.api.auth import api_user
from meetapp.api.errors import ApiError
from meetapp.domain.scheduling import InvalidRequest
from meetapp.domain.timeutil import iso_z, parse_aware_iso, utcnow
from meetapp.models import MentoringSession, User


def session_json(session: MentoringSession) -> dict:
    """A session as the API shows it; never the raw meeting URL."""
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
    }
    if session.cancelled_at is not None:
        body["cancellation"] = {
            "by": person_json(session.cancelled_by) if session.cancelled_by else None,
            "reason": session.cancel_reason,
            "at": iso_z(session.cancelled_at),
        }
    return body


def person_json(user: User) -> dict:
    return {"id": user.id, "name": user.name}


def json_body() -> dict:
    """The request body as a JSON object; an empty body counts as {}."""
    if not request.get_data(cache=True):
        return {}
    body = request.get_json(force=True, silent=True)
    if body is None:
        raise ApiError(400, "invalid_json", "The body is not valid JSON.")
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object.")
    return body


def time_field(body: dict, name: str, errors: dict[str, str]):
    """Parse an ISO 8601 time that must carry an offset; None (and an error noted) if it does not."""
    raw = body.get(name)
    if raw is None:
        return None
    try:
        return parse_aware_iso(raw)
    except ValueError as exc:
        errors[name] = str(exc)
        return None


def with_parse_errors(errors: dict[str, str], call):
    """Run a scheduling call; parse errors found earlier take precedence over its own field errors."""
    try:
        return call()
    except InvalidRequest as exc:
        raise InvalidRequest({**exc.fields, **errors}) from None


@bp.post("/mentoring/sessions")
def create_session():
    body = json_body()
    errors: dict[str, str] = {}
    starts_at = time_field(body, "startsAt", errors)
    session = with_parse_errors(
        errors,
        lambda: scheduling.book_session(
            mentee=api_user(),
            mentor_id=body.get("mentorId"),
            starts_at=starts_at,
            duration_minutes=body.get("durationMinutes"),
            session_type_name=body.get("sessionType", scheduling.DEFAULT_SESSION_TYPE),
            now=utcnow(),
        ),
    )
    location = url_for("api.get_session", session_id=session.id)
    return {"session": session_json(session)}, 201, {"Location": location}


@bp.get("/mentoring/sessions")
def list_sessions():
    return {"sessions": [session_json(s) for s in scheduling.sessions_of(api_user())]}


@bp.get("/mentoring/session/<session_id>")
def get_session(session_id: str):
    return {"session": session_json(scheduling.session_for(api_user(), session_id))}


@bp.post("/mentoring/session/<session_id>/confirm")
def confirm_session(session_id: str):
    user = api_user()
    session = scheduling.confirm_session(scheduling.session_for(user, session_id), user=user, now=utcnow())
    return {"session": session_json(session)}


@bp.post("/mentoring/session/<session_id>/cancel")
def cancel_session(session_id: str):
    user = api_user()
    session = scheduling.session_for(user, session_id)
    body = json_body()
    session = scheduling.cancel_session(session, user=user, reason=body.get("reason"), now=utcnow())
    return {"session": session_json(session)}


@bp.post("/mentoring/session/<session_id>/reschedule")
def reschedule_session(session_id: str):
    user = api_user()
    session = scheduling.session_for(user, session_id)
    body = json_body()
    errors: dict[str, str] = {}
    starts_at = time_field(body, "startsAt", errors)
    session = with_parse_errors(
        errors,
        lambda: scheduling.reschedule_session(
            session,
            user=user,
            starts_at=starts_at,
            duration_minutes=body.get("durationMinutes"),
            now=utcnow(),
        ),
    )
    return {"session": session_json(session)}


@bp.post("/mentoring/session/<session_id>/generate-link")
def generate_link(session_id: str):
    user = api_user()
    session = scheduling.session_for(user, session_id, admins_too=True)
    session = scheduling.new_meeting_link(session, user=user, now=utcnow())
    return {"meetingLink": {"provider": session.video_provider}, "session": session_json(session)}


def video_settings_json(settings: video_settings.VideoSettings) -> dict:
    body = {
        "provider": settings.provider,
        "manualMeetingUrl": settings.manual_url,
        "previewUrl": settings.preview_url,
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
        apply_to_upcoming=body.get("applyToUpcoming", False),
        now=utcnow(),
    )
    return video_settings_json(saved) | {"sessionsUpdated": saved.sessions_updated}
