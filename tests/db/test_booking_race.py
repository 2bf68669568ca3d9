"""Two mentees racing for one mentor's slot: exactly one wins, on SQLite and on PostgreSQL."""
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from meetapp.domain.accounts import MentorApproval
from meetapp.domain.errors import InvalidRequest, MentorBusy
from meetapp.extensions import db
from meetapp.models import MentoringSession, MentorProfile, User
from meetapp.services import booking
from tests.support import NOW

SLOT_START = NOW + timedelta(days=1)
# Long enough that, without the lock, the second check runs before the first insert commits.
CHECK_TO_INSERT_DELAY = 0.3


def race(app, mentee_ids: list[int], mentor_id: int) -> list[object]:
    """Book the same slot from one thread per mentee, all released together; their outcomes."""
    start_line = threading.Barrier(len(mentee_ids))
    outcomes: list[object] = [None] * len(mentee_ids)

    def book(index: int, mentee_id: int) -> None:
        with app.app_context():
            mentee = db.session.get(User, mentee_id)
            start_line.wait(timeout=10)
            try:
                outcomes[index] = booking.book_session(
                    mentee=mentee, mentor_id=mentor_id, starts_at=SLOT_START, duration_minutes=60, now=NOW
                ).id
            except MentorBusy:
                outcomes[index] = "mentor_busy"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=book, args=(i, m)) for i, m in enumerate(mentee_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.fixture
def slow_clash_check(monkeypatch):
    """Widen the gap between the overlap check and the insert, where a double booking would slip in."""
    check = booking._refuse_clashes

    def check_then_dawdle(**kwargs):
        check(**kwargs)
        time.sleep(CHECK_TO_INSERT_DELAY)

    monkeypatch.setattr(booking, "_refuse_clashes", check_then_dawdle)


def sessions_in_db(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(MentoringSession))


def test_concurrent_bookings_of_one_slot_cannot_both_succeed(app, people, mentor, slow_clash_check):
    mentees = [people.make("mentee", f"Racer {n}") for n in range(3)]
    outcomes = race(app, mentees, mentor)
    winners = [o for o in outcomes if o not in ("mentor_busy", None)]
    assert len(winners) == 1
    assert sorted(o for o in outcomes if o == "mentor_busy") == ["mentor_busy", "mentor_busy"]
    assert sessions_in_db(app) == 1


def test_without_the_schedule_lock_the_race_double_books(app, people, mentor, slow_clash_check, monkeypatch):
    """The control: proves the race above is real, so the lock is what keeps it safe."""
    monkeypatch.setattr(booking, "_lock_schedule", lambda mentor_id: None)
    mentees = [people.make("mentee", f"Racer {n}") for n in range(2)]
    outcomes = race(app, mentees, mentor)
    assert "mentor_busy" not in outcomes
    assert sessions_in_db(app) == 2


def test_a_suspension_that_commits_while_a_booking_waits_for_the_lock_is_not_booked_past(
    app, monkeypatch, mentor, mentee
):
    """The booking found the mentor bookable, then an admin's suspension committed before it took the lock."""
    lock = booking._lock_schedule

    def suspended_meanwhile(mentor_id: int) -> None:
        with db.engine.begin() as other_connection:  # another admin's request, committed first
            other_connection.execute(
                sa.update(MentorProfile).where(MentorProfile.user_id == mentor_id).values(approval=MentorApproval.SUSPENDED)
            )
        lock(mentor_id)

    monkeypatch.setattr(booking, "_lock_schedule", suspended_meanwhile)
    with app.app_context():
        with pytest.raises(InvalidRequest) as refused:
            booking.book_session(
                mentee=db.session.get(User, mentee), mentor_id=mentor, starts_at=SLOT_START, duration_minutes=60, now=NOW
            )
    assert refused.value.fields == {"mentor": "There is no mentor with this id."}
    assert sessions_in_db(app) == 0
