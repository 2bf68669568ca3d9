"""Self-hosted Jitsi's event_sync component telling meetapp who is in a session's room.

Bodies are the component's, as its README documents them; the token is what its `api_headers`
send. Presence is matched to people by the `context.user.id` meetapp puts into their JWT.
"""
import json
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meetapp.domain.presence import Outcome, State
from tests.webhooks.jitsi_support import AFTER_CLOSE, FUZZ, START, book, json_values, presence, report, unix

TOKEN = "TOKEN-237958623045"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
MENTOR_JID = "14f01c40-5195-4a4d-8efb-f58b49d18741@meet.example.org/OWhl8jSh"
MENTEE_JID = "0b0e8a62-7a4c-4f7e-9a51-3f0b9d4c1e22@meet.example.org/Qx7pLm2a"
GUEST_JID = "5d1e4a0c-0e8f-4a7e-8c2f-6a3b1e9d7f10@meet.example.org/Zr4kT9vb"


@pytest.fixture
def app(app):
    app.config["JITSI_EVENTS_TOKEN"] = TOKEN
    return app


@pytest.fixture
def booked(app, clock, api_as, mentor, mentee) -> tuple[str, str]:
    return book(app, api_as, mentor, mentee)


def occupant(jid: str, user_id: int | None, name: str, joined_at, left_at=None, email=None) -> dict:
    """One occupant as event_sync reports it; with token auth, `id`, `name` and `email` are the JWT's."""
    data = {"occupant_jid": jid, "name": name, "joined_at": unix(joined_at)}
    if user_id is not None:
        data["id"] = str(user_id)
    if email is not None:
        data["email"] = email
    if left_at is not None:
        data["left_at"] = unix(left_at)
    return data


def room_event(event_name: str, room: str, **fields) -> dict:
    return {
        "event_name": event_name,
        "room_name": room,
        "room_jid": f"{room}@conference.meet.example.org",
        "is_breakout": False,
        **fields,
    }


def joined(room: str, who: dict) -> dict:
    return room_event("muc-occupant-joined", room, active_occupants_count=1, occupant=who)


def left(room: str, who: dict) -> dict:
    return room_event("muc-occupant-left", room, active_occupants_count=0, occupant=who)


def post(client, path: str, body, headers=BEARER):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(f"/webhooks/jitsi/events/{path}", data=data, headers=headers, content_type="application/json")


# Correct requests ------------------------------------------------------------------------------


def test_a_join_and_a_leave_are_stored_for_the_matched_person(client, booked, mentor):
    session_id, room = booked
    mona = occupant(MENTOR_JID, mentor, "Mona Mentor", START - timedelta(minutes=2))
    assert post(client, "occupant/joined", joined(room, mona)).json == {"status": "recorded", "new": 1}
    mona_gone = occupant(MENTOR_JID, mentor, "Mona Mentor", START - timedelta(minutes=2), START + timedelta(minutes=58))
    assert post(client, "occupant/left", left(room, mona_gone)).status_code == 200

    assert presence(client.application, session_id) == [
        ("joined", START - timedelta(minutes=2), MENTOR_JID, mentor, None),
        ("left", START + timedelta(minutes=58), MENTOR_JID, mentor, None),
    ]


def test_the_report_reads_both_people_present_as_a_held_session(client, booked, mentor, mentee):
    session_id, room = booked
    mona = occupant(MENTOR_JID, mentor, "Mona Mentor", START - timedelta(minutes=2), START + timedelta(minutes=60))
    max_ = occupant(MENTEE_JID, mentee, "Max Mentee", START + timedelta(minutes=1), START + timedelta(minutes=60))
    for who in (mona, max_):
        assert post(client, "occupant/joined", joined(room, who)).status_code == 200
        assert post(client, "occupant/left", left(room, who)).status_code == 200

    attendance = report(client.application, session_id, AFTER_CLOSE)
    assert attendance.outcome is Outcome.HELD
    assert (attendance.mentor.state, attendance.mentee.state) == (State.ATTENDED, State.ATTENDED)
    assert attendance.mentee.minutes_present == 59
    assert attendance.minutes_together == 59


