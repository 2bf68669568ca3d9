"""A mentor's hours page: weekly hours in their zone, dated exceptions, buffer, notice, horizon, and a preview
of the next free times. Works without JavaScript: every value is plain text in a form."""
import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from meetapp.extensions import db
from meetapp.models import MentorProfile
from tests.support import MENTOR_EMAIL
from tests.web.helpers import field_errors, logged_in_csrf_client

PAGE = "/settings/availability"
EMPTY_WEEK = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "")
GOOD = {
    "timezone": "Europe/Berlin",
    **EMPTY_WEEK,
    "mon": "09:00-12:00, 14:00-17:00",
    "tue": "9:00 to 12:00",
    "wed": "13:00–24:00",
    "exceptions": "2026-12-24 off\n2026-12-31 10:00-12:00, 14:00-15:00",
    "buffer": "10",
    "notice": "12",
    "horizon": "60",
}
NO_HOURS = "You have set no weekly hours: mentees can book any free time."


def stored(app, mentor_id: int) -> dict:
    with app.app_context():
        profile = db.session.get(MentorProfile, mentor_id)
        return {
            "timezone": profile.availability_timezone,
            "weekly": profile.weekly_hours,
            "exceptions": profile.hour_exceptions,
            "buffer": profile.buffer_minutes,
            "notice": profile.minimum_notice_minutes,
            "horizon": profile.horizon_days,
        }


def save(client, **changes):
    return client.post(PAGE, data={**GOOD, **changes})


def value_of(page: str, name: str) -> str:
    if name == "exceptions":
        return re.search(r'<textarea [^>]*name="exceptions"[^>]*>\r?\n?(.*?)</textarea>', page, re.S).group(1)
    return re.search(rf'<input [^>]*name="{name}"[^>]*value="([^"]*)"', page).group(1)


def preview_times(page: str) -> list[tuple[str, str]]:
    """(UTC instant, as shown) for each time in the preview."""
    return re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', page)


# Access --------------------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(client, mentor):
    assert client.get(PAGE).headers["Location"] == "/auth/login?next=%2Fsettings%2Favailability"
    response = save(client)
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize("role", ["mentee", "admin"])
def test_only_mentors_have_the_page(client, auth, app, people, mentor, role):
    people.make(role, "Not Amentor")
    auth.login("not.amentor@example.com")
    for response in (client.get(PAGE), save(client)):
        assert response.status_code == 403
        assert "Only mentors have a public profile and hours to set." in response.get_data(as_text=True)
    assert stored(app, mentor)["weekly"] == {}


def test_a_new_mentor_sees_the_defaults_in_their_own_zone(client, auth, mentor):
    auth.login(MENTOR_EMAIL)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert re.search(r'<option [^>]*selected[^>]*value="Europe/Berlin">', page)
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        assert re.search(rf'<label for="[a-z]{{3}}">{day}</label>', page)
    assert all(value_of(page, day) == "" for day in EMPTY_WEEK)
    assert (value_of(page, "buffer"), value_of(page, "notice"), value_of(page, "horizon")) == ("0", "4", "60")
    assert NO_HOURS in page
    assert "Next free times" not in page


def test_the_zone_search_works_without_javascript(client, auth, mentor):
    auth.login(MENTOR_EMAIL)
    page = client.get(PAGE + "?tz_search=Tokyo").get_data(as_text=True)
    assert re.search(r'<option [^>]*selected[^>]*value="Asia/Tokyo">', page)


# Saving ------------------------------------------------------------------------------


def test_every_field_is_saved_and_shown_back(client, auth, app, clock, mentor):
    auth.login(MENTOR_EMAIL)
    response = save(client)
    assert response.status_code == 302
    assert response.headers["Location"] == PAGE
    assert stored(app, mentor) == {
        # The mentor's own zone: the hours keep following it.
        "timezone": None,
        "weekly": {"mon": [["09:00", "12:00"], ["14:00", "17:00"]], "tue": [["09:00", "12:00"]], "wed": [["13:00", "24:00"]]},
        "exceptions": [
            {"date": "2026-12-24", "hours": []},
            {"date": "2026-12-31", "hours": [["10:00", "12:00"], ["14:00", "15:00"]]},
        ],
        "buffer": 10,
        "notice": 720,
        "horizon": 60,
    }
    page = client.get(PAGE).get_data(as_text=True)
    assert '<p class="flash flash-success">Your hours are saved.</p>' in page
    assert value_of(page, "mon") == "09:00-12:00, 14:00-17:00"
    assert value_of(page, "tue") == "09:00-12:00"
    assert value_of(page, "wed") == "13:00-24:00"
    assert value_of(page, "thu") == ""
    assert value_of(page, "exceptions") == "2026-12-24 off\n2026-12-31 10:00-12:00, 14:00-15:00"
    assert (value_of(page, "buffer"), value_of(page, "notice"), value_of(page, "horizon")) == ("10", "12", "60")
    assert NO_HOURS not in page


