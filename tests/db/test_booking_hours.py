"""Booking keeps to a mentor's hours, notice, horizon, buffer and session types (409
outside_availability, mentor_busy, 400 sessionType), a mentor may move their own session outside
their hours, a mentor without hours is bookable at any free time, and racing mentees get one slot."""
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from meetapp.domain.errors import MentorBusy
from meetapp.extensions import db
from meetapp.models import MentoringSession, User
from meetapp.services import booking, mentor_hours, mentors
from tests.support import NOW

SESSIONS = "/api/mentoring/sessions"
# Mondays 09:00–12:00 and Tuesdays 09:00–12:00 in Berlin: 08:00–11:00 UTC in winter.
HOURS = {
    "weekly": {"mon": [["09:00", "12:00"]], "tue": [["09:00", "12:00"]]},
    "minimumNoticeMinutes": 60,
    "horizonDays": 14,
    "bufferMinutes": 15,
}
IN_HOURS = "2026-11-30T08:00:00Z"  # Monday 09:00 in Berlin, a week on


def set_hours(app, mentor_id: int, body: dict) -> None:
    with app.app_context():
        mentor = db.session.get(User, mentor_id)
        current = mentor_hours.settings_of(mentor.mentor_profile)
        mentor_hours.save_settings(mentor, mentor_hours.read_settings(body, current=current), NOW)


