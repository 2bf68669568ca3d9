"""Joining a session: its access window with the app's settings, signed join links, and the attempt log.

Both doors — `/join/<token>` in a browser and `GET /api/…/join` — come through
`attempt`: it decides in the contract's order, records the attempt, and only when
the caller may join does it make the meeting address (which nothing else ever sees).
"""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import Response, current_app, url_for

from meetapp.domain.access import Access, JoinRefusal, evaluate, refuse_join
from meetapp.domain.join_tokens import InvalidJoinToken, JoinClaim, JoinTokens
from meetapp.domain.video import Participant, join_url
from meetapp.extensions import db
from meetapp.meetings import host_start_url, jitsi_settings, meeting_of
from meetapp.models import AttendanceEvent, MentoringSession, User
from meetapp.urls import public_url


@dataclass(frozen=True)
class JoinStatus:
    """What the join status fragment shows one viewer at one moment."""

    access: Access
    # A fresh short-lived `/join/<token>`, only while the viewer may join.
    join_path: str | None


@dataclass(frozen=True)
class JoinAttempt:
    session: MentoringSession | None
    refusal: JoinRefusal | None
    access: Access | None = None
    meeting_url: str | None = None


def redirect_to_meeting(meeting_url: str) -> Response:
    """A 302 whose only mention of the meeting is the Location header (Werkzeug's default body repeats it)."""
    return Response(
        status=302,
        headers={"Location": meeting_url, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def default_window_minutes() -> tuple[int, int]:
    """The configured early/late minutes, for session types that leave theirs empty."""
    config = current_app.config
    return config["JITSI_ALLOW_EARLY_MINUTES"], config["JITSI_MAX_LATE_MINUTES"]


def window_minutes(session: MentoringSession) -> tuple[int, int]:
    """The session type's early/late minutes, or the configured defaults where it leaves them empty."""
    kind = session.session_type
    early, late = default_window_minutes()
    return (
        kind.early_access_minutes if kind.early_access_minutes is not None else early,
        kind.late_access_minutes if kind.late_access_minutes is not None else late,
    )


def access_for(session: MentoringSession, viewer: User | None, now: datetime) -> Access:
    early, late = window_minutes(session)
    return evaluate(
        status=session.status,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        early_minutes=early,
        late_minutes=late,
        now=now,
        timezone=viewer.timezone if viewer is not None else "UTC",
    )


def join_tokens() -> JoinTokens:
    return JoinTokens(current_app.config["SECRET_KEY"], current_app.config.get("SECRET_KEY_FALLBACKS", []))


def _join_token(session: MentoringSession, user: User, now: datetime, *, short_lived: bool) -> str:
    return join_tokens().issue(JoinClaim(session.id, user.id, session.link_version, short_lived), now)


def join_path(session: MentoringSession, user: User, now: datetime, *, short_lived: bool) -> str:
    """`/join/<token>` for this person; short-lived for buttons, long-lived for mail and calendars."""
    return url_for("join.enter", token=_join_token(session, user, now, short_lived=short_lived))


def status_for(session: MentoringSession, viewer: User, now: datetime) -> JoinStatus:
    """The viewer's join status; no SQL, so a page may ask it for every session it lists."""
    access = access_for(session, viewer, now)
    path = join_path(session, viewer, now, short_lived=True) if access.can_join else None
    return JoinStatus(access, path)


def join_link(session: MentoringSession, user: User, now: datetime) -> str:
    """The absolute, long-lived join link written into API answers, emails and calendar files."""
    return public_url("join.enter", token=_join_token(session, user, now, short_lived=False))


def session_of_token(token: str, now: datetime) -> tuple[JoinClaim | None, MentoringSession | None]:
    try:
        claim = join_tokens().read(token, now)
    except InvalidJoinToken:
        return None, None
    return claim, db.session.get(MentoringSession, claim.session_id)


def attempt_by_claim(
    claim: JoinClaim | None, session: MentoringSession | None, user: User, now: datetime, address: str | None
) -> JoinAttempt:
    """`user` follows a join link whose claim and session `session_of_token` read."""
    if session is None:
        return JoinAttempt(None, JoinRefusal.NOT_FOUND)
    return _attempt(session, user, now, address, claim)


def attempt_by_id(session_id: str, user: User, now: datetime, address: str | None) -> JoinAttempt:
    session = db.session.get(MentoringSession, session_id) if 0 < len(session_id) <= 32 else None
    if session is None:
        return JoinAttempt(None, JoinRefusal.NOT_FOUND)
    return _attempt(session, user, now, address, None)


def record_anonymous_attempt(session: MentoringSession | None, now: datetime, address: str | None) -> None:
    """Someone not logged in followed a link: log it against the session the link names, if any."""
    if session is not None:
        _record(session, None, "denied", "unauthenticated", address, now)
        db.session.commit()


def _attempt(session: MentoringSession, user: User, now: datetime, address: str | None, claim: JoinClaim | None) -> JoinAttempt:
    access = access_for(session, user, now)
    refusal = refuse_join(
        caller_id=user.id,
        token_user_id=claim.user_id if claim else None,
        token_version=claim.link_version if claim else None,
        mentor_id=session.mentor_id,
        mentee_id=session.mentee_id,
        link_version=session.link_version,
        access=access,
    )
    meeting_address = None
    if refusal is None:
        person = Participant(user.id, user.name, user.email, is_host=user.id == session.mentor_id)
        # A Zoom host starts the meeting from a start URL fetched now (it expires); everyone else joins.
        meeting_address = (host_start_url(session) if person.is_host else None) or join_url(
            meeting_of(session),
            person,
            opens_at=access.window.opens_at,
            closes_at=access.window.closes_at,
            now=now,
            settings=jitsi_settings(),
        )
        _record(session, user.id, "joined", "in_window", address, now)
    else:
        reason = "revoked_link" if refusal is JoinRefusal.NOT_FOUND else refusal.value
        _record(session, user.id, "denied", reason, address, now)
    db.session.commit()
    return JoinAttempt(session, refusal, access, meeting_address)


# A plain INSERT built once: the log is only ever appended to, and the ORM's unit of work
# would cost more than the row.
_RECORD_ATTEMPT = sa.insert(AttendanceEvent.__table__)


def _record(session: MentoringSession, user_id: int | None, outcome: str, reason: str, address: str | None, now: datetime) -> None:
    db.session.execute(
        _RECORD_ATTEMPT,
        {"session_id": session.id, "user_id": user_id, "at": now, "outcome": outcome, "reason": reason, "address": address},
    )


ATTENDANCE_SHOWN = 200


def attendance_of(session: MentoringSession, limit: int = ATTENDANCE_SHOWN) -> list[tuple[AttendanceEvent, User | None]]:
    """The latest `limit` attempts on the session, oldest first, with the person where known (one query)."""
    rows = db.session.execute(
        sa.select(AttendanceEvent, User)
        .outerjoin(User, User.id == AttendanceEvent.user_id)
        .where(AttendanceEvent.session_id == session.id)
        .order_by(AttendanceEvent.at.desc(), AttendanceEvent.id.desc())
        .limit(limit)
    )
    return [(event, user) for event, user in rows][::-1]
