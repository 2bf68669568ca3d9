"""What the Jitsi and JaaS webhook tests share: a booked session's room, the stored presence, its report,
and JSON strategies for fuzzing bodies."""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from meetapp.extensions import db
from meetapp.models import MentoringSession, PresenceEvent
from meetapp.services.attendance import report_of

START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # an hour after the frozen NOW; the session lasts 60 min
AFTER_CLOSE = START + timedelta(hours=2)  # the Standard type's window closes 30 min after the end

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def book(app, api_as, mentor: int, mentee: int) -> tuple[str, str]:
    """A confirmed session at START on meetapp's Jitsi: (its id, its room)."""
    session = api_as(mentee).post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": "2026-11-23T10:00:00Z", "durationMinutes": 60}
    ).json["session"]
    assert api_as(mentor).post(f"/api/mentoring/session/{session['id']}/confirm").status_code == 200
    with app.app_context():
        room = db.session.get(MentoringSession, session["id"]).meeting_room
    assert room
    return session["id"], room


def unix(at: datetime) -> int:
    return int(at.timestamp())


def presence(app, session_id: str | None = None) -> list[tuple]:
    """The stored presence, in the order it happened: (kind, at, participant key, user id, display name)."""
    query = sa.select(PresenceEvent).order_by(PresenceEvent.at, PresenceEvent.id)
    if session_id is not None:
        query = query.where(PresenceEvent.session_id == session_id)
    with app.app_context():
        return [(e.kind, e.at, e.participant_key, e.user_id, e.display_name) for e in db.session.scalars(query)]


def report(app, session_id: str, now: datetime = AFTER_CLOSE):
    """The session's attendance report as services.attendance works it out at `now`."""
    with app.app_context():
        return report_of(db.session.get(MentoringSession, session_id), now)


# JSON as any sender might post it, and JSON shaped like the real thing with any values in it.
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
