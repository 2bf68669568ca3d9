"""The worker's read of Google Meet presence (services.google_presence) against the fake Google: when it
reads, what it records and whom it matches, how it retries and gives up, and the report that follows."""
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from meetapp.extensions import db
from meetapp.models import MentoringSession, MentorProfile, PresenceEvent, PresenceFetch, User
from meetapp.services import attendance, google_presence
from tests.provider_fixtures import google_refresh_token_config
from tests.support import ON_POSTGRESQL_ONLY, running_app

START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # the Standard type: open 15 minutes early, 30 late
CLOSES = START + timedelta(minutes=90)
AFTER = CLOSES + timedelta(minutes=1)
MENTOR_ID, MENTEE_ID = "1001", "2002"  # their Google accounts' ids


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


@pytest.fixture
def app(database_url, fake_google):
    with running_app(database_url, **google_refresh_token_config(fake_google)) as app:
        yield app


@pytest.fixture
def session_id(app, clock, api_as, mentor, mentee):
    """A confirmed hour at 10:00 UTC on Google Meet, its space made by the (fake) API at booking."""
    with app.app_context():
        db.session.get(MentorProfile, mentor).video_provider = "google"
        db.session.get(User, mentor).google_account_id = MENTOR_ID
        db.session.get(User, mentee).google_account_id = MENTEE_ID
        db.session.commit()
    body = {"mentorId": mentor, "startsAt": "2026-11-23T10:00:00Z", "durationMinutes": 60}
    created = api_as(mentee).post("/api/mentoring/sessions", json=body)
    assert created.status_code == 201, created.json
    session_id = created.json["session"]["id"]
    assert api_as(mentor).post(f"/api/mentoring/session/{session_id}/confirm").status_code == 200
    with app.app_context():
        assert db.session.get(MentoringSession, session_id).meeting_kind == "google"
    return session_id


@pytest.fixture
def space(app, session_id):
    with app.app_context():
        return db.session.get(MentoringSession, session_id).meeting_external_id


def run(app, now: datetime) -> int:
    with app.app_context():
        return google_presence.fetch_due(now)


def stored_events(app, session_id):
    with app.app_context():
        return [
            (e.kind, e.at, e.user_id, e.display_name, e.source)
            for e in db.session.scalars(
                sa.select(PresenceEvent).where(PresenceEvent.session_id == session_id)
                .order_by(PresenceEvent.at, PresenceEvent.kind)
            )
        ]


def fetch_row(app, session_id):
    with app.app_context():
        row = db.session.get(PresenceFetch, session_id)
        db.session.expunge(row)
        return row


def record_reads(fake_google):
    return [r for r in fake_google.sent("GET", "/v2/conferenceRecords") if r.path == "/v2/conferenceRecords"]


def report(app, session_id, now):
    with app.app_context():
        return attendance.report_of(db.session.get(MentoringSession, session_id), now)


def test_nothing_is_read_before_the_window_closes(app, session_id, space, fake_google):
    fake_google.add_conference(space, at(-2), at(60))
    assert run(app, CLOSES - timedelta(seconds=1)) == 0
    assert record_reads(fake_google) == []
    with app.app_context():
        assert db.session.get(PresenceFetch, session_id) is None


def test_each_join_and_leave_is_recorded_and_matched_to_the_two_people(
    app, session_id, space, fake_google, mentor, mentee
):
    record = fake_google.add_conference(space, at(-2), at(61))
    fake_google.add_participant(record, [(at(-2), at(61))], user=f"users/{MENTOR_ID}", display_name="Mona M")
    fake_google.add_participant(record, [(at(1), at(20)), (at(22), None)], user=f"users/{MENTEE_ID}",
                                display_name="Max M")

    assert run(app, AFTER) == 1

    assert stored_events(app, session_id) == [
        ("joined", at(-2), mentor, None, "google"),
        ("joined", at(1), mentee, None, "google"),
        ("left", at(20), mentee, None, "google"),
        ("joined", at(22), mentee, None, "google"),
        ("left", at(61), mentor, None, "google"),
    ], "the people's names are not kept: they are matched"
    row = fetch_row(app, session_id)
    assert (row.attempts, row.finished_at, row.last_error) == (1, AFTER, None)
    lines = report(app, session_id, AFTER)
    assert lines.presence_source == "google"
    assert (lines.mentor.state, lines.mentee.state, lines.outcome) == ("attended", "attended", "held")
    assert lines.mentee.minutes_present == 19 + 68, "from 10:01 to 10:20 and from 10:22 to the window's close"


