"""Giving sessions their meetings, with the app's settings; used by booking, settings, the API and the worker.

A session never waits for a provider: it is booked at once with a Jitsi room, and
when the mentor meets on Zoom or Google Meet (and the app has their credentials)
the real meeting is made right after the booking commits, outside its transaction.
If the provider's API fails, the session keeps meeting on Jitsi, the mentor sees
why and can retry, and `flask worker` retries with backoff until the access window
opens. Join links never change with this: they name the session, and the join
proxy looks up the meeting at the moment someone joins.
"""
import logging
import math
from dataclasses import replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.exc import StaleDataError

from meetapp.domain.notifications import retry_delay
from meetapp.domain.scheduling import ENDED_STATUSES
from meetapp.domain.video import (
    GOOGLE,
    KIND_GOOGLE,
    KIND_JITSI,
    KIND_MANUAL,
    KIND_ZOOM,
    PROVIDER_LABELS,
    ZOOM,
    JitsiProvider,
    JitsiSettings,
    Meeting,
    Participant,
    provider_for,
)
from meetapp.extensions import db
from meetapp.models import MentoringSession, MentorProfile, ZoomRegistrant
from meetapp.providers import ExternalMeeting, ProviderError
from meetapp.providers.google import GoogleMeetClient, GoogleSettings
from meetapp.providers.zoom import Registrant, ZoomClient, ZoomSettings
from meetapp.services.windows import window_of
from meetapp.sql import insert_or_skip

log = logging.getLogger(__name__)

EXTERNAL = (ZOOM, GOOGLE)
# While one process makes a meeting, others leave the session alone this long.
CLAIM_SECONDS = 120
RETRY_BASE_SECONDS = 60
RETRY_MAX_SECONDS = 3600
NOTICE_LENGTH = 300


def jitsi_settings() -> JitsiSettings:
    config = current_app.config
    return JitsiSettings(
        base_url=config["JITSI_BASE_URL"],
        room_prefix=config["JITSI_ROOM_PREFIX"],
        app_id=config.get("JITSI_APP_ID"),
        app_secret=config.get("JITSI_APP_SECRET"),
        jaas_kid=config.get("JITSI_JAAS_KID"),
        jaas_private_key=config.get("JITSI_JAAS_PRIVATE_KEY"),
    )


# The API clients --------------------------------------------------------------------------


def zoom_client() -> ZoomClient | None:
    """The app's Zoom client (one per process, so its token is shared), or None without credentials."""
    config = current_app.config
    if not config.get("ZOOM_ACCOUNT_ID"):
        return None
    return _client("zoom", lambda: ZoomClient(ZoomSettings(
        account_id=config["ZOOM_ACCOUNT_ID"],
        client_id=config["ZOOM_CLIENT_ID"],
        client_secret=config["ZOOM_CLIENT_SECRET"],
        api_base_url=config["ZOOM_API_BASE_URL"],
        oauth_url=config["ZOOM_OAUTH_URL"],
        **_limits(),
    )))


def google_client() -> GoogleMeetClient | None:
    """The app's Google Meet client, or None without a service account or refresh token."""
    config = current_app.config
    if not (config.get("GOOGLE_SERVICE_ACCOUNT_KEY") or config.get("GOOGLE_REFRESH_TOKEN")):
        return None
    return _client("google", lambda: GoogleMeetClient(GoogleSettings(
        service_account_key=config.get("GOOGLE_SERVICE_ACCOUNT_KEY"),
        client_id=config.get("GOOGLE_CLIENT_ID"),
        client_secret=config.get("GOOGLE_CLIENT_SECRET"),
        refresh_token=config.get("GOOGLE_REFRESH_TOKEN"),
        token_url=config["GOOGLE_TOKEN_URL"],
        api_base_url=config["GOOGLE_MEET_API_BASE_URL"],
        access_type=config["GOOGLE_MEET_ACCESS_TYPE"],
        **_limits(),
    )))


