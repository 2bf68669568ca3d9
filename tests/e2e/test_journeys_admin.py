"""An admin's journey in a real browser: from the admin home to a session found by a search, its
attendance, the failed mails, and a mentor approved, which the log then shows."""
import re
from datetime import timedelta

import sqlalchemy as sa
from playwright.sync_api import expect

from meetapp.domain.notifications import MailKind, MailStatus
from meetapp.extensions import db
from meetapp.models import OutboxMail
from meetapp.services.accounts import create_user
from tests.e2e.browser import MEETING_URL, log_in
from tests.support import PASSWORD

REFUSED = "Recipient refused: 550 5.1.1 No such mailbox here"


def fail_the_confirmation_to(server, session_id: str, person) -> None:
    """What the worker leaves after its last attempt at a mail."""
    with server.app.app_context():
        db.session.execute(
            sa.update(OutboxMail)
            .where(
                OutboxMail.session_id == session_id,
                OutboxMail.kind == MailKind.CONFIRMATION,
                OutboxMail.recipient_id == person.id,
            )
            .values(status=MailStatus.FAILED, attempts=10, last_error=REFUSED)
        )
        db.session.commit()


def test_admin_finds_a_session_sees_who_joined_looks_at_failed_mail_and_approves_a_mentor(
    server, contexts, screenshot
):
    mentor = server.mentor_with_meeting_link("Mona Mentor")
    mentee = server.person("mentee", "Max Mentee")
    other = server.person("mentee", "Olga Other")
    joined = server.session(mentee, mentor, opens_in=-timedelta(minutes=1))
    server.session(mentee, mentor, opens_in=timedelta(days=1), confirm=False)
    server.session(other, mentor, opens_in=timedelta(days=2))
    fail_the_confirmation_to(server, joined, mentee)
    with server.app.app_context():
        create_user(
            email="pia@example.com", name="Pia Pending", role="mentor", password=PASSWORD, self_registered=True
        )
    # Max joins his session, so its page has someone in its attendance.
    mentee_page = contexts().new_page()
    mentee_page.goto(server.join_link(joined, mentee))
    log_in(mentee_page, mentee)
    expect(mentee_page).to_have_url(MEETING_URL)

    page = contexts().new_page()
    log_in(page, server.person("admin", "Ada Admin"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Admin")
    expect(page.locator("#mail-failed")).to_have_text("1")
    expect(page.locator("#mentors-waiting")).to_have_text("1")

    # Max's confirmed sessions: the one he joined, not the pending one nor Olga's.
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Sessions").click()
    page.get_by_label("Person").fill("max")
    page.get_by_label("Status").select_option("confirmed")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/admin/sessions\?person=max&status=confirmed"))
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Mona Mentor")
    expect(rows.first).to_contain_text("Max Mentee")
    expect(rows.first).to_contain_text("Confirmed")

    rows.first.get_by_role("link").click()
    expect(page).to_have_url(server.url(f"/sessions/{joined}"))
    attendance = page.locator("section.attendance")
    expect(attendance.get_by_role("heading", name="Attendance")).to_be_visible()
    expect(attendance).to_contain_text("Max Mentee joined")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Failed").click()
    expect(page).to_have_url(server.url("/admin/mail?status=failed"))
    failed = page.locator("table tbody tr")
    expect(failed).to_have_count(1)
    expect(failed.first).to_contain_text("Max Mentee")
    expect(failed.first).to_contain_text(REFUSED)
    # Its session is one click away; its contents are nowhere on the page.
    expect(failed.first.get_by_role("link", name=joined)).to_have_attribute("href", f"/sessions/{joined}")
    expect(page.locator("main")).not_to_contain_text("/join/")

    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Mentors").click()
    page.get_by_role("button", name="Approve Pia Pending").click()
    expect(page.get_by_role("status").filter(has_text="Pia Pending is approved")).to_be_visible()
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Log").click()
    newest = page.locator("table tbody tr").first
    expect(newest).to_contain_text("Ada Admin")
    expect(newest).to_contain_text("Approved a mentor")
    expect(newest).to_contain_text("Pia Pending")
    screenshot(page, "admin-journey")
