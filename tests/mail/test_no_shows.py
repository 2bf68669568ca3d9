"""The worker finalises attendance when a session's window closes: once, however many workers run,
and a no-show is mailed to the person who came and to the admins who asked."""
import threading
from datetime import timedelta

import sqlalchemy as sa

from meetapp.extensions import db
from meetapp.models import (
    AttendanceReport,
    AttendanceReportChange,
    MentoringSession,
    OutboxMail,
    PresenceEvent,
    PresenceFetch,
    User,
)
from meetapp.services import attendance, presence
from meetapp.services.presence import Seen
from tests.mail.helpers import STARTS, invite, join_links, plain
from tests.support import MENTEE_EMAIL, MENTOR_EMAIL

CLOSES = STARTS + timedelta(minutes=90)  # Standard: 60 minutes, open until 30 after the end


def there(app, session_id: str, user_id: int | None, came: int, left: int | None, *, key: str | None = None,
          name: str | None = None, now=None) -> None:
    """The provider says `user_id` was in the meeting from minute `came` to `left` after the start."""
    key = key or f"occupant-{user_id}-{came}"
    events = [Seen("joined", STARTS + timedelta(minutes=came), key, user_id, name, f"jitsi:{key}:joined")]
    if left is not None:
        events.append(Seen("left", STARTS + timedelta(minutes=left), key, user_id, name, f"jitsi:{key}:left"))
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        presence.record(session, "jitsi", events, now or STARTS + timedelta(minutes=left or came))


def stored(app, session_id: str) -> tuple | None:
    with app.app_context():
        row = db.session.get(AttendanceReport, session_id)
        return None if row is None else (row.outcome, row.mentor_state, row.mentee_state, row.minutes_together)


def no_show_mails(app) -> list[tuple[str, int]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            sa.select(OutboxMail.kind, OutboxMail.recipient_id).where(OutboxMail.kind == "no_show")
        )]


def admin(people, *, mailed: bool) -> int:
    admin_id = people.make("admin", "Ada Admin" if mailed else "Quiet Admin")
    with people.app.app_context():
        db.session.get(User, admin_id).mail_no_shows = mailed
        db.session.commit()
    return admin_id


def test_a_mentee_no_show_is_finalised_when_the_window_closes_and_mailed_to_the_mentor(
    app, clock, confirmed, mentor, mentee, people, worker, smtp_sink
):
    ada, _quiet = admin(people, mailed=True), admin(people, mailed=False)
    there(app, confirmed, mentor, -2, 60)
    smtp_sink.received.clear()
    clock.move_to(CLOSES - timedelta(seconds=1))
    assert worker().reports_finalised == 0
    assert stored(app, confirmed) is None

    clock.move_to(CLOSES)
    assert worker().reports_finalised == 1
    assert stored(app, confirmed) == ("mentee_no_show", "attended", "no_show", 0)
    assert sorted(recipient for _, recipient in no_show_mails(app)) == sorted([mentor, ada])
    (to_mentor,) = smtp_sink.to(MENTOR_EMAIL)
    assert to_mentor["Subject"].startswith("No-show: Max Mentee didn't join")
    assert "Max Mentee didn't join; the session is marked as a no-show." in plain(to_mentor)
    assert join_links(plain(to_mentor)) == set() and invite(to_mentor) is None
    assert smtp_sink.to(MENTEE_EMAIL) == []
    assert len(smtp_sink.to("ada.admin@example.com")) == 1
    assert smtp_sink.to("quiet.admin@example.com") == []

    clock.shift(timedelta(minutes=5))
    assert worker().reports_finalised == 0
    assert len(smtp_sink.received) == 2


def test_a_session_both_attended_is_finalised_as_held_without_mail(app, clock, confirmed, mentor, mentee, worker):
    there(app, confirmed, mentor, -1, 60)
    there(app, confirmed, mentee, 2, 58)
    clock.move_to(CLOSES)
    worker()
    assert stored(app, confirmed) == ("held", "attended", "attended", 56)
    assert no_show_mails(app) == []


def test_when_neither_came_only_the_admins_who_asked_are_told(app, clock, confirmed, people, worker, smtp_sink):
    app.config["JITSI_EVENTS_TOKEN"] = "configured"  # the room reports presence: an empty room is news
    ada = admin(people, mailed=True)
    clock.move_to(CLOSES)
    worker()
    assert stored(app, confirmed) == ("neither_came", "no_show", "no_show", 0)
    assert no_show_mails(app) == [("no_show", ada)]
    (mail,) = smtp_sink.to("ada.admin@example.com")
    assert mail["Subject"].startswith("No-show: neither Mona Mentor nor Max Mentee joined")


def test_without_a_source_of_presence_the_report_is_unknown_and_nobody_is_mailed(
    app, clock, confirmed, people, worker
):
    admin(people, mailed=True)
    clock.move_to(CLOSES)
    worker()
    assert stored(app, confirmed) == ("unknown", "unknown", "unknown", 0)
    with app.app_context():
        assert db.session.get(AttendanceReport, confirmed).presence_source is None
    assert no_show_mails(app) == []


