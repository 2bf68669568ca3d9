"""Database models. Datetimes are aware UTC on the Python side on every database."""
from datetime import UTC, datetime
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from meetapp.domain.accounts import LoginId, MentorApproval
from meetapp.domain.notifications import MailKind, MailStatus
from meetapp.domain.scheduling import Role, SessionStatus, awaits_confirmation_by, new_session_id
from meetapp.domain.timeutil import minutes_between, utcnow
from meetapp.extensions import db


class UTCDateTime(sa.types.TypeDecorator):
    """Store UTC, always hand back aware UTC (SQLite returns naive values otherwise)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum(enum_cls, name: str, length: int = 16) -> sa.Enum:
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [member.value for member in members],
    )


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Stored lower-cased (see `normalise_email`), so the unique index is case-insensitive.
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(256))
    role: so.Mapped[Role] = so.mapped_column(_enum(Role, "user_role"))
    timezone: so.Mapped[str] = so.mapped_column(sa.String(64), default="UTC")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    # Both login cookies carry it (see `login_id`); bumping it ends every login of this person at once.
    login_version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    # Set once the person followed the link mailed to the address; until then they can neither book nor be booked.
    email_confirmed_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime)
    # Counts the changes to this person's sessions (services.changes): the live pages' ETag.
    sessions_version: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    # An admin who asked to be mailed each finalised no-show (settings page).
    mail_no_shows: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    # The person's Google account id (the `{id}` of Meet's `users/{id}`), where known: Meet's
    # participants are matched by it.
    google_account_id: so.Mapped[Optional[str]] = so.mapped_column(sa.String(64), unique=True, index=True)

    mentor_profile: so.Mapped[Optional["MentorProfile"]] = so.relationship(
        back_populates="user", cascade="all, delete-orphan", foreign_keys="MentorProfile.user_id"
    )

    # Flask-Login calls `get_id` when a person logs in; `login_started` is then set by
    # `services.logins.log_in`, and the cookies carry both (see domain.accounts.LoginId).
    login_started = None  # int, Unix seconds; not a column

    def get_id(self) -> str:
        if self.login_started is None:
            raise RuntimeError("log people in with meetapp.services.logins.log_in, which starts the login")
        return str(LoginId(self.id, self.login_version, self.login_started))

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @so.validates("email")
    def _normalise_email(self, key: str, value: str) -> str:
        return normalise_email(value)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_mentor(self) -> bool:
        return self.role is Role.MENTOR

    @property
    def is_mentee(self) -> bool:
        return self.role is Role.MENTEE

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


def normalise_email(value: str) -> str:
    return value.strip().lower()


class MentorProfile(db.Model):
    __tablename__ = "mentor_profiles"

    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    video_provider: so.Mapped[str] = so.mapped_column(sa.String(16), default="jitsi", server_default="jitsi")
    manual_meeting_url: so.Mapped[Optional[str]] = so.mapped_column(sa.String(2048))
    auto_confirm: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    # The mentor's account at the provider: meetings are created as (Zoom) or for (Google) this user.
    zoom_user: so.Mapped[Optional[str]] = so.mapped_column(sa.String(254))
    google_user: so.Mapped[Optional[str]] = so.mapped_column(sa.String(254))
    # Bumped by every booking and reschedule with this mentor: the UPDATE takes the
    # row lock (PostgreSQL) or the write lock (SQLite) that serialises overlap checks.
    schedule_version: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    # A self-registered mentor waits for an admin (see domain.accounts.MentorApproval).
    approval: so.Mapped[MentorApproval] = so.mapped_column(
        _enum(MentorApproval, "mentor_approval"), default=MentorApproval.PENDING, server_default="pending"
    )
    # The admin's last decision: why (a suspension always says), when and who.
    approval_reason: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))
    approval_changed_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime)
    approval_changed_by_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    # The public profile on /mentors (meetapp.services.mentors).
    headline: so.Mapped[Optional[str]] = so.mapped_column(sa.String(120))
    bio: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)
    # When mentees may book (meetapp.services.mentor_hours): hours per weekday as
    # {"mon": [["09:00", "12:00"], …]} in `availability_timezone` (None: the mentor's own zone), dated
    # exceptions as [{"date": "2026-12-24", "hours": []}]. No weekly hours: bookable at any free time.
    availability_timezone: so.Mapped[Optional[str]] = so.mapped_column(sa.String(64))
    weekly_hours: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict, server_default=sa.text("'{}'"))
    hour_exceptions: so.Mapped[list] = so.mapped_column(sa.JSON, default=list, server_default=sa.text("'[]'"))
    buffer_minutes: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    minimum_notice_minutes: so.Mapped[int] = so.mapped_column(default=240, server_default="240")
    horizon_days: so.Mapped[int] = so.mapped_column(default=60, server_default="60")

    user: so.Mapped[User] = so.relationship(back_populates="mentor_profile", foreign_keys=[user_id])
    approval_changed_by: so.Mapped[Optional[User]] = so.relationship(foreign_keys=[approval_changed_by_id])
    specialties: so.Mapped[list["MentorSpecialty"]] = so.relationship(
        cascade="all, delete-orphan", order_by="MentorSpecialty.name_key"
    )
    languages: so.Mapped[list["MentorLanguage"]] = so.relationship(
        cascade="all, delete-orphan", order_by="MentorLanguage.name_key"
    )
    # The session types the mentor offers; none means every type.
    offered_types: so.Mapped[list["SessionType"]] = so.relationship(
        secondary="mentor_session_types", order_by="SessionType.id"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "video_provider IN ('jitsi', 'google', 'zoom', 'manual')", name="video_provider_known"
        ),
        sa.CheckConstraint("buffer_minutes BETWEEN 0 AND 240", name="buffer_range"),
        sa.CheckConstraint("minimum_notice_minutes BETWEEN 0 AND 43200", name="notice_range"),
        sa.CheckConstraint("horizon_days BETWEEN 1 AND 365", name="horizon_range"),
    )


class MentorSpecialty(db.Model):
    """A free tag naming what a mentor helps with, as they wrote it; `name_key` (lower case) finds it."""

    __tablename__ = "mentor_specialties"

    mentor_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("mentor_profiles.user_id", ondelete="CASCADE"), primary_key=True
    )
    name_key: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True, index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(40))


class MentorLanguage(db.Model):
    """A language a mentor takes sessions in, as they wrote it; `name_key` (lower case) finds it."""

    __tablename__ = "mentor_languages"

    mentor_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("mentor_profiles.user_id", ondelete="CASCADE"), primary_key=True
    )
    name_key: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True, index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(40))


mentor_session_types = sa.Table(
    "mentor_session_types",
    db.metadata,
    sa.Column("mentor_id", sa.ForeignKey("mentor_profiles.user_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("session_type_id", sa.ForeignKey("session_types.id", ondelete="CASCADE"), primary_key=True),
)


class SessionType(db.Model):
    __tablename__ = "session_types"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    default_duration_minutes: so.Mapped[int] = so.mapped_column(default=60)
    # Empty means "use JITSI_ALLOW_EARLY_MINUTES / JITSI_MAX_LATE_MINUTES".
    early_access_minutes: so.Mapped[Optional[int]]
    late_access_minutes: so.Mapped[Optional[int]]

    __table_args__ = (
        sa.CheckConstraint("default_duration_minutes BETWEEN 15 AND 240", name="duration_range"),
        sa.CheckConstraint("early_access_minutes >= 0", name="early_not_negative"),
        sa.CheckConstraint("late_access_minutes >= 0", name="late_not_negative"),
    )


class MentoringSession(db.Model):
    __tablename__ = "mentoring_sessions"

    id: so.Mapped[str] = so.mapped_column(sa.String(32), primary_key=True, default=new_session_id)
    mentor_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    mentee_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    session_type_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("session_types.id"))
    # The end is stored (not only the duration) so overlap checks are one indexed range query.
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    ends_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    status: so.Mapped[SessionStatus] = so.mapped_column(
        _enum(SessionStatus, "session_status"), default=SessionStatus.PENDING
    )
    # Every join link carries this; bumping it revokes all earlier links.
    link_version: so.Mapped[int] = so.mapped_column(default=1)
    # Why, by whom and when the session ended early: cancelled by either person, or declined by the mentor.
    cancel_reason: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))
    cancelled_by_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    confirmed_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime)
    cancelled_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime)
    # The meeting (see meetapp.domain.video). The room or URL is only ever redirected to, never shown.
    video_provider: so.Mapped[str] = so.mapped_column(sa.String(16), default="jitsi", server_default="jitsi")
    meeting_kind: so.Mapped[str] = so.mapped_column(sa.String(16), default="jitsi", server_default="jitsi")
    meeting_room: so.Mapped[Optional[str]] = so.mapped_column(sa.String(100))
    meeting_url: so.Mapped[Optional[str]] = so.mapped_column(sa.String(2048))
    meeting_external_id: so.Mapped[Optional[str]] = so.mapped_column(sa.String(255))
    # Zoom's meeting passcode (its join_url usually carries it too), Google Meet's meeting code.
    meeting_password: so.Mapped[Optional[str]] = so.mapped_column(sa.String(64))
    meeting_code: so.Mapped[Optional[str]] = so.mapped_column(sa.String(64))
    # Set while the provider's meeting is still to be made (the session meets on Jitsi until
    # then): when the worker tries next, and how often it has tried.
    meeting_retry_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime, index=True)
    meeting_attempts: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    # Why the meeting is not what the mentor chose (e.g. "Zoom is not connected"), shown to the mentor.
    meeting_notice: so.Mapped[Optional[str]] = so.mapped_column(sa.String(300))
    # When the participants were last mailed the time and link (confirmation, reschedule,
    # new link); reminders that came due before then are not sent.
    announced_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime)
    # Optimistic lock: a change made from a stale copy fails instead of overwriting another.
    revision: so.Mapped[int] = so.mapped_column(default=1)
    # The mentor's and the mentee's `sessions_version` at this session's last change (services.changes):
    # a page that has seen version v of a person asks only for their sessions changed after v.
    mentor_version_at_change: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    mentee_version_at_change: so.Mapped[int] = so.mapped_column(default=0, server_default="0")

    # Joined eagerly: every view of a session shows both people and the type, in one query.
    mentor: so.Mapped[User] = so.relationship(foreign_keys=[mentor_id], lazy="joined", innerjoin=True)
    mentee: so.Mapped[User] = so.relationship(foreign_keys=[mentee_id], lazy="joined", innerjoin=True)
    session_type: so.Mapped[SessionType] = so.relationship(lazy="joined", innerjoin=True)
    # Not joined: it is nearly always the mentor or the mentee, already loaded, so reading it
    # finds them in the identity map; only an admin's cancellation costs a query.
    cancelled_by: so.Mapped[Optional[User]] = so.relationship(foreign_keys=[cancelled_by_id])

    __table_args__ = (
        sa.Index("ix_mentoring_sessions_mentor_id_starts_at", "mentor_id", "starts_at"),
        # The presence webhooks find a session by its Jitsi room or its Zoom meeting id.
        sa.Index("ix_mentoring_sessions_meeting_room", "meeting_room"),
        sa.Index("ix_mentoring_sessions_meeting_external_id", "meeting_external_id"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("link_version >= 1", name="link_version_positive"),
        sa.CheckConstraint(
            "video_provider IN ('jitsi', 'google', 'zoom', 'manual')", name="session_video_provider_known"
        ),
        sa.CheckConstraint(
            "(meeting_kind = 'jitsi' AND meeting_room IS NOT NULL)"
            " OR (meeting_kind = 'manual' AND meeting_url IS NOT NULL)"
            " OR (meeting_kind IN ('zoom', 'google') AND meeting_url IS NOT NULL AND meeting_external_id IS NOT NULL)",
            name="meeting_is_reachable",
        ),
    )
    __mapper_args__ = {"version_id_col": revision}

    @property
    def duration_minutes(self) -> int:
        return minutes_between(self.starts_at, self.ends_at)

    def is_participant(self, user_id: int) -> bool:
        return user_id in (self.mentor_id, self.mentee_id)

    def other_participant(self, user_id: int) -> User:
        return self.mentee if user_id == self.mentor_id else self.mentor

    def awaits_confirmation_by(self, user_id: int) -> bool:
        return awaits_confirmation_by(user_id, self.mentor_id, self.status)

    def __repr__(self) -> str:
        return f"<MentoringSession {self.id} {self.status} {self.starts_at:%Y-%m-%d %H:%M}Z>"


class ApiToken(db.Model):
    """A personal API token. Only its SHA-256 is kept; the token is shown once."""

    __tablename__ = "api_tokens"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    # The first characters, so a person can tell their tokens apart.
    prefix: so.Mapped[str] = so.mapped_column(sa.String(16))
    label: so.Mapped[str] = so.mapped_column(sa.String(80))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_used_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime)

    user: so.Mapped[User] = so.relationship()


class AttendanceEvent(db.Model):
    """One join attempt, allowed or refused."""

    __tablename__ = "attendance_events"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    session_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("mentoring_sessions.id", ondelete="CASCADE"))
    user_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    outcome: so.Mapped[str] = so.mapped_column(sa.String(16))
    reason: so.Mapped[str] = so.mapped_column(sa.String(40))
    # The client's address, for spotting repeated refused attempts.
    address: so.Mapped[Optional[str]] = so.mapped_column(sa.String(45))

    __table_args__ = (
        sa.Index("ix_attendance_events_session_id_at", "session_id", "at"),
        sa.CheckConstraint("outcome IN ('joined', 'denied')", name="outcome_known"),
    )


class PresenceEvent(db.Model):
    """One thing a video provider told us about a session's meeting: a participant joined or left it,
    or the meeting ended (`participant_key` None). domain.presence pairs them into intervals.

    Only what the attendance report needs is kept: the matched person, the times, and the
    provider's key for the participant. A display name is kept only for a participant who
    matched nobody, so the mentor can see that someone else was there.
    """

    __tablename__ = "presence_events"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    session_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("mentoring_sessions.id", ondelete="CASCADE"))
    # jitsi (self-hosted event_sync), jaas, zoom or google
    source: so.Mapped[str] = so.mapped_column(sa.String(8))
    # joined, left, or ended (the room was destroyed / the meeting ended: everyone in it left)
    kind: so.Mapped[str] = so.mapped_column(sa.String(8))
    # When it happened by the provider's clock; events are read in this order, not in arrival order.
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    participant_key: so.Mapped[Optional[str]] = so.mapped_column(sa.String(255))
    user_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    display_name: so.Mapped[Optional[str]] = so.mapped_column(sa.String(120))
    # The event's identity at its source (JaaS's idempotencyKey, a digest of the body, …): a
    # redelivered event is recorded once.
    delivery_key: so.Mapped[str] = so.mapped_column(sa.String(255), unique=True)
    received_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)

    __table_args__ = (
        sa.Index("ix_presence_events_session_id_at", "session_id", "at"),
        sa.Index("ix_presence_events_received_at", "received_at"),
        sa.CheckConstraint("source IN ('jitsi', 'jaas', 'zoom', 'google')", name="presence_source_known"),
        sa.CheckConstraint("kind IN ('joined', 'left', 'ended')", name="presence_kind_known"),
        sa.CheckConstraint("kind = 'ended' OR participant_key IS NOT NULL", name="presence_has_participant"),
        sa.CheckConstraint("user_id IS NULL OR display_name IS NULL", name="presence_name_only_if_unmatched"),
    )


class AttendanceReport(db.Model):
    """A session's attendance as the worker finalised it once its access window closed
    (services.attendance). A provider's event that comes later updates it, and the change is
    kept in AttendanceReportChange."""

    __tablename__ = "attendance_reports"

    session_id: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("mentoring_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    outcome: so.Mapped[str] = so.mapped_column(sa.String(16))
    mentor_state: so.Mapped[str] = so.mapped_column(sa.String(24))
    mentee_state: so.Mapped[str] = so.mapped_column(sa.String(24))
    minutes_together: so.Mapped[int]
    # The source whose events the report was read from; None when none reports this meeting's
    # presence (a public meet.jit.si room, a mentor's own link): the outcome is then `unknown`.
    presence_source: so.Mapped[Optional[str]] = so.mapped_column(sa.String(8))
    finalised_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
    changed_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime)


class AttendanceReportChange(db.Model):
    """A finalised report changed by a late event: what it said before and after."""

    __tablename__ = "attendance_report_changes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    session_id: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("mentoring_sessions.id", ondelete="CASCADE"), index=True
    )
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    # "outcome mentor_state mentee_state minutes_together", e.g. "mentee_no_show attended no_show 0"
    before: so.Mapped[str] = so.mapped_column(sa.String(80))
    after: so.Mapped[str] = so.mapped_column(sa.String(80))


class ZoomRegistrant(db.Model):
    """One participant registered for a session's Zoom meeting: their own join URL (handed out
    only by the join proxy) and the registrant id Zoom's events name them by."""

    __tablename__ = "zoom_registrants"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    session_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("mentoring_sessions.id", ondelete="CASCADE"))
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    # The Zoom meeting the registration is for: a new link (new meeting) needs new registrations.
    meeting_id: so.Mapped[str] = so.mapped_column(sa.String(255))
    registrant_id: so.Mapped[str] = so.mapped_column(sa.String(255), index=True)
    join_url: so.Mapped[str] = so.mapped_column(sa.String(2048))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)

    __table_args__ = (
        sa.UniqueConstraint("session_id", "user_id", "meeting_id", name="uq_zoom_registrant"),
    )


