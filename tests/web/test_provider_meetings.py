"""Real Zoom and Google Meet meetings behind the join proxy, against local fakes of their APIs.

The fakes (tests/providers/fakes.py) speak the published request and response shapes;
the app reaches them through its base-URL settings, exactly as it would reach zoom.us.
"""
import time
from datetime import UTC, datetime, timedelta

import pytest

from meetapp.extensions import db
from meetapp.models import MentoringSession, MentorProfile
from meetapp.services import meetings
from tests.providers import fakes
from tests.support import ApiClient, People, running_app, set_session_type

START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # an hour after the frozen NOW
OPENS = START - timedelta(minutes=15)
MENTOR_EMAIL, MENTEE_EMAIL = "mona.mentor@example.com", "max.mentee@example.com"




@pytest.fixture
def app(database_url, fake_zoom, fake_google):
    """The app with Zoom (Server-to-Server OAuth) and Google Meet (a refresh token) pointed at the fakes."""
    with running_app(
        database_url,
        ZOOM_ACCOUNT_ID=fakes.ZOOM_ACCOUNT_ID,
        ZOOM_CLIENT_ID=fakes.ZOOM_CLIENT_ID,
        ZOOM_CLIENT_SECRET=fakes.ZOOM_CLIENT_SECRET,
        ZOOM_API_BASE_URL=fake_zoom.api_url,
        ZOOM_OAUTH_URL=fake_zoom.oauth_url,
        GOOGLE_CLIENT_ID=fakes.GOOGLE_CLIENT_ID,
        GOOGLE_CLIENT_SECRET=fakes.GOOGLE_CLIENT_SECRET,
        GOOGLE_REFRESH_TOKEN=fakes.GOOGLE_REFRESH_TOKEN,
        GOOGLE_TOKEN_URL=fake_google.token_url,
        GOOGLE_MEET_API_BASE_URL=fake_google.api_url,
        VIDEO_API_TIMEOUT_SECONDS=2,
    ) as app:
        yield app


def meets_on(app, mentor_id: int, provider: str, zoom_user: str | None = "ada@example.com") -> None:
    with app.app_context():
        profile = db.session.get(MentorProfile, mentor_id)
        profile.video_provider, profile.zoom_user = provider, zoom_user
        db.session.commit()


def stored(app, session_id: str) -> MentoringSession:
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        db.session.expunge(session)
        return session


def book(api_as, mentee, mentor, starts_at: str = "2026-11-23T10:00:00Z", session_type: str | None = None) -> str:
    body = {"mentorId": mentor, "startsAt": starts_at, "durationMinutes": 60}
    if session_type is not None:
        body["sessionType"] = session_type
    response = api_as(mentee).post("/api/mentoring/sessions", json=body)
    assert response.status_code == 201, response.json
    session_id = response.json["session"]["id"]
    assert api_as(mentor).post(f"/api/mentoring/session/{session_id}/confirm").status_code == 200
    return session_id


def join_path(api_client, session_id: str) -> str:
    url = api_client.get(f"/api/mentoring/session/{session_id}").json["session"]["joinUrl"]
    return url.removeprefix("http://127.0.0.1:5000")


# Zoom -------------------------------------------------------------------------------------


def test_booking_makes_a_zoom_meeting_with_a_waiting_room(app, clock, api_as, mentor, mentee, fake_zoom):
    meets_on(app, mentor, "zoom")
    session_id = book(api_as, mentee, mentor)

    session = stored(app, session_id)
    assert session.meeting_kind == "zoom"
    meeting = fake_zoom.meetings[int(session.meeting_external_id)]
    assert session.meeting_url == meeting["join_url"]
    assert session.meeting_password == meeting["password"]
    assert session.meeting_retry_at is None and session.meeting_notice is None
    [created] = fake_zoom.sent("POST", "/v2/users/ada@example.com/meetings")
    assert created.json["settings"] == {"waiting_room": True, "join_before_host": False, "approval_type": 0,
                                        "registrants_confirmation_email": False, "registrants_email_notification": False}
    assert created.json["start_time"] == "2026-11-23T10:00:00Z"
    assert created.json["duration"] == 60
    assert "Max Mentee" in created.json["topic"] and "Mona Mentor" in created.json["topic"]


