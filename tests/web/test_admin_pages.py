"""The admin pages: a home with counts that open their lists, every session searched by person, status
and days (in the admin's own time zone) and paged, the people, the mail queue's drill-down by status,
and the log that every admin action writes in the same transaction as the change. Admins only."""
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from meetapp.admin import routes as admin_routes
from meetapp.domain.accounts import MentorApproval
from meetapp.domain.notifications import MailKind, MailStatus
from meetapp.domain.scheduling import SessionStatus
from meetapp.extensions import db
from meetapp.models import AdminAction, MentoringSession, MentorProfile, OutboxMail, User
from meetapp.services import booking, mentor_approval
from meetapp.services.accounts import create_user
from tests.support import NOW, PASSWORD, counted_queries

ADMIN_EMAIL = "ada.admin@example.com"
# NOW is Monday 23 Nov 2026, 09:00 UTC: 18:00 in Tokyo, where the admin lives.
ADMIN_ZONE = "Asia/Tokyo"
ADMIN_PAGES = [
    "/admin/",
    "/admin/sessions",
    "/admin/sessions?person=max",
    "/admin/people",
    "/admin/mentors",
    "/admin/mail",
    "/admin/mail?status=skipped",
    "/admin/log",
]
STALE = "The session changed since; a newer mail replaces this one."
SUSPEND_REASON = "Three mentees reported rude remarks."


# Helpers ------------------------------------------------------------------------------------


def book(app, mentee_id: int, mentor_id: int, starts_at, *, confirm: bool = False, now=NOW) -> str:
    with app.app_context():
        session = booking.book_session(
            mentee=db.session.get(User, mentee_id), mentor_id=mentor_id, starts_at=starts_at, duration_minutes=60, now=now
        )
        if confirm:
            booking.confirm_session(session, user=db.session.get(User, mentor_id), now=now)
        return session.id


def cancel(app, session_id: str, by: int, now=NOW) -> None:
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        booking.cancel_session(session, user=db.session.get(User, by), reason="Something came up.", now=now)


def self_registered_mentor(app, name: str = "Pia Pending") -> int:
    with app.app_context():
        email = f"{name.lower().replace(' ', '.')}@example.com"
        return create_user(email=email, name=name, role="mentor", password=PASSWORD, self_registered=True).id


def listed_sessions(page: str) -> list[str]:
    return re.findall(r'<tr id="session-([^"]+)">', page)


def listed_people(page: str) -> list[int]:
    return [int(person) for person in re.findall(r'<tr id="person-(\d+)">', page)]


def listed_mails(page: str) -> list[int]:
    return [int(mail) for mail in re.findall(r'<tr id="mail-(\d+)">', page)]


def field_error(page: str, field: str) -> str:
    match = re.search(rf'<ul class="field-errors" id="{field}-error">\s*<li>(.*?)</li>', page, re.S)
    return match.group(1) if match else ""


def alert(page: str) -> str:
    """The problem a page without a form reports (the mail queue, the log)."""
    match = re.search(r'<div class="alert alert-error" role="alert">(.*?)</div>', page, re.S)
    return match.group(1) if match else ""


def error_summary(page: str) -> str:
    """The list of problems above a search form."""
    match = re.search(r'<ul class="error-summary-list">(.*?)</ul>', page, re.S)
    return match.group(1) if match else ""


def link_named(page: str, rel: str) -> dict[str, list[str]] | None:
    """The query of the pager's `rel` ("next", "prev") link, or None without one."""
    match = re.search(rf'rel="{rel}" href="([^"]+)"', page)
    return parse_qs(urlsplit(match.group(1).replace("&amp;", "&")).query) if match else None


def admin_actions(app) -> list[tuple]:
    with app.app_context():
        return [
            (action.admin_id, action.action, action.subject, action.detail, action.at)
            for action in db.session.scalars(sa.select(AdminAction).order_by(AdminAction.id))
        ]


