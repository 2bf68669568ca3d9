"""Journeys about reading a session's state: one countdown voice on the dashboard and the waiting page,
attendance that groups repeated attempts and dates them, and cancelled sessions folded out of Upcoming.

The server's time is real (sessions are booked relative to `utcnow()`, as in test_journeys.py); the
browser's time is moved with Playwright's `page.clock`, which app.js counts down by (through
`performance.now()`), so a countdown days away can be watched reaching its last hour.
"""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from meetapp.domain.timeutil import utcnow
from meetapp.extensions import db
from meetapp.models import AttendanceEvent
from tests.e2e.browser import MEETING_URL, log_in

NEW_YORK = ZoneInfo("America/New_York")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
OPENS_IN = timedelta(days=2, hours=3, minutes=30)
# Any duration in words: what the old second voice ("(in 25 hours)") said beside the countdown.
A_DURATION_IN_WORDS = re.compile(r"\bin \d+ (second|minute|hour|day)s?\b")


def day_label(moment: datetime, zone: ZoneInfo) -> str:
    """'Tue 8 Dec' (with the year when it is not this year's), as a person reads it."""
    local, today = moment.astimezone(zone), utcnow().astimezone(zone)
    label = f"{DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]}"
    return label if local.year == today.year else f"{label} {local.year}"


class BrowserClock:
    """Moves the page's clock (installed before it loaded) so that `left` remains until `opens_at`."""

    def __init__(self, page, opens_at: datetime):
        self.page, self.opens_at, self.moved = page, opens_at, timedelta(0)
        page.clock.install()

    def leave(self, left: timedelta) -> None:
        step = self.opens_at - utcnow() - self.moved - left
        assert step > timedelta(0), "the clock only moves forward"
        self.page.clock.fast_forward(int(step.total_seconds() * 1000))
        self.moved += step


def assert_one_voice(state, opens_at: datetime) -> None:
    """The status says the opening time once, as a clock time in New York with its day, and no duration
    but the countdown's own."""
    local = opens_at.astimezone(NEW_YORK)
    # The fragment holds the messages of every moment of the window; only the one for now is shown.
    message = state.locator(".join-state-message").filter(visible=True)
    expect(message).to_have_text(f"Joining opens at {local:%H:%M} ({day_label(opens_at, NEW_YORK)}, your time).")
    expect(message.locator("time")).to_have_attribute("datetime", opens_at.strftime("%Y-%m-%dT%H:%M:%SZ"))
    # What is on the screen, the Join control's "Opens in" included (the live region, for screen
    # readers, speaks at its own moments).
    text = state.inner_text().replace(state.locator("[data-announce]").inner_text(), "")
    assert text.count("opens at") == 1 and text.count("Opens in") == 1, text
    # The countdown is the only duration: nothing else counts in words of its own.
    assert not A_DURATION_IN_WORDS.search(text.replace(state.locator("[data-countdown-text]").inner_text(), "")), text
    expect(state.locator("[data-countdown-text]")).to_have_count(1)


def test_the_dashboard_says_the_opening_time_once_and_counts_down_in_one_format(server, page, screenshot):
    mentor = server.mentor_with_meeting_link("Mona Mentor")
    mentee = server.person("mentee", "Max Mentee", timezone="America/New_York")
    session_id = server.session(mentee, mentor, opens_in=OPENS_IN)
    opens_at = server.opens_at(session_id)
    log_in(page, mentee)
    clock = BrowserClock(page, opens_at)
    page.goto("/")

    state = page.locator(f"#join-state-{session_id}")
    countdown = state.locator("[data-countdown-text]")
    expect(countdown).to_have_text("2 days 3 hours")
    assert_one_voice(state, opens_at)

    # Days away, then hours and minutes...
    clock.leave(timedelta(hours=5, minutes=12, seconds=30))
    expect(countdown).to_have_text("5 hours 12 minutes")
    # ...then minutes and seconds in the last hour, ticking.
    clock.leave(timedelta(minutes=4, seconds=45, milliseconds=500))
    expect(countdown).to_have_text(re.compile(r"^04:4[2-5]$"))
    shown = countdown.inner_text()
    expect(countdown).not_to_have_text(shown, timeout=1_500)
    # Screen readers hear a minute as the countdown shows it whole, in the same numbers; a jump is not news.
    announcer = state.locator("[data-announce]")
    expect(announcer).to_have_text("")
    clock.leave(timedelta(minutes=4, seconds=2))
    expect(announcer).to_have_text("Joining opens in 4 minutes.", timeout=4_000)
    expect(countdown).to_have_text(re.compile(r"^(04:00|03:5\d)$"))
    # The sentence beside it never changed its story.
    assert_one_voice(state, opens_at)
    expect(page.get_by_role("link", name=re.compile("^Join"))).to_have_count(0)
    screenshot(page, "dashboard-one-countdown")