def _limits() -> dict:
    """Time limits that keep a booking request well inside gunicorn's 30 s even when a provider hangs:
    one retry, and each request bounded by VIDEO_API_TIMEOUT_SECONDS (connecting by at most 5 s)."""
    timeout = float(current_app.config["VIDEO_API_TIMEOUT_SECONDS"])
    return {"timeout": timeout, "connect_timeout": min(5.0, timeout), "retries": 1}


def _client(name: str, build):
    clients = current_app.extensions.setdefault("meetapp.video_clients", {})
    if name not in clients:
        clients[name] = build()
    return clients[name]


def is_connected(provider: str) -> bool:
    """Whether the app has credentials for this provider's API."""
    if provider == ZOOM:
        return zoom_client() is not None
    if provider == GOOGLE:
        return google_client() is not None
    return True


def needs_provider_user(provider: str) -> bool:
    """Zoom always needs the mentor's Zoom user; Google only with a service account (it acts for them)."""
    if provider == ZOOM:
        return True
    return provider == GOOGLE and bool(current_app.config.get("GOOGLE_SERVICE_ACCOUNT_KEY"))


def check_connection(provider: str, user: str | None) -> str:
    """Who meetings will be made as ("Zoom user ada@… (Ada)"); ProviderError says what is wrong."""
    if provider == ZOOM:
        return zoom_client().check(user)
    return google_client().check(user)


# Making meetings --------------------------------------------------------------------------


def create_meeting(choice: str, manual_url: str | None) -> Meeting:
    """The meeting a new session gets now: Jitsi, the mentor's link, or a Jitsi stand-in that says why."""
    settings = jitsi_settings()
    try:
        meeting = provider_for(choice, manual_url, settings).create_meeting()
    except Exception:
        current_app.logger.exception("Creating a %s meeting failed; falling back to Jitsi", choice)
        notice = f"Creating the {PROVIDER_LABELS[choice]} meeting failed; this session uses Jitsi."
        return replace(JitsiProvider(settings).create_meeting(), provider=choice, notice=notice)
    if meeting.notice:
        current_app.logger.info("Meeting for a %s session uses Jitsi: %s", choice, meeting.notice)
    return meeting


def give_meeting(
    session: MentoringSession, choice: str, profile: MentorProfile | None, now: datetime, manual_url: str | None = None
) -> None:
    """Store a fresh meeting on `session` (not committed); `manual_url` defaults to the mentor's saved link.

    For Zoom and Google Meet with credentials and the mentor's account, the session gets a Jitsi
    room for now and is marked for `make_provider_meeting`, which the caller runs after committing.
    """
    if choice in EXTERNAL and is_connected(choice):
        missing = _missing_account(choice, profile)
        meeting = replace(
            JitsiProvider(jitsi_settings()).create_meeting(),
            provider=choice,
            notice=missing or f"The {PROVIDER_LABELS[choice]} meeting is being set up; until then this session uses Jitsi.",
        )
        _store(session, meeting)
        session.meeting_retry_at = None if missing else now
        session.meeting_attempts = 0
        return
    _store(session, create_meeting(choice, manual_url or (profile.manual_meeting_url if profile else None)))
    session.meeting_retry_at = None


def renew_meeting(session: MentoringSession, profile: MentorProfile | None, now: datetime, choice: str | None = None) -> None:
    """A new meeting for `session`; every earlier join link dies. Without `choice` the provider stays.

    A provider's meeting already made stays usable until its replacement exists.
    """
    choice = choice or session.video_provider
    if choice in EXTERNAL and session.meeting_kind == choice and is_connected(choice) and not _missing_account(choice, profile):
        session.meeting_retry_at = now
        session.meeting_attempts = 0
    else:
        # A manual link once saved stays, even if the profile no longer has one.
        kept_url = session.meeting_url if session.meeting_kind == KIND_MANUAL else None
        give_meeting(session, choice, profile, now, manual_url=(profile.manual_meeting_url if profile else None) or kept_url)
    session.link_version += 1


