"""Whole journeys in a real browser, each ending on what the person sees.

Windows open a few seconds from now in real time: the waits are Playwright's own,
bounded by how late the page may be, never fixed sleeps.
"""
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from meetapp.domain.timeutil import utcnow
from tests.e2e.browser import MEETING_URL, WAIT_MS, ConsoleWatch, log_in, new_context
from tests.support import PASSWORD

# How soon after the window opens the Join button must be there, without a reload.
JOIN_APPEARS_WITHIN = timedelta(seconds=2)
OPENS_IN = timedelta(seconds=5)


def register(page, server, *, email: str, name: str, role: str, timezone: str) -> None:
    """Register through the form, confirm the address from the mail, and log in: as a new person does."""
    page.goto("/auth/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_label(re.compile(f"^{role}:", re.IGNORECASE)).check()
    page.get_by_label("Time zone").select_option(timezone)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    expect(page.get_by_role("main")).to_contain_text(email)

    server.deliver_mail()
    page.goto(server.link_mailed_to(email, "Confirm your address", "/auth/confirm/"))
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.get_by_role("main")).to_contain_text("confirmed")
    if "/auth/login" in page.url:
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/auth/" not in url)


def expect_status(page, text: str) -> None:
    """A status message (role=status) saying `text` is on the page."""
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def session_row(page, other_name: str):
    return page.locator(".session-row").filter(has=page.get_by_role("link", name=f"Standard with {other_name}"))


def ms_until(moment: datetime) -> float:
    return max((moment - utcnow()).total_seconds() * 1000, 0)


def watch_for_join_button(page) -> None:
    """Note, by the browser's clock, when the Join control first becomes a link (it is on the page
    before, inert, without an href); and mark the page to spot a reload."""
    page.evaluate(
        """() => {
          window.stillTheSamePage = true;
          window.joinShownAt = null;
          const seen = () => {
            if (window.joinShownAt === null && document.querySelector("a[data-join-link][href]")) {
              window.joinShownAt = Date.now();
            }
          };
          new MutationObserver(seen).observe(
            document.body, {childList: true, subtree: true, attributes: true, attributeFilter: ["href"]},
          );
          seen();
        }"""
    )


def join_button_shown_at(page) -> datetime:
    shown_at = page.evaluate("window.joinShownAt")
    assert shown_at is not None, "no Join button appeared"
    return datetime.fromtimestamp(shown_at / 1000, UTC)


def test_mentor_registers_admin_approves_mentee_registers_and_books_mentor_confirms(server, contexts, screenshot):
    mentor_page = contexts().new_page()
    register(mentor_page, server, email="mona@example.com", name="Mona Mentor", role="mentor", timezone="Europe/Berlin")
    expect(mentor_page.get_by_role("main")).to_contain_text("waits for an admin's approval")

    mentor_page.get_by_role("navigation").get_by_role("link", name="Video").click()
    expect(mentor_page.get_by_role("heading", level=1)).to_have_text("Video")
    preview = mentor_page.locator("#video-preview")
    expect(preview).to_contain_text("Sessions will meet at: https://meet.jit.si/")
    mentor_page.get_by_label("My own meeting link").check()
    link_field = mentor_page.get_by_label("Your meeting link")
    expect(link_field).to_be_visible()
    # The field arrives in an htmx swap, and htmx wires up its hx-post only when the swap settles:
    # a test typing before that (a busy CI machine) would send nothing. No person types that fast.
    mentor_page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-added')")
    link_field.press_sequentially(MEETING_URL)
    expect(preview).to_contain_text(f"Sessions will meet at: {MEETING_URL}")
    expect(preview).to_have_attribute("aria-live", "polite")
    mentor_page.get_by_role("button", name="Save").click()
    expect_status(mentor_page, "New sessions will meet at your own meeting link")
    expect(mentor_page.get_by_label("My own meeting link")).to_be_checked()

    mentee_page = contexts().new_page()
    register(mentee_page, server, email="max@example.com", name="Max Mentee", role="mentee", timezone="America/New_York")
    mentee_page.get_by_role("navigation").get_by_role("link", name="Book", exact=True).click()
    # Not yet approved: a mentee cannot find her.
    expect(mentee_page.get_by_label("Mentor").locator("option", has_text="Mona Mentor")).to_have_count(0)

    admin_page = contexts().new_page()
    log_in(admin_page, server.person("admin", "Ada Admin"))
    admin_page.goto("/admin/mentors")
    admin_page.get_by_role("button", name="Approve Mona Mentor").click()
    expect_status(admin_page, "Mona Mentor")
    server.deliver_mail()
    assert "Your mentor profile on meetapp is approved" in [m["Subject"] for m in server.sink.to("mona@example.com")]

    mentee_page.reload()
    mentee_page.get_by_label("Mentor").select_option(label="Mona Mentor")
    # 15:00 in New York, three days from now: a wall-clock time, read in the mentee's zone.
    new_york, berlin = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")
    local_start = (utcnow().astimezone(new_york) + timedelta(days=3)).replace(hour=15, minute=0, second=0, microsecond=0)
    mentee_page.get_by_label(re.compile(r"^Start")).fill(local_start.strftime("%Y-%m-%dT%H:%M"))
    mentee_page.get_by_role("button", name="Request session").click()
    expect_status(mentee_page, "Your session request was sent to Mona Mentor")
    expect(mentee_page.locator("#session-panel .badge")).to_have_text("Pending")
    # The mentee hears that the request went out, and the mentor is asked to answer it.
    server.deliver_mail()
    assert [m["Subject"] for m in server.sink.to("max@example.com")][-1].startswith("Request sent: Standard with Mona Mentor")
    assert [m["Subject"] for m in server.sink.to("mona@example.com")][-1].startswith("New request: Standard with Max Mentee")

    mentor_page.get_by_role("link", name="Dashboard", exact=True).click()
    row = session_row(mentor_page, "Max Mentee")
    expect(row).to_contain_text("Awaiting your confirmation")
    row.get_by_role("link", name="Standard with Max Mentee").click()
    mentor_page.get_by_role("button", name="Confirm session").click()
    expect(mentor_page.locator("#session-panel .badge")).to_have_text("Confirmed")

    starts_utc = local_start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for page, other, zone in ((mentor_page, "Max Mentee", berlin), (mentee_page, "Mona Mentor", new_york)):
        page.goto("/")
        row = session_row(page, other)
        expect(row.locator(".badge")).to_have_text("Confirmed")
        # The same instant, shown in each person's own time zone.
        start = row.locator("time").first
        expect(start).to_have_attribute("datetime", starts_utc)
        expect(start).to_contain_text(local_start.astimezone(zone).strftime("%H:%M"))
        expect(row.locator("[data-join-state]")).to_contain_text(re.compile("Opens in", re.IGNORECASE))
    screenshot(mentee_page, "book-and-confirm")


