"""Zoom meetings through Zoom's REST API (v2), authenticated as a Server-to-Server OAuth app of one Zoom account.

Each session gets a scheduled meeting on its mentor's Zoom user; the host's start_url is fetched fresh at join time.
The meeting takes registration, so that each participant reaches it through their own registrant join_url and
Zoom's webhooks name them by registrant_id (see meetapp.webhooks.zoom).
"""
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests

from meetapp.providers import (
    ExternalMeeting,
    MeetingGone,
    NotConnected,
    ProviderError,
    Rejected,
    Unavailable,
)
from meetapp.providers.http import HttpClient, TokenCache, json_body, scrub

log = logging.getLogger("meetapp.providers")

PROVIDER, LABEL = "zoom", "Zoom"
SCHEDULED_MEETING = 2
# settings.approval_type: 0 approves every registrant at once (1 would wait for the host, 2 is no registration).
APPROVE_AUTOMATICALLY = 0
TOPIC_MAX_LENGTH = 200
FIRST_NAME_MAX_LENGTH, LAST_NAME_MAX_LENGTH = 64, 64
USER_DOES_NOT_EXIST, MEETING_DOES_NOT_EXIST = 1001, 3001
# Server-to-Server tokens belong to the account, not to a user: one cache entry.
ACCOUNT = "account"


@dataclass(frozen=True)
class Registrant:
    """One person registered for a meeting: their own join URL (kept out of the repr, like every link)."""

    registrant_id: str
    join_url: str = field(repr=False)


@dataclass(frozen=True)
class ZoomSettings:
    account_id: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    api_base_url: str = "https://api.zoom.us/v2"
    oauth_url: str = "https://zoom.us/oauth/token"
    timeout: float = 10.0
    connect_timeout: float = 5.0
    retries: int = 2
    max_retry_after: float = 5.0

    @property
    def configured(self) -> bool:
        return bool(self.account_id and self.client_id and self.client_secret)


def zoom_time(starts_at: datetime) -> str:
    """Zoom's UTC form `yyyy-MM-ddTHH:mm:ssZ`; a naive datetime is refused rather than guessed."""
    if starts_at.tzinfo is None or starts_at.utcoffset() is None:
        raise ValueError("starts_at must be an aware datetime")
    return starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _schedule(topic: str, starts_at: datetime, duration_minutes: int, timezone: str) -> dict[str, Any]:
    return {
        "topic": topic[:TOPIC_MAX_LENGTH],
        "start_time": zoom_time(starts_at),
        "duration": int(duration_minutes),
        "timezone": timezone,
    }


def _segment(value: str | int) -> str:
    """One URL path segment: user emails may hold `+`, and nothing may reach another path."""
    text = str(value)
    if not text:
        raise ValueError("an empty Zoom user or meeting id")
    return quote(text, safe="")


