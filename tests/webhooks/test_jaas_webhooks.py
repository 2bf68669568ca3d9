"""8x8 JaaS telling meetapp who is in a session's room, through signed webhooks.

Each request is signed here as 8x8 documents it (developer.8x8.com/jaas/docs/webhooks-signatures):
`X-Jaas-Signature: t=<unix seconds>,v1=<base64 HMAC-SHA256(secret, "<t>.<raw body>")>`. The bodies
follow 8x8's webhook payload reference; `data.id` is the JWT's `context.user.id`.
"""
import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meetapp.domain.presence import Outcome, State
from tests.webhooks.jitsi_support import AFTER_CLOSE, FUZZ, START, book, json_values, presence, report

SECRET = "whsec-jaas-3f9a1c7e"
TENANT = "vpaas-magic-cookie-c2824d584eac4489a1e32e4e164d5a3c"
MONA_ENDPOINT, MAX_ENDPOINT = "3c6b0e2f", "a91d44e7"


@pytest.fixture
def app(app):
    app.config["JAAS_WEBHOOK_SECRET"] = SECRET
    return app


@pytest.fixture
def booked(app, clock, api_as, mentor, mentee) -> tuple[str, str]:
    return book(app, api_as, mentor, mentee)


def event(event_type: str, room: str, at: datetime, tenant: str = TENANT, key: str | None = None, **data) -> dict:
    """A JaaS webhook body; `timestamp` is in milliseconds."""
    return {
        "idempotencyKey": key or str(uuid.uuid4()),
        "customerId": tenant.removeprefix("vpaas-magic-cookie-"),
        "appId": tenant,
        "eventType": event_type,
        "sessionId": "c3348153-1027-4382-afad-5ae91b433c26",
        "timestamp": int(at.timestamp() * 1000),
        "fqn": f"{tenant}/{room}",
        "data": {"conference": f"{room}@conference.{tenant}.8x8.vc", "isBreakout": False, **data},
    }


def participant(event_type: str, room: str, at: datetime, endpoint: str, user_id: int | None, name: str, **more):
    fields = {"participantId": endpoint, "name": name, "moderator": "false", **more}
    if user_id is not None:
        fields["id"] = str(user_id)
    return event(event_type, room, at, **fields)


def sign(raw: bytes, signed_at: datetime | None = None, secret: str = SECRET) -> str:
    """The v1 signature 8x8 sends: base64 of HMAC-SHA256 over `<t>.<raw body>`."""
    t = int((signed_at or datetime.now(UTC)).timestamp())
    digest = hmac.new(secret.encode(), f"{t}.".encode() + raw, hashlib.sha256).digest()
    return f"t={t},v1={base64.b64encode(digest).decode()}"


def raw_of(body) -> bytes:
    if isinstance(body, bytes):
        return body
    return body.encode() if isinstance(body, str) else json.dumps(body).encode()


def post(client, body, header: str | None = None):
    """POST `body`, signed correctly now unless `header` says otherwise ("" sends no header)."""
    raw = raw_of(body)
    header = sign(raw) if header is None else header
    headers = {"X-Jaas-Signature": header} if header else {}
    return client.post("/webhooks/jaas", data=raw, headers=headers, content_type="application/json")


# Correct requests ------------------------------------------------------------------------------


def test_a_signed_join_and_leave_are_stored_for_the_matched_person(client, booked, mentor):
    session_id, room = booked
    joined = participant("PARTICIPANT_JOINED", room, START, MONA_ENDPOINT, mentor, "Mona Mentor")
    assert post(client, joined).json == {"status": "recorded", "new": 1}
    left = participant(
        "PARTICIPANT_LEFT", room, START + timedelta(minutes=45), MONA_ENDPOINT, mentor, "Mona Mentor",
        disconnectReason="left",
    )
    assert post(client, left).status_code == 200
    assert presence(client.application, session_id) == [
        ("joined", START, MONA_ENDPOINT, mentor, None),
        ("left", START + timedelta(minutes=45), MONA_ENDPOINT, mentor, None),
    ]


