"""The security suite's world: two people with sessions, two outsiders and an admin, and the tools to probe it.

Every kind of viewer the matrix needs exists here, with their own join links and
API tokens, and each session's meeting address is known so no answer may show it.
The fixtures that hand these out (`app_pool`, `world`) are in tests/security/conftest.py.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta
from html import escape
from urllib.parse import quote

import sqlalchemy as sa

from meetapp.domain.notifications import MailStatus
from meetapp.extensions import db
from meetapp.models import (
    AdminAction,
    ApiToken,
    MentoringSession,
    MentorProfile,
    OutboxMail,
    SessionType,
    User,
)
from meetapp.services import booking, join_links, passwords, registration
from meetapp.services.accounts import create_user, issue_api_token
from tests.support import NOW, PASSWORD

PUBLIC_BASE_URL = "http://127.0.0.1:5000"
VIEWERS = ("anonymous", "other_mentee", "other_mentor", "mentee", "mentor", "admin")
PEOPLE = {
    # key: (role, name, email, time zone)
    "mentee": ("mentee", "Max Mentee", "max.mentee@example.com", "America/New_York"),
    "mentor": ("mentor", "Mona Mentor", "mona.mentor@example.com", "Europe/Berlin"),
    "other_mentee": ("mentee", "Otto Outsider", "otto.outsider@example.com", "Asia/Tokyo"),
    "other_mentor": ("mentor", "Olga Outsider", "olga.outsider@example.com", "UTC"),
    "admin": ("admin", "Ada Admin", "ada.admin@example.com", "UTC"),
}
# A self-registered mentor still waiting for an admin's approval: no viewer, and shown to admins only.
PENDING_MENTOR = ("Pia Pending", "pia.pending@example.com")
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')
JOIN_PATH = re.compile(r"/join/[A-Za-z0-9._-]{20,}")


@dataclass
class World:
    """Ids and secrets of the people and sessions; each person's private data, keyed by who owns it."""

    ids: dict[str, int]  # the PEOPLE, and the "pending_mentor"
    confirmed: str  # mentor + mentee, confirmed, joinable now
    pending: str  # mentor + mentee, waiting for the mentor
    elsewhere: str  # other_mentor + other_mentee, confirmed
    join_paths: dict[tuple[str, str], str]  # (session id, person) -> that person's long-lived /join/ path
    api_tokens: dict[str, str]
    api_token_ids: dict[str, int]
    failed_mail: int
    invite_mail: int
    reset_token: str = ""  # the mentee's password reset link, made at NOW
    confirm_token: str = ""  # the mentee's address confirmation link, made at NOW
    meeting_secrets: set[str] = field(default_factory=set)

    def email(self, person: str) -> str:
        return PEOPLE[person][2]

    def name(self, person: str) -> str:
        return PEOPLE[person][1]

    def sessions_of(self, person: str) -> set[str]:
        if person in ("mentee", "mentor"):
            return {self.confirmed, self.pending}
        if person in ("other_mentee", "other_mentor"):
            return {self.elsewhere}
        return set()

    def foreign_data(self, viewer: str, *, mentors_public: bool = False) -> set[str]:
        """What `viewer` must never be shown: other people's sessions, names, emails and links."""
        own_sessions = self.sessions_of(viewer)
        strangers = {
            person
            for person in ("mentee", "mentor", "other_mentee", "other_mentor")
            if person != viewer and not self.sessions_of(person) & own_sessions
        }
        secrets = {sid for sid in (self.confirmed, self.pending, self.elsewhere) if sid not in own_sessions}
        secrets |= {
            path.removeprefix("/join/") for (sid, _), path in self.join_paths.items() if sid not in own_sessions
        }
        secrets |= {token for person, token in self.api_tokens.items() if person != viewer}
        secrets |= set(PENDING_MENTOR)
        for person in strangers:
            secrets.add(self.email(person))
            if not (mentors_public and PEOPLE[person][0] == "mentor"):
                secrets.add(self.name(person))
        return secrets


