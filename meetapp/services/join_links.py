"""Signed join links with the app's keys, for API answers, mails and calendar invites (pages join
through `/sessions/<id>/join` with the login cookie instead). What a token means is meetapp.domain.join_tokens."""
from datetime import datetime

from flask import current_app

from meetapp.domain.join_tokens import JoinClaim, JoinTokens
from meetapp.models import MentoringSession, User
from meetapp.web.urls import public_url


def join_tokens() -> JoinTokens:
    return JoinTokens(current_app.config["SECRET_KEY"], current_app.config["SECRET_KEY_FALLBACKS"])


def _token(session: MentoringSession, user: User, now: datetime) -> str:
    return join_tokens().issue(JoinClaim(session.id, user.id, session.link_version, short_lived=False), now)


def join_link(session: MentoringSession, user: User, now: datetime) -> str:
    """The absolute, long-lived join link written into API answers, emails and calendar files."""
    return public_url("join.enter", token=_token(session, user, now))
