"""Each person's count of changes to their sessions (services.changes), which the live pages' polls
compare with their ETag: every kind of change raises both people's count by one and stamps the
session with the new numbers, once per transaction, nothing else moves it, a rollback takes it back,
and two changes at once on PostgreSQL get their numbers in the order they commit."""
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Callable

import pytest
import sqlalchemy as sa

from meetapp.extensions import db
from meetapp.models import MentoringSession, MentorProfile, User
from meetapp.services import booking, changes, meetings, mentor_approval
from tests.providers import fakes
from tests.support import MENTEE_EMAIL, NOW, ON_POSTGRESQL_ONLY, PASSWORD, running_app

ZOOM_MEETINGS = "/v2/users/ada@example.com/meetings"


@pytest.fixture
def app(database_url, fake_zoom):
    """The app with Zoom pointed at the fake, for the changes a provider's meeting makes."""
    with running_app(
        database_url,
        ZOOM_ACCOUNT_ID=fakes.ZOOM_ACCOUNT_ID,
        ZOOM_CLIENT_ID=fakes.ZOOM_CLIENT_ID,
        ZOOM_CLIENT_SECRET=fakes.ZOOM_CLIENT_SECRET,
        ZOOM_API_BASE_URL=fake_zoom.api_url,
        ZOOM_OAUTH_URL=fake_zoom.oauth_url,
        VIDEO_API_TIMEOUT_SECONDS=2,
    ) as app:
        yield app


# Reading the counts ---------------------------------------------------------------------


def counts(app) -> dict[int, int]:
    """Everyone's committed count, by id."""
    with app.app_context():
        return dict(db.session.execute(sa.select(User.id, User.sessions_version)).all())


def stamps(app, session_id: str) -> tuple[int, int]:
    """The mentor's and the mentee's count stamped on the session at its last change."""
    with app.app_context():
        row = db.session.execute(
            sa.select(MentoringSession.mentor_version_at_change, MentoringSession.mentee_version_at_change).where(
                MentoringSession.id == session_id
            )
        ).one()
        return tuple(row)


def raised(before: dict[int, int], after: dict[int, int]) -> dict[int, int]:
    """Whose count moved, and by how much."""
    return {person: after[person] - before[person] for person in after if after[person] != before.get(person, 0)}


# The people, and one session to change ---------------------------------------------------


@dataclass
class World:
    """What a change needs: a browser, API clients, a way to add people, and the session to change."""

    client: object
    api_as: Callable
    people: object
    mentor: int
    mentee: int
    session_id: str


def book(api_as, mentee: int, mentor: int, starts_at: str = "2026-11-24T10:00:00Z", *, confirm: bool = True) -> str:
    response = api_as(mentee).post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": starts_at, "durationMinutes": 60}
    )
    assert response.status_code == 201, response.json
    session_id = response.json["session"]["id"]
    if confirm:
        assert api_as(mentor).post(f"/api/mentoring/session/{session_id}/confirm").status_code == 200
    return session_id


def ok(response) -> None:
    assert response.status_code in (200, 302), (response.status_code, response.get_data(as_text=True)[:300])


def log_in_admin(world: World) -> None:
    world.people.make("admin", "Ada Admin")
    ok(world.client.post("/auth/login", data={"email": "ada.admin@example.com", "password": PASSWORD}))


def confirm(w: World):
    ok(w.api_as(w.mentor).post(f"/api/mentoring/session/{w.session_id}/confirm"))


def decline(w: World):
    ok(w.api_as(w.mentor).post(f"/api/mentoring/session/{w.session_id}/decline", json={"reason": "Away"}))


def cancel_by_mentee(w: World):
    ok(w.api_as(w.mentee).post(f"/api/mentoring/session/{w.session_id}/cancel", json={"reason": "Clash"}))


def cancel_by_mentor(w: World):
    ok(w.api_as(w.mentor).post(f"/api/mentoring/session/{w.session_id}/cancel", json={}))


def cancel_by_admin(w: World):
    log_in_admin(w)
    ok(w.client.post(f"/sessions/{w.session_id}/cancel", data={"reason": "Reported by the mentee"}))


def reschedule(w: World, who: int) -> None:
    moved = {"startsAt": "2026-11-25T10:00:00Z"}
    ok(w.api_as(who).post(f"/api/mentoring/session/{w.session_id}/reschedule", json=moved))


