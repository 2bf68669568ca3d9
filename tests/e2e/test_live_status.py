"""Live status that scales (issue 21), in a real browser: what the clock changes happens in the page with
no request, what people change comes with one conditional poll a minute, and the join door still judges.

Both clocks are the test's. The app runs in this process, so `time_machine` stops and moves the server's
clock (`server_clock`); each page's clock is paused before it loads (`pause_clock`) and moves only when
the test runs it (`Traffic.run_clock`), so the page's timers fire exactly when the test says. A page's
time is the server's time when it was rendered plus what the test ran since. A page polls first after
a random 27.5 to 55 s of its clock, then every 55 s.
"""
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from playwright.sync_api import expect

from meetapp.domain.timeutil import utcnow
from meetapp.extensions import db
from meetapp.models import AttendanceEvent, MentoringSession
from meetapp.services import windows
from tests.e2e.browser import MEETING_URL, Exchange, LiveServer, Person, Traffic, log_in, pause_clock

# Pages load this long before their Join opens: sooner than any first poll (27.5 s at the soonest), so
# the seconds around the opening are free of polls by design, not by chance.
LEAD = timedelta(seconds=10)
POLL_EVERY_MS = 55_000
# Something someone else changed shows on an open page within this much of its clock.
CHANGE_SHOWS_WITHIN_MS = 60_000
VIEWERS = ("Ada", "Ben", "Cem", "Dua", "Eli", "Fay")

# Each non-empty text of a live region (what a screen reader says), with the page's clock then.
RECORD_ANNOUNCEMENTS = """(region) => {
  window.announcements = [];
  new MutationObserver(() => {
    if (region.textContent) window.announcements.push({text: region.textContent, at: performance.now()});
  }).observe(region, {childList: true, characterData: true, subtree: true});
}"""
# The page's clock when the Join control first becomes a link.
WATCH_JOIN_OPENING = """(link) => {
  window.joinOpenedAt = null;
  new MutationObserver(() => {
    if (window.joinOpenedAt === null && link.hasAttribute("href")) window.joinOpenedAt = performance.now();
  }).observe(link, {attributes: true, attributeFilter: ["href"]});
}"""
# Hidden and shown as a browser does when its tab goes to the background and comes back.
SET_VISIBILITY = """(state) => {
  Object.defineProperty(document, "visibilityState", {configurable: true, get: () => state});
  Object.defineProperty(document, "hidden", {configurable: true, get: () => state === "hidden"});
  document.dispatchEvent(new Event("visibilitychange"));
}"""
ANY = re.compile(".*")


@pytest.fixture
def server_clock():
    """The server's clock stopped at a whole second a little ahead of now; `move_to` moves it."""
    start = (utcnow() + timedelta(minutes=1)).replace(microsecond=0)
    with time_machine.travel(start, tick=False) as traveller:
        yield traveller


@dataclass
class OpenPage:
    """A logged-in page whose clock has stood still since it loaded at `loaded_at` (the server's time
    then, exactly so when `server_clock` stops it); its `performance.now()` read `loaded_reading` then."""

    page: object
    loaded_at: datetime
    loaded_reading: float

    def time_of(self, reading: float) -> datetime:
        """The page's time when its `performance.now()` read `reading`."""
        return self.loaded_at + timedelta(milliseconds=reading - self.loaded_reading)

    def join(self, session_id: str):
        return self.page.locator(f"#join-state-{session_id} a[data-join-link]")

    def still_the_same(self) -> bool:
        return self.page.evaluate("window.stillTheSamePage === true")


@dataclass
class Viewer:
    """One of the people whose Join opens at the same instant, on their dashboard."""

    opened: OpenPage
    session_id: str
    what: str
    traffic: Traffic | None = None

    @property
    def page(self):
        return self.opened.page

    @property
    def join(self):
        return self.opened.join(self.session_id)

    def opened_at(self) -> datetime:
        """When the Join control became a link, by the page's clock (see WATCH_JOIN_OPENING)."""
        return self.opened.time_of(self.page.evaluate("window.joinOpenedAt"))


