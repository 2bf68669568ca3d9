"""Who moved a session decides what happens: the mentee's move of a confirmed session waits for the
mentor again; the mentor's move stands. Through the service and the session page."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from meetapp.domain.errors import MentorBusy
from meetapp.extensions import db
from meetapp.models import MentoringSession, OutboxMail, User
from meetapp.services import booking
from tests.support import MENTEE_EMAIL, MENTOR_EMAIL, NOW

HTMX = {"HX-Request": "true"}
TOMORROW_15_UTC = NOW.replace(hour=15) + timedelta(days=1)
DAY_AFTER_15_UTC = TOMORROW_15_UTC + timedelta(days=1)


def book(app, mentee_id: int, mentor_id: int, *, confirm: bool = True, starts_at=TOMORROW_15_UTC) -> str:
    with app.app_context():
        session = booking.book_session(
            mentee=db.session.get(User, mentee_id), mentor_id=mentor_id, starts_at=starts_at, duration_minutes=60, now=NOW
        )
        if confirm:
            booking.confirm_session(session, user=db.session.get(User, mentor_id), now=NOW)
        return session.id


def move(app, session_id: str, by: int, starts_at=DAY_AFTER_15_UTC) -> MentoringSession:
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        booking.reschedule_session(session, user=db.session.get(User, by), starts_at=starts_at, now=NOW)
        db.session.expunge(session)
        return session


def stored(app, session_id: str) -> MentoringSession:
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        db.session.expunge(session)
        return session


def reschedule_mails(app, session_id: str) -> list[tuple[int, str | None]]:
    """(recipient, invite method) of the reschedule mails queued about the session."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(OutboxMail.recipient_id, OutboxMail.ics_method)
            .where(OutboxMail.session_id == session_id, OutboxMail.kind == "reschedule")
            .order_by(OutboxMail.recipient_id)
        )
        return [tuple(row) for row in rows]


# The service --------------------------------------------------------------------------


