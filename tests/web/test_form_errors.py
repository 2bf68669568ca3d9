"""Every form shows all of its problems at once: each beside its field, and in an error summary above the
form whose links lead to the fields (issue 20, item 9)."""
import re

import pytest
import sqlalchemy as sa

from meetapp.extensions import db
from meetapp.models import MentoringSession
from tests.support import MENTEE_EMAIL, MENTOR_EMAIL

EMPTY_BOOKING = {"mentor": "", "session_type": "Standard", "starts_at": "", "duration": "60"}


def summary(page: str) -> list[tuple[str, str]]:
    """The error summary's lines as (link target or "", text), in order; [] when the page has none."""
    match = re.search(r'<div class="error-summary" data-error-summary tabindex="-1">(.*?)</ul>', page, re.S)
    if match is None:
        return []
    lines = re.findall(r"<li>(.*?)</li>", match.group(1), re.S)
    return [
        (link.group(1), link.group(2)) if (link := re.fullmatch(r'<a href="#([^"]+)">(.*)</a>', line)) else ("", line)
        for line in lines
    ]


def field_error(page: str, field: str) -> str:
    match = re.search(rf'<ul class="field-errors" id="{field}-error">(.*?)</ul>', page, re.S)
    return " ".join(re.findall(r"<li>(.*?)</li>", match.group(1))) if match else ""


def session_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(MentoringSession))


def assert_links_lead_to_fields(page: str) -> None:
    for target, _text in summary(page):
        if target:
            assert re.search(rf'<(input|select|textarea) [^>]*id="{target}"', page), f"#{target} is no field"


# Booking ---------------------------------------------------------------------------------


