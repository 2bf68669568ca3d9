"""The join status fragment: each state, how it polls and stops, and the pages that include it."""
import re
from datetime import UTC, datetime, timedelta

import pytest

from meetapp.domain.scheduling import SessionStatus
from meetapp.extensions import db
from meetapp.models import MentoringSession
from tests.support import PASSWORD, counted_queries, table_read_by

MENTOR_EMAIL, MENTEE_EMAIL = "mona.mentor@example.com", "max.mentee@example.com"
HTMX = {"HX-Request": "true"}
START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # an hour after NOW; Standard type: 15 min early, 30 late
OPENS, CLOSES = START - timedelta(minutes=15), START + timedelta(minutes=90)


def book(api_as, mentee: int, mentor: int, starts_at: str = "2026-11-23T10:00:00Z", *, confirm: bool = True) -> dict:
    """A session booked (and confirmed) through the API, as the API returns it to the mentee."""
    session = api_as(mentee).post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": starts_at, "durationMinutes": 60}
    ).json["session"]
    if confirm:
        assert api_as(mentor).post(f"/api/mentoring/session/{session['id']}/confirm").status_code == 200
    return session


@pytest.fixture
def booked(clock, api_as, mentor, mentee) -> str:
    return book(api_as, mentee, mentor)["id"]


def path_of(url: str) -> str:
    return url.removeprefix("http://127.0.0.1:5000")


def fragment_of(page: str, session_id: str) -> str:
    """The status fragment of one session, from its opening tag to its live region."""
    match = re.search(rf'<div class="join-state[^"]*" id="join-state-{session_id}".*?data-announce></span>\s*</div>', page, re.S)
    assert match, f"no status fragment for {session_id}"
    return match.group(0)


def opening_tag(fragment: str) -> str:
    return fragment[: fragment.index(">") + 1]


def trigger_of(fragment: str) -> str | None:
    match = re.search(r'hx-trigger="([^"]*)"', opening_tag(fragment))
    return match.group(1) if match else None


def countdown_of(fragment: str) -> str:
    return re.search(r"data-countdown-text>([^<]*)</span>", fragment).group(1)


def message_of(fragment: str) -> str:
    """The fragment's sentence under its headline, as text."""
    match = re.search(r'<p class="join-state-message">(.*?)</p>', fragment, re.S)
    return " ".join(re.sub(r"<[^>]+>", "", match.group(1)).split())


def join_link_of(fragment: str) -> str:
    return re.search(r'<a class="button button-primary button-join" href="(/join/[^"]+)"', fragment).group(1)


def status(client, session_id: str, **kwargs):
    return client.get(f"/sessions/{session_id}/status", **kwargs)


def meeting_room(app, session_id: str) -> str:
    with app.app_context():
        return db.session.get(MentoringSession, session_id).meeting_room



# The states -----------------------------------------------------------------------------


def test_too_early_counts_down_to_the_window_and_polls_within_a_minute(client, auth, clock, booked):
    auth.login(MENTEE_EMAIL)
    response = status(client, booked)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    fragment = fragment_of(response.get_data(as_text=True), booked)
    assert 'data-join-state="too_early"' in fragment
    assert countdown_of(fragment) == "45:00"
    assert "Opens in" in fragment
    assert 'data-countdown-until="2026-11-23T09:45:00Z"' in fragment
    # 2701 s until the window opens, capped at a minute.
    assert trigger_of(fragment) == "load delay:60s, refresh"
    assert f'hx-get="/sessions/{booked}/status"' in opening_tag(fragment)
    assert 'hx-swap="outerHTML"' in opening_tag(fragment)
    assert "/join/" not in fragment
    # 09:45 UTC is 04:45 in the mentee's New York: the clock time, said once, with no duration of its own.
    assert message_of(fragment) == "Joining opens at 04:45 (your time)."
    assert '<time datetime="2026-11-23T09:45:00Z">04:45</time>' in fragment
    assert fragment.count("Joining opens") == 2  # the sentence, and the same words for the live region
    assert 'data-announce-text="Joining opens at 04:45 (your time)."' in opening_tag(fragment)
    assert "(in " not in fragment


