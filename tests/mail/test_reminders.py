"""Reminders at each REMINDER_OFFSETS_MINUTES (24 h and 15 min by default), with time moved by time-machine.

The database's own clock is never asked: here it reads the real date, days away
from the travelled one, so a due-ness computed by the database would fail every test.
"""
from datetime import UTC, datetime, timedelta

from meetapp.extensions import db
from meetapp.models import MentorProfile
from tests.mail.helpers import STARTS, book, html, path_of, plain, the_join_link
from tests.support import set_session_type

DAY_BEFORE = STARTS - timedelta(hours=24)
QUARTER_BEFORE = STARTS - timedelta(minutes=15)




def reminders(smtp_sink):
    return [message for message in smtp_sink.received if message["Subject"].startswith("Reminder:")]


def reminders_at(moment, clock, worker, smtp_sink) -> int:
    """Run the worker at `moment`; how many reminders arrived (the sink is emptied)."""
    clock.move_to(moment)
    worker()
    count = len(reminders(smtp_sink))
    smtp_sink.received.clear()
    return count


def test_each_reminder_comes_when_due_never_early_and_never_twice(confirmed, clock, worker, smtp_sink):
    timeline = [
        (DAY_BEFORE - timedelta(seconds=1), 0),
        (DAY_BEFORE, 2),
        (DAY_BEFORE + timedelta(seconds=1), 0),
        (DAY_BEFORE + timedelta(hours=3), 0),
        (QUARTER_BEFORE - timedelta(seconds=1), 0),
        (QUARTER_BEFORE, 2),
        (QUARTER_BEFORE + timedelta(minutes=5), 0),
        (STARTS + timedelta(minutes=1), 0),
    ]
    assert [reminders_at(moment, clock, worker, smtp_sink) for moment, _ in timeline] == [n for _, n in timeline]


def test_a_reminder_carries_the_join_link_and_the_window(
    app, confirmed, mentee, client, auth, clock, worker, smtp_sink
):
    clock.move_to(QUARTER_BEFORE)
    worker()
    by_address = {message["To"]: message for message in reminders(smtp_sink)}
    for_mentor = by_address["Mona Mentor <mona.mentor@example.com>"]
    for_mentee = by_address["Max Mentee <max.mentee@example.com>"]
    assert for_mentor["Subject"] == "Reminder: Standard with Max Mentee starts in 15 minutes"
    assert "You can join from 10:45 with your own link" in plain(for_mentor)
    assert "You can join from 04:45 with your own link" in plain(for_mentee)
    assert for_mentee["Message-ID"] == f"<reminder.1.15.{confirmed}.{mentee}@127.0.0.1>"

    auth.login("max.mentee@example.com")
    assert client.get(path_of(the_join_link(for_mentee))).status_code == 302


def test_a_reminder_says_when_the_session_types_window_opens(app, clock, as_mentee, as_mentor, mentor, worker, smtp_sink):
    set_session_type(app, "Long lead", early=60, late=5)
    session_id = book(as_mentee, mentor, session_type="Long lead")
    as_mentor.post(f"/api/mentoring/session/{session_id}/confirm")
    worker()
    smtp_sink.received.clear()
    clock.move_to(QUARTER_BEFORE)
    worker()
    by_address = {message["To"]: message for message in reminders(smtp_sink)}
    # An hour before 11:00 in Berlin and 05:00 in New York; the default window would say 10:45 and 04:45.
    assert "You can join from 10:00 with your own link" in plain(by_address["Mona Mentor <mona.mentor@example.com>"])
    assert "You can join from 04:00 with your own link" in plain(by_address["Max Mentee <max.mentee@example.com>"])
    assert "You can join from <strong>04:00</strong>" in html(by_address["Max Mentee <max.mentee@example.com>"])


def test_the_day_before_reminder_says_so(confirmed, clock, worker, smtp_sink):
    clock.move_to(DAY_BEFORE)
    worker()
    assert {message["Subject"] for message in reminders(smtp_sink)} == {
        "Reminder: Standard with Max Mentee starts in 24 hours",
        "Reminder: Standard with Mona Mentor starts in 24 hours",
    }


