"""Local stand-ins for Zoom's and Google's APIs: small WSGI apps on 127.0.0.1 that answer in the published shapes.

Each records what it was sent and has knobs for the failures the clients must survive: expired tokens, 429s,
5xx, slow answers, refused access types, unknown users.
"""
import base64
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jwt
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

ZOOM_ACCOUNT_ID = "fake-zoom-account"
ZOOM_CLIENT_ID = "fake-zoom-client-id"
ZOOM_CLIENT_SECRET = "zoom-secret-c0ffee-5ca1ab1e"

GOOGLE_CLIENT_ID = "fake-client.apps.googleusercontent.com"
GOOGLE_CLIENT_SECRET = "google-secret-feedface-1234"
GOOGLE_REFRESH_TOKEN = "1//google-refresh-deadbeef-5678"
GOOGLE_SCOPE = "https://www.googleapis.com/auth/meetings.space.created"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ZOOM_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@dataclass
class Recorded:
    method: str
    path: str
    raw_path: str
    headers: dict[str, str]
    json: Any
    form: dict[str, str]


@dataclass
class Fault:
    """What the next `times` matching requests get instead of (or before) a normal answer."""

    times: int
    path: str | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def matches(self, path: str) -> bool:
        return self.times > 0 and (self.path is None or self.path in path)


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