def test_half_a_minute_before_opening_the_poll_lands_just_after_it(client, auth, clock, booked):
    clock.move_to(OPENS - timedelta(seconds=30))
    auth.login(MENTEE_EMAIL)
    fragment = fragment_of(status(client, booked).get_data(as_text=True), booked)
    assert countdown_of(fragment) == "00:30"
    assert trigger_of(fragment) == "load delay:31s, refresh"


def test_the_countdown_is_timed_to_the_millisecond_by_the_pages_server_clock(client, auth, clock, booked):
    clock.move_to(OPENS - timedelta(milliseconds=750))
    auth.login(MENTEE_EMAIL)
    fragment = fragment_of(status(client, booked).get_data(as_text=True), booked)
    assert 'data-countdown-until="2026-11-23T09:45:00Z"' in fragment
    assert countdown_of(fragment) == "00:01"
    assert trigger_of(fragment) == "load delay:2s, refresh"
    # The page it lands in carries the server's time, to the millisecond: app.js counts by it.
    page = client.get(f"/sessions/{booked}").get_data(as_text=True)
    opens_ms = int(OPENS.timestamp() * 1000)
    assert f'data-server-now-ms="{opens_ms - 750}"' in page




@pytest.mark.parametrize(
    ("starts_at", "shown", "sentence"),
    [
        ("2026-11-23T13:00:00Z", "3 hours 45 minutes", "Joining opens at 07:45 (your time)."),
        # 20:45 UTC is 15:45 in New York, still Monday there.
        ("2026-11-23T21:00:00Z", "11 hours 45 minutes", "Joining opens at 15:45 (your time)."),
        # 05:15 UTC on Tuesday is 00:15 on Tuesday in New York: not today any more, so the day is given.
        ("2026-11-24T05:30:00Z", "20 hours 15 minutes", "Joining opens at 00:15 (Tue 24 Nov, your time)."),
        ("2026-11-24T21:00:00Z", "1 day 11 hours", "Joining opens at 15:45 (Tue 24 Nov, your time)."),
        ("2026-11-26T10:00:00Z", "3 days", "Joining opens at 04:45 (Thu 26 Nov, your time)."),
        ("2027-01-04T10:00:00Z", "42 days", "Joining opens at 04:45 (Mon 4 Jan 2027, your time)."),
    ],
)
def test_a_far_window_counts_in_hours_then_days_and_names_the_day(
    client, auth, clock, api_as, mentor, mentee, starts_at, shown, sentence
):
    session_id = book(api_as, mentee, mentor, starts_at)["id"]
    auth.login(MENTEE_EMAIL)
    fragment = fragment_of(status(client, session_id).get_data(as_text=True), session_id)
    assert countdown_of(fragment) == shown
    assert message_of(fragment) == sentence
    assert trigger_of(fragment) == "load delay:60s, refresh"


def test_the_opening_time_is_in_the_viewers_own_zone(client, auth, clock, booked):
    # The mentor is in Berlin: 09:45 UTC is 10:45 there; the countdown is the same for both.
    auth.login(MENTOR_EMAIL)
    fragment = fragment_of(status(client, booked).get_data(as_text=True), booked)
    assert message_of(fragment) == "Joining opens at 10:45 (your time)."
    assert countdown_of(fragment) == "45:00"


def test_when_the_window_opens_the_fragment_offers_a_join_link_that_works(app, client, auth, clock, booked):
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    response = status(client, booked)
    assert response.status_code == 200
    fragment = fragment_of(response.get_data(as_text=True), booked)
    assert 'data-join-state="available"' in fragment
    assert "You can join now. Your session starts in 15 minutes." in fragment
    assert "Opens in" not in fragment
    # It still polls, so the short-lived link stays fresh and a cancellation shows.
    assert trigger_of(fragment) == "load delay:60s, refresh"
    room = meeting_room(app, booked)
    assert room not in response.get_data(as_text=True)

    joined = client.get(join_link_of(fragment))
    assert joined.status_code == 302
    assert joined.headers["Location"].startswith(f"https://meet.jit.si/{room}#")


