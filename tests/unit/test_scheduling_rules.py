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
    ADMIN_ACTIONS,
    Action,
    BookingCheck,
    Role,
    SessionStatus,
    allowed_actions,
    awaits_confirmation_by,
    awaits_new_time,
    check_cancel_reason,
    check_duration,
    check_may_act,
    check_start,
    check_transition,
    ended_by_support,
    move_takes_back_confirmation,
    new_session_id,
    offered_actions,
    on_the_second,
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


@pytest.mark.parametrize(("reason", "ok"), [(None, False), ("", False), ("   ", False), ("Reported abuse", True), ("x" * 501, False)])
def test_an_admin_must_give_a_reason(reason, ok):
    check = BookingCheck()
    check_cancel_reason(reason, check, required=True)
    assert (check.errors == {}) is ok


@pytest.mark.parametrize(
    ("action", "status", "refusal"),
    [
        (Action.CONFIRM, SessionStatus.CONFIRMED, AlreadyConfirmed),
        (Action.CONFIRM, SessionStatus.CANCELLED, SessionCancelled),
        (Action.CANCEL, SessionStatus.CANCELLED, AlreadyCancelled),
        (Action.RESCHEDULE, SessionStatus.CANCELLED, SessionCancelled),
        (Action.DECLINE, SessionStatus.CANCELLED, AlreadyCancelled),
        (Action.DECLINE, SessionStatus.DECLINED, AlreadyCancelled),
        (Action.CANCEL, SessionStatus.DECLINED, AlreadyCancelled),
        (Action.CONFIRM, SessionStatus.DECLINED, SessionCancelled),
        (Action.RESCHEDULE, SessionStatus.DECLINED, SessionCancelled),
        (Action.NEW_LINK, SessionStatus.DECLINED, SessionCancelled),
    ],
)
def test_transitions_that_do_not_apply_are_conflicts(action, status, refusal):
    with pytest.raises(refusal):
        check_transition(action, status, LATER, NOW)


def test_a_confirmed_session_is_cancelled_not_declined():
    with pytest.raises(AlreadyConfirmed, match="cancel it instead"):
        check_transition(Action.DECLINE, SessionStatus.CONFIRMED, LATER, NOW)


def test_a_declined_request_says_so_and_points_to_a_new_booking():
    with pytest.raises(SessionCancelled, match="declined; book a new time instead"):
        check_transition(Action.CONFIRM, SessionStatus.DECLINED, LATER, NOW)


@pytest.mark.parametrize("status", [SessionStatus.CANCELLED, SessionStatus.DECLINED])
def test_an_ended_session_says_so_before_it_says_it_is_over(status):
    # Cancelled or declined, and over too: the end comes first, as it is the lasting fact.
    with pytest.raises((AlreadyCancelled, SessionCancelled)):
        check_transition(Action.CONFIRM, status, NOW, NOW)


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
        (Action.DECLINE, SessionStatus.PENDING),
    ],
)
def test_transitions_that_apply_pass(action, status):
    check_transition(action, status, LATER, NOW)


@pytest.mark.parametrize("action", [Action.CONFIRM, Action.DECLINE, Action.NEW_LINK])
def test_only_the_mentor_confirms_declines_or_makes_a_new_link(action):
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


def test_the_mentee_is_told_to_cancel_their_own_request_rather_than_decline_it():
    with pytest.raises(NotMentor, match="cancel it"):
        check_may_act(Action.DECLINE, MENTEE, MENTOR, MENTEE)


@pytest.mark.parametrize("action", list(Action))
def test_an_admin_may_cancel_or_renew_the_link_and_nothing_else(action):
    if action in ADMIN_ACTIONS:
        check_may_act(action, STRANGER, MENTOR, MENTEE, is_admin=True)
    else:
        with pytest.raises(NotParticipant):
            check_may_act(action, STRANGER, MENTOR, MENTEE, is_admin=True)
    assert ADMIN_ACTIONS == {Action.CANCEL, Action.NEW_LINK}


def test_session_ids_are_opaque_and_unique():
    ids = {new_session_id() for _ in range(1000)}
    assert len(ids) == 1000
    for session_id in ids:
        assert len(session_id) == 16
        assert not session_id.isdigit()


