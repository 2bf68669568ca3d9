"""The mails about passwords, read back from a real SMTP server: the reset link the worker mails for
a request (to accounts only), and the note that a password was changed."""
import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from meetapp.extensions import db
from meetapp.models import PasswordResetRequest
from tests.mail.helpers import everything_in, html, path_of, plain
from tests.support import NOW, PASSWORD, database_backends

MENTEE_EMAIL = "max.mentee@example.com"
NEW_PASSWORD = "a brand new passphrase"
RESET_LINK = re.compile(r"https?://[^\s\"<>]+/auth/reset/[A-Za-z0-9._-]+")
FORGOT_LINK = "http://127.0.0.1:5000/auth/forgot"


def ask_for_link(client, email: str, address: str = "10.0.0.1"):
    response = client.post("/auth/forgot", data={"email": email}, environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 200
    return response


def waiting_requests(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(PasswordResetRequest))


def can_log_in(app, password: str) -> bool:
    response = app.test_client().post("/auth/login", data={"email": MENTEE_EMAIL, "password": password})
    return response.status_code == 302


def test_the_worker_mails_a_reset_link_that_works(app, client, clock, worker, smtp_sink, mentee):
    ask_for_link(client, MENTEE_EMAIL)

    report = worker()

    assert (report.reset_links_queued, report.sent) == (1, 1)
    assert "1 reset links queued" in report.summary()
    assert waiting_requests(app) == 0
    (message,) = smtp_sink.received
    assert message["To"] == "Max Mentee <max.mentee@example.com>"
    assert message["Subject"] == "Choose a new password for meetapp"
    text = plain(message)
    assert "The link works for 30 minutes, and only once." in text
    (link,) = set(RESET_LINK.findall(text))
    assert set(RESET_LINK.findall(html(message))) == {link}
    assert PASSWORD not in everything_in(message)

    clock.move_to(NOW + timedelta(minutes=10))
    page = client.get(path_of(link))
    assert page.status_code == 200 and "Choose a new password" in page.get_data(as_text=True)
    data = {"new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD}
    assert client.post(path_of(link), data=data).headers["Location"] == "/auth/login"
    assert can_log_in(app, NEW_PASSWORD)
    assert client.get(path_of(link)).status_code == 400


def test_nothing_is_mailed_for_an_address_without_an_account(app, client, clock, worker, smtp_sink, mentee):
    ask_for_link(client, "nobody@example.com")
    assert waiting_requests(app) == 1

    report = worker()

    assert (report.reset_links_queued, report.sent) == (0, 0)
    assert "reset links" not in report.summary()
    assert smtp_sink.received == []
    # The request is done with all the same.
    assert waiting_requests(app) == 0


def test_several_requests_for_one_address_make_one_mail(app, client, clock, worker, smtp_sink, mentee):
    ask_for_link(client, MENTEE_EMAIL, address="10.0.0.1")
    ask_for_link(client, "MAX.Mentee@example.com", address="10.0.0.2")
    ask_for_link(client, "nobody@example.com", address="10.0.0.3")

    assert worker().reset_links_queued == 1

    assert [message["To"] for message in smtp_sink.received] == ["Max Mentee <max.mentee@example.com>"]
    assert waiting_requests(app) == 0


def test_the_password_changed_mail_says_when_and_what_to_do_if_it_was_not_you(
    app, client, auth, clock, worker, smtp_sink, mentee
):
    auth.login(MENTEE_EMAIL)
    data = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD}
    assert client.post("/settings/security/password", data=data).status_code == 302

    assert worker().sent == 1

    (message,) = smtp_sink.received
    assert message["Subject"] == "Your meetapp password was changed"
    text = plain(message).replace("\r\n", "\n")
    # NOW is 09:00 UTC; the mentee lives in New York.
    assert "changed on Mon 23 Nov 2026, 04:00 (EST)" in text
    assert f"If this wasn't you, reset your password now:\n{FORGOT_LINK}" in text
    assert f'href="{FORGOT_LINK}"' in html(message)
    assert NEW_PASSWORD not in everything_in(message)


# SQLite has one writer at a time: there is no row lock to skip. (Under CI PostgreSQL is required, so this runs there.)
@pytest.mark.skipif("postgresql" not in database_backends(), reason="PostgreSQL is not reachable")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_request_another_worker_holds_is_left_to_it(app, client, clock, worker, smtp_sink, mentee):
    ask_for_link(client, MENTEE_EMAIL)
    with app.app_context():
        other_worker = db.engine.connect()
    reports = []
    try:
        transaction = other_worker.begin()
        other_worker.execute(sa.select(PasswordResetRequest.id).with_for_update())
        meanwhile = threading.Thread(target=lambda: reports.append(worker()))
        meanwhile.start()
        meanwhile.join(timeout=10)
        waited = meanwhile.is_alive()
        transaction.rollback()
        meanwhile.join()
    finally:
        other_worker.close()

    assert not waited, "the worker waited for a request another worker holds"
    assert reports[0].reset_links_queued == 0
    assert waiting_requests(app) == 1
    assert worker().reset_links_queued == 1
    assert len(smtp_sink.received) == 1
