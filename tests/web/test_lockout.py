"""Account lockout that locks out no owner (OWASP's "Slow Down Online Guessing Attacks with Device Cookies").

A browser that logged in to an account keeps a signed device cookie for it. Failed logins from
browsers without one count against the account, and once it is over, such browsers are refused
even the right password; the owner's own browsers still get in, and the owner hears of it by mail.
"""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from meetapp.config import from_environ
from meetapp.domain.account_tokens import AccountTokens, Purpose
from meetapp.domain.notifications import MailKind
from meetapp.extensions import db
from meetapp.models import OutboxMail
from meetapp.services.accounts import create_user
from tests.support import NOW, PASSWORD, running_app

EMAIL = "max.mentee@example.com"
DEVICE_COOKIE = "meetapp_device"
WRONG = "not the password"
CSRF_TOKEN = re.compile(r'("X-CSRFToken": "|name="csrf_token" type="hidden" value=")[^"]+')


def small_limits(app) -> None:
    """Three failures per account and four per device a minute; the address limit well out of the way.
    Set before the first request (the views read them per request)."""
    app.config["LOGIN_RATE_LIMIT_PER_ACCOUNT"] = "3 per minute"
    app.config["LOGIN_RATE_LIMIT_PER_DEVICE"] = "4 per minute"
    app.config["LOGIN_RATE_LIMIT_PER_ADDRESS"] = "100 per minute"


def attempt(client, email=EMAIL, password=WRONG, address="10.0.0.1", **kwargs):
    return client.post(
        "/auth/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}, **kwargs
    )


def owners_browser(app, email=EMAIL):
    """A browser that has logged in to the account (so it holds the device cookie) and logged out again."""
    browser = app.test_client()
    assert attempt(browser, email, PASSWORD, address="192.0.2.10").status_code == 302
    assert browser.get_cookie(DEVICE_COOKIE) is not None
    browser.post("/auth/logout")
    return browser


def lock(app, email=EMAIL):
    """An attacker's failures from several addresses use up the account's limit for untrusted clients."""
    attacker = app.test_client()
    for number in range(3):
        assert attempt(attacker, email, address=f"203.0.113.{number}").status_code == 200
    assert attempt(attacker, email, address="203.0.113.99").status_code == 429


def lockout_mails(app) -> list[OutboxMail]:
    with app.app_context():
        mails = db.session.scalars(
            sa.select(OutboxMail).where(OutboxMail.kind == MailKind.LOGIN_LOCKOUT).order_by(OutboxMail.id)
        ).all()
        db.session.expunge_all()
        return mails


def forged(payload, *, purpose=Purpose.DEVICE, key="test-secret-key", at=NOW) -> str:
    return AccountTokens(key).issue(purpose, payload, at)


# The lockout -------------------------------------------------------------------------------


def test_an_attackers_failures_lock_out_strangers_but_not_the_owners_browser(app, clock, mentee):
    small_limits(app)
    owner = owners_browser(app)
    lock(app)
    # A browser the account has not seen log in is refused, right password and all...
    stranger = app.test_client()
    refused = attempt(stranger, password=PASSWORD, address="198.51.100.7")
    assert refused.status_code == 429
    assert "Too many login attempts" in refused.get_data(as_text=True)
    assert stranger.get("/").status_code == 302
    # ...while the owner's own browser logs in as usual.
    response = attempt(owner, password=PASSWORD, address="192.0.2.10")
    assert response.status_code == 302
    assert owner.get("/").status_code == 200


def test_the_owners_browser_gets_in_whatever_case_the_address_is_typed_in(app, clock, mentee):
    small_limits(app)
    owner = owners_browser(app, email="  MAX.Mentee@Example.COM ")
    lock(app)
    assert attempt(owner, "max.mentee@EXAMPLE.com", PASSWORD).status_code == 302


def test_a_trusted_browsers_failures_do_not_lock_the_account(app, clock, mentee):
    small_limits(app)
    owner = owners_browser(app)
    for _ in range(4):
        assert attempt(owner).status_code == 200
    # Four failures, over the account's three: yet a stranger may still log in with the right password.
    assert attempt(app.test_client(), password=PASSWORD, address="198.51.100.7").status_code == 302


def test_a_trusted_browser_that_fails_too_often_is_trusted_no_more(app, clock, mentee):
    small_limits(app)
    owner = owners_browser(app)
    lock(app)
    # The device's own four failures are answered, even while the account is locked for strangers...
    for _ in range(4):
        assert attempt(owner).status_code == 200
    # ...and then the device counts as untrusted: the account's lockout applies to it too.
    assert attempt(owner, password=PASSWORD).status_code == 429
    clock.shift(timedelta(seconds=61))
    # A minute on, both limits have let go.
    assert attempt(owner, password=PASSWORD).status_code == 302


