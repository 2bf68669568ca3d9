"""Presence from a self-hosted Jitsi Meet: the `event_sync` Prosody component posting its room events.

The component (jitsi-contrib/prosody-plugins, event_sync/README.md and mod_event_sync_component.lua)
POSTs to `{api_prefix}/events/occupant/joined`, `…/occupant/left`, `…/room/created` and
`…/room/destroyed`, with the headers of its `api_headers` setting: here
`Authorization: Bearer <JITSI_EVENTS_TOKEN>`, compared in constant time. A bearer token carries no
signed timestamp, so there is no "stale" request to refuse here (JaaS and Zoom have one); a replayed
request is harmless anyway, because each event is stored once by its delivery key. Prosody retries
only on a 5xx, and we never answer one.

Payloads, as the component sends them:
- `room_name`: the room's JID node (a tenant's room reads `[tenant]room`), `room_jid`, `is_breakout`;
- `occupant`: `occupant_jid` (one per connection), `joined_at`, `left_at`, and with token auth the
  JWT's `context.user` `id` / `name` / `email`. meetapp puts the person's own id into
  `context.user.id` (domain.video.jitsi_token), so that is what matches them to a session's people;
- `created_at` / `destroyed_at` and, on destroy, `all_occupants` (everyone since the room was made).
Times are Unix seconds by the Prosody host's clock.

JaaS (meetapp.webhooks.jaas) is the same Jitsi hosted by 8x8, so it shares the room lookup and the
field readers below.
"""
import math
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app, request

from meetapp.domain.presence import ENDED, JOINED, LEFT
from meetapp.domain.timeutil import utcnow
from meetapp.domain.video import KIND_JITSI
from meetapp.extensions import db
from meetapp.models import MentoringSession
from meetapp.services.presence import Seen, delivery_key, person_in, record
from meetapp.webhooks import bp
from meetapp.webhooks.common import ignored, json_object, malformed, recorded, same_secret, storable, unauthorised

SOURCE = "jitsi"
# Provider times outside this range are a broken or hostile sender, not a meeting we held.
EARLIEST_EVENT = datetime(2020, 1, 1, tzinfo=UTC)
CLOCK_SLACK = timedelta(days=1)


@bp.post("/jitsi/events/occupant/joined")
def jitsi_occupant_joined():
    """Someone connected to the room: they are present from `joined_at`."""
    return _receive(lambda session, room, body, now: [
        _seen(session, room, JOINED, _occupant(body), "joined_at", now)
    ])


@bp.post("/jitsi/events/occupant/left")
def jitsi_occupant_left():
    """Someone's connection left the room at `left_at`."""
    return _receive(lambda session, room, body, now: [
        _seen(session, room, LEFT, _occupant(body), "left_at", now)
    ])


@bp.post("/jitsi/events/room/created")
def jitsi_room_created():
    """Nothing to store: presence starts with an occupant. A 200 still says the room is a session's."""
    return _receive(lambda session, room, body, now: [])


@bp.post("/jitsi/events/room/destroyed")
def jitsi_room_destroyed():
    """The room closed: everyone it saw left, and the meeting ended.

    `all_occupants` is the whole roll since the room was made, so its joins and leaves are stored
    too: they share the keys of the occupant events, so any that arrived already are not doubled,
    and any that were lost are filled in.
    """
    def read(session: MentoringSession, room: str, body: dict, now: datetime) -> list[Seen]:
        destroyed_at = unix_time(body.get("destroyed_at"), now)
        occupants = body.get("all_occupants", [])
        if not isinstance(occupants, list) or not all(isinstance(occupant, dict) for occupant in occupants):
            raise malformed("`all_occupants` is not a list of occupants.")
        events = []
        for occupant in occupants:
            events.append(_seen(session, room, JOINED, occupant, "joined_at", now))
            events.append(_seen(session, room, LEFT, occupant, "left_at", now, default=destroyed_at))
        events.append(Seen(
            kind=ENDED, at=destroyed_at, participant_key=None, user_id=None, display_name=None,
            delivery_key=delivery_key(SOURCE, ENDED, room, destroyed_at.isoformat()),
        ))
        return events

    return _receive(read)


def _receive(read) -> tuple:
    """What every event_sync request goes through: the token, the body, the room, then `read`,
    which turns the body into the events to store for the room's session."""
    now = utcnow()
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not same_secret(token.strip(), current_app.config["JITSI_EVENTS_TOKEN"]):
        raise unauthorised("The Authorization header does not carry JITSI_EVENTS_TOKEN.")
    body = json_object()
    room = bare_room(text(body.get("room_name"), "room_name", required=True))
    if body.get("is_breakout") is True:
        # Breakout rooms report the main room's name; time spent in one is not counted.
        return ignored("Events from breakout rooms are not counted.")
    session = session_in_room(room)
    if session is None:
        return ignored("No session meets in this room.")
    return recorded(record(session, SOURCE, read(session, room, body, now), now))


def _occupant(body: dict) -> dict:
    occupant = body.get("occupant")
    if not isinstance(occupant, dict):
        raise malformed("`occupant` is missing.")
    return occupant


def _seen(
    session: MentoringSession, room: str, kind: str, occupant: dict, time_field: str, now: datetime,
    default: datetime | None = None,
) -> Seen:
    """One occupant's join or leave; its key is the connection (`occupant_jid`), so two tabs of one
    person are two intervals, and the report merges them."""
    key = text(occupant.get("occupant_jid"), "occupant_jid") or text(occupant.get("id"), "occupant id")
    if key is None:
        raise malformed("The occupant has neither `occupant_jid` nor `id`.")
    when = occupant.get(time_field)
    at = default if when is None and default is not None else unix_time(when, now)
    return Seen(
        kind=kind,
        at=at,
        participant_key=key,
        user_id=person_in(session, user_id=occupant.get("id"), email=occupant.get("email")),
        display_name=text(occupant.get("name"), "name"),
        delivery_key=delivery_key(SOURCE, kind, room, key, at.isoformat()),
    )


# Shared with JaaS ---------------------------------------------------------------------


def session_in_room(room: str) -> MentoringSession | None:
    """The session whose Jitsi room this is (rooms are random, so at most one)."""
    return db.session.scalar(
        sa.select(MentoringSession)
        .where(MentoringSession.meeting_kind == KIND_JITSI, MentoringSession.meeting_room == room)
        .limit(1)
    )


def bare_room(name: str) -> str:
    """`[tenant]room@conference.example.org` → `room`: the name meetapp stored (Jitsi lower-cases it)."""
    room = name.partition("@")[0]
    if room.startswith("["):
        room = room.partition("]")[2]
    return room.strip().lower()


def text(value: object, field: str, *, required: bool = False) -> str | None:
    """A string field, stripped; None when absent or blank. A string the database cannot store
    (a NUL, an unpaired surrogate) is a malformed request, not a 500."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise malformed(f"`{field}` is missing.")
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise malformed(f"`{field}` is not a string.")
    return storable(str(value).strip(), field)


def unix_time(value: object, now: datetime, *, per_second: int = 1) -> datetime:
    """A provider's Unix time (seconds, or milliseconds with per_second=1000) as an aware UTC datetime;
    a value that is not a number, or lies before 2020 or over a day ahead of us, is malformed."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise malformed("A time is missing or not a Unix time.")
    try:
        at = datetime.fromtimestamp(value / per_second, UTC)
    except (OverflowError, OSError, ValueError):
        raise malformed("A time is out of range.") from None
    if not EARLIEST_EVENT <= at <= now + CLOCK_SLACK:
        raise malformed("A time is out of range.")
    return at
