"""POST /webhooks/zoom: Zoom's signed participant events become presence, and nothing unsigned gets in.

Requests are signed here as Zoom signs them (developers.zoom.us/docs/api/webhooks, "Verify webhook
events"): `x-zm-signature: v0=<hex HMAC-SHA256 of "v0:<x-zm-request-timestamp>:<raw body>">`, computed
independently of the app's own code so that a wrong implementation fails these tests.
"""
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meetapp.extensions import db
from meetapp.models import MentoringSession, MentorProfile, PresenceEvent, ZoomRegistrant
from tests.support import MENTEE_EMAIL, MENTOR_EMAIL, NOW, running_app

SECRET = "zoom-webhook-secret-7d1f0c"
MEETING_ID = "85746065123"
JOINED_AT = "2026-11-23T10:01:30Z"
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def app(database_url):
    with running_app(database_url, ZOOM_WEBHOOK_SECRET_TOKEN=SECRET) as app:
        yield app


@pytest.fixture
def session_id(app, confirmed_with_links) -> str:
    """The confirmed 10:00 session, meeting in the Zoom meeting MEETING_ID."""
    session_id = confirmed_with_links[0]
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        session.video_provider = session.meeting_kind = "zoom"
        session.meeting_url = f"https://zoom.us/j/{MEETING_ID}?pwd=shared"
        session.meeting_external_id = MEETING_ID
        session.meeting_room = None
        db.session.commit()
    return session_id


def signed(body: bytes, *, secret: str = SECRET, at: datetime = NOW) -> dict[str, str]:
    timestamp = str(int(at.timestamp()))
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"x-zm-signature": f"v0={digest}", "x-zm-request-timestamp": timestamp}


