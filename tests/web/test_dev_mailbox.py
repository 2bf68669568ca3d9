"""The dev mailbox at /dev/mail: in development, the mails the app sent, readable and with their links clickable.

The app here runs as `make run` starts it (MEETAPP_ENV=development, no MAIL_SERVER),
so a worker pass marks mails sent into the dev mailbox instead of over SMTP.
"""
import re

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from meetapp.config import from_environ
from meetapp.dev.routes import linkify
from meetapp.domain.notifications import MailKind, MailStatus
from meetapp.extensions import db
from meetapp.models import OutboxMail
from meetapp.outbox.worker import run_pass
from tests.support import counted_queries, running_app

MENTEE_EMAIL = "max.mentee@example.com"
JOIN_URL = re.compile(r"http://127\.0\.0\.1:5000/join/\S+")
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def app(database_url):
    with running_app(database_url, MEETAPP_ENV="development") as app:
        yield app


def book(api_as, mentee: int, mentor: int, starts_at: str = "2026-11-24T10:00:00Z", *, confirm: bool = True) -> str:
    session = api_as(mentee).post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": starts_at, "durationMinutes": 60}
    ).json["session"]
    if confirm:
        assert api_as(mentor).post(f"/api/mentoring/session/{session['id']}/confirm").status_code == 200
    return session["id"]


def deliver(app) -> None:
    with app.app_context():
        report = run_pass(worker_id="t")
    assert not report.errors


def stored_mails(app, **where) -> list[OutboxMail]:
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMail).filter_by(**where).order_by(OutboxMail.id)).all()
        db.session.expunge_all()
        return rows


def only_mail(app, **where) -> OutboxMail:
    (mail,) = stored_mails(app, **where)
    return mail


@pytest.fixture
def delivered(app, clock, api_as, mentor, mentee) -> str:
    """A session booked and confirmed through the API, its mails delivered by one worker pass."""
    session_id = book(api_as, mentee, mentor)
    deliver(app)
    return session_id



# Turning text into links ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "html"),
    [
        (
            "Join: https://app.example/join/abc.def-_1.",
            'Join: <a href="https://app.example/join/abc.def-_1">https://app.example/join/abc.def-_1</a>.',
        ),
        (
            "(see http://app.example/sessions/x)",
            '(see <a href="http://app.example/sessions/x">http://app.example/sessions/x</a>)',
        ),
        (
            "<b>http://app.example/?a=1&b=2</b>",
            '&lt;b&gt;<a href="http://app.example/?a=1&amp;b=2">http://app.example/?a=1&amp;b=2</a>&lt;/b&gt;',
        ),
        (
            'http://app.example/"onmouseover="alert(1)',
            '<a href="http://app.example/">http://app.example/</a>&#34;onmouseover=&#34;alert(1)',
        ),
        ("javascript:alert(1) and ftp://files.example/x", "javascript:alert(1) and ftp://files.example/x"),
        (f"Hello {SCRIPT}", "Hello &lt;script&gt;alert(1)&lt;/script&gt;"),
        ("Just http:// alone.", "Just http:// alone."),
    ],
)
def test_linkify_escapes_the_text_and_links_only_web_addresses(text, html):
    assert linkify(text) == html


# The list -------------------------------------------------------------------------------


def test_the_mailbox_lists_every_mail_newest_first(client, app, delivered):
    response = client.get("/dev/mail")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    mails = stored_mails(app)
    assert [mail.kind for mail in mails] == [
        MailKind.BOOKING_REQUEST, MailKind.REQUEST_SENT, MailKind.CONFIRMATION, MailKind.CONFIRMATION
    ]
    positions = [page.index(f'href="/dev/mail/{mail.id}"') for mail in mails]
    assert positions == sorted(positions, reverse=True), "newest (highest id at one instant) first"
    for mail in mails:
        assert f'<a href="/dev/mail/{mail.id}">{mail.subject}</a>' in page
        assert mail.to_address in page
    assert "2026-11-23 09:00:00" in page
    # The request and its note to the mentee were answered before the worker came round, so they were
    # skipped; the confirmations went out.
    assert page.count('<span class="badge badge-mail-sent">sent</span>') == 2
    assert page.count('<span class="badge badge-mail-skipped">skipped</span>') == 2
    # A development tool, and labelled as one: not a person's inbox.
    assert 'href="/dev/mail" aria-current="page">Dev mailbox <span class="badge badge-dev">development only</span></a>' in page


