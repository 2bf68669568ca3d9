"""Finding a mentor and a free time in a real browser: by specialty, on the mentor's profile, then on
the booking page's slot picker, each time in the mentee's own zone; the mentor gets the request."""
import re
from datetime import timedelta

from playwright.sync_api import expect

from meetapp.domain.timeutil import parse_aware_iso, to_local, utcnow
from meetapp.extensions import db
from meetapp.models import MentoringSession, User
from meetapp.services import mentor_hours, mentors
from tests.e2e.browser import log_in


def give_profile(server, person, *, specialties: list[str], weekly: dict) -> None:
    with server.app.app_context():
        mentor = db.session.get(User, person.id)
        mentors.update_profile(
            mentor, headline=f"{person.name} helps", bio="", specialties=specialties, languages=["English"], session_types=[]
        )
        current = mentor_hours.settings_of(mentor.mentor_profile)
        settings = mentor_hours.read_settings({"weekly": weekly, "minimumNoticeMinutes": 60}, current=current)
        mentor_hours.save_settings(mentor, settings, utcnow())


def booked_start(server, mentee_id: int, mentor_id: int) -> list:
    with server.app.app_context():
        return sorted(
            session.starts_at
            for session in db.session.query(MentoringSession).filter_by(mentee_id=mentee_id, mentor_id=mentor_id)
        )


def test_a_mentee_finds_a_mentor_by_specialty_and_books_a_free_time_in_her_own_zone(server, contexts, screenshot):
    every_day = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    amara = server.person("mentor", "Amara Okafor", timezone="Europe/Berlin")
    give_profile(server, amara, specialties=["Clinical research", "Careers"], weekly=every_day)
    other = server.person("mentor", "Omar Other", timezone="Europe/Berlin")
    give_profile(server, other, specialties=["Python"], weekly=every_day)
    chloe = server.person("mentee", "Chloe Martin", timezone="America/Los_Angeles")

    page = contexts().new_page()
    log_in(page, chloe)
    page.get_by_role("navigation").get_by_role("link", name="Mentors", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("mentor")
    page.get_by_label("Specialty").select_option(label="Clinical research")
    page.get_by_role("button", name="Search").click()
    results = page.get_by_role("main")
    expect(results.get_by_role("link", name="Amara Okafor")).to_be_visible()
    expect(results.get_by_role("link", name="Omar Other")).to_have_count(0)
    expect(results).to_contain_text("Video: Jitsi")

    # Her profile: the next free times, 09:00 in Berlin read as midnight in Los Angeles.
    results.get_by_role("link", name="Amara Okafor").click()
    first = page.locator("button[name=slot]").first
    expect(first).to_be_visible()
    value = first.get_attribute("value")
    utc_start = parse_aware_iso(value)
    la_label = to_local(utc_start, "America/Los_Angeles").strftime("%H:%M")
    expect(first).to_contain_text(la_label)
    assert to_local(utc_start, "Europe/Berlin").hour in range(9, 17)
    first.click()
    expect(page.get_by_role("status").filter(has_text="Your session request was sent to Amara Okafor")).to_be_visible()
    assert booked_start(server, chloe.id, amara.id) == [utc_start]

    # The picker: the next day swaps only the list (no reload), then a time is booked by its button.
    page.goto(f"/sessions/new?mentor={amara.id}")
    page.evaluate("() => { window.stillTheSamePage = true; }")
    heading = page.locator("#slot-list h2").first
    before = heading.inner_text()
    page.get_by_role("link", name=re.compile("Next day")).click()
    expect(heading).not_to_have_text(before)
    assert page.evaluate("window.stillTheSamePage") is True, "changing the day reloaded the page"
    assert "day=" in page.url
    slot = page.locator("#slot-list button[name=slot]").first
    chosen = slot.get_attribute("value")
    slot.click()
    expect(page.get_by_role("status").filter(has_text="Your session request was sent to Amara Okafor")).to_be_visible()
    starts = booked_start(server, chloe.id, amara.id)
    assert len(starts) == 2 and starts[1].strftime("%Y-%m-%dT%H:%M:%SZ") == chosen
    assert starts[1] - starts[0] >= timedelta(hours=1)
    screenshot(page, "finding-a-mentor")

    # Amara is asked, by mail and on her dashboard.
    server.deliver_mail()
    subjects = [message["Subject"] for message in server.sink.to(amara.email)]
    assert sum(subject.startswith("New request: Standard with Chloe Martin") for subject in subjects) == 2
    mentor_page = contexts().new_page()
    log_in(mentor_page, amara)
    expect(mentor_page.get_by_role("main")).to_contain_text("Awaiting your confirmation")


def test_without_javascript_the_picker_pages_through_days_and_books_by_plain_forms(server, contexts):
    every_day = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    amara = server.person("mentor", "Amara Okafor", timezone="Europe/Berlin")
    give_profile(server, amara, specialties=["Careers"], weekly=every_day)
    dev = server.person("mentee", "Dev Patel", timezone="Asia/Kolkata")
    page = contexts(java_script_enabled=False).new_page()
    log_in(page, dev)

    page.goto("/sessions/new")
    page.get_by_role("link", name="Amara Okafor").click()
    first_day = page.locator("#slot-list h2").first.inner_text()
    page.get_by_role("link", name=re.compile("Next day")).click()
    expect(page.locator("#slot-list h2").first).not_to_have_text(first_day)
    # Another session type, chosen with the form's own button: the times are as long as it is.
    page.get_by_label("Session type").select_option(label="Follow-up (30 min)")
    page.get_by_role("button", name="Show times").click()
    slot = page.locator("#slot-list button[name=slot]").first
    chosen = slot.get_attribute("value")
    slot.click()
    expect(page.get_by_role("status").filter(has_text="Your session request was sent to Amara Okafor")).to_be_visible()
    (start,) = booked_start(server, dev.id, amara.id)
    assert start.strftime("%Y-%m-%dT%H:%M:%SZ") == chosen
    with server.app.app_context():
        session = db.session.query(MentoringSession).filter_by(mentee_id=dev.id).one()
        assert session.session_type.name == "Follow-up" and session.duration_minutes == 30
