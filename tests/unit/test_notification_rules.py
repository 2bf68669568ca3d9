"""Mail rules without Flask: when reminders are due, when queued mail is stale, how retries back off."""
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meetapp.domain.notifications import (
    ENDING_MAILS,
    MailKind,
    due_reminder_offset,
    duration_words,
    retry_delay,
    stale_reason,
)
from meetapp.domain.scheduling import SessionStatus

STARTS = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
OFFSETS = (1440, 15)


def due(now, announced_at=None, offsets=OFFSETS):
    return due_reminder_offset(starts_at=STARTS, offsets=offsets, announced_at=announced_at, now=now)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (STARTS - timedelta(hours=25), None),
        (STARTS - timedelta(hours=24, seconds=1), None),
        (STARTS - timedelta(hours=24), 1440),
        (STARTS - timedelta(hours=2), 1440),
        (STARTS - timedelta(minutes=15, seconds=1), 1440),
        (STARTS - timedelta(minutes=15), 15),
        (STARTS - timedelta(seconds=1), 15),
        (STARTS, None),
        (STARTS + timedelta(hours=1), None),
    ],
)
def test_the_latest_offset_that_has_come_due_is_the_one_to_send(now, expected):
    assert due(now) == expected


def test_an_offset_that_came_due_before_the_last_announcement_is_not_sent():
    announced = STARTS - timedelta(hours=3)
    assert due(STARTS - timedelta(hours=2), announced_at=announced) is None
    assert due(STARTS - timedelta(minutes=15), announced_at=announced) == 15
    assert due(STARTS - timedelta(minutes=5), announced_at=STARTS - timedelta(minutes=10)) is None


def test_no_offsets_means_no_reminders():
    assert due(STARTS - timedelta(minutes=1), offsets=()) is None


def stale(kind, *, sequence=1, status=SessionStatus.CONFIRMED, link_version=1, now=STARTS - timedelta(hours=1)):
    return stale_reason(
        kind=kind, sequence=sequence, session_status=status, link_version=link_version, starts_at=STARTS, now=now
    )


@pytest.mark.parametrize("kind", list(MailKind))
def test_a_mail_for_the_current_state_is_sent(kind):
    status = SessionStatus.PENDING if kind in (MailKind.BOOKING_REQUEST, MailKind.REQUEST_SENT) else SessionStatus.CONFIRMED
    assert stale(kind, status=status) is None


@pytest.mark.parametrize("kind", [MailKind.CONFIRMATION, MailKind.RESCHEDULE, MailKind.NEW_LINK, MailKind.REMINDER])
def test_a_mail_whose_links_a_later_change_killed_is_stale(kind):
    assert "newer mail" in stale(kind, sequence=1, link_version=2)


@pytest.mark.parametrize("kind", [kind for kind in MailKind if kind not in ENDING_MAILS])
@pytest.mark.parametrize("status", [SessionStatus.CANCELLED, SessionStatus.DECLINED])
def test_nothing_but_the_mail_that_ends_it_goes_out_for_an_ended_session(kind, status):
    assert f"The session was {status.value}" in stale(kind, status=status, link_version=2, sequence=2)


@pytest.mark.parametrize("kind", [MailKind.CANCELLATION, MailKind.DECLINED])
@pytest.mark.parametrize("status", [SessionStatus.CANCELLED, SessionStatus.DECLINED])
def test_a_cancellation_or_a_decline_is_never_stale(kind, status):
    assert stale(kind, status=status, sequence=1, link_version=5) is None


def test_a_move_request_is_stale_once_the_mentor_declined_it():
    # The mentee moved a confirmed session (version 3), and the mentor declined the new time (version 4).
    assert stale(MailKind.RESCHEDULE, status=SessionStatus.DECLINED, sequence=3, link_version=4) is not None


@pytest.mark.parametrize("kind", [MailKind.BOOKING_REQUEST, MailKind.REQUEST_SENT])
def test_a_request_answered_before_it_went_out_is_stale(kind):
    # The confirmation (or the cancellation) tells both people what the request and its note would have.
    assert stale(kind, status=SessionStatus.CONFIRMED) is not None
    assert stale(kind, status=SessionStatus.PENDING, sequence=1, link_version=2) is not None


@pytest.mark.parametrize("status", [SessionStatus.PENDING, SessionStatus.DECLINED])
def test_no_reminder_for_a_session_that_is_not_confirmed(status):
    assert stale(MailKind.REMINDER, status=status) is not None


def test_a_reminder_after_the_start_is_stale():
    assert stale(MailKind.REMINDER, now=STARTS) is not None


@given(attempts=st.integers(min_value=1, max_value=60), rand=st.floats(min_value=0, max_value=1))
def test_backoff_doubles_within_its_jitter_and_never_exceeds_the_cap(attempts, rand):
    delay = retry_delay(attempts, base_seconds=30, cap_seconds=3600, rand=lambda: rand).total_seconds()
    exponential = min(3600, 30 * 2 ** (attempts - 1))
    assert exponential / 2 <= delay <= exponential
    assert delay <= 3600


def test_backoff_grows_with_each_attempt():
    fixed = dict(base_seconds=30, cap_seconds=3600, rand=lambda: 1.0)
    assert [retry_delay(n, **fixed).total_seconds() for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1920, 3600]


def test_jitter_spreads_workers_that_failed_together():
    delays = {retry_delay(3, base_seconds=30, cap_seconds=3600).total_seconds() for _ in range(50)}
    assert len(delays) > 1


@pytest.mark.parametrize(
    ("minutes", "words"),
    [(1, "1 minute"), (15, "15 minutes"), (60, "1 hour"), (90, "1 hour 30 minutes"), (1440, "24 hours")],
)
def test_durations_read_naturally(minutes, words):
    assert duration_words(minutes) == words
