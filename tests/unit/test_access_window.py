"""The access window, as pure rules: statuses, boundaries, messages, next change."""
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meetapp.domain.access import (
    AccessStatus,
    JoinRefusal,
    Window,
    WindowMinutes,
    access_window,
    evaluate,
    refuse_join,
)
from meetapp.domain.scheduling import ENDED_STATUSES, SessionStatus

START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
END = START + timedelta(minutes=60)


def window(starts_at, ends_at, early, late) -> Window:
    return access_window(
        starts_at=starts_at, ends_at=ends_at, early_minutes=early, late_minutes=late, defaults=WindowMinutes(15, 30)
    )


def access_at(now, status=SessionStatus.CONFIRMED, early=15, late=30, timezone="UTC"):
    return evaluate(
        status=status, starts_at=START, ends_at=END, window=window(START, END, early, late), now=now, timezone=timezone
    )


@pytest.mark.parametrize(
    ("early", "late", "opens", "closes"),
    [
        # The session type's own minutes where it has them…
        (60, 5, START - timedelta(minutes=60), END + timedelta(minutes=5)),
        (0, 0, START, END),
        # …and the configured defaults (here 15 and 30) where it leaves them empty.
        (None, None, START - timedelta(minutes=15), END + timedelta(minutes=30)),
        (45, None, START - timedelta(minutes=45), END + timedelta(minutes=30)),
        (None, 90, START - timedelta(minutes=15), END + timedelta(minutes=90)),
    ],
)
def test_the_window_takes_the_types_minutes_and_the_defaults_for_what_it_leaves_empty(early, late, opens, closes):
    assert window(START, END, early, late) == Window(opens, closes)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (START - timedelta(minutes=15, seconds=1), AccessStatus.TOO_EARLY),
        (START - timedelta(minutes=15), AccessStatus.AVAILABLE),
        (START, AccessStatus.AVAILABLE),
        (END + timedelta(minutes=30, seconds=-1), AccessStatus.AVAILABLE),
        (END + timedelta(minutes=30), AccessStatus.EXPIRED),
    ],
)
def test_the_window_is_half_open(now, expected):
    assert access_at(now).status is expected


def test_the_contract_example_numbers():
    access = access_at(START - timedelta(minutes=10))
    assert access.can_join
    assert access.message == "You can join now. Your session starts in 10 minutes."
    assert (access.minutes_until_available, access.seconds_until_available) == (0, 0)
    assert (access.minutes_until_expiry, access.seconds_until_expiry) == (100, 6000)
    assert access.window.opens_at == START - timedelta(minutes=15)
    assert access.window.closes_at == END + timedelta(minutes=30)


def test_too_early_counts_down_in_whole_minutes_rounded_up_and_names_the_local_time():
    access = access_at(START - timedelta(minutes=27, seconds=10), timezone="Europe/Berlin")
    assert access.status is AccessStatus.TOO_EARLY and not access.can_join
    assert access.seconds_until_available == 12 * 60 + 10
    assert access.minutes_until_available == 13
    assert access.message == "Joining opens at 15:45 (in 13 minutes)."
    assert access.next_change == START - timedelta(minutes=15)


def test_a_window_on_another_day_names_the_day():
    access = access_at(START - timedelta(days=2), timezone="America/New_York")
    assert access.message == "Joining opens on Tue 24 Nov at 09:45 (in 48 hours)."


def test_available_changes_next_when_the_window_closes():
    access = access_at(START + timedelta(minutes=5))
    assert access.message == "You can join now. Your session is under way."
    assert access.next_change == END + timedelta(minutes=30)
    assert not access.final


def test_after_the_end_joining_is_still_open_until_the_late_limit():
    access = access_at(END + timedelta(minutes=5))
    assert access.can_join
    assert access.message == "You can still join until 16:30."


def test_expired_is_final_and_has_nothing_left_to_count():
    access = access_at(END + timedelta(hours=2))
    assert access.status is AccessStatus.EXPIRED and access.final
    assert (access.seconds_until_available, access.seconds_until_expiry, access.next_change) == (0, 0, None)


def test_cancelled_wins_over_the_clock_and_is_final():
    access = access_at(START, status=SessionStatus.CANCELLED)
    assert (access.status, access.final, access.can_join) == (AccessStatus.CANCELLED, True, False)


