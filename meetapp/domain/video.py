"""Video providers: how a session gets its meeting, and the URL one participant is sent to.

A provider creates a `Meeting` when a session is booked (or its link regenerated).
At join time `join_url` turns that meeting into the address for one person: for
Jitsi with display-name hash settings and, when configured, a JWT that is only
valid inside the session's access window. Nothing here imports Flask; `now` is a parameter.
"""
import base64
import json
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol
from urllib.parse import quote, urlsplit

import jwt

from meetapp.domain.meeting_url import InvalidMeetingUrl, check_meeting_url

JITSI, GOOGLE, ZOOM, MANUAL = "jitsi", "google", "zoom", "manual"
PROVIDERS = (JITSI, GOOGLE, ZOOM, MANUAL)
PROVIDER_LABELS = {JITSI: "Jitsi", GOOGLE: "Google Meet", ZOOM: "Zoom", MANUAL: "My own meeting link"}
# How a stored meeting is reached: a Jitsi room, a URL given by the mentor, or a meeting the
# provider's API made (its join URL).
KIND_JITSI, KIND_MANUAL, KIND_ZOOM, KIND_GOOGLE = "jitsi", "manual", "zoom", "google"
KINDS_WITH_URL = (KIND_MANUAL, KIND_ZOOM, KIND_GOOGLE)
ROOM_RANDOM_BYTES = 12  # 96 bits, above the 80 the product requires
JAAS_BASE_URL = "https://8x8.vc"


@dataclass(frozen=True)
class JitsiSettings:
    base_url: str = "https://meet.jit.si"
    room_prefix: str = "meetapp"
    app_id: str | None = None
    app_secret: str | None = None
    jaas_kid: str | None = None
    jaas_private_key: str | None = None

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    @property
    def jaas_tenant(self) -> str | None:
        """The JaaS app id (`vpaas-magic-cookie-…`), the part of the key id before the slash."""
        return self.jaas_kid.split("/", 1)[0] if self.jaas_kid else None

    @property
    def signs_tokens(self) -> bool:
        return bool(self.jaas_kid or self.app_id)


@dataclass(frozen=True)
class Meeting:
    """A session's meeting. `url`/`room` are never shown to anyone; they are only redirected to."""

    provider: str
    kind: str
    room: str | None = None
    url: str | None = None
    external_id: str | None = None
    notice: str | None = None


@dataclass(frozen=True)
class Participant:
    id: int
    name: str
    email: str
    is_host: bool


class VideoProvider(Protocol):
    name: str

    def create_meeting(self) -> Meeting: ...


def new_room_name(prefix: str) -> str:
    """`{prefix}-session-{random}`: lowercase [a-z0-9-], 96 random bits, nothing sequential."""
    random_part = base64.b32encode(secrets.token_bytes(ROOM_RANDOM_BYTES)).decode().rstrip("=").lower()
    return f"{prefix}-session-{random_part}"


class JitsiProvider:
    name = JITSI

    def __init__(self, settings: JitsiSettings):
        self.settings = settings

    def create_meeting(self) -> Meeting:
        return Meeting(provider=JITSI, kind=KIND_JITSI, room=new_room_name(self.settings.room_prefix))


class ManualProvider:
    name = MANUAL

    def __init__(self, url: str):
        self.url = url

    def create_meeting(self) -> Meeting:
        return Meeting(provider=MANUAL, kind=KIND_MANUAL, url=self.url)


class JitsiStandIn:
    """A provider that cannot be used right now: sessions get a Jitsi room, and say so.

    This is the MVP of Zoom and Google Meet until their API adapters are connected, and
    the fallback for a manual provider without a URL. The meeting keeps the chosen
    provider's name, a mock meeting token, and the notice a mentor sees.
    """

    def __init__(self, name: str, notice: str, jitsi: JitsiProvider):
        self.name, self.notice, self.jitsi = name, notice, jitsi

    def create_meeting(self) -> Meeting:
        meeting = self.jitsi.create_meeting()
        return replace(meeting, provider=self.name, external_id=f"mock-{self.name}-{secrets.token_hex(8)}", notice=self.notice)


def meeting_label(provider: str, kind: str) -> str:
    """What the meeting really runs on, for people: a stand-in Zoom session says Jitsi."""
    return PROVIDER_LABELS[JITSI] if kind == KIND_JITSI else PROVIDER_LABELS[provider]


