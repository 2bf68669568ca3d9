"""Floods of bookings: booking and rescheduling limited per person (BOOKING_RATE_LIMIT), and a cap on
unanswered requests a mentee may have (MAX_PENDING_BOOKINGS, MAX_PENDING_PER_MENTOR).

The test config raises all three out of the way; each test here sets back the one it is about.
"""
import re
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from meetapp.config import from_environ
from meetapp.extensions import db
from meetapp.models import MentoringSession, MentorProfile, OutboxMail, User
from meetapp.services import booking
from tests.support import NOW

MENTEE_EMAIL = "max.mentee@example.com"
HTMX = {"HX-Request": "true"}
TOO_OFTEN = "You have booked or moved sessions too often for now. Please try again in 1 minute."


def starts(day: int, hour: int = 10) -> str:
    """An ISO time `day` days after NOW, on the hour, in UTC."""
    return (NOW + timedelta(days=day)).replace(hour=hour).isoformat().replace("+00:00", "Z")


def book(api, mentor: int, day: int, duration: int = 60):
    return api.post("/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": starts(day), "durationMinutes": duration})


def book_directly(app, mentee: int, mentor: int, day: int) -> str:
    """A booking through the service, as no request makes it: it counts against no rate limit."""
    with app.app_context():
        session = booking.book_session(
            mentee=db.session.get(User, mentee), mentor_id=mentor,
            starts_at=NOW + timedelta(days=day), duration_minutes=60, now=NOW,
        )
        return session.id


def sessions_of(app, mentee: int) -> list[MentoringSession]:
    with app.app_context():
        rows = db.session.scalars(sa.select(MentoringSession).where(MentoringSession.mentee_id == mentee)).all()
        db.session.expunge_all()
        return rows


def mail_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail))


def auto_confirming(app, mentor: int) -> None:
    with app.app_context():
        db.session.get(MentorProfile, mentor).auto_confirm = True
        db.session.commit()


def alert(page: str) -> str:
    match = re.search(r'<div class="alert alert-error" role="alert">(.*?)</div>', page, re.S)
    return " ".join(match.group(1).split()) if match else ""


# The rate limit, in the API ----------------------------------------------------------------


def test_booking_over_the_rate_limit_is_429_with_retry_after_and_books_nothing(app, clock, as_mentee, mentor, mentee):
    app.config["BOOKING_RATE_LIMIT"] = "2 per minute"
    assert [book(as_mentee, mentor, day).status_code for day in (1, 2)] == [201, 201]
    refused = book(as_mentee, mentor, 3)
    assert refused.status_code == 429
    assert refused.json["error"] == "rate_limited"
    assert refused.json["message"] == "Too many attempts for now. Try again in 60 seconds."
    assert refused.headers["Retry-After"] == "60"
    assert refused.headers["Cache-Control"] == "no-store"
    assert len(sessions_of(app, mentee)) == 2
    clock.shift(timedelta(seconds=61))
    assert book(as_mentee, mentor, 3).status_code == 201


def test_refused_attempts_count_too(app, clock, as_mentee, mentor):
    app.config["BOOKING_RATE_LIMIT"] = "2 per minute"
    # Attempts the booking service turns down are attempts all the same.
    assert book(as_mentee, mentor, -1).status_code == 400
    assert book(as_mentee, 999999, 1).status_code == 400
    assert book(as_mentee, mentor, 1).status_code == 429


