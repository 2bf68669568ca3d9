"""The booking page's slot picker: a mentor's free times one day at a time, in the mentee's own zone."""
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from meetapp.domain.accounts import MentorApproval
from meetapp.extensions import db
from meetapp.models import MentoringSession, User
from meetapp.services import booking, mentor_hours, mentors
from meetapp.sessions.slot_picker import BAD_SLOT, TAKEN, day_bounds
from tests.support import NOW, AuthActions, People

LEA_EMAIL = "lea.mentee@example.com"
MENTOR_EMAIL = "mona.mentor@example.com"
HTMX = {"HX-Request": "true"}
# NOW is Monday 23 November 2026, 01:00 in Los Angeles; Berlin is an hour ahead of UTC, Los Angeles eight behind.
MONDAY_9_BERLIN = "2026-12-07T08:00:00Z"
SLOT_BUTTON = re.compile(r'<button class="button slot-button" type="submit" name="slot" value="([^"]*)"[^>]*>([^<]*)</button>')


@pytest.fixture
def lea(people):
    """A mentee in Los Angeles."""
    return people.make("mentee", "Lea Mentee", timezone="America/Los_Angeles")


def set_hours(app, mentor_id: int, weekly: dict, **extra) -> None:
    with app.app_context():
        user = db.session.get(User, mentor_id)
        settings = mentor_hours.read_settings(
            {"weekly": weekly, **extra}, current=mentor_hours.settings_of(user.mentor_profile)
        )
        mentor_hours.save_settings(user, settings, NOW)


def offer_only(app, mentor_id: int, names: list[str]) -> None:
    with app.app_context():
        user = db.session.get(User, mentor_id)
        mentors.update_profile(user, headline=None, bio=None, specialties=[], languages=[], session_types=names)


def book_directly(app, mentee_id: int, mentor_id: int, starts_at: datetime, now: datetime = NOW) -> str:
    with app.app_context():
        return booking.book_session(
            mentee=db.session.get(User, mentee_id),
            mentor_id=mentor_id,
            starts_at=starts_at,
            duration_minutes=60,
            session_type_name="Standard",
            now=now,
        ).id


def sessions(app) -> list[MentoringSession]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(MentoringSession).order_by(MentoringSession.starts_at)))
        for row in rows:
            db.session.expunge(row)
        return rows


def buttons(page: str) -> list[tuple[str, str]]:
    return SLOT_BUTTON.findall(page)


def heading(page: str) -> str:
    return re.search(r'<h2 id="slot-day-title"[^>]*>([^<]*)</h2>', page).group(1)


def link(page: str, text: str) -> str | None:
    match = re.search(rf'<a href="([^"]*)"[^>]*>{re.escape(text)}</a>', page)
    return match.group(1).replace("&amp;", "&") if match else None


def slot_post(mentor_id: int, slot: str = MONDAY_9_BERLIN, **changes) -> dict:
    form = {"mentor": str(mentor_id), "session_type": "Standard", "slot": slot}
    form.update(changes)
    return form


@pytest.fixture
def monday_mornings(app, mentor):
    """Mona (Europe/Berlin) takes sessions on Mondays 09:00–12:00, with the default notice and horizon."""
    set_hours(app, mentor, {"mon": [["09:00", "12:00"]]})
    return mentor


def page_of(client, mentor_id: int, **args) -> tuple[int, str]:
    response = client.get("/sessions/new", query_string={"mentor": mentor_id, **args})
    return response.status_code, response.get_data(as_text=True)


# Showing the slots ------------------------------------------------------------------------