class FakeServer:
    """A WSGI app in a background thread, recording each request, with the shared failure knobs."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        self._faults: list[Fault] = []
        self._server = make_server("127.0.0.1", 0, self, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        # A short poll interval keeps shutdown, and so each test, fast.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> "FakeServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # Knobs. `path` limits a fault to requests whose path contains it.
    def rate_limit(self, times: int = 1, retry_after: str | None = "1", path: str | None = None) -> None:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self._add(Fault(times, path, status=429, headers=headers))

    def fail(self, times: int = 1, status: int = 503, path: str | None = None) -> None:
        self._add(Fault(times, path, status=status))

    def slow_down(self, seconds: float, times: int = 1, path: str | None = None) -> None:
        """Answer late, but still act on the request, as a real server behind a slow network would."""
        self._add(Fault(times, path, delay=seconds))

    def sent(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if (method in (None, r.method)) and (path is None or path in r.path)]

    def _add(self, fault: Fault) -> None:
        with self.lock:
            self._faults.append(fault)

    def _take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.matches(path):
                    fault.times -= 1
                    return fault
        return None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_json(silent=True) if request.is_json else None
        with self.lock:
            self.requests.append(Recorded(
                method=request.method,
                path=request.path,
                raw_path=environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.path,
                headers=dict(request.headers),
                json=body,
                form=dict(request.form),
            ))
        fault = self._take_fault(request.path)
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.status:
            response = self.error(fault.status, "Injected failure.")
            response.headers.update(fault.headers)
        else:
            response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def error(self, status: int, message: str) -> Response:
        raise NotImplementedError


def _bearer(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[len("Bearer "):] if header.startswith("Bearer ") else None


class FakeZoom(FakeServer):
    """Zoom's S2S OAuth token endpoint (/oauth/token) and the meeting endpoints of API v2 (/v2/...)."""

    def __init__(self) -> None:
        super().__init__()
        self.users: dict[str, dict[str, Any]] = {}
        self.add_user("ada@example.com", "Ada", "Lovelace")
        self.meetings: dict[int, dict[str, Any]] = {}
        # Meeting id -> its registrants, each {"id", "email", "first_name", "last_name", "join_url", ...}.
        self.registrants: dict[int, list[dict[str, Any]]] = {}
        self.tokens: set[str] = set()
        self.issued: list[str] = []
        self.start_urls: list[str] = []
        self.expires_in = 3600
        self.accept_tokens = True

    @property
    def api_url(self) -> str:
        return f"{self.url}/v2"

    @property
    def oauth_url(self) -> str:
        return f"{self.url}/oauth/token"

    def add_user(self, email: str, first_name: str, last_name: str) -> None:
        self.users[email.lower()] = {
            "id": secrets.token_urlsafe(8), "email": email, "first_name": first_name, "last_name": last_name,
            "display_name": f"{first_name} {last_name}", "type": 2, "status": "active",
        }

    def expire_tokens(self) -> None:
        """Every token issued so far now answers 401 code 124, as after a revocation."""
        with self.lock:
            self.tokens.clear()

    def error(self, status: int, message: str, code: int | None = None) -> Response:
        return json_response({"code": code or status, "message": message}, status)

    def handle(self, request: Request) -> Response:
        if request.path == "/oauth/token":
            return self._token(request)
        token = _bearer(request)
        with self.lock:
            valid = self.accept_tokens and token in self.tokens
        if not valid:
            return self.error(401, "Invalid access token.", code=124)
        path = request.path.removeprefix("/v2")
        if match := re.fullmatch(r"/users/([^/]+)", path):
            return self._user(request, match[1])
        if match := re.fullmatch(r"/users/([^/]+)/meetings", path):
            return self._create(request, match[1])
        if match := re.fullmatch(r"/meetings/(\d+)", path):
            return self._meeting(request, int(match[1]))
        if match := re.fullmatch(r"/meetings/(\d+)/registrants", path):
            return self._register(request, int(match[1]))
        return self.error(404, "Not found.")

    def _token(self, request: Request) -> Response:
        if request.method != "POST":
            return self.error(405, "Method not allowed.")
        auth = request.authorization
        if not auth or auth.type != "basic" or (auth.username, auth.password) != (ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET):
            return json_response({"reason": "Invalid client_id or client_secret", "error": "invalid_client"}, 401)
        params = {**request.args, **request.form}
        if params.get("grant_type") != "account_credentials":
            return json_response({"reason": "unsupported grant type", "error": "unsupported_grant_type"}, 400)
        if params.get("account_id") != ZOOM_ACCOUNT_ID:
            return json_response({"reason": "Invalid account_id", "error": "invalid_request"}, 400)
        token = f"zoom-access-{secrets.token_hex(12)}"
        with self.lock:
            self.tokens.add(token)
            self.issued.append(token)
        return json_response({"access_token": token, "token_type": "bearer", "expires_in": self.expires_in,
                              "scope": "meeting:write:admin meeting:read:admin user:read:admin"})

    def _user(self, request: Request, user: str) -> Response:
        found = self.users.get(user.lower())
        if request.method != "GET":
            return self.error(405, "Method not allowed.")
        if not found:
            return self.error(404, f"User does not exist: {user}.", code=1001)
        return json_response(found)

    def _create(self, request: Request, user: str) -> Response:
        host = self.users.get(user.lower())
        if request.method != "POST":
            return self.error(405, "Method not allowed.")
        if not host:
            return self.error(404, f"User does not exist: {user}.", code=1001)
        body = request.get_json(silent=True)
        errors = _meeting_errors(body, creating=True)
        if errors:
            return json_response({"code": 300, "message": "Validation Failed.", "errors": errors}, 400)
        meeting_id = secrets.randbelow(9 * 10**10) + 10**10
        password = secrets.token_hex(3)
        meeting = {
            "uuid": base64.b64encode(secrets.token_bytes(16)).decode(), "id": meeting_id,
            "host_id": host["id"], "host_email": host["email"], "topic": body["topic"], "type": 2,
            "status": "waiting", "start_time": body["start_time"], "duration": body["duration"],
            "timezone": body["timezone"], "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "join_url": f"https://zoom.us/j/{meeting_id}?pwd={secrets.token_urlsafe(16)}",
            "password": password, "settings": dict(body["settings"]),
        }
        with self.lock:
            self.meetings[meeting_id] = meeting
        return json_response(self._with_start_url(meeting), 201)

    def _meeting(self, request: Request, meeting_id: int) -> Response:
        with self.lock:
            meeting = self.meetings.get(meeting_id)
        if not meeting:
            return self.error(404, f"Meeting does not exist: {meeting_id}.", code=3001)
        if request.method == "GET":
            return json_response(self._with_start_url(meeting))
        if request.method == "DELETE":
            with self.lock:
                del self.meetings[meeting_id]
            return Response(status=204)
        if request.method == "PATCH":
            body = request.get_json(silent=True)
            errors = _meeting_errors(body, creating=False)
            if errors:
                return json_response({"code": 300, "message": "Validation Failed.", "errors": errors}, 400)
            with self.lock:
                meeting.update(body)
            return Response(status=204)
        return self.error(405, "Method not allowed.")

    def _register(self, request: Request, meeting_id: int) -> Response:
        """Add a meeting registrant as Zoom does: the meeting must exist and take registration (approval_type
        0 or 1), email and first_name are required, and the same email registered again gets its first
        registration back. Each registrant has their own join URL, carrying a token of their own."""
        if request.method != "POST":
            return self.error(405, "Method not allowed.")
        with self.lock:
            meeting = self.meetings.get(meeting_id)
        if not meeting:
            return self.error(404, f"Meeting does not exist: {meeting_id}.", code=3001)
        if meeting["settings"].get("approval_type") not in (0, 1):
            return self.error(400, "Registration has not been enabled for this meeting.", code=3000)
        body = request.get_json(silent=True)
        errors = _registrant_errors(body)
        if errors:
            return json_response({"code": 300, "message": "Validation Failed.", "errors": errors}, 400)
        with self.lock:
            registrants = self.registrants.setdefault(meeting_id, [])
            found = next((r for r in registrants if r["email"].lower() == body["email"].lower()), None)
            if found is None:
                registrant_id = secrets.token_urlsafe(16)
                found = {
                    **body, "id": registrant_id, "status": "approved" if meeting["settings"]["approval_type"] == 0 else "pending",
                    "join_url": f"https://zoom.us/w/{meeting_id}?tk={secrets.token_urlsafe(24)}",
                }
                registrants.append(found)
        return json_response({
            "id": meeting_id, "registrant_id": found["id"], "join_url": found["join_url"],
            "topic": meeting["topic"], "start_time": meeting["start_time"], "participant_pin_code": 123456,
        }, 201)

    def registrant_of(self, meeting_id: int | str, email: str) -> dict[str, Any] | None:
        """The registration Zoom holds for `email` on a meeting, for tests to compare with."""
        with self.lock:
            registrants = self.registrants.get(int(meeting_id), [])
            return next((r for r in registrants if r["email"].lower() == email.lower()), None)

    def _with_start_url(self, meeting: dict[str, Any]) -> dict[str, Any]:
        # A new host token each time: start_url expires, which is why the client fetches it at join time.
        start_url = f"https://zoom.us/s/{meeting['id']}?zak={secrets.token_urlsafe(24)}"
        with self.lock:
            self.start_urls.append(start_url)
        return {**meeting, "start_url": start_url}