def test_the_event_timestamp_keeps_its_milliseconds(client, booked, mentor):
    session_id, room = booked
    at = START + timedelta(seconds=12, milliseconds=345)
    assert post(client, participant("PARTICIPANT_JOINED", room, at, MONA_ENDPOINT, mentor, "Mona")).status_code == 200
    assert presence(client.application, session_id)[0][1] == at


def test_events_delivered_out_of_order_still_give_the_right_interval(client, booked, mentor, mentee):
    session_id, room = booked
    end = START + timedelta(minutes=60)
    deliveries = [
        participant("PARTICIPANT_LEFT", room, end, MAX_ENDPOINT, mentee, "Max"),
        event("ROOM_DESTROYED", room, end + timedelta(seconds=5)),
        participant("PARTICIPANT_LEFT", room, end, MONA_ENDPOINT, mentor, "Mona"),
        participant("PARTICIPANT_JOINED", room, START + timedelta(minutes=8), MAX_ENDPOINT, mentee, "Max"),
        participant("PARTICIPANT_JOINED", room, START - timedelta(minutes=3), MONA_ENDPOINT, mentor, "Mona"),
    ]
    for body in deliveries:
        assert post(client, body).status_code == 200

    attendance = report(client.application, session_id, AFTER_CLOSE)
    assert (attendance.mentor.state, attendance.mentee.state) == (State.ATTENDED, State.LATE)
    assert attendance.outcome is Outcome.HELD
    assert attendance.mentee.minutes_late == 8
    assert attendance.minutes_together == 52
    assert [(i.joined_at, i.left_at) for i in attendance.mentee.intervals] == [(START + timedelta(minutes=8), end)]


def test_without_a_user_id_the_email_matches_and_a_stranger_keeps_their_name(client, booked, mentee):
    session_id, room = booked
    by_email = participant("PARTICIPANT_JOINED", room, START, MAX_ENDPOINT, None, "Max", email="MAX.mentee@example.com")
    stranger = participant("PARTICIPANT_JOINED", room, START, "ffff0001", None, "Visitor")
    assert post(client, by_email).status_code == 200
    assert post(client, stranger).status_code == 200
    assert sorted(presence(client.application, session_id), key=lambda row: row[2]) == [
        ("joined", START, MAX_ENDPOINT, mentee, None),
        ("joined", START, "ffff0001", None, "Visitor"),
    ]


def test_a_destroyed_room_ends_the_meeting(client, booked):
    session_id, room = booked
    assert post(client, event("ROOM_DESTROYED", room, START + timedelta(minutes=61))).status_code == 200
    assert presence(client.application, session_id) == [("ended", START + timedelta(minutes=61), None, None, None)]


def test_a_created_room_of_a_session_is_acknowledged_and_stores_nothing(client, booked):
    response = post(client, event("ROOM_CREATED", booked[1], START))
    assert (response.status_code, response.json) == (200, {"status": "recorded", "new": 0})
    assert presence(client.application) == []


def test_any_of_several_v1_signatures_may_match_and_other_schemes_are_ignored(client, booked, mentor):
    body = raw_of(participant("PARTICIPANT_JOINED", booked[1], START, MONA_ENDPOINT, mentor, "Mona"))
    t, good = sign(body).split(",")
    header = f"{t}, v0=bm90LWNoZWNrZWQ=, v1={base64.b64encode(b'x' * 32).decode()}, {good}"
    assert post(client, body, header).status_code == 200


def test_a_signature_made_four_minutes_ago_is_still_fresh(client, booked, mentor):
    body = raw_of(participant("PARTICIPANT_JOINED", booked[1], START, MONA_ENDPOINT, mentor, "Mona"))
    assert post(client, body, sign(body, datetime.now(UTC) - timedelta(minutes=4))).status_code == 200


# Replays, unknown rooms, other apps, breakouts, other events ------------------------------------


