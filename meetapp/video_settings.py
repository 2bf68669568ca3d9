"""A mentor's choice of video provider: reading it, previewing it, saving it (and re-applying it)."""
from dataclasses import dataclass
from datetime import datetime

from meetapp.domain.meeting_url import InvalidMeetingUrl, check_meeting_url
from meetapp.domain.scheduling import Forbidden, InvalidRequest
from meetapp.domain.video import GOOGLE, MANUAL, PROVIDER_LABELS, PROVIDERS, ZOOM, not_connected_notice, preview_url
from meetapp.extensions import db
from meetapp.meetings import jitsi_settings, renew_meeting
from meetapp.models import MentorProfile, User
from meetapp.outbox import notify
from meetapp.scheduling import upcoming_sessions_of_mentor

# Passed as `manual_url` to leave the saved link as it is (a form that did not show the field).
UNCHANGED = object()


@dataclass(frozen=True)
class VideoSettings:
    provider: str
    manual_url: str | None
    preview_url: str
    notice: str | None
    warning: str | None = None
    sessions_updated: int = 0


def profile_of(user: User) -> MentorProfile:
    if not user.is_mentor or user.mentor_profile is None:
        raise Forbidden("Only mentors choose how their sessions meet.", "not_mentor")
    return user.mentor_profile


def describe(provider: str, manual_url: str | None, **extra) -> VideoSettings:
    address, notice = preview_url(provider, manual_url, jitsi_settings())
    return VideoSettings(provider=provider, manual_url=manual_url, preview_url=address, notice=notice, **extra)


def current_settings(user: User) -> VideoSettings:
    profile = profile_of(user)
    return describe(profile.video_provider, profile.manual_meeting_url)


def check_choice(provider: object, manual_url: object, saved_url: str | None) -> tuple[str, str | None, str | None]:
    """Validate a choice; (provider, manual URL to keep, warning) or InvalidRequest naming the fields."""
    errors: dict[str, str] = {}
    if provider not in PROVIDERS:
        errors["provider"] = "Choose Jitsi, Google Meet, Zoom or your own meeting link."
    url, warning = saved_url, None
    if manual_url is not UNCHANGED:
        url = None
        if isinstance(manual_url, str) and manual_url.strip():
            try:
                checked = check_meeting_url(manual_url, extra_known_hosts=(jitsi_settings().host,))
            except InvalidMeetingUrl as exc:
                errors["manualMeetingUrl"] = str(exc)
            else:
                url, warning = checked.url, checked.warning
        elif manual_url is not None and not isinstance(manual_url, str):
            errors["manualMeetingUrl"] = "Give the meeting link as text."
    if provider == MANUAL and url is None and "manualMeetingUrl" not in errors:
        errors["manualMeetingUrl"] = "Enter the link to your meeting room, starting with https://."
    if errors:
        raise InvalidRequest(errors)
    return provider, url, warning


def preview(user: User, provider: object, manual_url: object) -> VideoSettings:
    """What a session would get with this (unsaved) choice; InvalidRequest explains a bad one."""
    profile = profile_of(user)
    provider, url, warning = check_choice(provider, manual_url, profile.manual_meeting_url)
    return describe(provider, url, warning=warning)


def save(user: User, *, provider: object, manual_url: object = UNCHANGED, apply_to_upcoming: object = False, now: datetime) -> VideoSettings:
    """Save the choice; with `apply_to_upcoming`, give the mentor's upcoming sessions new meetings."""
    profile = profile_of(user)
    if not isinstance(apply_to_upcoming, bool):
        raise InvalidRequest({"applyToUpcoming": "Give true or false."})
    provider, url, warning = check_choice(provider, manual_url, profile.manual_meeting_url)
    profile.video_provider = provider
    profile.manual_meeting_url = url
    updated = 0
    if apply_to_upcoming:
        for session in upcoming_sessions_of_mentor(user, now):
            # A Zoom or Google meeting is made by the worker; the session meets on Jitsi until then.
            renew_meeting(session, profile, now, choice=provider)
            session.updated_at = now
            notify.new_link(session, now)
            updated += 1
    db.session.commit()
    return describe(provider, url, warning=warning, sessions_updated=updated)


def provider_choices() -> list[tuple[str, str, str | None]]:
    """(value, label, note) for each provider, the note saying when one is not connected."""
    return [
        (name, PROVIDER_LABELS[name], not_connected_notice(name) if name in (GOOGLE, ZOOM) else None)
        for name in PROVIDERS
    ]
