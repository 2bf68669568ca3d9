"""Mentors' public profiles and free slots through the JSON API: who is listed, what a profile shows
(never a meeting address), search and pages, and slots in the mentor's zone across a clock change."""
from datetime import UTC, datetime, timedelta

import pytest

from meetapp.domain.accounts import MentorApproval
from meetapp.extensions import db
from meetapp.models import MentorProfile, User
from meetapp.services import mentor_hours, mentors
from tests.support import NOW

MENTORS = "/api/mentoring/mentors"
MANUAL_URL = "https://meet.example.com/mona-private-room"
MORNINGS = {"weekly": {"mon": [["09:00", "12:00"]]}, "minimumNoticeMinutes": 0}


def set_profile(app, mentor_id: int, *, headline="", bio="", specialties=(), languages=(), session_types=()) -> None:
    with app.app_context():
        mentors.update_profile(
            db.session.get(User, mentor_id),
            headline=headline,
            bio=bio,
            specialties=list(specialties),
            languages=list(languages),
            session_types=list(session_types),
        )


def set_hours(app, mentor_id: int, body: dict) -> None:
    with app.app_context():
        mentor = db.session.get(User, mentor_id)
        current = mentor_hours.settings_of(mentor.mentor_profile)
        mentor_hours.save_settings(mentor, mentor_hours.read_settings(body, current=current), NOW)


def change_profile(app, mentor_id: int, **values) -> None:
    with app.app_context():
        profile = db.session.get(MentorProfile, mentor_id)
        for name, value in values.items():
            setattr(profile, name, value)
        db.session.commit()


def unconfirm(app, user_id: int) -> None:
    with app.app_context():
        db.session.get(User, user_id).email_confirmed_at = None
        db.session.commit()


@pytest.fixture
def admin(people):
    return people.make("admin", "Ada Admin")


@pytest.fixture
def unlisted(app, people):
    """Mentors nobody may find: one waiting for approval, one suspended, one with an unconfirmed address."""
    waiting, suspended, unconfirmed = (people.make("mentor", name) for name in ("Wes Waiting", "Sue Suspended", "Una Unconfirmed"))
    change_profile(app, waiting, approval=MentorApproval.PENDING)
    change_profile(app, suspended, approval=MentorApproval.SUSPENDED)
    unconfirm(app, unconfirmed)
    return [waiting, suspended, unconfirmed]


def test_the_list_shows_each_bookable_mentors_profile(app, clock, as_mentee, mentor, unlisted):
    set_profile(
        app,
        mentor,
        headline="Backend engineer",
        bio="Ten years of Python.",
        specialties=["Python", "Careers"],
        languages=["German", "English"],
        session_types=["Standard", "Follow-up"],
    )
    set_hours(app, mentor, MORNINGS | {"timezone": "Europe/Lisbon"})
    response = as_mentee.get(MENTORS)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json == {
        "mentors": [
            {
                "id": mentor,
                "name": "Mona Mentor",
                "headline": "Backend engineer",
                "bio": "Ten years of Python.",
                "specialties": ["Careers", "Python"],
                "languages": ["English", "German"],
                "sessionTypes": [{"name": "Standard", "durationMinutes": 60}, {"name": "Follow-up", "durationMinutes": 30}],
                "video": "Jitsi",
                "timezone": "Europe/Lisbon",
                "hasHours": True,
            }
        ],
        "page": 1,
        "pages": 1,
        "total": 1,
    }


def test_a_mentor_who_chose_no_types_offers_all_and_without_hours_shows_their_own_zone(clock, as_mentee, mentor):
    profile = as_mentee.get(f"{MENTORS}/{mentor}").json["mentor"]
    assert [kind["name"] for kind in profile["sessionTypes"]] == ["Standard", "Quick check-up", "Extended session", "Follow-up"]
    assert (profile["timezone"], profile["hasHours"], profile["headline"], profile["bio"]) == ("Europe/Berlin", False, None, None)
    assert (profile["specialties"], profile["languages"]) == ([], [])