def test_the_mentee_joins_the_join_url_and_the_mentor_a_fresh_start_url(app, client, auth, clock, api_as, mentor, mentee, fake_zoom):
    meets_on(app, mentor, "zoom")
    session_id = book(api_as, mentee, mentor)
    join_url = stored(app, session_id).meeting_url
    clock.move_to(OPENS)

    auth.login(MENTEE_EMAIL)
    response = client.get(join_path(api_as(mentee), session_id))
    assert response.status_code == 302
    # The mentee's own registrant link (tests/web/test_zoom_registrant_join.py), not the shared one.
    own = fake_zoom.registrant_of(stored(app, session_id).meeting_external_id, MENTEE_EMAIL)
    assert response.headers["Location"] == own["join_url"] != join_url

    auth.logout()
    auth.login(MENTOR_EMAIL)
    path = join_path(api_as(mentor), session_id)
    first = client.get(path).headers["Location"]
    second = client.get(path).headers["Location"]
    assert first.startswith("https://zoom.us/s/") and second.startswith("https://zoom.us/s/")
    assert first != second, "the start URL is fetched at each join, never stored"
    assert fake_zoom.start_urls[-2:] == [first, second]
    with app.app_context():
        assert db.session.get(MentoringSession, session_id).meeting_url == join_url


def test_no_page_or_api_answer_shows_the_zoom_address(app, client, auth, clock, api_as, mentor, mentee, fake_zoom):
    meets_on(app, mentor, "zoom")
    session_id = book(api_as, mentee, mentor)
    for email, person in ((MENTOR_EMAIL, mentor), (MENTEE_EMAIL, mentee)):
        auth.logout()
        auth.login(email)
        bodies = [
            client.get("/").get_data(as_text=True),
            client.get(f"/sessions/{session_id}").get_data(as_text=True),
            api_as(person).get(f"/api/mentoring/session/{session_id}").get_data(as_text=True),
        ]
        assert not any("zoom.us" in body for body in bodies)
        assert "Zoom" in bodies[1]


def test_zoom_down_at_booking_keeps_the_booking_on_jitsi_and_the_worker_makes_it_later(
    app, client, auth, clock, api_as, mentor, mentee, fake_zoom
):
    meets_on(app, mentor, "zoom")
    fake_zoom.fail(times=1, status=503, path="/v2/users/ada@example.com/meetings")
    session_id = book(api_as, mentee, mentor)

    session = stored(app, session_id)
    assert session.meeting_kind == "jitsi" and session.meeting_room
    assert session.meeting_attempts == 1
    # A minute's backoff, half of it random.
    assert datetime(2026, 11, 23, 9, 0, 30, tzinfo=UTC) <= session.meeting_retry_at <= datetime(2026, 11, 23, 9, 1, tzinfo=UTC)
    assert "could not be made" in session.meeting_notice

    auth.login(MENTOR_EMAIL)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "The Zoom meeting could not be made" in page
    assert f'action="/sessions/{session_id}/meeting/retry"' in page
    auth.logout()
    auth.login(MENTEE_EMAIL)
    assert "/meeting/retry" not in client.get(f"/sessions/{session_id}").get_data(as_text=True)

    with app.app_context():
        assert meetings.retry_due(datetime(2026, 11, 23, 9, 0, 29, tzinfo=UTC)) == 0, "not due yet"
        assert meetings.retry_due(datetime(2026, 11, 23, 9, 1, tzinfo=UTC)) == 1
    session = stored(app, session_id)
    assert session.meeting_kind == "zoom" and int(session.meeting_external_id) in fake_zoom.meetings
    assert session.meeting_notice is None and session.meeting_retry_at is None


def test_a_surprise_from_the_client_still_keeps_the_booking(app, clock, api_as, mentor, mentee, fake_zoom, monkeypatch):
    meets_on(app, mentor, "zoom")
    with app.app_context():
        client = meetings.zoom_client()

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the adapter")

    monkeypatch.setattr(client, "create_meeting", broken)
    session = stored(app, book(api_as, mentee, mentor))
    assert session.meeting_kind == "jitsi" and session.meeting_attempts == 1
    assert "something unexpected went wrong" in session.meeting_notice
    assert session.meeting_retry_at is not None