def test_an_event_redelivered_with_its_idempotency_key_is_stored_once(client, booked, mentor):
    session_id, room = booked
    body = participant("PARTICIPANT_JOINED", room, START, MONA_ENDPOINT, mentor, "Mona")
    assert post(client, body).json["new"] == 1
    assert post(client, body).json == {"status": "recorded", "new": 0}
    # The key decides, even if a redelivery's body differs.
    again = participant(
        "PARTICIPANT_JOINED", room, START + timedelta(seconds=1), MONA_ENDPOINT, mentor, "Mona",
    ) | {"idempotencyKey": body["idempotencyKey"]}
    assert post(client, again).json["new"] == 0
    assert len(presence(client.application, session_id)) == 1


@pytest.mark.parametrize(
    "body",
    [
        lambda room: event("PARTICIPANT_JOINED", "catchup", START, participantId="e1"),
        lambda room: event("PARTICIPANT_JOINED", room, START, tenant="vpaas-magic-cookie-other", participantId="e1"),
        lambda room: event("PARTICIPANT_JOINED", room, START, participantId="e1") | {"fqn": room},
        lambda room: event("PARTICIPANT_JOINED", room, START, participantId="e1", isBreakout=True, breakoutRoomId="b"),
        lambda room: event("RECORDING_STARTED", room, START),
        lambda room: event("TRANSCRIPTION_UPLOADED", room, START),
    ],
    ids=["unknown-room", "other-jaas-app", "no-tenant-in-fqn", "breakout", "recording", "transcription"],
)
def test_what_is_not_presence_in_a_session_s_room_is_ignored(client, booked, body):
    client.application.config["JITSI_JAAS_KID"] = f"{TENANT}/4f4910"
    response = post(client, body(booked[1]))
    assert (response.status_code, response.json["status"]) == (202, "ignored")
    assert presence(client.application) == []


def test_without_a_configured_jaas_app_any_tenant_s_room_is_read(client, booked):
    body = event("PARTICIPANT_JOINED", booked[1], START, tenant="vpaas-magic-cookie-other", participantId="e1")
    assert post(client, body).status_code == 200


# Refused requests ------------------------------------------------------------------------------


def tampered_signature(raw: bytes) -> str:
    t, v1 = sign(raw).split(",")
    digest = bytearray(base64.b64decode(v1.removeprefix("v1=")))
    digest[0] ^= 1
    return f"{t},v1={base64.b64encode(bytes(digest)).decode()}"


REFUSALS = {
    "missing-header": lambda raw: "",
    "tampered-signature": tampered_signature,
    "wrong-secret": lambda raw: sign(raw, secret="whsec-someone-else"),
    "stale": lambda raw: sign(raw, datetime.now(UTC) - timedelta(minutes=6)),
    "from-the-future": lambda raw: sign(raw, datetime.now(UTC) + timedelta(minutes=6)),
    "only-v0": lambda raw: sign(raw).replace("v1=", "v0="),
    "no-timestamp": lambda raw: sign(raw).split(",")[1],
    "timestamp-not-a-number": lambda raw: "t=soon," + sign(raw).split(",")[1],
    "signed-with-another-t": lambda raw: "t=1," + sign(raw).split(",")[1],
    "huge-timestamp": lambda raw: "t=99999999999999999999," + sign(raw).split(",")[1],
    "hex-not-base64": lambda raw: sign(raw).split(",")[0] + ",v1="
    + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest(),
    "garbage": lambda raw: "t==,,v1,=",
}