def test_dashboard_countdown_turns_into_join_button_without_reload(server, page, screenshot):
    mentor = server.mentor_with_meeting_link("Mona Mentor")
    mentee = server.person("mentee", "Max Mentee")
    log_in(page, mentee)
    session_id = server.session(mentee, mentor, opens_in=OPENS_IN)
    opens_at = server.opens_at(session_id)

    page.goto("/")
    state = page.locator(f"#join-state-{session_id}")
    countdown = state.locator("[data-countdown-text]")
    expect(state).to_contain_text(re.compile(r"Opens in 00:0\d", re.IGNORECASE))
    shown = countdown.inner_text()
    expect(countdown).not_to_have_text(shown, timeout=1_500)
    join = page.get_by_role("link", name=re.compile("^Join"))
    expect(join).to_have_count(0)
    watch_for_join_button(page)

    expect(join).to_be_visible(timeout=ms_until(opens_at) + WAIT_MS)
    assert opens_at <= join_button_shown_at(page) <= opens_at + JOIN_APPEARS_WITHIN
    assert page.evaluate("window.stillTheSamePage === true"), "the dashboard reloaded instead of updating in place"
    expect(join).to_have_accessible_name("Join Standard with Mona Mentor")
    announcer = state.locator("[data-announce]")
    expect(announcer).to_have_attribute("aria-live", "polite")
    expect(announcer).to_have_text("Joining is open: you can join Standard with Mona Mentor now.")
    expect(state.locator(".join-state-message").filter(visible=True)).to_contain_text("You can join now.")

    join.click()
    expect(page).to_have_url(MEETING_URL)
    expect(page.get_by_role("heading")).to_have_text("meeting")
    screenshot(page, "countdown-to-join")


def emailed_join_link(server, mentee):
    """The join link in the confirmation mail the mentee received over SMTP."""
    server.deliver_mail()
    link = server.join_link_mailed_to(mentee, "Confirmed:")
    assert link.startswith(server.base_url + "/join/")
    return link