def _meeting_errors(body: Any, *, creating: bool) -> list[dict[str, str]]:
    """Zoom's validation of the fields meetapp sends: all required on create, any subset on update."""
    if not isinstance(body, dict):
        return [{"field": "", "message": "Request Body should be a valid JSON object."}]
    checks = {
        "topic": lambda v: isinstance(v, str) and 0 < len(v) <= 200,
        "type": lambda v: v == 2,
        "start_time": lambda v: isinstance(v, str) and ZOOM_TIME.fullmatch(v) is not None,
        "duration": lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
        "timezone": _known_zone,
        "settings": _valid_settings,
    }
    errors = []
    for name, valid in checks.items():
        if name in body and not valid(body[name]) or creating and name not in body:
            errors.append({"field": name, "message": "Invalid field."})
    unknown = set(body) - set(checks)
    errors += [{"field": name, "message": "Unknown field."} for name in sorted(unknown)]
    return errors


def _valid_settings(value: Any) -> bool:
    """waiting_room and join_before_host are required of meetapp; registration's settings, when sent, in range."""
    if not isinstance(value, dict):
        return False
    flags = ("waiting_room", "join_before_host", "registrants_confirmation_email", "registrants_email_notification")
    known = {*flags, "approval_type"}
    return (
        set(value) <= known
        and all(isinstance(value[name], bool) for name in flags if name in value)
        and all(isinstance(value.get(name), bool) for name in ("waiting_room", "join_before_host"))
        and value.get("approval_type", 2) in (0, 1, 2)
        and not isinstance(value.get("approval_type"), bool)
    )