def test_a_hanging_zoom_does_not_hold_the_booking(app, clock, api_as, mentor, mentee, fake_zoom):
    meets_on(app, mentor, "zoom")
    fake_zoom.slow_down(3, path="/v2/users/ada@example.com/meetings")  # the app gives each request 2 s
    started = time.perf_counter()
    session = stored(app, book(api_as, mentee, mentor))
    assert time.perf_counter() - started < 5, "one try, bounded by the timeout, and no resend of a create"
    assert session.meeting_kind == "jitsi" and session.meeting_attempts == 1
    assert len(fake_zoom.sent("POST", "/v2/users/ada@example.com/meetings")) == 1


def test_the_join_link_keeps_working_while_the_meeting_moves_from_jitsi_to_zoom(
    app, client, auth, clock, api_as, mentor, mentee, fake_zoom
):
    meets_on(app, mentor, "zoom")
    fake_zoom.fail(times=1, status=503, path="/v2/users/ada@example.com/meetings")
    session_id = book(api_as, mentee, mentor)
    path = join_path(api_as(mentee), session_id)
    with app.app_context():
        meetings.retry_due(datetime(2026, 11, 23, 9, 1, tzinfo=UTC))
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    location = client.get(path).headers["Location"]
    assert location == fake_zoom.registrant_of(stored(app, session_id).meeting_external_id, MENTEE_EMAIL)["join_url"]


def test_the_mentors_retry_button_makes_the_meeting_at_once(app, client, auth, clock, api_as, mentor, mentee, fake_zoom):
    meets_on(app, mentor, "zoom")
    fake_zoom.fail(times=1, status=503, path="/v2/users/ada@example.com/meetings")
    session_id = book(api_as, mentee, mentor)

    auth.login(MENTEE_EMAIL)
    assert client.post(f"/sessions/{session_id}/meeting/retry").status_code == 403
    assert stored(app, session_id).meeting_kind == "jitsi"

    auth.logout()
    auth.login(MENTOR_EMAIL)
    response = client.post(f"/sessions/{session_id}/meeting/retry")
    assert response.status_code == 302
    assert stored(app, session_id).meeting_kind == "zoom"
    assert "The Zoom meeting is ready." in client.get(f"/sessions/{session_id}").get_data(as_text=True)
    again = client.post(f"/sessions/{session_id}/meeting/retry")
    assert again.status_code == 409
    assert len(fake_zoom.sent("POST", "/v2/users/ada@example.com/meetings")) == 2


def test_a_failure_that_keeps_failing_stops_before_the_window_opens(app, clock, api_as, mentor, mentee, fake_zoom):
    meets_on(app, mentor, "zoom")
    fake_zoom.fail(times=100, status=503, path="/v2/users/ada@example.com/meetings")
    session_id = book(api_as, mentee, mentor)  # the window opens at 09:45
    tries = 1
    while (due := stored(app, session_id).meeting_retry_at) is not None:
        assert due < OPENS
        with app.app_context():
            meetings.retry_due(due)
        tries += 1
    assert 3 <= tries <= 7, "backing off from a minute, doubling, within the 45 minutes"
    session = stored(app, session_id)
    assert session.meeting_retry_at is None, "a retry after 09:45 would move people out of a room they are in"
    assert session.meeting_notice.endswith("This session uses Jitsi.")
    assert session.meeting_kind == "jitsi"


# The retries stop where the session type's own window opens ------------------------------------
#
# Zoom answers the booking's create with a 429 and a Retry-After longer than the client waits,
# so the worker's next try is exactly that far off (the backoff of a first failure is at most a minute).

CREATE = "/v2/users/ada@example.com/meetings"