def test_a_cancelled_session_is_never_reminded(confirmed, as_mentee, clock, worker, smtp_sink):
    as_mentee.post(f"/api/mentoring/session/{confirmed}/cancel", json={"reason": "Found a job"})
    worker()
    assert [reminders_at(moment, clock, worker, smtp_sink) for moment in (DAY_BEFORE, QUARTER_BEFORE)] == [0, 0]


def test_a_reminder_queued_before_a_cancellation_is_not_sent(confirmed, app, as_mentee, clock, smtp_sink):
    from meetapp.outbox.worker import queue_due_reminders, run_pass

    clock.move_to(QUARTER_BEFORE)
    with app.app_context():
        assert queue_due_reminders(datetime.now(UTC)) == 2
    as_mentee.post(f"/api/mentoring/session/{confirmed}/cancel", json={})
    with app.app_context():
        report = run_pass(worker_id="test")
    assert (report.skipped, len(reminders(smtp_sink))) == (2, 0)


def test_a_pending_session_is_not_reminded(clock, as_mentee, mentor, worker, smtp_sink):
    book(as_mentee, mentor)
    worker()
    assert [reminders_at(moment, clock, worker, smtp_sink) for moment in (DAY_BEFORE, QUARTER_BEFORE)] == [0, 0]


def test_a_rescheduled_session_is_reminded_at_its_new_time(confirmed, as_mentor, clock, worker, smtp_sink):
    assert reminders_at(DAY_BEFORE, clock, worker, smtp_sink) == 2
    new_start = STARTS + timedelta(days=1)
    clock.move_to(DAY_BEFORE + timedelta(minutes=30))
    assert as_mentor.post(
        f"/api/mentoring/session/{confirmed}/reschedule", json={"startsAt": new_start.isoformat()}
    ).status_code == 200
    worker()
    smtp_sink.received.clear()

    assert reminders_at(QUARTER_BEFORE, clock, worker, smtp_sink) == 0, "nothing at the old time"
    clock.move_to(new_start - timedelta(hours=24))
    worker()
    day_before = reminders(smtp_sink)
    assert len(day_before) == 2
    assert all(message["Message-ID"].startswith("<reminder.2.1440.") for message in day_before)
    smtp_sink.received.clear()
    assert reminders_at(new_start - timedelta(minutes=15), clock, worker, smtp_sink) == 2


def test_a_worker_back_from_downtime_sends_only_the_latest_reminder(confirmed, clock, worker, smtp_sink):
    clock.move_to(QUARTER_BEFORE + timedelta(minutes=5))
    worker()
    assert {message["Subject"].rsplit(" in ", 1)[1] for message in reminders(smtp_sink)} == {"10 minutes"}


def test_no_reminder_right_after_the_confirmation_that_said_it_all(
    clock, as_mentee, as_mentor, mentor, worker, smtp_sink
):
    session_id = book(as_mentee, mentor)
    clock.move_to(STARTS - timedelta(minutes=10))
    as_mentor.post(f"/api/mentoring/session/{session_id}/confirm")
    worker()
    subjects = [message["Subject"] for message in smtp_sink.received]
    assert len(subjects) == 2 and all(subject.startswith("Confirmed:") for subject in subjects)


def test_the_offsets_come_from_the_configuration(app, confirmed, clock, worker, smtp_sink):
    app.config["REMINDER_OFFSETS_MINUTES"] = (120,)
    assert reminders_at(DAY_BEFORE, clock, worker, smtp_sink) == 0
    assert reminders_at(STARTS - timedelta(minutes=120), clock, worker, smtp_sink) == 2
    assert reminders_at(QUARTER_BEFORE, clock, worker, smtp_sink) == 0


def test_an_auto_confirmed_booking_is_reminded_too(app, clock, as_mentee, mentor, worker, smtp_sink):
    with app.app_context():
        db.session.get(MentorProfile, mentor).auto_confirm = True
        db.session.commit()
    book(as_mentee, mentor)
    worker()
    smtp_sink.received.clear()
    assert reminders_at(QUARTER_BEFORE, clock, worker, smtp_sink) == 2
