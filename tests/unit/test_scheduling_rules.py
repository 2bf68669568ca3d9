"""Booking rules and lifecycle transitions, without Flask or a database."""
from datetime import UTC, datetime, timedelta

import pytest

from meetapp.domain.errors import (
    AlreadyCancelled,
    AlreadyConfirmed,
    InvalidRequest,
    NotMentor,
    NotParticipant,
    SessionCancelled,
    SessionOver,
)
from meetapp.domain.scheduling import (
    Action,
    BookingCheck,
    SessionStatus,
    allowed_actions,
    awaits_confirmation_by,
    check_cancel_reason,
    check_duration,
    check_may_act,
    check_start,
    check_transition,
    new_session_id,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)
MENTOR, MENTEE, STRANGER = 1, 2, 3


@pytest.mark.parametrize("minutes", [15, 60, 240])
def test_durations_within_bounds_pass(minutes):
    check = BookingCheck()
    check_duration(minutes, check)
    assert check.errors == {}


@pytest.mark.parametrize("minutes", [14, 241, 0, -30, "60", 60.0, True, None, 10**12])
def test_durations_out_of_bounds_or_not_whole_minutes_fail(minutes):
    check = BookingCheck()
    check_duration(minutes, check)
    assert "duration_minutes" in check.errors


def test_a_start_in_the_past_or_right_now_is_refused():
    for start in (NOW - timedelta(minutes=1), NOW):
        check = BookingCheck()
        check_start(start, NOW, check)
        assert "past" in check.errors["starts_at"]


def test_a_start_more_than_two_years_ahead_is_refused():
    check = BookingCheck()
    check_start(NOW + timedelta(days=800), NOW, check)
    assert "two years" in check.errors["starts_at"]


def test_field_errors_are_collected_and_raised_together():
    check = BookingCheck()
    check_duration(5, check)
    check_start(NOW, NOW, check)
    with pytest.raises(InvalidRequest) as raised:
        check.raise_if_any()
    assert set(raised.value.fields) == {"duration_minutes", "starts_at"}


@pytest.mark.parametrize(("reason", "ok"), [(None, True), ("", True), ("Sick", True), ("x" * 500, True), ("x" * 501, False), (42, False)])
def test_cancel_reason_is_optional_text_of_bounded_length(reason, ok):
    check = BookingCheck()
    check_cancel_reason(reason, check)
    assert (check.errors == {}) is ok


@pytest.mark.parametrize(
    ("action", "status", "refusal"),
    [
        (Action.CONFIRM, SessionStatus.CONFIRMED, AlreadyConfirmed),
        (Action.CONFIRM, SessionStatus.CANCELLED, SessionCancelled),
        (Action.CANCEL, SessionStatus.CANCELLED, AlreadyCancelled),
        (Action.RESCHEDULE, SessionStatus.CANCELLED, SessionCancelled),
    ],
)
def test_transitions_that_do_not_apply_are_conflicts(action, status, refusal):
    with pytest.raises(refusal):
        check_transition(action, status, LATER, NOW)


@pytest.mark.parametrize("action", list(Action))
def test_nothing_changes_once_a_session_is_over(action):
    with pytest.raises(SessionOver):
        check_transition(action, SessionStatus.PENDING, NOW, NOW)


@pytest.mark.parametrize(
    ("action", "status"),
    [
        (Action.CONFIRM, SessionStatus.PENDING),
        (Action.CANCEL, SessionStatus.PENDING),
        (Action.CANCEL, SessionStatus.CONFIRMED),
        (Action.RESCHEDULE, SessionStatus.PENDING),
        (Action.RESCHEDULE, SessionStatus.CONFIRMED),
    ],
)
def test_transitions_that_apply_pass(action, status):
    check_transition(action, status, LATER, NOW)


@pytest.mark.parametrize("action", [Action.CONFIRM, Action.NEW_LINK])
def test_only_the_mentor_confirms_or_makes_a_new_link(action):
    check_may_act(action, MENTOR, MENTOR, MENTEE)
    with pytest.raises(NotMentor):
        check_may_act(action, MENTEE, MENTOR, MENTEE)


@pytest.mark.parametrize("action", list(Action))
def test_strangers_may_do_nothing(action):
    with pytest.raises(NotParticipant):
        check_may_act(action, STRANGER, MENTOR, MENTEE)


@pytest.mark.parametrize("action", [Action.CANCEL, Action.RESCHEDULE])
def test_either_participant_may_cancel_or_reschedule(action):
    check_may_act(action, MENTOR, MENTOR, MENTEE)
    check_may_act(action, MENTEE, MENTOR, MENTEE)


def test_session_ids_are_opaque_and_unique():
    ids = {new_session_id() for _ in range(1000)}
    assert len(ids) == 1000
    for session_id in ids:
        assert len(session_id) == 16
        assert not session_id.isdigit()


@pytest.mark.parametrize(
    ("user", "status", "ends_at", "expected"),
    [
        (MENTOR, SessionStatus.PENDING, LATER, {Action.CONFIRM, Action.CANCEL, Action.RESCHEDULE, Action.NEW_LINK}),
        (MENTEE, SessionStatus.PENDING, LATER, {Action.CANCEL, Action.RESCHEDULE}),
        (MENTOR, SessionStatus.CONFIRMED, LATER, {Action.CANCEL, Action.RESCHEDULE, Action.NEW_LINK}),
        (MENTOR, SessionStatus.CANCELLED, LATER, set()),
        (MENTEE, SessionStatus.CONFIRMED, NOW, set()),
        (STRANGER, SessionStatus.PENDING, LATER, set()),
    ],
)
def test_allowed_actions_follow_the_same_rules(user, status, ends_at, expected):
    assert allowed_actions(user, MENTOR, MENTEE, status, ends_at, NOW) == expected


@pytest.mark.parametrize(
    ("user", "status", "expected"),
    [
        (MENTOR, SessionStatus.PENDING, True),
        (MENTEE, SessionStatus.PENDING, False),
        (MENTOR, SessionStatus.CONFIRMED, False),
        (MENTOR, SessionStatus.CANCELLED, False),
    ],
)
def test_a_session_awaits_only_its_mentors_confirmation_and_only_while_pending(user, status, expected):
    assert awaits_confirmation_by(user, MENTOR, status) is expected