def reschedule_by_mentee(w: World):
    reschedule(w, w.mentee)


def reschedule_by_mentor(w: World):
    reschedule(w, w.mentor)


def new_link_by_mentor(w: World):
    ok(w.api_as(w.mentor).post(f"/api/mentoring/session/{w.session_id}/generate-link"))


def new_link_by_admin(w: World):
    admin = w.people.make("admin", "Ada Admin")
    ok(w.api_as(admin).post(f"/api/mentoring/session/{w.session_id}/generate-link"))


CHANGES = [
    pytest.param(confirm, False, id="confirm"),
    pytest.param(decline, False, id="decline"),
    pytest.param(cancel_by_mentee, True, id="cancel by the mentee"),
    pytest.param(cancel_by_mentor, True, id="cancel by the mentor"),
    pytest.param(cancel_by_admin, True, id="cancel by an admin"),
    pytest.param(reschedule_by_mentee, True, id="reschedule by the mentee"),
    pytest.param(reschedule_by_mentor, True, id="reschedule by the mentor"),
    pytest.param(new_link_by_mentor, True, id="new link by the mentor"),
    pytest.param(new_link_by_admin, True, id="new link by an admin"),
]


@pytest.fixture
def bystander(people, api_as, mentor) -> int:
    """Another mentee of the same mentor, with a session of their own that nobody changes."""
    other = people.make("mentee", "Bea Bystander")
    book(api_as, other, mentor, "2026-11-24T14:00:00Z")
    return other


def world_with(client, api_as, clock, people, mentor, mentee, *, confirmed: bool) -> World:
    session_id = book(api_as, mentee, mentor, confirm=confirmed)
    # A minute on: a change stamps the session (and its mail) with a time of its own, as in life.
    clock.shift(timedelta(minutes=1))
    return World(client, api_as, people, mentor, mentee, session_id)


# Every kind of change counts once for both people --------------------------------------


def test_a_booking_counts_for_the_mentor_and_the_mentee_only(app, clock, api_as, mentor, mentee, bystander):
    before = counts(app)
    session_id = book(api_as, mentee, mentor, confirm=False)
    after = counts(app)
    assert raised(before, after) == {mentor: 1, mentee: 1}
    assert stamps(app, session_id) == (after[mentor], after[mentee])


@pytest.mark.parametrize(("change", "confirmed"), CHANGES)
def test_each_change_raises_both_peoples_count_by_one_and_stamps_the_session(
    app, client, clock, api_as, people, mentor, mentee, bystander, change, confirmed
):
    world = world_with(client, api_as, clock, people, mentor, mentee, confirmed=confirmed)
    before = counts(app)
    change(world)
    after = counts(app)
    # The bystander shares the mentor, not the session: their count stays.
    assert raised(before, after) == {mentor: 1, mentee: 1}
    assert stamps(app, world.session_id) == (after[mentor], after[mentee])


def meets_on_zoom(app, mentor_id: int) -> None:
    with app.app_context():
        profile = db.session.get(MentorProfile, mentor_id)
        profile.video_provider, profile.zoom_user = "zoom", "ada@example.com"
        db.session.commit()


def retry_provider_meetings(app) -> None:
    """The worker's pass once the first retry is due (a minute's backoff at most)."""
    with app.app_context():
        meetings.retry_due(NOW + timedelta(minutes=1))


@pytest.mark.parametrize("made", [True, False], ids=["meeting made", "meeting failed again"])
def test_the_provider_meeting_being_made_or_failing_counts_as_a_change(
    app, clock, api_as, mentor, mentee, bystander, fake_zoom, made
):
    meets_on_zoom(app, mentor)
    fake_zoom.fail(times=1 if made else 2, status=503, path=ZOOM_MEETINGS)
    session_id = book(api_as, mentee, mentor)  # on Jitsi for now, the Zoom meeting to be retried
    before = counts(app)
    retry_provider_meetings(app)
    after = counts(app)
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        assert (session.meeting_kind, session.meeting_attempts) == (("zoom", 0) if made else ("jitsi", 2))
    assert raised(before, after) == {mentor: 1, mentee: 1}
    assert stamps(app, session_id) == (after[mentor], after[mentee])