def _missing_account(choice: str, profile: MentorProfile | None) -> str | None:
    if choice == ZOOM and not (profile and profile.zoom_user):
        return "No Zoom user is set in the video settings; this session uses Jitsi."
    if choice == GOOGLE and needs_provider_user(GOOGLE) and not (profile and profile.google_user):
        return "No Google Workspace user is set in the video settings; this session uses Jitsi."
    return None


def _store(session: MentoringSession, meeting: Meeting) -> None:
    session.video_provider = meeting.provider
    session.meeting_kind = meeting.kind
    session.meeting_room = meeting.room
    session.meeting_url = meeting.url
    session.meeting_external_id = meeting.external_id
    session.meeting_password = None
    session.meeting_code = None
    session.meeting_notice = meeting.notice[:NOTICE_LENGTH] if meeting.notice else None


def make_provider_meeting(session_id: str, now: datetime) -> bool:
    """Make the provider's meeting for a session marked for it; True once it exists.

    Runs outside any booking transaction: it claims the session (so two processes never make
    two meetings), calls the API, and records the meeting or the failure and the next try.
    """
    if not _claim(session_id, now):
        return False
    session = db.session.get(MentoringSession, session_id, populate_existing=True)
    profile = session.mentor.mentor_profile
    provider = session.video_provider
    replaced = (session.meeting_kind, session.meeting_external_id) if session.meeting_kind in EXTERNAL else None
    db.session.commit()  # nothing is held open while the provider answers
    try:
        made = _call_provider(session, profile)
    except ProviderError as exc:
        _record_failure(session_id, exc, now)
        return False
    except Exception:
        # A bug or a surprise from the provider must not undo a booking that is already committed.
        current_app.logger.exception("Making the %s meeting for session %s failed unexpectedly", provider, session_id)
        _record_failure(session_id, ProviderError("something unexpected went wrong."), now)
        return False
    try:
        session = db.session.get(MentoringSession, session_id, populate_existing=True)
        if session is None or session.status in ENDED_STATUSES or session.video_provider != provider:
            # Cancelled, declined or changed while the meeting was being made: it is not needed.
            _discard(provider, made.external_id, profile)
            return False
        session.meeting_kind = KIND_ZOOM if provider == ZOOM else KIND_GOOGLE
        session.meeting_url = made.join_url
        session.meeting_external_id = made.external_id
        session.meeting_password = made.password
        session.meeting_code = made.meeting_code
        session.meeting_room = None
        session.meeting_notice = made.notice[:NOTICE_LENGTH] if made.notice else None
        session.meeting_retry_at = None
        session.meeting_attempts = 0
        db.session.commit()
    except StaleDataError:
        # Someone changed the session in between; the claim runs out and the worker tries again.
        db.session.rollback()
        _discard(provider, made.external_id, profile)
        return False
    if replaced and replaced[1] != made.external_id:
        _discard(replaced[0], replaced[1], profile)
    return True


def _claim(session_id: str, now: datetime) -> bool:
    table = MentoringSession.__table__
    claimed = db.session.execute(
        sa.update(table)
        .where(table.c.id == session_id, table.c.meeting_retry_at.is_not(None), table.c.meeting_retry_at <= now)
        .values(meeting_retry_at=now + timedelta(seconds=CLAIM_SECONDS))
    ).rowcount
    db.session.commit()
    return claimed == 1


def _call_provider(session: MentoringSession, profile: MentorProfile | None) -> ExternalMeeting:
    if session.video_provider == ZOOM:
        return zoom_client().create_meeting(
            profile.zoom_user,
            topic=topic_of(session),
            starts_at=session.starts_at,
            duration_minutes=session.duration_minutes,
            timezone=session.mentor.timezone,
        )
    return google_client().create_space(profile.google_user if profile else None)


