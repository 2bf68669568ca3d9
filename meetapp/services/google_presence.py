"""Google Meet presence, read by `flask worker` once a session's access window has closed.

Meet has no push that fits, so the worker asks: the space's conference records, each record's
participants, and each participant's sessions (one per join of one device). Records appear a few
minutes after a call ends and are kept for 30 days, so the worker reads promptly and, while Google
fails or has no record yet, asks again with backoff (2, 4, 8 … minutes, at most an hour apart) for
a day. Then it gives up, so the attendance report (which waits for this read) can be finalised.

One PresenceFetch row per session says where its read stands; claiming it is what keeps two
workers from reading the same session.
"""
import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from meetapp.domain.presence import JOINED, LEFT
from meetapp.domain.scheduling import SessionStatus
from meetapp.domain.video import KIND_GOOGLE
from meetapp.extensions import db
from meetapp.models import MentoringSession, PresenceFetch
from meetapp.providers import ProviderError
from meetapp.providers.google import SPACE_NAME, ConferenceRecord, Participant
from meetapp.services import meetings
from meetapp.services.attendance import FINALISE_WITHIN
from meetapp.services.presence import Seen, delivery_key, record
from meetapp.services.windows import window_of
from meetapp.sql import insert_or_skip

log = logging.getLogger(__name__)

SOURCE = "google"
# A read that is under way holds its claim this long; a worker that died mid-read is replaced after it.
CLAIM = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=2)
LONGEST_RETRY = timedelta(hours=1)
# Past this after the window closed, a missing record will not come: the report goes ahead without it.
GIVE_UP_AFTER = timedelta(days=1)
BATCH = 20
ERROR_LENGTH = 500
NOT_CONFIGURED = "Google Meet is not configured (no service account key or refresh token), so presence was not read."
NO_RECORD = "Google Meet has no conference record for this space yet."
# A phone participant's display name is their partly hidden number: the report needs to know only that
# somebody dialled in.
PHONE_NAME = "Phone participant"


def fetch_due(now: datetime) -> int:
    """Read the presence of every Google Meet session whose window has closed (within the last
    FINALISE_WITHIN) and whose read is due; returns how many were read. Each commits on its own."""
    candidates = db.session.scalars(
        sa.select(MentoringSession)
        .outerjoin(PresenceFetch, PresenceFetch.session_id == MentoringSession.id)
        .where(
            MentoringSession.status == SessionStatus.CONFIRMED,
            MentoringSession.meeting_kind == KIND_GOOGLE,
            MentoringSession.ends_at <= now,
            MentoringSession.ends_at > now - FINALISE_WITHIN,
            sa.or_(
                PresenceFetch.session_id.is_(None),
                sa.and_(PresenceFetch.finished_at.is_(None), PresenceFetch.next_attempt_at <= now),
            ),
        )
        .order_by(MentoringSession.ends_at)
        .limit(BATCH)
    ).unique().all()
    db.session.commit()
    read = 0
    for session in candidates:
        if window_of(session).closes_at <= now and claim(session.id, now):
            read += fetch(session.id, now)
    return read


def claim(session_id: str, now: datetime) -> bool:
    """Take the session's read for CLAIM; False when another worker has it, or it is finished.

    The first read inserts the row (ON CONFLICT DO NOTHING: of two workers, one inserts); a retry
    moves `next_attempt_at` on only where it is still due, which on PostgreSQL the second of two
    concurrent UPDATEs finds no longer true once the first commits.
    """
    table = PresenceFetch.__table__
    inserted = db.session.execute(
        insert_or_skip(table)
        .values(session_id=session_id, attempts=1, next_attempt_at=now + CLAIM)
        .on_conflict_do_nothing(index_elements=["session_id"])
        .returning(table.c.session_id)
    ).first()
    claimed = inserted is not None or db.session.execute(
        sa.update(table)
        .where(table.c.session_id == session_id, table.c.finished_at.is_(None), table.c.next_attempt_at <= now)
        .values(attempts=table.c.attempts + 1, next_attempt_at=now + CLAIM)
    ).rowcount == 1
    db.session.commit()
    return claimed


