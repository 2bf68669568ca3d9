"""The join status fragment: what it shows at each moment of the window, how the page's clock takes
it from there, its final states, and the pages that include it."""
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest

from meetapp.domain.scheduling import SessionStatus
from meetapp.extensions import db
from meetapp.models import MentoringSession
from tests.support import CLOSES, MENTEE_EMAIL, MENTOR_EMAIL, OPENS, PASSWORD, START, counted_queries, table_read_by

HTMX = {"HX-Request": "true"}
END = START + timedelta(minutes=60)


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


def join_control(fragment: str) -> str:
    """The Join control's opening tag."""
    match = re.search(r'<a class="button button-primary button-join"[^>]*>', fragment)
    assert match, "no Join control"
    return match.group(0)


def href_of(fragment: str) -> str | None:
    match = re.search(r' href="([^"]*)"', join_control(fragment))
    return match.group(1) if match else None


def countdown_of(fragment: str) -> str:
    return re.search(r"data-countdown-text[^>]*>([^<]*)</span>", fragment).group(1)


VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _OnScreen(HTMLParser):
    """Collects the text a sighted person sees: none under `hidden`, nor under `visually-hidden`."""

    def __init__(self):
        super().__init__()
        self.out_of_sight: list[bool] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID_ELEMENTS:
            return
        attributes = dict(attrs)
        unseen = "hidden" in attributes or "visually-hidden" in (attributes.get("class") or "").split()
        self.out_of_sight.append(unseen or bool(self.out_of_sight and self.out_of_sight[-1]))

    def handle_endtag(self, tag):
        if tag not in VOID_ELEMENTS:
            self.out_of_sight.pop()

    def handle_data(self, data):
        if not (self.out_of_sight and self.out_of_sight[-1]):
            self.text.append(data)


def on_screen(markup: str) -> str:
    """The markup's text as shown when it is rendered, before any script runs."""
    parser = _OnScreen()
    parser.feed(markup)
    return " ".join("".join(parser.text).split())


def timed_parts(fragment: str) -> list[tuple[str, str | None, str | None]]:
    """(text, data-shown-from, data-shown-until) of each part that holds only for a while, in order."""
    parts = []
    for match in re.finditer(r"<(p|span)\b([^>]*data-shown-[^>]*)>(.*?)</\1>", fragment, re.S):
        attributes, inner = match.group(2), match.group(3)
        start = re.search(r'data-shown-from="([^"]+)"', attributes)
        end = re.search(r'data-shown-until="([^"]+)"', attributes)
        text = " ".join(re.sub(r"<[^>]+>", "", inner).split())
        parts.append((text, start and start.group(1), end and end.group(1)))
    return parts


def status(client, session_id: str, **kwargs):
    return client.get(f"/sessions/{session_id}/status", **kwargs)


def status_fragment(client, session_id: str) -> str:
    response = status(client, session_id)
    assert response.status_code == 200
    return fragment_of(response.get_data(as_text=True), session_id)


def meeting_room(app, session_id: str) -> str:
    with app.app_context():
        return db.session.get(MentoringSession, session_id).meeting_room


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# What each moment shows -------------------------------------------------------------
#
# The server renders every part of the window into the fragment and hides, at the moment it renders,
# those out of their range: a page is right at once, and app.js flips the parts by the page's clock.
# The mentee is in New York: 09:45 UTC is 04:45 there, 10:00 is 05:00, 11:30 is 06:30.


