"""A mentor's own hours through the JSON API (GET/PUT /api/mentoring/me/availability): the stored
shape, fields left out kept, every bad field named with nothing changed, and mentors only."""
import json

import pytest

from meetapp.extensions import db
from meetapp.models import MentorProfile

AVAILABILITY = "/api/mentoring/me/availability"
EMPTY_WEEK = {day: [] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
DEFAULTS = {
    "timezone": "Europe/Berlin",
    "weekly": EMPTY_WEEK,
    "exceptions": [],
    "bufferMinutes": 0,
    "minimumNoticeMinutes": 240,
    "horizonDays": 60,
}
FULL = {
    "timezone": "Asia/Tokyo",
    "weekly": {"mon": [["14:00", "17:00"], ["09:00", "12:00"]], "fri": [["20:00", "24:00"]]},
    "exceptions": [{"date": "2026-12-31", "hours": [["10:00", "11:00"]]}, {"date": "2026-12-24", "hours": []}],
    "bufferMinutes": 10,
    "minimumNoticeMinutes": 720,
    "horizonDays": 90,
}
FULL_STORED = FULL | {
    "weekly": EMPTY_WEEK | {"mon": [["09:00", "12:00"], ["14:00", "17:00"]], "fri": [["20:00", "24:00"]]},
    "exceptions": [{"date": "2026-12-24", "hours": []}, {"date": "2026-12-31", "hours": [["10:00", "11:00"]]}],
}


def stored_row(app, mentor_id: int) -> tuple:
    with app.app_context():
        profile = db.session.get(MentorProfile, mentor_id)
        return (
            profile.availability_timezone,
            profile.weekly_hours,
            profile.hour_exceptions,
            profile.buffer_minutes,
            profile.minimum_notice_minutes,
            profile.horizon_days,
        )


def test_a_new_mentor_has_no_hours_in_their_own_zone(clock, as_mentor):
    response = as_mentor.get(AVAILABILITY)
    assert response.status_code == 200
    assert response.json == DEFAULTS
    assert response.headers["Cache-Control"] == "no-store"


def test_put_stores_the_hours_and_answers_them_as_stored(app, clock, as_mentor, mentor):
    response = as_mentor.put(AVAILABILITY, json=FULL)
    assert response.status_code == 200
    assert response.json == FULL_STORED
    assert as_mentor.get(AVAILABILITY).json == FULL_STORED
    assert stored_row(app, mentor)[0] == "Asia/Tokyo"


def test_fields_left_out_keep_their_values(clock, as_mentor):
    as_mentor.put(AVAILABILITY, json=FULL)
    response = as_mentor.put(AVAILABILITY, json={"bufferMinutes": 0})
    assert response.json == FULL_STORED | {"bufferMinutes": 0}
    assert as_mentor.put(AVAILABILITY, json={}).json == FULL_STORED | {"bufferMinutes": 0}


def test_a_null_timezone_goes_back_to_the_mentors_own(app, clock, as_mentor, mentor):
    as_mentor.put(AVAILABILITY, json=FULL)
    assert as_mentor.put(AVAILABILITY, json={"timezone": None}).json["timezone"] == "Europe/Berlin"
    assert stored_row(app, mentor)[0] is None


def test_exceptions_already_past_in_the_mentors_zone_are_dropped(clock, as_mentor):
    # Now is Monday 23 November 2026, 10:00 in Berlin.
    days = [{"date": day, "hours": []} for day in ("2026-11-22", "2026-11-23", "2026-11-24")]
    stored = as_mentor.put(AVAILABILITY, json={"exceptions": days}).json["exceptions"]
    assert [item["date"] for item in stored] == ["2026-11-23", "2026-11-24"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"timezone": "Mars/Olympus"}, ["timezone"]),
        ({"weekly": {"monday": [["09:00", "12:00"]]}}, ["weekly"]),
        ({"weekly": {"mon": [["9:00", "12:00"]]}}, ["weekly.mon"]),
        ({"weekly": {"mon": [["09:00", "24:30"]]}}, ["weekly.mon"]),
        ({"weekly": {"tue": [["12:00", "09:00"]]}}, ["weekly.tue"]),
        ({"weekly": {"tue": [["09:00", "12:00"], ["11:00", "13:00"]]}}, ["weekly.tue"]),
        ({"weekly": {"tue": [["²²:00", "23:00"]]}}, ["weekly.tue"]),
        ({"weekly": [["09:00", "12:00"]]}, ["weekly"]),
        ({"exceptions": [{"date": "2026-02-30", "hours": []}]}, ["exceptions[0].date"]),
        ({"exceptions": [{"date": "2026-W52-4", "hours": []}]}, ["exceptions[0].date"]),
        ({"exceptions": [{"date": "2026-12-24"}, {"date": "2026-12-24"}]}, ["exceptions[1].date"]),
        ({"exceptions": "2026-12-24"}, ["exceptions"]),
        ({"bufferMinutes": 241}, ["bufferMinutes"]),
        ({"bufferMinutes": True}, ["bufferMinutes"]),
        ({"minimumNoticeMinutes": -1}, ["minimumNoticeMinutes"]),
        ({"minimumNoticeMinutes": "60"}, ["minimumNoticeMinutes"]),
        ({"horizonDays": 0}, ["horizonDays"]),
        ({"horizonDays": 10**100}, ["horizonDays"]),
        ({"horizonDays": 30.5}, ["horizonDays"]),
        ({"bufferMinutes": -1, "horizonDays": 0, "timezone": 3}, ["bufferMinutes", "horizonDays", "timezone"]),
        ({"buffer": 10}, ["buffer"]),  # a misspelt field is named, not ignored
        ({"timezone": "Europe/Berlin\x00"}, ["timezone"]),
        ({"weekly": {"mon": [["09:00\x00", "12:00"]]}}, ["weekly"]),
    ],
)
def test_a_bad_field_is_named_and_nothing_changes(app, clock, as_mentor, mentor, body, fields):
    as_mentor.put(AVAILABILITY, json=FULL)
    before = stored_row(app, mentor)
    # A good field beside the bad one is not kept either.
    response = as_mentor.put(AVAILABILITY, json=body | {"horizonDays": body.get("horizonDays", 7)})
    assert response.status_code == 400
    assert response.json["error"] == "validation_error"
    assert sorted(response.json["fields"]) == fields
    assert stored_row(app, mentor) == before


