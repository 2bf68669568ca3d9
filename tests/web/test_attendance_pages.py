"""Attendance on the session page: the mentor sees every attempt to join, in plain words and local times,
repeated attempts by one person as one line, and the day wherever it is not today."""
import re
from datetime import UTC, datetime, timedelta

import pytest

from meetapp.extensions import db
from meetapp.models import AttendanceEvent

MENTOR_EMAIL, MENTEE_EMAIL = "mona.mentor@example.com", "max.mentee@example.com"
START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # an hour after NOW; Standard type: 15 min early, 30 late
OPENS, CLOSES = START - timedelta(minutes=15), START + timedelta(minutes=90)
# Late on the same Monday in UTC, but already Tuesday in the mentor's Berlin.
NOW_EVENING = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)


@pytest.fixture
def booked(clock, api_as, mentor, mentee) -> dict:
    """A confirmed session at 10:00 UTC, as the API gave it to the mentee (with the mentee's join link)."""
    session = api_as(mentee).post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": "2026-11-23T10:00:00Z", "durationMinutes": 60}
    ).json["session"]
    assert api_as(mentor).post(f"/api/mentoring/session/{session['id']}/confirm").status_code == 200
    return session


def path_of(url: str) -> str:
    return url.removeprefix("http://127.0.0.1:5000")


def attendance_lines(page: str) -> list[str]:
    """The attendance list as text, one line per attempt; [] when the page has no list."""
    match = re.search(r'<ol class="attendance-list">(.*?)</ol>', page, re.S)
    if not match:
        return []
    items = re.findall(r"<li[^>]*>(.*?)</li>", match.group(1), re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", item).split()) for item in items]


def session_page(client, session: dict) -> str:
    return client.get(f"/sessions/{session['id']}").get_data(as_text=True)


def test_the_mentor_sees_a_refused_early_attempt_and_the_join_in_local_time(client, auth, clock, booked):
    join_path = path_of(booked["joinUrl"])
    clock.move_to(START - timedelta(minutes=30))
    auth.login(MENTEE_EMAIL)
    assert client.get(join_path).status_code == 200  # the waiting page
    clock.move_to(START - timedelta(minutes=10))
    assert client.get(join_path).status_code == 302
    auth.logout()

    auth.login(MENTOR_EMAIL)
    page = session_page(client, booked)
    # Europe/Berlin is an hour ahead of UTC in November.
    assert attendance_lines(page) == [
        "Max Mentee · refused at 10:30: too early",
        "Max Mentee joined at 10:50",
    ]
    assert '<time datetime="2026-11-23T09:30:00Z">10:30</time>' in page
    assert "Times in your time zone, Europe/Berlin." in page
    assert "No one has tried to join yet." not in page


def test_the_mentee_does_not_see_the_attendance(client, auth, clock, booked):
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    assert client.get(path_of(booked["joinUrl"])).status_code == 302
    page = session_page(client, booked)
    assert 'id="attendance-title"' not in page
    assert attendance_lines(page) == []
    assert "No one has tried to join yet." not in page


def test_before_anyone_tried_the_mentor_is_told_so(client, auth, clock, booked):
    auth.login(MENTOR_EMAIL)
    page = session_page(client, booked)
    assert 'id="attendance-title"' in page
    assert "No one has tried to join yet." in page
    assert attendance_lines(page) == []


def test_every_reason_for_a_refusal_reads_as_plain_words(app, client, auth, clock, people, api_as, booked, mentor):
    join_path = path_of(booked["joinUrl"])
    people.make("mentee", "Nosy Parker")
    clock.move_to(OPENS)
    assert client.get(join_path).status_code == 302  # not logged in
    auth.login("nosy.parker@example.com")
    assert client.get(join_path).status_code == 403
    auth.logout()
    auth.login(MENTOR_EMAIL)
    assert client.post(f"/sessions/{booked['id']}/new-link").status_code == 302
    auth.logout()
    auth.login(MENTEE_EMAIL)
    assert client.get(join_path).status_code == 404  # the link from before the new meeting link
    clock.move_to(CLOSES)
    fresh = api_as(mentor).get(f"/api/mentoring/session/{booked['id']}").json["session"]["joinUrl"]
    auth.logout()
    auth.login(MENTOR_EMAIL)
    assert client.get(path_of(fresh)).status_code == 410

    lines = attendance_lines(session_page(client, booked))
    assert lines == [
        "Someone not logged in · refused at 10:45: not logged in",
        "Nosy Parker · refused at 10:45: not a participant",
        "Max Mentee · refused at 10:45: an old link",
        "Mona Mentor (you) · refused at 12:30: after the window",
    ]


def test_attempts_at_the_pages_join_door_are_listed_as_those_by_link_are(client, auth, clock, people, booked):
    door = f"/sessions/{booked['id']}/join"
    people.make("mentee", "Nosy Parker")
    clock.move_to(OPENS - timedelta(minutes=1))
    assert client.get(door).status_code == 302  # not logged in
    auth.login("nosy.parker@example.com")
    assert client.get(door).status_code == 403
    auth.logout()
    auth.login(MENTEE_EMAIL)
    assert client.get(door).status_code == 200  # the waiting page
    clock.move_to(OPENS)
    assert client.get(door).status_code == 302
    auth.logout()

    auth.login(MENTOR_EMAIL)
    assert attendance_lines(session_page(client, booked)) == [
        "Someone not logged in · refused at 10:44: not logged in",
        "Nosy Parker · refused at 10:44: not a participant",
        "Max Mentee · refused at 10:44: too early",
        "Max Mentee joined at 10:45",
    ]


def test_an_attempt_on_another_day_than_today_shows_its_date(app, client, auth, clock, api_as, mentor, mentee):
    session = api_as(mentee).post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": "2026-11-25T10:00:00Z", "durationMinutes": 60}
    ).json["session"]
    api_as(mentor).post(f"/api/mentoring/session/{session['id']}/confirm")
    auth.login(MENTEE_EMAIL)
    assert client.get(path_of(session["joinUrl"])).status_code == 200
    auth.logout()
    auth.login(MENTOR_EMAIL)
    # The same day: the time alone.
    assert attendance_lines(session_page(client, session)) == ["Max Mentee · refused at 10:00: too early"]
    # Two days later (the session's own day), that attempt needs its date.
    clock.move_to(datetime(2026, 11, 25, 9, 50, tzinfo=UTC))
    auth.login(MENTOR_EMAIL)
    page = session_page(client, session)
    assert attendance_lines(page) == ["Max Mentee · refused at Mon 23 Nov, 10:00: too early"]
    assert '<time datetime="2026-11-23T09:00:00Z">Mon 23 Nov, 10:00</time>' in page


