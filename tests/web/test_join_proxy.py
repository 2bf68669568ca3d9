"""`/join/<token>` in a browser: every row of the contract's join table, and every kind of bad token."""
from datetime import UTC, datetime, timedelta

import pytest

from meetapp.domain.join_tokens import JoinClaim, JoinTokens
from meetapp.extensions import db
from meetapp.models import MentoringSession
from tests.support import (
    CLOSES,
    MENTEE_EMAIL,
    MENTOR_EMAIL,
    OPENS,
    PASSWORD,
    START,
    ApiClient,
    People,
    attempts,
    counted_queries,
    path_of,
    running_app,
    set_session_type,
    table_read_by,
)


def stored(app, session_id) -> MentoringSession:
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        db.session.expunge(session)
        return session


def assert_private(response):
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_inside_the_window_the_participant_is_sent_to_the_meeting(
    app, client, auth, clock, confirmed_with_links, mentee
):
    session_id, mentee_path, _ = confirmed_with_links
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    response = client.get(mentee_path)
    assert response.status_code == 302
    room = stored(app, session_id).meeting_room
    assert response.headers["Location"].startswith(f"https://meet.jit.si/{room}#")
    assert "userInfo.displayName=%22Max%20Mentee%22" in response.headers["Location"]
    assert response.get_data() == b""
    assert_private(response)
    assert attempts(app)[-1] == (mentee, "joined", "in_window")


def test_a_join_costs_the_viewer_the_session_and_the_attendance_insert(app, client, auth, clock, confirmed_with_links):
    # The login's person, the link's session with both people and its type, then the log row.
    _, mentee_path, _ = confirmed_with_links
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    client.get("/")
    with counted_queries(app) as statements:
        assert client.get(mentee_path).status_code == 302
    kinds = [statement.split(None, 1)[0].upper() for statement in statements]
    assert kinds == ["SELECT", "SELECT", "INSERT"], statements
    assert [table_read_by(statement) for statement in statements[:2]] == ["users", "mentoring_sessions"]
    assert "attendance_events" in statements[2]