def test_pending_waits_for_an_event_and_becomes_final_once_the_window_has_passed():
    waiting = access_at(START, status=SessionStatus.PENDING)
    assert (waiting.status, waiting.final, waiting.next_change) == (AccessStatus.PENDING, False, None)
    over = access_at(END + timedelta(hours=1), status=SessionStatus.PENDING)
    assert (over.status, over.final) == (AccessStatus.PENDING, True)
    assert over.message == "This session was never confirmed."


def test_zero_minute_windows_open_at_the_start_and_close_at_the_end():
    assert access_at(START - timedelta(seconds=1), early=0, late=0).status is AccessStatus.TOO_EARLY
    assert access_at(START, early=0, late=0).status is AccessStatus.AVAILABLE
    assert access_at(END, early=0, late=0).status is AccessStatus.EXPIRED


instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC))


@given(
    start=instants,
    duration=st.integers(min_value=15, max_value=240),
    early=st.integers(min_value=0, max_value=24 * 60),
    late=st.integers(min_value=0, max_value=24 * 60),
    offset=st.integers(min_value=-3 * 24 * 3600, max_value=3 * 24 * 3600),
    status=st.sampled_from(list(SessionStatus)),
)
def test_every_moment_has_exactly_one_consistent_status(start, duration, early, late, offset, status):
    end = start + timedelta(minutes=duration)
    now = start + timedelta(seconds=offset)
    access = evaluate(status=status, starts_at=start, ends_at=end, window=window(start, end, early, late), now=now)
    opens, closes = start - timedelta(minutes=early), end + timedelta(minutes=late)
    assert access.status in AccessStatus
    assert access.can_join == (status is SessionStatus.CONFIRMED and opens <= now < closes)
    if status is SessionStatus.CONFIRMED:
        expected = AccessStatus.TOO_EARLY if now < opens else AccessStatus.AVAILABLE if now < closes else AccessStatus.EXPIRED
        assert access.status is expected
    assert min(access.seconds_until_available, access.seconds_until_expiry) >= 0
    assert min(access.minutes_until_available, access.minutes_until_expiry) >= 0
    assert access.next_change is None or access.next_change > now
    assert access.final == (status in ENDED_STATUSES or now >= closes)
    assert access.message


MENTOR, MENTEE, STRANGER = 1, 2, 3


def refusal(now=START, status=SessionStatus.CONFIRMED, caller=MENTEE, token_user=MENTEE, token_version=2, version=2):
    return refuse_join(
        caller_id=caller,
        token_user_id=token_user,
        token_version=token_version,
        mentor_id=MENTOR,
        mentee_id=MENTEE,
        link_version=version,
        access=access_at(now, status=status),
    )


def test_a_participant_with_a_current_link_inside_the_window_gets_in():
    assert refusal() is None
    assert refusal(caller=MENTOR, token_user=MENTOR) is None
    assert refusal(token_user=None, token_version=None) is None


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"token_version": 1}, JoinRefusal.NOT_FOUND),
        ({"token_version": 1, "caller": STRANGER}, JoinRefusal.NOT_FOUND),
        ({"caller": STRANGER, "token_user": STRANGER}, JoinRefusal.NOT_PARTICIPANT),
        ({"caller": MENTOR, "token_user": MENTEE}, JoinRefusal.NOT_PARTICIPANT),
        ({"caller": STRANGER, "token_user": None, "token_version": None}, JoinRefusal.NOT_PARTICIPANT),
        ({"caller": STRANGER, "status": SessionStatus.CANCELLED}, JoinRefusal.NOT_PARTICIPANT),
        ({"status": SessionStatus.CANCELLED}, JoinRefusal.CANCELLED),
        ({"status": SessionStatus.CANCELLED, "token_version": 1}, JoinRefusal.CANCELLED),
        ({"status": SessionStatus.CANCELLED, "now": START - timedelta(days=1)}, JoinRefusal.CANCELLED),
        ({"status": SessionStatus.PENDING}, JoinRefusal.NOT_CONFIRMED),
        ({"status": SessionStatus.PENDING, "now": START - timedelta(days=1)}, JoinRefusal.NOT_CONFIRMED),
        ({"now": START - timedelta(minutes=16)}, JoinRefusal.TOO_EARLY),
        ({"now": END + timedelta(minutes=30)}, JoinRefusal.EXPIRED),
    ],
)
def test_refusals_follow_the_contracts_order(kwargs, expected):
    assert refusal(**kwargs) is expected


def test_days_away_are_whole_days_like_the_countdown():
    assert access_at(START - timedelta(days=3, hours=23)).message.endswith("(in 3 days).")
    assert access_at(START - timedelta(days=2, hours=1)).message.endswith("(in 2 days).")