def topic_of(session: MentoringSession) -> str:
    return f"{session.session_type.name} session: {session.mentor.name} and {session.mentee.name}"


def _record_failure(session_id: str, error: ProviderError, now: datetime) -> None:
    try:
        _note_failure(session_id, error, now)
    except StaleDataError:
        # Changed meanwhile: the claim runs out and the worker tries again.
        db.session.rollback()


def _note_failure(session_id: str, error: ProviderError, now: datetime) -> None:
    session = db.session.get(MentoringSession, session_id, populate_existing=True)
    label = PROVIDER_LABELS[session.video_provider]
    session.meeting_attempts += 1
    # The mail queue's backoff, jitter and all: sessions that failed in one outage do not all return at once.
    wait = retry_delay(session.meeting_attempts, base_seconds=RETRY_BASE_SECONDS, cap_seconds=RETRY_MAX_SECONDS)
    if error.retry_after:
        wait = max(wait, timedelta(seconds=math.ceil(error.retry_after)))
    if now + wait >= window_of(session).opens_at:
        # Nobody is moved out of a room they may already be in: this session stays on Jitsi.
        session.meeting_retry_at = None
        outcome = "This session uses Jitsi."
    else:
        session.meeting_retry_at = now + wait
        outcome = "This session uses Jitsi until it works; it is tried again automatically."
    session.meeting_notice = f"The {label} meeting could not be made: {error.message} {outcome}"[:NOTICE_LENGTH]
    db.session.commit()
    current_app.logger.warning(
        "Making the %s meeting for session %s failed (attempt %d): %s", label, session_id, session.meeting_attempts,
        error.message,
    )


def _discard(provider: str, external_id: str | None, profile: MentorProfile | None) -> None:
    """Remove a provider meeting nobody will use; a failure only leaves an unused meeting behind."""
    if not external_id:
        return
    try:
        if provider == ZOOM:
            zoom_client().delete_meeting(external_id)
        elif provider == GOOGLE:
            google_client().end_conference(external_id, profile.google_user if profile else None)
    except ProviderError as exc:
        current_app.logger.warning("Removing the %s meeting %s failed: %s", provider, external_id, exc.message)


def retry_due(now: datetime, limit: int = 20) -> int:
    """The worker's share: make the provider meetings whose retry is due; how many were made."""
    due = db.session.scalars(
        sa.select(MentoringSession.id)
        .where(
            MentoringSession.meeting_retry_at.is_not(None),
            MentoringSession.meeting_retry_at <= now,
            MentoringSession.ends_at > now,
            MentoringSession.status.not_in(ENDED_STATUSES),
        )
        .order_by(MentoringSession.meeting_retry_at)
        .limit(limit)
    ).all()
    db.session.commit()
    return sum(make_provider_meeting(session_id, now) for session_id in due)


def can_retry(session: MentoringSession) -> bool:
    """Whether the session still meets on Jitsi for want of its Zoom or Google meeting, which could be made now."""
    return (
        session.meeting_kind == KIND_JITSI
        and session.video_provider in EXTERNAL
        and session.status not in ENDED_STATUSES
        and session.meeting_attempts > 0
        and is_connected(session.video_provider)
        and not _missing_account(session.video_provider, session.mentor.mentor_profile)
    )


def retry_now(session: MentoringSession, now: datetime) -> bool:
    """The mentor's Retry button: try again at once; True once the meeting exists."""
    if not can_retry(session):
        return False
    table = MentoringSession.__table__
    db.session.execute(sa.update(table).where(table.c.id == session.id).values(meeting_retry_at=now))
    db.session.commit()
    return make_provider_meeting(session.id, now)


# Keeping the provider's meeting in step --------------------------------------------------


