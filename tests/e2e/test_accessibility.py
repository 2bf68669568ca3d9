"""Accessibility: axe-core finds nothing serious on any page, booking and joining work by keyboard
alone with a visible focus, and the countdowns speak politely.
"""
import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from meetapp.domain.timeutil import utcnow
from meetapp.extensions import db
from meetapp.models import User
from meetapp.services import admin_log, mentor_hours, mentors, passwords, registration
from meetapp.services.accounts import create_user
from tests.e2e.browser import AXE, MEETING_URL, LiveServer, Person, log_in, new_context, serve
from tests.support import PASSWORD

BLOCKING_IMPACTS = ("serious", "critical")


def axe_violations(page) -> list[dict]:
    """What axe-core finds wrong with the page as it is now (needs a context with bypass_csp=True)."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    assert results["passes"], "axe-core checked nothing: was the page empty?"
    return results["violations"]


def readable(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"]:
            lines.append(f"    at {node['target']}: {node['html'][:160]}")
            lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


def assert_nothing_serious(page, name: str) -> None:
    violations = axe_violations(page)
    print(f"axe-core on {name}:", readable(violations) or "no violations")
    blocking = [violation for violation in violations if violation["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe-core on {name} ({page.url}):\n{readable(blocking)}"


# Every page, on one app whose people have sessions in every state --------------------------------


@dataclass
class Site:
    # Logged-in browser contexts by who they are ("anonymous" is nobody), all with bypass_csp for axe.
    contexts: dict = field(default_factory=dict)
    paths: dict = field(default_factory=dict)


@pytest.fixture(scope="module")
def site(browser, axe_script, tmp_path_factory):
    with serve(tmp_path_factory.mktemp("a11y") / "meetapp.db") as server:
        mentor = server.mentor_with_meeting_link("Mona Mentor")
        mentee = server.person("mentee", "Max Mentee", timezone="America/New_York")
        outsider = server.person("mentee", "Olga Outsider")
        admin = server.person("admin", "Ada Admin")
        open_now = server.session(mentee, mentor, opens_in=-timedelta(minutes=1))
        later = server.session(mentee, mentor, opens_in=timedelta(hours=2))
        pending = server.session(mentee, mentor, opens_in=timedelta(days=1), confirm=False)
        cancelled = server.session(mentee, mentor, opens_in=timedelta(days=2))
        server.cancel(cancelled, by=mentee, reason="Clashes with work.")
        ended = server.session(mentee, mentor, opens_in=-timedelta(hours=3))

        # Hours for Mona once her sessions are booked (some of them at any hour): her profile and the
        # booking page then list free times.
        with server.app.app_context():
            mona = db.session.get(User, mentor.id)
            mentors.update_profile(
                mona, headline="Careers in health tech", bio="Ten years in clinics.\n\nFour in start-ups.",
                specialties=["Careers", "Interview practice"], languages=["English"], session_types=[],
            )
            week = {day: [["08:00", "20:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
            settings = mentor_hours.read_settings({"weekly": week}, current=mentor_hours.settings_of(mona.mentor_profile))
            mentor_hours.save_settings(mona, settings, utcnow())

        site = Site()
        with server.app.app_context():
            reset_token = passwords.reset_token(db.session.get(User, mentee.id), utcnow())
            newcomer = create_user(
                email="una@example.com", name="Una New", role="mentee", password=PASSWORD, self_registered=True
            )
            confirm_token = registration.confirmation_token(newcomer, utcnow())
            # A row in the admin log, for the admin home and the log page.
            admin_log.record(db.session.get(User, admin.id), "mail.retry", "mail:all-failed", utcnow(), "Queued again: mail 1.")
            db.session.commit()
        people = (("anonymous", None), ("mentee", mentee), ("mentor", mentor), ("outsider", outsider), ("admin", admin))
        for who, person in people:
            context = new_context(browser, server, bypass_csp=True)
            if person is not None:
                log_in(context.new_page(), person)
            site.contexts[who] = context
        site.paths = {
            "login": ("anonymous", "/auth/login"),
            "login via a join link": ("anonymous", "/auth/login?next=" + join_path(server, later, mentee)),
            "register": ("anonymous", "/auth/register"),
            "register, time zone search": ("anonymous", "/auth/register?tz_search=ber"),
            "forgot password": ("anonymous", "/auth/forgot"),
            "reset password": ("anonymous", f"/auth/reset/{reset_token}"),
            "confirm address": ("anonymous", f"/auth/confirm/{confirm_token}"),
            "security settings": ("mentee", "/settings/security"),
            "admin: mentors": ("admin", "/admin/mentors"),
            "admin: home": ("admin", "/admin/"),
            "admin: sessions, a search": ("admin", "/admin/sessions?person=max&status=confirmed"),
            "admin: sessions, a bad search": ("admin", "/admin/sessions?from=2026-11-25&to=2026-11-24&status=x"),
            "admin: people": ("admin", "/admin/people"),
            "admin: mail queue": ("admin", "/admin/mail"),
            "admin: mail, queued": ("admin", "/admin/mail?status=queued"),
            "admin: log": ("admin", "/admin/log"),
            "dashboard as mentee": ("mentee", "/"),
            "dashboard as mentor": ("mentor", "/"),
            "booking": ("mentee", "/sessions/new"),
            "booking: free times": ("mentee", f"/sessions/new?mentor={mentor.id}"),
            "mentors": ("mentee", "/mentors"),
            "mentors, nobody found": ("mentee", "/mentors?q=nobody&specialty=careers"),
            "mentor profile, to book": ("mentee", f"/mentors/{mentor.id}"),
            "mentor profile, as admin": ("admin", f"/mentors/{mentor.id}"),
            "settings: public profile": ("mentor", "/settings/mentor-profile"),
            "settings: hours": ("mentor", "/settings/availability"),
            "session page as mentee": ("mentee", f"/sessions/{open_now}"),
            "session page as mentor, to confirm": ("mentor", f"/sessions/{pending}"),
            "session page, cancelled": ("mentee", f"/sessions/{cancelled}"),
            "settings": ("mentor", "/settings/"),
            "video settings": ("mentor", "/settings/video"),
            "waiting page": ("mentee", join_path(server, later, mentee)),
            "403 someone else's link": ("outsider", join_path(server, open_now, mentee)),
            "404 invalid link": ("mentee", "/join/not-a-real-token"),
            "404 no such page": ("mentee", "/no-such-page"),
            "409 not confirmed": ("mentee", join_path(server, pending, mentee)),
            "410 cancelled": ("mentee", join_path(server, cancelled, mentee)),
            "410 ended": ("mentee", join_path(server, ended, mentee)),
        }
        yield site
        for context in site.contexts.values():
            context.close()


def join_path(server: LiveServer, session_id: str, person: Person) -> str:
    return server.join_link(session_id, person).removeprefix(server.base_url)


PAGES = {
    "login": 200,
    "login via a join link": 200,
    "register": 200,
    "register, time zone search": 200,
    "forgot password": 200,
    "reset password": 200,
    "confirm address": 200,
    "security settings": 200,
    "admin: mentors": 200,
    "admin: home": 200,
    "admin: sessions, a search": 200,
    "admin: sessions, a bad search": 400,
    "admin: people": 200,
    "admin: mail queue": 200,
    "admin: mail, queued": 200,
    "admin: log": 200,
    "dashboard as mentee": 200,
    "dashboard as mentor": 200,
    "booking": 200,
    "booking: free times": 200,
    "mentors": 200,
    "mentors, nobody found": 200,
    "mentor profile, to book": 200,
    "mentor profile, as admin": 200,
    "settings: public profile": 200,
    "settings: hours": 200,
    "session page as mentee": 200,
    "session page as mentor, to confirm": 200,
    "session page, cancelled": 200,
    "settings": 200,
    "video settings": 200,
    "waiting page": 200,
    "403 someone else's link": 403,
    "404 invalid link": 404,
    "404 no such page": 404,
    "409 not confirmed": 409,
    "410 cancelled": 410,
    "410 ended": 410,
}


@pytest.mark.parametrize(("name", "status"), PAGES.items(), ids=list(PAGES))
def test_page_has_no_serious_accessibility_violations(site, name, status):
    who, path = site.paths[name]
    page = site.contexts[who].new_page()
    try:
        response = page.goto(path)
        assert response.status == status
        assert_nothing_serious(page, name)
    finally:
        page.close()


def test_booking_form_with_errors_has_no_serious_accessibility_violations(site):
    page = site.contexts["mentee"].new_page()
    page.goto("/sessions/new")
    page.get_by_role("button", name="Request session").click()
    expect(page.locator("[aria-invalid=true]").first).to_be_visible()
    assert_nothing_serious(page, "booking with errors")
    page.close()


# Forms sent empty: each shows its error summary and its fields' errors (issue 20, item 9).
FORMS_WITH_ERRORS = {
    "login": ("anonymous", "/auth/login", "Log in"),
    "register": ("anonymous", "/auth/register", "Create account"),
    "forgot password": ("anonymous", "/auth/forgot", "Send me a link"),
    "settings": ("mentee", "/settings/", "Save"),
    "security: password": ("mentee", "/settings/security", "Change password"),
}


@pytest.mark.parametrize("name", FORMS_WITH_ERRORS, ids=list(FORMS_WITH_ERRORS))
def test_forms_with_errors_have_no_serious_accessibility_violations(site, name):
    who, path, button = FORMS_WITH_ERRORS[name]
    page = site.contexts[who].new_page()
    try:
        page.goto(path)
        if name == "settings":
            page.get_by_label("Name").fill("")
        page.get_by_role("button", name=button, exact=True).click()
        expect(page.locator("[data-error-summary]")).to_be_focused()
        assert_nothing_serious(page, f"{name} with errors")
    finally:
        page.close()


@pytest.mark.parametrize(
    ("path", "label", "value"),
    [
        ("/settings/availability", "Monday", "9am to noon"),
        ("/settings/mentor-profile", "Headline", "x" * 121),
    ],
    ids=["hours", "public profile"],
)
def test_mentor_settings_with_errors_have_no_serious_accessibility_violations(site, path, label, value):
    page = site.contexts["mentor"].new_page()
    try:
        page.goto(path)
        field = page.get_by_label(label, exact=True)
        # maxlength would stop a person typing past it; the server must still say why when sent.
        field.evaluate("(element) => element.removeAttribute('maxlength')")
        field.fill(value)
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("[data-error-summary]")).to_be_focused()
        expect(page.locator("[aria-invalid=true]").first).to_be_visible()
        assert_nothing_serious(page, f"{path} with errors")
    finally:
        page.close()


def test_video_settings_with_a_refused_link_has_no_serious_accessibility_violations(site):
    page = site.contexts["mentor"].new_page()
    page.goto("/settings/video")
    link = page.get_by_label("Your meeting link")
    link.fill("http://zoom.us/j/1")
    expect(page.locator("#video-preview .preview-error")).to_be_visible()
    assert_nothing_serious(page, "video settings, refused link")
    page.close()


def test_dashboard_with_the_cancelled_sessions_unfolded_has_no_serious_accessibility_violations(site):
    page = site.contexts["mentee"].new_page()
    page.goto("/")
    page.locator("details.ended-sessions summary").click()
    expect(page.locator("details.ended-sessions .session-row")).to_be_visible()
    assert_nothing_serious(page, "dashboard, cancelled sessions unfolded")
    page.close()


# The element, or its nearest ancestor, that screen readers read out on every change; null if none.
IN_A_LIVE_REGION = """(element) => {
  for (let node = element; node; node = node.parentElement) {
    const live = node.getAttribute("aria-live");
    if ((live && live !== "off") || ["status", "alert", "log", "marquee"].includes(node.getAttribute("role"))) {
      return node.outerHTML.slice(0, 160);
    }
  }
  return null;
}"""


def test_countdowns_announce_politely(site):
    for name in ("dashboard as mentee", "waiting page"):
        who, path = site.paths[name]
        page = site.contexts[who].new_page()
        page.goto(path)
        waiting = page.locator("[data-join-state=too_early]").first
        expect(waiting).to_contain_text(re.compile("Opens in", re.IGNORECASE))
        # The ticking countdown itself is not read out every second: it is in no live region (it is
        # part of the inert Join control's name, read when the control is reached)...
        countdown = waiting.locator("[data-countdown-text]")
        expect(countdown).to_be_visible()
        assert countdown.evaluate(IN_A_LIVE_REGION) is None
        expect(waiting.locator("a[data-join-link]")).to_have_attribute("aria-disabled", "true")
        # ...a polite live region speaks at sensible moments instead, and nothing interrupts.
        expect(waiting.locator("[aria-live]")).to_have_attribute("aria-live", "polite")
        expect(page.locator("[aria-live=assertive], [role=alert]")).to_have_count(0)
        page.close()


# Keyboard only -----------------------------------------------------------------------------------

FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const label = element.labels && element.labels.length ? element.labels[0].innerText : "";
  const rgb = (color) => (color.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => [r, g, b]
    .map((v) => v / 255)
    .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  // The outline sits just outside the element, on the first ancestor that paints a background.
  let surface = element.parentElement;
  while (surface && rgb(getComputedStyle(surface).backgroundColor)[3] === 0) surface = surface.parentElement;
  const behind = surface ? rgb(getComputedStyle(surface).backgroundColor) : [255, 255, 255];
  const [light, dark] = [luminance(rgb(style.outlineColor)), luminance(behind)].sort((a, b) => b - a);
  return {
    tag: element.tagName.toLowerCase(),
    name: (label || element.getAttribute("aria-label") || element.innerText || "").trim(),
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
    outlineContrast: (light + 0.05) / (dark + 0.05),
    shadow: style.boxShadow !== "none",
    // Focus on a part inside a native control (the date field's calendar button): chromium rings it itself.
    nativePart: !element.matches(":focus"),
    html: element.outerHTML.slice(0, 160),
  };
}"""
# WCAG 1.4.11: a focus indicator needs 3:1 against what is next to it.
FOCUS_CONTRAST = 3.0


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def assert_focus_visible(page) -> dict:
    element = focused(page)
    assert element["outline"] or element["shadow"] or element["nativePart"], f"no visible focus indicator on {element['html']}"
    if element["outline"] and not element["nativePart"]:
        assert element["outlineContrast"] >= FOCUS_CONTRAST, (
            f"focus outline contrast {element['outlineContrast']:.2f}:1 on {element['html']}"
        )
    return element


