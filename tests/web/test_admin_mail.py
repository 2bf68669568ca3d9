"""The mail queue at /admin/mail: counts, failed mails with their errors, and retrying them; admins only."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from meetapp.domain.notifications import MailKind, MailStatus
from meetapp.extensions import db
from meetapp.models import OutboxMail, User
from meetapp.services import booking
from meetapp.services.accounts import create_user
from tests.support import NOW, PASSWORD, counted_queries

ADMIN_EMAIL, MENTOR_EMAIL, MENTEE_EMAIL = "ada.admin@example.com", "mona.mentor@example.com", "max.mentee@example.com"
REFUSED = "Recipient refused: 550 5.1.1 No such mailbox here"
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
TOMORROW_10_UTC = NOW.replace(hour=10) + timedelta(days=1)


def book_confirmed(app, mentee_id: int, mentor_id: int, starts_at=TOMORROW_10_UTC) -> str:
    """A session booked and confirmed through the services: a booking request and two confirmations queued."""
    with app.app_context():
        session = booking.book_session(
            mentee=db.session.get(User, mentee_id),
            mentor_id=mentor_id,
            starts_at=starts_at,
            duration_minutes=60,
            now=NOW,
        )
        booking.confirm_session(session, user=db.session.get(User, mentor_id), now=NOW)
        return session.id


def mail_of(app, session_id: str, kind: MailKind, recipient_id: int) -> OutboxMail:
    with app.app_context():
        mail = db.session.scalars(
            sa.select(OutboxMail).filter_by(session_id=session_id, kind=kind, recipient_id=recipient_id)
        ).one()
        db.session.expunge(mail)
        return mail


def reload(app, mail_id: int) -> OutboxMail:
    with app.app_context():
        mail = db.session.get(OutboxMail, mail_id)
        db.session.expunge(mail)
        return mail


def fail(app, mail_id: int, error: str = REFUSED) -> None:
    """What the worker leaves after the last attempt at a mail."""
    with app.app_context():
        db.session.execute(
            sa.update(OutboxMail)
            .where(OutboxMail.id == mail_id)
            .values(status=MailStatus.FAILED, attempts=10, last_error=error)
        )
        db.session.commit()


def join_url_in(mail: OutboxMail) -> str:
    return re.search(r"http://127\.0\.0\.1:5000/join/\S+", mail.text_body).group(0)


def section(page: str, title_id: str) -> str:
    """The part of the page from one card's heading to the next card."""
    start = page.index(f'id="{title_id}"')
    end = page.find('<section class="card"', start)
    return page[start:] if end == -1 else page[start:end]


@pytest.fixture
def admin(people):
    return people.make("admin", "Ada Admin")


@pytest.fixture
def failed_mail(app, clock, mentor, mentee) -> OutboxMail:
    """The mentee's confirmation, failed for good; the other three mails still queued."""
    session_id = book_confirmed(app, mentee, mentor)
    mail = mail_of(app, session_id, MailKind.CONFIRMATION, mentee)
    fail(app, mail.id)
    return reload(app, mail.id)


# Who may see it ---------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, app, failed_mail):
    response = client.get("/admin/mail")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=%2Fadmin%2Fmail"
    assert client.post(f"/admin/mail/{failed_mail.id}/retry").headers["Location"].startswith("/auth/login?next=")
    assert reload(app, failed_mail.id).status is MailStatus.FAILED


@pytest.mark.parametrize("email", [MENTEE_EMAIL, MENTOR_EMAIL])
def test_mentors_and_mentees_are_refused(client, app, auth, failed_mail, email):
    auth.login(email)
    assert client.get("/admin/mail").status_code == 403
    assert client.post(f"/admin/mail/{failed_mail.id}/retry").status_code == 403
    assert client.post("/admin/mail/retry-failed").status_code == 403
    assert reload(app, failed_mail.id).status is MailStatus.FAILED
    assert 'href="/admin/mail"' not in client.get("/").get_data(as_text=True)