def test_an_empty_mailbox_says_where_mails_come_from(client):
    page = client.get("/dev/mail").get_data(as_text=True)
    assert '<table class="data-table">' not in page
    assert "appear here once the worker (started by <code>make run</code>) delivers them" in page


def test_the_mailbox_needs_no_login_and_is_in_the_nav_for_everyone(client, auth, mentee):
    assert 'href="/dev/mail"' in client.get("/auth/login").get_data(as_text=True)
    auth.login(MENTEE_EMAIL)
    assert 'href="/dev/mail"' in client.get("/").get_data(as_text=True)


# One mail -------------------------------------------------------------------------------


def test_a_mail_shows_its_headers_and_its_text_with_the_join_link_clickable(client, app, delivered, mentee):
    mail = only_mail(app, kind=MailKind.CONFIRMATION, recipient_id=mentee)
    assert mail.status is MailStatus.SENT and mail.sent_via == "dev-mailbox"
    response = client.get(f"/dev/mail/{mail.id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "<dt>From</dt><dd>meetapp &lt;no-reply@meetapp.localhost&gt;</dd>" in page
    assert "<dt>To</dt><dd>Max Mentee &lt;max.mentee@example.com&gt;</dd>" in page
    assert f"<dt>Subject</dt><dd>{mail.subject}</dd>" in page
    assert f"<code>&lt;confirmation.1.0.{delivered}.{mentee}@127.0.0.1&gt;</code>" in page
    assert "dev-mailbox" in page
    join_url = JOIN_URL.search(mail.text_body).group(0)
    assert f'<a href="{join_url}">{join_url}</a>' in page
    session_url = f"http://127.0.0.1:5000/sessions/{delivered}"
    assert f'<a href="{session_url}">{session_url}</a>' in page
    assert f'href="/dev/mail/{mail.id}/html"' in page
    assert f'href="/dev/mail/{mail.id}/invite.ics" download="invite.ics"' in page


def test_the_join_link_in_a_mail_takes_its_reader_to_the_session(client, app, auth, delivered, mentee):
    mail = only_mail(app, kind=MailKind.CONFIRMATION, recipient_id=mentee)
    join_path = JOIN_URL.search(mail.text_body).group(0).removeprefix("http://127.0.0.1:5000")
    auth.login(MENTEE_EMAIL)
    # A day before the session: the waiting page, not a refusal.
    response = client.get(join_path)
    assert response.status_code == 200
    assert "Mona Mentor" in response.get_data(as_text=True)


def test_a_mail_without_an_invite_offers_no_download(client, app, delivered, mentor):
    request = only_mail(app, kind=MailKind.BOOKING_REQUEST)
    page = client.get(f"/dev/mail/{request.id}").get_data(as_text=True)
    assert "invite.ics" not in page
    assert f'href="/dev/mail/{request.id}/html"' in page
    assert "<dt>Sent via</dt><dd>not sent yet</dd>" in page


def test_the_html_part_is_its_own_page_where_no_script_runs(client, app, delivered, mentee):
    mail = only_mail(app, kind=MailKind.CONFIRMATION, recipient_id=mentee)
    response = client.get(f"/dev/mail/{mail.id}/html")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.get_data(as_text=True) == mail.html_body
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    assert response.headers["Cache-Control"] == "no-store"


def test_the_invite_downloads_as_a_calendar_file(client, app, delivered, mentee):
    mail = only_mail(app, kind=MailKind.CONFIRMATION, recipient_id=mentee)
    response = client.get(f"/dev/mail/{mail.id}/invite.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8; method=REQUEST"
    assert response.headers["Content-Disposition"] == "attachment; filename=invite.ics"
    calendar = Calendar.from_ical(response.get_data())
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Standard with Mona Mentor"
    assert str(event["URL"]) == JOIN_URL.search(mail.text_body).group(0)


@pytest.mark.parametrize("suffix", ["", "/html", "/invite.ics"])
def test_an_unknown_mail_is_not_found(client, delivered, suffix):
    response = client.get(f"/dev/mail/999999{suffix}")
    assert response.status_code == 404
    assert "The dev mailbox has no mail with this id." in response.get_data(as_text=True)


def test_the_invite_of_a_mail_without_one_is_not_found(client, app, delivered):
    request = only_mail(app, kind=MailKind.BOOKING_REQUEST)
    response = client.get(f"/dev/mail/{request.id}/invite.ics")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


# Escaping -------------------------------------------------------------------------------


def test_names_are_escaped_in_the_list_and_in_the_mail(client, app, clock, people, api_as, mentee):
    eve = people.make("mentor", f"Eve {SCRIPT}", email="eve@example.com")
    book(api_as, mentee, eve)
    deliver(app)
    escaped = "Eve &lt;script&gt;alert(1)&lt;/script&gt;"
    listing = client.get("/dev/mail").get_data(as_text=True)
    assert SCRIPT not in listing
    assert escaped in listing
    for mail in stored_mails(app):
        page = client.get(f"/dev/mail/{mail.id}").get_data(as_text=True)
        assert SCRIPT not in page
        assert escaped in page


# Development only -----------------------------------------------------------------------


@pytest.mark.parametrize("environment", ["testing", "production"])
def test_the_mailbox_exists_only_in_development(database_url, app, delivered, environment):
    mail = stored_mails(app, kind=MailKind.CONFIRMATION)[0]
    with running_app(database_url, MEETAPP_ENV=environment) as other:
        client = other.test_client()
        for path in ["/dev/mail", f"/dev/mail/{mail.id}", f"/dev/mail/{mail.id}/html", f"/dev/mail/{mail.id}/invite.ics"]:
            response = client.get(path)
            assert response.status_code == 404, path
            assert mail.subject not in response.get_data(as_text=True)
        assert 'href="/dev/mail"' not in client.get("/auth/login").get_data(as_text=True)


# This machine only ------------------------------------------------------------------------


def mailbox_paths(mail: OutboxMail) -> list[str]:
    return ["/dev/mail", f"/dev/mail/{mail.id}", f"/dev/mail/{mail.id}/html", f"/dev/mail/{mail.id}/invite.ics"]


@pytest.mark.parametrize("host", ["meetapp.lan", "rebind.example", "rebind.example:5000"])
def test_the_mailbox_refuses_any_host_name_but_this_machines(client, app, delivered, host):
    # A LAN name listed in TRUSTED_HOSTS, or an attacker's name resolving to 127.0.0.1 (DNS rebinding):
    # the app answers for them, so only the mailbox itself can refuse them.
    environ = {"MEETAPP_ENV": "development", "TRUSTED_HOSTS": "meetapp.lan, rebind.example"}
    app.config["TRUSTED_HOSTS"] = from_environ(environ, "/i")["TRUSTED_HOSTS"]
    assert client.get("/auth/login", headers={"Host": host}).status_code == 200
    mail = stored_mails(app, kind=MailKind.CONFIRMATION)[0]
    for path in mailbox_paths(mail):
        response = client.get(path, headers={"Host": host})
        assert response.status_code == 404, path
        page = response.get_data(as_text=True)
        assert mail.subject not in page and mail.to_address not in page


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "localhost:8000", "127.0.0.1:5000"])
def test_the_mailbox_answers_this_machines_names(client, app, delivered, host):
    mail = stored_mails(app, kind=MailKind.CONFIRMATION)[0]
    for path in mailbox_paths(mail):
        assert client.get(path, headers={"Host": host}).status_code == 200, path


# Cost -----------------------------------------------------------------------------------


def test_the_pages_cost_one_query_however_many_mails(client, app, clock, api_as, mentor, mentee):
    book(api_as, mentee, mentor)
    deliver(app)
    first = stored_mails(app)[0].id
    with counted_queries(app) as few:
        assert client.get("/dev/mail").status_code == 200
        assert client.get(f"/dev/mail/{first}").status_code == 200
    for day in range(25, 29):
        book(api_as, mentee, mentor, starts_at=f"2026-11-{day}T10:00:00Z")
    deliver(app)
    assert len(stored_mails(app)) == 20
    with counted_queries(app) as many:
        page = client.get("/dev/mail").get_data(as_text=True)
        assert client.get(f"/dev/mail/{first}").status_code == 200
    assert page.count('href="/dev/mail/') == 20
    assert len(many) == len(few) == 2, many
