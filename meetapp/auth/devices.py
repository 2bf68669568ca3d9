"""The device cookie of OWASP's "Slow Down Online Guessing Attacks with Device Cookies": a browser
that has logged in to an account carries a signed cookie naming it, and its login attempts are
trusted, so a stranger's guessing locks strangers out, never the owner (see web.rate_limits).
"""
import math
import secrets
from datetime import datetime, timedelta

from flask import Response, current_app, request

from meetapp.domain.account_tokens import InvalidAccountToken, Purpose
from meetapp.domain.notifications import MailKind
from meetapp.domain.timeutil import utcnow
from meetapp.extensions import db
from meetapp.models import User, normalise_email
from meetapp.outbox import notify
from meetapp.services.accounts import account_tokens
from meetapp.web import rate_limits
from meetapp.web.urls import public_url


def device_of(account: str) -> str | None:
    """The nonce of this browser's device cookie, if a login to `account` gave it, at most
    DEVICE_COOKIE_DAYS ago. A tampered cookie, another account's or an old one counts as none."""
    config = current_app.config
    try:
        email, nonce = account_tokens().read(
            Purpose.DEVICE,
            request.cookies.get(config["DEVICE_COOKIE_NAME"]),
            max_age=timedelta(days=config["DEVICE_COOKIE_DAYS"]),
            now=utcnow(),
            shape=(str, str),
        )
    except InvalidAccountToken:
        return None
    return nonce if email == account else None


def remember_device(response: Response, user: User, now: datetime) -> None:
    """Give the browser a device cookie for `user`'s account: its logins there are trusted from now on
    (web.rate_limits). A new one on every login, in place of any other account's."""
    config = current_app.config
    token = account_tokens().issue(Purpose.DEVICE, [normalise_email(user.email), secrets.token_urlsafe(16)], now)
    response.set_cookie(
        config["DEVICE_COOKIE_NAME"],
        token,
        max_age=timedelta(days=config["DEVICE_COOKIE_DAYS"]),
        path="/",
        secure=config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )


def tell_owner_of_lockout(user: User, seconds: int) -> None:
    """Mail the owner that browsers new to their account are refused for now (at most once an hour)."""
    if not rate_limits.lockout_mail_due(normalise_email(user.email)):
        return
    notify.account_mail(
        MailKind.LOGIN_LOCKOUT, user, utcnow(), minutes=math.ceil(seconds / 60), forgot_url=public_url("auth.forgot")
    )
    db.session.commit()
