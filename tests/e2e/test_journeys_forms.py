"""Forms in a real browser (issue 20, items 9, 14, 16 and 17): every problem at once with a summary whose
links lead to the fields, the login page a join link leads to, the time zone list (the browser's own zone
preselected, a search with and without JavaScript) and the video settings' preview.
"""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from meetapp.extensions import db
from meetapp.models import User
from tests.e2e.browser import WAIT_MS, ConsoleWatch, log_in
from tests.support import PASSWORD

ZOOM_NOTICE = "Zoom is not connected; sessions use Jitsi."


@pytest.fixture
def browser_context(browser, server):
    """`browser_context(timezone_id=…, java_script_enabled=…)`: a context like `new_context`'s, in another
    zone or without JavaScript; like `contexts`, the test fails on console errors."""
    opened, console = [], ConsoleWatch()

    def open_context(*, timezone_id: str = "UTC", java_script_enabled: bool = True):
        context = browser.new_context(
            base_url=server.base_url,
            locale="en-US",
            timezone_id=timezone_id,
            java_script_enabled=java_script_enabled,
            ignore_https_errors=True,
        )
        context.set_default_timeout(WAIT_MS)
        opened.append(console.watch(context))
        return context

    yield open_context
    for context in opened:
        context.close()
    assert console.errors == [], "the browser console reported errors"


def summary(page):
    return page.locator("[data-error-summary]")


def focused_id(page) -> str:
    return page.evaluate("() => document.activeElement.id")


def stored_zone(server, email: str) -> str:
    with server.app.app_context():
        return db.session.scalar(sa.select(User.timezone).where(User.email == email))