def test_a_device_that_used_up_its_own_limit_counts_against_the_account(app, clock, mentee):
    small_limits(app)
    owner = owners_browser(app)
    for _ in range(4):
        assert attempt(owner).status_code == 200
    for _ in range(3):
        assert attempt(owner).status_code == 200
    assert attempt(app.test_client(), password=PASSWORD, address="198.51.100.7").status_code == 429


def test_another_accounts_device_cookie_does_not_help(app, clock, mentee, people):
    small_limits(app)
    people.make("mentee", "Other Mentee")
    browser = owners_browser(app, email="other.mentee@example.com")
    lock(app)
    assert attempt(browser, password=PASSWORD).status_code == 429
    # It still helps with its own account.
    assert attempt(browser, "other.mentee@example.com", PASSWORD).status_code == 302


def test_logging_in_to_another_account_replaces_the_device_cookie(app, clock, mentee, people):
    small_limits(app)
    people.make("mentee", "Other Mentee")
    browser = owners_browser(app)
    assert attempt(browser, "other.mentee@example.com", PASSWORD).status_code == 302
    browser.post("/auth/logout")
    lock(app)
    assert attempt(browser, password=PASSWORD).status_code == 429


def test_the_address_limit_applies_to_trusted_browsers_too(app, clock, mentee):
    small_limits(app)
    app.config["LOGIN_RATE_LIMIT_PER_ADDRESS"] = "2 per minute"
    owner = owners_browser(app)
    for _ in range(2):
        assert attempt(owner, "someone@example.com", address="192.0.2.10").status_code == 200
    assert attempt(owner, password=PASSWORD, address="192.0.2.10").status_code == 429


# Device cookies that are not what they seem ------------------------------------------------


def tampered(token: str) -> str:
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


@pytest.mark.parametrize(
    "cookie",
    [
        pytest.param(lambda: "garbage", id="garbage"),
        pytest.param(lambda: "", id="empty"),
        pytest.param(lambda: "x" * 3000, id="overlong"),
        pytest.param(lambda: tampered(forged([EMAIL, "nonce"])), id="tampered-signature"),
        pytest.param(lambda: forged([EMAIL, "nonce"], key="another-key"), id="another-key"),
        pytest.param(lambda: forged([EMAIL, "nonce"], purpose=Purpose.PASSWORD_RESET), id="another-purpose"),
        pytest.param(lambda: forged([EMAIL]), id="no-nonce"),
        pytest.param(lambda: forged([EMAIL, 7]), id="number-nonce"),
        pytest.param(lambda: forged({"email": EMAIL}), id="not-a-list"),
        pytest.param(lambda: forged(["other.mentee@example.com", "nonce"]), id="another-account"),
        pytest.param(lambda: forged([EMAIL, "nonce"], at=NOW - timedelta(days=366)), id="expired"),
        pytest.param(lambda: forged([EMAIL, "nonce"], at=NOW + timedelta(hours=1)), id="from-the-future"),
    ],
)
def test_a_device_cookie_that_is_not_genuine_is_ignored(app, clock, mentee, cookie):
    small_limits(app)
    browser = app.test_client()
    browser.set_cookie(DEVICE_COOKIE, cookie())
    # Ignored, never a 500: the login works while the account is not locked...
    assert attempt(browser, password=PASSWORD).status_code == 302
    browser.post("/auth/logout")
    browser.set_cookie(DEVICE_COOKIE, cookie())
    lock(app)
    # ...and it is as untrusted as a browser without a cookie once it is.
    assert attempt(browser, password=PASSWORD).status_code == 429


def test_the_test_key_forges_a_genuine_cookie(app, clock, mentee):
    small_limits(app)
    # The control for the cases above: the same cookie, genuinely signed, is trusted.
    browser = app.test_client()
    browser.set_cookie(DEVICE_COOKIE, forged([EMAIL, "nonce"]))
    lock(app)
    assert attempt(browser, password=PASSWORD).status_code == 302


def test_a_device_cookie_lasts_device_cookie_days(app, clock, mentee):
    small_limits(app)
    owner = owners_browser(app)
    clock.shift(timedelta(days=365) - timedelta(minutes=1))
    lock(app)
    assert attempt(owner, password=PASSWORD).status_code == 302
    owner.post("/auth/logout")
    owner.set_cookie(DEVICE_COOKIE, forged([EMAIL, "nonce"]))  # signed at NOW, a year ago
    clock.shift(timedelta(minutes=2))
    lock(app)
    assert attempt(owner, password=PASSWORD).status_code == 429


# The cookie itself -------------------------------------------------------------------------


def device_cookie_header(response, name=DEVICE_COOKIE) -> str:
    [header] = [value for value in response.headers.getlist("Set-Cookie") if value.startswith(f"{name}=")]
    return header