def open_page(contexts, person: Person, path: str = "/") -> OpenPage:
    """`person` logged in and on `path`, in a context of their own whose clock stands still from now."""
    loaded_at = utcnow()
    context = contexts()
    pause_clock(context, loaded_at)
    page = context.new_page()
    log_in(page, person)
    assert page.goto(path).status == 200
    # Gone if the page reloads instead of updating in place.
    page.evaluate("window.stillTheSamePage = true")
    return OpenPage(page, loaded_at, page.evaluate("performance.now()"))


def text_is(selector: str, text: str) -> str:
    """A JavaScript condition for `Traffic.run_clock`: the element's text is `text`."""
    return f"document.querySelector({json.dumps(selector)})?.textContent.trim() === {json.dumps(text)}"


def visible_text(locator) -> str:
    """What the element shows (and reads, with its visually hidden parts), on one line."""
    return " ".join(locator.inner_text().split())


def attempts(server: LiveServer, session_id: str) -> list[tuple[str, str]]:
    with server.app.app_context():
        events = db.session.scalars(
            sa.select(AttendanceEvent).where(AttendanceEvent.session_id == session_id).order_by(AttendanceEvent.id)
        )
        return [(event.outcome, event.reason) for event in events]


def closes_at(server: LiveServer, session_id: str) -> datetime:
    with server.app.app_context():
        return windows.window_of(db.session.get(MentoringSession, session_id)).closes_at


# The opening instant -------------------------------------------------------------------------------------


def test_every_viewers_join_opens_at_the_instant_by_the_page_clock_without_a_request(server, contexts, server_clock):
    opening = utcnow() + LEAD
    viewers = []
    for name in VIEWERS:
        mentor = server.mentor_with_meeting_link(f"{name} Mentor")
        mentee = server.person("mentee", f"{name} Mentee")
        session_id = server.session(mentee, mentor, opens_in=LEAD)
        assert server.opens_at(session_id) == opening
        viewers.append(Viewer(open_page(contexts, mentee), session_id, f"Standard with {mentor.name}"))
        viewers[-1].join.evaluate(WATCH_JOIN_OPENING)

    for viewer in viewers:
        viewer.page.clock.run_for(int(LEAD.total_seconds() * 1000) - 2_000)
        viewer.traffic = Traffic(viewer.page)
    # 10 ms before the opening: an inert control counting down its last second.
    for viewer in viewers:
        viewer.traffic.run_clock(1_990)
        expect(viewer.join).not_to_have_attribute("href", ANY)
        expect(viewer.join).to_have_attribute("aria-disabled", "true")
        assert visible_text(viewer.join) == f"Opens in 00:01 {viewer.what}"
    # A second after it: on every page a link to the join door, which says "Join".
    for viewer in viewers:
        viewer.traffic.run_clock(1_010)
        expect(viewer.join).to_have_attribute("href", f"/sessions/{viewer.session_id}/join")
        expect(viewer.join).not_to_have_attribute("aria-disabled", ANY)
        expect(viewer.join).to_have_accessible_name(f"Join {viewer.what}")
        assert visible_text(viewer.join) == f"Join {viewer.what}"
    delays = [viewer.opened_at() - opening for viewer in viewers]
    print("Join became a link after the opening by", [f"{delay / timedelta(milliseconds=1):g} ms" for delay in delays])
    assert all(timedelta(0) <= delay < timedelta(seconds=1) for delay in delays), delays
    # From two seconds before the opening to two after it, the six pages together asked nothing.
    for viewer in viewers:
        viewer.traffic.run_clock(1_000)
    asked = [exchange for viewer in viewers for exchange in viewer.traffic.exchanges]
    assert len(asked) <= 1, asked
    assert all(viewer.opened.still_the_same() for viewer in viewers)

    # The door still judges: after the opening by the server's clock too, it lets the person in.
    server_clock.move_to(opening + timedelta(seconds=1))
    first = viewers[0]
    first.join.click()
    expect(first.page).to_have_url(MEETING_URL)
    assert attempts(server, first.session_id) == [("joined", "in_window")]