@pytest.mark.parametrize(
    ("moment", "state", "shown"),
    [
        (OPENS - timedelta(seconds=1), "too_early", "Opens in 00:01 Joining opens at 04:45 (your time)."),
        (OPENS, "available", "Join You can join now. Your session starts at 05:00."),
        (START - timedelta(seconds=1), "available", "Join You can join now. Your session starts at 05:00."),
        (START, "available", "Join You can join now. Your session is under way."),
        (END - timedelta(seconds=1), "available", "Join You can join now. Your session is under way."),
        (END, "available", "Join You can still join until 06:30."),
        (CLOSES - timedelta(seconds=1), "available", "Join You can still join until 06:30."),
        (CLOSES, "expired", "Session ended This session has ended; joining closed at 06:30."),
    ],
    ids=["too early", "opening", "before the start", "start", "under way", "end", "last second", "closed"],
)
def test_each_moment_shows_only_its_own_parts(client, auth, clock, booked, moment, state, shown):
    clock.move_to(moment)
    auth.login(MENTEE_EMAIL)
    fragment = status_fragment(client, booked)
    assert f'data-join-state="{state}"' in opening_tag(fragment)
    assert on_screen(fragment) == shown


def test_every_part_carries_the_range_in_which_the_page_clock_shows_it(client, auth, clock, booked):
    auth.login(MENTEE_EMAIL)
    fragment = status_fragment(client, booked)
    assert timed_parts(fragment) == [
        ("Join", iso(OPENS), None),
        ("Opens in 45:00", None, iso(OPENS)),
        ("Joining opens at 04:45 (your time).", None, iso(OPENS)),
        ("You can join now. Your session starts at 05:00.", iso(OPENS), iso(START)),
        ("You can join now. Your session is under way.", iso(START), iso(END)),
        ("You can still join until 06:30.", iso(END), iso(CLOSES)),
        ("Session ended", iso(CLOSES), None),
        ("This session has ended; joining closed at 06:30.", iso(CLOSES), None),
    ]
    tag = opening_tag(fragment)
    assert f'data-opens-at="{iso(OPENS)}" data-closes-at="{iso(CLOSES)}"' in tag
    assert 'data-say-available="Joining is open: you can join Standard with Mona Mentor now."' in tag
    assert 'data-say-expired="Standard with Mona Mentor has ended."' in tag
    assert "data-confirmed" in tag and "data-final" not in tag
    # The Join control goes when the window closes, and "Session ended" takes its place.
    assert f'data-shown-until="{iso(CLOSES)}"' in join_control(fragment)
    assert 'aria-live="polite" data-announce></span>' in fragment
    # No htmx polling of its own any more: the page has one poll (app.js), not one per fragment.
    assert "hx-get" not in fragment and "hx-trigger" not in fragment


def test_before_the_opening_the_join_control_is_inert_and_counts_down(client, auth, clock, booked):
    auth.login(MENTEE_EMAIL)
    fragment = status_fragment(client, booked)
    control = join_control(fragment)
    assert href_of(fragment) is None
    assert 'role="link" aria-disabled="true"' in control
    assert f'data-join-link data-href="/sessions/{booked}/join"' in control
    assert countdown_of(fragment) == "45:00"
    assert f'data-countdown-until="{iso(OPENS)}"' in fragment
    assert "/join/" not in fragment


def test_from_the_opening_the_join_control_is_a_link_to_the_door_that_lets_in(app, client, auth, clock, booked):
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    response = status(client, booked)
    fragment = fragment_of(response.get_data(as_text=True), booked)
    assert href_of(fragment) == f"/sessions/{booked}/join"
    assert "aria-disabled" not in join_control(fragment)
    room = meeting_room(app, booked)
    assert room not in response.get_data(as_text=True)

    joined = client.get(href_of(fragment))
    assert joined.status_code == 302
    assert joined.headers["Location"].startswith(f"https://meet.jit.si/{room}#")


def test_the_countdown_is_timed_to_the_millisecond_by_the_pages_server_clock(client, auth, clock, booked):
    clock.move_to(OPENS - timedelta(milliseconds=750))
    auth.login(MENTEE_EMAIL)
    fragment = status_fragment(client, booked)
    assert f'data-countdown-until="{iso(OPENS)}"' in fragment
    assert countdown_of(fragment) == "00:01"
    # The page it lands in carries the server's time, to the millisecond: app.js counts by it.
    page = client.get(f"/sessions/{booked}").get_data(as_text=True)
    opens_ms = int(OPENS.timestamp() * 1000)
    assert f'data-server-now-ms="{opens_ms - 750}"' in page