def test_the_last_minute_of_the_window_polls_just_after_it_closes(client, auth, clock, booked):
    clock.move_to(CLOSES - timedelta(seconds=20))
    auth.login(MENTEE_EMAIL)
    fragment = fragment_of(status(client, booked).get_data(as_text=True), booked)
    assert 'data-join-state="available"' in fragment
    assert trigger_of(fragment) == "load delay:21s, refresh"


def test_after_the_window_the_fragment_is_final_and_stops_htmx_polling(client, auth, clock, booked):
    clock.move_to(CLOSES)
    auth.login(MENTEE_EMAIL)
    polled = status(client, booked, headers=HTMX)
    assert polled.status_code == 286
    fragment = fragment_of(polled.get_data(as_text=True), booked)
    assert "Session ended" in fragment
    assert trigger_of(fragment) is None and "hx-get" not in fragment
    assert "/join/" not in fragment
    assert "HX-Request" in polled.headers["Vary"]
    assert status(client, booked).status_code == 200


def test_a_cancelled_session_stops_polling(client, auth, clock, api_as, booked, mentor):
    api_as(mentor).post(f"/api/mentoring/session/{booked}/cancel", json={"reason": "Unwell"})
    auth.login(MENTEE_EMAIL)
    polled = status(client, booked, headers=HTMX)
    assert polled.status_code == 286
    fragment = fragment_of(polled.get_data(as_text=True), booked)
    assert 'data-join-state="cancelled"' in fragment and "Cancelled" in fragment
    assert trigger_of(fragment) is None


def test_a_declined_request_says_so_and_stops_polling(app, client, auth, clock, api_as, mentor, mentee):
    session_id = book(api_as, mentee, mentor, confirm=False)["id"]
    with app.app_context():
        db.session.get(MentoringSession, session_id).status = SessionStatus.DECLINED
        db.session.commit()
    auth.login(MENTEE_EMAIL)
    polled = status(client, session_id, headers=HTMX)
    assert polled.status_code == 286
    fragment = fragment_of(polled.get_data(as_text=True), session_id)
    assert '<p class="join-state-headline">Declined</p>' in fragment and "Cancelled" not in fragment
    assert trigger_of(fragment) is None and "/join/" not in fragment


def test_a_pending_session_polls_every_minute_for_the_confirmation(client, auth, clock, api_as, mentor, mentee):
    session_id = book(api_as, mentee, mentor, confirm=False)["id"]
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    polled = status(client, session_id, headers=HTMX)
    assert polled.status_code == 200
    fragment = fragment_of(polled.get_data(as_text=True), session_id)
    assert "Waiting for confirmation" in fragment
    assert "Waiting for the mentor to confirm this session." in fragment
    assert trigger_of(fragment) == "load delay:60s, refresh"
    assert "/join/" not in fragment


def test_a_session_never_confirmed_is_final_once_its_window_closed(client, auth, clock, api_as, mentor, mentee):
    session_id = book(api_as, mentee, mentor, confirm=False)["id"]
    clock.move_to(CLOSES)
    auth.login(MENTEE_EMAIL)
    polled = status(client, session_id, headers=HTMX)
    assert polled.status_code == 286
    fragment = fragment_of(polled.get_data(as_text=True), session_id)
    assert "Never confirmed" in fragment and trigger_of(fragment) is None


def test_the_status_of_other_peoples_sessions_is_403_and_unknown_ones_404(client, auth, clock, people, booked):
    people.make("mentee", "Nosy Parker")
    auth.login("nosy.parker@example.com")
    refused = status(client, booked, headers=HTMX)
    assert refused.status_code == 403
    assert "/join/" not in refused.get_data(as_text=True)
    assert status(client, "no-such-session").status_code == 404


def test_the_status_needs_a_login(client, clock, booked):
    response = status(client, booked)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_the_fragment_costs_two_queries_the_viewer_and_the_session(app, client, auth, clock, booked):
    # The login's person, then the session with both people and its type in one SELECT.
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    status(client, booked)
    with counted_queries(app) as statements:
        assert status(client, booked).status_code == 200
    assert [table_read_by(statement) for statement in statements] == ["users", "mentoring_sessions"], statements
    assert "JOIN session_types" in statements[1]