def build_world(app) -> World:
    """The world at NOW (the clock must be frozen): see `World`."""
    with app.app_context():
        users = {
            key: create_user(email=email, name=name, role=role, password=PASSWORD, timezone=zone)
            for key, (role, name, email, zone) in PEOPLE.items()
        }
        ids = {key: user.id for key, user in users.items()}
        ids["pending_mentor"] = create_user(
            email=PENDING_MENTOR[1], name=PENDING_MENTOR[0], role="mentor", password=PASSWORD, self_registered=True
        ).id

        def book(mentee: str, mentor: str, starts_in: timedelta, confirm: bool) -> MentoringSession:
            session = booking.book_session(
                mentee=users[mentee],
                mentor_id=ids[mentor],
                starts_at=NOW + starts_in,
                duration_minutes=60,
                session_type_name="Standard",
                now=NOW,
            )
            if confirm:
                booking.confirm_session(session, user=users[mentor], now=NOW)
            return session

        confirmed = book("mentee", "mentor", timedelta(minutes=10), confirm=True)
        pending = book("mentee", "mentor", timedelta(days=1, hours=2), confirm=False)
        elsewhere = book("other_mentee", "other_mentor", timedelta(minutes=20), confirm=True)
        join_paths = {}
        for session, people in (
            (confirmed, ("mentee", "mentor")),
            (pending, ("mentee", "mentor")),
            (elsewhere, ("other_mentee", "other_mentor")),
        ):
            for person in people:
                link = join_links.join_link(session, users[person], NOW)
                join_paths[(session.id, person)] = link.removeprefix(PUBLIC_BASE_URL)
        api_tokens = {key: issue_api_token(user, f"{key} token") for key, user in users.items()}
        api_token_ids = {
            key: db.session.scalar(sa.select(ApiToken.id).where(ApiToken.user_id == user.id))
            for key, user in users.items()
        }
        mails = db.session.scalars(sa.select(OutboxMail).order_by(OutboxMail.id)).all()
        invite_mail = next(mail.id for mail in mails if mail.ics)
        failed = mails[0]
        failed.status, failed.attempts, failed.last_error = MailStatus.FAILED, 10, "550 refused"
        db.session.commit()
        secrets = meeting_secrets(app)
        return World(
            ids=ids,
            confirmed=confirmed.id,
            pending=pending.id,
            elsewhere=elsewhere.id,
            join_paths=join_paths,
            api_tokens=api_tokens,
            api_token_ids=api_token_ids,
            failed_mail=failed.id,
            invite_mail=invite_mail,
            reset_token=passwords.reset_token(users["mentee"], NOW),
            confirm_token=registration.confirmation_token(users["mentee"], NOW),
            meeting_secrets=secrets,
        )


def meeting_secrets(app) -> set[str]:
    """Every meeting room, URL and provider id in the database: what no answer may show."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(MentoringSession.meeting_room, MentoringSession.meeting_url, MentoringSession.meeting_external_id)
        )
        return {value for row in rows for value in row if value}


def fingerprint(app) -> dict[str, list]:
    """The rows a request could change, without the attempt log and the token use stamps (which reads may write)."""
    with app.app_context():

        def rows(model, *excluded):
            columns = [column for column in model.__table__.columns if column.name not in excluded]
            primary = list(model.__table__.primary_key.columns)
            return [tuple(row) for row in db.session.execute(sa.select(*columns).order_by(*primary))]

        return {
            "users": rows(User),
            "mentor_profiles": rows(MentorProfile),
            "session_types": rows(SessionType),
            "sessions": rows(MentoringSession),
            "api_tokens": rows(ApiToken, "last_used_at"),
            "outbox": rows(OutboxMail),
            # A refused admin action, or a page read, leaves no row in the admin log either.
            "admin_actions": rows(AdminAction),
        }


def log_in(client, email: str, password: str = PASSWORD) -> None:
    """Log in through the form, as a browser does (with the CSRF token when the app wants one)."""
    data = {"email": email, "password": password, **csrf_data(client)}
    response = client.post("/auth/login", data=data)
    assert response.status_code == 302, f"could not log in as {email}: {response.status_code}"


def csrf_token(client, path: str = "/") -> str:
    """The CSRF token of this login session, as a page hands it to its forms and to htmx."""
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = CSRF_HEADER.search(page) or CSRF_FIELD.search(page)
    assert match, f"{path} carries no CSRF token"
    return match.group(1)


def csrf_data(client, path: str = "/") -> dict[str, str]:
    return {"csrf_token": csrf_token(client, path)}


def echoes_removed(response) -> str:
    """The body without the redirect target it names (a redirect may repeat the URL the caller gave)."""
    body = response.get_data(as_text=True)
    location = response.headers.get("Location")
    if location:
        for form in (location, escape(location), escape(location, quote=True), quote(location, safe="/")):
            body = body.replace(form, "")
    return body


def assert_shows_none_of(response, secrets, where: str) -> None:
    body = echoes_removed(response)
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items() if k != "Location")
    for secret in secrets:
        assert secret not in body, f"{where} shows {secret!r}"
        assert secret not in headers, f"{where} puts {secret!r} in a header"
