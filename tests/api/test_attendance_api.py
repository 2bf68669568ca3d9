"""GET /api/mentoring/session/<id>/attendance (contract section 4): the mentor and admins read the
join clicks, the presence and the whole report; the mentee only their own; nobody else anything."""
from datetime import UTC, datetime, timedelta

import pytest

from meetapp.extensions import db
from meetapp.models import MentoringSession
from meetapp.services import attendance
from tests.support import CLOSES, START
from tests.web.test_attendance_report_pages import LATE_JOIN, click, presence


@pytest.fixture
def held(app, confirmed_with_links, mentor, mentee) -> str:
    session_id = confirmed_with_links[0]
    click(app, session_id, mentee, LATE_JOIN - timedelta(minutes=1))
    presence(
        app, session_id,
        ("joined", START, mentor, None),
        ("joined", LATE_JOIN, mentee, None),
        ("joined", START + timedelta(minutes=20), None, "Guest Gina"),
        ("left", START + timedelta(minutes=30), None, "Guest Gina"),
        ("left", START + timedelta(minutes=60), mentee, None),
        ("left", START + timedelta(minutes=60), mentor, None),
    )
    return session_id


def url(session_id: str) -> str:
    return f"/api/mentoring/session/{session_id}/attendance"


def mentee_line(mentee: int) -> dict:
    return {
        "userId": mentee, "state": "late",
        "firstClickAt": "2026-11-23T10:06:00Z", "firstClickOutcome": "joined", "firstClickReason": "in_window",
        "firstPresentAt": "2026-11-23T10:07:00Z", "minutesPresent": 53, "minutesLate": 7,
    }


def test_the_mentor_reads_clicks_presence_and_the_whole_report(clock, as_mentor, held, mentor, mentee):
    clock.move_to(CLOSES)
    body = as_mentor.get(url(held)).json
    assert body["events"] == [{"userId": mentee, "at": "2026-11-23T10:06:00Z", "outcome": "joined", "reason": "in_window"}]
    assert body["presence"] == [
        {"userId": mentor, "joinedAt": "2026-11-23T10:00:00Z", "leftAt": "2026-11-23T11:00:00Z", "source": "jitsi"},
        {"userId": mentee, "joinedAt": "2026-11-23T10:07:00Z", "leftAt": "2026-11-23T11:00:00Z", "source": "jitsi"},
        {"userId": None, "joinedAt": "2026-11-23T10:20:00Z", "leftAt": "2026-11-23T10:30:00Z", "source": "jitsi",
         "name": "Guest Gina"},
    ]
    assert body["report"] == {
        "outcome": "held", "minutesTogether": 53, "final": False, "finalisedAt": None, "presenceSource": "jitsi",
        "people": [
            {"userId": mentor, "state": "attended", "firstClickAt": None, "firstClickOutcome": None,
             "firstClickReason": None, "firstPresentAt": "2026-11-23T10:00:00Z", "minutesPresent": 60, "minutesLate": 0},
            mentee_line(mentee),
        ],
    }


def test_an_admin_reads_the_same_as_the_mentor(clock, api_as, people, as_mentor, held):
    clock.move_to(CLOSES)
    admin = api_as(people.make("admin", "Ada Admin"))
    assert admin.get(url(held)).json == as_mentor.get(url(held)).json


def test_the_mentee_reads_only_their_own_clicks_presence_and_line(app, clock, as_mentee, held, mentor, mentee):
    click(app, held, mentor, START - timedelta(minutes=1))
    clock.move_to(CLOSES)
    body = as_mentee.get(url(held)).json
    assert body == {
        "events": [{"userId": mentee, "at": "2026-11-23T10:06:00Z", "outcome": "joined", "reason": "in_window"}],
        "presence": [
            {"userId": mentee, "joinedAt": "2026-11-23T10:07:00Z", "leftAt": "2026-11-23T11:00:00Z", "source": "jitsi"}
        ],
        "report": {"people": [mentee_line(mentee)], "final": False},
    }


def test_a_finalised_report_says_when(app, clock, as_mentor, as_mentee, held):
    finalised_at = CLOSES + timedelta(minutes=1)
    clock.move_to(finalised_at)
    with app.app_context():
        assert attendance.finalise(db.session.get(MentoringSession, held), finalised_at)
    report = as_mentor.get(url(held)).json["report"]
    assert (report["final"], report["finalisedAt"]) == (True, "2026-11-23T11:31:00Z")
    assert as_mentee.get(url(held)).json["report"]["final"] is True


def test_an_open_presence_has_no_left_at(app, clock, as_mentor, confirmed_with_links, mentor):
    presence(app, confirmed_with_links[0], ("joined", START, mentor, None))
    clock.move_to(START + timedelta(minutes=5))
    assert as_mentor.get(url(confirmed_with_links[0])).json["presence"] == [
        {"userId": mentor, "joinedAt": "2026-11-23T10:00:00Z", "leftAt": None, "source": "jitsi"}
    ]


def test_pending_and_cancelled_sessions_have_no_report(clock, as_mentor, as_mentee, mentor, confirmed_with_links):
    pending = as_mentee.post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": "2026-11-24T10:00:00Z", "durationMinutes": 60}
    ).json["session"]
    assert pending["status"] == "pending"
    assert as_mentor.post(f"/api/mentoring/session/{confirmed_with_links[0]}/cancel").status_code == 200
    clock.move_to(datetime(2026, 11, 25, tzinfo=UTC))
    for session_id in (pending["id"], confirmed_with_links[0]):
        for caller in (as_mentor, as_mentee):
            response = caller.get(url(session_id))
            assert response.status_code == 200
            assert response.json["report"] is None


def test_strangers_unknown_sessions_and_anonymous_callers_are_refused(client, api_as, people, held):
    stranger = api_as(people.make("mentee", "Nosy Parker"))
    assert stranger.get(url(held)).status_code == 403
    other_mentor = api_as(people.make("mentor", "Other Mentor"))
    assert other_mentor.get(url(held)).status_code == 403
    assert stranger.get(url("no-such-session")).status_code == 404
    anonymous = client.get(url(held))
    assert anonymous.status_code == 401 and anonymous.json["error"] == "unauthenticated"
