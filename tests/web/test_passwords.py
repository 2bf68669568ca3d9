"""Passwords: changing one on the security page, logging out everywhere, and a forgotten one reset
by a mailed link that tells nobody who has an account, expires, and works once."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from meetapp.domain.account_tokens import AccountTokens, InvalidAccountToken, Purpose, password_fingerprint
from meetapp.domain.notifications import MailKind
from meetapp.extensions import db
from meetapp.models import OutboxMail, PasswordResetRequest, User
from meetapp.services import passwords
from meetapp.services.accounts import create_user
from tests.support import NOW, PASSWORD, counted_queries

MENTEE_EMAIL = "max.mentee@example.com"
NEW_PASSWORD = "a brand new passphrase"
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRFToken": "[^"]+"')


def user_row(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def mails(app) -> list[tuple[MailKind, str, str]]:
    with app.app_context():
        return [
            (mail.kind, mail.to_address, mail.text_body)
            for mail in db.session.scalars(sa.select(OutboxMail).order_by(OutboxMail.id))
        ]


def reset_requests(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(PasswordResetRequest.email).order_by(PasswordResetRequest.id)))


def field_error(page: str, field: str) -> str:
    match = re.search(rf'<ul class="field-errors" id="{field}-error">\s*<li>(.*?)</li>', page, re.S)
    return match.group(1) if match else ""


def flashes(page: str) -> str:
    match = re.search(r'<div class="flashes" role="status">(.*?)</div>', page, re.S)
    return match.group(1) if match else ""


def can_log_in(app, password: str, email: str = MENTEE_EMAIL) -> bool:
    response = app.test_client().post("/auth/login", data={"email": email, "password": password})
    return response.status_code == 302


def change(client, current=PASSWORD, new=NEW_PASSWORD, repeat=NEW_PASSWORD):
    data = {"current_password": current, "new_password": new, "repeat_password": repeat}
    return client.post("/settings/security/password", data=data)


def reset_path(app, user_id: int, when=NOW) -> str:
    with app.app_context():
        return f"/auth/reset/{passwords.reset_token(db.session.get(User, user_id), when)}"


def reset(client, path, new=NEW_PASSWORD, repeat=NEW_PASSWORD):
    return client.post(path, data={"new_password": new, "repeat_password": repeat})


# The security page -----------------------------------------------------------------------


def test_the_security_page_is_linked_from_the_settings_page_and_the_nav(client, auth, mentee):
    auth.login(MENTEE_EMAIL)
    settings = client.get("/settings/").get_data(as_text=True)
    assert settings.count('href="/settings/security"') == 2
    page = client.get("/settings/security")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    assert '<a href="/settings/security" aria-current="page">Security</a>' in text
    for action in ("/settings/security/password", "/settings/security/log-out-everywhere", "/settings/tokens"):
        assert f'action="{action}"' in text
    assert 'autocomplete="current-password"' in text and 'autocomplete="new-password"' in text
    assert "logging out everywhere and changing your password do not revoke them" in text


def test_the_security_page_needs_a_login(client):
    response = client.get("/settings/security")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_changing_the_password_keeps_this_browser_logged_in_and_tells_the_person(app, client, auth, clock, mentee):
    auth.login(MENTEE_EMAIL)
    response = change(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings/security"
    assert "Your password is changed." in flashes(client.get("/settings/security").get_data(as_text=True))
    assert client.get("/").status_code == 200
    assert can_log_in(app, NEW_PASSWORD)
    assert not can_log_in(app, PASSWORD)
    ((kind, address, text),) = mails(app)
    assert (kind, address) == (MailKind.PASSWORD_CHANGED, MENTEE_EMAIL)
    assert "If this wasn't you, reset your password now:\nhttp://127.0.0.1:5000/auth/forgot" in text


def test_a_remembered_browser_stays_remembered_after_changing_the_password(app, client, clock, mentee):
    remember = app.config["REMEMBER_COOKIE_NAME"]
    client.post("/auth/login", data={"email": MENTEE_EMAIL, "password": PASSWORD, "remember": "y"})
    old_cookie = client.get_cookie(remember).value
    assert change(client).status_code == 302
    new_cookie = client.get_cookie(remember).value
    assert new_cookie != old_cookie
    kept = app.test_client()
    kept.set_cookie(remember, new_cookie)
    assert kept.get("/").status_code == 200


def test_a_browser_without_remember_gets_no_remember_cookie_from_a_password_change(app, client, auth, clock, mentee):
    auth.login(MENTEE_EMAIL)
    response = change(client)
    assert not any(
        header.startswith(app.config["REMEMBER_COOKIE_NAME"] + "=") for header in response.headers.getlist("Set-Cookie")
    )


def test_every_problem_with_a_password_change_is_shown_at_once(app, client, auth, clock, mentee):
    auth.login(MENTEE_EMAIL)
    before = user_row(app, mentee)
    response = change(client, current="not my password", new="short", repeat="shorter")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert field_error(page, "current_password") == "That is not your current password."
    assert field_error(page, "new_password") == "Use at least 8 characters."
    assert field_error(page, "repeat_password") == "The two new passwords differ."
    for field in ("current_password", "new_password", "repeat_password"):
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field}"', page), field
    after = user_row(app, mentee)
    assert (after.password_hash, after.login_version) == (before.password_hash, before.login_version)
    assert mails(app) == []
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"current": ""}, "current_password", "Enter your current password."),
        ({"current": "x" * 300}, "current_password", "That is not your current password."),
        ({"new": "", "repeat": ""}, "new_password", "Choose a new password."),
        ({"new": "x" * 257, "repeat": "x" * 257}, "new_password", "Use at most 256 characters."),
        ({"repeat": ""}, "repeat_password", "Type the new password again."),
        ({"repeat": NEW_PASSWORD.upper()}, "repeat_password", "The two new passwords differ."),
    ],
)
def test_a_bad_password_change_is_400_and_changes_nothing(app, client, auth, clock, mentee, form, field, message):
    auth.login(MENTEE_EMAIL)
    response = change(client, **form)
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), field) == message
    assert can_log_in(app, PASSWORD)
    assert mails(app) == []


def test_wrong_current_passwords_count_against_the_accounts_login_limit(app, client, auth, clock, mentee):
    auth.login(MENTEE_EMAIL)
    app.config["LOGIN_RATE_LIMIT_PER_ACCOUNT"] = "2 per minute"
    for guess in ("guess one", "guess two"):
        assert change(client, current=guess).status_code == 400

    refused = change(client)

    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many wrong passwords for now." in refused.get_data(as_text=True)
    assert can_log_in(app, PASSWORD) is False, "a browser new to the account is refused too"
    assert user_row(app, mentee).check_password(PASSWORD)
    # As with guesses at the login form, the owner hears of the lockout, once.
    assert [kind for kind, *_ in mails(app)] == [MailKind.LOGIN_LOCKOUT]


def test_a_right_current_password_does_not_count_against_the_limit(app, client, auth, clock, mentee):
    auth.login(MENTEE_EMAIL)
    app.config["LOGIN_RATE_LIMIT_PER_ACCOUNT"] = "2 per minute"
    for _ in range(3):
        assert change(client, repeat="not the same").status_code == 400
    assert change(client).status_code == 302


def test_log_out_everywhere_ends_this_login_too_and_says_so(app, client, auth, clock, mentee):
    auth.login(MENTEE_EMAIL)
    response = client.post("/settings/security/log-out-everywhere")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert "You are logged out everywhere" in flashes(client.get("/auth/login").get_data(as_text=True))
    assert client.get("/").status_code == 302
    # Logging in again works as ever.
    assert auth.login(MENTEE_EMAIL).status_code == 302


def test_api_tokens_outlive_log_out_everywhere(app, client, auth, people, clock, mentee):
    token = people.token(mentee)
    auth.login(MENTEE_EMAIL)
    client.post("/settings/security/log-out-everywhere")
    api = app.test_client().get("/api/mentoring/sessions", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200


@pytest.mark.parametrize("path", ["/settings/security/log-out-everywhere", "/settings/security/password"])
def test_the_security_forms_need_their_csrf_token(csrf_app, path):
    with csrf_app.app_context():
        user_id = create_user(email=MENTEE_EMAIL, name="Max Mentee", role="mentee", password=PASSWORD).id
    client = csrf_app.test_client()
    token = CSRF_INPUT.search(client.get("/auth/login").get_data(as_text=True)).group(1)
    client.post("/auth/login", data={"email": MENTEE_EMAIL, "password": PASSWORD, "csrf_token": token})
    before = user_row(csrf_app, user_id)
    data = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD}

    assert client.post(path, data=data).status_code == 400

    assert client.get("/").status_code == 200
    after = user_row(csrf_app, user_id)
    assert (after.password_hash, after.login_version) == (before.password_hash, before.login_version)


# Asking for a link -------------------------------------------------------------------


def test_the_login_page_links_to_the_forgot_page(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert '<a href="/auth/forgot">Forgot your password?</a>' in page
    form = client.get("/auth/forgot").get_data(as_text=True)
    assert 'action="/auth/forgot"' in form and 'autocomplete="email"' in form


def test_asking_for_a_link_answers_and_works_alike_for_every_address(app, client, clock, mentee):
    with counted_queries(app) as for_an_account:
        known = client.post("/auth/forgot", data={"email": MENTEE_EMAIL})
    with counted_queries(app) as for_nobody:
        unknown = client.post("/auth/forgot", data={"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 200
    assert for_an_account == for_nobody
    assert not any(re.search(r"\bFROM users\b", statement) for statement in for_an_account), "nobody is looked up"
    known_page = CSRF_HEADER.sub("", known.get_data(as_text=True)).replace(MENTEE_EMAIL, "ADDRESS")
    unknown_page = CSRF_HEADER.sub("", unknown.get_data(as_text=True)).replace("nobody@example.com", "ADDRESS")
    assert known_page == unknown_page
    assert "If an account exists for <strong>ADDRESS</strong>, we've sent a link to it." in known_page
    assert "The link works for 30 minutes" in known_page
    assert reset_requests(app) == [MENTEE_EMAIL, "nobody@example.com"]
    # The worker writes the mails; the form wrote none.
    assert mails(app) == []


def test_the_address_asked_for_is_kept_as_accounts_keep_theirs(app, client, clock, mentee):
    client.post("/auth/forgot", data={"email": "  Max.Mentee@Example.COM "})
    assert reset_requests(app) == [MENTEE_EMAIL]


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter your email."),
        ("not-an-email", "An email address must have an @-sign."),
        ("two@at@example.com", "The part after the @-sign contains invalid characters"),
        ("x" * 250 + "@example.com", "The email address is too long"),
    ],
)
def test_a_malformed_address_is_a_field_error_and_writes_nothing(app, client, clock, email, message):
    response = client.post("/auth/forgot", data={"email": email})
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "email").startswith(message)
    assert reset_requests(app) == []


def test_too_many_links_asked_from_one_client_address_are_refused(app, client, clock):
    app.config["PASSWORD_RESET_RATE_LIMIT_PER_ADDRESS"] = "2 per hour"
    for number in range(2):
        assert client.post("/auth/forgot", data={"email": f"person{number}@example.com"}).status_code == 200
    refused = client.post("/auth/forgot", data={"email": "person9@example.com"})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many reset links asked for." in refused.get_data(as_text=True)
    assert reset_requests(app) == ["person0@example.com", "person1@example.com"]
    # Another client address is not held back.
    other = client.post("/auth/forgot", data={"email": "person9@example.com"}, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 200


def test_too_many_links_asked_for_one_address_are_refused_from_any_client(app, client, clock, mentee):
    app.config["PASSWORD_RESET_RATE_LIMIT_PER_ACCOUNT"] = "1 per hour"
    first = client.post("/auth/forgot", data={"email": MENTEE_EMAIL}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert first.status_code == 200
    again = client.post(
        "/auth/forgot", data={"email": " MAX.mentee@example.com"}, environ_base={"REMOTE_ADDR": "10.0.0.2"}
    )
    assert again.status_code == 429
    assert reset_requests(app) == [MENTEE_EMAIL]


# Choosing a new password by the link -----------------------------------------------------


def test_a_reset_link_shows_the_form_privately(app, client, clock, mentee):
    path = reset_path(app, mentee)
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = response.get_data(as_text=True)
    assert f'action="{path}"' in page
    assert 'autocomplete="new-password"' in page


def test_a_reset_sets_the_password_confirms_the_address_and_ends_every_login(app, client, clock, mentee):
    with app.app_context():
        db.session.get(User, mentee).email_confirmed_at = None
        db.session.commit()
    before = user_row(app, mentee)
    path = reset_path(app, mentee)

    response = reset(client, path)

    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    # Nobody is logged in by a reset.
    assert client.get("/").status_code == 302
    assert "Your password is changed" in flashes(client.get("/auth/login").get_data(as_text=True))
    after = user_row(app, mentee)
    assert after.email_confirmed_at == NOW
    assert after.login_version == before.login_version + 1
    assert can_log_in(app, NEW_PASSWORD) and not can_log_in(app, PASSWORD)
    assert [(kind, to) for kind, to, _ in mails(app)] == [(MailKind.PASSWORD_CHANGED, MENTEE_EMAIL)]


def test_a_reset_keeps_the_first_confirmation_time(app, client, clock, mentee):
    confirmed_at = user_row(app, mentee).email_confirmed_at
    clock.shift(timedelta(minutes=5))
    reset(client, reset_path(app, mentee, when=NOW + timedelta(minutes=5)))
    assert user_row(app, mentee).email_confirmed_at == confirmed_at


def test_a_reset_logs_out_whoever_was_logged_in_in_that_browser(app, client, auth, people, clock, mentee):
    people.make("mentor", "Mo Mentor")
    auth.login("mo.mentor@example.com")
    assert reset(client, reset_path(app, mentee)).status_code == 302
    assert client.get("/").status_code == 302


def test_a_bad_new_password_on_the_reset_page_changes_nothing(app, client, clock, mentee):
    path = reset_path(app, mentee)
    response = reset(client, path, new="short", repeat="other")
    assert response.status_code == 400
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert field_error(page, "new_password") == "Use at least 8 characters."
    assert field_error(page, "repeat_password") == "The two new passwords differ."
    assert can_log_in(app, PASSWORD)
    assert mails(app) == []
    # The link still works.
    assert reset(client, path).status_code == 302


def assert_link_refused(response):
    assert response.status_code == 400
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = response.get_data(as_text=True)
    assert "This link has expired or was already used" in page
    assert 'href="/auth/forgot"' in page


def test_a_link_works_for_30_minutes(app, client, clock, mentee):
    path = reset_path(app, mentee)
    clock.move_to(NOW + timedelta(minutes=29, seconds=59))
    assert client.get(path).status_code == 200
    clock.move_to(NOW + timedelta(minutes=30, seconds=1))
    assert_link_refused(client.get(path))
    assert_link_refused(reset(client, path))
    assert can_log_in(app, PASSWORD)


def test_a_link_works_once(app, client, clock, mentee):
    path = reset_path(app, mentee)
    assert reset(client, path).status_code == 302
    assert_link_refused(client.get(path))
    assert_link_refused(reset(client, path, new="yet another passphrase", repeat="yet another passphrase"))
    assert can_log_in(app, NEW_PASSWORD)


def test_a_link_dies_when_the_password_is_changed_in_the_settings(app, client, auth, clock, mentee):
    path = reset_path(app, mentee)
    auth.login(MENTEE_EMAIL)
    assert change(client).status_code == 302
    assert_link_refused(app.test_client().get(path))


def test_two_requests_with_one_link_change_the_password_once(app, clock, mentee):
    token = reset_path(app, mentee).removeprefix("/auth/reset/")
    with app.app_context():
        user = passwords.user_for_reset_token(token, NOW)
        # This request has read the link; meanwhile another one with the same link sets its password.
        db.session.expunge(user)
        db.session.execute(
            sa.update(User).where(User.id == mentee).values(password_hash=generate_password_hash("the other one's"))
        )
        db.session.commit()
        with pytest.raises(InvalidAccountToken):
            passwords.reset_password(user, new=NEW_PASSWORD, repeat=NEW_PASSWORD, now=NOW)
    assert can_log_in(app, "the other one's")
    assert not can_log_in(app, NEW_PASSWORD)
    assert mails(app) == []


def tampered(app, user_id: int) -> dict[str, str]:
    with app.app_context():
        user = db.session.get(User, user_id)
        genuine = passwords.reset_token(user, NOW)
        fingerprint = password_fingerprint(user.password_hash)
    ours = AccountTokens(app.config["SECRET_KEY"])
    # Not the last character: base64 leaves two of its bits unused, so changing those may change nothing.
    flipped = genuine[:-5] + ("A" if genuine[-5] != "A" else "w") + genuine[-4:]
    return {
        "last character changed": flipped,
        "cut short": genuine[:-6],
        "garbage": "garbage",
        "dots": "...",
        "very long": "x" * 600,
        "a confirmation link's token": ours.issue(Purpose.CONFIRM_EMAIL, [user_id, fingerprint], NOW),
        "a device cookie's token": ours.issue(Purpose.DEVICE, [user_id, fingerprint], NOW),
        "another key": AccountTokens("not our key").issue(Purpose.PASSWORD_RESET, [user_id, fingerprint], NOW),
        "another person": ours.issue(Purpose.PASSWORD_RESET, [user_id + 1, fingerprint], NOW),
        "a huge id": ours.issue(Purpose.PASSWORD_RESET, [2**40, fingerprint], NOW),
        "id as text": ours.issue(Purpose.PASSWORD_RESET, [str(user_id), fingerprint], NOW),
        "true as id": ours.issue(Purpose.PASSWORD_RESET, [True, fingerprint], NOW),
        "no fingerprint": ours.issue(Purpose.PASSWORD_RESET, [user_id], NOW),
        "another fingerprint": ours.issue(Purpose.PASSWORD_RESET, [user_id, "0" * 24], NOW),
        "signed tomorrow": ours.issue(Purpose.PASSWORD_RESET, [user_id, fingerprint], NOW + timedelta(days=1)),
    }


TAMPERINGS = [
    "last character changed", "cut short", "garbage", "dots", "very long", "a confirmation link's token",
    "a device cookie's token", "another key", "another person", "a huge id", "id as text", "true as id",
    "no fingerprint", "another fingerprint", "signed tomorrow",
]


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_a_tampered_link_is_refused_and_changes_nothing(app, client, clock, people, mentee, tampering):
    people.make("mentee", "Next Person")
    token = tampered(app, mentee)[tampering]
    assert_link_refused(client.get(f"/auth/reset/{token}"))
    assert_link_refused(reset(client, f"/auth/reset/{token}"))
    assert can_log_in(app, PASSWORD)
    assert can_log_in(app, PASSWORD, "next.person@example.com")


def test_a_link_signed_with_a_retired_key_still_works(app, client, clock, mentee):
    with app.app_context():
        user = db.session.get(User, mentee)
        old_link = AccountTokens("the old key").issue(
            Purpose.PASSWORD_RESET, [user.id, password_fingerprint(user.password_hash)], NOW
        )
    app.config["SECRET_KEY"] = "the new key"
    app.config["SECRET_KEY_FALLBACKS"] = ["the old key"]
    assert client.get(f"/auth/reset/{old_link}").status_code == 200
    assert reset(client, f"/auth/reset/{old_link}").status_code == 302
    assert can_log_in(app, NEW_PASSWORD)
    # Once the old key is dropped, its links stop working.
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert_link_refused(client.get(f"/auth/reset/{old_link}"))