def test_hours_in_another_zone_are_kept_in_it(client, auth, app, clock, mentor):
    auth.login(MENTOR_EMAIL)
    assert save(client, timezone="Asia/Tokyo").status_code == 302
    assert stored(app, mentor)["timezone"] == "Asia/Tokyo"
    page = client.get(PAGE).get_data(as_text=True)
    assert re.search(r'<option [^>]*selected[^>]*value="Asia/Tokyo">', page)
    assert "Times in Asia/Tokyo." in page


@pytest.mark.parametrize(("typed", "minutes", "shown"), [("0.5", 30, "0:30"), ("1:30", 90, "1:30"), ("0", 0, "0"), ("720", 43200, "720")])
def test_notice_is_given_in_hours(client, auth, app, clock, mentor, typed, minutes, shown):
    auth.login(MENTOR_EMAIL)
    assert save(client, notice=typed).status_code == 302
    assert stored(app, mentor)["notice"] == minutes
    assert value_of(client.get(PAGE).get_data(as_text=True), "notice") == shown


def test_a_day_can_end_at_midnight(client, auth, app, clock, mentor):
    auth.login(MENTOR_EMAIL)
    assert save(client, sun="22:00-24:00", exceptions="2026-12-31 20:00 to 24:00").status_code == 302
    saved = stored(app, mentor)
    assert saved["weekly"]["sun"] == [["22:00", "24:00"]]
    assert saved["exceptions"] == [{"date": "2026-12-31", "hours": [["20:00", "24:00"]]}]
    page = client.get(PAGE).get_data(as_text=True)
    assert value_of(page, "sun") == "22:00-24:00"
    assert value_of(page, "exceptions") == "2026-12-31 20:00-24:00"


def test_past_exception_dates_are_dropped(client, auth, app, clock, mentor):
    auth.login(MENTOR_EMAIL)
    # NOW is Monday 23 November 2026, 10:00 in Berlin: that day is kept, earlier ones go.
    response = save(client, exceptions="2026-11-01 off\n2026-11-22 10:00-11:00\n2026-11-23 off\n2026-12-24 off")
    assert response.status_code == 302
    assert [item["date"] for item in stored(app, mentor)["exceptions"]] == ["2026-11-23", "2026-12-24"]
    assert value_of(client.get(PAGE).get_data(as_text=True), "exceptions") == "2026-11-23 off\n2026-12-24 off"


def test_emptying_every_day_makes_any_free_time_bookable(client, auth, app, clock, mentor):
    auth.login(MENTOR_EMAIL)
    save(client)
    assert save(client, **EMPTY_WEEK, exceptions="").status_code == 302
    assert stored(app, mentor)["weekly"] == {} and stored(app, mentor)["exceptions"] == []
    assert NO_HOURS in client.get(PAGE).get_data(as_text=True)


# Bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"mon": "09:00-12:00, 11:00-13:00"}, "mon", "09:00–12:00 and 11:00–13:00 overlap."),
        ({"tue": "25:00-26:00"}, "tue", "&#39;25:00&#39; is not a time of day such as 09:30."),
        ({"wed": "12:00-09:00"}, "wed", "12:00–09:00 is not a stretch of one day."),
        ({"thu": "9am"}, "thu", "&#39;9am&#39; is not a stretch of hours such as 09:00-12:00."),
        ({"fri": "09:00-"}, "fri", "is not a stretch of hours such as 09:00-12:00."),
        ({"sat": "24:00-24:30"}, "sat", "not a time of day"),
        ({"sun": "09:00-10:00, " * 30}, "sun", "Keep it to 200 characters."),
        ({"mon": ", ".join(f"{hour:02d}:00-{hour:02d}:30" for hour in range(9))}, "mon", "Give at most 8 stretches"),
        ({"exceptions": "2026-12-24 off\n2026-13-01 off"}, "exceptions", "Line 2: Give the date as YYYY-MM-DD, e.g. 2026-12-24."),
        ({"exceptions": "2026-12-24"}, "exceptions", "Line 1: give &#34;off&#34; or the hours after the date"),
        ({"exceptions": "2026-12-24 off\n\n2026-12-24 10:00-11:00"}, "exceptions", "Line 3: 2026-12-24 is given twice."),
        ({"exceptions": "2026-12-30 off\n2026-12-31 10:00-09:00"}, "exceptions", "Line 2: 10:00–09:00 is not a stretch of one day."),
        ({"exceptions": "2026-12-31 soon"}, "exceptions", "Line 1: &#39;soon&#39; is not a stretch of hours"),
        ({"exceptions": "24/12/2026 off"}, "exceptions", "Line 1: Give the date as YYYY-MM-DD"),
        ({"exceptions": "\n".join(f"{date(2027, 1, 1) + timedelta(days=n)} off" for n in range(201))}, "exceptions", "Give at most 200 dates."),
        ({"exceptions": "2026-12-24 off\n" * 1500}, "exceptions", "Keep the list to 20000 characters."),
        ({"buffer": "241"}, "buffer", "Give a whole number of minutes from 0 to 240."),
        ({"buffer": "ten"}, "buffer", "Give a whole number of minutes."),
        ({"buffer": "-5"}, "buffer", "Give a whole number of minutes."),
        ({"buffer": "99999999999999999999"}, "buffer", "Give a whole number of minutes."),
        ({"notice": "721"}, "notice", "Give from 0 to 720 hours."),
        ({"notice": "-1"}, "notice", "Give from 0 to 720 hours."),
        ({"notice": "abc"}, "notice", "Give the notice in hours, e.g. 12, 0.5 or 1:30."),
        ({"notice": "NaN"}, "notice", "Give the notice in hours that make whole minutes"),
        ({"notice": "0.3333"}, "notice", "Give the notice in hours that make whole minutes"),
        ({"notice": "1:75"}, "notice", "Give the notice in hours, e.g. 12, 0.5 or 1:30."),
        ({"horizon": "0"}, "horizon", "Give a whole number of days from 1 to 365."),
        ({"horizon": "366"}, "horizon", "Give a whole number of days from 1 to 365."),
        ({"horizon": "1e3"}, "horizon", "Give a whole number of days."),
        ({"horizon": ""}, "horizon", "Give a whole number of days."),
        ({"timezone": "Nowhere/Special"}, "timezone", "Choose a time zone such as Europe/Berlin."),
    ],
)
def test_bad_input_is_400_next_to_its_field_and_stores_nothing(client, auth, app, clock, mentor, changes, field, message):
    auth.login(MENTOR_EMAIL)
    save(client, timezone="Asia/Tokyo")
    before = stored(app, mentor)
    # Every other field changed too: none of it may be stored.
    response = save(client, **{"thu": "08:00-09:00", "buffer": "5", "horizon": "30", **changes})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in field_errors(page, field)
    assert re.search(rf'aria-describedby="[^"]*{field}-error', page)
    assert f'<a href="#{field}">' in page  # the error summary leads to the field
    assert stored(app, mentor) == before
    # What was typed is kept, the bad value too.
    if field != "thu":
        assert value_of(page, "thu") == "08:00-09:00"
    if field not in ("timezone", "exceptions"):
        assert html.unescape(value_of(page, field)) == changes[field]
    elif field == "exceptions":
        assert html.unescape(value_of(page, field)) == changes[field]


def test_several_bad_fields_are_named_at_once(client, auth, app, clock, mentor):
    auth.login(MENTOR_EMAIL)
    response = save(client, mon="13:00-12:00", thu="nonsense", exceptions="2026-12-24 off\n2026-12-32 off", horizon="0")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "not a stretch of one day" in field_errors(page, "mon")
    assert "not a stretch of hours" in field_errors(page, "thu")
    assert "Line 2:" in field_errors(page, "exceptions")
    assert "from 1 to 365" in field_errors(page, "horizon")
    assert stored(app, mentor)["weekly"] == {}


def test_many_bad_lines_are_named_a_few_at_a_time(client, auth, app, clock, mentor):
    auth.login(MENTOR_EMAIL)
    response = save(client, exceptions="\n".join(f"2027-01-{day:02d} whenever" for day in range(1, 31)))
    assert response.status_code == 400
    errors = field_errors(response.get_data(as_text=True), "exceptions")
    assert "Line 1: &#39;whenever&#39; is not a stretch of hours" in errors
    assert "Line 5:" in errors and "Line 6:" not in errors
    assert "And 25 more lines." in errors
    assert stored(app, mentor)["exceptions"] == []
    # Lines the service refuses are named the same way.
    response = save(client, exceptions="\n".join(f"2027-02-{day:02d} off" for day in range(1, 31)))
    assert response.status_code == 400
    errors = field_errors(response.get_data(as_text=True), "exceptions")
    assert "Line 29: Give the date as YYYY-MM-DD" in errors and "Line 30:" in errors
    assert "And" not in errors
    response = save(client, exceptions="\n".join(f"2027-02-31 1{n % 10}:00-1{n % 10}:30" for n in range(8)))
    errors = field_errors(response.get_data(as_text=True), "exceptions")
    assert "Line 1: Give the date" in errors and "Line 6:" not in errors and "And 3 more lines." in errors


