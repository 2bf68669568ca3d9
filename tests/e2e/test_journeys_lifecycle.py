"""The session lifecycle in a real browser: a mentor declines a request, a mentee's move waits for the
mentor while a mentor's move stands, and a pending session page says "waiting" once.
"""
import re
from datetime import datetime, timedelta

from playwright.sync_api import expect

from meetapp.extensions import db
from meetapp.models import MentoringSession
from tests.e2e.browser import AXE, LiveServer, Person, log_in

BLOCKING_IMPACTS = ("serious", "critical")


def serious_violations(page) -> list[str]:
    """What axe-core finds seriously wrong with the page as it is now (needs a context with bypass_csp)."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    assert results["passes"], "axe-core checked nothing: was the page empty?"
    return [
        f"[{violation['impact']}] {violation['id']}: {violation['help']} at {[node['target'] for node in violation['nodes']]}"
        for violation in results["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def expect_status(page, text: str) -> None:
    """A status message (role=status) saying `text` is on the page."""
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def starts_at(server: LiveServer, session_id: str) -> datetime:
    with server.app.app_context():
        return db.session.get(MentoringSession, session_id).starts_at


def subjects_to(server: LiveServer, person: Person) -> list[str]:
    return [message["Subject"] for message in server.sink.to(person.email)]


def move(page, new_start: datetime, *, hint: str | None = None) -> None:
    """Open the reschedule form on the session page, see its `hint` if one is expected, and move the
    session to `new_start` (the viewer's zone is UTC)."""
    page.get_by_text("Reschedule this session").click()
    if hint:
        expect(page.get_by_text(hint)).to_be_visible()
    page.get_by_label(re.compile(r"^New start")).fill(new_start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Move the session").click()


def test_mentor_declines_a_request_and_the_mentee_is_told(server, contexts, axe_script, screenshot):
    mentor = server.person("mentor", "Mona Mentor")
    mentee = server.person("mentee", "Max Mentee")
    session_id = server.session(mentee, mentor, opens_in=timedelta(days=1), confirm=False)
    server.deliver_mail()

    mentor_page = contexts(bypass_csp=True).new_page()
    log_in(mentor_page, mentor)
    mentor_page.goto(f"/sessions/{session_id}")
    panel = mentor_page.locator("#session-panel")
    expect(panel).to_contain_text("Waiting for you to confirm or decline.")
    # A request is answered with Decline; there is no separate Cancel for it.
    expect(mentor_page.get_by_text("Cancel this session")).to_have_count(0)
    mentor_page.get_by_text("Decline this request").click()
    reason = mentor_page.get_by_label("Reason (optional; Max Mentee will read it)")
    expect(reason).to_be_visible()
    assert serious_violations(mentor_page) == [], "the pending page with its Decline form open"
    reason.fill("I am away that week.")
    mentor_page.get_by_role("button", name="Decline the request").click()
    expect_status(mentor_page, "Request declined. Max Mentee has been told.")
    expect(panel.locator(".badge")).to_have_text("Declined")
    expect(panel.get_by_role("button")).to_have_count(0)

    mentee_page = contexts(bypass_csp=True).new_page()
    log_in(mentee_page, mentee)
    mentee_page.goto(f"/sessions/{session_id}")
    panel = mentee_page.locator("#session-panel")
    expect(panel.locator(".badge")).to_have_text("Declined")
    expect(panel).to_contain_text("Declined by Mona Mentor on")
    expect(panel).to_contain_text("I am away that week.")
    assert serious_violations(mentee_page) == [], "the declined session page"
    screenshot(mentee_page, "declined-request")

    server.deliver_mail()
    assert subjects_to(server, mentee)[-1].startswith("Declined: Standard with Mona Mentor")
    assert not any(subject.startswith("Declined:") for subject in subjects_to(server, mentor))
    # The mail says why, and its link leads to booking another time.
    (mail,) = [message for message in server.sink.to(mentee.email) if message["Subject"].startswith("Declined:")]
    text = mail.get_body(("plain",)).get_content()
    assert "I am away that week." in text
    assert f"You can book another time: {server.url('/sessions/new')}" in text
    mentee_page.goto(server.url("/sessions/new"))
    expect(mentee_page.get_by_role("button", name="Request session")).to_be_visible()


def test_a_mentees_move_waits_for_the_mentor_and_a_mentors_move_stands(server, contexts, screenshot):
    mentor = server.person("mentor", "Mona Mentor")
    mentee = server.person("mentee", "Max Mentee")
    session_id = server.session(mentee, mentor, opens_in=timedelta(days=1))
    # Moved by whole minutes, as the form takes them.
    first = starts_at(server, session_id).replace(second=0, microsecond=0)
    server.deliver_mail()

    mentee_page = contexts().new_page()
    log_in(mentee_page, mentee)
    mentee_page.goto(f"/sessions/{session_id}")
    moved_to = first + timedelta(days=1)
    move(mentee_page, moved_to, hint="Mona Mentor will be asked to confirm the new time.")
    expect_status(mentee_page, "Session moved. It waits for Mona Mentor to confirm the new time.")
    mentee_panel = mentee_page.locator("#session-panel")
    expect(mentee_panel.locator(".badge")).to_have_text("Pending")
    expect(mentee_panel).to_contain_text("Waiting for Mona Mentor to confirm the new time.")

    mentor_page = contexts().new_page()
    log_in(mentor_page, mentor)
    mentor_page.goto(f"/sessions/{session_id}")
    mentor_panel = mentor_page.locator("#session-panel")
    expect(mentor_panel.locator(".badge")).to_have_text("Pending")
    expect(mentor_panel).to_contain_text("Waiting for you to confirm or decline the new time.")
    expect(mentor_panel.locator("time").first).to_have_attribute("datetime", moved_to.strftime("%Y-%m-%dT%H:%M:%SZ"))
    server.deliver_mail()
    assert subjects_to(server, mentor)[-1].startswith("Move requested: Standard with Max Mentee")

    mentor_page.get_by_role("button", name="Confirm session").click()
    expect(mentor_panel.locator(".badge")).to_have_text("Confirmed")
    mentee_page.reload()
    expect(mentee_panel.locator(".badge")).to_have_text("Confirmed")

    # The mentor's own move stands: still confirmed, and the mentee is told.
    moved_again = moved_to + timedelta(hours=2)
    move(mentor_page, moved_again)
    expect_status(mentor_page, "Session moved. Max Mentee has been told.")
    expect(mentor_panel.locator(".badge")).to_have_text("Confirmed")
    mentee_page.reload()
    expect(mentee_panel.locator(".badge")).to_have_text("Confirmed")
    expect(mentee_panel.locator("time").first).to_have_attribute("datetime", moved_again.strftime("%Y-%m-%dT%H:%M:%SZ"))
    server.deliver_mail()
    assert subjects_to(server, mentee)[-1].startswith("Moved: Standard with Mona Mentor is now")
    screenshot(mentee_page, "moved-by-mentor")


def test_a_pending_session_page_says_waiting_once(server, contexts):
    mentor = server.person("mentor", "Mona Mentor")
    mentee = server.person("mentee", "Max Mentee")
    session_id = server.session(mentee, mentor, opens_in=timedelta(days=1), confirm=False)
    for person, line in ((mentee, "Waiting for Mona Mentor to confirm."), (mentor, "Waiting for you to confirm or decline.")):
        page = contexts().new_page()
        log_in(page, person)
        page.goto(f"/sessions/{session_id}")
        main = page.get_by_role("main")
        expect(main).to_contain_text(line)
        assert len(re.findall("waiting", main.inner_text(), re.IGNORECASE)) == 1, main.inner_text()
        # One card holds the heading, both people, the time and the status line.
        panel = page.locator("#session-panel")
        expect(panel.get_by_role("heading", level=1)).to_have_count(1)
        expect(panel).to_contain_text("Mona Mentor")
        expect(panel).to_contain_text("Max Mentee")