@pytest.mark.parametrize("role", ["mentee", "mentor", "admin"])
def test_anyone_logged_in_reads_profiles_and_slots(app, clock, api_as, people, mentor, role):
    viewer = people.make(role, f"Viewer {role}")
    as_viewer = api_as(viewer)
    assert [m["id"] for m in as_viewer.get(MENTORS).json["mentors"]] == sorted([mentor] + ([viewer] if role == "mentor" else []))
    assert as_viewer.get(f"{MENTORS}/{mentor}").json["mentor"]["id"] == mentor
    assert as_viewer.get(f"{MENTORS}/{mentor}/slots").status_code == 200


@pytest.mark.parametrize("path", [MENTORS, f"{MENTORS}/1", f"{MENTORS}/1/slots", f"{MENTORS}?q=x"])
def test_nobody_logged_in_gets_401(client, mentor, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.json["error"] == "unauthenticated"
    response = client.get(path, headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401


def test_unlisted_mentors_and_other_people_are_not_found(app, clock, as_mentee, mentee, mentor, admin, unlisted):
    assert [m["id"] for m in as_mentee.get(MENTORS).json["mentors"]] == [mentor]
    for other in [*unlisted, mentee, admin]:
        for path in (f"{MENTORS}/{other}", f"{MENTORS}/{other}/slots"):
            response = as_mentee.get(path)
            assert response.status_code == 404, (other, path)
            assert response.json == {"error": "not_found", "message": "There is no mentor with this id."}


@pytest.mark.parametrize(
    "bad_id", ["0", "999999", "2147483647", "2147483648", "99999999999999999999999999", "-1", "abc", "1.0", "+1", "%201", "%00", "١"]
)
def test_ids_that_name_no_mentor_are_404_never_500(clock, as_mentee, mentor, bad_id):
    for path in (f"{MENTORS}/{bad_id}", f"{MENTORS}/{bad_id}/slots"):
        response = as_mentee.get(path)
        assert response.status_code == 404, path
        assert response.json["error"] == "not_found"


def test_a_profile_names_the_provider_and_never_the_meeting_address(app, clock, as_mentee, mentor):
    change_profile(app, mentor, video_provider="manual", manual_meeting_url=MANUAL_URL)
    for path in (f"{MENTORS}/{mentor}", MENTORS, f"{MENTORS}/{mentor}/slots"):
        response = as_mentee.get(path)
        assert "meet.example.com" not in response.get_data(as_text=True)
        assert "mona-private-room" not in response.get_data(as_text=True)
    assert as_mentee.get(f"{MENTORS}/{mentor}").json["mentor"]["video"] == "the mentor's own meeting link"


@pytest.mark.parametrize(
    ("values", "label"),
    [
        ({"video_provider": "zoom", "zoom_user": "mona@example.com"}, "Jitsi"),  # Zoom is not connected here
        ({"video_provider": "google"}, "Jitsi"),
        ({"video_provider": "manual", "manual_meeting_url": None}, "Jitsi"),
        ({"video_provider": "jitsi"}, "Jitsi"),
    ],
)
def test_a_provider_that_cannot_be_used_shows_jitsi_where_sessions_meet(app, clock, as_mentee, mentor, values, label):
    change_profile(app, mentor, **values)
    assert as_mentee.get(f"{MENTORS}/{mentor}").json["mentor"]["video"] == label


@pytest.fixture
def three_mentors(app, people, mentor):
    anna = people.make("mentor", "Anna Analyst")
    bert = people.make("mentor", "Bert Builder")
    set_profile(app, mentor, headline="Backend engineer", specialties=["Python", "Careers"], languages=["German"])
    set_profile(app, anna, bio="Data and statistics, 100% practical", specialties=["Data science"], languages=["English"])
    set_profile(app, bert, headline="Frontend_lead", specialties=["JavaScript"], languages=["English", "German"])
    return {"mona": mentor, "anna": anna, "bert": bert}


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("", ["anna", "bert", "mona"]),
        ("q=python", ["mona"]),
        ("q=BACKEND", ["mona"]),
        ("q=statistics", ["anna"]),
        ("q=anna", ["anna"]),
        ("q=engineer python", ["mona"]),
        ("q=engineer data", []),
        ("q=100%25", ["anna"]),  # % is a letter to find, not a wildcard
        ("q=%25", ["anna"]),
        ("q=_", ["bert"]),
        ("specialty=python", ["mona"]),
        ("specialty=pyth", []),  # a specialty is matched whole
        ("specialty=data%20%20science", ["anna"]),
        ("language=german", ["bert", "mona"]),
        ("language=English&specialty=JavaScript", ["bert"]),
        ("language=Klingon", []),
        ("q=" + "x" * 5000, []),
    ],
)
def test_search_narrows_by_words_specialty_and_language(clock, as_mentee, three_mentors, query, found):
    response = as_mentee.get(f"{MENTORS}?{query}")
    assert response.status_code == 200
    names = {mentor_id: name for name, mentor_id in three_mentors.items()}
    assert [names[m["id"]] for m in response.json["mentors"]] == found
    assert response.json["total"] == len(found)