def test_a_nul_character_is_refused_and_stores_nothing(client, auth, app, clock, mentor):
    auth.login(MENTOR_EMAIL)
    save(client)
    before = stored(app, mentor)
    assert save(client, mon="09:00-1\x002:00").status_code == 400
    assert save(client, exceptions="2026-12-25 off\x00").status_code == 400
    assert stored(app, mentor) == before


def test_saving_needs_the_csrf_token(csrf_app, clock):
    client, mentor_id = logged_in_csrf_client(csrf_app)
    page = client.get(PAGE).get_data(as_text=True)
    form = re.search(rf'<form method="post" action="{PAGE}"[^>]*>\s*<input [^>]*>', page).group(0)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)

    refused = save(client, timezone="UTC")
    assert refused.status_code == 400
    assert "Your form expired" in refused.get_data(as_text=True)
    assert stored(csrf_app, mentor_id)["weekly"] == {}

    assert save(client, timezone="UTC", csrf_token=token).status_code == 302
    assert stored(csrf_app, mentor_id)["weekly"]["mon"] == [["09:00", "12:00"], ["14:00", "17:00"]]


# The preview -------------------------------------------------------------------------

EVERY_DAY_AT_NINE = {day: "09:00-10:00" for day in EMPTY_WEEK}


def test_the_preview_shows_the_next_free_times_and_skips_a_day_off(client, auth, app, clock, mentor):
    auth.login(MENTOR_EMAIL)
    # Monday 23 November 2026, 10:00 in Berlin: today's hour has begun; Tuesday is a day off.
    assert save(client, **EVERY_DAY_AT_NINE, exceptions="2026-11-24 off", notice="0").status_code == 302
    page = client.get(PAGE).get_data(as_text=True)
    assert "Next free times for a 60-minute session:" in page
    assert preview_times(page) == [
        ("2026-11-25T08:00:00Z", "Wed 25 Nov 2026, 09:00"),
        ("2026-11-26T08:00:00Z", "Thu 26 Nov 2026, 09:00"),
        ("2026-11-27T08:00:00Z", "Fri 27 Nov 2026, 09:00"),
        ("2026-11-28T08:00:00Z", "Sat 28 Nov 2026, 09:00"),
        ("2026-11-29T08:00:00Z", "Sun 29 Nov 2026, 09:00"),
    ]
    assert "Times in Europe/Berlin." in page


def test_the_preview_keeps_the_mentors_wall_clock_across_a_dst_change(client, auth, app, clock, mentor):
    # Berlin moves its clocks forward on Sunday 28 March 2027: 09:00 is 08:00 UTC before, 07:00 after.
    clock.move_to(datetime(2027, 3, 25, 6, 0, tzinfo=UTC))
    auth.login(MENTOR_EMAIL)
    assert save(client, **EVERY_DAY_AT_NINE, exceptions="", notice="0").status_code == 302
    page = client.get(PAGE).get_data(as_text=True)
    assert preview_times(page) == [
        ("2027-03-25T08:00:00Z", "Thu 25 Mar 2027, 09:00"),
        ("2027-03-26T08:00:00Z", "Fri 26 Mar 2027, 09:00"),
        ("2027-03-27T08:00:00Z", "Sat 27 Mar 2027, 09:00"),
        ("2027-03-28T07:00:00Z", "Sun 28 Mar 2027, 09:00"),
        ("2027-03-29T07:00:00Z", "Mon 29 Mar 2027, 09:00"),
    ]


def test_the_preview_is_in_the_zone_of_the_hours(client, auth, app, clock, mentor):
    # New York keeps its clocks until 14 March 2027, Berlin until 28 March: between the two changes they are
    # five hours apart, not six; the preview says New York's 09:00 whatever the mentor's own zone.
    clock.move_to(datetime(2027, 3, 12, 12, 0, tzinfo=UTC))
    auth.login(MENTOR_EMAIL)
    assert save(client, **EVERY_DAY_AT_NINE, timezone="America/New_York", exceptions="", notice="0").status_code == 302
    page = client.get(PAGE).get_data(as_text=True)
    assert preview_times(page)[:3] == [
        ("2027-03-12T14:00:00Z", "Fri 12 Mar 2027, 09:00"),
        ("2027-03-13T14:00:00Z", "Sat 13 Mar 2027, 09:00"),
        ("2027-03-14T13:00:00Z", "Sun 14 Mar 2027, 09:00"),
    ]
    assert "Times in America/New_York." in page
