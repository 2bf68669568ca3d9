"""Giving sessions their meetings, with the app's Jitsi settings; used by booking, settings and the API.

A failure to create a meeting never loses a session: it gets a Jitsi room, the
reason is logged, and the mentor sees it on the session page.
"""
from dataclasses import replace

from flask import current_app

from meetapp.domain.video import (
    KIND_MANUAL,
    PROVIDER_LABELS,
    JitsiProvider,
    JitsiSettings,
    Meeting,
    provider_for,
)
from meetapp.models import MentoringSession, MentorProfile


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


def create_meeting(choice: str, manual_url: str | None) -> Meeting:
    settings = jitsi_settings()
    try:
        meeting = provider_for(choice, manual_url, settings).create_meeting()
    except Exception:
        # A provider's API may fail; the session still gets a room that works.
        current_app.logger.exception("Creating a %s meeting failed; falling back to Jitsi", choice)
        notice = f"Creating the {PROVIDER_LABELS[choice]} meeting failed; this session uses Jitsi."
        return replace(JitsiProvider(settings).create_meeting(), provider=choice, notice=notice)
    if meeting.notice:
        current_app.logger.info("Meeting for a %s session uses Jitsi: %s", choice, meeting.notice)
    return meeting


def give_meeting(session: MentoringSession, choice: str, manual_url: str | None) -> None:
    """Store a fresh meeting on `session` (not committed)."""
    meeting = create_meeting(choice, manual_url)
    session.video_provider = meeting.provider
    session.meeting_kind = meeting.kind
    session.meeting_room = meeting.room
    session.meeting_url = meeting.url
    session.meeting_external_id = meeting.external_id
    session.meeting_notice = meeting.notice


def renew_meeting(session: MentoringSession, profile: MentorProfile | None, choice: str | None = None) -> None:
    """A new room (or the mentor's current link) for `session`; every earlier join link dies.

    Without `choice` the session keeps its provider, as on reschedule.
    """
    choice = choice or session.video_provider
    manual_url = (profile.manual_meeting_url if profile else None) or (
        session.meeting_url if session.meeting_kind == KIND_MANUAL else None
    )
    give_meeting(session, choice, manual_url)
    session.link_version += 1



def meeting_of(session: MentoringSession) -> Meeting:
    return Meeting(
        provider=session.video_provider,
        kind=session.meeting_kind,
        room=session.meeting_room,
        url=session.meeting_url,
        external_id=session.meeting_external_id,
        notice=session.meeting_notice,
    )
