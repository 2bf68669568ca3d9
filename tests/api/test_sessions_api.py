"""The mentoring-session JSON API, as contract section 4 describes it."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from meetapp.extensions import db
from meetapp.models import AdminAction, MentoringSession, MentorProfile, User
from meetapp.services import booking as booking_service
from tests.support import NOW, PASSWORD, People

TOMORROW_3PM = "2026-11-24T15:00:00Z"


def booking(mentor_id, starts_at=TOMORROW_3PM, minutes=60, **extra):
    return {"mentorId": mentor_id, "startsAt": starts_at, "durationMinutes": minutes, **extra}


def count_sessions(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(MentoringSession))


@pytest.fixture
def booked(clock, as_mentee, mentor):
    """A pending session tomorrow at 15:00 UTC, as the API returned it."""
    response = as_mentee.post("/api/mentoring/sessions", json=booking(mentor))
    assert response.status_code == 201, response.json
    return response.json["session"]


def test_booking_returns_the_session_as_the_contract_shows_it(clock, as_mentee, mentor, mentee):
    response = as_mentee.post("/api/mentoring/sessions", json=booking(mentor, "2026-11-24T16:00:00+01:00", 45))
    assert response.status_code == 201
    session = response.json["session"]
    assert session["status"] == "pending"
    assert session["mentor"] == {"id": mentor, "name": "Mona Mentor"}
    assert session["mentee"] == {"id": mentee, "name": "Max Mentee"}
    assert session["sessionType"] == "Standard"
    assert session["startsAt"] == "2026-11-24T15:00:00Z"
    assert session["endsAt"] == "2026-11-24T15:45:00Z"
    assert session["durationMinutes"] == 45
    assert not session["id"].isdigit() and len(session["id"]) >= 16
    assert response.headers["Location"].endswith(f"/api/mentoring/session/{session['id']}")


def test_a_start_with_a_fraction_of_a_second_is_stored_on_the_whole_second(app, clock, as_mentee, mentor):
    # Pages open Join by the second: a start half a second after 15:00 would open theirs before the proxy.
    response = as_mentee.post("/api/mentoring/sessions", json=booking(mentor, "2026-11-24T15:00:00.500Z", 30))
    assert response.status_code == 201
    assert (response.json["session"]["startsAt"], response.json["session"]["endsAt"]) == (
        "2026-11-24T15:00:00Z",
        "2026-11-24T15:30:00Z",
    )
    with app.app_context():
        stored = db.session.get(MentoringSession, response.json["session"]["id"])
        assert (stored.starts_at.microsecond, stored.ends_at.microsecond) == (0, 0)


def test_booking_a_named_session_type_is_case_insensitive(clock, as_mentee, mentor):
    response = as_mentee.post("/api/mentoring/sessions", json=booking(mentor, sessionType="quick CHECK-UP", minutes=15))
    assert response.status_code == 201
    assert response.json["session"]["sessionType"] == "Quick check-up"


def test_a_mentor_who_auto_confirms_gets_a_confirmed_session(app, clock, as_mentee, mentor):
    with app.app_context():
        db.session.get(MentorProfile, mentor).auto_confirm = True
        db.session.commit()
    response = as_mentee.post("/api/mentoring/sessions", json=booking(mentor))
    assert response.status_code == 201
    assert response.json["session"]["status"] == "confirmed"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"startsAt": "2026-11-24T15:00:00"}, "startsAt", "time zone"),
        ({"startsAt": "2026-11-23T08:59:00Z"}, "startsAt", "past"),
        ({"startsAt": "next tuesday"}, "startsAt", "ISO 8601"),
        ({"startsAt": 1764000000}, "startsAt", "ISO 8601"),
        ({"startsAt": "2" * 100_000}, "startsAt", "ISO 8601"),
        ({"startsAt": None}, "startsAt", "start time"),
        ({"durationMinutes": 14}, "durationMinutes", "between 15 and 240"),
        ({"durationMinutes": 241}, "durationMinutes", "between 15 and 240"),
        ({"durationMinutes": "60"}, "durationMinutes", "whole number"),
        ({"durationMinutes": 60.5}, "durationMinutes", "whole number"),
        ({"durationMinutes": True}, "durationMinutes", "whole number"),
        ({"durationMinutes": None}, "durationMinutes", "whole number"),
        ({"mentorId": 999_999}, "mentorId", "no mentor"),
        ({"mentorId": "1"}, "mentorId", "Choose a mentor"),
        ({"mentorId": None}, "mentorId", "Choose a mentor"),
        ({"mentorId": [1]}, "mentorId", "Choose a mentor"),
        ({"sessionType": "Séance"}, "sessionType", "no session type"),
        ({"sessionType": "x" * 10_000}, "sessionType", "by its name"),
        ({"sessionType": 3}, "sessionType", "by its name"),
    ],
)
def test_invalid_bookings_name_the_field_and_write_nothing(app, clock, as_mentee, mentor, change, field, words):
    response = as_mentee.post("/api/mentoring/sessions", json={**booking(mentor), **change})
    assert response.status_code == 400
    assert response.json["error"] == "validation_error"
    assert words in response.json["fields"][field]
    assert response.json["message"]
    assert count_sessions(app) == 0


def test_an_empty_booking_lists_every_missing_field(clock, as_mentee):
    response = as_mentee.post("/api/mentoring/sessions", json={})
    assert response.status_code == 400
    assert set(response.json["fields"]) == {"mentorId", "startsAt", "durationMinutes"}


def test_booking_another_mentee_as_mentor_is_refused(clock, as_mentee, people):
    other_mentee = people.make("mentee", "Olga Other")
    response = as_mentee.post("/api/mentoring/sessions", json=booking(other_mentee))
    assert response.status_code == 400
    assert "no mentor" in response.json["fields"]["mentorId"]


def test_booking_yourself_is_refused(clock, as_mentee, mentee):
    response = as_mentee.post("/api/mentoring/sessions", json=booking(mentee))
    assert response.status_code == 400
    assert "yourself" in response.json["fields"]["mentorId"]


def test_only_mentees_book(clock, as_mentor, people):
    other_mentor = people.make("mentor", "Otto Other")
    response = as_mentor.post("/api/mentoring/sessions", json=booking(other_mentor))
    assert response.status_code == 403
    assert response.json["error"] == "not_mentee"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"{not json", "application/json"), (b"[1, 2]", "application/json"), (b'"text"', "application/json"), (b"\xff\xfe", "text/plain")],
)
def test_malformed_bodies_are_json_errors(app, client, people, mentee, clock, body, content_type):
    token = people.token(mentee)
    response = client.post(
        "/api/mentoring/sessions",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
    )
    assert response.status_code == 400
    assert response.json["error"] == "invalid_json"
    assert count_sessions(app) == 0


def test_an_oversized_body_is_refused_with_413(client, people, mentee):
    token = people.token(mentee)
    response = client.post(
        "/api/mentoring/sessions",
        data=b'{"pad": "' + b"x" * 300_000 + b'"}',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json["error"] == "payload_too_large"


def test_an_overlapping_booking_is_mentor_busy_and_writes_nothing(app, booked, api_as, people, mentor):
    second_mentee = api_as(people.make("mentee", "Sam Second"))
    response = second_mentee.post("/api/mentoring/sessions", json=booking(mentor, "2026-11-24T15:30:00Z", 30))
    assert response.status_code == 409
    assert response.json["error"] == "mentor_busy"
    assert count_sessions(app) == 1


def test_back_to_back_sessions_do_not_overlap(booked, api_as, people, mentor):
    second_mentee = api_as(people.make("mentee", "Sam Second"))
    after = second_mentee.post("/api/mentoring/sessions", json=booking(mentor, "2026-11-24T16:00:00Z", 30))
    before = second_mentee.post("/api/mentoring/sessions", json=booking(mentor, "2026-11-24T14:00:00Z"))
    assert (after.status_code, before.status_code) == (201, 201)
    straddling = second_mentee.post("/api/mentoring/sessions", json=booking(mentor, "2026-11-24T14:59:00Z", 15))
    assert straddling.status_code == 409


def test_a_cancelled_session_frees_its_slot(booked, as_mentee, api_as, people, mentor):
    assert as_mentee.post(f"/api/mentoring/session/{booked['id']}/cancel").status_code == 200
    second_mentee = api_as(people.make("mentee", "Sam Second"))
    assert second_mentee.post("/api/mentoring/sessions", json=booking(mentor)).status_code == 201


def test_a_mentee_cannot_be_in_two_sessions_at_once(booked, as_mentee, people):
    other_mentor = people.make("mentor", "Otto Other")
    response = as_mentee.post("/api/mentoring/sessions", json=booking(other_mentor, "2026-11-24T15:15:00Z", 15))
    assert response.status_code == 409
    assert response.json["error"] == "mentee_busy"


def test_each_person_lists_only_their_own_sessions(booked, as_mentee, as_mentor, api_as, people):
    assert [s["id"] for s in as_mentee.get("/api/mentoring/sessions").json["sessions"]] == [booked["id"]]
    assert [s["id"] for s in as_mentor.get("/api/mentoring/sessions").json["sessions"]] == [booked["id"]]
    stranger = api_as(people.make("mentee", "Stranger Danger"))
    assert stranger.get("/api/mentoring/sessions").json == {"sessions": []}


def test_a_participant_reads_a_session(booked, as_mentor):
    response = as_mentor.get(f"/api/mentoring/session/{booked['id']}")
    assert response.status_code == 200
    seen_by_mentor = response.json["session"]
    # Everything is shared but the join link, which is each person's own.
    assert {k: v for k, v in seen_by_mentor.items() if k != "joinUrl"} == {k: v for k, v in booked.items() if k != "joinUrl"}
    assert seen_by_mentor["joinUrl"] != booked["joinUrl"]
    assert seen_by_mentor["joinUrl"].startswith("http://127.0.0.1:5000/join/")


@pytest.mark.parametrize("path", ["", "/confirm", "/decline", "/cancel", "/reschedule"])
def test_other_people_get_403_and_unknown_ids_404(booked, api_as, people, path):
    stranger = api_as(people.make("mentor", "Stranger Mentor"))
    method = stranger.get if path == "" else stranger.post
    response = method(f"/api/mentoring/session/{booked['id']}{path}")
    assert response.status_code == 403
    assert response.json["error"] == "not_participant"
    assert "Max Mentee" not in response.get_data(as_text=True)
    response = method(f"/api/mentoring/session/not-a-real-id{path}")
    assert response.status_code == 404
    assert response.json["error"] == "not_found"
    assert method(f"/api/mentoring/session/{'x' * 5000}{path}").status_code == 404


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer mtk_forged"}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}])
def test_no_or_bad_credentials_are_401(client, headers):
    for method, path in [("get", "/api/mentoring/sessions"), ("post", "/api/mentoring/sessions"), ("get", "/api/mentoring/session/abc")]:
        response = getattr(client, method)(path, headers=headers)
        assert response.status_code == 401
        assert response.json["error"] == "unauthenticated"


def test_the_mentor_confirms_once(booked, as_mentor):
    response = as_mentor.post(f"/api/mentoring/session/{booked['id']}/confirm")
    assert response.status_code == 200
    assert response.json["session"]["status"] == "confirmed"
    again = as_mentor.post(f"/api/mentoring/session/{booked['id']}/confirm")
    assert again.status_code == 409
    assert again.json["error"] == "already_confirmed"


def test_the_mentee_cannot_confirm(booked, as_mentee):
    response = as_mentee.post(f"/api/mentoring/session/{booked['id']}/confirm")
    assert response.status_code == 403
    assert response.json["error"] == "not_mentor"


def test_cancelling_records_who_and_why_and_cannot_happen_twice(booked, as_mentee, as_mentor, mentee):
    response = as_mentor.post(f"/api/mentoring/session/{booked['id']}/cancel", json={"reason": "  Ill today  "})
    assert response.status_code == 200
    cancelled = response.json["session"]
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancellation"]["reason"] == "Ill today"
    assert cancelled["cancellation"]["by"]["name"] == "Mona Mentor"
    again = as_mentee.post(f"/api/mentoring/session/{booked['id']}/cancel")
    assert again.status_code == 409
    assert again.json["error"] == "already_cancelled"
    assert as_mentor.post(f"/api/mentoring/session/{booked['id']}/confirm").json["error"] == "cancelled"


def test_an_overlong_cancel_reason_changes_nothing(booked, as_mentee):
    response = as_mentee.post(f"/api/mentoring/session/{booked['id']}/cancel", json={"reason": "x" * 501})
    assert response.status_code == 400
    assert "reason" in response.json["fields"]
    assert as_mentee.get(f"/api/mentoring/session/{booked['id']}").json["session"]["status"] == "pending"


def test_rescheduling_moves_the_session_and_revokes_earlier_links(app, booked, as_mentee):
    response = as_mentee.post(
        f"/api/mentoring/session/{booked['id']}/reschedule", json={"startsAt": "2026-11-25T10:00:00-05:00"}
    )
    assert response.status_code == 200
    session = response.json["session"]
    assert session["startsAt"] == "2026-11-25T15:00:00Z"
    assert session["durationMinutes"] == 60
    assert session["status"] == "pending"
    with app.app_context():
        assert db.session.get(MentoringSession, booked["id"]).link_version == 2


def test_rescheduling_can_change_the_duration(booked, as_mentor):
    response = as_mentor.post(
        f"/api/mentoring/session/{booked['id']}/reschedule", json={"startsAt": "2026-11-24T15:00:00Z", "durationMinutes": 90}
    )
    assert response.status_code == 200
    assert response.json["session"]["endsAt"] == "2026-11-24T16:30:00Z"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"startsAt": "2026-11-20T10:00:00Z"}, "startsAt"),
        ({"startsAt": "2026-11-25T10:00:00"}, "startsAt"),
        ({}, "startsAt"),
        ({"startsAt": "2026-11-25T10:00:00Z", "durationMinutes": 500}, "durationMinutes"),
    ],
)
def test_invalid_reschedules_change_nothing(app, booked, as_mentee, body, field):
    response = as_mentee.post(f"/api/mentoring/session/{booked['id']}/reschedule", json=body)
    assert response.status_code == 400
    assert field in response.json["fields"]
    with app.app_context():
        session = db.session.get(MentoringSession, booked["id"])
        assert (session.starts_at, session.link_version) == (NOW + timedelta(hours=30), 1)


def test_rescheduling_onto_another_booking_is_mentor_busy(booked, api_as, people, mentor, as_mentee):
    other = api_as(people.make("mentee", "Sam Second"))
    assert other.post("/api/mentoring/sessions", json=booking(mentor, "2026-11-26T15:00:00Z")).status_code == 201
    response = as_mentee.post(f"/api/mentoring/session/{booked['id']}/reschedule", json={"startsAt": "2026-11-26T15:30:00Z"})
    assert response.status_code == 409
    assert response.json["error"] == "mentor_busy"


def test_rescheduling_within_its_own_slot_is_not_a_clash(booked, as_mentee):
    response = as_mentee.post(f"/api/mentoring/session/{booked['id']}/reschedule", json={"startsAt": "2026-11-24T15:30:00Z"})
    assert response.status_code == 200


def test_a_cancelled_session_cannot_be_rescheduled(booked, as_mentee):
    as_mentee.post(f"/api/mentoring/session/{booked['id']}/cancel")
    response = as_mentee.post(f"/api/mentoring/session/{booked['id']}/reschedule", json={"startsAt": "2026-11-25T10:00:00Z"})
    assert response.status_code == 409
    assert response.json["error"] == "cancelled"


def test_a_session_that_is_over_cannot_be_changed(booked, clock, as_mentor):
    clock.shift(timedelta(days=2))
    for action in ("confirm", "cancel"):
        response = as_mentor.post(f"/api/mentoring/session/{booked['id']}/{action}")
        assert response.status_code == 409
        assert response.json["error"] == "session_over"


# Declining ----------------------------------------------------------------------------


def stored(app, session_id: str) -> MentoringSession:
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        db.session.expunge(session)
        return session


def test_the_mentor_declines_a_request_with_a_reason(app, booked, as_mentor, as_mentee, mentor):
    response = as_mentor.post(f"/api/mentoring/session/{booked['id']}/decline", json={"reason": "  Away that week. "})
    assert response.status_code == 200
    declined = response.json["session"]
    assert declined["status"] == "declined"
    assert declined["cancellation"]["reason"] == "Away that week."
    assert declined["cancellation"]["by"] == {"id": mentor, "name": "Mona Mentor"}
    assert as_mentee.get(f"/api/mentoring/session/{booked['id']}").json["session"]["status"] == "declined"
    saved = stored(app, booked["id"])
    assert saved.link_version == 2, "every earlier join link dies"


def test_a_decline_without_a_body_or_reason_is_fine(booked, as_mentor):
    response = as_mentor.post(f"/api/mentoring/session/{booked['id']}/decline")
    assert response.status_code == 200
    assert response.json["session"]["cancellation"]["reason"] is None


def test_the_mentee_cannot_decline_and_is_told_to_cancel(app, booked, as_mentee):
    response = as_mentee.post(f"/api/mentoring/session/{booked['id']}/decline", json={})
    assert response.status_code == 403
    assert response.json["error"] == "not_mentor"
    assert "cancel it" in response.json["message"]
    assert stored(app, booked["id"]).status.value == "pending"


def test_a_confirmed_session_is_cancelled_not_declined(app, booked, as_mentor):
    as_mentor.post(f"/api/mentoring/session/{booked['id']}/confirm")
    response = as_mentor.post(f"/api/mentoring/session/{booked['id']}/decline", json={"reason": "No"})
    assert response.status_code == 409
    assert response.json["error"] == "already_confirmed"
    assert "cancel it instead" in response.json["message"]
    saved = stored(app, booked["id"])
    assert (saved.status.value, saved.cancel_reason) == ("confirmed", None)


def test_a_declined_request_cannot_be_declined_confirmed_moved_or_cancelled(booked, as_mentor, as_mentee):
    assert as_mentor.post(f"/api/mentoring/session/{booked['id']}/decline").status_code == 200
    again = as_mentor.post(f"/api/mentoring/session/{booked['id']}/decline")
    assert (again.status_code, again.json["error"]) == (409, "already_cancelled")
    confirm = as_mentor.post(f"/api/mentoring/session/{booked['id']}/confirm")
    assert (confirm.status_code, confirm.json["error"]) == (409, "cancelled")
    assert "declined; book a new time instead" in confirm.json["message"]
    move = as_mentee.post(f"/api/mentoring/session/{booked['id']}/reschedule", json={"startsAt": "2026-11-25T10:00:00Z"})
    assert (move.status_code, move.json["error"]) == (409, "cancelled")
    cancel = as_mentee.post(f"/api/mentoring/session/{booked['id']}/cancel")
    assert (cancel.status_code, cancel.json["error"]) == (409, "already_cancelled")


@pytest.mark.parametrize("reason", ["x" * 501, 42, ["No"]])
def test_a_bad_decline_reason_changes_nothing(app, booked, as_mentor, reason):
    response = as_mentor.post(f"/api/mentoring/session/{booked['id']}/decline", json={"reason": reason})
    assert response.status_code == 400
    assert "reason" in response.json["fields"]
    assert stored(app, booked["id"]).status.value == "pending"


def test_a_declined_request_frees_its_slot(booked, as_mentor, api_as, people, mentor):
    as_mentor.post(f"/api/mentoring/session/{booked['id']}/decline")
    second_mentee = api_as(people.make("mentee", "Sam Second"))
    assert second_mentee.post("/api/mentoring/sessions", json=booking(mentor)).status_code == 201


def test_a_declined_request_is_cancelled_at_the_join_door_in_its_own_words(booked, clock, as_mentor, as_mentee):
    as_mentor.post(f"/api/mentoring/session/{booked['id']}/decline")
    access = as_mentee.get(f"/api/mentoring/session/{booked['id']}/access").json
    assert access["access"]["status"] == "cancelled"
    assert access["access"]["message"] == "This request was declined."
    assert "joinUrl" not in access
    clock.move_to(NOW + timedelta(hours=30))
    join = as_mentee.get(f"/api/mentoring/session/{booked['id']}/join")
    assert (join.status_code, join.json["error"]) == (410, "cancelled")
    assert join.json["message"] == "This request was declined."


def test_an_admins_cancellation_names_meetapp_support_to_the_people_only(app, booked, as_mentee, api_as, people):
    admin = people.make("admin", "Ada Admin")
    with app.app_context():
        session = db.session.get(MentoringSession, booked["id"])
        booking_service.cancel_session(session, user=db.session.get(User, admin), reason="Reported.", now=NOW)
    cancellation = as_mentee.get(f"/api/mentoring/session/{booked['id']}").json["session"]["cancellation"]
    assert cancellation == {"by": None, "bySupport": True, "reason": "Reported.", "at": "2026-11-23T09:00:00Z"}
    # The API is for the session's people; an admin does not call off a session through it.
    refused = api_as(admin).post(f"/api/mentoring/session/{booked['id']}/cancel", json={"reason": "x"})
    assert refused.status_code == 403


def test_an_admins_new_link_is_logged_with_the_change(app, booked, api_as, people):
    admin = people.make("admin", "Ada Admin")
    response = api_as(admin).post(f"/api/mentoring/session/{booked['id']}/generate-link")
    assert response.status_code == 200
    with app.app_context():
        rows = db.session.execute(sa.select(AdminAction.admin_id, AdminAction.action, AdminAction.subject)).all()
    assert [tuple(row) for row in rows] == [(admin, "session.new_link", f"session:{booked['id']}")]
    assert stored(app, booked["id"]).link_version == 2


# Rescheduling: who moved it, and whether it waits for the mentor ------------------------


def test_the_mentees_move_of_a_confirmed_session_waits_for_the_mentor(app, booked, as_mentor, as_mentee):
    as_mentor.post(f"/api/mentoring/session/{booked['id']}/confirm")
    response = as_mentee.post(f"/api/mentoring/session/{booked['id']}/reschedule", json={"startsAt": "2026-11-25T10:00:00Z"})
    assert response.status_code == 200
    assert response.json["rescheduledBy"] == "mentee"
    assert response.json["needsConfirmation"] is True
    assert response.json["session"]["status"] == "pending"
    assert response.json["session"]["startsAt"] == "2026-11-25T10:00:00Z"
    assert stored(app, booked["id"]).confirmed_at is None
    confirmed = as_mentor.post(f"/api/mentoring/session/{booked['id']}/confirm")
    assert confirmed.json["session"]["status"] == "confirmed"
    assert confirmed.json["session"]["startsAt"] == "2026-11-25T10:00:00Z"


def test_the_mentors_move_of_a_confirmed_session_stands(booked, as_mentor):
    as_mentor.post(f"/api/mentoring/session/{booked['id']}/confirm")
    response = as_mentor.post(f"/api/mentoring/session/{booked['id']}/reschedule", json={"startsAt": "2026-11-25T10:00:00Z"})
    assert response.status_code == 200
    assert (response.json["rescheduledBy"], response.json["needsConfirmation"]) == ("mentor", False)
    assert response.json["session"]["status"] == "confirmed"


@pytest.mark.parametrize("mover", ["as_mentee", "as_mentor"])
def test_a_moved_request_still_waits_for_the_mentor(request, booked, mover):
    response = request.getfixturevalue(mover).post(
        f"/api/mentoring/session/{booked['id']}/reschedule", json={"startsAt": "2026-11-25T10:00:00Z"}
    )
    assert response.json["session"]["status"] == "pending"
    assert response.json["needsConfirmation"] is True
    assert response.json["rescheduledBy"] == mover.removeprefix("as_")


def test_the_mentor_may_decline_the_new_time_and_the_old_one_does_not_come_back(booked, as_mentor, as_mentee):
    as_mentor.post(f"/api/mentoring/session/{booked['id']}/confirm")
    as_mentee.post(f"/api/mentoring/session/{booked['id']}/reschedule", json={"startsAt": "2026-11-25T10:00:00Z"})
    response = as_mentor.post(f"/api/mentoring/session/{booked['id']}/decline", json={"reason": "Not that day"})
    assert response.status_code == 200
    session = response.json["session"]
    assert session["status"] == "declined"
    assert session["startsAt"] == "2026-11-25T10:00:00Z"


def test_moving_a_confirmed_session_back_to_pending_is_no_new_request(app, clock, as_mentee, as_mentor, mentor):
    # At the cap of unanswered requests with this mentor, the mentee may still move a confirmed session.
    app.config.update(MAX_PENDING_PER_MENTOR=2)
    confirmed = as_mentee.post("/api/mentoring/sessions", json=booking(mentor, "2026-11-24T09:00:00Z")).json["session"]
    as_mentor.post(f"/api/mentoring/session/{confirmed['id']}/confirm")
    for hour in (11, 13):
        assert as_mentee.post("/api/mentoring/sessions", json=booking(mentor, f"2026-11-24T{hour}:00:00Z")).status_code == 201
    assert as_mentee.post("/api/mentoring/sessions", json=booking(mentor, "2026-11-24T16:00:00Z")).status_code == 409

    moved = as_mentee.post(f"/api/mentoring/session/{confirmed['id']}/reschedule", json={"startsAt": "2026-11-25T09:00:00Z"})
    assert moved.status_code == 200
    assert moved.json["session"]["status"] == "pending"


def test_unknown_api_routes_and_methods_answer_in_json(as_mentee):
    missing = as_mentee.get("/api/mentoring/nothing-here")
    assert missing.status_code == 404 and missing.json["error"] == "not_found"
    wrong_method = as_mentee.put("/api/mentoring/sessions", json={})
    assert wrong_method.status_code == 405 and wrong_method.json["error"] == "method_not_allowed"


def test_a_logged_in_browser_writes_only_with_the_csrf_header(csrf_app, clock):
    people = People(csrf_app)
    mentor, _ = people.make("mentor", "Mona Mentor"), people.make("mentee", "Max Mentee")
    client = csrf_app.test_client()
    login_page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    logged_in = client.post("/auth/login", data={"email": "max.mentee@example.com", "password": PASSWORD, "csrf_token": token})
    assert logged_in.status_code == 302

    assert client.get("/api/mentoring/sessions").status_code == 200
    refused = client.post("/api/mentoring/sessions", json=booking(mentor))
    assert refused.status_code == 400
    assert refused.json["error"] == "csrf_failed"
    # The login issued a new CSRF token: the one from before it is worthless now.
    stale = client.post("/api/mentoring/sessions", json=booking(mentor), headers={"X-CSRFToken": token})
    assert stale.status_code == 400 and stale.json["error"] == "csrf_failed"
    token = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/").get_data(as_text=True)).group(1)
    accepted = client.post("/api/mentoring/sessions", json=booking(mentor), headers={"X-CSRFToken": token})
    assert accepted.status_code == 201