def set_mail(app, mail_id: int, status: MailStatus, error: str | None = None, attempts: int = 0) -> None:
    with app.app_context():
        db.session.execute(
            sa.update(OutboxMail).where(OutboxMail.id == mail_id).values(status=status, last_error=error, attempts=attempts)
        )
        db.session.commit()


def mail_ids(app, session_id: str, kind: MailKind, recipient_id: int | None = None) -> list[int]:
    with app.app_context():
        query = sa.select(OutboxMail.id).where(OutboxMail.session_id == session_id, OutboxMail.kind == kind)
        if recipient_id is not None:
            query = query.where(OutboxMail.recipient_id == recipient_id)
        return list(db.session.scalars(query.order_by(OutboxMail.id)))


@pytest.fixture
def admin(people):
    return people.make("admin", "Ada Admin", timezone=ADMIN_ZONE)


@pytest.fixture
def small_pages(monkeypatch):
    """Two rows a page, so a handful of rows makes several pages."""
    monkeypatch.setattr(admin_routes, "PER_PAGE", 2)


@pytest.fixture
def world(app, clock, people, mentor, mentee, admin):
    """Two mentors and two mentees with five sessions, around NOW in the admin's zone (Tokyo, UTC+9)."""
    ben = people.make("mentor", "Ben Carter")
    chloe = people.make("mentee", "Chloé Martin", email="chloe.martin@example.com")
    ids = {
        # Today in Tokyo (the 23rd): 20:00 and 23:00 there.
        "today_confirmed": book(app, mentee, mentor, NOW + timedelta(hours=2), confirm=True),
        "today_pending": book(app, mentee, mentor, NOW + timedelta(hours=5)),
        # 16:00 UTC is already 01:00 on the 24th in Tokyo.
        "tomorrow_pending": book(app, chloe, ben, NOW + timedelta(hours=7)),
        "cancelled": book(app, chloe, mentor, NOW + timedelta(days=2), confirm=True),
        "past": book(app, mentee, ben, NOW - timedelta(days=3), confirm=True, now=NOW - timedelta(days=4)),
    }
    cancel(app, ids["cancelled"], by=chloe)
    return {**ids, "ben": ben, "chloe": chloe, "mona": mentor, "max": mentee}


# Who may see them ---------------------------------------------------------------------------


def test_logged_out_visitors_are_sent_to_log_in_from_every_admin_page(client):
    for path in ADMIN_PAGES:
        response = client.get(path)
        assert response.status_code == 302, path
        target = urlsplit(response.headers["Location"])
        assert target.path == "/auth/login", path
        assert parse_qs(target.query) == {"next": [path]}, path


@pytest.mark.parametrize("email", ["mona.mentor@example.com", "max.mentee@example.com"], ids=["mentor", "mentee"])
def test_mentors_and_mentees_get_403_on_every_admin_page(client, auth, app, mentor, mentee, email):
    auth.login(email)
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 403, path
    assert 'href="/admin/"' not in client.get("/").get_data(as_text=True)


def test_admin_pages_are_kept_out_of_caches_and_the_nav_leads_to_the_home(client, auth, admin):
    auth.login(ADMIN_EMAIL)
    assert client.get("/admin", follow_redirects=True).request.path == "/admin/"
    for path in ADMIN_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    home = client.get("/admin/").get_data(as_text=True)
    assert '<a href="/admin/" aria-current="page">Admin</a>' in home
    sessions = client.get("/admin/sessions").get_data(as_text=True)
    assert '<a href="/admin/" aria-current="true">Admin</a>' in sessions
    assert '<a href="/admin/sessions" aria-current="page">Sessions</a>' in sessions


# Home ---------------------------------------------------------------------------------------