@pytest.mark.parametrize("field", ["q", "specialty", "language"])
def test_a_nul_in_the_search_is_a_validation_error(clock, as_mentee, three_mentors, field):
    response = as_mentee.get(f"{MENTORS}?{field}=py%00thon")
    assert response.status_code == 400
    assert response.json["error"] == "validation_error"
    assert list(response.json["fields"]) == [field]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "", " 1", "١", "1e3", "00"])
def test_a_page_that_is_no_positive_whole_number_is_a_validation_error(clock, as_mentee, three_mentors, page):
    response = as_mentee.get(f"{MENTORS}?page={page}")
    assert response.status_code == 400
    assert response.json["error"] == "validation_error"
    assert list(response.json["fields"]) == ["page"]


@pytest.mark.parametrize(("page", "shown"), [("1", 1), ("2", 2), ("002", 2), ("3", 2), ("99999999999999999999999999999999", 2)])
def test_pages_count_from_one_and_a_page_past_the_end_is_the_last(clock, monkeypatch, as_mentee, three_mentors, page, shown):
    monkeypatch.setattr(mentors, "PER_PAGE", 2)
    body = as_mentee.get(f"{MENTORS}?page={page}").json
    assert (body["page"], body["pages"], body["total"]) == (shown, 2, 3)
    expected = [three_mentors["anna"], three_mentors["bert"]] if shown == 1 else [three_mentors["mona"]]
    assert [m["id"] for m in body["mentors"]] == expected


# Slots -----------------------------------------------------------------------------------


def slots(client, mentor_id: int, **params):
    query = "&".join(f"{name}={value}" for name, value in params.items())
    return client.get(f"{MENTORS}/{mentor_id}/slots?{query}")


def test_slots_are_free_starts_in_utc_from_the_mentors_hours(app, clock, as_mentee, mentor):
    set_hours(app, mentor, MORNINGS)
    # Monday 30 November, 09:00–12:00 in Berlin (UTC+1).
    response = slots(as_mentee, mentor, **{"from": "2026-11-30T00:00:00Z", "to": "2026-12-01T00:00:00Z"})
    assert response.status_code == 200
    assert response.json == {
        "slots": [f"2026-11-30T{hour:02d}:{minute:02d}:00Z" for hour in (8, 9) for minute in (0, 15, 30, 45)] + ["2026-11-30T10:00:00Z"],
        "sessionType": "Standard",
        "durationMinutes": 60,
        "timezone": "Europe/Berlin",
        "hasHours": True,
    }


