"""A stored session's access window: the domain's one rule (`access_window`), given the session
type's own minutes and the configured defaults (`JITSI_ALLOW_EARLY_MINUTES`, `JITSI_MAX_LATE_MINUTES`).

Everything that needs to know when a session can be joined asks here: the join proxy, the
status fragment, the dashboard, the access JSON, the mails and invites, and the provider retries.
"""
from datetime import datetime

from flask import current_app

from meetapp.domain.access import Access, Window, WindowMinutes, access_window, evaluate
from meetapp.models import MentoringSession, User


def default_minutes() -> WindowMinutes:
    config = current_app.config
    return WindowMinutes(early=config["JITSI_ALLOW_EARLY_MINUTES"], late=config["JITSI_MAX_LATE_MINUTES"])


def window_of(session: MentoringSession) -> Window:
    kind = session.session_type
    return access_window(
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        early_minutes=kind.early_access_minutes,
        late_minutes=kind.late_access_minutes,
        defaults=default_minutes(),
    )


def access_of(session: MentoringSession, viewer: User | None, now: datetime) -> Access:
    """Whether and when `viewer` can join, with a message in their time zone."""
    return evaluate(
        status=session.status,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        window=window_of(session),
        now=now,
        timezone=viewer.timezone if viewer is not None else "UTC",
    )