@pytest.mark.parametrize("header", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_request_not_signed_now_with_our_secret_is_refused(client, booked, mentor, header):
    raw = raw_of(participant("PARTICIPANT_JOINED", booked[1], START, MONA_ENDPOINT, mentor, "Mona"))
    response = post(client, raw, header(raw))
    assert (response.status_code, response.json["error"]) == (401, "unauthenticated")
    assert presence(client.application) == []


def test_a_tampered_body_is_refused(client, booked, mentor, mentee):
    raw = raw_of(participant("PARTICIPANT_JOINED", booked[1], START, MONA_ENDPOINT, mentor, "Mona"))
    header = sign(raw)
    tampered = raw.replace(f'"id": "{mentor}"'.encode(), f'"id": "{mentee}"'.encode())
    assert tampered != raw
    assert post(client, tampered, header).status_code == 401
    assert post(client, raw + b" ", header).status_code == 401
    assert presence(client.application) == []


def test_with_no_secret_configured_every_request_is_refused(client, booked, mentor):
    client.application.config["JAAS_WEBHOOK_SECRET"] = None
    raw = raw_of(participant("PARTICIPANT_JOINED", booked[1], START, MONA_ENDPOINT, mentor, "Mona"))
    assert post(client, raw).status_code == 401
    assert post(client, raw, sign(raw, secret="")).status_code == 401
    assert presence(client.application) == []


@pytest.mark.parametrize(
    "body",
    ["{not json", "[1, 2]", '"a string"', "null", b"\xff\xfe", ""],
    ids=["broken", "array", "string", "null", "not-utf8", "empty"],
)
def test_a_signed_body_that_is_not_a_json_object_is_malformed(client, booked, body):
    response = post(client, body)
    assert (response.status_code, response.json["error"]) == (400, "invalid")


@pytest.mark.parametrize(
    "change",
    [
        lambda body: body.pop("eventType"),
        lambda body: body.pop("fqn"),
        lambda body: body.update(fqn=["a", "b"]),
        lambda body: body.update(data="joined"),
        lambda body: body.pop("timestamp"),
        lambda body: body.update(timestamp="1600951800112"),
        lambda body: body.update(timestamp=10**40),
        lambda body: body.update(timestamp=int((START + timedelta(days=3)).timestamp() * 1000)),
        lambda body: body.pop("idempotencyKey"),
        lambda body: [body["data"].pop(field) for field in ("participantId", "id")],
        lambda body: body["data"].update(participantId="e\x001"),
        lambda body: body["data"].update(name={"first": "Mona"}),
    ],
    ids=[
        "no-event-type", "no-fqn", "fqn-not-text", "data-not-object", "no-timestamp", "timestamp-as-text",
        "timestamp-huge", "timestamp-far-ahead", "no-idempotency-key", "no-participant", "nul-in-participant",
        "name-not-text",
    ],
)
def test_a_signed_event_with_a_missing_or_absurd_field_is_malformed(client, booked, mentor, change):
    body = participant("PARTICIPANT_JOINED", booked[1], START, MONA_ENDPOINT, mentor, "Mona")
    change(body)
    response = post(client, body)
    assert (response.status_code, response.json["error"]) == (400, "invalid")
    assert presence(client.application) == []


# Fuzzing ---------------------------------------------------------------------------------------

EVENT_TYPES = st.sampled_from(["PARTICIPANT_JOINED", "PARTICIPANT_LEFT", "ROOM_CREATED", "ROOM_DESTROYED", "USAGE"])


@FUZZ
@given(body=json_values)
def test_any_signed_json_is_answered_without_a_server_error(client, booked, body):
    assert post(client, body).status_code in (200, 202, 400)


@FUZZ
@given(
    event_type=EVENT_TYPES,
    top=st.dictionaries(st.sampled_from(["idempotencyKey", "timestamp", "fqn"]), json_values),
    data=st.dictionaries(st.sampled_from(["participantId", "id", "name", "email", "isBreakout"]), json_values),
)
def test_a_signed_event_of_the_right_shape_with_any_values_is_never_a_server_error(
    client, booked, event_type, top, data
):
    body = event(event_type, booked[1], START) | top
    body["data"] = data
    assert post(client, body).status_code in (200, 202, 400)


@FUZZ
@given(body=json_values, header=st.text(max_size=80).filter(lambda h: "\n" not in h and "\r" not in h))
def test_an_unsigned_request_never_stores_anything(client, booked, mentor, body, header):
    real = participant("PARTICIPANT_JOINED", booked[1], START, MONA_ENDPOINT, mentor, "Mona")
    for attempt in (body, real):
        assert post(client, attempt, header).status_code == 401
    assert presence(client.application) == []