def test_a_login_gives_the_browser_a_device_cookie_for_a_year(client, clock, mentee):
    response = attempt(client, "  MAX.Mentee@example.com", PASSWORD)
    assert response.status_code == 302
    header = device_cookie_header(response)
    for attribute in ("HttpOnly", "SameSite=Lax", "Path=/", f"Max-Age={365 * 24 * 3600}"):
        assert attribute in header
    assert "Secure" not in header and "Domain=" not in header
    # It names the account (as the form's address is compared) and a random device, signed.
    value = client.get_cookie(DEVICE_COOKIE).value
    email, nonce = AccountTokens("test-secret-key").read(
        Purpose.DEVICE, value, max_age=timedelta(days=1), now=NOW, shape=(str, str)
    )
    assert email == EMAIL and len(nonce) >= 16


def test_every_login_gets_a_new_device(client, auth, clock, mentee):
    devices = set()
    for _ in range(2):
        attempt(client, password=PASSWORD)
        devices.add(client.get_cookie(DEVICE_COOKIE).value)
        auth.logout()
    assert len(devices) == 2


def test_no_device_cookie_without_a_login(client, mentee):
    responses = [client.get("/auth/login"), attempt(client), attempt(client, "nobody@example.com"), attempt(client, "")]
    for response in responses:
        assert not any(value.startswith(DEVICE_COOKIE) for value in response.headers.getlist("Set-Cookie"))


def test_the_way_on_to_a_join_link_gets_the_device_cookie_too(client, clock, mentee):
    response = client.post("/auth/login", data={"email": EMAIL, "password": PASSWORD, "next": "/join/abc"})
    assert response.status_code == 200
    assert device_cookie_header(response)


def test_in_production_the_device_cookie_is_secure_and_host_only(tmp_path, clock):
    config = from_environ(
        {"SECRET_KEY": "k", "DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}", "PUBLIC_BASE_URL": "https://localhost"},
        str(tmp_path),
    )
    with running_app(config["SQLALCHEMY_DATABASE_URI"], **config) as app:
        with app.app_context():
            create_user(email=EMAIL, name="Max", role="mentee", password=PASSWORD)
        response = attempt(app.test_client(), password=PASSWORD, base_url="https://localhost")
    assert response.status_code == 302
    header = device_cookie_header(response, "__Host-meetapp_device")
    for attribute in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert attribute in header
    assert "Domain=" not in header


# The owner hears of it ---------------------------------------------------------------------


def test_the_owner_gets_one_mail_when_the_account_is_locked(app, clock, mentee):
    small_limits(app)
    lock(app)
    [mail] = lockout_mails(app)
    assert mail.to_address == EMAIL and mail.session_id is None
    assert mail.subject == "Logins to your account from new devices are paused"
    text = " ".join(mail.text_body.split())
    assert "None of those attempts got in" in text
    assert "paused for now. The pause lifts by itself in about 1 minute," in text
    assert "Your own devices still work" in text
    assert "http://127.0.0.1:5000/auth/login" in text
    assert "http://127.0.0.1:5000/auth/forgot" in text
    assert 'href="http://127.0.0.1:5000/auth/forgot"' in mail.html_body
    assert "Your own devices still work" in mail.html_body


def test_the_lockout_mail_comes_at_most_once_an_hour(app, clock, mentee):
    small_limits(app)
    lock(app)
    for _ in range(3):
        # Each minute the lock lets go, and the attacker uses it up again.
        clock.shift(timedelta(seconds=61))
        lock(app)
    assert len(lockout_mails(app)) == 1
    clock.shift(timedelta(hours=1))
    lock(app)
    assert len(lockout_mails(app)) == 2


def test_refused_attempts_send_no_more_mail(app, clock, mentee):
    small_limits(app)
    lock(app)
    for number in range(5):
        assert attempt(app.test_client(), address=f"203.0.113.{50 + number}").status_code == 429
    assert len(lockout_mails(app)) == 1


def test_the_owners_own_failures_send_no_mail(app, clock, mentee):
    small_limits(app)
    owner = owners_browser(app)
    for _ in range(4):
        attempt(owner)
    assert lockout_mails(app) == []


def same_page(page: str, email: str) -> str:
    """The page but for the address typed and the session's CSRF token."""
    return CSRF_TOKEN.sub(r"\1TOKEN", page.replace(email, "EMAIL"))


def test_the_login_page_answers_the_same_for_an_address_with_no_account(app, clock, mentee):
    small_limits(app)
    def answers(email):
        stranger = app.test_client()
        responses = [attempt(stranger, email, address=f"203.0.113.{number}") for number in range(4)]
        responses.append(attempt(stranger, email, PASSWORD, address="198.51.100.7"))
        return [(r.status_code, same_page(r.get_data(as_text=True), email)) for r in responses]

    known, unknown = answers(EMAIL), answers("nobody@example.com")
    assert [status for status, _ in known] == [200, 200, 200, 429, 429]
    assert known == unknown
    assert len(lockout_mails(app)) == 1, "and only the real account's owner gets a mail"