def test_a_click_a_second_early_waits_and_goes_in_at_the_opening(server, contexts, server_clock):
    mentor = server.mentor_with_meeting_link("Mona Mentor")
    mentee = server.person("mentee", "Max Mentee")
    opening = utcnow() + LEAD
    session_id = server.session(mentee, mentor, opens_in=LEAD)
    viewer = open_page(contexts, mentee)
    page, join = viewer.page, viewer.join(session_id)

    # The page's clock half a second past the opening, the server's a second short of it.
    server_clock.move_to(opening - timedelta(seconds=1))
    page.clock.run_for(int(LEAD.total_seconds() * 1000) + 500)
    expect(join).to_have_attribute("href", f"/sessions/{session_id}/join")
    with page.expect_response(re.compile(rf"/sessions/{session_id}/join$")) as door:
        join.click()
    assert door.value.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Standard with Mona Mentor")
    expect(page.get_by_role("main")).to_contain_text("Not open yet")
    expect(page.get_by_label("Take me in automatically when it opens")).to_be_checked()

    # The waiting page was rendered a second before the opening; a second on, it takes the person in.
    server_clock.move_to(opening)
    page.clock.run_for(1_100)
    expect(page).to_have_url(MEETING_URL)
    assert attempts(server, session_id) == [("denied", "too_early"), ("joined", "in_window")]


# What people change -----------------------------------------------------------------------------------


def test_an_idle_dashboard_asks_once_a_minute_and_is_told_nothing_changed(server, contexts):
    mentor = server.mentor_with_meeting_link("Mona Mentor")
    mentee = server.person("mentee", "Max Mentee")
    for number in range(50):
        server.session(mentee, mentor, opens_in=timedelta(days=1, hours=2 * number))
    page = open_page(contexts, mentee).page
    expect(page.locator("#upcoming-sessions > li")).to_have_count(50)
    etag = page.locator("[data-live-poll]").get_attribute("data-live-etag")

    traffic = Traffic(page)
    traffic.run_clock(5 * 60 * 1000)

    # The first poll within 55 s, then one every 55 s: five in five minutes, each answered 304, and nothing else.
    assert traffic.exchanges == [Exchange("GET", "/dashboard/changes", etag, 304)] * 5


def test_a_cancellation_shows_on_the_open_dashboard_within_a_minute(server, contexts):
    mentor = server.mentor_with_meeting_link("Mona Mentor")
    mentee = server.person("mentee", "Max Mentee")
    session_id = server.session(mentee, mentor, opens_in=timedelta(days=1))
    viewer = open_page(contexts, mentee)
    row = viewer.page.locator(f"#session-{session_id}")
    expect(row.locator(".badge")).to_have_text("Confirmed")
    expect(row.locator("a[data-join-link]")).to_have_count(1)

    server.cancel(session_id, by=mentor)
    traffic = Traffic(viewer.page)
    shown_after = traffic.run_clock(CHANGE_SHOWS_WITHIN_MS, until=text_is(f"#session-{session_id} .badge", "Cancelled"))

    print(f"The cancellation showed after {shown_after} ms of the page's clock")
    expect(row.locator("a[data-join-link]")).to_have_count(0)
    expect(row.locator("[data-join-state]")).to_have_count(0)
    # One poll, the first, brought it: the rows that changed, the whole answer.
    assert [(exchange.path, exchange.status) for exchange in traffic.exchanges] == [("/dashboard/changes", 200)]
    assert viewer.still_the_same(), "the dashboard reloaded instead of updating in place"
    # Said for screen readers a moment after the row is in place.
    viewer.page.clock.run_for(1_000)
    said = re.compile(r"^Standard with Mona Mentor, .+: cancelled\.$")
    expect(viewer.page.locator("#live-announcer")).to_have_text(said)