def test_the_mentees_move_returns_a_confirmed_session_to_pending(app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    before = stored(app, session_id)
    moved = move(app, session_id, by=mentee)
    assert moved.status.value == "pending"
    assert moved.confirmed_at is None
    assert moved.starts_at == DAY_AFTER_15_UTC
    assert moved.link_version == before.link_version + 1
    # Both are told, and the entry at the old time leaves both calendars.
    assert reschedule_mails(app, session_id) == [(mentor, "CANCEL"), (mentee, "CANCEL")]


def test_the_mentors_move_keeps_a_confirmed_session_confirmed(app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    moved = move(app, session_id, by=mentor)
    assert moved.status.value == "confirmed"
    assert moved.confirmed_at == NOW
    assert reschedule_mails(app, session_id) == [(mentor, "REQUEST"), (mentee, "REQUEST")]


@pytest.mark.parametrize("by", ["mentor", "mentee"])
def test_a_moved_request_stays_a_request_with_no_invite(app, clock, mentor, mentee, by):
    session_id = book(app, mentee, mentor, confirm=False)
    moved = move(app, session_id, by=mentor if by == "mentor" else mentee)
    assert moved.status.value == "pending"
    assert reschedule_mails(app, session_id) == [(mentor, None), (mentee, None)]


def test_confirming_the_new_time_gives_it_a_link_version_of_its_own(app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    moved = move(app, session_id, by=mentee)
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        booking.confirm_session(session, user=db.session.get(User, mentor), now=NOW)
    confirmed = stored(app, session_id)
    assert confirmed.status.value == "confirmed"
    assert confirmed.link_version == moved.link_version + 1


def test_confirming_a_first_request_keeps_its_links(app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor, confirm=False)
    assert stored(app, session_id).link_version == 1
    with app.app_context():
        booking.confirm_session(db.session.get(MentoringSession, session_id), user=db.session.get(User, mentor), now=NOW)
    assert stored(app, session_id).link_version == 1


def test_a_move_onto_a_busy_time_changes_nothing(app, clock, people, mentor, mentee):
    session_id = book(app, mentee, mentor)
    book(app, people.make("mentee", "Olga Other"), mentor, starts_at=DAY_AFTER_15_UTC)
    with pytest.raises(MentorBusy):
        move(app, session_id, by=mentee)
    saved = stored(app, session_id)
    assert (saved.status.value, saved.starts_at, saved.confirmed_at) == ("confirmed", TOMORROW_15_UTC, NOW)
    assert reschedule_mails(app, session_id) == []


def test_a_pending_move_still_holds_the_new_slot(app, clock, people, mentor, mentee):
    session_id = book(app, mentee, mentor)
    move(app, session_id, by=mentee)
    other = people.make("mentee", "Olga Other")
    with pytest.raises(MentorBusy):
        book(app, other, mentor, starts_at=DAY_AFTER_15_UTC)
    # The old time is free again.
    book(app, other, mentor, starts_at=TOMORROW_15_UTC)


# The session page ---------------------------------------------------------------------


def test_the_mentee_is_told_before_moving_that_the_mentor_must_confirm(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTEE_EMAIL)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "Mona Mentor will be asked to confirm the new time." in page
    auth.logout()
    auth.login(MENTOR_EMAIL)
    assert "will be asked to confirm the new time" not in client.get(f"/sessions/{session_id}").get_data(as_text=True)


def test_the_mentees_move_through_the_form_says_it_waits_for_the_mentor(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTEE_EMAIL)
    response = client.post(f"/sessions/{session_id}/reschedule", data={"starts_at": "2026-11-25T10:00", "duration": "60"})
    assert response.status_code == 302
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "Session moved. It waits for Mona Mentor to confirm the new time." in page
    assert '<span class="badge badge-pending">Pending</span>' in page
    assert "Waiting for Mona Mentor to confirm the new time." in page

    auth.logout()
    auth.login(MENTOR_EMAIL)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "Waiting for you to confirm or decline the new time." in page
    assert f'action="/sessions/{session_id}/confirm"' in page
    assert f'action="/sessions/{session_id}/decline"' in page
    response = client.post(f"/sessions/{session_id}/confirm", headers=HTMX)
    assert '<span class="badge badge-confirmed">Confirmed</span>' in response.get_data(as_text=True)
    assert stored(app, session_id).starts_at == DAY_AFTER_15_UTC


def test_the_mentors_move_through_the_form_says_the_mentee_was_told(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTOR_EMAIL)
    response = client.post(
        f"/sessions/{session_id}/reschedule", data={"starts_at": "2026-11-25T16:00", "duration": "60"}, headers=HTMX
    )
    fragment = response.get_data(as_text=True)
    assert "Session moved. Max Mentee has been told." in fragment
    assert '<span class="badge badge-confirmed">Confirmed</span>' in fragment
    assert stored(app, session_id).status.value == "confirmed"


def test_the_mentors_move_of_a_request_says_it_still_waits_for_them(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor, confirm=False)
    auth.login(MENTOR_EMAIL)
    response = client.post(
        f"/sessions/{session_id}/reschedule", data={"starts_at": "2026-11-25T16:00", "duration": "60"}, headers=HTMX
    )
    assert "Session moved. Max Mentee has been told; it still waits for your confirmation." in response.get_data(as_text=True)
    assert stored(app, session_id).status.value == "pending"


@pytest.mark.parametrize(("email", "line"), [
    (MENTEE_EMAIL, "Waiting for Mona Mentor to confirm."),
    (MENTOR_EMAIL, "Waiting for you to confirm or decline."),
])
def test_a_pending_page_says_waiting_once(client, auth, app, clock, mentor, mentee, email, line):
    session_id = book(app, mentee, mentor, confirm=False)
    auth.login(email)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert line in main
    assert main.lower().count("waiting") == 1
    assert main.lower().count("awaiting") == 0
    # One card holds the heading, the people, the time and that status line.
    panel = main.split('<section id="session-panel"', 1)[1].split("</section>", 1)[0]
    assert main.count("<h1") == 1 and "<h1" in panel
    assert line in panel and "Mona Mentor" in panel and "Max Mentee" in panel and "<time" in panel