# What an admin sees -----------------------------------------------------------------------


def test_an_admin_sees_the_counts_and_the_failed_mail_with_its_error(client, auth, admin, failed_mail):
    auth.login(ADMIN_EMAIL)
    response = client.get("/admin/mail")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<dd id="count-failed">1</dd>' in page
    # The request, its note to the mentee and the other confirmation.
    assert '<dd id="count-queued">3</dd>' in page
    assert '<dd id="count-sent">0</dd>' in page
    failed = section(page, "failed-title")
    row = re.search(rf'<tr id="mail-{failed_mail.id}">(.*?)</tr>', failed, re.S).group(1)
    assert "<td>confirmation</td>" in row
    assert f'<td>Max Mentee<br><span class="muted">{MENTEE_EMAIL}</span></td>' in row
    assert f'<a href="/sessions/{failed_mail.session_id}"><code>{failed_mail.session_id}</code></a>' in row
    assert "<td>10</td>" in row
    assert REFUSED in row
    assert f'action="/admin/mail/{failed_mail.id}/retry"' in row
    assert 'action="/admin/mail/retry-failed"' in failed
    queued = section(page, "queued-title")
    assert queued.count('<tr id="mail-') == 3
    assert "booking request" in queued and MENTOR_EMAIL in queued
    assert 'href="/admin/mail" aria-current="page">Mail queue</a>' in page


def test_the_page_shows_no_mail_contents(client, auth, admin, failed_mail):
    auth.login(ADMIN_EMAIL)
    page = client.get("/admin/mail").get_data(as_text=True)
    join_url = join_url_in(failed_mail)
    assert join_url not in page
    assert join_url.rsplit("/", 1)[1] not in page
    assert "Join with your own link" not in page
    assert failed_mail.subject not in page
    assert "BEGIN:VCALENDAR" not in page


def test_an_empty_queue_says_so(client, auth, admin):
    auth.login(ADMIN_EMAIL)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "No failed mails." in page
    assert "Nothing is waiting to be sent." in page
    assert 'action="/admin/mail/retry-failed"' not in page


# Retrying ---------------------------------------------------------------------------------


def test_retry_queues_a_failed_mail_again_and_a_second_retry_changes_nothing(client, app, auth, clock, admin, failed_mail):
    auth.login(ADMIN_EMAIL)
    response = client.post(f"/admin/mail/{failed_mail.id}/retry")
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/mail"
    retried = reload(app, failed_mail.id)
    assert retried.status is MailStatus.QUEUED
    assert retried.attempts == 0
    assert retried.last_error is None
    assert retried.next_attempt_at == NOW
    page = client.get("/admin/mail").get_data(as_text=True)
    assert f"Mail {failed_mail.id} is queued again" in page
    assert '<dd id="count-failed">0</dd>' in page

    clock.shift(timedelta(minutes=5))
    again = client.post(f"/admin/mail/{failed_mail.id}/retry")
    assert again.status_code == 303
    assert again.headers["Location"] == "/admin/mail"
    page = client.get("/admin/mail").get_data(as_text=True)
    assert f'<p class="flash flash-error">No failed mail with id {failed_mail.id}. Nothing was changed.</p>' in page
    unchanged = reload(app, failed_mail.id)
    assert (unchanged.status, unchanged.attempts, unchanged.next_attempt_at) == (MailStatus.QUEUED, 0, NOW)


def test_retrying_a_mail_that_was_sent_changes_nothing(client, app, auth, admin, mentor, failed_mail):
    sent = mail_of(app, failed_mail.session_id, MailKind.CONFIRMATION, mentor)
    with app.app_context():
        db.session.execute(sa.update(OutboxMail).where(OutboxMail.id == sent.id).values(status=MailStatus.SENT))
        db.session.commit()
    auth.login(ADMIN_EMAIL)
    assert client.post(f"/admin/mail/{sent.id}/retry").status_code == 303
    assert reload(app, sent.id).status is MailStatus.SENT
    assert f"No failed mail with id {sent.id}." in client.get("/admin/mail").get_data(as_text=True)