def book_while_zoom_says_wait(app, api_as, mentee, mentor, fake_zoom, *, minutes: int, starts_at: str, session_type: str):
    meets_on(app, mentor, "zoom")
    fake_zoom.rate_limit(times=1, retry_after=str(minutes * 60), path=CREATE)
    session = stored(app, book(api_as, mentee, mentor, starts_at=starts_at, session_type=session_type))
    assert session.meeting_kind == "jitsi" and session.meeting_attempts == 1
    return session


@pytest.mark.parametrize(
    ("starts_at", "retried_at"),
    [
        # Opens at 09:29, before the retry at 09:30 could come: no retry, the session stays on Jitsi.
        ("2026-11-23T10:29:00Z", None),
        # Opens at 09:31: the retry at 09:30 comes before anyone may be in the room.
        ("2026-11-23T10:31:00Z", datetime(2026, 11, 23, 9, 30, tzinfo=UTC)),
    ],
    ids=["opens-before-the-retry", "opens-after-the-retry"],
)
def test_retries_stop_where_a_type_that_opens_an_hour_early_opens(
    app, clock, api_as, mentor, mentee, fake_zoom, starts_at, retried_at
):
    # The default window (15 minutes) would open at 10:14 or 10:16, long after a retry at 09:30.
    set_session_type(app, "Long lead", early=60, late=5)
    session = book_while_zoom_says_wait(
        app, api_as, mentee, mentor, fake_zoom, minutes=30, starts_at=starts_at, session_type="Long lead"
    )
    assert session.meeting_retry_at == retried_at
    if retried_at is None:
        assert session.meeting_notice.endswith("This session uses Jitsi.")
        with app.app_context():
            assert meetings.retry_due(datetime(2026, 11, 23, 9, 30, tzinfo=UTC)) == 0
        assert stored(app, session.id).meeting_kind == "jitsi"
        assert len(fake_zoom.sent("POST", CREATE)) == 1
    else:
        assert session.meeting_notice.endswith("it is tried again automatically.")


def test_retries_go_on_while_a_type_that_opens_five_minutes_early_is_still_closed(
    app, clock, api_as, mentor, mentee, fake_zoom
):
    # Starts at 10:00 and opens at 09:55. A retry at 09:50 is after the default window's 09:45, and still in time.
    set_session_type(app, "Short lead", early=5, late=5)
    session = book_while_zoom_says_wait(
        app, api_as, mentee, mentor, fake_zoom, minutes=50, starts_at="2026-11-23T10:00:00Z", session_type="Short lead"
    )
    assert session.meeting_retry_at == datetime(2026, 11, 23, 9, 50, tzinfo=UTC)
    with app.app_context():
        assert meetings.retry_due(datetime(2026, 11, 23, 9, 50, tzinfo=UTC)) == 1
    session = stored(app, session.id)
    assert session.meeting_kind == "zoom" and int(session.meeting_external_id) in fake_zoom.meetings


def test_a_cancelled_session_waiting_for_its_meeting_gets_none(app, clock, api_as, mentor, mentee, fake_zoom):
    meets_on(app, mentor, "zoom")
    fake_zoom.fail(times=1, status=503, path="/v2/users/ada@example.com/meetings")
    session_id = book(api_as, mentee, mentor)
    assert api_as(mentee).post(f"/api/mentoring/session/{session_id}/cancel", json={}).status_code == 200
    assert stored(app, session_id).meeting_retry_at is None
    with app.app_context():
        assert meetings.retry_due(datetime(2026, 11, 23, 9, 1, tzinfo=UTC)) == 0
    assert fake_zoom.meetings == {}
    assert len(fake_zoom.sent("POST", "/v2/users/ada@example.com/meetings")) == 1


def test_two_processes_never_make_two_meetings_for_one_session(app, clock, api_as, mentor, mentee, fake_zoom):
    meets_on(app, mentor, "zoom")
    fake_zoom.fail(times=1, status=503, path="/v2/users/ada@example.com/meetings")
    session_id = book(api_as, mentee, mentor)
    at = datetime(2026, 11, 23, 9, 1, tzinfo=UTC)
    with app.app_context():
        assert meetings._claim(session_id, at) is True
        assert meetings.make_provider_meeting(session_id, at) is False, "claimed by the other process"
    assert len(fake_zoom.meetings) == 0


