"""The attendance report on the session page: the mentor and admins see the outcome in words, the
minutes together, a timeline row per person (and per participant matched to nobody) and a table of
the lines; the mentee sees only their own line; provisional until the worker finalises it, then final,
with any later change shown."""
import re
from datetime import datetime, timedelta

import pytest

from meetapp.extensions import db
from meetapp.models import AttendanceEvent, MentoringSession, PresenceEvent
from meetapp.services import attendance
from tests.support import CLOSES, MENTEE_EMAIL, MENTOR_EMAIL, OPENS, START

LATE_JOIN = START + timedelta(minutes=7)


def presence(app, session_id: str, *events: tuple) -> None:
    """Store provider events directly: (kind, at, user_id, display_name) each."""
    with app.app_context():
        for number, (kind, at, user_id, name) in enumerate(events):
            db.session.add(PresenceEvent(
                session_id=session_id, source="jitsi", kind=kind, at=at,
                participant_key=None if kind == "ended" else f"key-{user_id or name}",
                user_id=user_id, display_name=name,
                delivery_key=f"{session_id}-{kind}-{at.isoformat()}-{user_id}-{name}-{number}", received_at=at,
            ))
        db.session.commit()


def click(app, session_id: str, user_id: int, at: datetime, outcome: str = "joined", reason: str = "in_window"):
    with app.app_context():
        db.session.add(AttendanceEvent(session_id=session_id, user_id=user_id, at=at, outcome=outcome, reason=reason))
        db.session.commit()


@pytest.fixture
def held(app, confirmed_with_links, mentor, mentee) -> str:
    """The mentor on time from 09:58 to 11:00, the mentee 7 minutes late until 10:55, and a guest."""
    session_id = confirmed_with_links[0]
    click(app, session_id, mentor, START - timedelta(minutes=3))
    click(app, session_id, mentee, LATE_JOIN - timedelta(minutes=1))
    presence(
        app, session_id,
        ("joined", START - timedelta(minutes=2), mentor, None),
        ("joined", LATE_JOIN, mentee, None),
        ("joined", START + timedelta(minutes=20), None, "Guest Gina"),
        ("left", START + timedelta(minutes=30), None, "Guest Gina"),
        ("left", START + timedelta(minutes=55), mentee, None),
        ("left", START + timedelta(minutes=60), mentor, None),
    )
    return session_id


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def table_rows(page: str) -> list[str]:
    return [text_of(row) for row in re.findall(r'<tr class="attendance-person">(.*?)</tr>', page, re.S)]


def timeline_rows(page: str) -> list[str]:
    return re.findall(r'<span class="timeline-name">([^<]*)</span>', page)


def page_of(client, auth, email: str, session_id: str) -> str:
    auth.login(email)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    auth.logout()
    return page


def test_the_mentor_sees_the_whole_report_with_a_timeline(client, auth, clock, held):
    clock.move_to(CLOSES - timedelta(minutes=5))
    page = page_of(client, auth, MENTOR_EMAIL, held)
    assert "Held: both came." in page
    assert "Together for 48 minutes." in page
    assert timeline_rows(page) == ["Mona Mentor (you)", "Max Mentee", "Guest Gina"]
    # Mona's zone is Berlin, an hour ahead of UTC.
    assert table_rows(page) == [
        "Mona Mentor (you) Attended 10:57 , let in 10:58 62 0",
        "Max Mentee Late (7 min) 11:06 , let in 11:07 48 7",
    ]
    assert "Also in the meeting, matched to neither person: Guest Gina." in page
    assert "Provisional: this may change until the window closes at" in page
    assert "Final since" not in page
    # The join-attempt list stays below the report.
    assert page.index('class="attendance-table"') < page.index('<ol class="attendance-list">')


def test_the_timeline_places_bars_and_marks_in_percent_of_the_window(client, auth, clock, held):
    clock.move_to(CLOSES)
    page = page_of(client, auth, MENTOR_EMAIL, held)
    # The window is 09:45–11:30 UTC, 105 minutes: the mentor's 09:58 is 13/105 of it, 12.38 %.
    assert '<rect class="timeline-bar" x="12.38%" y="25%" width="59.05%" height="50%">' in page
    # The start (10:00) and end (11:00) edges, the mentee's Join click at 10:06.
    assert 'x1="14.29%" x2="14.29%"' in page and 'x1="71.43%" x2="71.43%"' in page
    assert '<line class="timeline-click timeline-click-joined" x1="20.0%"' in page
    # Each row says in words what its bars show.
    assert 'aria-label="Max Mentee: present 11:07–11:55; clicked Join at 11:06 (let in)"' in page
    assert "<title>Present 12:05–12:15</title>" not in page  # times are the viewer's
    assert "<title>Present 11:20–11:30</title>" in page  # Guest Gina, 10:20–10:30 UTC