def test_suspending_a_mentor_counts_once_for_them_and_for_each_mentee(app, clock, people, api_as, mentor, mentee):
    second_mentee = people.make("mentee", "Sam Second")
    other_mentor = people.make("mentor", "Olga Other")
    first = book(api_as, mentee, mentor, "2026-11-24T10:00:00Z")
    second = book(api_as, second_mentee, mentor, "2026-11-25T10:00:00Z")
    untouched = book(api_as, mentee, other_mentor, "2026-11-26T10:00:00Z")
    admin = people.make("admin", "Ada Admin")
    before, untouched_stamps = counts(app), stamps(app, untouched)
    with app.app_context():
        suspension = mentor_approval.suspend(mentor, admin=db.session.get(User, admin), reason="Complaints", now=NOW)
        assert suspension.cancelled_sessions == 2
    after = counts(app)
    assert raised(before, after) == {mentor: 1, mentee: 1, second_mentee: 1}
    assert stamps(app, first) == (after[mentor], after[mentee])
    assert stamps(app, second) == (after[mentor], after[second_mentee])
    assert stamps(app, untouched) == untouched_stamps


# Once per transaction, only for real changes, and never for a rollback --------------------


def test_one_flush_that_changes_several_sessions_of_a_person_counts_once_and_stamps_them_all(
    app, clock, people, api_as, mentor, mentee
):
    other_mentor = people.make("mentor", "Olga Other")
    first = book(api_as, mentee, mentor, "2026-11-24T10:00:00Z")
    second = book(api_as, mentee, other_mentor, "2026-11-25T10:00:00Z")
    before = counts(app)
    with app.app_context():
        me = db.session.get(User, mentee)
        # Both loaded before either changes, so the commit's flush is the only one.
        sessions = [db.session.get(MentoringSession, session_id) for session_id in (first, second)]
        for session in sessions:
            booking.mark_cancelled(session, by=me, reason=None, now=NOW)
        db.session.commit()
    after = counts(app)
    assert raised(before, after) == {mentee: 1, mentor: 1, other_mentor: 1}
    assert stamps(app, first) == (after[mentor], after[mentee])
    assert stamps(app, second) == (after[other_mentor], after[mentee])


def test_a_transaction_that_flushes_twice_counts_once(app, clock, api_as, mentor, mentee):
    # What every change with a mail does: the change is flushed, then the mail marks the session announced.
    session_id = book(api_as, mentee, mentor, confirm=False)
    before = counts(app)
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        session.cancel_reason = "first flush"
        db.session.flush()
        session.announced_at = NOW + timedelta(minutes=5)
        db.session.flush()
        db.session.commit()
    after = counts(app)
    assert raised(before, after) == {mentor: 1, mentee: 1}
    assert stamps(app, session_id) == (after[mentor], after[mentee])


def test_a_flush_that_changes_no_session_counts_nothing(app, clock, api_as, mentor, mentee):
    session_id = book(api_as, mentee, mentor)
    before = counts(app)
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        session.status = session.status  # set, but to what it was
        db.session.get(User, mentee).name = "Max M. Mentee"
        db.session.commit()
    assert counts(app) == before


def test_joining_is_no_change_of_the_session(app, client, clock, api_as, mentor, mentee):
    # Every join attempt is logged; a poll must not answer "changed" for it.
    session_id = book(api_as, mentee, mentor, "2026-11-23T10:00:00Z")
    ok(client.post("/auth/login", data={"email": MENTEE_EMAIL, "password": PASSWORD}))
    before = counts(app)
    assert client.get(f"/sessions/{session_id}/join").status_code == 200  # too early: the waiting page
    clock.move_to(datetime(2026, 11, 23, 9, 50, tzinfo=UTC))
    assert client.get(f"/sessions/{session_id}/join").status_code == 302
    assert counts(app) == before


def test_a_change_rolled_back_leaves_the_counts_as_they_were(app, clock, api_as, mentor, mentee):
    session_id = book(api_as, mentee, mentor)
    before, stamped = counts(app), stamps(app, session_id)
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        session.cancel_reason = "never kept"
        db.session.flush()
        inside = db.session.scalar(sa.select(User.sessions_version).where(User.id == mentee))
        db.session.rollback()
    assert inside == before[mentee] + 1, "raised inside the transaction: is the test right?"
    assert counts(app) == before
    assert stamps(app, session_id) == stamped

    # The next change takes the number the rollback gave back, and it is written, not assumed.
    with app.app_context():
        db.session.get(MentoringSession, session_id).cancel_reason = "kept"
        db.session.commit()
    after = counts(app)
    assert raised(before, after) == {mentor: 1, mentee: 1}
    assert stamps(app, session_id) == (after[mentor], after[mentee])