def test_a_stranger_polling_the_fragment_costs_the_same_and_sees_nothing(app, client, auth, clock, booked, people):
    people.make("mentee", "Nosy Parker")
    auth.login("nosy.parker@example.com")
    with counted_queries(app) as statements:
        response = status(client, booked)
    assert response.status_code == 403 and "join-state" not in response.get_data(as_text=True)
    assert len(statements) == 2, statements


@pytest.mark.parametrize("session_id", ["booked", "no-such-session", "x" * 40])
def test_without_a_login_the_fragment_tells_nothing_and_reads_nothing(app, client, clock, booked, session_id):
    with counted_queries(app) as statements:
        response = status(client, booked if session_id == "booked" else session_id)
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    assert statements == []


def test_a_login_cookie_naming_nobody_is_no_login_for_the_fragment(client, clock, booked, mentee):
    with client.session_transaction() as session:
        session["_user_id"] = str(mentee + 1000)
    response = status(client, booked)
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


# The pages that include it ------------------------------------------------------------


def test_the_dashboard_row_carries_the_fragment_rendered_in_place(client, auth, clock, booked):
    auth.login(MENTEE_EMAIL)
    page = client.get("/").get_data(as_text=True)
    placeholder = page.split(f'<div class="join-status" id="join-status-{booked}"', 1)[1]
    fragment = fragment_of(placeholder, booked)
    assert placeholder.index(fragment) < placeholder.index("</li>")
    assert countdown_of(fragment) == "45:00"
    assert trigger_of(fragment) == "load delay:60s, refresh"

    clock.move_to(OPENS)
    fragment = fragment_of(client.get("/").get_data(as_text=True), booked)
    assert join_link_of(fragment).startswith("/join/")


def test_a_session_just_over_can_still_be_joined_from_the_dashboard(client, auth, clock, booked):
    clock.move_to(START + timedelta(minutes=70))
    auth.login(MENTEE_EMAIL)
    page = client.get("/").get_data(as_text=True)
    _, past = page.split('id="past-title"')
    assert join_link_of(fragment_of(past, booked)).startswith("/join/")
    clock.move_to(CLOSES)
    assert f'id="join-status-{booked}"' not in client.get("/").get_data(as_text=True)


def test_the_session_page_carries_the_same_fragment(client, auth, clock, booked):
    auth.login(MENTOR_EMAIL)
    page = client.get(f"/sessions/{booked}").get_data(as_text=True)
    fragment = fragment_of(page, booked)
    assert countdown_of(fragment) == "45:00"
    assert fragment == fragment_of(status(client, booked).get_data(as_text=True), booked)


def test_a_confirmation_by_htmx_turns_the_panels_fragment_into_a_countdown(client, auth, clock, api_as, mentor, mentee):
    session_id = book(api_as, mentee, mentor, confirm=False)["id"]
    auth.login(MENTOR_EMAIL)
    assert 'data-join-state="too_early"' not in client.get(f"/sessions/{session_id}").get_data(as_text=True)
    panel = client.post(f"/sessions/{session_id}/confirm", headers=HTMX).get_data(as_text=True)
    assert countdown_of(fragment_of(panel, session_id)) == "45:00"


def test_the_dashboard_costs_three_queries_the_viewer_and_its_two_lists(app, client, auth, clock, booked):
    auth.login(MENTEE_EMAIL)
    client.get("/")
    with counted_queries(app) as statements:
        page = client.get("/").get_data(as_text=True)
    assert [table_read_by(statement) for statement in statements] == ["users", "mentoring_sessions", "mentoring_sessions"]
    assert "times shown in America/New_York" in page and f'id="join-status-{booked}"' in page


def test_a_dashboard_without_sessions_costs_the_same(app, client, auth, clock, people):
    people.make("mentee", "Nora Newcomer")
    auth.login("nora.newcomer@example.com")
    with counted_queries(app) as statements:
        page = client.get("/").get_data(as_text=True)
    assert "times shown in UTC" in page and "No upcoming sessions" in page
    assert len(statements) == 3, statements