def test_the_mentee_sees_only_their_own_line(client, auth, clock, held):
    clock.move_to(CLOSES)
    page = page_of(client, auth, MENTEE_EMAIL, held)
    own = text_of(re.search(r'<p class="attendance-own">(.*?)</p>', page, re.S).group(1))
    # New York is five hours behind UTC.
    assert own == "You joined at 05:07 (7 min late), present 48 minutes. You first clicked Join at 05:06 (let in)."
    for private in ("Guest Gina", "Held", "Together for", "timeline-row", 'id="attendance-title"', "Attended"):
        assert private not in page


def test_an_admin_sees_the_whole_report(client, auth, clock, people, held):
    people.make("admin", "Ada Admin")
    clock.move_to(CLOSES)
    page = page_of(client, auth, "ada.admin@example.com", held)
    assert "Held: both came." in page
    assert timeline_rows(page) == ["Mona Mentor", "Max Mentee", "Guest Gina"]
    assert [row.split(" ")[0:3] for row in table_rows(page)] == [["Mona", "Mentor", "Attended"], ["Max", "Mentee", "Late"]]


def test_a_finalised_report_is_final_and_a_later_change_is_shown(app, client, auth, clock, held, mentee):
    clock.move_to(CLOSES + timedelta(minutes=1))
    with app.app_context():
        assert attendance.finalise(db.session.get(MentoringSession, held), CLOSES + timedelta(minutes=1))
    page = page_of(client, auth, MENTOR_EMAIL, held)
    assert "Final since" in page and "Provisional" not in page
    assert "Updated at" not in page
    mentee_page = page_of(client, auth, MENTEE_EMAIL, held)
    assert "Final since" in mentee_page

    with app.app_context():
        db.session.add(attendance.AttendanceReportChange(
            session_id=held, at=CLOSES + timedelta(hours=1), before="mentee_no_show attended no_show 0",
            after="held attended late 48",
        ))
        db.session.commit()
    page = page_of(client, auth, MENTOR_EMAIL, held)
    assert "Updated at 13:30 : was Mentee no-show: Max Mentee did not come." in text_of(page)


def test_a_mentee_who_clicked_but_never_connected_is_a_no_show(app, client, auth, clock, confirmed_with_links, mentor, mentee):
    session_id = confirmed_with_links[0]
    click(app, session_id, mentee, START)
    presence(app, session_id, ("joined", START, mentor, None), ("left", START + timedelta(minutes=60), mentor, None))
    clock.move_to(CLOSES)
    page = page_of(client, auth, MENTOR_EMAIL, session_id)
    assert "Mentee no-show: Max Mentee did not come." in page
    assert "Together for 0 minutes." in page
    assert table_rows(page)[1] == "Max Mentee Clicked Join but never connected 11:00 , let in Never 0 –"
    mentee_page = page_of(client, auth, MENTEE_EMAIL, session_id)
    own = text_of(re.search(r'<p class="attendance-own">(.*?)</p>', mentee_page, re.S).group(1))
    assert own == "Clicked Join but never connected. You first clicked Join at 05:00 (let in)."


def test_without_a_presence_source_the_report_says_why_it_is_unknown(client, auth, clock, confirmed_with_links):
    clock.move_to(CLOSES)
    page = page_of(client, auth, MENTOR_EMAIL, confirmed_with_links[0])
    assert "Unknown." in page
    assert "This meeting's provider does not report who joined." in page
    assert "Together for" not in page
    assert table_rows(page)[0].startswith("Mona Mentor (you) Unknown This meeting")


def test_a_refused_first_click_reads_as_the_proxys_answer(app, client, auth, clock, confirmed_with_links, mentee):
    click(app, confirmed_with_links[0], mentee, OPENS - timedelta(minutes=5), "denied", "too_early")
    clock.move_to(CLOSES)
    rows = table_rows(page_of(client, auth, MENTOR_EMAIL, confirmed_with_links[0]))
    assert rows[1].startswith("Max Mentee Unknown")
    assert "10:40 , refused: too early" in rows[1]


def test_no_report_before_the_window_opens(client, auth, clock, confirmed_with_links):
    clock.move_to(OPENS - timedelta(minutes=1))
    page = page_of(client, auth, MENTOR_EMAIL, confirmed_with_links[0])
    assert "attendance-table" not in page and "timeline-row" not in page
    assert "No one has tried to join yet." in page
    assert "own-attendance-title" not in page_of(client, auth, MENTEE_EMAIL, confirmed_with_links[0])


def test_a_cancelled_session_has_no_report(client, auth, clock, api_as, mentor, confirmed_with_links):
    assert api_as(mentor).post(f"/api/mentoring/session/{confirmed_with_links[0]}/cancel").status_code == 200
    clock.move_to(CLOSES)
    page = page_of(client, auth, MENTOR_EMAIL, confirmed_with_links[0])
    assert "attendance-table" not in page and "timeline" not in page
    assert "own-attendance-title" not in page_of(client, auth, MENTEE_EMAIL, confirmed_with_links[0])