def fill_registration(page, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Name").fill("Ravi Mentee")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_label(re.compile("^Mentee:")).check()


# Item 9: every problem at once ---------------------------------------------------------------------


def test_an_empty_booking_form_lists_every_problem_and_its_links_lead_to_the_fields(server, page, screenshot):
    server.person("mentor", "Mona Mentor")
    log_in(page, server.person("mentee", "Max Mentee"))
    page.goto("/sessions/new")
    page.get_by_role("button", name="Request session").click()

    expect(summary(page)).to_be_visible()
    expect(summary(page).get_by_role("heading")).to_have_text("There is a problem")
    links = summary(page).get_by_role("link")
    expect(links).to_have_text(["Choose a mentor.", re.compile("^Give the start as a date and a time")])
    # The summary is read first: the focus is on it when the page comes back.
    expect(summary(page)).to_be_focused()
    screenshot(page, "booking-all-errors")

    links.nth(1).click()
    expect(page.get_by_label(re.compile("^Start"))).to_be_focused()
    assert focused_id(page) == "starts_at"
    links.nth(0).click()
    expect(page.get_by_label("Mentor")).to_be_focused()
    # Each field shows its own problem too, tied to it for screen readers.
    expect(page.get_by_label("Mentor")).to_have_attribute("aria-describedby", "mentor-error")
    expect(page.locator("#mentor-error")).to_have_text("Choose a mentor.")


def test_a_short_mismatched_password_shows_both_problems(server, page):
    page.goto("/auth/register")
    fill_registration(page, "ravi@example.com")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Repeat the password").fill("other")
    page.get_by_role("button", name="Create account").click()

    expect(summary(page).get_by_role("link")).to_have_text(["Use at least 8 characters.", "The two passwords differ."])
    expect(page.locator("#password-error")).to_have_text("Use at least 8 characters.")
    expect(page.locator("#confirm-error")).to_have_text("The two passwords differ.")
    summary(page).get_by_role("link", name="The two passwords differ.").click()
    expect(page.get_by_label("Repeat the password")).to_be_focused()


# Item 14: the login page a join link leads to -----------------------------------------------------


def test_a_join_link_says_which_session_to_log_in_for_and_a_tampered_one_does_not(server, page, screenshot):
    mentor = server.mentor_with_meeting_link("Mona Mentor")
    mentee = server.person("mentee", "Max Mentee")
    session_id = server.session(mentee, mentor, opens_in=timedelta(hours=2))
    link = server.join_link(session_id, mentee)

    # A character more in front of the token: its signature no longer holds.
    page.goto(link.replace("/join/", "/join/x"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.get_by_role("main")).not_to_contain_text("Mona Mentor")

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to join Standard with Mona Mentor")
    screenshot(page, "login-to-join")
    page.get_by_label("Email").fill(mentee.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # On to the session: its window opens in two hours, so the waiting page.
    expect(page.get_by_role("main")).to_contain_text("Mona Mentor")
    expect(page).to_have_url(re.compile(r"/join/"))


# Item 16: the time zone list ------------------------------------------------------------------------


@pytest.mark.parametrize(("browser_zone", "preselected"), [("Asia/Kolkata", "Asia/Kolkata"), ("Europe/Berlin", "Europe/Berlin")])
def test_registering_preselects_the_browsers_zone(server, browser_context, browser_zone, preselected):
    # Chromium calls Asia/Kolkata by its older name, Asia/Calcutta: the list knows it.
    page = browser_context(timezone_id=browser_zone).new_page()
    page.goto("/auth/register")
    expect(page.get_by_label("Time zone", exact=True)).to_have_value(preselected)
    fill_registration(page, "ravi@example.com")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    assert stored_zone(server, "ravi@example.com") == preselected


def test_the_zone_search_narrows_the_list_as_one_types(server, page):
    page.goto("/auth/register")
    zones = page.get_by_label("Time zone", exact=True)
    search = page.get_by_label("Search by city or country")
    search.fill("kolk")
    expect(zones).to_have_value("Asia/Kolkata")
    expect(page.locator("#timezone-found")).to_have_text("1 zone matches “kolk”; the list shows only those.")
    assert page.evaluate("() => [...document.querySelectorAll('#timezone option:not([hidden])')].length") == 1
    # Enter goes on to the list; nothing is asked of the server.
    search.press("Enter")
    expect(zones).to_be_focused()
    assert "tz_search" not in page.url
    search.fill("")
    assert page.evaluate("() => [...document.querySelectorAll('#timezone option:not([hidden])')].length") > 400


def test_the_zone_search_works_without_javascript(server, browser_context, screenshot):
    page = browser_context(java_script_enabled=False).new_page()
    page.goto("/auth/register")
    zones = page.get_by_label("Time zone", exact=True)
    # Without JavaScript nothing guesses: UTC until the person chooses.
    expect(zones).to_have_value("UTC")
    page.get_by_label("Search by city or country").fill("lagos")
    page.get_by_role("button", name="Find").click()

    expect(page).to_have_url(re.compile(r"/auth/register\?tz_search=lagos#timezone$"))
    expect(zones.locator("option")).to_have_count(1)
    expect(zones).to_have_value("Africa/Lagos")
    expect(page.locator("#timezone-found")).to_have_text("1 zone matches “lagos”; the list shows only those.")
    screenshot(page, "timezone-search-without-javascript")
    fill_registration(page, "ada@example.com")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    assert stored_zone(server, "ada@example.com") == "Africa/Lagos"


# Item 17: the video settings ------------------------------------------------------------------------


def test_video_settings_say_zoom_is_not_connected_once_and_explain_a_refused_link(server, page, screenshot):
    log_in(page, server.person("mentor", "Mona Mentor"))
    page.goto("/settings/video")
    preview = page.locator("#video-preview")
    expect(preview).to_contain_text("Sessions will meet at: https://meet.jit.si/meetapp-session-…")

    page.get_by_label("Zoom", exact=True).check()
    expect(preview).to_contain_text("https://meet.jit.si/meetapp-session-…")
    expect(page.get_by_text(ZOOM_NOTICE, exact=True)).to_have_count(1)
    page.get_by_role("button", name="Save").click()
    page.goto("/settings/video")
    expect(page.get_by_label("Zoom", exact=True)).to_be_checked()
    expect(page.get_by_text(ZOOM_NOTICE, exact=True)).to_have_count(1)

    page.get_by_label("My own meeting link").check()
    page.get_by_label("Your meeting link").fill("http://zoom.us/j/1")
    page.get_by_role("button", name="Save").click()
    expect(summary(page).get_by_role("link")).to_have_text(["Only https:// links are accepted."])
    expect(page.get_by_label("Your meeting link")).to_have_value("http://zoom.us/j/1")
    expect(preview).to_have_text("This link cannot be used: Only https:// links are accepted.")
    screenshot(page, "video-settings-refused-link")