def not_connected_notice(provider: str) -> str:
    return f"{PROVIDER_LABELS[provider]} is not connected; sessions use Jitsi."


def provider_for(choice: str, manual_url: str | None, settings: JitsiSettings) -> VideoProvider:
    """The provider a mentor's choice resolves to right now, falling back to Jitsi with a reason."""
    jitsi = JitsiProvider(settings)
    if choice == MANUAL:
        if not manual_url:
            return JitsiStandIn(MANUAL, "No personal meeting link is saved; sessions use Jitsi.", jitsi)
        try:
            checked = check_meeting_url(manual_url, extra_known_hosts=(settings.host,))
        except InvalidMeetingUrl as exc:
            return JitsiStandIn(MANUAL, f"The saved meeting link was refused ({exc}); sessions use Jitsi.", jitsi)
        return ManualProvider(checked.url)
    if choice in (GOOGLE, ZOOM):
        # Without credentials for the provider's API; with them, meetapp.services.meetings makes the real meeting.
        return JitsiStandIn(choice, not_connected_notice(choice), jitsi)
    return jitsi


def room_url(room: str, settings: JitsiSettings) -> str:
    if settings.jaas_kid:
        return f"{JAAS_BASE_URL}/{settings.jaas_tenant}/{room}"
    return f"{settings.base_url}/{room}"


def _hash_part(key: str, value: object) -> str:
    return f"{key}={quote(json.dumps(value, ensure_ascii=False), safe='')}"


# Jitsi's URL-hash config overrides that are the same for everyone, encoded once.
_FIXED_HASH = "&".join(
    _hash_part(key, value)
    for key, value in {
        "config.prejoinConfig.enabled": True,
        "config.startWithAudioMuted": False,
        "config.startWithVideoMuted": False,
        "config.requireDisplayName": True,
    }.items()
)


def jitsi_hash(display_name: str) -> str:
    """Jitsi's URL-hash config overrides: each value JSON-encoded, then URL-encoded."""
    return f"{_FIXED_HASH}&{_hash_part('userInfo.displayName', display_name)}"


def jitsi_token(
    room: str, participant: Participant, opens_at: datetime, closes_at: datetime, now: datetime, settings: JitsiSettings
) -> str | None:
    """A JWT for one participant and one room, valid only from `opens_at` until `closes_at`."""
    user = {"id": str(participant.id), "name": participant.name, "email": participant.email}
    times = {"iat": int(now.timestamp()), "nbf": int(opens_at.timestamp()), "exp": int(closes_at.timestamp())}
    if settings.jaas_kid:
        user["moderator"] = "true" if participant.is_host else "false"
        claims = {"aud": "jitsi", "iss": "chat", "sub": settings.jaas_tenant, "room": room, "context": {"user": user}}
        return jwt.encode(
            claims | times, settings.jaas_private_key, algorithm="RS256", headers={"kid": settings.jaas_kid}
        )
    if settings.app_id:
        user["moderator"] = participant.is_host
        user["affiliation"] = "owner" if participant.is_host else "member"
        claims = {
            "aud": settings.app_id,
            "iss": settings.app_id,
            "sub": settings.host,
            "room": room,
            "context": {"user": user},
        }
        return jwt.encode(claims | times, settings.app_secret, algorithm="HS256")
    return None


def join_url(
    meeting: Meeting,
    participant: Participant,
    *,
    opens_at: datetime,
    closes_at: datetime,
    now: datetime,
    settings: JitsiSettings,
) -> str:
    """The address `participant` is redirected to, made at the moment they join.

    A Zoom host is sent to the meeting's fresh start URL instead; the caller fetches that.
    """
    if meeting.kind in KINDS_WITH_URL:
        return meeting.url
    url = room_url(meeting.room, settings)
    token = jitsi_token(meeting.room, participant, opens_at, closes_at, now, settings)
    if token:
        url += f"?jwt={token}"
    return f"{url}#{jitsi_hash(participant.name)}"


def preview_url(choice: str, manual_url: str | None, settings: JitsiSettings) -> tuple[str, str | None]:
    """What a new session would get with this choice: an example address, and any notice."""
    meeting = provider_for(choice, manual_url, settings).create_meeting()
    address = meeting.url if meeting.kind == KIND_MANUAL else room_url(meeting.room, settings)
    return address, meeting.notice
