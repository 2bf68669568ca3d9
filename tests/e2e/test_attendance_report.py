"""A mentor reads the attendance report of a session that took place: the outcome in words, a timeline
row for each of the two people, and the table; the mentee sees only their own line; axe-core finds
nothing serious on either page.

The session is seeded as it would be after the fact: booked three hours ago, the providers' events
and the Join clicks stored directly, and finalised as the worker does once the window closed.
"""
import re
from datetime import timedelta

from playwright.sync_api import expect

from meetapp.domain.timeutil import utcnow
from meetapp.extensions import db
from meetapp.models import AttendanceEvent, MentoringSession, PresenceEvent
from meetapp.services import attendance
from tests.e2e.browser import log_in
from tests.e2e.test_accessibility import assert_nothing_serious


def seed_held_session(server, mentee, mentor) -> str:
    """A past session: the mentor on time for the whole hour, the mentee 7 minutes late; finalised."""
    session_id = server.session(mentee, mentor, opens_in=-timedelta(hours=3))
    with server.app.app_context():
        session = db.session.get(MentoringSession, session_id)
        start, end = session.starts_at, session.ends_at
        db.session.add_all([
            AttendanceEvent(session_id=session_id, user_id=mentor.id, at=start - timedelta(minutes=2),
                            outcome="joined", reason="in_window"),
            AttendanceEvent(session_id=session_id, user_id=mentee.id, at=start + timedelta(minutes=6),
                            outcome="joined", reason="in_window"),
        ])
        for number, (kind, at, person) in enumerate([
            ("joined", start - timedelta(minutes=1), mentor),
            ("joined", start + timedelta(minutes=7), mentee),
            ("left", end - timedelta(minutes=5), mentee),
            ("left", end, mentor),
        ]):
            db.session.add(PresenceEvent(
                session_id=session_id, source="jitsi", kind=kind, at=at, participant_key=f"occupant-{person.id}",
                user_id=person.id, delivery_key=f"e2e-{session_id}-{number}", received_at=at,
            ))
        db.session.commit()
        assert attendance.finalise(db.session.get(MentoringSession, session_id), utcnow())
    return session_id


def test_the_mentor_reads_the_report_and_the_mentee_their_own_line(browser, server, contexts, axe_script, screenshot):
    mentor = server.person("mentor", "Mona Mentor")
    mentee = server.person("mentee", "Max Mentee", timezone="America/New_York")
    session_id = seed_held_session(server, mentee, mentor)

    # bypass_csp only so that axe-core can be injected; the page itself runs under its CSP.
    as_mentor = contexts(bypass_csp=True).new_page()
    log_in(as_mentor, mentor)
    as_mentor.goto(f"/sessions/{session_id}")
    report = as_mentor.locator(".attendance-report")
    expect(report.locator(".attendance-outcome")).to_have_text("Held: both came. Together for 48 minutes.")
    expect(report.locator(".attendance-final")).to_contain_text("Final since")
    rows = report.locator(".timeline-row")
    expect(rows).to_have_count(2)
    expect(rows.locator(".timeline-name")).to_have_text(["Mona Mentor (you)", "Max Mentee"])
    # Each row's bars are drawn, and its text alternative says what they show.
    expect(rows.nth(1).locator("rect.timeline-bar")).to_have_count(1)
    expect(rows.nth(1).get_by_role("img")).to_have_attribute("aria-label", re.compile(r"^Max Mentee: present "))
    assert rows.nth(0).locator("rect.timeline-bar").bounding_box()["width"] > 100
    table = as_mentor.get_by_role("table", name="Each person's attendance")
    expect(table.get_by_role("row", name="Max Mentee")).to_contain_text("Late (7 min)")
    expect(table.get_by_role("row", name="Mona Mentor (you)")).to_contain_text("Attended")
    screenshot(as_mentor, "attendance-report-mentor")
    assert_nothing_serious(as_mentor, "the session page with its attendance report (mentor)")

    as_mentee = contexts(bypass_csp=True).new_page()
    log_in(as_mentee, mentee)
    as_mentee.goto(f"/sessions/{session_id}")
    expect(as_mentee.locator(".attendance-own")).to_contain_text("(7 min late), present 48 minutes.")
    expect(as_mentee.locator(".attendance-report")).to_have_count(0)
    expect(as_mentee.locator(".timeline-row")).to_have_count(0)
    expect(as_mentee.get_by_text("Held: both came.")).to_have_count(0)
    assert_nothing_serious(as_mentee, "the session page with the mentee's own attendance line")