def sessions_in_db(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(sa.select(MentoringSession.starts_at, MentoringSession.mentee_id).order_by(MentoringSession.starts_at))
        return [(starts_at.isoformat(), mentee_id) for starts_at, mentee_id in rows]


def book(client, mentor_id: int, starts_at: str, **extra):
    return client.post(SESSIONS, json={"mentorId": mentor_id, "startsAt": starts_at, "durationMinutes": 60} | extra)


@pytest.fixture
def with_hours(app, mentor):
    set_hours(app, mentor, HOURS)
    return mentor


@pytest.mark.parametrize(
    ("starts_at", "words"),
    [
        ("2026-11-30T10:30:00Z", "outside the mentor's hours"),  # ends 12:30 in Berlin, past the hours
        ("2026-11-30T12:00:00Z", "outside the mentor's hours"),  # Monday afternoon
        ("2026-11-25T08:00:00Z", "outside the mentor's hours"),  # a Wednesday
        ("2026-11-30T07:45:00Z", "outside the mentor's hours"),  # starts before the hours open
        ("2026-11-23T09:30:00Z", "at least 1 hour ahead"),  # in today's hours, but within the notice
        ("2026-12-07T09:00:00Z", "at most 14 days ahead"),  # past the horizon (now + 14 days)
    ],
)
def test_a_start_outside_the_hours_notice_or_horizon_is_409_and_writes_nothing(app, clock, as_mentee, with_hours, starts_at, words):
    response = book(as_mentee, with_hours, starts_at)
    assert response.status_code == 409
    assert response.json["error"] == "outside_availability"
    assert words in response.json["message"]
    assert response.json["fields"] == {"startsAt": response.json["message"]}
    assert sessions_in_db(app) == []


@pytest.mark.parametrize(
    "starts_at",
    [
        "2026-11-23T10:00:00Z",  # today, an hour ahead exactly, ending as the hours close
        IN_HOURS,
        "2026-12-07T08:00:00Z",  # the last Monday inside the 14-day horizon
        "2026-11-30T09:00:00%2B01:00",  # 09:00 in Berlin, given with its offset
    ],
)
def test_a_start_inside_the_hours_is_booked(app, clock, as_mentee, with_hours, starts_at):
    response = book(as_mentee, with_hours, starts_at.replace("%2B", "+"))
    assert response.status_code == 201, response.json
    assert len(sessions_in_db(app)) == 1


def test_every_offered_slot_can_be_booked(app, clock, as_mentee, with_hours):
    offered = as_mentee.get(f"/api/mentoring/mentors/{with_hours}/slots?from=2026-11-30T00:00:00Z&to=2026-12-01T00:00:00Z").json
    assert offered["slots"]
    assert book(as_mentee, with_hours, offered["slots"][-1]).status_code == 201


def test_the_buffer_keeps_time_free_around_a_session(app, clock, api_as, people, with_hours, mentee):
    assert book(api_as(mentee), with_hours, IN_HOURS).status_code == 201  # 08:00–09:00 UTC
    other = api_as(people.make("mentee", "Olga Other"))
    too_close = book(other, with_hours, "2026-11-30T09:00:00Z")
    assert too_close.status_code == 409
    assert too_close.json["error"] == "mentor_busy"
    assert "15 minutes free" in too_close.json["message"]
    assert book(other, with_hours, "2026-11-30T09:15:00Z").status_code == 201
    assert len(sessions_in_db(app)) == 2


def test_a_type_the_mentor_does_not_offer_is_a_field_error(app, clock, as_mentee, with_hours):
    with app.app_context():
        mentor = db.session.get(User, with_hours)
        mentors.update_profile(mentor, headline="", bio="", specialties=[], languages=[], session_types=["Follow-up"])
    response = book(as_mentee, with_hours, IN_HOURS, sessionType="Standard")
    assert response.status_code == 400
    assert response.json["fields"] == {"sessionType": "Mona Mentor does not offer Standard sessions."}
    assert book(as_mentee, with_hours, IN_HOURS, sessionType="Follow-up", durationMinutes=30).status_code == 201


def test_a_mentor_without_weekly_hours_is_booked_at_any_free_time(app, clock, as_mentee, mentor):
    # 04:00 in Berlin on a Wednesday, half an hour from now: no hours, no notice, no horizon of theirs.
    for starts_at in ("2026-11-25T03:00:00Z", "2026-11-23T09:30:00Z", "2027-06-01T12:00:00Z"):
        assert book(as_mentee, mentor, starts_at, durationMinutes=30).status_code == 201, starts_at
    assert len(sessions_in_db(app)) == 3


def test_hours_removed_make_a_mentor_bookable_at_any_time_again(app, clock, as_mentee, with_hours):
    assert book(as_mentee, with_hours, "2026-11-25T08:00:00Z").status_code == 409
    set_hours(app, with_hours, {"weekly": {}})
    assert book(as_mentee, with_hours, "2026-11-25T08:00:00Z").status_code == 201


def test_a_day_off_refuses_its_weekly_hours(app, clock, as_mentee, with_hours):
    set_hours(app, with_hours, {"exceptions": [{"date": "2026-11-30", "hours": []}]})
    assert book(as_mentee, with_hours, IN_HOURS).json["error"] == "outside_availability"


@pytest.fixture
def booked(app, clock, api_as, with_hours, mentee):
    """A confirmed session at Monday 30 November 09:00 in Berlin."""
    session = book(api_as(mentee), with_hours, IN_HOURS).json["session"]
    assert api_as(with_hours).post(f"/api/mentoring/session/{session['id']}/confirm").status_code == 200
    return session["id"]


def test_a_mentee_cannot_move_a_session_outside_the_hours(app, api_as, mentee, booked):
    for starts_at in ("2026-11-30T13:00:00Z", "2026-11-23T09:30:00Z", "2026-12-08T08:00:00Z"):
        response = api_as(mentee).post(f"/api/mentoring/session/{booked}/reschedule", json={"startsAt": starts_at})
        assert response.status_code == 409, starts_at
        assert response.json["error"] == "outside_availability"
        assert list(response.json["fields"]) == ["startsAt"]
    assert sessions_in_db(app) == [("2026-11-30T08:00:00+00:00", mentee)]


def test_a_mentee_moves_a_session_within_the_hours(app, api_as, mentee, booked):
    response = api_as(mentee).post(f"/api/mentoring/session/{booked}/reschedule", json={"startsAt": "2026-12-01T09:00:00Z"})
    assert response.status_code == 200
    assert response.json["session"]["status"] == "pending"


def test_a_mentor_may_move_their_own_session_outside_their_hours(app, api_as, mentee, with_hours, booked):
    response = api_as(with_hours).post(f"/api/mentoring/session/{booked}/reschedule", json={"startsAt": "2026-11-25T18:00:00Z"})
    assert response.status_code == 200
    assert response.json["session"]["status"] == "confirmed"
    assert sessions_in_db(app) == [("2026-11-25T18:00:00+00:00", mentee)]


def test_a_move_keeps_clear_of_the_buffer_but_not_of_the_session_itself(app, api_as, people, mentee, with_hours, booked):
    other = api_as(people.make("mentee", "Olga Other"))
    second = book(other, with_hours, "2026-11-30T09:30:00Z").json["session"]["id"]
    # The other mentee moves next to the first session: inside its buffer.
    response = other.post(f"/api/mentoring/session/{second}/reschedule", json={"startsAt": "2026-11-30T09:05:00Z"})
    assert (response.status_code, response.json["error"]) == (409, "mentor_busy")
    # The first session moved to end at 09:30 would leave no buffer before the second.
    moved = api_as(mentee).post(f"/api/mentoring/session/{booked}/reschedule", json={"startsAt": "2026-11-30T08:30:00Z"})
    assert (moved.status_code, moved.json["error"]) == (409, "mentor_busy")
    # Moved by a quarter-hour it overlaps its own old time, and ends just the buffer before the second.
    moved = api_as(mentee).post(f"/api/mentoring/session/{booked}/reschedule", json={"startsAt": "2026-11-30T08:15:00Z"})
    assert moved.status_code == 200
    assert sessions_in_db(app)[0] == ("2026-11-30T08:15:00+00:00", mentee)


# Racing for one slot of a mentor with hours ---------------------------------------------

SLOT_START = NOW + timedelta(days=1)  # Tuesday 24 November, 10:00 in Berlin: inside the hours
CHECK_TO_INSERT_DELAY = 0.3


def race(app, mentee_ids: list[int], mentor_id: int) -> list[object]:
    """Book the same slot from one thread per mentee, all released together; their outcomes."""
    start_line = threading.Barrier(len(mentee_ids))
    outcomes: list[object] = [None] * len(mentee_ids)

    def attempt(index: int, mentee_id: int) -> None:
        with app.app_context():
            mentee = db.session.get(User, mentee_id)
            start_line.wait(timeout=10)
            try:
                outcomes[index] = booking.book_session(
                    mentee=mentee, mentor_id=mentor_id, starts_at=SLOT_START, duration_minutes=60, now=NOW
                ).id
            except MentorBusy:
                outcomes[index] = "mentor_busy"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(i, m)) for i, m in enumerate(mentee_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.fixture
def slow_clash_check(monkeypatch):
    """Widen the gap between the overlap check and the insert, where a double booking would slip in."""
    check = booking._refuse_clashes

    def check_then_dawdle(**kwargs):
        check(**kwargs)
        time.sleep(CHECK_TO_INSERT_DELAY)

    monkeypatch.setattr(booking, "_refuse_clashes", check_then_dawdle)


def test_racing_mentees_get_one_slot_of_a_mentor_with_hours(app, people, with_hours, slow_clash_check):
    mentees = [people.make("mentee", f"Racer {n}") for n in range(4)]
    outcomes = race(app, mentees, with_hours)
    winners = [outcome for outcome in outcomes if outcome not in ("mentor_busy", None)]
    assert len(winners) == 1
    assert outcomes.count("mentor_busy") == 3
    assert len(sessions_in_db(app)) == 1


def test_without_the_schedule_lock_the_race_with_hours_double_books(app, people, with_hours, slow_clash_check, monkeypatch):
    """The control: the hours check does not serialise bookings by itself; the lock does."""
    monkeypatch.setattr(booking, "_lock_schedule", lambda mentor_id: None)
    mentees = [people.make("mentee", f"Racer {n}") for n in range(2)]
    outcomes = race(app, mentees, with_hours)
    assert "mentor_busy" not in outcomes
    assert len(sessions_in_db(app)) == 2
