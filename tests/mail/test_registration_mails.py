"""The mails of registering, read back from a real SMTP server: the confirmation link, the note
to an address's owner when someone registers with it, and the whole way from the form to a booking."""
import re

import sqlalchemy as sa

from meetapp.extensions import db
from meetapp.models import MentoringSession
from meetapp.services.demo import DEMO_PASSWORD, seed_demo
from tests.mail.helpers import everything_in, html, path_of, plain
from tests.support import NOW

LINK = re.compile(r"https?://[^\s\"<>]+")


def registration_form(email: str, role: str = "mentee", password: str = "my new password") -> dict:
    return {
        "email": email,
        "name": "Nora New",
        "password": password,
        "confirm": password,
        "role": role,
        "timezone": "Europe/Berlin",
    }


def links(text: str) -> set[str]:
    return set(LINK.findall(text))


def test_the_confirmation_mail_carries_one_link_that_opens_the_confirm_page(app, client, clock, worker, smtp_sink):
    client.post("/auth/register", data=registration_form("nora@example.com"))
    assert worker().sent == 1

    (message,) = smtp_sink.received
    assert message["To"] == "Nora New <nora@example.com>"
    assert message["Subject"] == "Confirm your address for meetapp"
    text = plain(message)
    assert "Hello Nora New," in text
    assert "The link works for 72 hours." in text
    assert "Once your address is confirmed, you can book sessions." in text
    (link,) = {url for url in links(text) if "/auth/confirm/" in url}
    assert link in links(html(message))
    assert "my new password" not in everything_in(message)
    page = client.get(path_of(link)).get_data(as_text=True)
    assert "Confirm my address</button>" in page


def test_a_mentor_is_told_an_admin_looks_at_the_account_next(app, client, clock, worker, smtp_sink):
    client.post("/auth/register", data=registration_form("nico@example.com", role="mentor"))
    worker()
    (message,) = smtp_sink.received
    assert "an admin looks at your account; mentees can book you after that" in plain(message)


def test_the_owner_of_a_known_address_is_told_and_shown_the_way_in(app, client, clock, worker, smtp_sink, mentee):
    client.post("/auth/register", data=registration_form("Max.Mentee@example.com", password="someone else's try"))
    assert worker().sent == 1

    (message,) = smtp_sink.received
    assert message["To"] == "Max Mentee <max.mentee@example.com>"
    assert message["Subject"] == "Someone tried to register with your address"
    text = plain(message)
    # The owner's own name, not the one typed into the form.
    assert "Hello Max Mentee," in text and "Nora New" not in everything_in(message)
    assert "nothing was created and nothing was changed" in text
    assert "If it was not you, ignore this mail." in text
    assert {"http://127.0.0.1:5000/auth/login", "http://127.0.0.1:5000/auth/forgot"} <= links(text)
    assert {"http://127.0.0.1:5000/auth/login", "http://127.0.0.1:5000/auth/forgot"} <= links(html(message))
    assert "someone else's try" not in everything_in(message)
    assert "not confirmed yet" not in text


def test_from_the_register_form_to_a_booked_session(app, client, auth, clock, worker, smtp_sink):
    with app.app_context():
        seed_demo(NOW)
        amara = db.session.scalar(sa.text("SELECT id FROM users WHERE email = 'amara.mentor@example.com'"))
    # The demo people need no confirmation: they can log in and go.
    assert auth.login("amara.mentor@example.com", DEMO_PASSWORD).status_code == 302
    auth.logout()

    page = client.post("/auth/register", data=registration_form("nora@example.com")).get_data(as_text=True)
    assert "Check your inbox" in page
    worker()
    (message,) = smtp_sink.to("nora@example.com")
    (link,) = {url for url in links(plain(message)) if "/auth/confirm/" in url}

    assert client.get(path_of(link)).status_code == 200
    assert client.post(path_of(link)).headers["Location"] == "/auth/login"
    assert auth.login("nora@example.com", "my new password").status_code == 302
    assert "Confirm your address" not in client.get("/").get_data(as_text=True)
    response = client.post(
        "/sessions/new",
        data={"mentor": str(amara), "session_type": "Standard", "starts_at": "2026-11-26T15:00", "duration": "60"},
    )

    assert response.status_code == 302
    with app.app_context():
        session = db.session.get(MentoringSession, response.headers["Location"].removeprefix("/sessions/"))
        assert (session.mentee.email, session.mentor_id) == ("nora@example.com", amara)