def test_by_default_slots_cover_the_coming_week(app, clock, as_mentee, mentor):
    set_hours(app, mentor, MORNINGS)
    found = slots(as_mentee, mentor).json["slots"]
    # Today from now (10:00 in Berlin) to 11:00, and next Monday up to now a week on (09:00 UTC, 10:00 in Berlin).
    assert found == [
        "2026-11-23T09:00:00Z", "2026-11-23T09:15:00Z", "2026-11-23T09:30:00Z", "2026-11-23T09:45:00Z", "2026-11-23T10:00:00Z",
        "2026-11-30T08:00:00Z", "2026-11-30T08:15:00Z", "2026-11-30T08:30:00Z", "2026-11-30T08:45:00Z",
    ]  # fmt: skip
    assert slots(as_mentee, mentor, **{"from": "2026-11-30T08:30:00Z"}).json["slots"][:2] == [
        "2026-11-30T08:30:00Z",
        "2026-11-30T08:45:00Z",
    ]


def test_the_session_type_sets_the_duration(app, clock, as_mentee, mentor):
    set_hours(app, mentor, MORNINGS)
    window = {"from": "2026-11-30T00:00:00Z", "to": "2026-12-01T00:00:00Z"}
    body = slots(as_mentee, mentor, sessionType="Extended%20session", **window).json
    assert (body["sessionType"], body["durationMinutes"]) == ("Extended session", 90)
    assert body["slots"][-1] == "2026-11-30T09:30:00Z"
    assert slots(as_mentee, mentor, sessionType="quick%20CHECK-UP", **window).json["slots"][-1] == "2026-11-30T10:45:00Z"


@pytest.mark.parametrize("name", ["Nonsense", "x" * 200, "Stand%00ard", ""])
def test_an_unknown_session_type_is_a_field_error(app, clock, as_mentee, mentor, name):
    response = slots(as_mentee, mentor, sessionType=name)
    assert response.status_code == 400
    assert list(response.json["fields"]) == ["sessionType"]


def test_a_type_the_mentor_does_not_offer_is_a_field_error(app, clock, as_mentee, mentor):
    set_profile(app, mentor, session_types=["Follow-up"])
    response = slots(as_mentee, mentor)
    assert response.status_code == 400
    assert response.json["fields"] == {"sessionType": "Mona Mentor does not offer Standard sessions."}
    assert slots(as_mentee, mentor, sessionType="Follow-up").status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-11-30T00:00:00"}, "from"),  # no offset
        ({"from": "tomorrow"}, "from"),
        ({"to": "2026-13-01T00:00:00Z"}, "to"),
        ({"from": "2026-11-30T00:00:00Z", "to": "2026-11-30T00:00:00Z"}, "to"),
        ({"from": "2026-11-30T00:00:00Z", "to": "2026-11-29T00:00:00Z"}, "to"),
        ({"from": "2026-11-30T00:00:00Z", "to": "2027-02-01T00:00:01Z"}, "to"),  # over 62 days
        ({"to": "2020-01-01T00:00:00Z"}, "to"),  # before now, the default start
        ({"from": "9999-12-31T23:00:00Z"}, "from"),  # a week on is past the calendar
        ({"from": "9999-12-31T23:59:59-14:00"}, "from"),
        ({"from": "2026-11-30T00:00:00%00Z"}, "from"),
    ],
)
def test_a_bad_range_is_a_field_error(app, clock, as_mentee, mentor, params, field):
    response = slots(as_mentee, mentor, **params)
    assert response.status_code == 400
    assert response.json["error"] == "validation_error"
    assert list(response.json["fields"]) == [field]


def test_sixty_two_days_may_be_asked_at_once(app, clock, as_mentee, mentor):
    set_hours(app, mentor, MORNINGS | {"horizonDays": 365})
    body = slots(as_mentee, mentor, **{"from": "2026-11-30T00:00:00Z", "to": "2027-01-31T00:00:00Z"}).json
    # Mondays from 30 November to 25 January: nine of them, nine starts each.
    assert len(body["slots"]) == 9 * 9
    assert body["slots"][-1] == "2027-01-25T10:00:00Z"


def test_a_mentor_without_weekly_hours_has_no_slots(app, clock, as_mentee, mentor):
    body = slots(as_mentee, mentor).json
    assert (body["slots"], body["hasHours"], body["timezone"]) == ([], False, "Europe/Berlin")