def fetch(session_id: str, now: datetime) -> bool:
    """Read the claimed session's records and record what they say; True once they were read.

    Nothing is held open while Google answers: the session's fields are read first, committed,
    and the result is written in a transaction of its own.
    """
    session = db.session.get(MentoringSession, session_id, populate_existing=True)
    if session is None:
        return False  # deleted since it was picked (its fetch row went with it)
    profile = session.mentor.mentor_profile
    space, user = session.meeting_external_id, profile.google_user if profile else None
    db.session.commit()
    client = meetings.google_client()
    if client is None:
        _finish(session_id, now, error=NOT_CONFIGURED)
        return False
    if not space or not SPACE_NAME.fullmatch(space):
        _finish(session_id, now, error="The session has no Google Meet space to read.")
        return False
    try:
        records = client.conference_records(space, user)
    except ProviderError as exc:
        _retry(session_id, now, exc.message, retry_after=exc.retry_after)
        return False
    except Exception:
        # A bug or a surprise in Google's answer must not stop the worker's other duties.
        current_app.logger.exception("Reading Google Meet presence for session %s failed unexpectedly", session_id)
        _retry(session_id, now, "Reading Google Meet's records failed unexpectedly.")
        return False
    if not records:
        _retry(session_id, now, NO_RECORD)
        return False
    session = db.session.get(MentoringSession, session_id, populate_existing=True)
    _mark(session_id, finished_at=now, last_error=None)
    record(session, SOURCE, seen_in(session, records), now)  # commits the events and the mark together
    return True


def seen_in(session: MentoringSession, records: list[ConferenceRecord]) -> list[Seen]:
    """Each participant session as a join at its start and, once it ended, a leave at its end.

    The participant key is the participant *session's* resource name (it starts with the
    participant's): the report pairs a join with the next leave of the same key, and one person on
    two devices at once has two sessions that overlap, which one key would mis-pair.
    """
    events = []
    for conference in records:
        for participant in conference.participants:
            user_id = person_of(session, participant)
            name = None if user_id else display_name_of(participant)
            for part in participant.sessions:
                events.append(Seen(JOINED, part.start_time, part.name, user_id, name,
                                   delivery_key(SOURCE, part.name, JOINED)))
                if part.end_time is not None:
                    events.append(Seen(LEFT, part.end_time, part.name, user_id, name,
                                       delivery_key(SOURCE, part.name, LEFT)))
    return events


def person_of(session: MentoringSession, participant: Participant) -> int | None:
    """The mentor or mentee whose Google account (User.google_account_id, stored without Meet's
    "users/" prefix) the signed-in participant is; None for anyone else and for anonymous or phone
    participants, whom Meet cannot name."""
    if not participant.user:
        return None
    account = participant.user.removeprefix("users/")
    for person in (session.mentor, session.mentee):
        if person.google_account_id and person.google_account_id == account:
            return person.id
    return None


def display_name_of(participant: Participant) -> str | None:
    if participant.kind == "phoneUser":
        return PHONE_NAME
    return participant.display_name


def retry_delay(attempts: int) -> timedelta:
    """2, 4, 8 … minutes after the 1st, 2nd, 3rd … failed read, never more than an hour."""
    return min(FIRST_RETRY * 2 ** max(0, attempts - 1), LONGEST_RETRY)


def _retry(session_id: str, now: datetime, error: str, *, retry_after: float | None = None) -> None:
    """Ask again later, or give up once GIVE_UP_AFTER has passed since the window closed. The last
    try is made right at that limit, so a record that turns up late in the day still counts."""
    session = db.session.get(MentoringSession, session_id)
    fetch_row = db.session.get(PresenceFetch, session_id, populate_existing=True)
    give_up_at = window_of(session).closes_at + GIVE_UP_AFTER
    if now >= give_up_at:
        log.warning("Google Meet presence for session %s: giving up after %d reads: %s",
                    session_id, fetch_row.attempts, error)
        _finish(session_id, now, error=error)
        return
    wait = retry_delay(fetch_row.attempts)
    if retry_after:
        wait = max(wait, timedelta(seconds=retry_after))
    _mark(session_id, next_attempt_at=min(now + wait, give_up_at), last_error=error)
    db.session.commit()


def _finish(session_id: str, now: datetime, *, error: str) -> None:
    """Stop reading: the report may be finalised without Google's presence; `error` says why."""
    _mark(session_id, finished_at=now, last_error=error)
    db.session.commit()


def _mark(session_id: str, **values) -> None:
    if values.get("last_error"):
        values["last_error"] = values["last_error"][:ERROR_LENGTH]
    table = PresenceFetch.__table__
    db.session.execute(sa.update(table).where(table.c.session_id == session_id).values(**values))