def test_the_home_counts_what_needs_looking_at_and_each_count_opens_its_list(client, app, auth, world):
    self_registered_mentor(app)
    [failed] = mail_ids(app, world["today_confirmed"], MailKind.CONFIRMATION)[:1]
    set_mail(app, failed, MailStatus.FAILED, "550 refused", attempts=10)
    auth.login(ADMIN_EMAIL)

    page = client.get("/admin/").get_data(as_text=True)

    tiles = re.findall(r'<dt><a href="([^"]+)">([^<]+)</a></dt><dd id="sessions-count-\d">(\d+)</dd>', page)
    assert [(label, int(count)) for _, label, count in tiles] == [
        ("Starting today, Mon 23 Nov", 2),
        ("Waiting for their mentor, from today on", 2),
        ("Cancelled, starting since Mon 16 Nov", 1),
    ]
    expected = [
        {world["today_confirmed"], world["today_pending"]},
        {world["today_pending"], world["tomorrow_pending"]},
        {world["cancelled"]},
    ]
    for (href, label, _), sessions in zip(tiles, expected, strict=True):
        assert set(listed_sessions(client.get(href.replace("&amp;", "&")).get_data(as_text=True))) == sessions, label
    assert '<a href="/admin/mentors">Mentors waiting for approval</a></dt><dd id="mentors-waiting">1</dd>' in page
    assert '<dd id="mail-failed">1</dd>' in page
    assert 'href="/admin/mail?status=failed"' in page
    assert "No admin has done anything yet." in page


def test_the_home_shows_the_latest_admin_actions(client, app, auth, clock, admin):
    pia = self_registered_mentor(app)
    auth.login(ADMIN_EMAIL)
    client.post(f"/admin/mentors/{pia}/approve")
    page = client.get("/admin/").get_data(as_text=True)
    row = re.search(r'<tr id="action-\d+">(.*?)</tr>', page, re.S).group(1)
    assert "Ada Admin" in row and "Approved a mentor" in row
    assert 'Pia Pending <span class="muted">(pia.pending@example.com)</span>' in row
    # 09:00 UTC is 18:00 in Tokyo.
    assert "23 Nov 2026, 18:00" in row
    assert 'href="/admin/log"' in page


# Sessions -----------------------------------------------------------------------------------


def test_every_session_is_listed_latest_start_first_with_both_people(client, auth, world):
    auth.login(ADMIN_EMAIL)
    response = client.get("/admin/sessions")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    order = ["cancelled", "tomorrow_pending", "today_pending", "today_confirmed", "past"]
    assert listed_sessions(page) == [world[name] for name in order]
    row = re.search(rf'<tr id="session-{world["tomorrow_pending"]}">(.*?)</tr>', page, re.S).group(1)
    # In the admin's zone: 16:00 UTC is 01:00 on Tuesday in Tokyo.
    assert f'<a href="/sessions/{world["tomorrow_pending"]}"><time datetime="2026-11-23T16:00:00Z">Tue 24 Nov 2026, 01:00</time></a>' in row
    assert "Ben Carter" in row and "ben.carter@example.com" in row
    assert "Chloé Martin" in row and "chloe.martin@example.com" in row
    assert '<span class="badge badge-pending">Pending</span>' in row
    assert "<td>Standard</td>" in row
    assert "5 sessions" in page


@pytest.mark.parametrize(
    ("person", "found"),
    [
        ("MONA", ["cancelled", "today_pending", "today_confirmed"]),  # the mentor, in any letter case
        ("chloe.martin@", ["cancelled", "tomorrow_pending"]),  # the mentee, by address
        ("chloé", ["cancelled", "tomorrow_pending"]),  # by name, accents and all
        ("carter", ["tomorrow_pending", "past"]),
        ("  max  ", ["today_pending", "today_confirmed", "past"]),
        ("%", []),  # a plain character, not a wildcard
        ("_", []),
    ],
)
def test_sessions_are_found_by_either_persons_name_or_address(client, auth, world, person, found):
    auth.login(ADMIN_EMAIL)
    response = client.get("/admin/sessions", query_string={"person": person})
    assert response.status_code == 200
    assert listed_sessions(response.get_data(as_text=True)) == [world[name] for name in found]