@pytest.mark.parametrize(
    ("starts_at", "countdown", "sentence"),
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
    client, auth, clock, api_as, mentor, mentee, starts_at, countdown, sentence
):
    session_id = book(api_as, mentee, mentor, starts_at)["id"]
    auth.login(MENTEE_EMAIL)
    fragment = status_fragment(client, session_id)
    assert on_screen(fragment) == f"Opens in {countdown} {sentence}"


def test_the_opening_time_is_in_the_viewers_own_zone(client, auth, clock, booked):
    # The mentor is in Berlin: 09:45 UTC is 10:45 there; the countdown is the same for both.
    auth.login(MENTOR_EMAIL)
    fragment = status_fragment(client, booked)
    assert on_screen(fragment) == "Opens in 45:00 Joining opens at 10:45 (your time)."
    assert f'<time datetime="{iso(OPENS)}">10:45</time>' in fragment


# Final states -----------------------------------------------------------------------


def test_after_the_window_the_fragment_is_final_and_stops_htmx_polling(client, auth, clock, booked):
    clock.move_to(CLOSES)
    auth.login(MENTEE_EMAIL)
    polled = status(client, booked, headers=HTMX)
    assert polled.status_code == 286
    fragment = fragment_of(polled.get_data(as_text=True), booked)
    assert "data-final" in opening_tag(fragment) and "data-opens-at" not in opening_tag(fragment)
    assert "button-join" not in fragment and "/join" not in fragment
    assert "data-shown-" not in fragment
    assert "HX-Request" in polled.headers["Vary"]
    assert status(client, booked).status_code == 200


def test_a_cancelled_session_is_final_without_a_join_control(client, auth, clock, api_as, booked, mentor):
    api_as(mentor).post(f"/api/mentoring/session/{booked}/cancel", json={"reason": "Unwell"})
    auth.login(MENTEE_EMAIL)
    polled = status(client, booked, headers=HTMX)
    assert polled.status_code == 286
    fragment = fragment_of(polled.get_data(as_text=True), booked)
    assert 'data-join-state="cancelled"' in fragment and "data-final" in opening_tag(fragment)
    assert on_screen(fragment) == "Cancelled"
    assert "button-join" not in fragment and "/join" not in fragment


def test_a_declined_request_says_so_and_is_final(app, client, auth, clock, api_as, mentor, mentee):
    session_id = book(api_as, mentee, mentor, confirm=False)["id"]
    with app.app_context():
        db.session.get(MentoringSession, session_id).status = SessionStatus.DECLINED
        db.session.commit()
    auth.login(MENTEE_EMAIL)
    polled = status(client, session_id, headers=HTMX)
    assert polled.status_code == 286
    fragment = fragment_of(polled.get_data(as_text=True), session_id)
    assert on_screen(fragment) == "Declined"
    assert "data-final" in opening_tag(fragment) and "/join" not in fragment


def test_a_pending_session_waits_for_the_confirmation_until_its_window_closes(
    client, auth, clock, api_as, mentor, mentee
):
    session_id = book(api_as, mentee, mentor, confirm=False)["id"]
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    polled = status(client, session_id, headers=HTMX)
    assert polled.status_code == 200
    fragment = fragment_of(polled.get_data(as_text=True), session_id)
    assert on_screen(fragment) == "Waiting for confirmation Waiting for the mentor to confirm this session."
    assert "data-final" not in opening_tag(fragment) and "data-confirmed" not in opening_tag(fragment)
    # At the close the page's clock turns it into "Never confirmed", with no request.
    assert timed_parts(fragment) == [
        ("Waiting for confirmation", None, iso(CLOSES)),
        ("Waiting for the mentor to confirm this session.", None, iso(CLOSES)),
        ("Never confirmed", iso(CLOSES), None),
        ("This session was never confirmed.", iso(CLOSES), None),
    ]
    assert "button-join" not in fragment and "/join" not in fragment
    auth.logout()
    auth.login(MENTOR_EMAIL)
    assert on_screen(status_fragment(client, session_id)) == "Waiting for confirmation"


