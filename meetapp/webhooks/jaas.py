"""Presence from 8x8 JaaS (Jitsi as a Service): its webhooks, signed with the endpoint's secret.

Read from 8x8's developer docs (developer.8x8.com/jaas/docs/webhooks-signatures and
…/webhooks-payload) and jitsi-meet's own JaaS webhook tests:
- `X-Jaas-Signature: t=<unix seconds>,v1=<base64 HMAC-SHA256(secret, "<t>.<raw body>")>`; the
  header may hold several v1 signatures (any may match), and schemes other than v1 are ignored
  so nobody can downgrade us to a weaker one. A `t` more than five minutes off is refused
  (common.fresh): a captured request cannot be replayed later.
- The body: `idempotencyKey` (the same event delivered twice has the same key: stored once),
  `eventType`, `timestamp` (milliseconds; the order of events, since they may arrive out of order),
  `fqn` (`<AppID>/<room>`), and `data`: for participants `participantId` (one per connection),
  `id` / `name` / `email` from the JWT's `context.user` (meetapp writes the person's own id there,
  domain.video.jitsi_token), and `isBreakout`.
"""
import base64
import hashlib
import hmac
from datetime import UTC, datetime

from flask import current_app, request

from meetapp.domain.presence import ENDED, JOINED, LEFT
from meetapp.domain.timeutil import utcnow
from meetapp.models import MentoringSession
from meetapp.services.meetings import jitsi_settings
from meetapp.services.presence import Seen, delivery_key, person_in, record
from meetapp.webhooks import bp
from meetapp.webhooks.common import fresh, ignored, json_object, malformed, recorded, unauthorised
from meetapp.webhooks.jitsi import session_in_room, text, unix_time

SOURCE = "jaas"
SIGNATURE_HEADER = "X-Jaas-Signature"
# What each event we read means for presence; ROOM_CREATED stores nothing.
KINDS = {"PARTICIPANT_JOINED": JOINED, "PARTICIPANT_LEFT": LEFT, "ROOM_DESTROYED": ENDED, "ROOM_CREATED": None}


@bp.post("/jaas")
def jaas_event():
    """One JaaS event: check the signature, find the session by the room in `fqn`, store what it says."""
    now = utcnow()
    _check_signature(current_app.config["JAAS_WEBHOOK_SECRET"], now)
    body = json_object()
    event_type = body.get("eventType")
    if not isinstance(event_type, str):
        raise malformed("`eventType` is missing.")
    if event_type not in KINDS:
        return ignored("This event says nothing about presence.")
    data = body.get("data") or {}
    if not isinstance(data, dict):
        raise malformed("`data` is not an object.")
    tenant, _, room = text(body.get("fqn"), "fqn", required=True).partition("/")
    configured_tenant = jitsi_settings().jaas_tenant
    if configured_tenant and tenant != configured_tenant:
        return ignored("This event is from another JaaS app.")
    if data.get("isBreakout") is True:
        return ignored("Events from breakout rooms are not counted.")
    session = session_in_room(room.strip().lower())
    if session is None:
        return ignored("No session meets in this room.")
    kind = KINDS[event_type]
    if kind is None:
        return recorded(record(session, SOURCE, [], now))
    at = unix_time(body.get("timestamp"), now, per_second=1000)
    key = delivery_key(SOURCE, text(body.get("idempotencyKey"), "idempotencyKey", required=True))
    if kind == ENDED:
        seen = Seen(kind=ENDED, at=at, participant_key=None, user_id=None, display_name=None, delivery_key=key)
    else:
        seen = _participant_seen(session, kind, at, key, data)
    return recorded(record(session, SOURCE, [seen], now))


def _participant_seen(session: MentoringSession, kind: str, at: datetime, key: str, data: dict) -> Seen:
    """A participant's join or leave, keyed by their connection (`participantId`): two tabs of one
    person are two intervals, which the report merges."""
    participant = (
        text(data.get("participantId"), "participantId")
        or text(data.get("participantJid"), "participantJid")
        or text(data.get("id"), "id")
    )
    if participant is None:
        raise malformed("The participant has no `participantId`.")
    return Seen(
        kind=kind,
        at=at,
        participant_key=participant,
        user_id=person_in(session, user_id=data.get("id"), email=data.get("email")),
        display_name=text(data.get("name"), "name"),
        delivery_key=key,
    )


def _check_signature(secret: str | None, now: datetime) -> None:
    """Refuse (401) unless one of the header's v1 signatures is ours over `<t>.<raw body>`, and t is fresh."""
    if not secret:
        raise unauthorised("JaaS webhooks are not configured (JAAS_WEBHOOK_SECRET).")
    signed_at, signatures = parse_signature(request.headers.get(SIGNATURE_HEADER, ""))
    if signed_at is None or not signatures:
        raise unauthorised(f"{SIGNATURE_HEADER} is missing or unreadable.")
    expected = signature(secret, signed_at, request.get_data(cache=True))
    if not any(hmac.compare_digest(given.encode(), expected.encode()) for given in signatures):
        raise unauthorised(f"{SIGNATURE_HEADER} does not match the body.")
    if not fresh(datetime.fromtimestamp(signed_at, UTC), now):
        raise unauthorised(f"{SIGNATURE_HEADER} is more than five minutes off.")


def parse_signature(header: str) -> tuple[int | None, list[str]]:
    """`t=…,v1=…,v1=…,v0=…` → (t, the v1 signatures). Values are base64, so split at the first `=`."""
    signed_at, signatures = None, []
    for element in header.split(","):
        prefix, _, value = element.strip().partition("=")
        value = value.strip()
        if prefix == "t" and value.isascii() and value.isdigit() and len(value) <= 11:
            signed_at = int(value)
        elif prefix == "v1" and value:
            signatures.append(value)
    return signed_at, signatures


def signature(secret: str, signed_at: int, body: bytes) -> str:
    """JaaS's v1 signature: base64 of HMAC-SHA256 keyed with the endpoint's secret."""
    digest = hmac.new(secret.encode(), f"{signed_at}.".encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
