"""Google Meet spaces through the Meet REST API (v2), made as the mentor's Workspace user or one connected account.

Two ways in: a service account with domain-wide delegation (a JWT per mentor, `sub` = the mentor's email), or an
OAuth client with a refresh token for a single account. Both only need the `meetings.space.created` scope, which
also lets the app read the conference records of the spaces it made (who was in them, from when to when):
https://developers.google.com/workspace/meet/api/reference/rest/v2/conferenceRecords/list ("Requires one of the
following OAuth scopes: …/meetings.space.created, …/meetings.space.readonly").
"""
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
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

PROVIDER, LABEL = "google", "Google Meet"
TOKEN_URL = "https://oauth2.googleapis.com/token"
SCOPE = "https://www.googleapis.com/auth/meetings.space.created"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME = 3600  # the longest Google accepts
ACCESS_TYPES = ("OPEN", "TRUSTED", "RESTRICTED")
# `spaces/{space}`: a server-made id; anything else must not reach the URL path.
SPACE_NAME = re.compile(r"spaces/[A-Za-z0-9_-]+")
# The conference records' resource names, checked the same way before they go into a path.
RECORD_NAME = re.compile(r"conferenceRecords/[A-Za-z0-9_-]+")
PARTICIPANT_NAME = re.compile(r"conferenceRecords/[A-Za-z0-9_-]+/participants/[A-Za-z0-9_-]+")
# Each list's largest page (the docs' maxima), so a conference is read in as few requests as it can be.
RECORDS_PAGE, PARTICIPANTS_PAGE = 100, 250
# A guard against a server that hands back page tokens forever.
MAX_PAGES = 50


@dataclass(frozen=True)
class ServiceAccountKey:
    """The parts of a service account's JSON key that signing needs."""

    client_email: str
    private_key: str = field(repr=False)
    token_uri: str = TOKEN_URL
    private_key_id: str | None = None

    @classmethod
    def from_json(cls, text: str, default_token_uri: str = TOKEN_URL) -> "ServiceAccountKey":
        """Parse a key file's contents. Errors name what is wrong, never what the key holds."""
        try:
            data = json.loads(text)
        except ValueError:
            raise ValueError("it is not JSON") from None
        if not isinstance(data, dict):
            raise ValueError("it is not a JSON object")
        missing = [name for name in ("client_email", "private_key") if not isinstance(data.get(name), str)]
        if missing:
            raise ValueError(f"it has no {' or '.join(missing)}")
        return cls(
            client_email=data["client_email"],
            private_key=data["private_key"],
            token_uri=data.get("token_uri") or default_token_uri,
            private_key_id=data.get("private_key_id") or None,
        )


@dataclass(frozen=True)
class GoogleSettings:
    """Either `service_account_key` (the JSON key's contents) or `service_account_file` (its path), or else
    `client_id` + `client_secret` + `refresh_token` for one account."""

    service_account_key: str | None = field(default=None, repr=False)
    service_account_file: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    token_url: str = TOKEN_URL
    api_base_url: str = "https://meet.googleapis.com/v2"
    access_type: str = "TRUSTED"
    timeout: float = 10.0
    connect_timeout: float = 5.0
    retries: int = 2
    max_retry_after: float = 5.0

    def __post_init__(self) -> None:
        if self.access_type not in ACCESS_TYPES:
            raise ValueError(f"access_type must be one of {', '.join(ACCESS_TYPES)}")

    @property
    def uses_service_account(self) -> bool:
        return bool(self.service_account_key or self.service_account_file)

    @property
    def configured(self) -> bool:
        return self.uses_service_account or bool(self.client_id and self.client_secret and self.refresh_token)

    def load_service_account(self) -> ServiceAccountKey:
        text = self.service_account_key
        if not text:
            try:
                text = Path(self.service_account_file or "").read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = None
        if not text:
            raise NotConnected("The Google service account key file cannot be read.", provider=PROVIDER)
        try:
            return ServiceAccountKey.from_json(text, default_token_uri=self.token_url)
        except ValueError as exc:  # our own wording, never the key's contents
            raise NotConnected(f"The Google service account key is unusable: {exc}.", provider=PROVIDER) from None


@dataclass(frozen=True)
class ParticipantSession:
    """One join of one device: Meet gives each join its own session, so a person who rejoins, or who is in
    twice at once (a laptop and companion mode), has several. `end_time` is None while they are still there."""

    name: str
    start_time: datetime
    end_time: datetime | None