@pytest.mark.parametrize(
    ("data", "code"),
    [("not json", "invalid_json"), ("[1, 2]", "invalid_json"), ('"weekly"', "invalid_json"), ("[" * 100000, "invalid_json")],
)
def test_a_body_that_is_no_json_object_is_refused(app, clock, as_mentor, mentor, data, code):
    before = stored_row(app, mentor)
    response = as_mentor.put(AVAILABILITY, data=data, content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"] == code
    assert stored_row(app, mentor) == before


def test_an_oversized_body_is_413(app, clock, as_mentor):
    body = {"exceptions": [{"date": "2027-01-01", "hours": [], "pad": "x" * 100}] * 20000}
    response = as_mentor.put(AVAILABILITY, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 413


@pytest.mark.parametrize("role", ["mentee", "admin"])
def test_only_mentors_have_hours(clock, api_as, people, role):
    other = api_as(people.make(role, f"Not A Mentor {role}"))
    for response in (other.get(AVAILABILITY), other.put(AVAILABILITY, json={"bufferMinutes": 5})):
        assert response.status_code == 403
        assert response.json["error"] == "not_mentor"


def test_nobody_logged_in_gets_401(client):
    assert client.get(AVAILABILITY).status_code == 401
    assert client.put(AVAILABILITY, json={"bufferMinutes": 5}).status_code == 401


def test_a_mentor_changes_only_their_own_hours(app, clock, api_as, people, mentor):
    other = people.make("mentor", "Otto Other", timezone="Asia/Tokyo")
    api_as(mentor).put(AVAILABILITY, json=FULL)
    assert api_as(other).get(AVAILABILITY).json == DEFAULTS | {"timezone": "Asia/Tokyo"}
    api_as(other).put(AVAILABILITY, json={"bufferMinutes": 30})
    assert api_as(mentor).get(AVAILABILITY).json == FULL_STORED