@pytest.mark.parametrize(
    ("status", "found"),
    [
        ("pending", ["tomorrow_pending", "today_pending"]),
        ("confirmed", ["today_confirmed", "past"]),
        ("cancelled", ["cancelled"]),
        ("", ["cancelled", "tomorrow_pending", "today_pending", "today_confirmed", "past"]),
    ],
)
def test_sessions_are_found_by_status(client, auth, world, status, found):
    auth.login(ADMIN_EMAIL)
    page = client.get("/admin/sessions", query_string={"status": status}).get_data(as_text=True)
    assert listed_sessions(page) == [world[name] for name in found]


def test_declined_sessions_are_found_by_their_status(client, app, auth, world):
    with app.app_context():
        db.session.get(MentoringSession, world["tomorrow_pending"]).status = SessionStatus.DECLINED
        db.session.commit()
    auth.login(ADMIN_EMAIL)
    page = client.get("/admin/sessions?status=declined").get_data(as_text=True)
    assert listed_sessions(page) == [world["tomorrow_pending"]]
    assert '<span class="badge badge-declined">Declined</span>' in page


@pytest.mark.parametrize(
    ("days", "found"),
    [
        # Days are the admin's: Tokyo's 23rd runs from 15:00 UTC on the 22nd to 15:00 UTC on the 23rd.
        ({"from": "2026-11-23", "to": "2026-11-23"}, ["today_pending", "today_confirmed"]),
        ({"from": "2026-11-24", "to": "2026-11-24"}, ["tomorrow_pending"]),
        ({"from": "2026-11-24"}, ["cancelled", "tomorrow_pending"]),
        ({"to": "2026-11-22"}, ["past"]),
        ({"from": "2026-11-21", "to": "2026-11-22"}, []),
    ],
)
def test_sessions_are_found_by_the_days_they_start_in_the_admins_time_zone(client, auth, world, days, found):
    auth.login(ADMIN_EMAIL)
    page = client.get("/admin/sessions", query_string=days).get_data(as_text=True)
    assert listed_sessions(page) == [world[name] for name in found]


def test_filters_combine(client, auth, world):
    auth.login(ADMIN_EMAIL)
    page = client.get("/admin/sessions?person=max&status=confirmed&from=2026-11-23").get_data(as_text=True)
    assert listed_sessions(page) == [world["today_confirmed"]]
    # The form shows the search it ran.
    assert 'name="person" type="text" value="max"' in page
    assert '<option selected value="confirmed">' in page
    assert 'name="from" type="date" value="2026-11-23"' in page


def test_sessions_are_paged_and_every_page_keeps_the_filters(client, auth, world, small_pages):
    auth.login(ADMIN_EMAIL)
    # The session of the 20th is left out.
    first = client.get("/admin/sessions?person=&status=&from=2026-11-21").get_data(as_text=True)
    assert listed_sessions(first) == [world["cancelled"], world["tomorrow_pending"]]
    assert "Page 1 of 2" in first and "1–2 of 4 sessions" in first
    assert link_named(first, "prev") is None
    # Only the filters in use, and the page.
    assert link_named(first, "next") == {"from": ["2026-11-21"], "page": ["2"]}

    second = client.get("/admin/sessions?from=2026-11-21&page=2").get_data(as_text=True)
    assert listed_sessions(second) == [world["today_pending"], world["today_confirmed"]]
    assert link_named(second, "prev") == {"from": ["2026-11-21"], "page": ["1"]}
    assert link_named(second, "next") is None


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"from": "yesterday"}, "from", "Give the day as a date, e.g. 2026-11-24."),
        ({"to": "2026-02-30"}, "to", "Give the day as a date, e.g. 2026-11-24."),
        ({"from": "2026-11-25", "to": "2026-11-24"}, "to", "The last day comes before the first: swap them."),
        ({"status": "archived"}, "status", "Choose a status from the list: pending, confirmed, cancelled, declined, or any."),
        ({"from": "1500-01-01"}, "from", "Give a day between 2000 and 2100."),
        ({"to": "9999-12-31"}, "to", "Give a day between 2000 and 2100."),
        ({"person": "x" * 255}, "person", "Keep it to 254 characters or fewer."),
        ({"person": "max\x00"}, "person", "Use letters, digits and punctuation only."),
    ],
)
def test_a_bad_search_is_a_400_with_the_fields_error_and_lists_nothing(client, auth, world, query, field, message):
    auth.login(ADMIN_EMAIL)
    response = client.get("/admin/sessions", query_string=query)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert field_error(page, field) == message
    assert f'<a href="#{field}">{message}</a>' in error_summary(page)
    assert re.search(rf'<(input|select) [^>]*aria-invalid="true"[^>]* id="{field}"', page)
    assert listed_sessions(page) == []
    assert "Correct the search above to see sessions." in page