def test_not_logged_in_goes_to_login_and_comes_back_to_the_same_link(app, client, clock, confirmed_with_links):
    _, mentee_path, _ = confirmed_with_links
    clock.move_to(OPENS)
    response = client.get(mentee_path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/auth/login?next={mentee_path}"
    assert attempts(app)[-1] == (None, "denied", "unauthenticated")
    logged_in = client.post(f"/auth/login?next={mentee_path}", data={"email": MENTEE_EMAIL, "password": PASSWORD, "next": mentee_path})
    # Not a redirect: the browser must leave the login form before the join link sends it to another site.
    assert logged_in.status_code == 200
    page = logged_in.get_data(as_text=True)
    assert f'<meta http-equiv="refresh" content="0; url={mentee_path}">' in page
    assert f'href="{mentee_path}"' in page
    assert client.get(mentee_path).status_code == 302


@pytest.mark.parametrize(
    "mangle",
    [
        lambda path: path[:-4],
        lambda path: path[:-6] + ("A" if path[-6] != "A" else "B") + path[-5:],
        lambda path: "/join/" + "x" * 40,
        lambda path: "/join/" + "a" * 600,
        lambda path: path.replace(".", "-", 1),
    ],
    ids=["truncated", "flipped", "garbage", "huge", "reshaped"],
)
def test_tampered_links_are_404_and_never_redirect(client, auth, clock, confirmed_with_links, mangle):
    _, mentee_path, _ = confirmed_with_links
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    response = client.get(mangle(mentee_path))
    assert response.status_code == 404
    assert "This join link is not valid" in response.get_data(as_text=True)
    assert_private(response)


def token_for(app, session_id, user_id, version, key="test-secret-key", fallbacks=(), short_lived=False, at=START):
    return JoinTokens(key, list(fallbacks)).issue(JoinClaim(session_id, user_id, version, short_lived), at)


def test_a_link_signed_with_an_unknown_key_is_404(app, client, auth, clock, confirmed_with_links, mentee):
    session_id = confirmed_with_links[0]
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    assert client.get(f"/join/{token_for(app, session_id, mentee, 1, key='someone-elses-key')}").status_code == 404


def test_a_link_signed_with_a_rotated_key_still_works(database_url, clock, confirmed_with_links, mentee):
    """The running app has moved to a new key; links mailed under the old one still open."""
    session_id, mentee_path, _ = confirmed_with_links
    with running_app(database_url, SECRET_KEY="the-new-key", SECRET_KEY_FALLBACKS=["test-secret-key"]) as rotated:
        client = rotated.test_client()
        client.post("/auth/login", data={"email": MENTEE_EMAIL, "password": PASSWORD})
        clock.move_to(OPENS)
        assert client.get(mentee_path).status_code == 302
    with running_app(database_url, SECRET_KEY="the-new-key") as without_fallback:
        client = without_fallback.test_client()
        client.post("/auth/login", data={"email": MENTEE_EMAIL, "password": PASSWORD})
        assert client.get(mentee_path).status_code == 404


def test_a_link_from_before_a_reschedule_is_revoked(app, client, auth, clock, confirmed_with_links, api_as, mentor, mentee):
    session_id, old_path, _ = confirmed_with_links
    # The mentor moves it, so it stays confirmed (a mentee's move would return it to pending).
    api_as(mentor).post(f"/api/mentoring/session/{session_id}/reschedule", json={"startsAt": "2026-11-23T10:30:00Z"})
    new_session = api_as(mentee).get(f"/api/mentoring/session/{session_id}").json["session"]
    clock.move_to(OPENS + timedelta(minutes=30))
    auth.login(MENTEE_EMAIL)
    response = client.get(old_path)
    assert response.status_code == 404
    assert attempts(app)[-1] == (mentee, "denied", "revoked_link")
    assert client.get(path_of(new_session["joinUrl"])).status_code == 302


def test_a_link_from_before_a_new_meeting_link_is_revoked(client, auth, clock, confirmed_with_links, api_as, mentor):
    session_id, mentee_path, _ = confirmed_with_links
    api_as(mentor).post(f"/api/mentoring/session/{session_id}/generate-link")
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    assert client.get(mentee_path).status_code == 404


def test_someone_elses_link_is_403_even_for_the_other_participant(
    app, client, auth, clock, confirmed_with_links, mentor
):
    _, mentee_path, _ = confirmed_with_links
    clock.move_to(OPENS)
    auth.login(MENTOR_EMAIL)
    response = client.get(mentee_path)
    assert response.status_code == 403
    assert "This link belongs to someone else" in response.get_data(as_text=True)
    assert attempts(app)[-1] == (mentor, "denied", "not_participant")


def test_a_stranger_with_a_forwarded_link_is_403(client, auth, clock, confirmed_with_links, people):
    _, mentee_path, _ = confirmed_with_links
    people.make("mentee", "Eve Eavesdropper")
    clock.move_to(OPENS)
    auth.login("eve.eavesdropper@example.com")
    assert client.get(mentee_path).status_code == 403


def test_a_cancelled_session_is_410_and_says_who_cancelled(
    app, client, auth, clock, confirmed_with_links, api_as, mentor, mentee
):
    session_id, mentee_path, _ = confirmed_with_links
    api_as(mentor).post(f"/api/mentoring/session/{session_id}/cancel", json={"reason": "Unwell <b>today</b>"})
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    response = client.get(mentee_path)
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "was cancelled by Mona Mentor" in page
    assert "Unwell &lt;b&gt;today&lt;/b&gt;" in page
    assert attempts(app)[-1] == (mentee, "denied", "cancelled")


def test_an_unconfirmed_session_is_409(client, auth, clock, api_as, mentor, mentee):
    session = api_as(mentee).post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": "2026-11-23T10:00:00Z", "durationMinutes": 60}
    ).json["session"]
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    response = client.get(path_of(session["joinUrl"]))
    assert response.status_code == 409
    assert "has not confirmed this session yet" in response.get_data(as_text=True)


def test_before_the_window_is_a_waiting_page_not_the_meeting(app, client, auth, clock, confirmed_with_links, mentee):
    _, mentee_path, _ = confirmed_with_links
    clock.move_to(OPENS - timedelta(seconds=1))
    auth.login(MENTEE_EMAIL)
    response = client.get(mentee_path)
    assert response.status_code == 200
    assert "Location" not in response.headers
    # 09:45 UTC is 04:45 in the mentee's New York.
    assert 'Joining opens at <time datetime="2026-11-23T09:45:00Z">04:45</time> (your time).' in response.get_data(as_text=True)
    assert attempts(app)[-1] == (mentee, "denied", "too_early")
    assert_private(response)


def test_at_the_end_of_the_window_the_session_has_ended(app, client, auth, clock, confirmed_with_links, mentee):
    _, mentee_path, _ = confirmed_with_links
    clock.move_to(CLOSES - timedelta(seconds=1))
    auth.login(MENTEE_EMAIL)
    assert client.get(mentee_path).status_code == 302
    clock.move_to(CLOSES)
    response = client.get(mentee_path)
    assert response.status_code == 410
    assert "Session ended" in response.get_data(as_text=True)
    assert attempts(app)[-1] == (mentee, "denied", "expired")


def test_the_mentor_is_sent_to_the_same_room(app, client, auth, clock, confirmed_with_links):
    session_id, _, mentor_path = confirmed_with_links
    clock.move_to(START)
    auth.login(MENTOR_EMAIL)
    response = client.get(mentor_path)
    assert response.status_code == 302
    assert f"/{stored(app, session_id).meeting_room}#" in response.headers["Location"]