def test_a_change_in_a_savepoint_rolled_back_is_not_counted_and_the_next_one_is(app, clock, api_as, mentor, mentee):
    session_id = book(api_as, mentee, mentor)
    before = counts(app)
    with app.app_context():
        savepoint = db.session.begin_nested()
        db.session.get(MentoringSession, session_id).cancel_reason = "never kept"
        db.session.flush()
        savepoint.rollback()
        db.session.get(MentoringSession, session_id).cancel_reason = "kept"
        db.session.commit()
    after = counts(app)
    assert raised(before, after) == {mentor: 1, mentee: 1}
    assert stamps(app, session_id) == (after[mentor], after[mentee])


# Two changes at once (PostgreSQL) -------------------------------------------------------




def waiting_for_a_lock(app) -> int:
    with app.app_context(), db.engine.connect() as connection:
        return connection.scalar(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )


def until(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


class HeldChange(threading.Thread):
    """Cancels one session in its own transaction, and holds it open after the flush until `release()`."""

    def __init__(self, app, session_id: str, by: int):
        super().__init__(daemon=True)
        self.app, self.session_id, self.by = app, session_id, by
        self.flushed, self.go = threading.Event(), threading.Event()
        self.failure: BaseException | None = None

    def run(self) -> None:
        with self.app.app_context():
            try:
                session = db.session.get(MentoringSession, self.session_id)
                booking.mark_cancelled(session, by=db.session.get(User, self.by), reason=None, now=NOW)
                db.session.flush()
                self.flushed.set()
                if not self.go.wait(10):
                    raise TimeoutError("never released")
                db.session.commit()
            except BaseException as exc:
                self.failure = exc
            finally:
                db.session.remove()

    def release(self) -> None:
        self.go.set()


def seen_by_a_reader(app, mentor: int, first: str, second: str) -> tuple[int, list[str]]:
    """What a poll reading now sees: the mentor's count, and which of the two sessions are cancelled."""
    with app.app_context():
        version = db.session.scalar(sa.select(User.sessions_version).where(User.id == mentor))
        cancelled = db.session.scalars(
            sa.select(MentoringSession.id)
            .where(MentoringSession.id.in_((first, second)), MentoringSession.status == "cancelled")
        ).all()
        return version, sorted(cancelled, key=(first, second).index)


# SQLite lets one transaction write at a time: two changes cannot overlap there.
@ON_POSTGRESQL_ONLY
def test_two_changes_to_one_mentors_sessions_at_once_are_numbered_in_commit_order(
    app, clock, people, api_as, mentor, mentee
):
    second_mentee = people.make("mentee", "Sam Second")
    first = book(api_as, mentee, mentor, "2026-11-24T10:00:00Z")
    second = book(api_as, second_mentee, mentor, "2026-11-25T10:00:00Z")
    v = counts(app)[mentor]

    first_change, second_change = HeldChange(app, first, mentor), HeldChange(app, second, mentor)
    first_change.start()
    assert first_change.flushed.wait(10)
    second_change.start()
    # The second waits for the mentor's row, which the first holds until it commits.
    assert until(lambda: waiting_for_a_lock(app) == 1), "the second change never waited"
    assert not second_change.flushed.is_set()
    assert seen_by_a_reader(app, mentor, first, second) == (v, [])

    first_change.release()
    assert second_change.flushed.wait(10)
    # Whoever reads the first's number sees the first's change, and not yet the second's.
    assert seen_by_a_reader(app, mentor, first, second) == (v + 1, [first])

    second_change.release()
    for change in (first_change, second_change):
        change.join(10)
        assert not change.is_alive() and change.failure is None, change.failure
    assert seen_by_a_reader(app, mentor, first, second) == (v + 2, [first, second])
    assert stamps(app, first)[0] == v + 1 and stamps(app, second)[0] == v + 2
    with app.app_context():
        polled = changes.changed_since(db.session.get(User, mentor), v + 1, NOW)
        assert [session.id for session in polled] == [second]