@dataclass(frozen=True)
class Participant:
    """Someone in a conference: `kind` is Meet's union field (signedinUser, anonymousUser or phoneUser);
    `user` is a signed-in user's `users/{id}`, the only field that says who they are."""

    name: str
    kind: str
    user: str | None
    display_name: str | None
    sessions: tuple[ParticipantSession, ...]


@dataclass(frozen=True)
class ConferenceRecord:
    """One call held in a space (a space may see several), with everyone who was in it."""

    name: str
    start_time: datetime
    end_time: datetime | None
    participants: tuple[Participant, ...]


PARTICIPANT_KINDS = ("signedinUser", "anonymousUser", "phoneUser")
_FRACTION = re.compile(r"(\.\d{1,6})\d*")


def parse_timestamp(value: object) -> datetime | None:
    """An RFC 3339 timestamp as Google writes it ("2024-01-01T10:00:00.123456789Z": up to nanoseconds, Z or an
    offset) as an aware UTC datetime; None when it is missing or not one."""
    if not isinstance(value, str) or "T" not in value:
        return None
    text = _FRACTION.sub(lambda match: match[1], value.strip(), count=1).replace("z", "Z")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None


def _error_of(response: requests.Response) -> dict[str, Any]:
    """Google's `{"error": {"code", "message", "status"}}`, or {}."""
    error = json_body(response).get("error")
    return error if isinstance(error, dict) else {}


def _refuses_access_type(response: requests.Response) -> bool:
    """Whether the workspace refused the access type we asked for (its admin policy can forbid some)."""
    if response.status_code not in (400, 403):
        return False
    error = _error_of(response)
    if error.get("status") not in ("INVALID_ARGUMENT", "PERMISSION_DENIED"):
        return False
    # The field may be named in the message or in the details, as accessType or access_type.
    text = json.dumps(error).lower().replace("_", "").replace(" ", "")
    return "accesstype" in text


def _no_active_conference(response: requests.Response) -> bool:
    if response.status_code == 404:
        return True  # no space, so no conference to end
    if response.status_code != 400:
        return False
    error = _error_of(response)
    return error.get("status") == "FAILED_PRECONDITION" or "conference" in str(error.get("message", "")).lower()