class PresenceFetch(db.Model):
    """Reading a Google Meet session's presence after its window closed: Google has no push,
    so the worker asks, and asks again with backoff until it has the records or gives up."""

    __tablename__ = "presence_fetches"

    session_id: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("mentoring_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    attempts: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
    # Set when the records were read, or reading gave up; the report waits until then.
    finished_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime)
    last_error: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))


class AdminAction(db.Model):
    """One thing an admin did (approved a mentor, retried a mail, made a new link, …): who, when, to what."""

    __tablename__ = "admin_actions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    admin_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
    # e.g. "mentor.approve", "mentor.suspend", "mail.retry", "session.new_link"
    action: so.Mapped[str] = so.mapped_column(sa.String(40))
    # What it was done to, e.g. "user:12", "session:Xy…", "mail:7".
    subject: so.Mapped[str] = so.mapped_column(sa.String(80))
    detail: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))

    admin: so.Mapped[Optional[User]] = so.relationship()


class PasswordResetRequest(db.Model):
    """Someone asked for a password reset link for this address. The worker mails the link if the
    address has an account, so the form does the same work, and answers in the same time, either way."""

    __tablename__ = "password_reset_requests"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254))
    requested_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class OutboxMail(db.Model):
    """One mail, rendered and written in the same transaction as the change that caused it.

    `flask worker` delivers it. The key (session, kind, recipient, sequence, offset)
    is unique, so no event can queue the same mail twice; `sequence` is the
    session's link version the mail was written for. Mails about an account
    (a reset link, a confirmation link, …) have no session and are never stale.
    """

    __tablename__ = "outbox"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    session_id: so.Mapped[Optional[str]] = so.mapped_column(
        sa.ForeignKey("mentoring_sessions.id", ondelete="CASCADE")
    )
    kind: so.Mapped[MailKind] = so.mapped_column(_enum(MailKind, "mail_kind", length=24))
    recipient_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    sequence: so.Mapped[int]
    # Minutes before the start, for reminders; 0 for every other kind.
    offset_minutes: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    to_name: so.Mapped[str] = so.mapped_column(sa.String(120))
    to_address: so.Mapped[str] = so.mapped_column(sa.String(254))
    subject: so.Mapped[str] = so.mapped_column(sa.String(300))
    text_body: so.Mapped[str] = so.mapped_column(sa.Text)
    html_body: so.Mapped[str] = so.mapped_column(sa.Text)
    # The invite.ics attachment and its iTIP method (REQUEST or CANCEL), when there is one.
    ics: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)
    ics_method: so.Mapped[Optional[str]] = so.mapped_column(sa.String(8))
    message_id: so.Mapped[str] = so.mapped_column(sa.String(255), unique=True)
    status: so.Mapped[MailStatus] = so.mapped_column(
        _enum(MailStatus, "mail_status"), default=MailStatus.QUEUED, server_default=MailStatus.QUEUED.value
    )
    attempts: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    # A worker holds the mail until `lease_until`; after that any worker may take it.
    lease_until: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime)
    claimed_by: so.Mapped[Optional[str]] = so.mapped_column(sa.String(64))
    last_error: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    sent_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime)
    # "smtp", or "dev-mailbox" when development keeps mail in /dev/mail.
    sent_via: so.Mapped[Optional[str]] = so.mapped_column(sa.String(16))

    session: so.Mapped[Optional[MentoringSession]] = so.relationship()

    __table_args__ = (
        sa.UniqueConstraint(
            "session_id", "kind", "recipient_id", "sequence", "offset_minutes", name="uq_outbox_mail_key"
        ),
        sa.Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.CheckConstraint("offset_minutes >= 0", name="offset_not_negative"),
    )
