"""Registering on one's own, and confirming the address by the mailed link.

Registering never tells whether an address already has an account: a new address gets
an unconfirmed account and a confirmation link, a known one (in any letter case) gets
a mail to its owner instead, and the person at the form sees the same answer either way.
"""
from datetime import datetime, timedelta

from flask import current_app
from werkzeug.security import generate_password_hash

from meetapp.domain.account_tokens import InvalidAccountToken, Purpose
from meetapp.domain.errors import InvalidRequest
from meetapp.domain.notifications import MailKind
from meetapp.domain.scheduling import Role
from meetapp.extensions import db
from meetapp.models import User
from meetapp.outbox import notify
from meetapp.services.accounts import (
    account_tokens,
    add_user,
    check_account_fields,
    find_user_by_email,
    user_named_by_link,
)
from meetapp.web.urls import public_url

# Admins are made on the command line only.
SELF_SERVICE_ROLES = (Role.MENTOR.value, Role.MENTEE.value)


def problems(*, email: str, name: str, role: str, password: str, timezone: str) -> dict[str, str]:
    """What is wrong with a registration, keyed by field; never that the address has an account."""
    found = check_account_fields(email=email, name=name, role=role, password=password, timezone=timezone)
    if find_user_by_email(email) is not None:
        # Its only complaint about an address that has an account is that it has one.
        found.pop("email", None)
    if role not in SELF_SERVICE_ROLES:
        found["role"] = "Choose mentor or mentee."
    return found


def register(*, email: str, name: str, role: str, password: str, timezone: str, now: datetime) -> None:
    """A new account and its confirmation mail, committed together; or, when the address has an
    account, only a mail to its owner, after the same work. InvalidRequest on bad input, nothing written."""
    found = problems(email=email, name=name, role=role, password=password, timezone=timezone)
    if found:
        raise InvalidRequest(found)
    owner = find_user_by_email(email)
    if owner is None:
        try:
            user = add_user(
                email=email, name=name, role=role, password=password, timezone=timezone, self_registered=True, now=now
            )
        except InvalidRequest:
            # Someone registered the address between our look and our insert: it has an owner now.
            owner = find_user_by_email(email)
            if owner is None:
                raise
        else:
            _queue_confirmation(user, now)
            db.session.commit()
            return
    # As long as a real registration takes (the hash is nearly all of it), so the time tells nothing either.
    generate_password_hash(password)
    notify.account_mail(MailKind.REGISTRATION_ATTEMPT, owner, now, forgot_url=public_url("auth.forgot"))
    db.session.commit()


def send_new_link(user: User, now: datetime) -> None:
    """Mail `user` a new confirmation link, and commit. Links sent earlier keep working until
    they expire: they all confirm the same address."""
    _queue_confirmation(user, now)
    db.session.commit()


def confirmation_token(user: User, now: datetime) -> str:
    """The signed token of a confirmation link: this person, this address."""
    return account_tokens().issue(Purpose.CONFIRM_EMAIL, [user.id, user.email], now)


def _queue_confirmation(user: User, now: datetime) -> None:
    notify.account_mail(
        MailKind.EMAIL_CONFIRMATION,
        user,
        now,
        confirm_url=public_url("auth.confirm", token=confirmation_token(user, now)),
        hours=current_app.config["EMAIL_CONFIRMATION_HOURS"],
    )


def person_to_confirm(token: str, now: datetime) -> User:
    """The person a confirmation link was made for; InvalidAccountToken if it is not a genuine,
    unexpired confirmation link for the address they have now."""
    max_age = timedelta(hours=current_app.config["EMAIL_CONFIRMATION_HOURS"])
    user_id, email = account_tokens().read(Purpose.CONFIRM_EMAIL, token, max_age=max_age, now=now, shape=(int, str))
    user = user_named_by_link(user_id)
    if user is None or user.email != email:
        raise InvalidAccountToken("no such person, or not their address any more")
    return user


def confirm_address(user: User, now: datetime) -> None:
    """Mark the address confirmed and commit; confirming again keeps the first time."""
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now
        db.session.commit()