def post(client, body: dict | bytes, headers: dict[str, str] | None = None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(
        "/webhooks/zoom", data=raw, content_type="application/json", headers=signed(raw) if headers is None else headers
    )


def participant_event(
    event: str = "meeting.participant_joined",
    *,
    email: str = "",
    registrant_id: str | None = None,
    name: str = "Max",
    at: str = JOINED_AT,
    uuid: str = "participant-uuid-1",
    meeting_id: str | int = MEETING_ID,
) -> dict:
    """A participant event in the shape of Zoom's MeetingParticipantJoinedEvent / …LeftEvent."""
    participant = {
        "user_id": "16778240", "user_name": name, "id": "", "participant_uuid": uuid, "email": email,
        ("join_time" if event.endswith("joined") else "leave_time"): at,
    }
    if registrant_id is not None:
        participant["registrant_id"] = registrant_id
    return {
        "event": event,
        "event_ts": 1_795_424_490_000,
        "payload": {
            "account_id": "AAAAAAAAAA",
            "object": {
                "id": meeting_id, "uuid": "4444AAAiAAAAAiAiAiiAii==", "host_id": "x1yCzABCDEfg",
                "topic": "Career chat", "type": 2, "start_time": "2026-11-23T10:00:00Z", "duration": 60,
                "timezone": "Europe/Berlin", "participant": participant,
            },
        },
    }


def ended_event(end_time: str = "2026-11-23T11:00:00Z") -> dict:
    return {
        "event": "meeting.ended",
        "event_ts": 1_795_428_000_000,
        "payload": {"account_id": "AAAAAAAAAA", "object": {
            "id": MEETING_ID, "uuid": "4444AAAiAAAAAiAiAiiAii==", "host_id": "x1yCzABCDEfg", "topic": "Career chat",
            "type": 2, "start_time": "2026-11-23T10:00:00Z", "end_time": end_time, "duration": 60,
        }},
    }


def presence_rows(app) -> list[PresenceEvent]:
    with app.app_context():
        rows = db.session.scalars(sa.select(PresenceEvent).order_by(PresenceEvent.at, PresenceEvent.id)).all()
        db.session.expunge_all()
        return rows


def register(app, session_id: str, user_id: int, registrant_id: str) -> None:
    with app.app_context():
        db.session.add(ZoomRegistrant(
            session_id=session_id, user_id=user_id, meeting_id=MEETING_ID, registrant_id=registrant_id,
            join_url=f"https://zoom.us/w/{MEETING_ID}?tk={registrant_id}", created_at=NOW,
        ))
        db.session.commit()


# Recorded -----------------------------------------------------------------------------------


def test_a_signed_join_is_recorded_for_the_person_with_that_email(client, app, session_id, mentee):
    response = post(client, participant_event(email=MENTEE_EMAIL.upper(), name="Max on the train"))
    assert response.status_code == 200 and response.json == {"status": "recorded", "new": 1}
    [row] = presence_rows(app)
    assert (row.session_id, row.source, row.kind, row.user_id) == (session_id, "zoom", "joined", mentee)
    assert row.at == datetime(2026, 11, 23, 10, 1, 30, tzinfo=UTC)
    assert row.participant_key == "participant-uuid-1"
    assert row.display_name is None, "a matched person's provider name is not kept"


def test_the_registrant_id_names_the_person_whatever_email_zoom_reports(client, app, session_id, mentor, mentee):
    register(app, session_id, mentee, "reg-mentee")
    # The registrant id wins even over an email that is the mentor's.
    assert post(client, participant_event(registrant_id="reg-mentee", email=MENTOR_EMAIL)).status_code == 200
    [row] = presence_rows(app)
    assert row.user_id == mentee
    assert row.participant_key == "reg-mentee"


def test_a_registrant_of_another_session_does_not_name_anyone_here(client, app, session_id, people, mentee):
    with app.app_context():
        other = MentoringSession(
            mentor_id=people.make("mentor", "Olga Other"), mentee_id=mentee, session_type_id=1,
            starts_at=NOW + timedelta(days=2), ends_at=NOW + timedelta(days=2, hours=1),
            meeting_kind="jitsi", meeting_room="other-room",
        )
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    with app.app_context():
        db.session.add(ZoomRegistrant(session_id=other_id, user_id=mentee, meeting_id="999", registrant_id="reg-other",
                                      join_url="https://zoom.us/w/999?tk=x", created_at=NOW))
        db.session.commit()
    assert post(client, participant_event(registrant_id="reg-other", name="Someone")).status_code == 200
    [row] = presence_rows(app)
    assert row.user_id is None and row.display_name == "Someone"


def test_the_host_is_matched_by_the_mentors_zoom_account(client, app, session_id, mentor):
    with app.app_context():
        db.session.get(MentorProfile, mentor).zoom_user = "Ada@Example.com"
        db.session.commit()
    assert post(client, participant_event(email="ada@example.com ", uuid="host-uuid")).status_code == 200
    [row] = presence_rows(app)
    assert row.user_id == mentor


def test_a_stranger_is_kept_by_name_only(client, app, session_id):
    assert post(client, participant_event(email="guest@elsewhere.org", name="  Guest  ")).status_code == 200
    [row] = presence_rows(app)
    assert row.user_id is None and row.display_name == "Guest"


def test_a_join_and_a_leave_share_the_participant_key(client, app, session_id, mentee):
    post(client, participant_event(email=MENTEE_EMAIL))
    post(client, participant_event("meeting.participant_left", email=MENTEE_EMAIL, at="2026-11-23T10:50:00+00:00"))
    joined, left = presence_rows(app)
    assert (joined.kind, left.kind) == ("joined", "left")
    assert joined.participant_key == left.participant_key
    assert left.at == datetime(2026, 11, 23, 10, 50, tzinfo=UTC)


def test_a_meeting_id_sent_as_a_number_finds_the_session(client, app, session_id):
    assert post(client, participant_event(meeting_id=int(MEETING_ID))).status_code == 200
    assert len(presence_rows(app)) == 1


def test_meeting_ended_is_one_ended_event_at_its_end_time(client, app, session_id):
    response = post(client, ended_event("2026-11-23T12:00:00+01:00"))
    assert response.status_code == 200
    [row] = presence_rows(app)
    assert (row.kind, row.participant_key, row.user_id) == ("ended", None, None)
    assert row.at == datetime(2026, 11, 23, 11, 0, tzinfo=UTC)


# Recorded once ------------------------------------------------------------------------------


def test_a_replayed_request_is_recorded_once(client, app, session_id):
    raw = json.dumps(participant_event(email=MENTEE_EMAIL)).encode()
    headers = signed(raw)
    assert post(client, raw, headers).json == {"status": "recorded", "new": 1}
    assert post(client, raw, headers).json == {"status": "recorded", "new": 0}
    assert len(presence_rows(app)) == 1


def test_zoom_redelivering_with_a_new_signature_is_recorded_once(client, app, session_id, clock):
    raw = json.dumps(participant_event(email=MENTEE_EMAIL)).encode()
    assert post(client, raw).status_code == 200
    clock.shift(timedelta(minutes=3))
    redelivered = json.loads(raw)
    redelivered["event_ts"] += 180_000
    assert post(client, redelivered, signed(json.dumps(redelivered).encode(), at=NOW + timedelta(minutes=3))).json["new"] == 0
    ended = ended_event()
    assert post(client, ended, signed(json.dumps(ended).encode(), at=NOW + timedelta(minutes=3))).json["new"] == 1
    assert post(client, ended, signed(json.dumps(ended).encode(), at=NOW + timedelta(minutes=3))).json["new"] == 0
    assert len(presence_rows(app)) == 2


# Refused: 401 -------------------------------------------------------------------------------


def _tampered_body(raw: bytes) -> tuple[bytes, dict]:
    return raw.replace(b"Max", b"Eve"), signed(raw)


def _tampered_signature(raw: bytes) -> tuple[bytes, dict]:
    headers = signed(raw)
    digest = headers["x-zm-signature"]
    headers["x-zm-signature"] = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    return raw, headers


def _other_timestamp(raw: bytes) -> tuple[bytes, dict]:
    headers = signed(raw)
    headers["x-zm-request-timestamp"] = str(int(headers["x-zm-request-timestamp"]) + 1)
    return raw, headers


REFUSED = {
    "tampered-body": _tampered_body,
    "tampered-signature": _tampered_signature,
    "timestamp-not-the-signed-one": _other_timestamp,
    "wrong-secret": lambda raw: (raw, signed(raw, secret="not-" + SECRET)),
    "no-signature": lambda raw: (raw, {"x-zm-request-timestamp": signed(raw)["x-zm-request-timestamp"]}),
    "no-timestamp": lambda raw: (raw, {"x-zm-signature": signed(raw)["x-zm-signature"]}),
    "no-headers": lambda raw: (raw, {}),
    "signature-without-v0": lambda raw: (raw, {**signed(raw), "x-zm-signature": signed(raw)["x-zm-signature"][3:]}),
    "timestamp-not-a-number": lambda raw: (raw, {**signed(raw), "x-zm-request-timestamp": "soon"}),
    "six-minutes-old": lambda raw: (raw, signed(raw, at=NOW - timedelta(minutes=6))),
    "six-minutes-ahead": lambda raw: (raw, signed(raw, at=NOW + timedelta(minutes=6))),
    "signed-in-1970": lambda raw: (raw, signed(raw, at=datetime(1970, 1, 1, tzinfo=UTC))),
}


@pytest.mark.parametrize("spoil", REFUSED.values(), ids=REFUSED.keys())
def test_a_request_not_signed_now_with_the_secret_is_refused_and_stores_nothing(client, app, session_id, spoil):
    body, headers = spoil(json.dumps(participant_event(email=MENTEE_EMAIL)).encode())
    response = post(client, body, headers)
    assert response.status_code == 401
    assert response.json["error"] == "unauthenticated"
    assert presence_rows(app) == []


def test_four_minutes_old_is_still_fresh(client, app, session_id):
    raw = json.dumps(participant_event(email=MENTEE_EMAIL)).encode()
    assert post(client, raw, signed(raw, at=NOW - timedelta(minutes=4, seconds=59))).status_code == 200


def test_without_a_configured_secret_nothing_is_accepted(database_url, clock):
    with running_app(database_url) as app:
        raw = json.dumps(participant_event()).encode()
        response = app.test_client().post("/webhooks/zoom", data=raw, headers=signed(raw, secret=""))
        assert response.status_code == 401


# URL validation -----------------------------------------------------------------------------


def test_url_validation_answers_the_hmac_of_the_plain_token(client, clock, app):
    response = post(client, {"payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}, "event_ts": 1654503849680,
                             "event": "endpoint.url_validation"})
    assert response.status_code == 200
    expected = hmac.new(SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert response.json == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}


def test_an_unsigned_url_validation_is_refused(client, clock):
    raw = json.dumps({"payload": {"plainToken": "abc"}, "event": "endpoint.url_validation"}).encode()
    response = post(client, raw, {})
    assert response.status_code == 401
    assert "encryptedToken" not in response.get_data(as_text=True)


def test_a_url_validation_without_a_plain_token_is_malformed(client, clock):
    assert post(client, {"payload": {}, "event": "endpoint.url_validation"}).status_code == 400


# Ignored: 202 -------------------------------------------------------------------------------


def test_a_meeting_that_is_no_sessions_is_ignored(client, app, session_id):
    response = post(client, participant_event(meeting_id="11111111111", email=MENTEE_EMAIL))
    assert response.status_code == 202 and response.json["status"] == "ignored"
    assert presence_rows(app) == []


def test_a_jitsi_session_is_not_found_by_a_zoom_meeting_id(client, app, confirmed_with_links):
    with app.app_context():
        session = db.session.get(MentoringSession, confirmed_with_links[0])
        session.meeting_external_id = MEETING_ID  # a stale id left on a session that moved to Jitsi
        db.session.commit()
    assert post(client, participant_event(email=MENTEE_EMAIL)).status_code == 202
    assert presence_rows(app) == []


@pytest.mark.parametrize("event", ["meeting.started", "meeting.participant_joined_waiting_room", "recording.completed"])
def test_events_meetapp_does_not_read_are_ignored(client, app, session_id, event):
    body = participant_event(email=MENTEE_EMAIL)
    body["event"] = event
    assert post(client, body).status_code == 202
    assert presence_rows(app) == []


# Malformed: 400 -----------------------------------------------------------------------------


def _without(path: str):
    def change(body: dict) -> dict:
        *parents, last = path.split(".")
        node = body
        for name in parents:
            node = node[name]
        del node[last]
        return body
    return change


def _set(path: str, value):
    def change(body: dict) -> dict:
        *parents, last = path.split(".")
        node = body
        for name in parents:
            node = node[name]
        node[last] = value
        return body
    return change


MALFORMED = {
    "no-event": _without("event"),
    "no-payload": _without("payload"),
    "payload-a-list": _set("payload", []),
    "no-object": _without("payload.object"),
    "no-meeting-id": _without("payload.object.id"),
    "meeting-id-a-list": _set("payload.object.id", [MEETING_ID]),
    "meeting-id-true": _set("payload.object.id", True),
    "no-participant": _without("payload.object.participant"),
    "no-join-time": _without("payload.object.participant.join_time"),
    "join-time-not-a-time": _set("payload.object.participant.join_time", "half past ten"),
    "join-time-without-offset": _set("payload.object.participant.join_time", "2026-11-23T10:01:30"),
    "join-time-a-number": _set("payload.object.participant.join_time", 1795424490),
    "join-time-overflowing": _set("payload.object.participant.join_time", "9999-12-31T23:59:59-05:00"),
    "no-participant-key": lambda body: _set("payload.object.participant.participant_uuid", "")(
        _without("payload.object.participant.user_id")(body)),
    "nul-in-the-name": _set("payload.object.participant.user_name", "Max\x00"),
    "nul-in-the-meeting-id": _set("payload.object.id", MEETING_ID + "\x00"),
    "lone-surrogate-in-the-key": _set("payload.object.participant.participant_uuid", "\ud800"),
}


@pytest.mark.parametrize("change", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_signed_but_malformed_event_is_a_400(client, app, session_id, change):
    response = post(client, change(participant_event(email=MENTEE_EMAIL)))
    assert response.status_code == 400
    assert response.json["error"] == "invalid"
    assert presence_rows(app) == []


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'"text"', b"\xff\xfe", b'{"event": '])
def test_a_signed_body_that_is_not_a_json_object_is_a_400(client, clock, raw):
    assert post(client, raw).status_code == 400