def test_today_is_the_viewers_own_today(app, client, auth, clock, booked):
    # 23:30 UTC on Monday is already Tuesday in Berlin, the mentor's zone.
    with app.app_context():
        db.session.add(
            AttendanceEvent(session_id=booked["id"], user_id=None, at=NOW_EVENING, outcome="denied", reason="expired")
        )
        db.session.commit()
    clock.move_to(NOW_EVENING + timedelta(minutes=1))
    auth.login(MENTOR_EMAIL)
    assert attendance_lines(session_page(client, booked)) == ["Someone not logged in · refused at 00:30: after the window"]
    clock.move_to(NOW_EVENING - timedelta(hours=1))
    auth.login(MENTOR_EMAIL)
    assert attendance_lines(session_page(client, booked)) == [
        "Someone not logged in · refused at Tue 24 Nov, 00:30: after the window"
    ]


def join_at(client, auth, clock, path: str, at: datetime, email: str = MENTEE_EMAIL) -> int:
    clock.move_to(at)
    auth.login(email)
    status = client.get(path).status_code
    auth.logout()
    return status


def test_repeated_attempts_by_one_person_read_as_one_line(app, client, auth, clock, api_as, mentor, booked):
    mentee_link = path_of(booked["joinUrl"])
    mentor_link = path_of(api_as(mentor).get(f"/api/mentoring/session/{booked['id']}").json["session"]["joinUrl"])
    # Three clicks in two minutes, with the mentor joining in between: still one line for the mentee.
    assert join_at(client, auth, clock, mentee_link, OPENS) == 302
    assert join_at(client, auth, clock, mentor_link, OPENS + timedelta(seconds=40), MENTOR_EMAIL) == 302
    assert join_at(client, auth, clock, mentee_link, OPENS + timedelta(seconds=50)) == 302
    assert join_at(client, auth, clock, mentee_link, OPENS + timedelta(minutes=2)) == 302
    # Back half an hour later (a dropped call): news, so a line of its own.
    assert join_at(client, auth, clock, mentee_link, OPENS + timedelta(minutes=35)) == 302

    auth.login(MENTOR_EMAIL)
    assert attendance_lines(session_page(client, booked)) == [
        "Max Mentee joined 3 times, 10:45–10:47",
        "Mona Mentor (you) joined at 10:45",
        "Max Mentee joined at 11:20",
    ]
    # The API still lists every attempt on its own.
    assert len(api_as_mentor_attendance(app, client, booked)) == 5


