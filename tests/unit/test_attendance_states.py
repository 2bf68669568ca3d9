"""The attendance report: each person's state and the session's outcome, across the thresholds."""
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meetapp.domain.presence import (
    ENDED,
    JOINED,
    LEFT,
    Outcome,
    State,
    Thresholds,
    attendance_report,
    intervals,
    whole_minutes,
)

START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
END = START + timedelta(minutes=60)
OPENS, CLOSES = START - timedelta(minutes=15), END + timedelta(minutes=30)
AFTER = CLOSES + timedelta(minutes=1)
MENTOR, MENTEE, STRANGER = 1, 2, None
DEFAULT = Thresholds()


@dataclass(frozen=True)
class Event:
    kind: str
    at: datetime
    participant_key: str | None
    user_id: int | None
    display_name: str | None = None
    source: str = "jitsi"


@dataclass(frozen=True)
class Click:
    user_id: int | None
    at: datetime
    outcome: str = "joined"
    reason: str = "in_window"


def minute(n: float) -> datetime:
    return START + timedelta(minutes=n)


def stay(user_id: int | None, came: float, left: float | None, key: str | None = None, name: str | None = None):
    key = key or f"occupant-{user_id}-{came}"
    events = [Event(JOINED, minute(came), key, user_id, name)]
    if left is not None:
        events.append(Event(LEFT, minute(left), key, user_id, name))
    return events


def report(events=(), clicks=(), now=AFTER, source="jitsi", thresholds=DEFAULT):
    return attendance_report(
        mentor_id=MENTOR,
        mentee_id=MENTEE,
        starts_at=START,
        ends_at=END,
        opens_at=OPENS,
        closes_at=CLOSES,
        clicks=clicks,
        events=events,
        presence_source=source,
        thresholds=thresholds,
        now=now,
    )


def test_both_on_time_for_the_whole_hour_is_held():
    result = report([*stay(MENTOR, -2, 60), *stay(MENTEE, 0, 60)])
    assert result.outcome is Outcome.HELD
    assert (result.mentor.state, result.mentee.state) == (State.ATTENDED, State.ATTENDED)
    assert result.minutes_together == 60
    assert result.mentor.minutes_present == 62 and result.mentee.minutes_present == 60
    assert result.mentor.minutes_late == 0 and result.mentee.minutes_late == 0
    assert result.mentor.first_present_at == minute(-2)


@pytest.mark.parametrize(
    ("came", "state"),
    [
        (0, State.ATTENDED),
        (5, State.ATTENDED),  # exactly at the late threshold is still on time
        (5 + 1 / 60, State.LATE),
        (15, State.LATE),  # exactly at the no-show threshold is late, not absent
        (15 + 1 / 60, State.NO_SHOW),
        (40, State.NO_SHOW),  # absent for the first 15 minutes, whatever came after
    ],
)
def test_arrival_across_the_late_and_no_show_thresholds(came, state):
    result = report([*stay(MENTOR, 0, 60), *stay(MENTEE, came, 60)])
    assert result.mentee.state is state
    assert result.mentee.minutes_late == int(came)


def test_thresholds_are_settings():
    strict = Thresholds(late_after=timedelta(minutes=1), no_show_after=timedelta(minutes=3))
    result = report([*stay(MENTOR, 0, 60), *stay(MENTEE, 2, 60)], thresholds=strict)
    assert result.mentee.state is State.LATE
    result = report([*stay(MENTOR, 0, 60), *stay(MENTEE, 4, 60)], thresholds=strict)
    assert result.mentee.state is State.NO_SHOW and result.outcome is Outcome.MENTEE_NO_SHOW


@pytest.mark.parametrize(
    ("left", "state"),
    [(60, State.ATTENDED), (50, State.ATTENDED), (49, State.LEFT_EARLY), (20, State.LEFT_EARLY)],
)
def test_leaving_before_the_end_by_more_than_the_threshold_is_leaving_early(left, state):
    result = report([*stay(MENTOR, 0, 60), *stay(MENTEE, 0, left)])
    assert result.mentee.state is state
    assert result.outcome is Outcome.HELD  # both came: the session was held
    assert result.minutes_together == left


def test_leaving_and_coming_back_is_not_leaving_early():
    events = [*stay(MENTOR, 0, 60), *stay(MENTEE, 0, 20, key="a"), *stay(MENTEE, 25, 60, key="b")]
    result = report(events)
    assert result.mentee.state is State.ATTENDED
    assert result.mentee.minutes_present == 55
    assert result.minutes_together == 55


def test_late_wins_over_leaving_early():
    result = report([*stay(MENTOR, 0, 60), *stay(MENTEE, 10, 30)])
    assert result.mentee.state is State.LATE


def test_clicked_but_never_connected_is_told_apart_from_never_came():
    clicks = [Click(MENTEE, minute(-1))]
    result = report(stay(MENTOR, 0, 60), clicks)
    assert result.mentee.state is State.CLICKED_NOT_CONNECTED
    assert result.outcome is Outcome.MENTEE_NO_SHOW
    assert result.mentee.first_click_at == minute(-1) and result.mentee.first_click_outcome == "joined"
    assert report(stay(MENTOR, 0, 60)).mentee.state is State.NO_SHOW


def test_a_refused_click_alone_is_a_no_show_and_the_first_click_says_what_the_proxy_answered():
    clicks = [Click(MENTEE, minute(-30), "denied", "too_early")]
    result = report(stay(MENTOR, 0, 60), clicks)
    assert result.mentee.state is State.NO_SHOW
    assert (result.mentee.first_click_outcome, result.mentee.first_click_reason) == ("denied", "too_early")


