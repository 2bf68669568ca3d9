"""Registering without telling who has an account, confirming the address by its link, and
what waits for the confirmation: booking, being booked, the dashboard's banner."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from meetapp.domain.account_tokens import AccountTokens, Purpose
from meetapp.domain.accounts import MentorApproval
from meetapp.domain.notifications import MailKind
from meetapp.extensions import db
from meetapp.models import MentoringSession, OutboxMail, User
from meetapp.services import registration
from meetapp.services.demo import DEMO_PEOPLE, seed_demo
from tests.support import NOW, PASSWORD

NEW_EMAIL = "new.person@example.com"
MENTEE_EMAIL = "max.mentee@example.com"
CONFIRM_LINK = re.compile(r"http://127\.0\.0\.1:5000(/auth/confirm/[A-Za-z0-9._-]+)")
CSRF_VALUE = re.compile(r'name="csrf_token" type="hidden" value="[^"]+"')
CSRF_HEADER = re.compile(r'"X-CSRFToken": "[^"]+"')


def registration_form(**changes) -> dict:
    form = {
        "email": NEW_EMAIL,
        "name": "New Person",
        "password": "a long enough password",
        "confirm": "a long enough password",
        "role": "mentee",
        "timezone": "Europe/Berlin",
    }
    form.update(changes)
    return form


def person(app, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is not None:
            user.mentor_profile  # noqa: B018  (loaded before the session closes)
            db.session.expunge_all()
        return user


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def mails(app) -> list[tuple[MailKind, str, str]]:
    """The queued mails, oldest first: (kind, address, text)."""
    with app.app_context():
        return [
            (mail.kind, mail.to_address, mail.text_body)
            for mail in db.session.scalars(sa.select(OutboxMail).order_by(OutboxMail.id))
        ]


def confirm_path(app, address: str) -> str:
    """The path of the latest confirmation link mailed to `address`."""
    texts = [text for kind, to, text in mails(app) if kind is MailKind.EMAIL_CONFIRMATION and to == address]
    return CONFIRM_LINK.search(texts[-1]).group(1)


def token_for(app, user_id: int, email: str, when=NOW, purpose=Purpose.CONFIRM_EMAIL) -> str:
    return AccountTokens(app.config["SECRET_KEY"]).issue(purpose, [user_id, email], when)


def without_csrf(page: str) -> str:
    return CSRF_HEADER.sub("", CSRF_VALUE.sub("", page))


def flashes(page: str) -> str:
    match = re.search(r'<div class="flashes" role="status">(.*?)</div>', page, re.S)
    return match.group(1) if match else ""


@pytest.fixture
def registered(app, client, clock):
    """A mentee who has just registered (and so is not confirmed): their id."""
    assert client.post("/auth/register", data=registration_form()).status_code == 200
    return person(app, NEW_EMAIL).id


@pytest.fixture
def logged_in(client, auth, registered):
    assert auth.login(NEW_EMAIL, "a long enough password").status_code == 302
    return registered


# Registering --------------------------------------------------------------------------


def test_registering_a_new_address_makes_an_unconfirmed_account_and_mails_a_link(app, client, clock):
    response = client.post("/auth/register", data=registration_form())

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Check your inbox" in page and NEW_EMAIL in page
    user = person(app, NEW_EMAIL)
    assert user.email_confirmed_at is None
    assert user.check_password("a long enough password")
    assert user.timezone == "Europe/Berlin"
    ((kind, address, text),) = mails(app)
    assert (kind, address) == (MailKind.EMAIL_CONFIRMATION, NEW_EMAIL)
    assert CONFIRM_LINK.search(text)
    # Registering logs nobody in.
    assert client.get("/").status_code == 302


def test_a_self_registered_mentor_waits_for_approval(app, client, clock):
    client.post("/auth/register", data=registration_form(role="mentor"))
    user = person(app, NEW_EMAIL)
    assert user.email_confirmed_at is None
    assert user.mentor_profile.approval is MentorApproval.PENDING


def test_registering_a_known_address_creates_nothing_and_mails_its_owner(app, client, clock, mentee):
    response = client.post(
        "/auth/register", data=registration_form(email="MAX.Mentee@Example.COM", password="another password!", confirm="another password!")
    )

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Check your inbox" in page and "MAX.Mentee@Example.COM" in page
    assert "already exists" not in page
    assert user_count(app) == 1
    owner = person(app, MENTEE_EMAIL)
    assert owner.name == "Max Mentee" and owner.check_password(PASSWORD)
    ((kind, address, text),) = mails(app)
    assert (kind, address) == (MailKind.REGISTRATION_ATTEMPT, MENTEE_EMAIL)
    assert "http://127.0.0.1:5000/auth/login" in text
    assert "http://127.0.0.1:5000/auth/forgot" in text
    assert "another password!" not in text
    assert client.get("/").status_code == 302


def test_a_new_and_a_known_address_get_the_same_answer(app, clock):
    form = registration_form(email="twice@example.com")
    first = app.test_client().post("/auth/register", data=form)  # a new address
    second = app.test_client().post("/auth/register", data=form)  # now a known one

    assert first.status_code == second.status_code == 200
    assert without_csrf(first.get_data(as_text=True)) == without_csrf(second.get_data(as_text=True))
    assert {k: v for k, v in first.headers if k != "Set-Cookie"} == {k: v for k, v in second.headers if k != "Set-Cookie"}
    assert [kind for kind, _, _ in mails(app)] == [MailKind.EMAIL_CONFIRMATION, MailKind.REGISTRATION_ATTEMPT]
    assert user_count(app) == 1


def test_a_known_address_costs_a_password_hash_too(app, client, clock, mentee, monkeypatch):
    hashed = []
    real_hash = registration.generate_password_hash
    monkeypatch.setattr(registration, "generate_password_hash", lambda password: hashed.append(password) or real_hash(password))
    client.post("/auth/register", data=registration_form(email=MENTEE_EMAIL))
    assert hashed == ["a long enough password"]


def test_a_bad_field_is_answered_alike_for_new_and_known_addresses(app, clock, mentee):
    new = app.test_client().post("/auth/register", data=registration_form(password="short", confirm="short"))
    known = app.test_client().post(
        "/auth/register", data=registration_form(email=MENTEE_EMAIL, password="short", confirm="short")
    )
    assert new.status_code == known.status_code == 400
    new_page, known_page = new.get_data(as_text=True), known.get_data(as_text=True)
    assert 'id="email-error"' not in new_page and 'id="email-error"' not in known_page
    assert without_csrf(new_page) == without_csrf(known_page).replace(MENTEE_EMAIL, NEW_EMAIL)
    assert mails(app) == [] and user_count(app) == 1


def test_every_problem_is_shown_at_once(app, client, clock):
    response = client.post(
        "/auth/register",
        data=registration_form(
            email="not-an-email", name=" ", password="short", confirm="other", role="admin", timezone="Mars/Olympus_Mons"
        ),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for field in ("email", "name", "password", "confirm", "role", "timezone"):
        assert f'id="{field}-error"' in page, field
    assert 'aria-describedby="email-error"' in page
    assert "Choose mentor or mentee." in page
    assert "Choose a time zone such as Europe/Berlin." in page
    assert user_count(app) == 0 and mails(app) == []


def test_registering_is_limited_per_client_address(app, client, clock):
    app.config["REGISTER_RATE_LIMIT"] = "2 per hour"
    for number in range(2):
        assert client.post("/auth/register", data=registration_form(email=f"p{number}@example.com")).status_code == 200

    response = client.post("/auth/register", data=registration_form(email="p2@example.com"))

    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    page = response.get_data(as_text=True)
    assert '<div class="alert alert-error" role="alert"><p>Too many registrations' in page
    assert 'action="/auth/register"' in page
    assert person(app, "p2@example.com") is None
    assert len(mails(app)) == 2


def test_a_rival_registering_the_same_address_at_the_same_moment_gets_no_error(app, client, clock, monkeypatch):
    """Both saw a free address; the rival's insert lands first. The loser is answered like any
    known address, and its owner is told."""
    real_add_user = registration.add_user

    def rival_first(**account):
        with app.app_context(), db.engine.begin() as connection:
            connection.execute(
                sa.insert(User).values(
                    email=NEW_EMAIL, name="Rival", role="mentee", timezone="UTC", password_hash="x", created_at=NOW
                )
            )
        return real_add_user(**account)

    monkeypatch.setattr(registration, "add_user", rival_first)
    response = client.post("/auth/register", data=registration_form())

    assert response.status_code == 200
    assert "Check your inbox" in response.get_data(as_text=True)
    assert person(app, NEW_EMAIL).name == "Rival"
    assert [(kind, to) for kind, to, _ in mails(app)] == [(MailKind.REGISTRATION_ATTEMPT, NEW_EMAIL)]


def test_a_logged_in_person_is_sent_to_the_dashboard(client, auth, mentee):
    auth.login(MENTEE_EMAIL)
    response = client.post("/auth/register", data=registration_form())
    assert response.status_code == 302 and response.headers["Location"] == "/"


# Confirming ---------------------------------------------------------------------------


def test_opening_the_link_shows_a_button_and_changes_nothing(app, client, registered):
    path = confirm_path(app, NEW_EMAIL)
    response = client.get(path)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<form method="post" action="{path}">' in page
    assert "Confirm my address</button>" in page
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert person(app, NEW_EMAIL).email_confirmed_at is None


def test_pressing_the_button_confirms_and_asks_to_log_in(app, client, clock, registered):
    clock.shift(timedelta(hours=2))
    response = client.post(confirm_path(app, NEW_EMAIL))

    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert response.headers["Cache-Control"] == "no-store"
    assert person(app, NEW_EMAIL).email_confirmed_at == NOW + timedelta(hours=2)
    assert "Address confirmed. Log in to book." in flashes(client.get("/auth/login").get_data(as_text=True))


def test_confirming_while_logged_in_goes_to_the_dashboard_without_the_banner(app, client, logged_in):
    assert "Confirm your address:" in client.get("/").get_data(as_text=True)
    response = client.post(confirm_path(app, NEW_EMAIL))

    assert response.status_code == 302 and response.headers["Location"] == "/"
    dashboard = client.get("/").get_data(as_text=True)
    assert "Your address is confirmed. You can book sessions now." in flashes(dashboard)
    assert "Confirm your address:" not in dashboard


def test_a_second_use_of_the_link_says_it_is_done_and_keeps_the_first_time(app, client, clock, registered):
    path = confirm_path(app, NEW_EMAIL)
    client.post(path)
    clock.shift(timedelta(hours=1))

    for response in (client.get(path), client.post(path)):
        assert response.status_code == 200
        assert "Address already confirmed" in response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-store"
    assert person(app, NEW_EMAIL).email_confirmed_at == NOW


def tampered(path: str) -> str:
    """The link with the first letter of its payload changed, so the signature no longer fits."""
    prefix, token = path.rsplit("/", 1)
    return f"{prefix}/{'X' if token[0] != 'X' else 'Y'}{token[1:]}"


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(lambda app, user, path: tampered(path), id="tampered"),
        pytest.param(lambda app, user, path: path[: len(path) // 2], id="cut-short"),
        pytest.param(lambda app, user, path: "/auth/confirm/" + "x" * 600, id="too-long"),
        pytest.param(lambda app, user, path: "/auth/confirm/not-a-token", id="garbage"),
        pytest.param(
            lambda app, user, path: "/auth/confirm/" + token_for(app, user, NEW_EMAIL, purpose=Purpose.PASSWORD_RESET),
            id="another-purpose",
        ),
        pytest.param(
            lambda app, user, path: "/auth/confirm/" + token_for(app, user, "old.address@example.com"),
            id="changed-address",
        ),
        pytest.param(lambda app, user, path: "/auth/confirm/" + token_for(app, 99999, NEW_EMAIL), id="nobody"),
        pytest.param(lambda app, user, path: "/auth/confirm/" + token_for(app, 2**40, NEW_EMAIL), id="huge-id"),
        pytest.param(
            lambda app, user, path: "/auth/confirm/"
            + AccountTokens("another key").issue(Purpose.CONFIRM_EMAIL, [user, NEW_EMAIL], NOW),
            id="foreign-key",
        ),
    ],
)
def test_a_broken_link_gets_a_kind_400_and_changes_nothing(app, client, registered, broken):
    path = broken(app, registered, confirm_path(app, NEW_EMAIL))
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "This confirmation link does not work" in page
        assert "Send the link again" in page
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert person(app, NEW_EMAIL).email_confirmed_at is None


def test_an_expired_link_gets_a_400(app, client, clock, registered):
    path = confirm_path(app, NEW_EMAIL)
    clock.shift(timedelta(hours=72, seconds=1))
    assert client.post(path).status_code == 400
    assert person(app, NEW_EMAIL).email_confirmed_at is None


def test_a_broken_link_offers_a_logged_in_person_a_new_one_at_once(app, client, logged_in):
    page = client.get("/auth/confirm/not-a-token").get_data(as_text=True)
    assert 'action="/auth/confirm/resend"' in page


def test_confirming_someone_elses_link_confirms_only_them(app, client, auth, registered):
    other = app.test_client()
    other.post("/auth/register", data=registration_form(email="other@example.com"))
    auth.login(NEW_EMAIL, "a long enough password")

    response = client.post(confirm_path(app, "other@example.com"))

    assert response.headers["Location"] == "/auth/login"
    assert person(app, "other@example.com").email_confirmed_at is not None
    assert person(app, NEW_EMAIL).email_confirmed_at is None


def test_confirming_needs_the_csrf_token(csrf_app, clock):
    client = csrf_app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/auth/register").get_data(as_text=True))
    client.post("/auth/register", data=registration_form(csrf_token=token.group(1)))
    path = confirm_path(csrf_app, NEW_EMAIL)

    assert client.post(path).status_code == 400
    assert person(csrf_app, NEW_EMAIL).email_confirmed_at is None
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert client.post(path, data={"csrf_token": token.group(1)}).status_code == 302
    assert person(csrf_app, NEW_EMAIL).email_confirmed_at is not None


# Until the address is confirmed -------------------------------------------------------


def test_the_dashboard_asks_to_confirm_and_offers_the_link_again(client, logged_in):
    page = client.get("/").get_data(as_text=True)
    assert f"<strong>Confirm your address:</strong> we sent a link to {NEW_EMAIL}." in page
    assert "Until you follow it, you cannot book sessions." in page
    assert '<form method="post" action="/auth/confirm/resend">' in page
    assert "Send the link again</button>" in page


def test_a_confirmed_person_sees_no_banner(client, auth, mentee):
    auth.login(MENTEE_EMAIL)
    assert "Confirm your address" not in client.get("/").get_data(as_text=True)


def test_sending_the_link_again_mails_a_new_one_that_works(app, client, auth, clock, registered):
    clock.shift(timedelta(hours=71))
    auth.login(NEW_EMAIL, "a long enough password")
    response = client.post("/auth/confirm/resend")

    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert f"We sent a new link to {NEW_EMAIL}." in flashes(client.get("/").get_data(as_text=True))
    assert [(kind, to) for kind, to, _ in mails(app)] == [(MailKind.EMAIL_CONFIRMATION, NEW_EMAIL)] * 2
    # The first link runs out at 72 hours; the new one has its own 72.
    first_link = CONFIRM_LINK.search(mails(app)[0][2]).group(1)
    clock.shift(timedelta(hours=2))
    assert client.get(first_link).status_code == 400
    assert client.post(confirm_path(app, NEW_EMAIL)).status_code == 302
    assert person(app, NEW_EMAIL).email_confirmed_at is not None


def test_sending_the_link_again_is_limited_per_person(app, client, logged_in):
    app.config["CONFIRMATION_MAIL_RATE_LIMIT"] = "2 per hour"
    assert client.post("/auth/confirm/resend").status_code == 302
    assert client.post("/auth/confirm/resend").status_code == 302

    response = client.post("/auth/confirm/resend")

    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "We have sent you several links in a short time" in response.get_data(as_text=True)
    assert len(mails(app)) == 3  # the first, and two more


def test_a_confirmed_person_gets_no_new_link(app, client, auth, mentee):
    auth.login(MENTEE_EMAIL)
    response = client.post("/auth/confirm/resend")
    assert response.headers["Location"] == "/"
    assert "Your address is already confirmed." in flashes(client.get("/").get_data(as_text=True))
    assert mails(app) == []


def test_sending_the_link_again_needs_a_login(app, client, registered):
    response = client.post("/auth/confirm/resend")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    assert len(mails(app)) == 1


def test_sending_the_link_again_needs_the_csrf_token(csrf_app, clock):
    client = csrf_app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/auth/register").get_data(as_text=True))
    client.post("/auth/register", data=registration_form(csrf_token=token.group(1)))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/auth/login").get_data(as_text=True))
    client.post("/auth/login", data={"email": NEW_EMAIL, "password": "a long enough password", "csrf_token": token.group(1)})

    assert client.post("/auth/confirm/resend").status_code == 400
    assert len(mails(csrf_app)) == 1


def test_the_booking_page_asks_an_unconfirmed_mentee_to_confirm_first(app, client, clock, mentor, logged_in):
    for response in (
        client.get("/sessions/new"),
        client.post("/sessions/new", data={"mentor": str(mentor), "session_type": "Standard", "starts_at": "2026-11-24T10:00", "duration": "60"}),
    ):
        assert response.status_code == 403
        page = response.get_data(as_text=True)
        assert "Confirm your address first" in page
        assert "Until you follow it, you cannot book sessions." in page
        assert 'action="/auth/confirm/resend"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MentoringSession)) == 0


def test_the_api_refuses_an_unconfirmed_mentee_with_email_unconfirmed(app, clock, mentor, registered, api_as):
    response = api_as(registered).post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": "2026-11-24T10:00:00Z", "durationMinutes": 60}
    )
    assert response.status_code == 403
    assert response.json["error"] == "email_unconfirmed"
    assert "Confirm your email address first" in response.json["message"]


def test_an_unconfirmed_mentor_is_not_listed_until_confirmed(app, client, auth, clock, mentee):
    app.test_client().post("/auth/register", data=registration_form(name="Newt Mentor", role="mentor"))
    with app.app_context():
        # Even approved by an admin, the address must be confirmed first.
        db.session.scalar(sa.select(User).where(User.email == NEW_EMAIL)).mentor_profile.approval = MentorApproval.APPROVED
        db.session.commit()
    auth.login(MENTEE_EMAIL)
    assert "Newt Mentor" not in client.get("/sessions/new").get_data(as_text=True)

    app.test_client().post(confirm_path(app, NEW_EMAIL))

    assert "Newt Mentor" in client.get("/sessions/new").get_data(as_text=True)


def test_demo_people_are_confirmed_and_demo_mentors_approved(app, clock):
    with app.app_context():
        seed_demo(NOW)
    for demo in DEMO_PEOPLE:
        user = person(app, demo.email)
        assert user.email_confirmed_at is not None, demo.email
        if demo.role == "mentor":
            assert user.mentor_profile.approval is MentorApproval.APPROVED