@pytest.mark.parametrize(
    ("page_number", "message"),
    [
        ("0", "Give the page as a whole number from 1 to 10000."),
        ("-1", "Give the page as a whole number from 1 to 10000."),
        ("two", "Give the page as a whole number from 1 to 10000."),
        ("99999999999999999999", "Give the page as a whole number from 1 to 10000."),
        ("2", "There is no page 2: this list has 1 page."),
    ],
)
def test_a_page_that_does_not_exist_is_a_400_that_says_so(client, auth, world, page_number, message):
    auth.login(ADMIN_EMAIL)
    response = client.get("/admin/sessions", query_string={"page": page_number})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in error_summary(page)
    assert listed_sessions(page) == []


def test_the_sessions_page_costs_the_same_few_queries_however_many_sessions(client, app, auth, world):
    auth.login(ADMIN_EMAIL)
    with counted_queries(app) as few:
        assert client.get("/admin/sessions?person=ben").status_code == 200
    for day in range(3, 9):
        book(app, world["chloe"], world["ben"], NOW + timedelta(days=day))
    with counted_queries(app) as many:
        page = client.get("/admin/sessions?person=ben").get_data(as_text=True)
    assert len(listed_sessions(page)) == 8
    # The admin, the count, and the page with both people and the type joined in.
    assert len(many) == len(few) == 3, many