def test_a_new_request_joins_the_open_mentor_dashboard_in_start_order_within_a_minute(server, contexts):
    mentor = server.mentor_with_meeting_link("Mona Mentor")
    mentee = server.person("mentee", "Max Mentee")
    first = server.session(mentee, mentor, opens_in=timedelta(days=1))
    last = server.session(mentee, mentor, opens_in=timedelta(days=3))
    viewer = open_page(contexts, mentor)
    awaiting = viewer.page.locator("#awaiting-me")
    expect(awaiting).to_be_hidden()

    requested = server.session(server.person("mentee", "Nia Mentee"), mentor, opens_in=timedelta(days=2), confirm=False)
    listed = f"document.getElementById('session-{requested}') !== null"
    Traffic(viewer.page).run_clock(CHANGE_SHOWS_WITHIN_MS, until=listed)

    rows = viewer.page.locator("#upcoming-sessions > li")
    assert [row.get_attribute("id") for row in rows.all()] == [f"session-{each}" for each in (first, requested, last)]
    expect(rows.nth(1)).to_contain_text("Awaiting your confirmation")
    expect(awaiting).to_be_visible()
    expect(awaiting).to_have_text("1 session is awaiting your confirmation.")
    assert viewer.still_the_same(), "the dashboard reloaded instead of updating in place"