def test_a_different_outcome_in_between_starts_a_new_line(app, client, auth, clock, booked):
    link = path_of(booked["joinUrl"])
    assert join_at(client, auth, clock, link, OPENS - timedelta(seconds=30)) == 200
    assert join_at(client, auth, clock, link, OPENS - timedelta(seconds=20)) == 200
    assert join_at(client, auth, clock, link, OPENS) == 302
    assert join_at(client, auth, clock, link, OPENS + timedelta(seconds=5)) == 302

    auth.login(MENTOR_EMAIL)
    page = session_page(client, booked)
    # All in one minute: "at", not a range.
    assert attendance_lines(page) == [
        "Max Mentee · refused 2 times at 10:44: too early",
        "Max Mentee joined 2 times at 10:45",
    ]
    assert '<time datetime="2026-11-23T09:44:30Z">10:44</time>' in page


def test_a_group_across_midnight_gives_both_days(app, client, auth, clock, booked):
    with app.app_context():
        db.session.add_all(
            AttendanceEvent(session_id=booked["id"], user_id=None, at=at, outcome="denied", reason="unauthenticated")
            for at in (NOW_EVENING - timedelta(minutes=32), NOW_EVENING - timedelta(minutes=25))
        )
        db.session.commit()
    clock.move_to(NOW_EVENING + timedelta(days=2))
    auth.login(MENTOR_EMAIL)
    # 22:58 and 23:05 UTC are 23:58 on Monday and 00:05 on Tuesday in Berlin.
    assert attendance_lines(session_page(client, booked)) == [
        "Someone not logged in · refused 2 times, Mon 23 Nov, 23:58–Tue 24 Nov, 00:05: not logged in"
    ]


def test_an_attempt_by_a_deleted_account_is_someone_not_logged_in(app, client, auth, clock, people, booked):
    with app.app_context():
        db.session.add(AttendanceEvent(session_id=booked["id"], user_id=None, at=OPENS, outcome="denied", reason="cancelled"))
        db.session.commit()
    auth.login(MENTOR_EMAIL)
    assert attendance_lines(session_page(client, booked)) == ["Someone not logged in · refused at 10:45: cancelled"]


def test_the_panel_swapped_by_htmx_carries_no_attendance(client, auth, clock, booked):
    auth.login(MENTOR_EMAIL)
    panel = client.post(
        f"/sessions/{booked['id']}/cancel", data={"reason": "clash"}, headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "Session cancelled." in panel
    assert 'id="attendance-title"' not in panel
    assert '<span class="badge badge-cancelled">Cancelled</span>' in panel


def test_a_flood_of_refusals_never_pushes_a_join_off_the_mentors_list(app, client, auth, clock, booked):
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    assert client.get(path_of(booked["joinUrl"])).status_code == 302
    auth.logout()
    # Far more refusals than the page lists, all after the join.
    with app.app_context():
        db.session.add_all(
            AttendanceEvent(
                session_id=booked["id"], user_id=None, at=OPENS + timedelta(seconds=second), outcome="denied",
                reason="unauthenticated", address=f"203.0.113.{second % 250}",
            )
            for second in range(1, 1001)
        )
        db.session.commit()
    auth.login(MENTOR_EMAIL)
    lines = attendance_lines(session_page(client, booked))
    # The latest 200 refusals, a second apart, read as one line.
    assert lines == [
        "Max Mentee joined at 10:45",
        "Someone not logged in · refused 200 times, 10:58–11:01: not logged in",
    ]
    events = api_as_mentor_attendance(app, client, booked)
    assert events[0]["outcome"] == "joined" and len(events) == 1 + 200


def api_as_mentor_attendance(app, client, booked) -> list[dict]:
    # The logged-in mentor's cookie is enough for a GET through the API.
    return client.get(f"/api/mentoring/session/{booked['id']}/attendance").json["events"]


def test_an_admin_sees_the_session_page_with_its_attendance_and_cannot_join_it(
    app, client, auth, clock, people, booked
):
    people.make("admin", "Ada Admin")
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    assert client.get(path_of(booked["joinUrl"])).status_code == 302
    auth.logout()
    auth.login("ada.admin@example.com")
    page = session_page(client, booked)
    assert re.search(r"<h1[^>]*>Standard: Mona Mentor and Max Mentee</h1>", page)
    assert attendance_lines(page) == ["Max Mentee joined at 09:45"]
    assert "Only Mona Mentor and Max Mentee can join" in page
    assert "join-state" not in page and "/join/" not in page
    assert client.get(f"/sessions/{booked['id']}/status").status_code == 403