def test_a_tenant_room_with_its_conference_domain_is_the_session_s_room(client, booked, mentee):
    session_id, room = booked
    body = joined(f"[acme]{room.upper()}@conference.meet.example.org", occupant(MENTEE_JID, mentee, "Max", START))
    assert post(client, "occupant/joined", body).status_code == 200
    assert [row[3] for row in presence(client.application, session_id)] == [mentee]


def test_without_a_user_id_the_email_of_the_token_matches(client, booked, mentee):
    session_id, room = booked
    who = occupant(MENTEE_JID, None, "Max", START, email="Max.Mentee@Example.com")
    assert post(client, "occupant/joined", joined(room, who)).status_code == 200
    assert [row[3] for row in presence(client.application, session_id)] == [mentee]


def test_an_unmatched_guest_is_kept_with_the_name_they_gave(client, booked):
    session_id, room = booked
    guest = occupant(GUEST_JID, None, "  Somebody Else ", START)
    assert post(client, "occupant/joined", joined(room, guest)).status_code == 200
    assert presence(client.application, session_id) == [("joined", START, GUEST_JID, None, "Somebody Else")]
    assert [interval.display_name for interval in report(client.application, session_id).unmatched] == [
        "Somebody Else"
    ]


def test_a_destroyed_room_closes_everyone_and_ends_the_meeting(client, booked, mentor, mentee):
    session_id, room = booked
    destroyed_at = START + timedelta(minutes=50)
    mona = occupant(MENTOR_JID, mentor, "Mona", START, START + timedelta(minutes=40))
    max_ = occupant(MENTEE_JID, mentee, "Max", START + timedelta(minutes=3))  # still there: no left_at
    assert post(client, "occupant/left", left(room, mona)).json["new"] == 1  # already told

    destroyed = room_event(
        "muc-room-destroyed", room,
        created_at=unix(START), destroyed_at=unix(destroyed_at), all_occupants=[mona, max_],
    )
    # Mona's leave is the one stored already; her join, Max's join and leave, and the end are new.
    assert post(client, "room/destroyed", destroyed).json == {"status": "recorded", "new": 4}
    assert presence(client.application, session_id) == [
        ("joined", START, MENTOR_JID, mentor, None),
        ("joined", START + timedelta(minutes=3), MENTEE_JID, mentee, None),
        ("left", START + timedelta(minutes=40), MENTOR_JID, mentor, None),
        ("left", destroyed_at, MENTEE_JID, mentee, None),
        ("ended", destroyed_at, None, None, None),
    ]
    assert post(client, "room/destroyed", destroyed).json == {"status": "recorded", "new": 0}


def test_a_created_room_of_a_session_is_acknowledged_and_stores_nothing(client, booked):
    session_id, room = booked
    response = post(client, "room/created", room_event("muc-room-created", room, created_at=unix(START)))
    assert (response.status_code, response.json) == (200, {"status": "recorded", "new": 0})
    assert presence(client.application, session_id) == []


# Replays, unknown rooms, breakouts -----------------------------------------------------------


def test_the_same_event_delivered_twice_is_stored_once(client, booked, mentor):
    session_id, room = booked
    body = joined(room, occupant(MENTOR_JID, mentor, "Mona", START))
    assert post(client, "occupant/joined", body).json["new"] == 1
    assert post(client, "occupant/joined", body).json == {"status": "recorded", "new": 0}
    assert len(presence(client.application, session_id)) == 1


@pytest.mark.parametrize("path", ["occupant/joined", "room/created"])
def test_a_room_that_is_no_session_s_is_ignored(client, booked, path, mentor):
    body = joined("catchup", occupant(MENTOR_JID, mentor, "Mona", START))
    response = post(client, path, body)
    assert (response.status_code, response.json["status"]) == (202, "ignored")
    assert presence(client.application) == []


def test_events_from_a_breakout_room_are_ignored(client, booked, mentor):
    _, room = booked
    body = joined(room, occupant(MENTOR_JID, mentor, "Mona", START)) | {"is_breakout": True, "breakout_room_id": "b1"}
    assert post(client, "occupant/joined", body).status_code == 202
    assert presence(client.application) == []


# Refused requests ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer TOKEN-wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"X-Token": TOKEN},
    ],
    ids=["missing", "wrong-token", "other-scheme", "no-scheme", "longer-token", "other-header"],
)
def test_a_request_without_the_token_is_refused_and_stores_nothing(client, booked, mentor, headers):
    body = joined(booked[1], occupant(MENTOR_JID, mentor, "Mona", START))
    response = post(client, "occupant/joined", body, headers=headers)
    assert (response.status_code, response.json["error"]) == (401, "unauthenticated")
    assert presence(client.application) == []