def test_slots_keep_out_booked_sessions_and_a_mentees_own(app, clock, api_as, people, mentor, mentee):
    set_hours(app, mentor, MORNINGS)
    other_mentor = people.make("mentor", "Otto Other")
    as_mentee = api_as(mentee)
    # The mentee's session with someone else at 09:00 UTC; the mentor's with another mentee at 10:30.
    booked = as_mentee.post(
        "/api/mentoring/sessions", json={"mentorId": other_mentor, "startsAt": "2026-11-30T09:00:00Z", "durationMinutes": 30}
    )
    assert booked.status_code == 201
    somebody = people.make("mentee", "Sam Somebody")
    booked = api_as(somebody).post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": "2026-11-30T10:30:00Z", "durationMinutes": 30}
    )
    assert booked.status_code == 201
    window = {"from": "2026-11-30T00:00:00Z", "to": "2026-12-01T00:00:00Z"}
    # Hours 08:00–11:00 UTC: the mentee is busy 09:00–09:30, the mentor 10:30–11:00.
    assert slots(as_mentee, mentor, **window).json["slots"] == ["2026-11-30T08:00:00Z", "2026-11-30T09:30:00Z"]
    # Another viewer is not kept out of the mentee's time.
    assert slots(api_as(other_mentor), mentor, **window).json["slots"] == [
        f"2026-11-30T{hour:02d}:{minute:02d}:00Z" for hour, minute in ((8, 0), (8, 15), (8, 30), (8, 45), (9, 0), (9, 15), (9, 30))
    ]


def test_slots_keep_to_the_notice_and_the_horizon(app, clock, as_mentee, mentor):
    set_hours(app, mentor, {"weekly": {"mon": [["09:00", "12:00"]]}, "minimumNoticeMinutes": 7 * 24 * 60 + 60, "horizonDays": 14})
    found = slots(as_mentee, mentor, **{"from": "2026-11-23T00:00:00Z", "to": "2026-12-21T00:00:00Z"}).json["slots"]
    # Now + 7 days 1 hour is 30 November 10:00 UTC; now + 14 days is 7 December 09:00 UTC.
    assert found == ["2026-11-30T10:00:00Z", "2026-12-07T08:00:00Z", "2026-12-07T08:15:00Z", "2026-12-07T08:30:00Z", "2026-12-07T08:45:00Z"]


BERLIN_MONDAYS = {"weekly": {"mon": [["09:00", "12:00"]]}, "timezone": "Europe/Berlin"}


@pytest.mark.parametrize(
    ("monday", "first"),
    [
        ("2027-03-22", "2027-03-22T08:00:00Z"),  # the week before Europe's change: CET, UTC+1
        ("2027-03-29", "2027-03-29T07:00:00Z"),  # the week after 28 March: CEST, UTC+2
    ],
)
def test_hours_stay_on_the_mentors_wall_clock_across_the_spring_change(app, clock, as_mentee, mentor, monday, first):
    clock.move_to(datetime(2027, 3, 20, 9, 0, tzinfo=UTC))
    set_hours(app, mentor, BERLIN_MONDAYS)
    start = datetime.fromisoformat(monday).replace(tzinfo=UTC)
    week = {"from": start.isoformat().replace("+00:00", "Z"), "to": (start + timedelta(days=7)).isoformat().replace("+00:00", "Z")}
    found = slots(as_mentee, mentor, **week).json["slots"]
    assert found[0] == first
    assert len(found) == 9


def test_a_from_with_an_offset_means_the_same_instant(app, clock, as_mentee, mentor):
    set_hours(app, mentor, MORNINGS)
    in_berlin = slots(as_mentee, mentor, **{"from": "2026-11-30T09:30:00%2B01:00", "to": "2026-11-30T12:00:00%2B01:00"})
    assert in_berlin.json["slots"][0] == "2026-11-30T08:30:00Z"