class ZoomClient:
    def __init__(
        self,
        settings: ZoomSettings,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.settings = settings
        self._http = HttpClient(
            LABEL,
            session=session,
            timeout=settings.timeout,
            connect_timeout=settings.connect_timeout,
            retries=settings.retries,
            max_retry_after=settings.max_retry_after,
            sleep=sleep,
            clock=clock,
        )
        self._tokens = TokenCache(clock)

    def check(self, user: str) -> str:
        """Who `user` is on Zoom, e.g. "Zoom user ada@example.com (Ada Lovelace)"; proves credentials and user."""
        response = self._call("GET", f"/users/{_segment(user)}")
        if not response.ok:
            raise self._error(response, missing=self._no_user(user))
        data = json_body(response)
        email = data.get("email") or user
        name = data.get("display_name") or " ".join(filter(None, (data.get("first_name"), data.get("last_name"))))
        return f"Zoom user {email} ({name})" if name else f"Zoom user {email}"

    def create_meeting(
        self, user: str, *, topic: str, starts_at: datetime, duration_minutes: int, timezone: str
    ) -> ExternalMeeting:
        body = {
            "type": SCHEDULED_MEETING,
            **_schedule(topic, starts_at, duration_minutes, timezone),
            "settings": {
                # Nobody gets in before the host, and the host admits each person.
                "waiting_room": True,
                "join_before_host": False,
                # Registration on, approved at once: each person gets their own join URL from `register`.
                # Zoom mails no registrant: their link reaches them only through the join proxy.
                # (Zoom API "Create a meeting", settings.approval_type; developers.zoom.us/docs/isv/workflows/
                # create-meeting-reg/. Registration needs a licensed host.)
                "approval_type": APPROVE_AUTOMATICALLY,
                "registrants_confirmation_email": False,
                "registrants_email_notification": False,
            },
        }
        response = self._call("POST", f"/users/{_segment(user)}/meetings", json=body, idempotent=False)
        if not response.ok:
            raise self._error(response, missing=self._no_user(user))
        data = json_body(response)
        if not data.get("id") or not data.get("join_url"):
            raise Unavailable("Zoom answered without a meeting.", provider=PROVIDER)
        return ExternalMeeting(
            provider=PROVIDER,
            external_id=str(data["id"]),
            join_url=data["join_url"],
            password=data.get("password") or None,
        )

    def update_meeting(
        self, meeting_id: str, *, topic: str, starts_at: datetime, duration_minutes: int, timezone: str
    ) -> None:
        body = _schedule(topic, starts_at, duration_minutes, timezone)
        response = self._call("PATCH", f"/meetings/{_segment(meeting_id)}", json=body)
        if not response.ok:
            raise self._error(response)

    def delete_meeting(self, meeting_id: str) -> None:
        """Delete the meeting; one that is already gone is what we wanted, not an error."""
        response = self._call("DELETE", f"/meetings/{_segment(meeting_id)}")
        if response.ok:
            return
        error = self._error(response)
        if isinstance(error, MeetingGone):
            log.info("Zoom: meeting %s was already gone", meeting_id)
            return
        raise error

    def start_url(self, meeting_id: str) -> str:
        """The host's link, fetched at join time: it is a host credential and expires, so it is never stored."""
        response = self._call("GET", f"/meetings/{_segment(meeting_id)}")
        if not response.ok:
            raise self._error(response)
        start_url = json_body(response).get("start_url")
        if not start_url:
            raise Unavailable("Zoom answered without a start link.", provider=PROVIDER)
        return start_url

    def register(self, meeting_id: str, *, email: str, first_name: str, last_name: str) -> Registrant:
        """Register one participant: `POST /meetings/{meetingId}/registrants` answers their `registrant_id` and
        own `join_url` (developers.zoom.us/docs/isv/workflows/join-meeting-reg/). Zoom's participant events then
        carry that registrant_id, which is how the webhook tells the two people apart."""
        body = {"email": email, "first_name": (first_name or email.partition("@")[0])[:FIRST_NAME_MAX_LENGTH]}
        if last_name:
            body["last_name"] = last_name[:LAST_NAME_MAX_LENGTH]
        response = self._call("POST", f"/meetings/{_segment(meeting_id)}/registrants", json=body, idempotent=False)
        if not response.ok:
            raise self._error(response)
        data = json_body(response)
        registrant_id, join_url = data.get("registrant_id"), data.get("join_url")
        if not isinstance(registrant_id, str) or not registrant_id or not isinstance(join_url, str) or not join_url:
            raise Unavailable("Zoom answered without a registration.", provider=PROVIDER)
        return Registrant(registrant_id=registrant_id, join_url=join_url)

    def _call(
        self, method: str, path: str, *, json: dict[str, Any] | None = None, idempotent: bool | None = None
    ) -> requests.Response:
        if not self.settings.configured:
            raise NotConnected("Zoom is not configured: the account ID, client ID and secret are missing.",
                               provider=PROVIDER)
        url = self.settings.api_base_url.rstrip("/") + path
        for retried in (False, True):
            token = self._tokens.get(ACCOUNT, self._fetch_token)
            response = self._http.send(
                method, url, json=json, idempotent=idempotent, headers={"Authorization": f"Bearer {token}"}
            )
            if response.status_code != 401 or retried:
                return response
            # 401 (code 124) is a token that expired early or was revoked. Zoom refused the request before
            # acting on it, so even a create is safe to send once more with a new token.
            self._tokens.invalidate(ACCOUNT, token)
        raise AssertionError("unreachable")

    def _fetch_token(self) -> tuple[str, float]:
        settings = self.settings
        response = self._http.send(
            "POST",
            settings.oauth_url,
            idempotent=True,  # asking for a token twice only costs a token
            data={"grant_type": "account_credentials", "account_id": settings.account_id},
            auth=(settings.client_id, settings.client_secret),
        )
        body = json_body(response)
        if response.status_code != 200:
            reason = scrub(body.get("reason") or body.get("error") or f"HTTP {response.status_code}",
                           [settings.client_secret])
            raise NotConnected(
                f"Zoom refused the app's credentials ({reason}). Check the account ID, client ID and client "
                "secret of the Server-to-Server OAuth app, and that the app is activated.",
                provider=PROVIDER,
            )
        token, expires_in = body.get("access_token"), body.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(expires_in, int | float):
            raise Unavailable("Zoom answered the token request without a token.", provider=PROVIDER)
        return token, float(expires_in)

    def _no_user(self, user: str) -> NotConnected:
        return NotConnected(f"No Zoom user {user} in this account.", provider=PROVIDER)

    def _error(self, response: requests.Response, *, missing: ProviderError | None = None) -> ProviderError:
        body = json_body(response)
        code, status = body.get("code"), response.status_code
        detail = scrub(body.get("message") or f"HTTP {status}", [self.settings.client_secret])
        if code == USER_DOES_NOT_EXIST and missing is not None:
            return missing
        if status == 404 or code == MEETING_DOES_NOT_EXIST:
            return missing or MeetingGone("The Zoom meeting no longer exists.", provider=PROVIDER)
        if status in (401, 403):
            return NotConnected(
                f"Zoom refused the app's access ({detail}). Check the app's scopes and that it is activated.",
                provider=PROVIDER,
            )
        return Rejected(f"Zoom refused the request: {detail}", provider=PROVIDER)