def test_one_person_on_two_devices_at_once_counts_once_and_whole(app, session_id, space, fake_google, mentor):
    record = fake_google.add_conference(space, at(0), at(60))
    fake_google.add_participant(record, [(at(0), at(30)), (at(10), at(60))], user=f"users/{MENTOR_ID}")
    run(app, AFTER)
    assert report(app, session_id, AFTER).mentor.minutes_present == 60


def test_anonymous_phone_and_other_signed_in_participants_stay_unmatched_with_a_name(
    app, session_id, space, fake_google
):
    record = fake_google.add_conference(space, at(0), at(60))
    fake_google.add_participant(record, [(at(30), at(40))], display_name="Guest Person")
    fake_google.add_participant(record, [(at(31), at(41))], kind="phoneUser", display_name="+1 ***-***-1234")
    fake_google.add_participant(record, [(at(32), at(42))], user="users/999", display_name="Someone Else")

    run(app, AFTER)

    assert {(kind, user, name) for kind, _, user, name, _ in stored_events(app, session_id)} == {
        ("joined", None, "Guest Person"), ("left", None, "Guest Person"),
        ("joined", None, "Phone participant"), ("left", None, "Phone participant"),
        ("joined", None, "Someone Else"), ("left", None, "Someone Else"),
    }, "a dial-in's number is not kept, only that someone dialled in"
    assert {interval.display_name for interval in report(app, session_id, AFTER).unmatched} == {
        "Guest Person", "Phone participant", "Someone Else"}


def test_no_record_yet_is_asked_again_with_backoff(app, session_id, space, fake_google, mentor):
    assert run(app, AFTER) == 0
    row = fetch_row(app, session_id)
    assert (row.attempts, row.next_attempt_at, row.finished_at) == (1, AFTER + timedelta(minutes=2), None)
    assert row.last_error == google_presence.NO_RECORD
    assert run(app, AFTER + timedelta(minutes=1)) == 0
    assert len(record_reads(fake_google)) == 1, "not due yet"
    with app.app_context():
        assert attendance.finalise_due(AFTER + timedelta(minutes=1)) == 0, "the report waits for the read"

    assert run(app, AFTER + timedelta(minutes=2)) == 0
    assert fetch_row(app, session_id).next_attempt_at == AFTER + timedelta(minutes=6)

    record = fake_google.add_conference(space, at(0), at(60))
    fake_google.add_participant(record, [(at(0), at(60))], user=f"users/{MENTOR_ID}")
    assert run(app, AFTER + timedelta(minutes=6)) == 1
    row = fetch_row(app, session_id)
    assert (row.attempts, row.finished_at, row.last_error) == (3, AFTER + timedelta(minutes=6), None)
    with app.app_context():
        assert attendance.finalise_due(AFTER + timedelta(minutes=7)) == 1
    lines = report(app, session_id, AFTER + timedelta(minutes=7))
    assert (lines.mentor.state, lines.mentee.state, lines.outcome) == ("attended", "no_show", "mentee_no_show")