def meeting_moved(session: MentoringSession) -> None:
    """After a reschedule commits: the Zoom meeting shows the new time (access is the proxy's job anyway)."""
    if session.meeting_kind != KIND_ZOOM or zoom_client() is None:
        return
    try:
        zoom_client().update_meeting(
            session.meeting_external_id,
            topic=topic_of(session),
            starts_at=session.starts_at,
            duration_minutes=session.duration_minutes,
            timezone=session.mentor.timezone,
        )
    except ProviderError as exc:
        current_app.logger.warning("Moving Zoom meeting for session %s failed: %s", session.id, exc.message)


def meeting_cancelled(session: MentoringSession) -> None:
    """After a cancellation commits: delete the Zoom meeting, end any Google Meet conference."""
    if session.meeting_kind in EXTERNAL and is_connected(session.meeting_kind):
        _discard(session.meeting_kind, session.meeting_external_id, session.mentor.mentor_profile)


def host_start_url(meeting: Meeting) -> str | None:
    """A Zoom host's start URL, fetched fresh (it expires); None to send them to the join URL instead."""
    client = zoom_client()
    if meeting.kind != KIND_ZOOM or client is None:
        return None
    try:
        return client.start_url(meeting.external_id)
    except ProviderError as exc:
        current_app.logger.warning("Fetching the start URL of Zoom meeting %s failed: %s", meeting.external_id, exc.message)
        return None


def registrant_join_url(meeting: Meeting, session_id: str, person: Participant, now: datetime) -> str | None:
    """A non-host's own join URL for the session's Zoom meeting, registering them the first time (and
    committing the registration); None when the meeting is not Zoom's, or Zoom could not register them
    now: the caller then sends them to the meeting's shared join URL, so they still get in.

    Their own URL is what tells the two people apart: Zoom names each by its registrant_id in the
    participant events (meetapp.webhooks.zoom). A new meeting (a new link) needs a new registration.
    Reads only `meeting` and `person` until it knows the meeting is Zoom's: a Jitsi join costs no query.
    """
    if meeting.kind != KIND_ZOOM or (client := zoom_client()) is None:
        return None
    kept = _registrant_url(session_id, person.id, meeting.external_id)
    if kept is not None:
        return kept
    db.session.commit()  # no transaction stays open while Zoom answers
    first_name, _, last_name = person.name.strip().partition(" ")
    try:
        registrant = client.register(
            meeting.external_id, email=person.email, first_name=first_name, last_name=last_name.strip()
        )
    except ProviderError as exc:
        current_app.logger.warning(
            "Registering user %s for Zoom meeting %s failed, so they join by its shared link: %s",
            person.id, meeting.external_id, exc.message,
        )
        return None
    _keep_registrant(session_id, person.id, meeting.external_id, registrant, now)
    # Two joins at once both registered: the row that won is the one used from now on.
    return _registrant_url(session_id, person.id, meeting.external_id)


def _registrant_url(session_id: str, user_id: int, meeting_id: str) -> str | None:
    return db.session.scalar(
        sa.select(ZoomRegistrant.join_url).where(
            ZoomRegistrant.session_id == session_id,
            ZoomRegistrant.user_id == user_id,
            ZoomRegistrant.meeting_id == meeting_id,
        )
    )


def _keep_registrant(session_id: str, user_id: int, meeting_id: str, registrant: Registrant, now: datetime) -> None:
    """INSERT … ON CONFLICT DO NOTHING on uq_zoom_registrant, and commit: a racing join's row stands."""
    db.session.execute(
        insert_or_skip(ZoomRegistrant.__table__)
        .values(
            session_id=session_id, user_id=user_id, meeting_id=meeting_id,
            registrant_id=registrant.registrant_id, join_url=registrant.join_url, created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["session_id", "user_id", "meeting_id"])
    )
    db.session.commit()


def meeting_of(session: MentoringSession) -> Meeting:
    return Meeting(
        provider=session.video_provider,
        kind=session.meeting_kind,
        room=session.meeting_room,
        url=session.meeting_url,
        external_id=session.meeting_external_id,
        notice=session.meeting_notice,
    )