def test_with_no_token_configured_every_request_is_refused(client, booked, mentor):
    client.application.config["JITSI_EVENTS_TOKEN"] = None
    body = joined(booked[1], occupant(MENTOR_JID, mentor, "Mona", START))
    for headers in (BEARER, {"Authorization": "Bearer "}, {"Authorization": "Bearer None"}):
        assert post(client, "occupant/joined", body, headers=headers).status_code == 401
    assert presence(client.application) == []


def test_the_token_is_checked_before_the_body_is_read(client):
    assert post(client, "occupant/joined", "{not json", headers={}).status_code == 401


@pytest.mark.parametrize(
    "body",
    ["{not json", "[1, 2]", '"a string"', "null", b"\xff\xfe", ""],
    ids=["broken", "array", "string", "null", "not-utf8", "empty"],
)
def test_a_body_that_is_not_a_json_object_is_malformed(client, booked, body):
    response = post(client, "occupant/joined", body)
    assert (response.status_code, response.json["error"]) == (400, "invalid")


@pytest.mark.parametrize(
    "change",
    [
        lambda body: body.pop("room_name"),
        lambda body: body.update(room_name=42.5),
        lambda body: body.pop("occupant"),
        lambda body: body["occupant"].pop("joined_at"),
        lambda body: body["occupant"].update(joined_at="1625823996"),
        lambda body: body["occupant"].update(joined_at=10**30),
        lambda body: body["occupant"].update(joined_at=-1),
        lambda body: body["occupant"].update(joined_at=unix(START + timedelta(days=30))),
        lambda body: body["occupant"].update(joined_at=float("nan")),
        lambda body: body["occupant"].update(occupant_jid=None, id=None),
        lambda body: body["occupant"].update(occupant_jid="a\x00b"),
        lambda body: body["occupant"].update(name="\ud800"),
    ],
    ids=[
        "no-room", "room-not-text", "no-occupant", "no-time", "time-as-text", "time-huge", "time-negative",
        "time-far-ahead", "time-nan", "no-occupant-key", "nul-in-key", "lone-surrogate",
    ],
)
def test_an_event_with_a_missing_or_absurd_field_is_malformed(client, booked, mentor, change):
    body = joined(booked[1], occupant(MENTOR_JID, mentor, "Mona", START))
    change(body)
    response = post(client, "occupant/joined", body)
    assert (response.status_code, response.json["error"]) == (400, "invalid")
    assert presence(client.application) == []


# Fuzzing ---------------------------------------------------------------------------------------

PATHS = st.sampled_from(["occupant/joined", "occupant/left", "room/created", "room/destroyed"])


@FUZZ
@given(path=PATHS, body=json_values)
def test_any_json_with_the_token_is_answered_without_a_server_error(client, booked, path, body):
    assert post(client, path, body).status_code in (200, 202, 400)


@FUZZ
@given(
    path=PATHS,
    occupant_fields=st.dictionaries(
        st.sampled_from(["occupant_jid", "id", "name", "email", "joined_at", "left_at"]), json_values
    ),
    extra=st.dictionaries(st.sampled_from(["is_breakout", "destroyed_at", "all_occupants"]), json_values),
)
def test_an_event_of_the_right_shape_with_any_values_is_never_a_server_error(
    client, booked, path, occupant_fields, extra
):
    _, room = booked
    body = {"room_name": room, "occupant": occupant_fields, **extra}
    if isinstance(extra.get("all_occupants"), list):
        body["all_occupants"] = [occupant_fields, *extra["all_occupants"]]
    assert post(client, path, body).status_code in (200, 202, 400)


@FUZZ
@given(
    path=PATHS,
    body=json_values,
    headers=st.sampled_from([{}, {"Authorization": "Bearer nope"}, {"Authorization": TOKEN}]),
)
def test_an_unsigned_request_never_stores_anything(client, booked, mentor, path, body, headers):
    real = joined(booked[1], occupant(MENTOR_JID, mentor, "Mona", START))
    for attempt in (body, real):
        assert post(client, path, attempt, headers=headers).status_code == 401
    assert presence(client.application) == []
