"""Presence from Zoom: `POST /webhooks/zoom`, the app's event subscription for meeting.participant_joined,
meeting.participant_left and meeting.ended, and Zoom's endpoint.url_validation challenge.

Zoom signs every request, the challenge included, with the app's secret token (ZOOM_WEBHOOK_SECRET_TOKEN):
`x-zm-signature: v0=<hex HMAC-SHA256 of "v0:<x-zm-request-timestamp>:<raw body>">`, the timestamp in
seconds (developers.zoom.us/docs/api/webhooks, "Verify webhook events" and "Validate your webhook
endpoint"). The payload shapes are those of Zoom's own typings (zoom.github.io/rivet-javascript,
MeetingParticipantJoinedEvent, MeetingParticipantLeftEvent, MeetingEndedEvent): `payload.object.id` is the
meeting id, `payload.object.participant` the person, with `registrant_id` when they came by their own
registrant join URL (services.meetings.registrant_join_url), which is how the two people are told apart.
"""
import hashlib
import hmac
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Response, current_app, jsonify, request

from meetapp.domain.presence import ENDED, JOINED, LEFT
from meetapp.domain.timeutil import utcnow
from meetapp.domain.video import KIND_ZOOM
from meetapp.extensions import db
from meetapp.models import MentoringSession, ZoomRegistrant, normalise_email
from meetapp.services import presence
from meetapp.services.presence import Seen
from meetapp.webhooks import bp
from meetapp.webhooks.common import (
    fresh,
    ignored,
    json_object,
    malformed,
    recorded,
    same_secret,
    storable,
    unauthorised,
)

SOURCE = "zoom"
URL_VALIDATION = "endpoint.url_validation"
# Zoom's event, and where in its participant the time of it is.
PARTICIPANT_EVENTS = {"meeting.participant_joined": (JOINED, "join_time"), "meeting.participant_left": (LEFT, "leave_time")}
MEETING_ENDED = "meeting.ended"