def test_a_session_types_own_window_applies(app, client, auth, clock, api_as, mentor, mentee):
    session = api_as(mentee).post(
        "/api/mentoring/sessions",
        json={"mentorId": mentor, "startsAt": "2026-11-23T10:00:00Z", "durationMinutes": 15, "sessionType": "Quick check-up"},
    ).json["session"]
    api_as(mentor).post(f"/api/mentoring/session/{session['id']}/confirm")
    auth.login(MENTEE_EMAIL)
    clock.move_to(START - timedelta(minutes=6))
    assert client.get(path_of(session["joinUrl"])).status_code == 200  # waiting: Quick check-up opens 5 min early
    clock.move_to(START - timedelta(minutes=5))
    assert client.get(path_of(session["joinUrl"])).status_code == 302


def test_a_type_that_opens_an_hour_early_and_closes_soon_after_has_its_own_window(
    app, client, auth, clock, api_as, mentor, mentee
):
    # The defaults (JITSI_ALLOW_EARLY_MINUTES=15, JITSI_MAX_LATE_MINUTES=30) would open at 10:45 and close at 12:30.
    set_session_type(app, "Long lead", early=60, late=5)
    session = api_as(mentee).post(
        "/api/mentoring/sessions",
        json={"mentorId": mentor, "startsAt": "2026-11-23T11:00:00Z", "durationMinutes": 60, "sessionType": "Long lead"},
    ).json["session"]
    api_as(mentor).post(f"/api/mentoring/session/{session['id']}/confirm")
    link = path_of(session["joinUrl"])
    opens, closes = datetime(2026, 11, 23, 10, 0, tzinfo=UTC), datetime(2026, 11, 23, 12, 5, tzinfo=UTC)
    auth.login(MENTEE_EMAIL)
    clock.move_to(opens - timedelta(seconds=1))
    assert client.get(link).status_code == 200
    assert attempts(app)[-1] == (mentee, "denied", "too_early")
    clock.move_to(opens)
    assert client.get(link).status_code == 302
    clock.move_to(closes - timedelta(seconds=1))
    assert client.get(link).status_code == 302
    clock.move_to(closes)
    response = client.get(link)
    assert response.status_code == 410
    assert "Session ended" in response.get_data(as_text=True)
    assert attempts(app)[-1] == (mentee, "denied", "expired")


def test_defaults_apply_where_the_type_leaves_the_window_empty(database_url, clock):
    with running_app(database_url, JITSI_ALLOW_EARLY_MINUTES=2, JITSI_MAX_LATE_MINUTES=0) as app:
        result = app.test_cli_runner().invoke(args=["session-types", "set", "Standard", "--early", "default", "--late", "default"])
        assert result.exit_code == 0
        people = People(app)
        mentor, mentee = people.make("mentor", "Mona Mentor"), people.make("mentee", "Max Mentee")
        client = app.test_client()
        session = ApiClient(client, people.token(mentee)).post(
            "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": "2026-11-23T10:00:00Z", "durationMinutes": 60}
        ).json["session"]
        ApiClient(client, people.token(mentor)).post(f"/api/mentoring/session/{session['id']}/confirm")
        client.post("/auth/login", data={"email": MENTEE_EMAIL, "password": PASSWORD})
        link = path_of(session["joinUrl"])
        clock.move_to(START - timedelta(minutes=2, seconds=1))
        assert client.get(link).status_code == 200
        clock.move_to(START - timedelta(minutes=2))
        assert client.get(link).status_code == 302
        clock.move_to(START + timedelta(minutes=60))
        assert client.get(link).status_code == 410


def test_a_short_lived_link_lasts_five_minutes(app, client, auth, clock, confirmed_with_links, mentee):
    # Pages put these in their Join buttons until they had the door (/sessions/<id>/join, issue 21):
    # one still in a tab left open keeps its five minutes, and no more.
    session_id = confirmed_with_links[0]
    clock.move_to(OPENS)
    short = token_for(app, session_id, mentee, 1, short_lived=True, at=OPENS)
    auth.login(MENTEE_EMAIL)
    assert client.get(f"/join/{short}").status_code == 302
    clock.move_to(OPENS + timedelta(minutes=5, seconds=1))
    assert client.get(f"/join/{short}").status_code == 404


def test_refused_attempts_from_one_address_are_rate_limited(database_url, clock):
    with running_app(database_url, JOIN_DENIED_RATE_LIMIT="3 per minute") as app:
        client = app.test_client()
        statuses = [client.get("/join/not-a-token", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code for _ in range(4)]
        assert statuses == [302, 302, 302, 429]  # not logged in: sent to log in, and counted
        People(app).make("mentee", "Max Mentee")
        client.post("/auth/login", data={"email": MENTEE_EMAIL, "password": PASSWORD})
        statuses = [client.get("/join/not-a-token", environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code for _ in range(4)]
        assert statuses == [404, 404, 404, 429]
        assert client.get("/join/not-a-token", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 404


def test_the_link_of_a_mentee_who_left_the_session_explains_it(
    app, client, auth, clock, confirmed_with_links, api_as, mentee
):
    session_id, mentee_path, _ = confirmed_with_links
    api_as(mentee).post(f"/api/mentoring/session/{session_id}/cancel", json={"reason": "Found another time"})
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    response = client.get(mentee_path)
    assert response.status_code == 410
    assert "was cancelled by Max Mentee" in response.get_data(as_text=True)