def test_google_failing_is_retried_2_4_8_minutes_apart_up_to_an_hour_then_given_up_after_a_day(
    app, session_id, space, fake_google
):
    fake_google.rate_limit(times=10_000, retry_after="0", path="/v2/conferenceRecords")
    now, waits = AFTER, []
    while fetch_row_or_none(app, session_id) is None or fetch_row(app, session_id).finished_at is None:
        assert run(app, now) == 0
        row = fetch_row(app, session_id)
        if row.finished_at is None:
            waits.append(row.next_attempt_at - now)
            now = row.next_attempt_at
        assert len(waits) < 100

    assert [int(wait / timedelta(minutes=1)) for wait in waits[:7]] == [2, 4, 8, 16, 32, 60, 60]
    assert max(waits) == timedelta(hours=1)
    row = fetch_row(app, session_id)
    assert row.finished_at == now == CLOSES + timedelta(days=1), "the last try is right at the limit"
    assert "rate limiting" in row.last_error
    assert run(app, now + timedelta(hours=1)) == 0, "given up: never read again"
    with app.app_context():
        assert attendance.finalise_due(now) == 1, "the report no longer waits"
    lines = report(app, session_id, now)
    assert (lines.presence_source, lines.outcome) == ("google", "neither_came")


def fetch_row_or_none(app, session_id):
    with app.app_context():
        return db.session.get(PresenceFetch, session_id)


def test_a_server_error_is_retried_and_a_long_retry_after_is_honoured(app, session_id, space, fake_google):
    fake_google.fail(times=2, status=503, path="/v2/conferenceRecords")
    run(app, AFTER)
    row = fetch_row(app, session_id)
    assert "server error" in row.last_error and row.next_attempt_at == AFTER + timedelta(minutes=2)

    fake_google.rate_limit(times=5, retry_after="600", path="/v2/conferenceRecords")
    run(app, row.next_attempt_at)
    assert fetch_row(app, session_id).next_attempt_at == row.next_attempt_at + timedelta(minutes=10)


def test_an_unconfigured_google_finishes_at_once_and_says_so(app, session_id, fake_google):
    with app.app_context():
        current_app.config["GOOGLE_REFRESH_TOKEN"] = None
        current_app.extensions.pop("meetapp.video_clients", None)
    assert run(app, AFTER) == 0
    row = fetch_row(app, session_id)
    assert (row.finished_at, row.last_error) == (AFTER, google_presence.NOT_CONFIGURED)
    assert record_reads(fake_google) == []


def test_two_passes_read_a_session_once(app, session_id, space, fake_google):
    fake_google.add_participant(fake_google.add_conference(space, at(0), at(60)), [(at(0), at(60))])
    assert run(app, AFTER) == 1
    assert run(app, AFTER) == 0
    assert run(app, AFTER + timedelta(hours=2)) == 0
    assert len(record_reads(fake_google)) == 1
    assert len(stored_events(app, session_id)) == 2


def test_a_claimed_read_is_nobody_elses_until_its_claim_runs_out(app, session_id):
    with app.app_context():
        assert google_presence.claim(session_id, AFTER) is True
        assert google_presence.claim(session_id, AFTER) is False, "the first read is under way"
        lease_over = AFTER + google_presence.CLAIM
        assert google_presence.claim(session_id, lease_over) is True, "its worker died: another takes over"
        assert db.session.get(PresenceFetch, session_id).attempts == 2


def test_sessions_that_are_not_confirmed_meet_sessions_are_not_read(app, session_id, api_as, mentee, fake_google):
    assert api_as(mentee).post(f"/api/mentoring/session/{session_id}/cancel", json={}).status_code == 200
    assert run(app, AFTER) == 0
    assert record_reads(fake_google) == []


def test_a_session_whose_window_closed_over_a_week_ago_is_left_alone(app, session_id, fake_google):
    assert run(app, START + timedelta(days=8)) == 0
    assert record_reads(fake_google) == []


def claims_at_once(app, session_id, now, workers: int = 4) -> list[bool]:
    """`workers` threads, each with its own connection, claiming the same read at the same instant."""
    barrier, results = threading.Barrier(workers), []

    def claim():
        with app.app_context():
            barrier.wait()
            results.append(google_presence.claim(session_id, now))

    threads = [threading.Thread(target=claim) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(results)


@ON_POSTGRESQL_ONLY
def test_two_workers_claiming_at_once_give_the_read_to_one(app, session_id):
    assert claims_at_once(app, session_id, AFTER) == [False, False, False, True], "the first claim inserts the row"
    lease_over = AFTER + google_presence.CLAIM
    assert claims_at_once(app, session_id, lease_over) == [False, False, False, True], "a retry moves it on"