def test_retry_all_queues_every_failed_mail(client, app, auth, clock, admin, mentor, failed_mail):
    other = mail_of(app, failed_mail.session_id, MailKind.CONFIRMATION, mentor)
    fail(app, other.id, "SMTP 554: Message rejected")
    auth.login(ADMIN_EMAIL)
    response = client.post("/admin/mail/retry-failed")
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/mail"
    for mail_id in (failed_mail.id, other.id):
        mail = reload(app, mail_id)
        assert (mail.status, mail.attempts, mail.last_error) == (MailStatus.QUEUED, 0, None)
    assert "2 failed mails are queued again" in client.get("/admin/mail").get_data(as_text=True)
    assert client.post("/admin/mail/retry-failed").status_code == 303
    assert "There are no failed mails to retry." in client.get("/admin/mail").get_data(as_text=True)


# CSRF -------------------------------------------------------------------------------------


@pytest.fixture
def csrf_world(csrf_app, clock):
    """With CSRF on as in production: an admin, and a failed mail to retry."""
    with csrf_app.app_context():
        mentor = create_user(email=MENTOR_EMAIL, name="Mona Mentor", role="mentor", password=PASSWORD).id
        mentee = create_user(email=MENTEE_EMAIL, name="Max Mentee", role="mentee", password=PASSWORD).id
        create_user(email=ADMIN_EMAIL, name="Ada Admin", role="admin", password=PASSWORD)
    session_id = book_confirmed(csrf_app, mentee, mentor)
    mail = mail_of(csrf_app, session_id, MailKind.CONFIRMATION, mentee)
    fail(csrf_app, mail.id)
    client = csrf_app.test_client()
    token = CSRF_INPUT.search(client.get("/auth/login").get_data(as_text=True)).group(1)
    login = client.post("/auth/login", data={"email": ADMIN_EMAIL, "password": PASSWORD, "csrf_token": token})
    assert login.status_code == 302
    return client, mail.id


def test_retry_without_a_csrf_token_is_refused(csrf_app, csrf_world):
    client, mail_id = csrf_world
    for path in (f"/admin/mail/{mail_id}/retry", "/admin/mail/retry-failed"):
        response = client.post(path)
        assert response.status_code == 400
        assert "Form expired" in response.get_data(as_text=True)
    assert reload(csrf_app, mail_id).status is MailStatus.FAILED


def test_retry_with_the_pages_csrf_token_works(csrf_app, csrf_world):
    client, mail_id = csrf_world
    page = client.get("/admin/mail").get_data(as_text=True)
    token = CSRF_INPUT.search(section(page, "failed-title")).group(1)
    response = client.post(f"/admin/mail/{mail_id}/retry", data={"csrf_token": token})
    assert response.status_code == 303
    assert reload(csrf_app, mail_id).status is MailStatus.QUEUED


# Cost -------------------------------------------------------------------------------------



def test_the_page_costs_the_same_few_queries_however_many_mails(client, app, auth, clock, admin, mentor, mentee, failed_mail):
    auth.login(ADMIN_EMAIL)
    with counted_queries(app) as few:
        assert client.get("/admin/mail").status_code == 200
    for day in range(2, 6):
        session_id = book_confirmed(app, mentee, mentor, starts_at=TOMORROW_10_UTC + timedelta(days=day))
        fail(app, mail_of(app, session_id, MailKind.CONFIRMATION, mentor).id)
    with counted_queries(app) as many:
        page = client.get("/admin/mail").get_data(as_text=True)
    assert section(page, "failed-title").count('<tr id="mail-') == 5
    assert section(page, "queued-title").count('<tr id="mail-') == 15
    assert len(many) == len(few) <= 4, many
