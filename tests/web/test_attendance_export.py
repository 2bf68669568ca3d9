"""/admin/attendance.csv: admins download one row per confirmed session starting in a range of UTC
days, with its attendance report; bad ranges are a plain 400, cells never run as formulas."""
import csv
import io
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meetapp.extensions import db
from meetapp.models import MentoringSession, User
from meetapp.services import attendance
from meetapp.services.attendance_export import MAX_DAYS, BadRange, day_range, safe_cell
from tests.support import CLOSES, MENTEE_EMAIL, MENTOR_EMAIL, START, counted_queries
from tests.web.test_attendance_report_pages import LATE_JOIN, click, presence

ADMIN_EMAIL = "ada.admin@example.com"


@pytest.fixture
def admin_client(client, auth, people):
    people.make("admin", "Ada Admin")
    auth.login(ADMIN_EMAIL)
    return client


@pytest.fixture
def held(app, confirmed_with_links, mentor, mentee) -> str:
    session_id = confirmed_with_links[0]
    click(app, session_id, mentee, LATE_JOIN - timedelta(minutes=1), "denied", "too_early")
    presence(
        app, session_id,
        ("joined", START, mentor, None), ("joined", LATE_JOIN, mentee, None),
        ("left", START + timedelta(minutes=60), mentee, None), ("left", START + timedelta(minutes=60), mentor, None),
    )
    return session_id


def rows_of(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def id_cell(session_id: str) -> str:
    """A session id as the CSV writes it: an id may begin with "-", which a spreadsheet would read as a
    formula, so such a cell carries a leading apostrophe (spreadsheets hide it)."""
    return "'" + session_id if session_id.startswith("-") else session_id


def test_a_row_per_confirmed_session_with_its_report(app, clock, admin_client, held, mentor, mentee):
    clock.move_to(CLOSES + timedelta(minutes=1))
    with app.app_context():
        attendance.finalise(db.session.get(MentoringSession, held), CLOSES + timedelta(minutes=1))
    response = admin_client.get("/admin/attendance.csv?from=2026-11-23&to=2026-11-23")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="attendance-2026-11-23-to-2026-11-23.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    assert rows_of(response) == [{
        "session id": id_cell(held), "starts at": "2026-11-23T10:00:00Z", "type": "Standard", "provider": "jitsi",
        "mentor id": str(mentor), "mentor name": "Mona Mentor", "mentee id": str(mentee), "mentee name": "Max Mentee",
        "outcome": "held", "final": "yes", "minutes together": "53",
        "mentor state": "attended", "mentor first click": "", "mentor first click answer": "",
        "mentor first present": "2026-11-23T10:00:00Z", "mentor minutes present": "60", "mentor minutes late": "0",
        "mentee state": "late", "mentee first click": "2026-11-23T10:06:00Z", "mentee first click answer": "too_early",
        "mentee first present": "2026-11-23T10:07:00Z", "mentee minutes present": "53", "mentee minutes late": "7",
    }]


def test_only_confirmed_sessions_starting_in_the_range_count(clock, auth, admin_client, api_as, mentor, mentee, held):
    as_mentee, as_mentor = api_as(mentee), api_as(mentor)

    def book(starts_at: str) -> str:
        return as_mentee.post(
            "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": starts_at, "durationMinutes": 30}
        ).json["session"]["id"]

    last_second = book("2026-11-24T23:30:00Z")
    as_mentor.post(f"/api/mentoring/session/{last_second}/confirm")
    next_day = book("2026-11-25T00:00:00Z")
    as_mentor.post(f"/api/mentoring/session/{next_day}/confirm")
    book("2026-11-24T12:00:00Z")  # left pending
    cancelled = book("2026-11-24T14:00:00Z")
    as_mentor.post(f"/api/mentoring/session/{cancelled}/confirm")
    as_mentor.post(f"/api/mentoring/session/{cancelled}/cancel")
    clock.move_to(START + timedelta(days=3))
    auth.login(ADMIN_EMAIL)  # a login lasts less than three days
    response = admin_client.get("/admin/attendance.csv?from=2026-11-23&to=2026-11-24")
    rows = rows_of(response)
    # `to` is inclusive; the next UTC day is not.
    assert [row["session id"] for row in rows] == [id_cell(held), id_cell(last_second)]
    assert rows[1]["outcome"] == "unknown" and rows[1]["final"] == "no"