def test_meeting_ended_without_an_end_time_is_a_400(client, app, session_id):
    assert post(client, _without("payload.object.end_time")(ended_event())).status_code == 400


# Fuzzed -------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
# Mostly Zoom's own shapes and values (so that many examples reach the recording), with anything else mixed in.
ZOOM_EVENTS = ["meeting.participant_joined", "meeting.participant_left", "meeting.ended", "endpoint.url_validation"]
zoom_times = st.sampled_from(["2026-11-23T10:01:30Z", "2026-11-23T11:00:00+01:00"])
participant_values = st.one_of(
    zoom_times, zoom_times, st.just(MENTEE_EMAIL), st.text(), st.integers(), st.none(), st.text(max_size=3)
)
participants = st.fixed_dictionaries(
    {"participant_uuid": participant_values, "join_time": zoom_times | participant_values,
     "leave_time": zoom_times | participant_values},
    optional={name: participant_values for name in ("user_id", "user_name", "id", "email", "registrant_id")},
)
zoom_shaped = st.builds(
    lambda event, meeting_id, participant, end_time: {
        "event": event,
        "payload": {"object": {"id": meeting_id, "participant": participant, "end_time": end_time}},
    },
    st.sampled_from(ZOOM_EVENTS) | st.sampled_from(ZOOM_EVENTS) | st.text(max_size=20),
    st.sampled_from([MEETING_ID, int(MEETING_ID)]) | st.just(MEETING_ID) | json_values,
    participants | participants | json_values,
    zoom_times | json_values,
)


@FUZZ
@given(body=st.binary(max_size=300) | json_values.map(lambda value: json.dumps(value).encode()) | zoom_shaped.map(
    lambda value: json.dumps(value).encode()))
def test_fuzzed_unsigned_bodies_are_refused_and_store_nothing(client, app, session_id, body):
    response = client.post("/webhooks/zoom", data=body, content_type="application/json",
                           headers={"x-zm-signature": "v0=" + "0" * 64, "x-zm-request-timestamp": str(int(NOW.timestamp()))})
    assert response.status_code == 401
    assert presence_rows(app) == []


@FUZZ
@given(body=zoom_shaped | json_values)
def test_fuzzed_signed_bodies_never_make_a_500(client, app, session_id, body):
    response = post(client, json.dumps(body).encode())
    assert response.status_code in (200, 202, 400)


@FUZZ
@given(raw=st.binary(max_size=300))
def test_fuzzed_signed_bytes_never_make_a_500(client, session_id, raw):
    assert post(client, raw).status_code in (200, 202, 400)
