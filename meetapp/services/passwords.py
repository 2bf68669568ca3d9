"""Changing a password, and resetting a forgotten one by a mailed link.

Asking for a link tells nobody whether an address has an account: the form only writes
the request down, the same work either way, and the worker (`queue_reset_mails`) mails a
link where there is an account. A link names the person and a fingerprint of their
password hash, so it stops working once the password changes: it is good for one reset.
Every new password ends every login of its person, on every device.
"""
from datetime import datetime, timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from werkzeug.security import generate_password_hash

from meetapp.domain.account_tokens import (
    InvalidAccountToken,
    Purpose,
    password_fingerprint,
    same_fingerprint,
)
from meetapp.domain.errors import InvalidRequest
from meetapp.domain.notifications import MailKind
from meetapp.extensions import db
from meetapp.models import PasswordResetRequest, User, normalise_email
from meetapp.outbox import notify
from meetapp.services.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, account_tokens, user_named_by_link
from meetapp.services.logins import end_every_login
from meetapp.web.urls import public_url

WRONG_PASSWORD = "That is not your current password."
# Requests turned into mails in one worker pass, in one transaction; the rest wait for the next pass.
RESET_BATCH = 500


class WrongPassword(InvalidRequest):
    """The current password given is not the person's: a guess, to be counted like a failed login."""


# Rules ----------------------------------------------------------------------------------


def new_password_problems(new: str, repeat: str) -> dict[str, str]:
    """What is wrong with `new` as a password, typed again as `repeat`, keyed by field."""
    problems: dict[str, str] = {}
    if not new:
        problems["new_password"] = "Choose a new password."
    elif len(new) < MIN_PASSWORD_LENGTH:
        problems["new_password"] = f"Use at least {MIN_PASSWORD_LENGTH} characters."
    elif len(new) > MAX_PASSWORD_LENGTH:
        problems["new_password"] = f"Use at most {MAX_PASSWORD_LENGTH} characters."
    if not repeat:
        problems["repeat_password"] = "Type the new password again."
    elif repeat != new:
        problems["repeat_password"] = "The two new passwords differ."
    return problems


# Changing it, knowing the current one ---------------------------------------------------


def change_password(user: User, *, current: str, new: str, repeat: str, now: datetime) -> None:
    """Give `user` the password `new`, end every login they have, queue the PASSWORD_CHANGED
    mail, and commit. InvalidRequest naming every problem at once, a WrongPassword when
    `current` is not their password; nothing is written then."""
    problems = new_password_problems(new, repeat)
    wrong = False
    if not current:
        problems["current_password"] = "Enter your current password."
    elif len(current) > MAX_PASSWORD_LENGTH or not user.check_password(current):
        wrong = True
        problems["current_password"] = WRONG_PASSWORD
    if problems:
        raise WrongPassword(problems) if wrong else InvalidRequest(problems)
    if not _replace_password(user, new, now):
        raise InvalidRequest({"current_password": "Your password was changed a moment ago, elsewhere. Log in again."})
    db.session.commit()


# Resetting it by a mailed link ----------------------------------------------------------


def check_reset_address(email: str) -> dict[str, str]:
    """Field errors for the address a link is asked for: its form only, never whether it has an account."""
    if not email:
        return {"email": "Enter your email."}
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        return {"email": str(exc)}
    return {}


def request_reset(email: str, now: datetime) -> None:
    """Write down that a link was asked for `email`, and commit; the worker mails it if the address
    has an account. The same statements whether it has one or not: nobody is looked up here."""
    problems = check_reset_address(email)
    if problems:
        raise InvalidRequest(problems)
    db.session.add(PasswordResetRequest(email=normalise_email(email), requested_at=now))
    db.session.commit()


def queue_reset_mails(now: datetime) -> int:
    """Take the waiting reset requests, oldest first, mail a link to each address among them that has
    an account, delete every request taken, and commit once. The number of mails queued.

    Several requests for one address make one mail. On PostgreSQL the requests are locked and
    others' locked ones skipped, so two workers never both take one (SQLite serialises writers).
    """
    taken = db.session.execute(
        sa.select(PasswordResetRequest.id, PasswordResetRequest.email)
        .order_by(PasswordResetRequest.requested_at, PasswordResetRequest.id)
        .limit(RESET_BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    if not taken:
        return 0
    addresses = {row.email for row in taken}
    people = db.session.scalars(sa.select(User).where(User.email.in_(addresses)).order_by(User.id)).all()
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    for user in people:
        notify.account_mail(
            MailKind.PASSWORD_RESET,
            user,
            now,
            reset_url=public_url("auth.reset", token=reset_token(user, now)),
            forgot_url=public_url("auth.forgot"),
            minutes=minutes,
        )
    db.session.execute(sa.delete(PasswordResetRequest).where(PasswordResetRequest.id.in_([row.id for row in taken])))
    db.session.commit()
    return len(people)


def reset_token(user: User, now: datetime) -> str:
    """The token of a reset link for `user`: good for PASSWORD_RESET_MINUTES, and until the password changes."""
    return account_tokens().issue(Purpose.PASSWORD_RESET, [user.id, password_fingerprint(user.password_hash)], now)


def user_for_reset_token(token: str, now: datetime) -> User:
    """The person a reset link was made for; InvalidAccountToken unless it is a genuine reset link,
    made within PASSWORD_RESET_MINUTES, for the password they have now."""
    max_age = timedelta(minutes=current_app.config["PASSWORD_RESET_MINUTES"])
    user_id, fingerprint = account_tokens().read(Purpose.PASSWORD_RESET, token, max_age=max_age, now=now, shape=(int, str))
    user = user_named_by_link(user_id)
    if user is None or not same_fingerprint(fingerprint, password_fingerprint(user.password_hash)):
        raise InvalidAccountToken("no such person, or the password has changed since")
    return user


def reset_password(user: User, *, new: str, repeat: str, now: datetime) -> None:
    """Give `user` (from `user_for_reset_token`) the password `new`, and commit: their address counts
    as confirmed (the link reached the mailbox), every login they have ends, and the PASSWORD_CHANGED
    mail is queued. InvalidRequest for a bad password; InvalidAccountToken when the password
    changed since the link was read (the link was just used in another request)."""
    problems = new_password_problems(new, repeat)
    if problems:
        raise InvalidRequest(problems)
    if not _replace_password(user, new, now):
        raise InvalidAccountToken("the password changed while this reset was under way")
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now
    db.session.commit()


# Shared --------------------------------------------------------------------------------


def _replace_password(user: User, new: str, now: datetime) -> bool:
    """Set the new password, only if the stored one is still the one this request saw, end every
    login and queue the mail; False, with nothing changed, when another request changed it first."""
    # One conditional UPDATE, not an attribute set: of two requests with the same link, the second
    # finds the hash changed (on PostgreSQL it waits for the first to commit) and changes nothing.
    replaced = db.session.execute(
        sa.update(User)
        .where(User.id == user.id, User.password_hash == user.password_hash)
        .values(password_hash=generate_password_hash(new))
    )
    if replaced.rowcount != 1:
        db.session.rollback()
        return False
    end_every_login(user)
    notify.account_mail(
        MailKind.PASSWORD_CHANGED,
        user,
        now,
        changed_at=now,
        viewer_tz=user.timezone,
        forgot_url=public_url("auth.forgot"),
        security_url=public_url("settings.security"),
    )
    return True