def test_emailed_join_link_logs_in_then_goes_straight_to_the_meeting(server, page, screenshot):
    mentor = server.mentor_with_meeting_link("Mona Mentor")
    mentee = server.person("mentee", "Max Mentee")
    server.session(mentee, mentor, opens_in=-timedelta(minutes=1))
    link = emailed_join_link(server, mentee)

    page.goto(link)
    expect(page).to_have_url(re.compile(r"/auth/login\?"))
    assert parse_qs(urlsplit(page.url).query)["next"] == [urlsplit(link).path]
    # The link is genuine and current, so the page may say which session it opens.
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to join Standard with Mona Mentor")
    screenshot(page, "emailed-link-login")
    page.get_by_label("Email").fill(mentee.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(MEETING_URL)


def test_emailed_join_link_refuses_others_and_explains_cancellation(server, contexts, screenshot):
    mentor = server.mentor_with_meeting_link("Mona Mentor")
    mentee = server.person("mentee", "Max Mentee")
    outsider = server.person("mentee", "Olga Outsider")
    session_id = server.session(mentee, mentor, opens_in=-timedelta(minutes=1))
    link = emailed_join_link(server, mentee)

    page = contexts().new_page()
    log_in(page, mentee)
    page.goto(link)
    expect(page).to_have_url(MEETING_URL)

    other_page = contexts().new_page()
    log_in(other_page, outsider)
    response = other_page.goto(link)
    assert response.status == 403
    expect(other_page.get_by_role("heading", level=1)).to_have_text("Not your link")
    expect(other_page.get_by_role("main")).to_contain_text("You are logged in as Olga Outsider")

    server.cancel(session_id, by=mentor, reason="I am ill today.")
    response = page.goto(link)
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("Session cancelled")
    expect(page.get_by_role("main")).to_contain_text("This session was cancelled by Mona Mentor")
    expect(page.get_by_role("main")).to_contain_text("Reason: I am ill today.")
    screenshot(page, "emailed-link-cancelled")


def test_waiting_page_counts_down_and_moves_into_the_meeting(server, contexts, screenshot):
    mentor = server.mentor_with_meeting_link("Mona Mentor")
    mentee = server.person("mentee", "Max Mentee")
    mentor_page, page = contexts().new_page(), contexts().new_page()
    log_in(mentor_page, mentor)
    log_in(page, mentee)
    session_id = server.session(mentee, mentor, opens_in=OPENS_IN)
    opens_at = server.opens_at(session_id)

    # The mentor waits too, but opts out of being taken in: the Join button appears in place.
    assert mentor_page.goto(server.join_link(session_id, mentor)).status == 200
    mentor_page.get_by_label("Take me in automatically when it opens").uncheck()
    watch_for_join_button(mentor_page)

    response = page.goto(server.join_link(session_id, mentee))
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Standard with Mona Mentor")
    expect(page.get_by_role("main")).to_contain_text("Not open yet")
    countdown = page.locator("[data-countdown-text]")
    expect(countdown).to_have_text(re.compile(r"00:0\d"))
    shown = countdown.inner_text()
    expect(countdown).not_to_have_text(shown, timeout=1_500)
    # Taking the person in is what the waiting page is for: on unless they opted out.
    expect(page.get_by_label("Take me in automatically when it opens")).to_be_checked()

    expect(page).to_have_url(MEETING_URL, timeout=ms_until(opens_at) + WAIT_MS)
    assert utcnow() >= opens_at
    # The waiting page replaced itself: Back leads to where the person was before it.
    page.go_back()
    assert urlsplit(page.url).path == "/"

    expect(mentor_page.get_by_role("link", name=re.compile("^Join"))).to_be_visible()
    assert opens_at <= join_button_shown_at(mentor_page) <= opens_at + JOIN_APPEARS_WITHIN
    assert mentor_page.evaluate("window.stillTheSamePage === true"), "the waiting page reloaded"
    screenshot(mentor_page, "waiting-page")


def test_forgot_password_reset_from_the_mail_ends_the_old_remembered_login(server, contexts, screenshot):
    mentee = server.person("mentee", "Max Mentee")
    # A browser kept logged in, whose cookies someone has copied.
    kept = contexts()
    old_page = kept.new_page()
    old_page.goto("/auth/login")
    old_page.get_by_label("Email").fill(mentee.email)
    old_page.get_by_label("Password").fill(PASSWORD)
    old_page.get_by_label("Keep me logged in on this device").check()
    old_page.get_by_role("button", name="Log in").click()
    old_page.wait_for_url(lambda url: "/auth/login" not in url)
    remember = [cookie for cookie in kept.cookies() if cookie["name"] == "remember_token"]
    assert remember, "no remember cookie was set"
    copied = contexts()
    copied.add_cookies(remember)
    copy_page = copied.new_page()
    copy_page.goto("/")
    expect(copy_page.get_by_role("heading", level=1)).not_to_have_text("Log in")

    page = contexts().new_page()
    page.goto("/auth/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(mentee.email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")

    server.deliver_mail()
    page.goto(server.link_mailed_to(mentee.email, "Choose a new password", "/auth/reset/"))
    page.get_by_label("New password", exact=True).fill("a brand new passphrase")
    page.get_by_label("Repeat the new password").fill("a brand new passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page).to_have_url(re.compile(r"/auth/login$"))
    expect_status(page, "Your password is changed")
    screenshot(page, "password-reset")

    # The remembered login and its copy are over: both land on the login page.
    for stale in (old_page, copy_page):
        stale.goto("/")
        expect(stale).to_have_url(re.compile(r"/auth/login"))
        expect(stale.get_by_role("heading", level=1)).to_have_text("Log in")
    # And the new password works.
    page.get_by_label("Email").fill(mentee.email)
    page.get_by_label("Password").fill("a brand new passphrase")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/auth/login" not in url)


def test_the_console_watch_sees_an_inline_style_the_csp_refuses(browser, server):
    """The check every browser test ends with can fail: an inline style, as htmx once set, is caught."""
    watch = ConsoleWatch()
    context = watch.watch(new_context(browser, server))
    try:
        page = context.new_page()
        page.goto("/auth/login")
        assert watch.errors == []
        page.evaluate("() => document.body.setAttribute('style', 'color: red')")
        page.get_by_role("heading", level=1).click()  # one more turn of the event loop for the report
        expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    finally:
        context.close()
    assert any("Content Security Policy" in error for error in watch.errors), watch.errors