def test_slots_show_in_the_mentees_zone(client, auth, clock, monday_mornings, lea):
    auth.login(LEA_EMAIL)
    status, page = page_of(client, monday_mornings, day="2026-12-07")
    assert status == 200
    assert heading(page) == "Monday 7 December 2026"
    # Berlin's Monday 09:00–12:00 is Monday 00:00–03:00 in Los Angeles: one-hour slots every quarter hour.
    assert buttons(page) == [
        ("2026-12-07T08:00:00Z", "00:00–01:00"),
        ("2026-12-07T08:15:00Z", "00:15–01:15"),
        ("2026-12-07T08:30:00Z", "00:30–01:30"),
        ("2026-12-07T08:45:00Z", "00:45–01:45"),
        ("2026-12-07T09:00:00Z", "01:00–02:00"),
        ("2026-12-07T09:15:00Z", "01:15–02:15"),
        ("2026-12-07T09:30:00Z", "01:30–02:30"),
        ("2026-12-07T09:45:00Z", "01:45–02:45"),
        ("2026-12-07T10:00:00Z", "02:00–03:00"),
    ]
    # One POST form carries the rest; the page never shows a meeting address.
    form = re.search(r'<form class="slot-form" method="post" action="/sessions/new">(.*?)</form>', page, re.S).group(1)
    assert f'<input name="mentor" type="hidden" value="{monday_mornings}">' in form
    assert '<input name="session_type" type="hidden" value="Standard">' in form
    assert 'name="csrf_token"' in form
    assert "meet.jit.si" not in page


def test_the_session_type_sets_the_slots_length_and_lists_only_offered_types(client, auth, app, clock, monday_mornings, lea):
    offer_only(app, monday_mornings, ["Standard", "Follow-up"])
    auth.login(LEA_EMAIL)
    _, page = page_of(client, monday_mornings, day="2026-12-07", session_type="follow-up")
    options = re.findall(r'<option[^>]*value="([^"]*)"', re.search(r'<select[^>]*id="slot-session-type".*?</select>', page, re.S).group(0))
    assert options == ["Standard", "Follow-up"]
    assert '<option selected value="Follow-up">' in page
    assert buttons(page)[0] == ("2026-12-07T08:00:00Z", "00:00–00:30")
    assert buttons(page)[-1] == ("2026-12-07T10:30:00Z", "02:30–03:00")
    # A type the mentor does not offer shows their usual one.
    _, page = page_of(client, monday_mornings, day="2026-12-07", session_type="Extended session")
    assert '<option selected value="Standard">' in page
    assert buttons(page)[-1] == ("2026-12-07T10:00:00Z", "02:00–03:00")


def test_the_first_day_shown_is_the_first_with_a_free_time(client, auth, clock, monday_mornings, lea):
    auth.login(LEA_EMAIL)
    # Today's hours are within the four hours' notice, so the first free time is next Monday's.
    _, page = page_of(client, monday_mornings)
    assert heading(page) == "Monday 30 November 2026"
    assert buttons(page)[0] == ("2026-11-30T08:00:00Z", "00:00–01:00")
    assert link(page, "Next available: Monday 7 December 2026") == (
        f"/sessions/new?mentor={monday_mornings}&session_type=Standard&day=2026-12-07"
    )


def test_day_navigation_and_the_next_available_jump(client, auth, clock, monday_mornings, lea):
    auth.login(LEA_EMAIL)
    _, page = page_of(client, monday_mornings, day="2026-12-01")
    assert heading(page) == "Tuesday 1 December 2026"
    assert buttons(page) == []
    assert "No free times on this day." in page
    assert link(page, "Previous day").endswith("day=2026-11-30")
    assert link(page, "Next day").endswith("day=2026-12-02")
    jump = link(page, "Next available: Monday 7 December 2026")
    # Each day link asks htmx for the list alone, and puts the day in the address bar.
    assert re.search(r'<a href="[^"]*day=2026-12-07" hx-get="[^"]*day=2026-12-07" hx-target="#slot-list" hx-push-url="true">', page)
    assert heading(client.get(jump).get_data(as_text=True)) == "Monday 7 December 2026"


@pytest.mark.parametrize("day", ["yesterday", "2026-02-30", "2026-1-05", "2026-11-01", "0001-01-01", "２０２６-12-07", "\x00"])
def test_a_bad_or_past_day_shows_today(client, auth, clock, monday_mornings, lea, day):
    auth.login(LEA_EMAIL)
    status, page = page_of(client, monday_mornings, day=day)
    assert status == 200
    assert heading(page) == "Monday 23 November 2026"
    assert link(page, "Previous day") is None
    assert link(page, "Next day").endswith("day=2026-11-24")


