"""Joining a session: its access window with the app's settings, signed join links, and the attempt log.

Both doors — `/join/<token>` in a browser and `GET /api/…/join` — come through
`attempt`: it decides in the contract's order, records the attempt, and only when
the caller may join does it make the meeting address (which nothing else ever sees).
"""
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from flask import Response, current_app, url_for

from meetapp import autocommit, viewers
from meetapp.domain.access import Access, JoinRefusal, evaluate, refuse_join
from meetapp.domain.join_tokens import InvalidJoinToken, JoinClaim, JoinTokens
from meetapp.domain.scheduling import SessionStatus
from meetapp.domain.video import Participant, join_url
from meetapp.extensions import db
from meetapp.models import AttendanceEvent, MentoringSession, SessionType, User
from meetapp.services.meetings import host_start_url, jitsi_settings, meeting_of
from meetapp.web.rate_limits import count_refusal
from meetapp.web.urls import public_url


@dataclass(frozen=True)
class JoinStatus:
    """What the join status fragment shows one viewer at one moment."""

    access: Access
    # A fresh short-lived `/join/<token>`, only while the viewer may join.
    join_path: str | None


class JoinTarget(NamedTuple):
    """What a join attempt is decided on, read as one flat row: the session's state, its window,
    its two people and its meeting. Named like MentoringSession's columns, so the meeting
    helpers read either."""

    id: str
    status: SessionStatus
    starts_at: datetime
    ends_at: datetime
    link_version: int
    mentor_id: int
    mentee_id: int
    early_access_minutes: int | None
    late_access_minutes: int | None
    video_provider: str
    meeting_kind: str
    meeting_room: str | None
    meeting_url: str | None
    meeting_external_id: str | None
    meeting_notice: str | None


# Built once: every join reads one row with it, without building ORM objects it would not use.
# The person following the link, if the login cookie names one, is read in the same query and
# handed to Flask-Login (see viewers.read_along), so a join costs one SELECT, not two.
_JOIN_TARGET = viewers.read_along(
    sa.select(
        MentoringSession.id,
        MentoringSession.status,
        MentoringSession.starts_at,
        MentoringSession.ends_at,
        MentoringSession.link_version,
        MentoringSession.mentor_id,
        MentoringSession.mentee_id,
        SessionType.early_access_minutes,
        SessionType.late_access_minutes,
        MentoringSession.video_provider,
        MentoringSession.meeting_kind,
        MentoringSession.meeting_room,
        MentoringSession.meeting_url,
        MentoringSession.meeting_external_id,
        MentoringSession.meeting_notice,
    )
    .join(SessionType, SessionType.id == MentoringSession.session_type_id)
    .where(MentoringSession.id == sa.bindparam("session_id"))
)
_TARGET_WIDTH = len(JoinTarget._fields)


def join_target(session_id: str, viewer_id: int | None = None) -> JoinTarget | None:
    """The session a join names, as one flat row (one query), or None.

    With `viewer_id`, the same query reads that person too and hands them to Flask-Login.
    """
    if not 0 < len(session_id) <= 32:
        return None
    row = autocommit.connection().execute(_JOIN_TARGET, {"session_id": session_id, "viewer_id": viewer_id}).first()
    return JoinTarget(*viewers.own_part(row, _TARGET_WIDTH)) if row is not None else None


@dataclass(frozen=True)
class JoinAttempt:
    target: JoinTarget | None
    refusal: JoinRefusal | None
    access: Access | None = None
    meeting_url: str | None = None

    def session(self) -> MentoringSession | None:
        """The whole session, for a page that explains a refusal (one more query)."""
        return db.session.get(MentoringSession, self.target.id) if self.target is not None else None


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


def window_minutes(session: MentoringSession | JoinTarget) -> tuple[int, int]:
    """The session type's early/late minutes, or the configured defaults where it leaves them empty."""
    if isinstance(session, JoinTarget):
        own_early, own_late = session.early_access_minutes, session.late_access_minutes
    else:
        own_early, own_late = session.session_type.early_access_minutes, session.session_type.late_access_minutes
    early, late = default_window_minutes()
    return (own_early if own_early is not None else early, own_late if own_late is not None else late)


def access_for(session: MentoringSession | JoinTarget, viewer: User | None, now: datetime) -> Access:
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


def target_of_token(token: str, now: datetime) -> tuple[JoinClaim | None, JoinTarget | None]:
    """The claim a join link makes, and the session it names; (None, None) for a link that is not ours.

    Whoever the login cookie names is read along with the session (see join_target).
    """
    try:
        claim = join_tokens().read(token, now)
    except InvalidJoinToken:
        return None, None
    return claim, join_target(claim.session_id, viewers.cookie_user_id())


def attempt_by_claim(
    claim: JoinClaim | None, target: JoinTarget | None, user: User, now: datetime, address: str | None
) -> JoinAttempt:
    """`user` follows a join link whose claim and session `target_of_token` read.

    A refusal counts against `address` first, and raises TooManyRefusals (429) unrecorded
    once the address is over its limit: a flood of refusals writes no flood of rows.
    """
    if target is None:
        count_refusal(address)
        return JoinAttempt(None, JoinRefusal.NOT_FOUND)
    return _attempt(target, user, now, address, claim)


def attempt_by_id(session_id: str, user: User, now: datetime, address: str | None) -> JoinAttempt:
    """`user` asks to join the session `session_id` (the API's door); refusals count as above."""
    target = join_target(session_id)
    if target is None:
        count_refusal(address)
        return JoinAttempt(None, JoinRefusal.NOT_FOUND)
    return _attempt(target, user, now, address, None)


def record_anonymous_attempt(target: JoinTarget | None, now: datetime, address: str | None) -> None:
    """Someone not logged in followed a link: log it against the session the link names, if any."""
    if target is not None:
        _record(target.id, None, "denied", "unauthenticated", address, now)
        autocommit.commit()


def _attempt(target: JoinTarget, user: User, now: datetime, address: str | None, claim: JoinClaim | None) -> JoinAttempt:
    access = access_for(target, user, now)
    refusal = refuse_join(
        caller_id=user.id,
        token_user_id=claim.user_id if claim else None,
        token_version=claim.link_version if claim else None,
        mentor_id=target.mentor_id,
        mentee_id=target.mentee_id,
        link_version=target.link_version,
        access=access,
    )
    meeting_address = None
    if refusal is None:
        person = Participant(user.id, user.name, user.email, is_host=user.id == target.mentor_id)
        # A Zoom host starts the meeting from a start URL fetched now (it expires); everyone else joins.
        meeting_address = (host_start_url(target) if person.is_host else None) or join_url(
            meeting_of(target),
            person,
            opens_at=access.window.opens_at,
            closes_at=access.window.closes_at,
            now=now,
            settings=jitsi_settings(),
        )
        _record(target.id, user.id, "joined", "in_window", address, now)
    else:
        count_refusal(address)
        reason = "revoked_link" if refusal is JoinRefusal.NOT_FOUND else refusal.value
        _record(target.id, user.id, "denied", reason, address, now)
    autocommit.commit()
    return JoinAttempt(target, refusal, access, meeting_address)


# A plain INSERT built once: the log is only ever appended to, and the ORM's unit of work
# would cost more than the row.
_RECORD_ATTEMPT = sa.insert(AttendanceEvent.__table__)


def _record(session_id: str, user_id: int | None, outcome: str, reason: str, address: str | None, now: datetime) -> None:
    autocommit.connection().execute(
        _RECORD_ATTEMPT,
        {"session_id": session_id, "user_id": user_id, "at": now, "outcome": outcome, "reason": reason, "address": address},
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