def tab_to(page, name: str, *, backwards: bool = False, exact: bool = False, limit: int = 60) -> None:
    """Press Tab (or Shift+Tab) until the focused element's name starts with `name` (or, `exact`, is it);
    every stop must show focus."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        reached = assert_focus_visible(page)["name"]
        if reached == name if exact else reached.startswith(name):
            return
    raise AssertionError(f"{name!r} not reached with {limit} presses of {key}")


def test_booking_and_joining_with_the_keyboard_alone(server, contexts):
    mentee = server.person("mentee", "Max Mentee")
    server.person("mentor", "Nils Mentor")
    server.session(mentee, server.mentor_with_meeting_link("Mona Mentor"), opens_in=-timedelta(minutes=1))
    page = contexts().new_page()

    page.goto("/auth/login")
    assert focused(page)["name"] == "Email", "the login form should start in its first field"
    assert_focus_visible(page)
    page.keyboard.type(mentee.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(server.url("/"))

    tab_to(page, "Book a session")
    page.keyboard.press("Enter")
    page.wait_for_url(server.url("/sessions/new"))
    # The mentor field, not the "Mentors" page in the navigation nor a mentor's free times.
    tab_to(page, "Mentor", exact=True)
    page.keyboard.type("Nils")
    tab_to(page, "Start")
    day = utcnow().date() + timedelta(days=5)
    # chromium's en-US date and time field: month, day, year, then hours, minutes, AM/PM.
    page.keyboard.type(day.strftime("%m%d%Y"))
    page.keyboard.press("Tab")
    page.keyboard.type("0230P")
    tab_to(page, "Request session")
    # On second thought, 45 minutes are enough: back to the duration, then on to the button again.
    tab_to(page, "Duration", backwards=True)
    page.keyboard.press("Control+A")
    page.keyboard.type("45")
    tab_to(page, "Request session")
    page.keyboard.press("Space")

    page.wait_for_url(re.compile(r"/sessions/[^/]+$"))
    expect(page.get_by_role("status").filter(has_text="Your session request was sent to Nils Mentor")).to_be_visible()
    panel = page.locator("#session-panel")
    expect(panel).to_contain_text("45 minutes")
    expect(panel.locator("time").first).to_have_attribute("datetime", f"{day:%Y-%m-%d}T14:30:00Z")

    tab_to(page, "Dashboard")
    page.keyboard.press("Enter")
    page.wait_for_url(server.url("/"))
    tab_to(page, "Join")
    page.keyboard.press("Enter")
    expect(page).to_have_url(MEETING_URL)