def test_a_listed_sessions_page_opens_for_the_admin_with_its_attendance(client, auth, world):
    auth.login(ADMIN_EMAIL)
    listing = client.get("/admin/sessions?person=carter&status=pending").get_data(as_text=True)
    [session_id] = listed_sessions(listing)
    response = client.get(f"/sessions/{session_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Standard: Ben Carter and Chloé Martin" in page
    assert 'id="attendance-title"' in page


# People -------------------------------------------------------------------------------------


def test_people_are_listed_by_name_with_role_address_and_approval(client, app, auth, world):
    pia = self_registered_mentor(app)
    auth.login(ADMIN_EMAIL)
    response = client.get("/admin/people")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    names = re.findall(r'<tr id="person-\d+">\s*<th scope="row">([^<]+)</th>', page)
    assert names == ["Ada Admin", "Ben Carter", "Chloé Martin", "Max Mentee", "Mona Mentor", "Pia Pending"]
    row = re.search(rf'<tr id="person-{pia}">(.*?)</tr>', page, re.S).group(1)
    assert "pia.pending@example.com" in row and "Not confirmed yet" in row
    assert f'<a href="/admin/mentors#mentor-{pia}">Waiting for approval' in row
    mona = re.search(rf'<tr id="person-{world["mona"]}">(.*?)</tr>', page, re.S).group(1)
    assert "Confirmed" in mona and f'<a href="/admin/mentors#mentor-{world["mona"]}">Approved' in mona
    assert "Europe/Berlin" in mona
    max_row = re.search(rf'<tr id="person-{world["max"]}">(.*?)</tr>', page, re.S).group(1)
    assert "Mentee" in max_row and "/admin/mentors" not in max_row
    with app.app_context():
        hashes = db.session.scalars(sa.select(User.password_hash)).all()
    assert not any(password_hash in page for password_hash in hashes)


def test_people_are_found_by_name_or_address_and_by_role(client, app, auth, world):
    pia = self_registered_mentor(app)
    auth.login(ADMIN_EMAIL)
    assert listed_people(client.get("/admin/people?q=PIA").get_data(as_text=True)) == [pia]
    assert listed_people(client.get("/admin/people?q=carter@").get_data(as_text=True)) == [world["ben"]]
    assert listed_people(client.get("/admin/people?role=mentor").get_data(as_text=True)) == [
        world["ben"],
        world["mona"],
        pia,
    ]
    assert listed_people(client.get("/admin/people?role=mentee&q=m").get_data(as_text=True)) == [
        world["chloe"],
        world["max"],
    ]
    assert listed_people(client.get("/admin/people?q=nobody").get_data(as_text=True)) == []


def test_people_are_paged(client, auth, world, small_pages):
    auth.login(ADMIN_EMAIL)
    first = client.get("/admin/people?role=mentee").get_data(as_text=True)
    assert listed_people(first) == [world["chloe"], world["max"]]
    assert link_named(first, "next") is None
    everyone = client.get("/admin/people").get_data(as_text=True)
    assert link_named(everyone, "next") == {"page": ["2"]}
    third = client.get("/admin/people?page=3").get_data(as_text=True)
    assert listed_people(third) == [world["mona"]]


@pytest.mark.parametrize(
    ("query", "where", "message"),
    [
        ({"role": "root"}, "role", "Choose a role from the list: mentor, mentee, admin, or any."),
        ({"q": "a\x00"}, "q", "Use letters, digits and punctuation only."),
        ({"page": "4"}, None, "There is no page 4: this list has 1 page."),
    ],
)
def test_a_bad_people_search_is_a_400_that_lists_nobody(client, auth, world, query, where, message):
    auth.login(ADMIN_EMAIL)
    response = client.get("/admin/people", query_string=query)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in (field_error(page, where) if where else error_summary(page))
    assert listed_people(page) == []


# Mail: the drill-down by status --------------------------------------------------------------


@pytest.fixture
def mails(app, world):
    """One mail in each state: the confirmation to the mentee failed, the one to the mentor skipped, a request sent."""
    session_id = world["today_confirmed"]
    [failed] = mail_ids(app, session_id, MailKind.CONFIRMATION, world["max"])
    [skipped] = mail_ids(app, session_id, MailKind.CONFIRMATION, world["mona"])
    [sent] = mail_ids(app, session_id, MailKind.BOOKING_REQUEST)
    set_mail(app, failed, MailStatus.FAILED, "Recipient refused: 550 No such mailbox", attempts=10)
    set_mail(app, skipped, MailStatus.SKIPPED, STALE)
    set_mail(app, sent, MailStatus.SENT, attempts=1)
    return {"failed": failed, "skipped": skipped, "sent": sent, "session": session_id}


def test_skipped_mails_show_why_they_were_skipped_and_nothing_of_their_contents(client, app, auth, mails):
    auth.login(ADMIN_EMAIL)
    response = client.get("/admin/mail?status=skipped")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert listed_mails(page) == [mails["skipped"]]
    assert '<th scope="col">Why skipped</th>' in page
    row = re.search(rf'<tr id="mail-{mails["skipped"]}">(.*?)</tr>', page, re.S).group(1)
    assert "<td>confirmation</td>" in row
    assert 'Mona Mentor<br><span class="muted">mona.mentor@example.com</span>' in row
    assert f'<a href="/sessions/{mails["session"]}">' in row
    assert STALE in row
    assert "/retry" not in row
    with app.app_context():
        mail = db.session.get(OutboxMail, mails["skipped"])
        subject, body = mail.subject, mail.text_body
    assert subject not in page
    assert re.search(r"/join/\S+", body) and "/join/" not in page


def test_failed_mails_can_be_retried_from_their_list(client, auth, mails):
    auth.login(ADMIN_EMAIL)
    page = client.get("/admin/mail?status=failed").get_data(as_text=True)
    assert listed_mails(page) == [mails["failed"]]
    assert "Recipient refused: 550 No such mailbox" in page
    assert f'action="/admin/mail/{mails["failed"]}/retry"' in page
    assert 'action="/admin/mail/retry-failed"' in page
    assert '<a href="/admin/mail?status=failed" aria-current="page">Failed</a>' in page


def test_sent_and_queued_mails_have_their_lists_too(client, auth, mails):
    auth.login(ADMIN_EMAIL)
    sent = client.get("/admin/mail?status=sent").get_data(as_text=True)
    assert listed_mails(sent) == [mails["sent"]]
    queued = client.get("/admin/mail?status=queued").get_data(as_text=True)
    # The request's note to the mentee, and the mails of the other four sessions.
    assert mails["failed"] not in listed_mails(queued) and len(listed_mails(queued)) >= 1
    assert '<th scope="col">Next attempt</th>' in queued


def test_the_counts_lead_to_each_list(client, auth, mails):
    auth.login(ADMIN_EMAIL)
    page = client.get("/admin/mail").get_data(as_text=True)
    for status in MailStatus:
        assert f'<a href="/admin/mail?status={status.value}">' in page
    # An empty choice (a form left at "any") is the queue's own page.
    emptied = client.get("/admin/mail?status=")
    assert emptied.status_code == 200 and 'id="failed-title"' in emptied.get_data(as_text=True)


def test_mail_lists_are_paged(client, app, auth, world, small_pages):
    auth.login(ADMIN_EMAIL)
    queued = client.get("/admin/mail?status=queued").get_data(as_text=True)
    with app.app_context():
        total = db.session.scalar(sa.select(sa.func.count()).where(OutboxMail.status == MailStatus.QUEUED))
        newest = db.session.scalars(
            sa.select(OutboxMail.id)
            .where(OutboxMail.status == MailStatus.QUEUED)
            .order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc())
        ).all()
    assert total > 4
    assert listed_mails(queued) == newest[:2]
    assert link_named(queued, "next") == {"status": ["queued"], "page": ["2"]}
    second = client.get("/admin/mail?status=queued&page=2").get_data(as_text=True)
    assert listed_mails(second) == newest[2:4]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=bounced", "Choose a status from the list: queued, sent, failed, skipped."),
        ("status=failed&page=2", "There is no page 2: this list has 1 page."),
        ("status=failed&page=x", "Give the page as a whole number from 1 to 10000."),
    ],
)
def test_a_bad_mail_list_is_a_400_that_says_why(client, auth, mails, query, message):
    auth.login(ADMIN_EMAIL)
    response = client.get(f"/admin/mail?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in alert(page)
    assert listed_mails(page) == []


# The admin log ------------------------------------------------------------------------------


def test_approving_and_suspending_a_mentor_are_logged(client, app, auth, clock, admin, world):
    pia = self_registered_mentor(app)
    auth.login(ADMIN_EMAIL)
    assert client.post(f"/admin/mentors/{pia}/approve").status_code == 303
    clock.shift(timedelta(minutes=5))
    assert client.post(f"/admin/mentors/{world['mona']}/suspend", data={"reason": SUSPEND_REASON}).status_code == 303
    assert admin_actions(app) == [
        (admin, "mentor.approve", f"user:{pia}", None, NOW),
        # Mona's three sessions that had not ended, but the one cancelled already.
        (admin, "mentor.suspend", f"user:{world['mona']}", f"Sessions cancelled: 2. Reason: {SUSPEND_REASON}", NOW + timedelta(minutes=5)),
    ]

    page = client.get("/admin/log").get_data(as_text=True)
    rows = re.findall(r'<tr id="action-\d+">(.*?)</tr>', page, re.S)
    assert len(rows) == 2
    assert "Suspended a mentor" in rows[0] and "Mona Mentor" in rows[0] and SUSPEND_REASON in rows[0]
    assert "Approved a mentor" in rows[1] and "Pia Pending" in rows[1]


def test_refused_decisions_log_nothing(client, app, auth, admin, world):
    pia = self_registered_mentor(app)
    auth.login(ADMIN_EMAIL)
    client.post(f"/admin/mentors/{world['mona']}/approve")  # approved already
    assert client.post(f"/admin/mentors/{pia}/suspend", data={"reason": "  "}).status_code == 400
    assert client.post("/admin/mentors/999999/approve").status_code == 404
    assert admin_actions(app) == []


def test_the_log_row_is_rolled_back_with_a_change_that_fails(app, clock, admin, monkeypatch):
    pia = self_registered_mentor(app)

    def commit_fails():
        # The decision, its mail and its log row are all in the transaction by now.
        raise sa.exc.OperationalError("COMMIT", {}, Exception("the database went away"))

    with app.app_context():
        monkeypatch.setattr(db.session, "commit", commit_fails)
        with pytest.raises(sa.exc.OperationalError):
            mentor_approval.approve(pia, admin=db.session.get(User, admin), now=NOW)
        monkeypatch.undo()
    assert admin_actions(app) == []
    with app.app_context():
        assert db.session.get(MentorProfile, pia).approval is MentorApproval.PENDING


def test_retrying_mail_is_logged_with_the_mails_ids(client, app, auth, clock, admin, mails, world):
    auth.login(ADMIN_EMAIL)
    assert client.post(f"/admin/mail/{mails['failed']}/retry").status_code == 303
    # Not failed (any more): refused, and nothing logged.
    assert client.post(f"/admin/mail/{mails['failed']}/retry").status_code == 303
    assert client.post("/admin/mail/retry-failed").status_code == 303

    more = mail_ids(app, world["cancelled"], MailKind.CANCELLATION)
    for mail_id in more:
        set_mail(app, mail_id, MailStatus.FAILED, "SMTP 554", attempts=10)
    clock.shift(timedelta(minutes=1))
    assert client.post("/admin/mail/retry-failed").status_code == 303

    ids = ", ".join(map(str, sorted(more)))
    assert admin_actions(app) == [
        (admin, "mail.retry", f"mail:{mails['failed']}", f"Queued again: mail {mails['failed']}.", NOW),
        (admin, "mail.retry", "mail:all-failed", f"Queued again: mail {ids}.", NOW + timedelta(minutes=1)),
    ]
    page = client.get("/admin/log").get_data(as_text=True)
    assert "Every failed mail" in page and f"Mail {mails['failed']}" in page


def test_the_log_is_paged_newest_first(client, app, auth, clock, admin, small_pages):
    mentors = [self_registered_mentor(app, name) for name in ("Pia One", "Pia Two", "Pia Three")]
    auth.login(ADMIN_EMAIL)
    for mentor in mentors:
        client.post(f"/admin/mentors/{mentor}/approve")
        clock.shift(timedelta(minutes=1))
    first = client.get("/admin/log").get_data(as_text=True)
    assert re.findall(r"(Pia \w+) <span", first) == ["Pia Three", "Pia Two"]
    assert link_named(first, "next") == {"page": ["2"]}
    second = client.get("/admin/log?page=2").get_data(as_text=True)
    assert re.findall(r"(Pia \w+) <span", second) == ["Pia One"]
    assert link_named(second, "next") is None and link_named(second, "prev") == {"page": ["1"]}
    beyond = client.get("/admin/log?page=3")
    assert beyond.status_code == 400
    assert "There is no page 3 of the log." in alert(beyond.get_data(as_text=True))