def test_rescheduling_moves_the_zoom_meeting_and_cancelling_deletes_it(app, clock, api_as, mentor, mentee, fake_zoom):
    meets_on(app, mentor, "zoom")
    session_id = book(api_as, mentee, mentor)
    before = stored(app, session_id)
    moved = api_as(mentee).post(
        f"/api/mentoring/session/{session_id}/reschedule", json={"startsAt": "2026-11-24T15:00:00Z"}
    )
    assert moved.status_code == 200, moved.json
    after = stored(app, session_id)
    assert after.meeting_external_id == before.meeting_external_id
    assert after.link_version == before.link_version + 1
    [patch] = fake_zoom.sent("PATCH", f"/v2/meetings/{before.meeting_external_id}")
    assert patch.json["start_time"] == "2026-11-24T15:00:00Z"

    assert api_as(mentor).post(f"/api/mentoring/session/{session_id}/cancel", json={"reason": "Ill"}).status_code == 200
    assert fake_zoom.sent("DELETE", f"/v2/meetings/{before.meeting_external_id}")
    assert int(before.meeting_external_id) not in fake_zoom.meetings


def test_a_new_link_makes_a_new_zoom_meeting_and_removes_the_old(app, clock, api_as, mentor, mentee, fake_zoom):
    meets_on(app, mentor, "zoom")
    session_id = book(api_as, mentee, mentor)
    old = stored(app, session_id).meeting_external_id
    assert api_as(mentor).post(f"/api/mentoring/session/{session_id}/generate-link").status_code == 200
    new = stored(app, session_id).meeting_external_id
    assert new != old
    assert set(fake_zoom.meetings) == {int(new)}


def test_without_a_zoom_user_the_session_says_so_and_uses_jitsi(app, clock, api_as, mentor, mentee, fake_zoom):
    meets_on(app, mentor, "zoom", zoom_user=None)
    session = stored(app, book(api_as, mentee, mentor))
    assert session.meeting_kind == "jitsi" and session.meeting_retry_at is None
    assert "No Zoom user" in session.meeting_notice
    assert fake_zoom.requests == []


def test_without_credentials_zoom_is_the_labelled_jitsi_stand_in(database_url, clock):
    with running_app(database_url) as app:
        people = People(app)
        mentor, mentee = people.make("mentor", "Mona Mentor"), people.make("mentee", "Max Mentee")
        meets_on(app, mentor, "zoom")
        client = app.test_client()
        session_id = book(lambda who: ApiClient(client, people.token(who)), mentee, mentor)
        session = stored(app, session_id)
        assert session.meeting_kind == "jitsi" and session.video_provider == "zoom"
        assert session.meeting_notice == "Zoom is not connected; sessions use Jitsi."


# Google Meet ------------------------------------------------------------------------------


def test_booking_makes_a_meet_space_that_both_people_join(app, client, auth, clock, api_as, mentor, mentee, fake_google):
    meets_on(app, mentor, "google")
    session_id = book(api_as, mentee, mentor)
    session = stored(app, session_id)
    assert session.meeting_kind == "google"
    space = fake_google.spaces[session.meeting_external_id]
    assert session.meeting_url == space["meetingUri"]
    assert session.meeting_code == space["meetingCode"]
    [created] = fake_google.sent("POST", "/v2/spaces")
    assert created.json == {"config": {"accessType": "TRUSTED"}}

    clock.move_to(OPENS)
    for email, person in ((MENTEE_EMAIL, mentee), (MENTOR_EMAIL, mentor)):
        auth.logout()
        auth.login(email)
        assert client.get(join_path(api_as(person), session_id)).headers["Location"] == space["meetingUri"]


def test_cancelling_a_meet_session_ends_its_conference(app, clock, api_as, mentor, mentee, fake_google):
    meets_on(app, mentor, "google")
    session_id = book(api_as, mentee, mentor)
    name = stored(app, session_id).meeting_external_id
    fake_google.start_conference(name)
    assert api_as(mentee).post(f"/api/mentoring/session/{session_id}/cancel", json={}).status_code == 200
    assert fake_google.sent("POST", f"/v2/{name}:endActiveConference")