def test_a_session_never_confirmed_is_final_once_its_window_closed(client, auth, clock, api_as, mentor, mentee):
    session_id = book(api_as, mentee, mentor, confirm=False)["id"]
    clock.move_to(CLOSES)
    auth.login(MENTEE_EMAIL)
    polled = status(client, session_id, headers=HTMX)
    assert polled.status_code == 286
    fragment = fragment_of(polled.get_data(as_text=True), session_id)
    assert on_screen(fragment) == "Never confirmed This session was never confirmed."
    assert "data-final" in opening_tag(fragment)


# Who may see it, and what it costs ---------------------------------------------------


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
    assert on_screen(fragment) == "Opens in 45:00 Joining opens at 04:45 (your time)."
    assert href_of(fragment) is None

    clock.move_to(OPENS)
    fragment = fragment_of(client.get("/").get_data(as_text=True), booked)
    assert href_of(fragment) == f"/sessions/{booked}/join"


def test_a_session_just_over_can_still_be_joined_from_the_dashboard(client, auth, clock, booked):
    clock.move_to(START + timedelta(minutes=70))
    auth.login(MENTEE_EMAIL)
    page = client.get("/").get_data(as_text=True)
    _, past = page.split('id="past-title"')
    fragment = fragment_of(past, booked)
    assert href_of(fragment) == f"/sessions/{booked}/join"
    assert on_screen(fragment) == "Join You can still join until 06:30."
    clock.move_to(CLOSES)
    assert f'id="join-status-{booked}"' not in client.get("/").get_data(as_text=True)


def test_the_session_page_carries_the_same_fragment(client, auth, clock, booked):
    auth.login(MENTOR_EMAIL)
    page = client.get(f"/sessions/{booked}").get_data(as_text=True)
    fragment = fragment_of(page, booked)
    assert countdown_of(fragment) == "45:00"
    assert fragment == status_fragment(client, booked)


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
    # Starts 09:10: its window is open at 09:00, so the row carries a Join link.
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
    assert href_of(fragment_of(page, first)) == f"/sessions/{first}/join"
    assert {"too_early", "pending", "available"} <= set(re.findall(r'data-join-state="(\w+)"', page))
    assert with_eight == with_one


# The waiting page ---------------------------------------------------------------------


def test_the_waiting_page_counts_down_and_polls_the_status_once_a_minute(app, client, auth, clock, api_as, mentor, mentee):
    session = book(api_as, mentee, mentor)
    auth.login(MENTEE_EMAIL)
    response = client.get(path_of(session["joinUrl"]))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Standard with Mona Mentor" in page
    # 10:00 UTC in New York.
    assert "Mon 23 Nov 2026, 05:00</time>" in page and "America/New_York" in page
    fragment = fragment_of(page, session["id"])
    assert on_screen(fragment) == "Opens in 45:00 Joining opens at 04:45 (your time)."
    assert href_of(fragment) is None
    # The page's one poll (app.js) asks for the status until the window closes or the fragment is final.
    poll = re.search(r'<section class="card narrow join-page join-waiting"[^>]*>', page).group(0)
    assert f'data-live-poll="/sessions/{session["id"]}/status"' in poll
    assert re.search(r'data-live-etag="&#34;\d+\.\d+&#34;"', poll)
    assert f'data-live-until="{iso(CLOSES)}"' in poll
    assert 'data-live-stop-on="[data-join-state][data-final]"' in poll
    assert "hx-get" not in fragment
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
    own = status_fragment(client, session_id)
    assert client.get(href_of(own)).status_code == 302
    auth.logout()
    auth.login(MENTOR_EMAIL)
    fragment = status(client, session_id).get_data(as_text=True)
    assert "with &lt;script&gt;alert(1)&lt;/script&gt;</span>" in fragment
    assert 'data-say-available="Joining is open: you can join Standard with &lt;script&gt;alert(1)&lt;/script&gt; now."' in fragment
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