def test_a_hidden_tab_does_not_poll_and_polls_at_once_when_shown(server, contexts):
    mentor = server.mentor_with_meeting_link("Mona Mentor")
    mentee = server.person("mentee", "Max Mentee")
    server.session(mentee, mentor, opens_in=timedelta(days=1))
    page = open_page(contexts, mentee).page
    etag = page.locator("[data-live-poll]").get_attribute("data-live-etag")
    traffic = Traffic(page)

    page.evaluate(SET_VISIBILITY, "hidden")
    traffic.run_clock(POLL_EVERY_MS * 5 // 2)
    assert traffic.exchanges == []

    # Shown again: the poll that came due meanwhile goes out at once, with the page's clock standing still.
    with page.expect_request(re.compile(r"/dashboard/changes$")):
        page.evaluate(SET_VISIBILITY, "visible")
    traffic.settle()
    assert traffic.exchanges == [Exchange("GET", "/dashboard/changes", etag, 304)]


# The session page and the waiting page ------------------------------------------------------------------


def test_the_session_page_shows_a_cancellation_within_a_minute_and_stops_polling(server, contexts):
    mentor = server.mentor_with_meeting_link("Mona Mentor")
    mentee = server.person("mentee", "Max Mentee")
    session_id = server.session(mentee, mentor, opens_in=timedelta(days=1))
    viewer = open_page(contexts, mentee, f"/sessions/{session_id}")
    panel = viewer.page.locator("#session-panel")
    expect(panel.locator(".badge")).to_have_text("Confirmed")

    server.cancel(session_id, by=mentor, reason="I am ill today.")
    traffic = Traffic(viewer.page)
    traffic.run_clock(CHANGE_SHOWS_WITHIN_MS, until=text_is("#session-panel .badge", "Cancelled"))

    expect(panel).to_contain_text("Cancelled by Mona Mentor")
    expect(panel).to_contain_text("I am ill today.")
    expect(panel.locator("a[data-join-link]")).to_have_count(0)
    assert viewer.still_the_same(), "the session page reloaded instead of updating in place"
    asked = len(traffic.exchanges)
    traffic.run_clock(3 * 60 * 1000)
    assert traffic.exchanges[asked:] == [], "the page went on polling a cancelled session"


def test_the_waiting_page_shows_a_cancellation_within_a_minute_and_stops_polling(server, contexts):
    mentor = server.mentor_with_meeting_link("Mona Mentor")
    mentee = server.person("mentee", "Max Mentee")
    session_id = server.session(mentee, mentor, opens_in=timedelta(hours=2))
    viewer = open_page(contexts, mentee, f"/sessions/{session_id}/join")
    fragment = viewer.page.locator(f"#join-state-{session_id}")
    expect(fragment).to_have_attribute("data-join-state", "too_early")

    server.cancel(session_id, by=mentor)
    traffic = Traffic(viewer.page)
    headline = f"#join-state-{session_id} .join-state-headline"
    traffic.run_clock(CHANGE_SHOWS_WITHIN_MS, until=text_is(headline, "Cancelled"))

    expect(fragment).to_have_attribute("data-join-state", "cancelled")
    expect(fragment.locator("a[data-join-link]")).to_have_count(0)
    assert viewer.still_the_same(), "the waiting page reloaded instead of updating in place"
    asked = len(traffic.exchanges)
    traffic.run_clock(3 * 60 * 1000)
    assert traffic.exchanges[asked:] == [], "the page went on polling a cancelled session"


# Screen readers ---------------------------------------------------------------------------------------


def test_the_last_minute_and_the_opening_are_each_announced_once(server, contexts, server_clock):
    mentor = server.mentor_with_meeting_link("Mona Mentor")
    mentee = server.person("mentee", "Max Mentee")
    opening = utcnow() + timedelta(seconds=90)
    session_id = server.session(mentee, mentor, opens_in=timedelta(seconds=90))
    viewer = open_page(contexts, mentee)
    viewer.page.locator(f"#join-state-{session_id} [data-announce]").evaluate(RECORD_ANNOUNCEMENTS)

    # From a minute and a half before the opening to half a minute after it.
    Traffic(viewer.page).run_clock(120_000)

    heard = viewer.page.evaluate("window.announcements")
    assert [line["text"] for line in heard] == [
        "Joining opens in 1 minute.",
        "Joining is open: you can join Standard with Mona Mentor now.",
    ]
    minute_mark, opened = (viewer.time_of(line["at"]) for line in heard)
    # Each within a second of its moment (a live region is filled a moment after it is emptied).
    assert timedelta(0) <= minute_mark - (opening - timedelta(minutes=1)) < timedelta(seconds=1), minute_mark
    assert timedelta(0) <= opened - opening < timedelta(seconds=1), opened


# Without JavaScript -------------------------------------------------------------------------------------


def test_without_javascript_each_load_shows_the_state_of_its_moment_and_the_door_judges(server, contexts, server_clock):
    mentor = server.mentor_with_meeting_link("Mona Mentor")
    mentee = server.person("mentee", "Max Mentee")
    opening = utcnow() + timedelta(minutes=5)
    session_id = server.session(mentee, mentor, opens_in=timedelta(minutes=5))
    page = contexts(java_script_enabled=False).new_page()
    log_in(page, mentee)
    fragment = page.locator(f"#join-state-{session_id}")
    join = fragment.locator("a[data-join-link]")

    page.goto("/")
    assert visible_text(join) == "Opens in 05:00 Standard with Mona Mentor"
    expect(join).not_to_have_attribute("href", ANY)
    expect(join).to_have_attribute("aria-disabled", "true")
    shown = fragment.locator(".join-state-message").filter(visible=True)
    expect(shown).to_have_text(f"Joining opens at {opening:%H:%M} (your time).")

    server_clock.move_to(opening + timedelta(minutes=1))
    page.goto("/")
    assert visible_text(join) == "Join Standard with Mona Mentor"
    expect(join).to_have_attribute("href", f"/sessions/{session_id}/join")
    expect(join).not_to_have_attribute("aria-disabled", ANY)
    join.click()
    expect(page).to_have_url(MEETING_URL)

    server_clock.move_to(closes_at(server, session_id))
    page.goto(f"/sessions/{session_id}")
    expect(fragment.locator(".join-state-headline")).to_have_text("Session ended")
    assert page.goto(f"/sessions/{session_id}/join").status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("Session ended")
    page.goto("/")
    expect(page.locator(f"#session-{session_id}")).to_be_visible()
    expect(page.locator(f"#session-{session_id} a[data-join-link]")).to_have_count(0)