def _registrant_errors(body: Any) -> list[dict[str, str]]:
    """Zoom's validation of a registrant: email and first_name required, last_name optional, names up to 64."""
    if not isinstance(body, dict):
        return [{"field": "", "message": "Request Body should be a valid JSON object."}]
    errors = []
    email = body.get("email")
    if not isinstance(email, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        errors.append({"field": "email", "message": "Invalid field."})
    for name, required in (("first_name", True), ("last_name", False)):
        value = body.get(name)
        if (required or name in body) and not (isinstance(value, str) and 0 < len(value) <= 64):
            errors.append({"field": name, "message": "Invalid field."})
    errors += [{"field": name, "message": "Unknown field."} for name in sorted(set(body) - {"email", "first_name", "last_name"})]
    return errors


def _known_zone(value: Any) -> bool:
    try:
        return isinstance(value, str) and bool(ZoneInfo(value))
    except (ZoneInfoNotFoundError, ValueError):
        return False


class FakeGoogle(FakeServer):
    """Google's OAuth token endpoint (/token), the Meet REST API v2 spaces (/v2/spaces...), and the conference
    records that say who was in them (/v2/conferenceRecords..., with participants and participantSessions)."""

    def __init__(self) -> None:
        super().__init__()
        self.service_accounts: dict[str, Any] = {}
        self.workspace_users = {"ada@example.com", "bob@example.com"}
        self.delegation_allowed = True
        self.refresh_tokens = {GOOGLE_REFRESH_TOKEN: "owner@example.com"}
        self.tokens: dict[str, str] = {}
        self.issued: list[str] = []
        self.assertions: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self.spaces: dict[str, dict[str, Any]] = {}
        self.expires_in = 3599
        self.refused_access_types: set[str] = set()
        self.refusal_status = 400
        self.api_disabled = False
        # Meet's conference records (conferenceRecords/…), their participants and participant sessions, as the
        # API answers them; `add_conference`, `add_participant` fill them. `page_size` caps every list's page
        # below the client's pageSize, so tests can make Google paginate.
        self.conference_records: dict[str, dict[str, Any]] = {}
        self.record_participants: dict[str, list[dict[str, Any]]] = {}
        self.participant_sessions: dict[str, list[dict[str, Any]]] = {}
        self.page_size: int | None = None

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    @property
    def api_url(self) -> str:
        return f"{self.url}/v2"

    def add_service_account(self, client_email: str, public_key: Any) -> None:
        self.service_accounts[client_email] = public_key

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def refuse_access_type(self, *types: str, status: int = 400) -> None:
        """The workspace's admin policy forbids these access types (all of them when none are named)."""
        self.refused_access_types = set(types or ("OPEN", "TRUSTED", "RESTRICTED"))
        self.refusal_status = status

    def start_conference(self, name: str) -> None:
        self.spaces[name]["activeConference"] = {"conferenceRecord": f"conferenceRecords/{secrets.token_hex(6)}"}

    def add_conference(self, space: str, start: datetime, end: datetime | None = None) -> str:
        """A call held in `space` (None `end`: still going on); returns the record's name."""
        name = f"conferenceRecords/{secrets.token_hex(8)}"
        record = {"name": name, "startTime": self.timestamp(start), "space": space}
        if end is not None:
            record |= {"endTime": self.timestamp(end), "expireTime": f"{end.year}-12-31T00:00:00Z"}
        with self.lock:
            self.conference_records[name] = record
            self.record_participants[name] = []
        return name

    def add_participant(
        self,
        record: str,
        sessions: list[tuple[datetime, datetime | None]],
        *,
        user: str | None = None,
        display_name: str = "Someone",
        kind: str | None = None,
    ) -> str:
        """Someone in the call: a signed-in `user` ("users/{id}"), else `kind` anonymousUser or phoneUser; each
        of `sessions` is one join (start, end or None while still there). Returns the participant's name."""
        name = f"{record}/participants/{secrets.randbelow(10**12)}"
        kind = kind or ("signedinUser" if user else "anonymousUser")
        details = {"user": user, "displayName": display_name} if kind == "signedinUser" else {"displayName": display_name}
        participant = {"name": name, kind: details, "earliestStartTime": self.timestamp(min(s for s, _ in sessions))}
        ends = [end for _, end in sessions]
        if ends and None not in ends:
            participant["latestEndTime"] = self.timestamp(max(ends))
        made = []
        for start, end in sessions:
            session = {"name": f"{name}/participantSessions/{secrets.token_hex(10)}", "startTime": self.timestamp(start)}
            if end is not None:
                session["endTime"] = self.timestamp(end)
            made.append(session)
        with self.lock:
            self.record_participants[record].append(participant)
            self.participant_sessions[name] = made
        return name

    @staticmethod
    def timestamp(when: datetime) -> str:
        """Google's Timestamp JSON: RFC 3339 in UTC with nanoseconds, as the API writes it."""
        when = when.astimezone(UTC)
        return f"{when:%Y-%m-%dT%H:%M:%S}.{when.microsecond:06d}123Z"

    def error(self, status: int, message: str, reason: str | None = None) -> Response:
        reasons = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                   429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
        body = {"error": {"code": status, "message": message, "status": reason or reasons.get(status, "UNKNOWN")}}
        return json_response(body, status)

    def handle(self, request: Request) -> Response:
        if request.path == "/token":
            return self._token(request)
        token = _bearer(request)
        with self.lock:
            subject = self.tokens.get(token or "")
        if subject is None:
            return self.error(401, "Request had invalid authentication credentials. Expected OAuth 2 access "
                                   "token, login cookie or other valid authentication credential.")
        if self.api_disabled:
            return self.error(403, "Google Meet REST API has not been used in project 1234 before or it is "
                                   "disabled.")
        if request.path == "/v2/spaces" and request.method == "POST":
            return self._create(request, subject)
        if match := re.fullmatch(r"/v2/(spaces/[^/:]+):endActiveConference", request.path):
            return self._end(request, subject, match[1])
        if request.method == "GET" and request.path == "/v2/conferenceRecords":
            return self._records(request, subject)
        if request.method == "GET" and (match := re.fullmatch(r"/v2/(conferenceRecords/[^/]+)/participants",
                                                              request.path)):
            return self._participants(request, subject, match[1])
        if request.method == "GET" and (match := re.fullmatch(
            r"/v2/((conferenceRecords/[^/]+)/participants/[^/]+)/participantSessions", request.path
        )):
            return self._sessions(request, subject, match[2], match[1])
        return self.error(404, "Requested entity was not found.")

    def _owns(self, subject: str, space: str) -> bool:
        """The space's owner may read its records (a space the fake did not make belongs to anyone)."""
        known = self.spaces.get(space)
        return known is None or known["owner"] == subject

    def _records(self, request: Request, subject: str) -> Response:
        """conferenceRecords.list: newest first, filtered by `space.name = "spaces/…"` (the only filter we use)."""
        wanted = request.args.get("filter")
        match = re.fullmatch(r'\s*space\.name\s*=\s*"(spaces/[^"]+)"\s*', wanted or "")
        if wanted is not None and not match:
            return self.error(400, f"Invalid filter: {wanted}")
        with self.lock:
            records = [r for r in self.conference_records.values() if self._owns(subject, r["space"])
                       and (match is None or r["space"] == match[1])]
        records.sort(key=lambda record: record["startTime"], reverse=True)
        return self._page(request, "conferenceRecords", records, default=25, maximum=100)

    def _participants(self, request: Request, subject: str, record: str) -> Response:
        with self.lock:
            found = self.conference_records.get(record)
            participants = list(self.record_participants.get(record, []))
        if found is None:
            return self.error(404, "Requested entity was not found.")
        if not self._owns(subject, found["space"]):
            return self.error(403, "The caller does not have permission")
        participants.sort(key=lambda participant: participant["earliestStartTime"], reverse=True)
        return self._page(request, "participants", participants, default=100, maximum=250)

    def _sessions(self, request: Request, subject: str, record: str, participant: str) -> Response:
        with self.lock:
            found = self.conference_records.get(record)
            sessions = self.participant_sessions.get(participant)
        if found is None or sessions is None:
            return self.error(404, "Requested entity was not found.")
        if not self._owns(subject, found["space"]):
            return self.error(403, "The caller does not have permission")
        sessions = sorted(sessions, key=lambda session: session["startTime"], reverse=True)
        return self._page(request, "participantSessions", sessions, default=100, maximum=250)

    def _page(self, request: Request, key: str, items: list[Any], *, default: int, maximum: int) -> Response:
        """One page of a list, as AIP-158 pages: an opaque nextPageToken, omitted on the last page, and an
        empty list left out of the body altogether."""
        try:
            size = int(request.args.get("pageSize") or default)
        except ValueError:
            return self.error(400, "Invalid value at 'page_size'.")
        size = min(size if size > 0 else default, maximum, self.page_size or maximum)
        offset = 0
        if token := request.args.get("pageToken"):
            try:
                path, offset_text = base64.urlsafe_b64decode(token.encode()).decode().split("|")
                offset = int(offset_text)
            except ValueError:
                return self.error(400, "Invalid page token.")
            if path != request.path:
                return self.error(400, "Invalid page token.")
        body: dict[str, Any] = {}
        if items[offset:offset + size]:
            body[key] = items[offset:offset + size]
        if offset + size < len(items):
            body["nextPageToken"] = base64.urlsafe_b64encode(f"{request.path}|{offset + size}".encode()).decode()
        return json_response(body)

    def _token(self, request: Request) -> Response:
        grant = request.form.get("grant_type")
        if grant == JWT_BEARER:
            return self._service_account_token(request.form.get("assertion", ""))
        if grant == "refresh_token":
            return self._refresh_token(request.form)
        return json_response({"error": "unsupported_grant_type", "error_description": "Invalid grant_type"}, 400)

    def _service_account_token(self, assertion: str) -> Response:
        try:
            issuer = jwt.decode(assertion, options={"verify_signature": False}).get("iss")
            # Expiry is checked against iat, not our wall clock: tests drive the client with a fake clock.
            claims = jwt.decode(assertion, self.service_accounts[issuer], algorithms=["RS256"],
                                audience=self.token_url, options={"verify_exp": False, "verify_iat": False})
        except (jwt.PyJWTError, KeyError):
            return json_response({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}, 400)
        self.assertions.append((jwt.get_unverified_header(assertion), claims))
        if not 0 < claims.get("exp", 0) - claims.get("iat", 0) <= 3600:
            return json_response({"error": "invalid_grant", "error_description": "Invalid JWT: Token must be a "
                                  "short-lived token (60 minutes) and in a reasonable timeframe."}, 400)
        if not self.delegation_allowed or claims.get("scope") != GOOGLE_SCOPE:
            return json_response({"error": "unauthorized_client", "error_description": "Client is unauthorized "
                                  "to retrieve access tokens using this method, or client not authorized for any "
                                  "of the scopes requested."}, 401)
        if claims.get("sub") not in self.workspace_users:
            return json_response({"error": "invalid_grant", "error_description": "Invalid email or User ID"}, 400)
        return self._issue(claims["sub"])

    def _refresh_token(self, form: Any) -> Response:
        if (form.get("client_id"), form.get("client_secret")) != (GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET):
            return json_response({"error": "invalid_client", "error_description": "Unauthorized"}, 401)
        owner = self.refresh_tokens.get(form.get("refresh_token", ""))
        if owner is None:
            return json_response({"error": "invalid_grant", "error_description": "Token has been expired or "
                                  "revoked."}, 400)
        return self._issue(owner)

    def _issue(self, subject: str) -> Response:
        token = f"ya29.fake-{secrets.token_hex(12)}"
        with self.lock:
            self.tokens[token] = subject
            self.issued.append(token)
        return json_response({"access_token": token, "expires_in": self.expires_in, "token_type": "Bearer",
                              "scope": GOOGLE_SCOPE})

    def _create(self, request: Request, owner: str) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or set(body) - {"config"}:
            return self.error(400, "Invalid JSON payload received.")
        access_type = (body.get("config") or {}).get("accessType")
        if access_type is not None and access_type not in ("OPEN", "TRUSTED", "RESTRICTED"):
            return self.error(400, f"Invalid value at 'space.config.access_type' ({access_type}).")
        if access_type in self.refused_access_types:
            return self.error(self.refusal_status, f"The organization's policy does not allow accessType "
                                                   f"{access_type} for this user.")
        space_id = secrets.token_urlsafe(9).replace("-", "x").replace("_", "y")
        letters = "abcdefghijklmnopqrstuvwxyz"
        code = "-".join("".join(secrets.choice(letters) for _ in range(n)) for n in (3, 4, 3))
        space = {
            "name": f"spaces/{space_id}", "meetingUri": f"https://meet.google.com/{code}", "meetingCode": code,
            "config": {"accessType": access_type or "TRUSTED", "entryPointAccess": "ALL"},
        }
        with self.lock:
            self.spaces[space["name"]] = {**space, "owner": owner}
        return json_response(space)

    def _end(self, request: Request, subject: str, name: str) -> Response:
        if request.method != "POST":
            return self.error(405, "Method not allowed.")
        if request.get_data() and request.get_json(silent=True) != {}:
            return self.error(400, "Invalid JSON payload received: the request body must be empty.")
        space = self.spaces.get(name)
        if space is None:
            return self.error(404, "Requested entity was not found.")
        if space["owner"] != subject:
            return self.error(403, "The caller does not have permission")
        if not space.pop("activeConference", None):
            return self.error(400, "There is no active conference in this space.", reason="FAILED_PRECONDITION")
        return json_response({})


class FakeEcho(FakeServer):
    """Any method, any path: 200 with what was asked. For the HTTP helper's own tests."""

    def handle(self, request: Request) -> Response:
        return json_response({"method": request.method, "path": request.path})

    def error(self, status: int, message: str) -> Response:
        return json_response({"message": message}, status)