def test_an_event_after_the_report_is_final_updates_it_and_the_change_is_kept(
    app, clock, confirmed, mentor, mentee, worker
):
    there(app, confirmed, mentor, 0, 60)
    clock.move_to(CLOSES)
    worker()
    assert stored(app, confirmed)[0] == "mentee_no_show"
    # The provider's late delivery: the mentee was there after all.
    there(app, confirmed, mentee, 1, 60, now=CLOSES + timedelta(minutes=3))
    assert stored(app, confirmed) == ("held", "attended", "attended", 59)
    with app.app_context():
        (change,) = db.session.scalars(sa.select(AttendanceReportChange)).all()
        assert (change.session_id, change.before, change.after) == (
            confirmed, "mentee_no_show attended no_show 0", "held attended attended 59"
        )
        assert db.session.get(AttendanceReport, confirmed).changed_at == CLOSES + timedelta(minutes=3)
    # The same event delivered again changes nothing more.
    there(app, confirmed, mentee, 1, 60, now=CLOSES + timedelta(minutes=4))
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceReportChange)) == 1


def test_two_workers_finalise_a_session_once_and_mail_it_once(app, clock, confirmed, mentor, smtp_sink):
    there(app, confirmed, mentor, 0, 60)
    smtp_sink.received.clear()
    clock.move_to(CLOSES)
    start, results, failures = threading.Barrier(2), [], []

    def finalise(name: str) -> None:
        try:
            with app.app_context():
                session = db.session.get(MentoringSession, confirmed)
                start.wait()
                results.append(attendance.finalise(session, CLOSES))
        except BaseException as exc:  # surfaced below
            failures.append(exc)

    threads = [threading.Thread(target=finalise, args=(name,)) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert sorted(results) == [False, True]
    assert no_show_mails(app) == [("no_show", mentor)]


def test_a_long_ended_session_is_not_finalised_nor_mailed_late(app, clock, confirmed, mentor, worker):
    there(app, confirmed, mentor, 0, 60)
    clock.move_to(STARTS + attendance.FINALISE_WITHIN + timedelta(hours=2))
    worker()
    assert stored(app, confirmed) is None
    # Its page still works the report out.
    with app.app_context():
        report = attendance.report_of(db.session.get(MentoringSession, confirmed), CLOSES)
        assert report.outcome == "mentee_no_show"


def test_a_no_show_found_a_day_after_the_window_is_recorded_but_not_mailed(app, clock, confirmed, mentor, worker):
    there(app, confirmed, mentor, 0, 60)
    clock.move_to(CLOSES + attendance.MAIL_WITHIN + timedelta(minutes=1))
    worker()
    assert stored(app, confirmed)[0] == "mentee_no_show"
    assert no_show_mails(app) == []


def test_a_google_meet_session_waits_for_its_records_to_be_read(app, clock, confirmed, worker):
    with app.app_context():
        db.session.execute(
            sa.update(MentoringSession)
            .where(MentoringSession.id == confirmed)
            .values(video_provider="google", meeting_kind="google", meeting_url="https://meet.google.com/abc-defg-hij",
                    meeting_external_id="spaces/abc")
        )
        db.session.add(PresenceFetch(session_id=confirmed, next_attempt_at=CLOSES + timedelta(hours=1)))
        db.session.commit()
    clock.move_to(CLOSES)
    with app.app_context():
        assert attendance.finalise_due(CLOSES) == 0
        db.session.get(PresenceFetch, confirmed).finished_at = CLOSES
        db.session.commit()
        assert attendance.finalise_due(CLOSES) == 1


def test_presence_older_than_the_retention_is_deleted_by_the_worker(app, clock, confirmed, mentor, worker):
    there(app, confirmed, mentor, 0, 60)
    app.config["PRESENCE_RETENTION_DAYS"] = 30
    clock.move_to(STARTS + timedelta(days=30, minutes=30))
    report = worker()
    assert report.presence_deleted == 1  # the join; the leave at minute 60 is not 30 days old yet
    assert "1 old presence rows deleted" in report.summary()
    with app.app_context():
        assert [event.kind for event in db.session.scalars(sa.select(PresenceEvent))] == ["left"]


def test_a_no_show_mail_not_yet_sent_is_withdrawn_when_a_late_event_shows_they_came(
    app, clock, confirmed, mentor, mentee, smtp_sink
):
    there(app, confirmed, mentor, 0, 60)
    smtp_sink.received.clear()
    with app.app_context():
        assert attendance.finalise_due(CLOSES) == 1  # queued, not delivered yet
    there(app, confirmed, mentee, 1, 60, now=CLOSES + timedelta(minutes=1))
    with app.app_context():
        (mail,) = db.session.scalars(sa.select(OutboxMail).where(OutboxMail.kind == "no_show")).all()
        assert mail.status == "skipped"
        assert mail.last_error == "The attendance report changed: it is no longer a no-show."
