"""Signed join links with the app's keys: short-lived ones for Join buttons, long-lived ones for
API answers, mails and calendar invites. What a token means is meetapp.domain.join_tokens."""
from datetime import datetime

from flask import current_app, url_for

from meetapp.domain.join_tokens import JoinClaim, JoinTokens
from meetapp.models import MentoringSession, User
from meetapp.web.urls import public_url


def join_tokens() -> JoinTokens:
    return JoinTokens(current_app.config["SECRET_KEY"], current_app.config["SECRET_KEY_FALLBACKS"])


def _token(session: MentoringSession, user: User, now: datetime, *, short_lived: bool) -> str:
    return join_tokens().issue(JoinClaim(session.id, user.id, session.link_version, short_lived), now)


def join_path(session: MentoringSession, user: User, now: datetime, *, short_lived: bool) -> str:
    """`/join/<token>` for this person; short-lived for buttons, long-lived for mail and calendars."""
    return url_for("join.enter", token=_token(session, user, now, short_lived=short_lived))


def join_link(session: MentoringSession, user: User, now: datetime) -> str:
    """The absolute, long-lived join link written into API answers, emails and calendar files."""
    return public_url("join.enter", token=_token(session, user, now, short_lived=False))