@pytest.mark.parametrize(
    ("user", "status", "ends_at", "expected"),
    [
        (
            MENTOR,
            SessionStatus.PENDING,
            LATER,
            {Action.CONFIRM, Action.DECLINE, Action.CANCEL, Action.RESCHEDULE, Action.NEW_LINK},
        ),
        (MENTEE, SessionStatus.PENDING, LATER, {Action.CANCEL, Action.RESCHEDULE}),
        (MENTOR, SessionStatus.CONFIRMED, LATER, {Action.CANCEL, Action.RESCHEDULE, Action.NEW_LINK}),
        (MENTOR, SessionStatus.CANCELLED, LATER, set()),
        (MENTOR, SessionStatus.DECLINED, LATER, set()),
        (MENTEE, SessionStatus.DECLINED, LATER, set()),
        (MENTEE, SessionStatus.CONFIRMED, NOW, set()),
        (STRANGER, SessionStatus.PENDING, LATER, set()),
    ],
)
def test_allowed_actions_follow_the_same_rules(user, status, ends_at, expected):
    assert allowed_actions(user, MENTOR, MENTEE, status, ends_at, NOW) == expected


@pytest.mark.parametrize(
    ("status", "ends_at", "expected"),
    [
        (SessionStatus.PENDING, LATER, {Action.CANCEL, Action.NEW_LINK}),
        (SessionStatus.CONFIRMED, LATER, {Action.CANCEL, Action.NEW_LINK}),
        (SessionStatus.DECLINED, LATER, set()),
        (SessionStatus.CONFIRMED, NOW, set()),
    ],
)
def test_an_admin_is_allowed_the_admin_actions_while_the_session_is_on(status, ends_at, expected):
    assert allowed_actions(STRANGER, MENTOR, MENTEE, status, ends_at, NOW, is_admin=True) == expected


def test_the_page_offers_a_mentor_decline_instead_of_cancel_for_a_request():
    assert offered_actions(MENTOR, MENTOR, MENTEE, SessionStatus.PENDING, LATER, NOW) == {
        Action.CONFIRM,
        Action.DECLINE,
        Action.RESCHEDULE,
        Action.NEW_LINK,
    }
    # Once confirmed there is nothing to decline, so cancelling is what is offered.
    assert Action.CANCEL in offered_actions(MENTOR, MENTOR, MENTEE, SessionStatus.CONFIRMED, LATER, NOW)
    assert Action.CANCEL in offered_actions(MENTEE, MENTOR, MENTEE, SessionStatus.PENDING, LATER, NOW)


@pytest.mark.parametrize(
    ("user", "status", "expected"),
    [
        (MENTEE, SessionStatus.CONFIRMED, True),
        (MENTEE, SessionStatus.PENDING, False),
        (MENTOR, SessionStatus.CONFIRMED, False),
        (MENTOR, SessionStatus.PENDING, False),
    ],
)
def test_only_the_mentees_move_of_a_confirmed_session_waits_for_the_mentor(user, status, expected):
    assert move_takes_back_confirmation(user, MENTEE, status) is expected


@pytest.mark.parametrize(
    ("status", "announced_at", "expected"),
    [
        (SessionStatus.PENDING, NOW, True),
        (SessionStatus.PENDING, None, False),
        (SessionStatus.CONFIRMED, NOW, False),
        (SessionStatus.DECLINED, NOW, False),
    ],
)
def test_a_new_time_is_a_pending_session_that_had_been_announced(status, announced_at, expected):
    assert awaits_new_time(status, announced_at) is expected


@pytest.mark.parametrize(
    ("ended_by", "viewer", "expected"),
    [
        (Role.ADMIN, Role.MENTEE, True),
        (Role.ADMIN, Role.MENTOR, True),
        (Role.ADMIN, Role.ADMIN, False),
        (Role.MENTOR, Role.MENTEE, False),
        (Role.MENTEE, Role.MENTOR, False),
        (None, Role.MENTEE, False),
    ],
)
def test_an_admin_who_ended_a_session_is_meetapp_support_to_its_people(ended_by, viewer, expected):
    assert ended_by_support(ended_by, viewer) is expected


@pytest.mark.parametrize(
    ("user", "status", "expected"),
    [
        (MENTOR, SessionStatus.PENDING, True),
        (MENTEE, SessionStatus.PENDING, False),
        (MENTOR, SessionStatus.CONFIRMED, False),
        (MENTOR, SessionStatus.CANCELLED, False),
        (MENTOR, SessionStatus.DECLINED, False),
    ],
)
def test_a_session_awaits_only_its_mentors_confirmation_and_only_while_pending(user, status, expected):
    assert awaits_confirmation_by(user, MENTOR, status) is expected


def test_a_session_starts_on_a_whole_second():
    # Pages open Join by the second from window edges written without a fraction (iso_z).
    half_past = datetime(2026, 11, 24, 10, 0, 0, 500_000, tzinfo=UTC)
    assert on_the_second(half_past) == datetime(2026, 11, 24, 10, 0, 0, tzinfo=UTC)