def test_rescheduling_counts_against_the_same_limit(app, clock, as_mentee, mentor, mentee):
    app.config["BOOKING_RATE_LIMIT"] = "2 per minute"
    session_id = book(as_mentee, mentor, 1).json["session"]["id"]
    moved = as_mentee.post(f"/api/mentoring/session/{session_id}/reschedule", json={"startsAt": starts(2)})
    assert moved.status_code == 200
    refused = as_mentee.post(f"/api/mentoring/session/{session_id}/reschedule", json={"startsAt": starts(3)})
    assert refused.status_code == 429 and refused.json["error"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    [session] = sessions_of(app, mentee)
    assert session.starts_at == NOW.replace(hour=10) + timedelta(days=2)


def test_the_limit_is_per_person(app, clock, api_as, people, as_mentee, as_mentor, mentor):
    app.config["BOOKING_RATE_LIMIT"] = "1 per minute"
    other = api_as(people.make("mentee", "Olga Other"))
    session_id = book(as_mentee, mentor, 1).json["session"]["id"]
    assert book(as_mentee, mentor, 2).status_code == 429
    assert book(other, mentor, 3).status_code == 201
    # The mentor has a count of their own.
    assert as_mentor.post(f"/api/mentoring/session/{session_id}/reschedule", json={"startsAt": starts(4)}).status_code == 200


# The rate limit, in the pages --------------------------------------------------------------


def booking_form(mentor: int, starts_at: str) -> dict:
    return {"mentor": str(mentor), "session_type": "Standard", "starts_at": starts_at, "duration": "60"}


def test_the_booking_form_says_by_the_form_when_the_limit_is_reached(app, client, auth, clock, mentor, mentee):
    app.config["BOOKING_RATE_LIMIT"] = "1 per minute"
    auth.login(MENTEE_EMAIL)
    assert client.post("/sessions/new", data=booking_form(mentor, "2026-11-24T10:00")).status_code == 302
    response = client.post("/sessions/new", data=booking_form(mentor, "2026-11-25T10:00"))
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"
    page = response.get_data(as_text=True)
    assert alert(page) == f"<p>{TOO_OFTEN}</p>"
    assert page.index("role=\"alert\"") < page.index('<form method="post" action="/sessions/new"')
    assert 'value="2026-11-25T10:00"' in page, "what was typed stays"
    assert len(sessions_of(app, mentee)) == 1


def test_the_reschedule_form_says_by_the_form_when_the_limit_is_reached(app, client, auth, clock, mentor, mentee):
    app.config["BOOKING_RATE_LIMIT"] = "1 per minute"
    session_id = book_directly(app, mentee, mentor, 1)
    auth.login(MENTEE_EMAIL)
    moved = client.post(f"/sessions/{session_id}/reschedule", data={"starts_at": "2026-11-25T10:00", "duration": "60"})
    assert moved.status_code == 302
    for headers in ({}, HTMX):
        response = client.post(
            f"/sessions/{session_id}/reschedule", data={"starts_at": "2026-11-26T10:00", "duration": "60"}, headers=headers
        )
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "60"
        page = response.get_data(as_text=True)
        assert '<details class="action" open>' in page
        form = page[page.index(f'action="/sessions/{session_id}/reschedule"'):]
        assert TOO_OFTEN in form[: form.index("</form>")]
        assert 'value="2026-11-26T10:00"' in page
    assert page.lstrip().startswith('<section id="session-panel"')
    [session] = sessions_of(app, mentee)
    assert session.starts_at == NOW.replace(day=25, hour=15)


# The caps on unanswered requests -----------------------------------------------------------


def test_a_mentee_may_wait_on_so_many_requests_per_mentor_and_in_all(app, clock, people, as_mentee, mentor):
    app.config.update(MAX_PENDING_BOOKINGS=3, MAX_PENDING_PER_MENTOR=2)
    second, third = people.make("mentor", "Sam Second"), people.make("mentor", "Tia Third")
    assert [book(as_mentee, mentor, day).status_code for day in (1, 2)] == [201, 201]
    per_mentor = book(as_mentee, mentor, 3)
    assert per_mentor.status_code == 409
    assert per_mentor.json == {
        "error": "too_many_pending",
        "message": "You already have 2 requests waiting for this mentor's answer. "
        "Wait for an answer, or cancel one, before asking for another time.",
    }
    assert book(as_mentee, second, 3).status_code == 201
    in_all = book(as_mentee, third, 4)
    assert in_all.status_code == 409 and in_all.json["error"] == "too_many_pending"
    assert "You already have 3 requests waiting for an answer." in in_all.json["message"]


def test_a_cancelled_or_confirmed_request_frees_a_place(app, clock, people, as_mentee, as_mentor, mentor):
    app.config.update(MAX_PENDING_BOOKINGS=1000, MAX_PENDING_PER_MENTOR=2)
    first, second = (book(as_mentee, mentor, day).json["session"]["id"] for day in (1, 2))
    assert book(as_mentee, mentor, 3).status_code == 409
    assert as_mentee.post(f"/api/mentoring/session/{first}/cancel", json={}).status_code == 200
    assert book(as_mentee, mentor, 3).status_code == 201
    assert book(as_mentee, mentor, 4).status_code == 409
    assert as_mentor.post(f"/api/mentoring/session/{second}/confirm").status_code == 200
    assert book(as_mentee, mentor, 4).status_code == 201


def test_a_request_whose_time_has_passed_frees_its_place(app, clock, as_mentee, mentor):
    app.config.update(MAX_PENDING_PER_MENTOR=1)
    assert book(as_mentee, mentor, 1).status_code == 201
    assert book(as_mentee, mentor, 5).status_code == 409
    clock.shift(timedelta(days=2))
    assert book(as_mentee, mentor, 5).status_code == 201


def test_bookings_with_an_auto_confirming_mentor_do_not_count(app, clock, people, as_mentee, mentor):
    app.config.update(MAX_PENDING_BOOKINGS=2, MAX_PENDING_PER_MENTOR=1)
    quick = people.make("mentor", "Quinn Quick")
    auto_confirming(app, quick)
    answers = [book(as_mentee, quick, day) for day in range(1, 6)]
    assert [answer.status_code for answer in answers] == [201] * 5
    assert {answer.json["session"]["status"] for answer in answers} == {"confirmed"}
    # Five confirmed sessions, and the mentee may still ask another mentor.
    assert book(as_mentee, mentor, 6).status_code == 201
    assert book(as_mentee, mentor, 7).status_code == 409


def test_the_booking_form_shows_the_cap_above_the_form(app, client, auth, clock, mentor, mentee):
    app.config.update(MAX_PENDING_PER_MENTOR=1)
    auth.login(MENTEE_EMAIL)
    assert client.post("/sessions/new", data=booking_form(mentor, "2026-11-24T10:00")).status_code == 302
    response = client.post("/sessions/new", data=booking_form(mentor, "2026-11-25T10:00"))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "You already have 1 requests waiting for this mentor&#39;s answer." in alert(page)
    assert 'id="starts_at-error"' not in page, "it is not about the start time"
    assert 'value="2026-11-25T10:00"' in page
    assert len(sessions_of(app, mentee)) == 1


# The reproduction ------------------------------------------------------------------


def test_one_new_mentee_booking_50_four_hour_slots_in_a_second_gets_a_handful(app, clock, people, as_mentee, mentee):
    """Issue 19: "one new mentee books 50 four-hour slots in a second", across every mentor there is.
    With the production limits, at most MAX_PENDING_BOOKINGS succeed; the rest get 409 or 429."""
    production = from_environ({"SECRET_KEY": "k"}, "/i")
    for name in ("BOOKING_RATE_LIMIT", "MAX_PENDING_BOOKINGS", "MAX_PENDING_PER_MENTOR"):
        app.config[name] = production[name]
    mentors = [people.make("mentor", f"Mentor {letter}") for letter in "ABCD"]

    answers = [book(as_mentee, mentors[slot % len(mentors)], slot + 1, duration=240) for slot in range(50)]

    statuses = Counter(answer.status_code for answer in answers)
    assert set(statuses) <= {201, 409, 429}
    booked = statuses[201]
    assert 0 < booked <= production["MAX_PENDING_BOOKINGS"]
    # Ten per minute reach the booking service at all; the rest are refused before it.
    assert statuses[429] == 40
    assert all(answer.json["error"] == "too_many_pending" for answer in answers if answer.status_code == 409)
    assert len(sessions_of(app, mentee)) == booked
    assert mail_count(app) == 2 * booked, "per booking, one request to its mentor and one note to the mentee"