def test_by_default_the_last_thirty_days(clock, auth, admin_client, held):
    clock.move_to(START + timedelta(days=29))
    auth.login(ADMIN_EMAIL)
    response = admin_client.get("/admin/attendance.csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="attendance-2026-11-23-to-2026-12-22.csv"'
    assert [row["session id"] for row in rows_of(response)] == [id_cell(held)]
    clock.move_to(START + timedelta(days=30))
    auth.login(ADMIN_EMAIL)
    assert rows_of(admin_client.get("/admin/attendance.csv")) == []


def test_names_that_look_like_formulas_are_defused(app, clock, admin_client, held, mentor):
    with app.app_context():
        db.session.get(User, mentor).name = '=HYPERLINK("http://evil.example","x")'
        db.session.commit()
    clock.move_to(CLOSES)
    raw = admin_client.get("/admin/attendance.csv?from=2026-11-23&to=2026-11-23").get_data(as_text=True)
    assert rows_of_text(raw)[0]["mentor name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert ",=HYPERLINK" not in raw and ',"=HYPERLINK' not in raw


def rows_of_text(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("Max Mentee", "Max Mentee"), (7, "7"), (None, ""),
    ],
)
def test_safe_cell(value, cell):
    assert safe_cell(value) == cell


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13-01&to=2026-12-01", "Give 'from' as a day, YYYY-MM-DD."),
        ("from=2026-11-01&to=yesterday", "Give 'to' as a day, YYYY-MM-DD."),
        ("from=20261101&to=2026-11-02", "Give 'from' as a day, YYYY-MM-DD."),
        ("from=2026-11-01%00&to=2026-11-02", "Give 'from' as a day, YYYY-MM-DD."),
        ("from=2026-11-02&to=2026-11-01", "The 'from' day comes after the 'to' day."),
        ("from=2025-11-01&to=2026-11-02", "Export at most 366 days at a time."),
    ],
)
def test_a_bad_range_is_a_plain_400(admin_client, query, message):
    response = admin_client.get(f"/admin/attendance.csv?{query}")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.get_data(as_text=True) == message


days_or_junk = st.one_of(st.none(), st.text(max_size=14), st.dates().map(str))


@given(raw_from=days_or_junk, raw_to=days_or_junk)
def test_any_range_asked_for_is_a_range_or_a_plain_refusal(raw_from, raw_to):
    try:
        days = day_range(raw_from, raw_to, START.date())
    except BadRange as exc:
        assert str(exc)
    else:
        assert 0 <= (days.last - days.first).days < MAX_DAYS


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.dictionaries(st.sampled_from(["from", "to", "x"]), st.text(max_size=12), max_size=3))
def test_the_export_never_fails_with_a_500(admin_client, query):
    response = admin_client.get("/admin/attendance.csv", query_string=query)
    assert response.status_code in (200, 400)


def test_a_year_of_366_days_is_allowed(admin_client):
    assert admin_client.get("/admin/attendance.csv?from=2027-01-01&to=2028-01-01").status_code == 200


@pytest.mark.parametrize("email", [MENTOR_EMAIL, MENTEE_EMAIL])
def test_only_admins_export(client, auth, mentor, mentee, email):
    auth.login(email)
    assert client.get("/admin/attendance.csv").status_code == 403


def test_logged_out_is_sent_to_log_in(client):
    response = client.get("/admin/attendance.csv")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_the_admin_home_links_to_the_export_with_the_default_days(clock, admin_client):
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert 'action="/admin/attendance.csv"' in page
    assert 'name="from" value="2026-10-25"' in page and 'name="to" value="2026-11-23"' in page


def test_the_export_reads_the_same_few_queries_however_many_sessions_it_holds(
    app, clock, admin_client, api_as, mentor, mentee, held
):
    def export_queries() -> int:
        with counted_queries(app) as statements:
            assert admin_client.get("/admin/attendance.csv?from=2026-11-23&to=2026-11-30").status_code == 200
        return len(statements)

    one = export_queries()
    as_mentee, as_mentor = api_as(mentee), api_as(mentor)
    for day in range(24, 29):
        session_id = as_mentee.post(
            "/api/mentoring/sessions",
            json={"mentorId": mentor, "startsAt": f"2026-11-{day}T10:00:00Z", "durationMinutes": 30},
        ).json["session"]["id"]
        assert as_mentor.post(f"/api/mentoring/session/{session_id}/confirm").status_code == 200
    assert len(rows_of(admin_client.get("/admin/attendance.csv?from=2026-11-23&to=2026-11-30"))) == 6
    assert export_queries() == one