class GoogleMeetClient:
    def __init__(
        self,
        settings: GoogleSettings,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.settings = settings
        self._clock = clock
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
        self._key: ServiceAccountKey | None = None
        self._key_lock = threading.Lock()

    def check(self, user: str | None) -> str:
        """Who meetings would be made as. Getting a token proves the credentials and, for a service account,
        that delegation for this user works."""
        self._token(user)
        if self.settings.uses_service_account:
            return f"Google Workspace user {user}"
        return f"Google account connected through OAuth client {self.settings.client_id}"

    def create_space(self, user: str | None) -> ExternalMeeting:
        access_type = self.settings.access_type
        response = self._call("POST", "/spaces", user, json={"config": {"accessType": access_type}},
                              idempotent=False)
        notice = None
        if _refuses_access_type(response):
            # A space with the organisation's default access is better than none; the mentor is told.
            # The refused request made nothing, so sending one more create cannot duplicate a space.
            log.info("Google Meet: access type %s refused for %s; creating with the default", access_type, user)
            response = self._call("POST", "/spaces", user, json={}, idempotent=False)
            notice = (
                f"Your Google Workspace does not allow the {access_type.lower()} access type, so this meeting "
                "uses your organisation's default access settings."
            )
        if not response.ok:
            raise self._error(response)
        data = json_body(response)
        name, uri = data.get("name"), data.get("meetingUri")
        if not isinstance(name, str) or not SPACE_NAME.fullmatch(name) or not isinstance(uri, str):
            raise Unavailable("Google Meet answered without a meeting space.", provider=PROVIDER)
        return ExternalMeeting(
            provider=PROVIDER, external_id=name, join_url=uri, meeting_code=data.get("meetingCode"), notice=notice
        )

    def end_conference(self, space_name: str, user: str | None) -> None:
        """End the space's conference, if there is one: no conference, or no space, is already the goal."""
        if not SPACE_NAME.fullmatch(space_name):
            raise ValueError("space_name must look like spaces/{id}")
        # Ending twice does no harm, so this POST may be retried like a GET.
        response = self._call("POST", f"/{space_name}:endActiveConference", user, json={}, idempotent=True)
        if response.ok or _no_active_conference(response):
            return
        raise self._error(response)

    # Reading who was there ----------------------------------------------------------------------------

    def conference_records(self, space_name: str, user: str | None) -> list[ConferenceRecord]:
        """Every call held in the space that Google still keeps (records last 30 days after a call ends), each
        with its participants and their sessions. An empty list: no call yet, or its record is not written yet
        (records appear a few minutes after a call ends). Follows every page of every list.

        GET conferenceRecords?filter=space.name="spaces/…", then GET {record}/participants and
        GET {participant}/participantSessions: developers.google.com/workspace/meet/api/guides/participants.
        """
        if not SPACE_NAME.fullmatch(space_name):
            raise ValueError("space_name must look like spaces/{id}")
        records = []
        for item in self._pages("/conferenceRecords", "conferenceRecords", user,
                                {"filter": f'space.name = "{space_name}"', "pageSize": RECORDS_PAGE}):
            name, start = item.get("name"), parse_timestamp(item.get("startTime"))
            if not isinstance(name, str) or not RECORD_NAME.fullmatch(name) or start is None:
                raise Unavailable("Google Meet answered with a conference record it did not name.", provider=PROVIDER)
            records.append(ConferenceRecord(
                name=name, start_time=start, end_time=parse_timestamp(item.get("endTime")),
                participants=tuple(self.participants(name, user)),
            ))
        return records

    def participants(self, record_name: str, user: str | None) -> list[Participant]:
        """The conference's participants, each with their sessions. One whose name we cannot use is skipped."""
        if not RECORD_NAME.fullmatch(record_name):
            raise ValueError("record_name must look like conferenceRecords/{id}")
        found = []
        for item in self._pages(f"/{record_name}/participants", "participants", user, {"pageSize": PARTICIPANTS_PAGE}):
            name = item.get("name")
            if not isinstance(name, str) or not PARTICIPANT_NAME.fullmatch(name) or not name.startswith(record_name):
                log.warning("Google Meet: a participant of %s without a usable name was skipped", record_name)
                continue
            kind = next((kind for kind in PARTICIPANT_KINDS if isinstance(item.get(kind), dict)), None)
            details = item.get(kind) if kind else {}
            user_name = details.get("user") if kind == "signedinUser" else None
            display_name = details.get("displayName")
            found.append(Participant(
                name=name,
                kind=kind or "unknown",
                user=user_name if isinstance(user_name, str) and user_name.startswith("users/") else None,
                display_name=display_name if isinstance(display_name, str) else None,
                sessions=tuple(self.participant_sessions(name, user)),
            ))
        return found

    def participant_sessions(self, participant_name: str, user: str | None) -> list[ParticipantSession]:
        """Each join of the participant, oldest first. One without a start time says nothing and is skipped."""
        if not PARTICIPANT_NAME.fullmatch(participant_name):
            raise ValueError("participant_name must look like conferenceRecords/{id}/participants/{id}")
        sessions = []
        for item in self._pages(f"/{participant_name}/participantSessions", "participantSessions", user,
                                {"pageSize": PARTICIPANTS_PAGE}):
            name, start = item.get("name"), parse_timestamp(item.get("startTime"))
            if not isinstance(name, str) or not name or start is None:
                continue
            sessions.append(ParticipantSession(name=name, start_time=start, end_time=parse_timestamp(item.get("endTime"))))
        return sorted(sessions, key=lambda session: session.start_time)

    def _pages(self, path: str, key: str, user: str | None, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The items of a Meet list, page after page, until a page comes without `nextPageToken`."""
        token = None
        for _ in range(MAX_PAGES):
            response = self._call("GET", path, user, params=params | ({"pageToken": token} if token else {}),
                                  idempotent=True)
            if not response.ok:
                raise self._error(response)
            body = json_body(response)
            items = body.get(key, [])  # an empty list is left out of the answer altogether
            if not isinstance(items, list):
                raise Unavailable("Google Meet answered a list request without a list.", provider=PROVIDER)
            yield from (item for item in items if isinstance(item, dict))
            token = body.get("nextPageToken")
            if not isinstance(token, str) or not token:
                return
        raise Unavailable(f"Google Meet kept answering with more pages after {MAX_PAGES}.", provider=PROVIDER)

    def _call(
        self,
        method: str,
        path: str,
        user: str | None,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        idempotent: bool,
    ) -> requests.Response:
        url = self.settings.api_base_url.rstrip("/") + path
        subject = self._subject(user)
        for retried in (False, True):
            token = self._token(user)
            response = self._http.send(
                method, url, json=json, params=params, idempotent=idempotent,
                headers={"Authorization": f"Bearer {token}"},
            )
            if response.status_code != 401 or retried:
                return response
            # An access token revoked or expired early: Google refused before acting, so resending is safe.
            self._tokens.invalidate(subject, token)
        raise AssertionError("unreachable")

    def _subject(self, user: str | None) -> str:
        if not self.settings.uses_service_account:
            return ""  # one connected account, whoever the mentor is
        if not user:
            raise NotConnected("A Google Workspace email is needed to create meetings for this mentor.",
                               provider=PROVIDER)
        return user.strip().lower()

    def _token(self, user: str | None) -> str:
        if not self.settings.configured:
            raise NotConnected("Google Meet is not configured: no service account key or OAuth client.",
                               provider=PROVIDER)
        subject = self._subject(user)
        return self._tokens.get(subject, lambda: self._fetch_token(subject))

    def _service_account(self) -> ServiceAccountKey:
        with self._key_lock:
            if self._key is None:
                self._key = self.settings.load_service_account()
            return self._key

    def _fetch_token(self, subject: str) -> tuple[str, float]:
        if self.settings.uses_service_account:
            key = self._service_account()
            url, form = key.token_uri, {"grant_type": JWT_BEARER, "assertion": self._assertion(key, subject)}
        else:
            url, form = self.settings.token_url, {
                "grant_type": "refresh_token",
                "client_id": self.settings.client_id,
                "client_secret": self.settings.client_secret,
                "refresh_token": self.settings.refresh_token,
            }
        response = self._http.send("POST", url, data=form, idempotent=True)
        body = json_body(response)
        if response.status_code != 200:
            raise self._token_error(body, subject)
        token, expires_in = body.get("access_token"), body.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(expires_in, int | float):
            raise Unavailable("Google answered the token request without a token.", provider=PROVIDER)
        return token, float(expires_in)

    def _assertion(self, key: ServiceAccountKey, subject: str) -> str:
        now = int(self._clock())
        claims = {"iss": key.client_email, "sub": subject, "scope": SCOPE, "aud": key.token_uri,
                  "iat": now, "exp": now + ASSERTION_LIFETIME}
        headers = {"kid": key.private_key_id} if key.private_key_id else None
        try:
            return jwt.encode(claims, key.private_key, algorithm="RS256", headers=headers)
        except (ValueError, TypeError, jwt.PyJWTError):
            # Not chained: the cause could quote the key material.
            raise NotConnected("The Google service account's private key cannot sign.", provider=PROVIDER) from None

    def _secrets(self) -> list[str | None]:
        return [self.settings.client_secret, self.settings.refresh_token]

    def _token_error(self, body: dict[str, Any], subject: str) -> NotConnected:
        error = body.get("error") if isinstance(body.get("error"), str) else ""
        detail = scrub(body.get("error_description") or error or "no reason given", self._secrets())
        if self.settings.uses_service_account and error == "unauthorized_client":
            message = (
                "The Google service account may not act for users of this Workspace. In the Admin console, "
                f"allow its client ID domain-wide delegation for {SCOPE}."
            )
        elif self.settings.uses_service_account and error == "invalid_grant":
            message = (
                f"Google refused to act for {subject} ({detail}). Check that {subject} is a user of your "
                "Google Workspace and that the service account key is still valid."
            )
        elif error == "invalid_grant":
            message = f"Google refused the refresh token ({detail}); connect the Google account again."
        elif error in ("invalid_client", "unauthorized_client"):
            message = f"Google refused the OAuth client ID or secret ({detail})."
        else:
            message = f"Google refused the token request ({detail})."
        return NotConnected(message, provider=PROVIDER)

    def _error(self, response: requests.Response) -> ProviderError:
        status = response.status_code
        detail = scrub(_error_of(response).get("message") or f"HTTP {status}", self._secrets())
        if status == 401:
            return NotConnected(f"Google refused the access token ({detail}).", provider=PROVIDER)
        if status == 403:
            return NotConnected(
                f"Google Meet refused the request ({detail}). Check that the Meet REST API is enabled for the "
                "project and that the space belongs to this user.",
                provider=PROVIDER,
            )
        if status == 404:
            return MeetingGone("The Google Meet space no longer exists.", provider=PROVIDER)
        return Rejected(f"Google Meet refused the request: {detail}", provider=PROVIDER)
