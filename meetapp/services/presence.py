"""Recording what the video providers tell us about who was in a session's meeting.

Every source (the webhooks under /webhooks, and the worker's reads of Google Meet's records)
turns its payload into `Seen` events for one session and hands them to `record`, which stores
each one once (a redelivery, by its `delivery_key`, is a no-op), updates the session's report if
the worker has finalised it already, and commits.
"""
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from meetapp.domain.presence import ENDED, JOINED, LEFT, SOURCES
from meetapp.extensions import db
from meetapp.models import MentoringSession, PresenceEvent, normalise_email
from meetapp.services import attendance
from meetapp.sql import insert_or_skip

NAME_LENGTH = 120
KEY_LENGTH = 255


@dataclass(frozen=True)
class Seen:
    """One event as a source read it, before it is stored."""

    kind: str  # JOINED, LEFT or ENDED
    at: datetime
    # The provider's key for the participant (None for ENDED).
    participant_key: str | None
    # The meetapp person it matched (see `person_in`), or None.
    user_id: int | None
    # The provider's display name; stored only when the participant matched nobody.
    display_name: str | None
    # Unique at the source: the same event delivered twice has the same key.
    delivery_key: str

    def __post_init__(self) -> None:
        if self.kind not in (JOINED, LEFT, ENDED):
            raise ValueError(f"unknown presence kind {self.kind!r}")
        if self.at.tzinfo is None:
            raise ValueError("presence times are aware datetimes")


def delivery_key(source: str, *parts: object) -> str:
    """A delivery key from the parts that make an event itself (its kind, participant, time, …),
    hashed so it fits the column whatever a provider sends."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()
    return f"{source}:{digest}"


def person_in(session: MentoringSession, *, user_id: object = None, email: object = None) -> int | None:
    """The session's mentor or mentee that a provider's participant is, by the meetapp user id a
    token carried (`context.user.id`) or else by email address; None for anybody else."""
    people = (session.mentor, session.mentee)
    if user_id is not None:
        for person in people:
            if str(person.id) == str(user_id).strip():
                return person.id
    if isinstance(email, str) and email.strip():
        address = normalise_email(email)
        for person in people:
            if person.email == address:
                return person.id
    return None


def record(session: MentoringSession, source: str, events: Iterable[Seen], now: datetime) -> int:
    """Store the events not stored before, bring a finalised report up to date, and commit.

    Returns how many events were new (0 for a redelivery).
    """
    if source not in SOURCES:
        raise ValueError(f"unknown presence source {source!r}")
    rows = [
        {
            "session_id": session.id,
            "source": source,
            "kind": event.kind,
            "at": event.at,
            "participant_key": event.participant_key[:KEY_LENGTH] if event.participant_key else None,
            "user_id": event.user_id,
            "display_name": _kept_name(event),
            "delivery_key": event.delivery_key[:KEY_LENGTH],
            "received_at": now,
        }
        for event in events
    ]
    stored = _insert_new(rows) if rows else 0
    if stored:
        attendance.refresh(session, now)
    db.session.commit()
    return stored


def _kept_name(event: Seen) -> str | None:
    """A name only for someone we could not match: the report shows that somebody else was there."""
    if event.user_id is not None or not event.display_name:
        return None
    return event.display_name.strip()[:NAME_LENGTH] or None


def _insert_new(rows: list[dict]) -> int:
    """INSERT … ON CONFLICT DO NOTHING on the delivery key: two deliveries racing store one row."""
    statement = (
        insert_or_skip(PresenceEvent.__table__)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["delivery_key"])
        .returning(PresenceEvent.id)
    )
    return len(db.session.execute(statement).all())


def delete_older_than(cutoff: datetime) -> int:
    """Forget presence that happened before `cutoff` (PRESENCE_RETENTION_DAYS); commits."""
    deleted = db.session.execute(sa.delete(PresenceEvent).where(PresenceEvent.at < cutoff)).rowcount
    db.session.commit()
    return deleted