def test_an_empty_booking_form_shows_every_missing_field_at_once(app, client, auth, clock, mentor, mentee):
    auth.login(MENTEE_EMAIL)
    response = client.post("/sessions/new", data=EMPTY_BOOKING | {"duration": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert summary(page) == [
        ("mentor", "Choose a mentor."),
        ("starts_at", "Give the start as a date and a time, e.g. 2026-11-24 15:00."),
        ("duration", "Give the duration as a whole number of minutes."),
    ]
    assert field_error(page, "mentor") == "Choose a mentor."
    assert field_error(page, "starts_at") == "Give the start as a date and a time, e.g. 2026-11-24 15:00."
    assert field_error(page, "duration") == "Give the duration as a whole number of minutes."
    assert 'aria-describedby="mentor-error"' in page
    assert_links_lead_to_fields(page)
    assert session_count(app) == 0


def test_a_start_the_form_cannot_read_does_not_hide_the_booking_rules(app, client, auth, clock, mentor, mentee):
    auth.login(MENTEE_EMAIL)
    page = client.post(
        "/sessions/new", data=EMPTY_BOOKING | {"mentor": "999", "starts_at": "next tuesday", "duration": "500"}
    ).get_data(as_text=True)
    assert field_error(page, "mentor") == "There is no mentor with this id."
    # The form's own words, not also the rules' "Give a start time.".
    assert field_error(page, "starts_at") == "Give the start as a date and a time, e.g. 2026-11-24 15:00."
    assert field_error(page, "duration") == "The duration must be between 15 and 240 minutes."
    assert [target for target, _ in summary(page)] == ["mentor", "starts_at", "duration"]
    assert session_count(app) == 0


def test_a_duration_the_form_cannot_read_does_not_hide_a_past_start(app, client, auth, clock, mentor, mentee):
    auth.login(MENTEE_EMAIL)
    page = client.post(
        "/sessions/new", data=EMPTY_BOOKING | {"mentor": str(mentor), "starts_at": "2026-11-20T10:00", "duration": "an hour"}
    ).get_data(as_text=True)
    assert field_error(page, "starts_at") == "The start is in the past; pick a time that is still ahead."
    assert field_error(page, "duration") == "Give the duration as a whole number of minutes."
    assert field_error(page, "mentor") == ""
    assert [target for target, _ in summary(page)] == ["starts_at", "duration"]
    assert session_count(app) == 0


def test_a_form_with_problems_does_not_count_against_the_booking_limit(app, client, auth, clock, mentor, mentee):
    app.config["BOOKING_RATE_LIMIT"] = "1 per minute"
    auth.login(MENTEE_EMAIL)
    for _ in range(3):
        assert client.post("/sessions/new", data=EMPTY_BOOKING).status_code == 400
    booking = EMPTY_BOOKING | {"mentor": str(mentor), "starts_at": "2026-11-24T10:00"}
    assert client.post("/sessions/new", data=booking).status_code == 302
    assert session_count(app) == 1


def test_a_good_booking_form_shows_no_summary(client, auth, clock, mentor, mentee):
    auth.login(MENTEE_EMAIL)
    page = client.get("/sessions/new").get_data(as_text=True)
    assert "There is a problem" not in page and "data-error-summary" not in page


def test_the_booking_limit_is_an_alert_above_the_form_not_a_field_problem(app, client, auth, clock, mentor, mentee):
    app.config["BOOKING_RATE_LIMIT"] = "1 per minute"
    auth.login(MENTEE_EMAIL)
    booking = EMPTY_BOOKING | {"mentor": str(mentor)}
    assert client.post("/sessions/new", data=booking | {"starts_at": "2026-11-24T10:00"}).status_code == 302
    response = client.post("/sessions/new", data=booking | {"starts_at": "2026-11-25T10:00"})
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert '<div class="alert alert-error" role="alert"><p>You have booked or moved sessions too often' in page
    assert summary(page) == []


# Accounts --------------------------------------------------------------------------------


def test_a_short_and_mismatched_password_shows_both_problems(app, client, clock):
    form = {"email": "new@example.com", "name": "New", "password": "short", "confirm": "other", "role": "mentee",
            "timezone": "UTC"}
    page = client.post("/auth/register", data=form).get_data(as_text=True)
    assert summary(page) == [("password", "Use at least 8 characters."), ("confirm", "The two passwords differ.")]
    assert field_error(page, "password") == "Use at least 8 characters."
    assert field_error(page, "confirm") == "The two passwords differ."


def test_a_missing_role_links_to_its_first_choice(client, clock):
    form = {"email": "new@example.com", "name": "New", "password": "long enough", "confirm": "long enough",
            "timezone": "UTC"}
    page = client.post("/auth/register", data=form).get_data(as_text=True)
    assert summary(page) == [("role-0", "Choose mentor or mentee.")]
    assert re.search(r'<input id="role-0" name="role" [^>]*type="radio" value="mentee">', page)
    assert 'aria-describedby="role-error"' in page


def test_a_blank_login_lists_both_fields_and_does_not_autofocus_past_the_summary(auth):
    page = auth.login("", "").get_data(as_text=True)
    assert summary(page) == [("email", "Enter your email."), ("password", "Enter your password.")]
    assert "autofocus" not in page


def test_a_wrong_password_is_an_alert_not_a_field_problem(auth, mentee):
    page = auth.login(MENTEE_EMAIL, "wrong password").get_data(as_text=True)
    assert '<div class="alert alert-error" role="alert"><p>Wrong email or password.</p></div>' in page
    assert summary(page) == []


def test_a_bad_address_for_a_reset_link_is_in_the_summary(client):
    page = client.post("/auth/forgot", data={"email": "not an address"}).get_data(as_text=True)
    [(target, _text)] = summary(page)
    assert target == "email"


# Settings --------------------------------------------------------------------------------


def test_the_profile_form_shows_the_name_and_zone_problems_at_once(app, client, auth, mentee):
    auth.login(MENTEE_EMAIL)
    response = client.post("/settings/profile", data={"name": " ", "timezone": "Mars/Olympus_Mons"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert summary(page) == [("name", "Enter your name."), ("timezone", "Choose a time zone such as Europe/Berlin.")]
    assert '<h3 class="error-summary-title">There is a problem</h3>' in page
    assert_links_lead_to_fields(page)


def test_a_password_change_lists_every_problem(client, auth, clock, mentee):
    auth.login(MENTEE_EMAIL)
    data = {"current_password": "", "new_password": "short", "repeat_password": "other"}
    page = client.post("/settings/security/password", data=data).get_data(as_text=True)
    assert [target for target, _ in summary(page)] == ["current_password", "new_password", "repeat_password"]
    assert_links_lead_to_fields(page)


def test_a_token_without_a_label_is_in_the_token_forms_summary(client, auth, mentee):
    auth.login(MENTEE_EMAIL)
    page = client.post("/settings/tokens", data={"label": ""}).get_data(as_text=True)
    assert summary(page) == [("label", "Give the token a label, e.g. the script that uses it.")]


def test_a_refused_video_link_is_in_the_summary(client, auth, mentor):
    auth.login(MENTOR_EMAIL)
    page = client.post("/settings/video", data={"provider": "manual", "manual_url": "http://zoom.us/j/1"}).get_data(
        as_text=True
    )
    assert summary(page) == [("manual_url", "Only https:// links are accepted.")]
    assert_links_lead_to_fields(page)


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/auth/forgot"])
def test_pages_without_problems_have_no_summary(client, path):
    page = client.get(path).get_data(as_text=True)
    assert "data-error-summary" not in page and "There is a problem" not in page
