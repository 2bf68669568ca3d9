"""Booking, the dashboard and the session page, with and without HTMX."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from meetapp.extensions import db
from meetapp.models import MentoringSession, User
from meetapp.services import booking, video_settings
from meetapp.services.accounts import create_user
from tests.support import NOW, PASSWORD, counted_queries

MENTEE_EMAIL = "max.mentee@example.com"
MENTOR_EMAIL = "mona.mentor@example.com"
HTMX = {"HX-Request": "true"}
# 15:00 UTC on the day after NOW: 10:00 in New York, 16:00 in Berlin.
TOMORROW_15_UTC = NOW.replace(hour=15) + timedelta(days=1)


def book(app, mentee_id: int, mentor_id: int, starts_at=TOMORROW_15_UTC, duration=60, now=NOW) -> str:
    with app.app_context():
        session = booking.book_session(
            mentee=db.session.get(User, mentee_id),
            mentor_id=mentor_id,
            starts_at=starts_at,
            duration_minutes=duration,
            session_type_name="Standard",
            now=now,
        )
        return session.id


def stored(app, session_id: str) -> MentoringSession:
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        db.session.expunge(session)
        return session


def session_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(MentoringSession))


def booking_form(mentor_id, **changes) -> dict:
    form = {"mentor": str(mentor_id), "session_type": "Standard", "starts_at": "2026-11-24T10:00", "duration": "60"}
    form.update(changes)
    return form


def field_errors(page: str, field: str) -> str:
    match = re.search(rf'<ul class="field-errors" id="{field}-error">(.*?)</ul>', page, re.S)
    return match.group(1) if match else ""


# Booking ------------------------------------------------------------------------------


def test_booking_page_reads_times_in_the_mentees_zone(client, auth, clock, mentor, mentee):
    auth.login(MENTEE_EMAIL)
    page = client.get("/sessions/new").get_data(as_text=True)
    assert "Start (your time, America/New_York)" in page
    assert 'type="datetime-local"' in page
    assert '<option selected value="">Choose a mentor…</option>' in page
    assert f'<option value="{mentor}">Mona Mentor</option>' in page
    assert 'data-duration="60" selected value="Standard">Standard (60 min)</option>' in page
    assert re.search(r'<input [^>]*id="duration"[^>]*value="60"', page)


def test_booked_session_shows_in_each_persons_own_zone(client, auth, app, clock, mentor, mentee):
    auth.login(MENTEE_EMAIL)
    response = client.post("/sessions/new", data=booking_form(mentor))
    assert response.status_code == 302
    session_id = response.headers["Location"].removeprefix("/sessions/")
    assert stored(app, session_id).starts_at == TOMORROW_15_UTC

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your session request was sent to Mona Mentor" in page
    assert "Tue 24 Nov 2026, 10:00</time>–<time" in page
    assert ">11:00</time>" in page
    assert "America/New_York" in page
    assert "Pending" in page

    auth.logout()
    auth.login(MENTOR_EMAIL)
    dashboard = client.get("/").get_data(as_text=True)
    assert "Tue 24 Nov 2026, 16:00</time>–<time" in dashboard
    assert ">17:00</time>" in dashboard
    assert "CET, Europe/Berlin" in dashboard
    assert "Standard with Max Mentee" in dashboard
    assert "Awaiting your confirmation" in dashboard
    assert "1 session is awaiting your confirmation." in dashboard


def test_booking_in_the_past_is_refused(client, auth, app, clock, mentor, mentee):
    auth.login(MENTEE_EMAIL)
    # 03:00 in New York is 08:00 UTC, an hour before NOW.
    response = client.post("/sessions/new", data=booking_form(mentor, starts_at="2026-11-23T03:00"))
    assert response.status_code == 400
    assert "The start is in the past" in field_errors(response.get_data(as_text=True), "starts_at")
    assert session_count(app) == 0


def test_booking_over_another_session_of_the_mentor_is_409(client, auth, app, clock, people, mentor, mentee):
    other = people.make("mentee", "Olga Other")
    book(app, other, mentor)
    auth.login(MENTEE_EMAIL)
    response = client.post("/sessions/new", data=booking_form(mentor, starts_at="2026-11-24T10:30"))
    assert response.status_code == 409
    errors = field_errors(response.get_data(as_text=True), "starts_at")
    assert "The mentor already has a session at that time" in errors
    assert session_count(app) == 1


@pytest.mark.parametrize("role", ["mentor", "admin"])
def test_only_mentees_can_book(client, auth, app, clock, people, mentor, role):
    people.make(role, "Not A Mentee")
    auth.login("not.a.mentee@example.com")
    page = client.get("/sessions/new")
    assert page.status_code == 403
    assert "Only mentees can book sessions" in page.get_data(as_text=True)
    assert client.post("/sessions/new", data=booking_form(mentor)).status_code == 403
    assert session_count(app) == 0


def test_a_time_skipped_by_daylight_saving_is_a_field_error(client, auth, app, clock, mentor, mentee):
    auth.login(MENTEE_EMAIL)
    response = client.post("/sessions/new", data=booking_form(mentor, starts_at="2027-03-14T02:30"))
    assert response.status_code == 400
    errors = field_errors(response.get_data(as_text=True), "starts_at")
    assert "02:30 does not exist on 14 Mar 2027 in America/New_York" in errors
    assert session_count(app) == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"duration": "sixty"}, "duration", "Give the duration as a whole number of minutes."),
        ({"duration": "9" * 5000}, "duration", "Give the duration as a whole number of minutes."),
        ({"duration": "600"}, "duration", "between 15 and 240 minutes"),
        ({"duration": ""}, "duration", "Give the duration as a whole number of minutes."),
        ({"mentor": "99999"}, "mentor", "There is no mentor with this id."),
        ({"mentor": "x" * 5000}, "mentor", "Choose a mentor."),
        ({"mentor": ""}, "mentor", "Choose a mentor."),
        ({"session_type": "y" * 5000}, "session_type", "Give the session type by its name"),
        ({"session_type": "Karaoke"}, "session_type", "There is no session type called"),
        ({"starts_at": "z" * 5000}, "starts_at", "Give the start as a date and a time"),
        ({"starts_at": "2026-13-45T99:99"}, "starts_at", "Give the start as a date and a time"),
        ({"starts_at": ""}, "starts_at", "Give the start as a date and a time"),
        ({"starts_at": "9999-12-31T23:30"}, "starts_at", "That date is out of range."),
        ({"starts_at": "2031-01-01T10:00"}, "starts_at", "up to two years ahead"),
    ],
)
def test_bad_booking_input_is_a_400_page_with_the_message(
    client, auth, app, clock, mentor, mentee, changes, field, message
):
    auth.login(MENTEE_EMAIL)
    response = client.post("/sessions/new", data=booking_form(mentor, **changes))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in field_errors(page, field)
    assert re.search(rf'aria-describedby="[^"]*{field}-error"', page)
    assert session_count(app) == 0


def test_booking_with_no_fields_at_all_is_400(client, auth, app, clock, mentor, mentee):
    auth.login(MENTEE_EMAIL)
    response = client.post("/sessions/new", data={})
    assert response.status_code == 400
    assert "Pick a date and a time." in field_errors(response.get_data(as_text=True), "starts_at")
    assert session_count(app) == 0


def test_booking_yourself_as_mentor_is_refused(client, auth, app, clock, mentor, mentee):
    auth.login(MENTEE_EMAIL)
    response = client.post("/sessions/new", data=booking_form(mentee))
    assert response.status_code == 400
    assert "yourself" in field_errors(response.get_data(as_text=True), "mentor")


# The dashboard ------------------------------------------------------------------------


def test_dashboard_empty_states_help(client, auth, clock, mentor, mentee):
    auth.login(MENTEE_EMAIL)
    page = client.get("/").get_data(as_text=True)
    assert "No upcoming sessions." in page and 'href="/sessions/new"' in page
    assert "No past sessions yet." in page
    auth.logout()
    auth.login(MENTOR_EMAIL)
    page = client.get("/").get_data(as_text=True)
    assert "When a mentee books time with you, it appears here" in page
    assert "Book a session" not in page


def test_dashboard_lists_upcoming_and_past_with_a_status_slot_for_upcoming(client, auth, app, clock, mentor, mentee):
    upcoming = book(app, mentee, mentor)
    past = book(app, mentee, mentor, starts_at=NOW - timedelta(days=3), now=NOW - timedelta(days=5))
    auth.login(MENTEE_EMAIL)
    page = client.get("/").get_data(as_text=True)
    upcoming_part, past_part = page.split('id="past-title"')
    assert f'href="/sessions/{upcoming}"' in upcoming_part
    assert f'href="/sessions/{past}"' in past_part
    assert f'id="join-status-{upcoming}"' in upcoming_part
    assert f'id="join-status-{past}"' not in page
    assert '<span class="badge badge-pending">Pending</span>' in page
    assert "Standard with Mona Mentor" in page
    assert "60 min" in page


def count_queries(app, client, path: str) -> int:
    with counted_queries(app) as statements:
        assert client.get(path).status_code == 200
    return len(statements)


def test_dashboard_query_count_does_not_grow_with_sessions(client, auth, app, clock, people, mentor, mentee):
    book(app, mentee, mentor)
    auth.login(MENTEE_EMAIL)
    client.get("/")
    with_one = count_queries(app, client, "/")

    other_mentor = people.make("mentor", "Otto Mentor")
    for day in range(2, 6):
        book(app, mentee, mentor, starts_at=TOMORROW_15_UTC + timedelta(days=day))
    for day in range(1, 6):
        book(app, mentee, other_mentor, starts_at=NOW - timedelta(days=day), now=NOW - timedelta(days=10))
    with_ten = count_queries(app, client, "/")
    page = client.get("/").get_data(as_text=True)
    assert page.count('<li class="session-row') == 10
    assert with_ten == with_one
    assert with_one <= 4, with_one


def test_names_are_escaped_on_the_dashboard_and_the_session_page(client, auth, app, clock, people, mentor):
    sneaky = people.make("mentee", "<script>alert(1)</script>", email="sneaky@example.com")
    session_id = book(app, sneaky, mentor)
    auth.login(MENTOR_EMAIL)
    for path in ("/", f"/sessions/{session_id}"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# The session page ---------------------------------------------------------------------


def test_session_page_shows_people_times_and_status(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTOR_EMAIL)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "Mona Mentor (you)" in page
    assert "Max Mentee" in page
    assert "Tue 24 Nov 2026, 16:00" in page and "Europe/Berlin" in page
    assert "60 minutes" in page
    assert "Waiting for you to confirm or decline." in page
    assert f'hx-post="/sessions/{session_id}/confirm"' in page
    assert 'hx-target="#session-panel"' in page and 'hx-swap="outerHTML"' in page


def test_session_page_offers_only_the_actions_that_apply(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTEE_EMAIL)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert f'action="/sessions/{session_id}/confirm"' not in page
    assert f'action="/sessions/{session_id}/cancel"' in page
    assert f'action="/sessions/{session_id}/reschedule"' in page
    assert "Waiting for Mona Mentor to confirm." in page


def test_session_page_of_other_people_is_403(client, auth, app, clock, people, mentor, mentee):
    session_id = book(app, mentee, mentor)
    people.make("mentee", "Nosy Parker")
    auth.login("nosy.parker@example.com")
    response = client.get(f"/sessions/{session_id}")
    assert response.status_code == 403
    assert "This session belongs to other people." in response.get_data(as_text=True)
    assert client.post(f"/sessions/{session_id}/cancel", data={"reason": "mine now"}).status_code == 403
    assert stored(app, session_id).status.value == "pending"


@pytest.mark.parametrize("session_id", ["no-such-session", "x" * 200])
def test_unknown_session_is_404(client, auth, clock, mentee, session_id):
    auth.login(MENTEE_EMAIL)
    response = client.get(f"/sessions/{session_id}")
    assert response.status_code == 404
    assert "There is no session with this id." in response.get_data(as_text=True)


def test_mentor_confirms_through_the_form(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTOR_EMAIL)
    response = client.post(f"/sessions/{session_id}/confirm")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/sessions/{session_id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Session confirmed." in page
    assert '<span class="badge badge-confirmed">Confirmed</span>' in page
    assert f'action="/sessions/{session_id}/confirm"' not in page
    assert stored(app, session_id).status.value == "confirmed"


def test_confirm_with_htmx_returns_the_panel_with_the_message(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTOR_EMAIL)
    response = client.post(f"/sessions/{session_id}/confirm", headers=HTMX)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="session-panel"')
    assert "<html" not in fragment
    assert "Session confirmed." in fragment
    assert '<span class="badge badge-confirmed">Confirmed</span>' in fragment
    assert "HX-Request" in response.headers["Vary"]
    # The message was shown in the fragment; it does not turn up again on the next page.
    assert "Session confirmed." not in client.get("/").get_data(as_text=True)


def test_mentee_cannot_confirm(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTEE_EMAIL)
    response = client.post(f"/sessions/{session_id}/confirm")
    assert response.status_code == 403
    assert "Only the mentor can confirm a session." in response.get_data(as_text=True)
    assert stored(app, session_id).status.value == "pending"


def test_confirming_twice_is_409(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTOR_EMAIL)
    client.post(f"/sessions/{session_id}/confirm")
    response = client.post(f"/sessions/{session_id}/confirm", headers=HTMX)
    assert response.status_code == 409
    assert "This session is already confirmed." in response.get_data(as_text=True)


def test_cancel_through_the_form_shows_who_and_why(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTEE_EMAIL)
    response = client.post(f"/sessions/{session_id}/cancel", data={"reason": "I have a <b>clash</b>"})
    assert response.status_code == 302
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "Session cancelled." in page
    assert "Max Mentee (you)" in page
    assert "I have a &lt;b&gt;clash&lt;/b&gt;" in page
    assert f'action="/sessions/{session_id}/cancel"' not in page
    auth.logout()
    auth.login(MENTOR_EMAIL)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "Cancelled by" in page and "Max Mentee" in page and "(you)" not in page.split("Cancelled by")[1][:80]
    saved = stored(app, session_id)
    assert saved.status.value == "cancelled" and saved.cancelled_by_id == mentee


def test_cancel_with_htmx_returns_the_panel(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTOR_EMAIL)
    response = client.post(f"/sessions/{session_id}/cancel", data={"reason": ""}, headers=HTMX)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="session-panel"')
    assert '<span class="badge badge-cancelled">Cancelled</span>' in fragment
    assert "No reason given." in fragment


def test_cancelling_twice_is_409(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTEE_EMAIL)
    client.post(f"/sessions/{session_id}/cancel", data={"reason": "first"})
    response = client.post(f"/sessions/{session_id}/cancel", data={"reason": "second"})
    assert response.status_code == 409
    assert "This session is already cancelled." in response.get_data(as_text=True)
    assert stored(app, session_id).cancel_reason == "first"


def test_a_too_long_cancel_reason_is_a_field_error(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTEE_EMAIL)
    response = client.post(f"/sessions/{session_id}/cancel", data={"reason": "x" * 501}, headers=HTMX)
    assert response.status_code == 400
    fragment = response.get_data(as_text=True)
    assert "Keep the reason under 500 characters." in field_errors(fragment, "reason")
    assert "<details class=\"action\" open>" in fragment
    assert stored(app, session_id).status.value == "pending"


def test_reschedule_through_the_form_moves_the_session(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTEE_EMAIL)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert 'value="2026-11-24T10:00"' in page
    response = client.post(
        f"/sessions/{session_id}/reschedule", data={"starts_at": "2026-11-25T13:30", "duration": "45"}
    )
    assert response.status_code == 302
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "Session moved." in page
    assert "Wed 25 Nov 2026, 13:30</time>–<time" in page and ">14:15</time>" in page
    saved = stored(app, session_id)
    assert saved.starts_at == NOW.replace(day=25, hour=18, minute=30)
    assert saved.duration_minutes == 45


def test_reschedule_with_htmx_returns_the_panel_with_the_new_time(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTOR_EMAIL)
    response = client.post(
        f"/sessions/{session_id}/reschedule", data={"starts_at": "2026-11-26T09:00", "duration": "60"}, headers=HTMX
    )
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="session-panel"')
    assert "Session moved." in fragment
    assert "Thu 26 Nov 2026, 09:00" in fragment


def test_reschedule_onto_another_session_is_409(client, auth, app, clock, people, mentor, mentee):
    session_id = book(app, mentee, mentor)
    other = people.make("mentee", "Olga Other")
    book(app, other, mentor, starts_at=TOMORROW_15_UTC + timedelta(days=1))
    auth.login(MENTEE_EMAIL)
    response = client.post(
        f"/sessions/{session_id}/reschedule", data={"starts_at": "2026-11-25T10:30", "duration": "60"}, headers=HTMX
    )
    assert response.status_code == 409
    assert "The mentor already has a session at that time" in field_errors(response.get_data(as_text=True), "starts_at")
    assert stored(app, session_id).starts_at == TOMORROW_15_UTC


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"starts_at": "2026-11-20T10:00", "duration": "60"}, "starts_at", "The start is in the past"),
        ({"starts_at": "2027-03-14T02:15", "duration": "60"}, "starts_at", "does not exist"),
        ({"starts_at": "soon", "duration": "60"}, "starts_at", "Give the start as a date and a time"),
        ({"starts_at": "2026-11-25T10:00", "duration": "5"}, "duration", "between 15 and 240 minutes"),
        ({"starts_at": "2026-11-25T10:00", "duration": "long"}, "duration", "whole number of minutes"),
    ],
)
def test_bad_reschedule_input_is_400_with_field_errors(client, auth, app, clock, mentor, mentee, data, field, message):
    session_id = book(app, mentee, mentor)
    auth.login(MENTEE_EMAIL)
    response = client.post(f"/sessions/{session_id}/reschedule", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<html" in page
    assert message in field_errors(page, field)
    assert stored(app, session_id).starts_at == TOMORROW_15_UTC


def test_a_cancelled_session_cannot_be_rescheduled(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTEE_EMAIL)
    client.post(f"/sessions/{session_id}/cancel", data={"reason": ""})
    response = client.post(
        f"/sessions/{session_id}/reschedule", data={"starts_at": "2026-11-25T10:00", "duration": "60"}
    )
    assert response.status_code == 409
    assert "This session was cancelled; book a new one instead." in response.get_data(as_text=True)


def test_a_finished_session_offers_no_actions(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    clock.move_to(TOMORROW_15_UTC + timedelta(hours=2))
    auth.login(MENTOR_EMAIL)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "This session is over; it can no longer be changed." in page
    assert 'action="/sessions/' not in page.split('id="session-panel"')[1]
    response = client.post(f"/sessions/{session_id}/confirm")
    assert response.status_code == 409
    assert "This session is over and can no longer be changed." in response.get_data(as_text=True)


# The meeting on the session page ------------------------------------------------------


def choose_video(app, mentor_id: int, provider: str, manual_url: str | None = None) -> None:
    with app.app_context():
        video_settings.save(db.session.get(User, mentor_id), provider=provider, manual_url=manual_url, now=NOW)


def test_mentor_sees_why_a_zoom_session_uses_jitsi_and_the_mentee_does_not(client, auth, app, clock, mentor, mentee):
    choose_video(app, mentor, "zoom")
    session_id = book(app, mentee, mentor)
    auth.login(MENTOR_EMAIL)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert re.search(r"<dt>Video</dt>\s*<dd>\s*Jitsi", page)
    assert '<p class="meeting-notice">Zoom is not connected; sessions use Jitsi.</p>' in page
    auth.logout()
    auth.login(MENTEE_EMAIL)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert re.search(r"<dt>Video</dt>\s*<dd>\s*Jitsi", page)
    assert "not connected" not in page and "Zoom" not in page


def test_a_jitsi_session_shows_no_notice(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTOR_EMAIL)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert re.search(r"<dt>Video</dt>\s*<dd>\s*Jitsi\s*</dd>", page)
    assert "meeting-notice" not in page


@pytest.mark.parametrize(
    ("provider", "manual_url"), [("jitsi", None), ("google", None), ("manual", "https://zoom.us/j/5550001")]
)
def test_the_meeting_address_never_appears_in_a_page(client, auth, app, clock, mentor, mentee, provider, manual_url):
    choose_video(app, mentor, provider, manual_url)
    session_id = book(app, mentee, mentor)
    saved = stored(app, session_id)
    addresses = [value for value in (saved.meeting_room, saved.meeting_url, saved.meeting_external_id) if value]
    assert addresses
    for email in (MENTOR_EMAIL, MENTEE_EMAIL):
        auth.login(email)
        pages = [
            client.get(f"/sessions/{session_id}").get_data(as_text=True),
            client.get(f"/sessions/{session_id}", headers=HTMX).get_data(as_text=True),
            client.get("/").get_data(as_text=True),
        ]
        for page in pages:
            for address in addresses:
                assert address not in page
        auth.logout()


def test_mentor_makes_a_new_meeting_link(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    before = stored(app, session_id)
    auth.login(MENTOR_EMAIL)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert f'hx-post="/sessions/{session_id}/new-link"' in page
    response = client.post(f"/sessions/{session_id}/new-link")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/sessions/{session_id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The meeting has a new link; earlier links to this session no longer work." in page
    after = stored(app, session_id)
    assert after.link_version == before.link_version + 1
    assert after.meeting_room != before.meeting_room
    assert after.meeting_room not in page


def test_new_meeting_link_with_htmx_returns_the_panel(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTOR_EMAIL)
    response = client.post(f"/sessions/{session_id}/new-link", headers=HTMX)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="session-panel"')
    assert "The meeting has a new link; earlier links to this session no longer work." in fragment
    assert stored(app, session_id).link_version == 2


def test_mentee_cannot_make_a_new_meeting_link(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    before = stored(app, session_id)
    auth.login(MENTEE_EMAIL)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert f"/sessions/{session_id}/new-link" not in page
    assert "New meeting link" not in page
    response = client.post(f"/sessions/{session_id}/new-link")
    assert response.status_code == 403
    assert "Only the mentor (or an admin) can make a new meeting link." in response.get_data(as_text=True)
    after = stored(app, session_id)
    assert (after.link_version, after.meeting_room) == (before.link_version, before.meeting_room)


def test_a_cancelled_session_gets_no_new_meeting_link(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTOR_EMAIL)
    client.post(f"/sessions/{session_id}/cancel", data={"reason": ""})
    before = stored(app, session_id)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert f"/sessions/{session_id}/new-link" not in page
    response = client.post(f"/sessions/{session_id}/new-link", headers=HTMX)
    assert response.status_code == 409
    assert "This session was cancelled; book a new one instead." in response.get_data(as_text=True)
    after = stored(app, session_id)
    assert (after.link_version, after.meeting_room) == (before.link_version, before.meeting_room)


# CSRF with HTMX: the token rides in the X-CSRFToken header that base.html puts on <body>.


def test_htmx_post_carries_the_csrf_token_in_a_header(csrf_app, clock):
    with csrf_app.app_context():
        mentor_id = create_user(email=MENTOR_EMAIL, name="Mona", role="mentor", password=PASSWORD).id
        mentee_id = create_user(email=MENTEE_EMAIL, name="Max", role="mentee", password=PASSWORD).id
    session_id = book(csrf_app, mentee_id, mentor_id)
    client = csrf_app.test_client()
    login_page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/auth/login", data={"email": MENTOR_EMAIL, "password": PASSWORD, "csrf_token": token})
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    header_token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)

    refused = client.post(f"/sessions/{session_id}/confirm", headers=HTMX)
    assert refused.status_code == 400
    assert stored(csrf_app, session_id).status.value == "pending"

    accepted = client.post(f"/sessions/{session_id}/confirm", headers={**HTMX, "X-CSRFToken": header_token})
    assert accepted.status_code == 200
    assert "Session confirmed." in accepted.get_data(as_text=True)
    assert stored(csrf_app, session_id).status.value == "confirmed"
