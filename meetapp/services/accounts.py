"""Creating accounts and personal API tokens, shared by registration, settings and the CLI."""
import hashlib
import secrets
import unicodedata
from datetime import datetime, timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import orm

from meetapp.domain.account_tokens import AccountTokens
from meetapp.domain.accounts import MentorApproval
from meetapp.domain.errors import InvalidRequest
from meetapp.domain.scheduling import Role
from meetapp.domain.timeutil import is_timezone, utcnow
from meetapp.extensions import db
from meetapp.models import ApiToken, MentorProfile, User, normalise_email

# Ids are 32-bit integers: a larger number would overflow in PostgreSQL's hands.
MAX_USER_ID = 2**31 - 1
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
TOKEN_PREFIX = "mtk_"
# last_used_at is a hint for the person, not an audit log: write it at most this often.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


def user_named_by_link(user_id: int) -> User | None:
    """The person a signed link names by id, or None: an id no row can have (PostgreSQL's integer
    would overflow) is nobody, not a database error."""
    return db.session.get(User, user_id) if 0 < user_id <= MAX_USER_ID else None


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def check_account_fields(*, email: str, name: str, role: str, password: str, timezone: str) -> dict[str, str]:
    """Field errors for a new account, keyed by field name; empty when all is well."""
    errors: dict[str, str] = {}
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        errors["email"] = str(exc)
    else:
        if find_user_by_email(email) is not None:
            errors["email"] = "An account with this email already exists."
    if role not in set(Role):
        errors["role"] = "Choose one of the roles mentor, mentee or admin."
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        errors["password"] = f"Use at least {MIN_PASSWORD_LENGTH} characters."
    return errors | check_profile_fields(name=name, timezone=timezone)


def check_profile_fields(*, name: str, timezone: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not name.strip() or len(name.strip()) > 120:
        errors["name"] = "Give a name of 1 to 120 characters."
    elif any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        # Line breaks and hidden characters would break mail headers and disguise a name.
        errors["name"] = "Use letters, spaces and punctuation only: no line breaks or hidden characters."
    if not is_timezone(timezone):
        errors["timezone"] = "Choose a time zone such as Europe/Berlin."
    return errors


def create_user(**account) -> User:
    """Create and commit a user (see `add_user`); InvalidRequest on bad input, nothing written."""
    user = add_user(**account)
    db.session.commit()
    return user


def add_user(
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    timezone: str = "UTC",
    self_registered: bool = False,
    now: datetime | None = None,
) -> User:
    """Add a user (with a mentor profile for mentors) and flush it, so it has its id; the caller
    commits, with whatever belongs with it. InvalidRequest on bad input, with the transaction rolled back.

    An operator's account (the CLI, the demo) is trusted as made: its address counts as confirmed
    and a mentor as approved. A `self_registered` one must confirm its address by the mailed link,
    and a self-registered mentor waits for an admin's approval.
    """
    errors = check_account_fields(email=email, name=name, role=role, password=password, timezone=timezone)
    if errors:
        raise InvalidRequest(errors)
    now = now or utcnow()
    user = User(
        email=email,
        name=name.strip(),
        role=Role(role),
        timezone=timezone,
        created_at=now,
        email_confirmed_at=None if self_registered else now,
    )
    user.set_password(password)
    if user.role is Role.MENTOR:
        user.mentor_profile = MentorProfile(
            approval=MentorApproval.PENDING if self_registered else MentorApproval.APPROVED,
            approval_changed_at=None if self_registered else now,
        )
    db.session.add(user)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        # Someone registered the same email between our check and our insert.
        db.session.rollback()
        raise InvalidRequest({"email": "An account with this email already exists."}) from None
    return user


def update_profile(user: User, *, name: str, timezone: str) -> None:
    """Change a person's display name and time zone; InvalidRequest on bad input, nothing written."""
    errors = check_profile_fields(name=name, timezone=timezone)
    if errors:
        raise InvalidRequest(errors)
    user.name = name.strip()
    user.timezone = timezone
    db.session.commit()


def account_tokens() -> AccountTokens:
    """Signed reset links, confirmation links and device cookies, under this app's keys."""
    config = current_app.config
    return AccountTokens(config["SECRET_KEY"], config["SECRET_KEY_FALLBACKS"])


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(user: User, label: str = "API token") -> str:
    """Create a token for `user`, commit, and return it; only its hash is stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_hash(token), prefix=token[:12], label=label[:80]))
    db.session.commit()
    return token


# Built once, with its person in the same SELECT: every API request runs it.
_TOKEN_BY_HASH = sa.select(ApiToken).options(orm.joinedload(ApiToken.user)).where(
    ApiToken.token_hash == sa.bindparam("token_hash")
)


def user_for_token(token: str, now: datetime) -> User | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        return None
    api_token = db.session.scalar(_TOKEN_BY_HASH, {"token_hash": _hash(token)})
    if api_token is None:
        return None
    if api_token.last_used_at is None or now - api_token.last_used_at > TOKEN_TOUCH_INTERVAL:
        api_token.last_used_at = now
        db.session.commit()
    return api_token.user


def tokens_of(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc()))
    )


def revoke_api_token(user: User, token_id: int) -> bool:
    result = db.session.execute(sa.delete(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    db.session.commit()
    return result.rowcount == 1