def test_a_day_past_the_horizon_shows_the_last_day(client, auth, clock, monday_mornings, lea):
    auth.login(LEA_EMAIL)
    # Sixty days after NOW (the default horizon) is Friday 22 January 2027 in Los Angeles.
    _, page = page_of(client, monday_mornings, day="9999-12-31")
    assert heading(page) == "Friday 22 January 2027"
    assert link(page, "Next day") is None
    assert "No free times after this day in the next 60 days." in page


def test_a_mentor_with_no_free_time_left_says_so(client, auth, app, clock, monday_mornings, lea):
    set_hours(app, monday_mornings, {"mon": [["09:00", "12:00"]]}, horizonDays=3)
    auth.login(LEA_EMAIL)
    _, page = page_of(client, monday_mornings)
    assert heading(page) == "Monday 23 November 2026"
    assert "No free times in the next 3 days." in page
    assert "Next available" not in page


def test_times_the_mentee_is_busy_are_not_offered(client, auth, app, clock, people, monday_mornings, lea):
    other_mentor = people.make("mentor", "Otto Other")
    book_directly(app, lea, other_mentor, datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    auth.login(LEA_EMAIL)
    _, page = page_of(client, monday_mornings, day="2026-12-07")
    assert [value for value, _ in buttons(page)] == ["2026-12-07T08:00:00Z", "2026-12-07T10:00:00Z"]


# Days when the clocks change ------------------------------------------------------------------


def test_the_mentees_fall_back_day_has_25_hours(client, auth, app, clock, monday_mornings, lea):
    clock.move_to(datetime(2026, 10, 20, 12, 0, tzinfo=UTC))
    # On Sunday 1 November Los Angeles goes from 02:00 PDT back to 01:00 PST (09:00 UTC).
    set_hours(app, monday_mornings, {"sun": [["09:00", "12:00"]], "mon": [["08:00", "09:00"]]})
    auth.login(LEA_EMAIL)
    assert day_bounds(datetime(2026, 11, 1).date(), "America/Los_Angeles") == (
        datetime(2026, 11, 1, 7, tzinfo=UTC),
        datetime(2026, 11, 2, 8, tzinfo=UTC),
    )
    _, page = page_of(client, monday_mornings, day="2026-11-01")
    assert heading(page) == "Sunday 1 November 2026"
    shown = buttons(page)
    # Berlin's Sunday 09:00–12:00 CET is 08:00–11:00 UTC: through both of Los Angeles' 01:00 hours.
    assert shown[0] == ("2026-11-01T08:00:00Z", "01:00 PDT–01:00 PST")
    assert shown[3] == ("2026-11-01T08:45:00Z", "01:45 PDT–01:45 PST")
    assert shown[4] == ("2026-11-01T09:00:00Z", "01:00 PST–02:00 PST")
    assert shown[8] == ("2026-11-01T10:00:00Z", "02:00 PST–03:00 PST")
    # Berlin's Monday 08:00 is still Sunday (23:00) in Los Angeles: the 25th hour of its Sunday.
    assert shown[9:] == [("2026-11-02T07:00:00Z", "23:00 PST–00:00 PST")]
    _, monday = page_of(client, monday_mornings, day="2026-11-02")
    assert buttons(monday) == []
    # An ordinary day needs no zone names.
    _, page = page_of(client, monday_mornings, day="2026-11-08")
    assert buttons(page)[0] == ("2026-11-08T08:00:00Z", "00:00–01:00")


def test_the_mentors_fall_back_night_moves_their_hours_for_the_mentee(client, auth, app, clock, monday_mornings, lea):
    clock.move_to(datetime(2026, 10, 10, 12, 0, tzinfo=UTC))
    # Berlin goes from 03:00 CEST back to 02:00 CET early on Sunday 25 October; Los Angeles a week later.
    set_hours(app, monday_mornings, {"sun": [["02:00", "04:00"], ["09:00", "10:00"]]})
    auth.login(LEA_EMAIL)
    _, before = page_of(client, monday_mornings, day="2026-10-18")
    _, after = page_of(client, monday_mornings, day="2026-10-25")
    assert buttons(before) == [("2026-10-18T07:00:00Z", "00:00–01:00")]
    assert buttons(after) == [("2026-10-25T08:00:00Z", "01:00–02:00")]
    # 02:00–04:00 that night is three real hours (02:00 happens twice): Saturday afternoon in Los Angeles.
    _, saturday = page_of(client, monday_mornings, day="2026-10-24")
    shown = buttons(saturday)
    assert len(shown) == 9
    assert shown[0] == ("2026-10-25T00:00:00Z", "17:00–18:00")
    assert shown[-1] == ("2026-10-25T02:00:00Z", "19:00–20:00")
    _, week_before = page_of(client, monday_mornings, day="2026-10-17")
    assert len(buttons(week_before)) == 5


def test_a_day_whose_midnight_does_not_exist_starts_at_the_jump():
    # Santiago springs forward from 24:00 on Saturday 5 September 2026 to 01:00 on Sunday.
    starts, ends = day_bounds(datetime(2026, 9, 6).date(), "America/Santiago")
    assert starts == datetime(2026, 9, 6, 4, tzinfo=UTC)
    assert ends - starts == timedelta(hours=23)


# Booking a slot -------------------------------------------------------------------------------


def test_booking_a_slot_books_the_types_usual_length(client, auth, app, clock, monday_mornings, lea):
    auth.login(LEA_EMAIL)
    # The free form's start and duration mean nothing beside a slot.
    response = client.post(
        "/sessions/new", data=slot_post(monday_mornings, session_type="Follow-up", starts_at="2026-12-08T10:00", duration="15")
    )
    assert response.status_code == 302
    [session] = sessions(app)
    assert response.headers["Location"] == f"/sessions/{session.id}"
    assert session.starts_at == datetime(2026, 12, 7, 8, tzinfo=UTC)
    assert session.duration_minutes == 30
    assert session.status.value == "pending"
    assert (session.mentor_id, session.mentee_id) == (monday_mornings, lea)
    assert "Your session request was sent to Mona Mentor" in client.get(response.headers["Location"]).get_data(as_text=True)
    auth.logout()
    auth.login(MENTOR_EMAIL)
    dashboard = client.get("/").get_data(as_text=True)
    assert "Follow-up with Lea Mentee" in dashboard
    assert "1 session is awaiting your confirmation." in dashboard


def test_a_slot_taken_meanwhile_is_409_with_the_times_still_free(client, auth, app, clock, people, monday_mornings, lea):
    other = people.make("mentee", "Olga Other")
    auth.login(LEA_EMAIL)
    _, page = page_of(client, monday_mornings, day="2026-12-07")
    assert MONDAY_9_BERLIN in dict(buttons(page))
    book_directly(app, other, monday_mornings, datetime(2026, 12, 7, 8, tzinfo=UTC))
    response = client.post("/sessions/new", data=slot_post(monday_mornings))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert TAKEN in page
    assert heading(page) == "Monday 7 December 2026"
    # The taken hour and the starts overlapping it are gone; the rest are still there.
    assert [value for value, _ in buttons(page)][:2] == ["2026-12-07T09:00:00Z", "2026-12-07T09:15:00Z"]
    assert len(sessions(app)) == 1


def test_a_slot_inside_the_buffer_is_taken_too(client, auth, app, clock, people, monday_mornings, lea):
    set_hours(app, monday_mornings, {"mon": [["09:00", "12:00"]]}, bufferMinutes=15)
    other = people.make("mentee", "Olga Other")
    book_directly(app, other, monday_mornings, datetime(2026, 12, 7, 8, tzinfo=UTC))
    auth.login(LEA_EMAIL)
    response = client.post("/sessions/new", data=slot_post(monday_mornings, slot="2026-12-07T09:00:00Z"))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert TAKEN in page
    assert [value for value, _ in buttons(page)][0] == "2026-12-07T09:15:00Z"
    assert len(sessions(app)) == 1


@pytest.mark.parametrize(
    "slot",
    [
        "2026-12-07T11:00:00Z",  # Berlin 12:00: the hours' end
        "2026-12-08T08:00:00Z",  # a Tuesday
        "2026-11-23T14:00:00Z",  # today, past the notice but outside the hours
        "2027-03-01T08:00:00Z",  # a Monday past the sixty days' horizon
    ],
)
def test_a_slot_outside_the_hours_is_409(client, auth, app, clock, monday_mornings, lea, slot):
    auth.login(LEA_EMAIL)
    response = client.post("/sessions/new", data=slot_post(monday_mornings, slot=slot))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert re.search(r"outside the mentor&#39;s hours|at most 60 days ahead", page)
    assert 'class="slot-form"' in page or "No free times on this day." in page
    assert sessions(app) == []


@pytest.mark.parametrize(
    "slot",
    [
        "2026-12-07T08:00:00",  # naive
        "2026-12-07T08:00:00+00:00",
        "2026-12-07T09:00:00+01:00",
        "2026-12-07T08:00:30Z",  # not on the minute
        "2026-12-07T08:00:00.000Z",
        "2026-12-07 08:00:00Z",
        "2026-13-07T08:00:00Z",
        "2026-02-30T08:00:00Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:00Z",
        "２０２６-12-07T08:00:00Z",
        "",
        "x" * 5000,
        [MONDAY_9_BERLIN, "2026-12-07T10:00:00Z"],
    ],
)
def test_a_tampered_slot_is_400_and_books_nothing(client, auth, app, clock, monday_mornings, lea, slot):
    auth.login(LEA_EMAIL)
    response = client.post("/sessions/new", data=slot_post(monday_mornings, slot=slot))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert BAD_SLOT in page
    assert heading(page) == "Monday 30 November 2026"
    assert sessions(app) == []


@pytest.mark.parametrize(
    ("slot", "message"),
    [
        ("2026-11-16T08:00:00Z", "The start is in the past"),
        ("2029-12-03T08:00:00Z", "Sessions can be booked up to two years ahead."),
    ],
)
def test_a_slot_the_booking_rules_refuse_is_400(client, auth, app, clock, monday_mornings, lea, slot, message):
    auth.login(LEA_EMAIL)
    response = client.post("/sessions/new", data=slot_post(monday_mornings, slot=slot))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert sessions(app) == []


@pytest.mark.parametrize(
    ("session_type", "message"),
    [
        ("Extended session", "Mona Mentor does not offer Extended session sessions."),
        ("Nope", "There is no session type called &#39;Nope&#39;."),
    ],
)
def test_a_type_not_offered_is_400(client, auth, app, clock, monday_mornings, lea, session_type, message):
    offer_only(app, monday_mornings, ["Standard"])
    auth.login(LEA_EMAIL)
    response = client.post("/sessions/new", data=slot_post(monday_mornings, session_type=session_type))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    # The duration comes from the type: there is no duration to complain about.
    assert "duration" not in re.search(r'<div class="alert alert-error" role="alert">(.*?)</div>', page, re.S).group(1)
    assert sessions(app) == []


@pytest.mark.parametrize("mentor_value", ["999999", "abc", "", "1" * 30])
def test_a_slot_for_no_mentor_is_400(client, auth, app, clock, monday_mornings, lea, mentor_value):
    auth.login(LEA_EMAIL)
    response = client.post("/sessions/new", data=slot_post(monday_mornings) | {"mentor": mentor_value})
    assert response.status_code == 400
    assert "There is no mentor with this id." in response.get_data(as_text=True)
    assert sessions(app) == []


def test_a_slot_needs_the_csrf_token(csrf_app, clock):
    world = People(csrf_app)
    mentor = world.make("mentor", "Mona Mentor", timezone="Europe/Berlin")
    world.make("mentee", "Lea Mentee", timezone="America/Los_Angeles")
    set_hours(csrf_app, mentor, {"mon": [["09:00", "12:00"]]})
    client = csrf_app.test_client()
    AuthActions(client).login(LEA_EMAIL)
    response = client.post("/sessions/new", data=slot_post(mentor))
    assert response.status_code == 400
    assert sessions(csrf_app) == []


# htmx, the chooser and mentors without hours --------------------------------------------------


def test_htmx_gets_the_slot_list_alone(client, auth, clock, monday_mornings, lea):
    auth.login(LEA_EMAIL)
    response = client.get(
        "/sessions/new", query_string={"mentor": monday_mornings, "day": "2026-12-07"}, headers=HTMX
    )
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in fragment and "<nav" not in fragment and "<h1" not in fragment
    assert heading(fragment) == "Monday 7 December 2026"
    assert buttons(fragment)[0] == (MONDAY_9_BERLIN, "00:00–01:00")
    assert '<input type="hidden" name="day" value="2026-12-07" form="slot-type-form">' in fragment
    # The full page includes the same list, inside the container the links and the type form target.
    full = client.get("/sessions/new", query_string={"mentor": monday_mornings, "day": "2026-12-07"}).get_data(as_text=True)
    assert fragment.strip() in full
    assert '<section id="slot-list" class="slot-list" aria-labelledby="slot-day-title">' in full
    assert re.search(r'<form id="slot-type-form"[^>]*hx-trigger="change, submit" hx-target="#slot-list" hx-push-url="true"', full)
    # Going back to a pushed address with an empty history cache asks for the whole page.
    restored = client.get(
        "/sessions/new",
        query_string={"mentor": monday_mornings, "day": "2026-12-07"},
        headers=HTMX | {"HX-History-Restore-Request": "true"},
    ).get_data(as_text=True)
    assert "<html" in restored


def test_the_chooser_shows_free_times_or_the_free_form(client, auth, clock, monday_mornings, lea):
    auth.login(LEA_EMAIL)
    page = client.get("/sessions/new").get_data(as_text=True)
    chooser = re.search(r'<ul class="slot-mentors".*?</ul>', page, re.S).group(0)
    assert f'<a href="/sessions/new?mentor={monday_mornings}">Mona Mentor</a>' in chooser
    # One mentor field on the page: the free form's own.
    assert page.count("<select") == 2 and page.count('name="mentor"') == 1
    assert '<a href="/mentors">Find a mentor by specialty or language</a>' in page
    assert 'type="datetime-local"' in page


@pytest.mark.parametrize(
    ("mentor_value", "status", "message"),
    [("999999", 404, "There is no mentor with this id."), ("abc", 404, "There is no mentor with this id."), ("", 400, "Choose a mentor.")],
)
def test_choosing_no_mentor_is_a_field_error(client, auth, clock, mentor, lea, mentor_value, status, message):
    auth.login(LEA_EMAIL)
    response = client.get("/sessions/new", query_string={"mentor": mentor_value})
    assert response.status_code == status
    assert f'<div class="alert alert-error" role="alert"><p>{message}</p></div>' in response.get_data(as_text=True)


def test_a_mentee_or_unapproved_mentor_is_no_mentor(client, auth, app, clock, people, monday_mornings, lea):
    with app.app_context():
        db.session.get(User, monday_mornings).mentor_profile.approval = MentorApproval.PENDING
        db.session.commit()
    other_mentee = people.make("mentee", "Olga Other")
    auth.login(LEA_EMAIL)
    for someone in (monday_mornings, other_mentee, lea):
        response = client.get("/sessions/new", query_string={"mentor": someone})
        assert response.status_code == 404
        # No mentor is bookable, so there is no list to choose from; the page still says why.
        assert '<div class="alert alert-error" role="alert"><p>There is no mentor with this id.</p></div>' in (
            response.get_data(as_text=True)
        )
    response = client.post("/sessions/new", data=slot_post(monday_mornings))
    assert response.status_code == 400
    assert sessions(app) == []


def test_a_mentor_without_hours_is_booked_with_the_free_form(client, auth, app, clock, mentor, lea):
    auth.login(LEA_EMAIL)
    page = client.get("/sessions/new", query_string={"mentor": mentor}).get_data(as_text=True)
    assert f'<option selected value="{mentor}">Mona Mentor</option>' in page
    assert "has not set weekly hours" in page
    assert 'type="datetime-local"' in page
    assert 'class="slot-form"' not in page
    response = client.post(
        "/sessions/new",
        data={"mentor": str(mentor), "session_type": "Standard", "starts_at": "2026-11-24T03:00", "duration": "45"},
    )
    assert response.status_code == 302
    [session] = sessions(app)
    # 03:00 in Los Angeles, an hour of the night in Berlin: no hours, so any free time.
    assert (session.starts_at, session.duration_minutes) == (datetime(2026, 11, 24, 11, tzinfo=UTC), 45)