def test_the_waiting_page_says_the_opening_time_once_and_counts_down_in_one_format(server, page, screenshot):
    mentor = server.mentor_with_meeting_link("Mona Mentor")
    mentee = server.person("mentee", "Max Mentee", timezone="America/New_York")
    session_id = server.session(mentee, mentor, opens_in=OPENS_IN)
    opens_at = server.opens_at(session_id)
    log_in(page, mentee)
    clock = BrowserClock(page, opens_at)
    assert page.goto(server.join_link(session_id, mentee)).status == 200

    state = page.locator(f"#join-state-{session_id}")
    countdown = state.locator("[data-countdown-text]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Standard with Mona Mentor")
    expect(countdown).to_have_text("2 days 3 hours")
    assert_one_voice(state, opens_at)
    assert page.get_by_role("main").inner_text().count("Joining opens at") == 1

    clock.leave(timedelta(hours=1, minutes=30, seconds=30))
    expect(countdown).to_have_text("1 hour 30 minutes")
    clock.leave(timedelta(seconds=59, milliseconds=500))
    expect(countdown).to_have_text(re.compile(r"^00:5[6-9]$"))
    assert_one_voice(state, opens_at)
    expect(page).to_have_url(re.compile(r"/join/"))
    screenshot(page, "waiting-page-one-countdown")


def test_attendance_groups_repeated_attempts_and_dates_other_days(server, contexts, screenshot):
    mentor = server.mentor_with_meeting_link("Mona Mentor")
    mentee = server.person("mentee", "Max Mentee")
    session_id = server.session(mentee, mentor, opens_in=-timedelta(minutes=1))
    # A refused try from yesterday (too early), written into the log as the join proxy would have.
    yesterday = utcnow() - timedelta(days=1)
    with server.app.app_context():
        db.session.add(
            AttendanceEvent(session_id=session_id, user_id=mentee.id, at=yesterday, outcome="denied", reason="too_early")
        )
        db.session.commit()

    page = contexts().new_page()
    log_in(page, mentee)
    link = server.join_link(session_id, mentee)
    for _ in range(3):
        page.goto(link)
        expect(page).to_have_url(MEETING_URL)

    mentor_page = contexts().new_page()
    log_in(mentor_page, mentor)
    mentor_page.goto(f"/sessions/{session_id}")
    lines = mentor_page.locator(".attendance-list > li")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_have_text(
        f"Max Mentee · refused at {day_label(yesterday, ZoneInfo('UTC'))}, {yesterday:%H:%M}: too early"
    )
    # Three clicks in a few seconds: one line, today's times without a date.
    expect(lines.nth(1)).to_have_text(re.compile(r"^Max Mentee joined 3 times(, \d\d:\d\d–| at )\d\d:\d\d$"))
    screenshot(mentor_page, "attendance-grouped")


def test_a_cancelled_session_is_listed_once_folded_away_from_upcoming(server, page, screenshot):
    mentor = server.mentor_with_meeting_link("Mona Mentor")
    mentee = server.person("mentee", "Max Mentee")
    kept = server.session(mentee, mentor, opens_in=timedelta(days=1))
    cancelled = server.session(mentee, mentor, opens_in=timedelta(days=2))
    server.cancel(cancelled, by=mentee)
    log_in(page, mentee)
    page.goto("/")

    upcoming = page.locator("section[aria-labelledby=upcoming-title]")
    listed = upcoming.locator(":scope > ul.session-list > li")
    expect(listed).to_have_count(1)
    expect(listed).to_have_attribute("id", f"session-{kept}")
    row = page.locator(f"#session-{cancelled}")
    expect(row).to_have_count(1)
    folded = upcoming.locator("details.ended-sessions")
    summary = folded.locator("summary")
    expect(summary).to_have_text("Cancelled and declined (1)")
    expect(row).to_be_hidden()

    summary.click()
    expect(row).to_be_visible()
    expect(row.locator(".badge")).to_have_text("Cancelled")
    assert row.inner_text().count("Cancelled") == 1, row.inner_text()
    expect(row.locator("[data-join-state]")).to_have_count(0)
    expect(row.get_by_role("link", name=re.compile("^Join"))).to_have_count(0)
    screenshot(page, "dashboard-cancelled-folded")
