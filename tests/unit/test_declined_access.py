"""A declined request at the join door, as pure rules: refused like a cancellation, in words of its own."""
from datetime import UTC, datetime, timedelta

import pytest

from meetapp.domain.access import AccessStatus, JoinRefusal, WindowMinutes, access_window, evaluate, refuse_join
from meetapp.domain.scheduling import SessionStatus

START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
END = START + timedelta(minutes=60)
WINDOW = access_window(starts_at=START, ends_at=END, early_minutes=15, late_minutes=30, defaults=WindowMinutes(15, 30))
MENTOR, MENTEE = 1, 2


def access_at(now, status):
    return evaluate(status=status, starts_at=START, ends_at=END, window=WINDOW, now=now)


@pytest.mark.parametrize("now", [START - timedelta(days=1), START, END + timedelta(hours=1)])
def test_a_declined_request_is_final_and_never_joinable(now):
    access = access_at(now, SessionStatus.DECLINED)
    assert access.status is AccessStatus.CANCELLED
    assert access.message == "This request was declined."
    assert access.final and not access.can_join
    assert access.next_change is None


def test_a_cancelled_session_keeps_its_own_words():
    assert access_at(START, SessionStatus.CANCELLED).message == "This session was cancelled."


@pytest.mark.parametrize("token_version", [1, 2, None])
def test_every_link_to_a_declined_request_says_it_ended(token_version):
    # Declining bumped the link version from 1 to 2: the old links say why, rather than "not valid".
    refusal = refuse_join(
        caller_id=MENTEE,
        token_user_id=MENTEE if token_version else None,
        token_version=token_version,
        mentor_id=MENTOR,
        mentee_id=MENTEE,
        link_version=2,
        access=access_at(START - timedelta(hours=1), SessionStatus.DECLINED),
    )
    assert refusal is JoinRefusal.CANCELLED


def test_a_stranger_with_a_link_to_a_declined_request_learns_nothing_of_it():
    refusal = refuse_join(
        caller_id=3,
        token_user_id=MENTEE,
        token_version=2,
        mentor_id=MENTOR,
        mentee_id=MENTEE,
        link_version=2,
        access=access_at(START, SessionStatus.DECLINED),
    )
    assert refusal is JoinRefusal.NOT_PARTICIPANT