def test_a_dashboard_logged_in_by_the_remember_me_cookie_lists_that_persons_sessions(app, client, clock, booked):
    response = client.post("/auth/login", data={"email": MENTEE_EMAIL, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    with client.session_transaction() as session:
        session.clear()
    page = client.get("/")
    assert page.status_code == 200
    assert f'id="join-status-{booked}"' in page.get_data(as_text=True)


def test_the_dashboard_without_a_login_reads_nothing(app, client, clock, booked):
    with counted_queries(app) as statements:
        response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    assert statements == []


def count_dashboard_queries(app, client) -> int:
    client.get("/")
    with counted_queries(app) as statements:
        assert client.get("/").status_code == 200
    return len(statements)


def test_the_dashboard_query_count_does_not_grow_with_sessions(app, client, auth, clock, api_as, mentor, mentee):
    # Starts 09:10: its window is open at 09:00, so the row carries a fresh join link.
    first = book(api_as, mentee, mentor, "2026-11-23T09:10:00Z")["id"]
    auth.login(MENTEE_EMAIL)
    with_one = count_dashboard_queries(app, client)

    later = [f"2026-11-{day}T{hour}:00:00Z" for day in (24, 25, 26) for hour in (10, 14)] + ["2026-11-27T10:00:00Z"]
    for number, starts_at in enumerate(later):
        session = book(api_as, mentee, mentor, starts_at, confirm=number % 3 != 0)
        if number == 4:
            api_as(mentee).post(f"/api/mentoring/session/{session['id']}/cancel", json={"reason": "clash"})
    with_eight = count_dashboard_queries(app, client)
    page = client.get("/").get_data(as_text=True)
    # The cancelled one is folded away without a status of its own.
    assert page.count('<div class="join-state ') == 7
    assert "Cancelled and declined (1)" in page
    assert join_link_of(fragment_of(page, first)).startswith("/join/")
    assert {"too_early", "pending", "available"} <= set(re.findall(r'data-join-state="(\w+)"', page))
    assert with_eight == with_one


# The waiting page ---------------------------------------------------------------------


def test_the_waiting_page_counts_down_and_polls_the_fragment(app, client, auth, clock, api_as, mentor, mentee):
    session = book(api_as, mentee, mentor)
    auth.login(MENTEE_EMAIL)
    response = client.get(path_of(session["joinUrl"]))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Standard with Mona Mentor" in page
    # 10:00 UTC in New York.
    assert "Mon 23 Nov 2026, 05:00</time>" in page and "America/New_York" in page
    fragment = fragment_of(page, session["id"])
    assert countdown_of(fragment) == "45:00"
    assert f'hx-get="/sessions/{session["id"]}/status"' in fragment
    assert trigger_of(fragment) == "load delay:60s, refresh"
    assert 'aria-live="polite"' in fragment
    assert re.search(r'<input type="checkbox" id="auto-join" data-auto-join>\s*<label for="auto-join">'
                     r"Take me in automatically when it opens</label>", page)
    assert meeting_room(app, session["id"]) not in page


# Escaping and secrecy -----------------------------------------------------------------


def test_a_name_with_markup_is_escaped_in_the_fragment_and_the_attendance(client, auth, clock, people, api_as, mentor):
    sneaky = people.make("mentee", "<script>alert(1)</script>", email="sneaky@example.com")
    session_id = book(api_as, sneaky, mentor)["id"]
    clock.move_to(OPENS)
    auth.login("sneaky@example.com")
    own = status(client, session_id).get_data(as_text=True)
    assert client.get(join_link_of(own)).status_code == 302
    auth.logout()
    auth.login(MENTOR_EMAIL)
    fragment = status(client, session_id).get_data(as_text=True)
    assert "with &lt;script&gt;alert(1)&lt;/script&gt;</span>" in fragment
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    attendance = page.split('id="attendance-title"', 1)[1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; joined at" in attendance
    assert "<script>alert(1)</script>" not in page + fragment


def test_no_page_shows_the_meeting_room(app, client, auth, clock, booked):
    room = meeting_room(app, booked)
    clock.move_to(OPENS)
    auth.login(MENTOR_EMAIL)
    for path in ("/", f"/sessions/{booked}", f"/sessions/{booked}/status"):
        page = client.get(path).get_data(as_text=True)
        assert 'data-join-state="available"' in page
        assert room not in page