@bp.post("/zoom")
def zoom() -> tuple[Response, int]:
    """Check the signature first, then read the body: nothing unsigned is looked at, let alone stored."""
    now, secret = utcnow(), current_app.config["ZOOM_WEBHOOK_SECRET_TOKEN"]
    _check_signature(secret, now)
    body = json_object()
    event = body.get("event")
    payload = body.get("payload")
    if not isinstance(event, str) or not isinstance(payload, dict):
        raise malformed("A Zoom event has an `event` and a `payload` object.")
    if event == URL_VALIDATION:
        return _validation_answer(secret, payload)
    if event not in PARTICIPANT_EVENTS and event != MEETING_ENDED:
        return ignored("meetapp reads only participants joining and leaving, and meetings ending")
    meeting = payload.get("object")
    if not isinstance(meeting, dict):
        raise malformed("The event has no `payload.object`.")
    meeting_id = _meeting_id(meeting.get("id"))
    session = _session_meeting_on(meeting_id)
    if session is None:
        return ignored("no session meets in this Zoom meeting")
    if event == MEETING_ENDED:
        seen = _meeting_ended(meeting, meeting_id)
    else:
        seen = _participant_event(event, meeting, meeting_id, session)
    return recorded(presence.record(session, SOURCE, [seen], now))


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`v0=` and the hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` under the secret token, as Zoom signs."""
    message = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _check_signature(secret: str | None, now: datetime) -> None:
    """401 unless the request is signed with our secret within five minutes of now (either way)."""
    given = request.headers.get("x-zm-signature")
    timestamp = request.headers.get("x-zm-request-timestamp", "")
    if not secret or not given or not (timestamp.isascii() and timestamp.isdigit()):
        raise unauthorised()
    if not same_secret(given, signature(secret, timestamp, request.get_data(cache=True))):
        raise unauthorised()
    try:
        signed_at = datetime.fromtimestamp(int(timestamp), UTC)
    except (OverflowError, OSError, ValueError):
        raise unauthorised("The request's timestamp is not a time.") from None
    if not fresh(signed_at, now):
        raise unauthorised("The request was signed too long ago (or in the future).")


def _validation_answer(secret: str, payload: dict) -> tuple[Response, int]:
    """Zoom's challenge: prove we hold the secret token by answering its HMAC of `plainToken`, in hex."""
    plain_token = payload.get("plainToken")
    if not isinstance(plain_token, str) or not plain_token:
        raise malformed("endpoint.url_validation carries a `payload.plainToken`.")
    plain_token = storable(plain_token, "payload.plainToken")
    encrypted = hmac.new(secret.encode(), plain_token.encode(), hashlib.sha256).hexdigest()
    return jsonify(plainToken=plain_token, encryptedToken=encrypted), 200


def _session_meeting_on(meeting_id: str) -> MentoringSession | None:
    return db.session.scalar(
        sa.select(MentoringSession)
        .where(MentoringSession.meeting_kind == KIND_ZOOM, MentoringSession.meeting_external_id == meeting_id)
        .limit(1)
    )


def _meeting_ended(meeting: dict, meeting_id: str) -> Seen:
    """Everyone still in the meeting left when it ended. Its uuid tells one occurrence of the meeting from another."""
    at = _time(meeting.get("end_time"), "payload.object.end_time")
    occurrence = _optional_text(meeting.get("uuid"), "payload.object.uuid") or ""
    return Seen(
        kind=ENDED, at=at, participant_key=None, user_id=None, display_name=None,
        delivery_key=presence.delivery_key(SOURCE, MEETING_ENDED, meeting_id, occurrence, at.isoformat()),
    )


def _participant_event(event: str, meeting: dict, meeting_id: str, session: MentoringSession) -> Seen:
    kind, time_field = PARTICIPANT_EVENTS[event]
    participant = meeting.get("participant")
    if not isinstance(participant, dict):
        raise malformed("A participant event has a `payload.object.participant`.")
    at = _time(participant.get(time_field), f"payload.object.participant.{time_field}")
    registrant_id = _participant_text(participant, "registrant_id")
    # The same key on the joined and the left event, so the two make one interval.
    key = registrant_id or _participant_text(participant, "participant_uuid") or _participant_text(participant, "user_id")
    if key is None:
        raise malformed("The participant has no registrant_id, participant_uuid or user_id.")
    return Seen(
        kind=kind,
        at=at,
        participant_key=key,
        user_id=_person(session, registrant_id, _participant_text(participant, "email")),
        display_name=_participant_text(participant, "user_name"),
        delivery_key=presence.delivery_key(SOURCE, event, meeting_id, key, at.isoformat()),
    )


def _person(session: MentoringSession, registrant_id: str | None, email: str | None) -> int | None:
    """Who the participant is: by the registration we made for them, else by email address; the mentor
    also by their Zoom account's address, since the host joins signed in to Zoom, not by registering."""
    if registrant_id is not None:
        registered = db.session.scalar(
            sa.select(ZoomRegistrant.user_id).where(
                ZoomRegistrant.session_id == session.id, ZoomRegistrant.registrant_id == registrant_id
            )
        )
        if registered is not None:
            return registered
    found = presence.person_in(session, email=email)
    if found is not None or not email:
        return found
    profile = session.mentor.mentor_profile
    if profile is not None and profile.zoom_user and normalise_email(profile.zoom_user) == normalise_email(email):
        return session.mentor_id
    return None


def _meeting_id(value: object) -> str:
    """Zoom's meeting id is a number, sent as a number or a string; meetapp stores it as a string."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return storable(value.strip(), "payload.object.id")
    raise malformed("The event has no meeting id (`payload.object.id`).")


def _time(value: object, field: str) -> datetime:
    """An ISO 8601 time with its offset (Zoom's `2026-11-23T10:02:03Z`) as aware UTC."""
    if not isinstance(value, str):
        raise malformed(f"`{field}` is missing.")
    try:
        at = datetime.fromisoformat(value)
        if at.tzinfo is None:
            raise ValueError("no offset")
        return at.astimezone(UTC)
    except (ValueError, OverflowError):
        raise malformed(f"`{field}` is not an ISO 8601 time with an offset.") from None


def _participant_text(participant: dict, name: str) -> str | None:
    return _optional_text(participant.get(name), f"payload.object.participant.{name}")


def _optional_text(value: object, field: str) -> str | None:
    """A string (or a number, as Zoom sends some ids) stripped; None when absent, blank or of another type."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        return None
    return storable(value.strip(), field)