@pytest.mark.parametrize(
    ("mentor", "mentee", "outcome"),
    [
        (True, True, Outcome.HELD),
        (False, True, Outcome.MENTOR_NO_SHOW),
        (True, False, Outcome.MENTEE_NO_SHOW),
        (False, False, Outcome.NEITHER_CAME),
    ],
)
def test_outcomes(mentor, mentee, outcome):
    events = [*(stay(MENTOR, 0, 60) if mentor else []), *(stay(MENTEE, 0, 60) if mentee else [])]
    result = report(events)
    assert result.outcome is outcome
    assert result.minutes_together == (60 if mentor and mentee else 0)


def test_without_a_presence_source_everything_is_unknown_but_the_clicks_still_show():
    clicks = [Click(MENTOR, minute(-3)), Click(MENTEE, minute(1))]
    result = report([], clicks, source=None)
    assert result.outcome is Outcome.UNKNOWN
    assert (result.mentor.state, result.mentee.state) == (State.UNKNOWN, State.UNKNOWN)
    assert result.mentee.first_click_at == minute(1)
    assert result.minutes_together == 0


def test_absence_is_not_called_before_the_no_show_threshold_passes():
    during = minute(10)
    result = report(stay(MENTOR, 0, None), now=during)
    assert result.mentee.state is State.UNKNOWN and result.outcome is Outcome.UNKNOWN
    assert result.mentor.state is State.ATTENDED
    assert result.mentor.minutes_present == 10  # counted up to now
    assert report(stay(MENTOR, 0, None), now=minute(15) + timedelta(seconds=1)).mentee.state is State.NO_SHOW


def test_someone_still_connected_before_the_end_has_not_left_early():
    result = report([*stay(MENTOR, 0, None), *stay(MENTEE, 0, None)], now=minute(30))
    assert (result.mentor.state, result.mentee.state) == (State.ATTENDED, State.ATTENDED)
    assert result.outcome is Outcome.HELD and result.minutes_together == 30


def test_a_participant_nobody_could_name_makes_an_absence_unknown_not_a_no_show():
    events = [*stay(MENTOR, 0, 60), *stay(STRANGER, 1, 60, key="guest", name="Guest 4821")]
    result = report(events)
    assert result.mentee.state is State.UNKNOWN and result.outcome is Outcome.UNKNOWN
    (guest,) = result.unmatched
    assert guest.display_name == "Guest 4821"
    # Someone unnamed who came only after the no-show threshold cannot have been the missing person.
    late_guest = [*stay(MENTOR, 0, 60), *stay(STRANGER, 30, 60, key="guest", name="Guest")]
    assert report(late_guest).mentee.state is State.NO_SHOW


def test_presence_counts_only_inside_the_access_window_and_two_devices_count_once():
    events = [
        *stay(MENTOR, -40, 120, key="laptop"),  # before the window opens and after it closes
        *stay(MENTOR, 10, 20, key="phone"),
        *stay(MENTEE, 0, 60),
    ]
    result = report(events)
    assert result.mentor.minutes_present == 15 + 60 + 30
    assert result.mentor.first_present_at == OPENS
    assert result.minutes_together == 60


def test_a_room_that_ends_closes_everyone_in_it():
    events = [*stay(MENTOR, 0, None), *stay(MENTEE, 0, None), Event(ENDED, minute(40), None, None)]
    result = report(events)
    assert result.minutes_together == 40
    assert (result.mentor.state, result.mentee.state) == (State.LEFT_EARLY, State.LEFT_EARLY)


def test_events_are_read_in_the_order_they_happened_not_the_order_they_arrived():
    arrived = list(reversed([*stay(MENTOR, 0, 60), *stay(MENTEE, 3, 55)]))
    result = report(arrived)
    assert result.mentee.minutes_present == 52 and result.mentee.state is State.ATTENDED
    assert result.minutes_together == 52


def test_a_leave_without_its_join_says_nothing_and_a_second_join_is_the_same_presence():
    events = [
        Event(LEFT, minute(5), "ghost", MENTEE),
        Event(JOINED, minute(0), "m", MENTOR),
        Event(JOINED, minute(30), "m", MENTOR),
        Event(LEFT, minute(60), "m", MENTOR),
    ]
    assert [(i.participant_key, i.joined_at, i.left_at) for i in intervals(events)] == [("m", minute(0), minute(60))]


@pytest.mark.parametrize(("seconds", "minutes"), [(0, 0), (29, 0), (30, 1), (89, 1), (3570, 60)])
def test_whole_minutes_round_to_the_nearest(seconds, minutes):
    assert whole_minutes(seconds) == minutes


spans = st.lists(
    st.tuples(st.sampled_from([MENTOR, MENTEE, STRANGER]), st.integers(-20, 100), st.integers(0, 120)),
    max_size=8,
)


@given(spans, st.integers(-20, 100))
def test_any_presence_gives_a_consistent_report(stays, now_minute):
    events = []
    for index, (user_id, came, length) in enumerate(stays):
        events += stay(user_id, came, came + length, key=f"k{index}", name=None if user_id else "Guest")
    now = minute(now_minute)
    result = report(events, now=now)
    for line in result.people:
        assert 0 <= line.minutes_present <= whole_minutes((min(now, CLOSES) - OPENS).total_seconds()) or (
            now <= OPENS and line.minutes_present == 0
        )
        assert (line.first_present_at is None) == (line.minutes_late is None)
    assert result.minutes_together <= min(result.mentor.minutes_present, result.mentee.minutes_present) + 1
    absent = {State.NO_SHOW, State.CLICKED_NOT_CONNECTED}
    if result.outcome is Outcome.HELD:
        assert result.mentor.state not in absent and result.mentee.state not in absent
    if result.outcome is Outcome.NEITHER_CAME:
        assert result.mentor.state in absent and result.mentee.state in absent
