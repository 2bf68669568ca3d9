"""Grouping the attendance log: one person's repeated attempts read as one line."""
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from meetapp.domain.attendance import REPEATS_WITHIN, group_attempts

T0 = datetime(2026, 11, 23, 9, 45, tzinfo=UTC)
AMARA, BEN = 1, 2


@dataclass(frozen=True)
class Event:
    user_id: int | None
    at: datetime
    outcome: str = "joined"
    reason: str = "in_window"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def shape(groups) -> list[tuple[int | None, str, int]]:
    """(person, outcome, how many attempts) per group, in order."""
    return [(group.first.user_id, group.first.outcome, group.count) for group in groups]


def test_three_clicks_in_a_minute_are_one_group():
    events = [Event(AMARA, at(0)), Event(AMARA, at(20)), Event(AMARA, at(55))]
    (group,) = group_attempts(events)
    assert group.count == 3
    assert group.first is events[0] and group.last is events[2]
    assert group.attempts == tuple(events)


def test_a_single_attempt_is_a_group_of_one():
    (group,) = group_attempts([Event(AMARA, at(0))])
    assert group.count == 1 and group.first is group.last


def test_nothing_gives_no_groups():
    assert group_attempts([]) == []


def test_attempts_further_apart_than_the_limit_are_separate():
    events = [Event(AMARA, at(0)), Event(AMARA, T0 + REPEATS_WITHIN), Event(AMARA, T0 + 2 * REPEATS_WITHIN + timedelta(seconds=1))]
    assert shape(group_attempts(events)) == [(AMARA, "joined", 2), (AMARA, "joined", 1)]


def test_the_limit_is_between_neighbours_not_from_the_first():
    # Every 9 minutes for half an hour: one person trying again and again, one line.
    events = [Event(AMARA, T0 + timedelta(minutes=9 * number)) for number in range(4)]
    assert shape(group_attempts(events)) == [(AMARA, "joined", 4)]


def test_another_persons_attempts_in_between_do_not_split_a_group():
    events = [Event(AMARA, at(0)), Event(BEN, at(10)), Event(AMARA, at(20)), Event(BEN, at(30))]
    groups = group_attempts(events)
    assert shape(groups) == [(AMARA, "joined", 2), (BEN, "joined", 2)]
    assert [attempt.at for attempt in groups[0].attempts] == [at(0), at(20)]


def test_a_different_outcome_or_reason_starts_a_new_group():
    events = [
        Event(AMARA, at(0), "denied", "too_early"),
        Event(AMARA, at(5), "denied", "too_early"),
        Event(AMARA, at(10), "denied", "revoked_link"),
        Event(AMARA, at(15), "joined"),
        Event(AMARA, at(20), "denied", "too_early"),
    ]
    assert [(group.first.reason, group.count) for group in group_attempts(events)] == [
        ("too_early", 2),
        ("revoked_link", 1),
        ("in_window", 1),
        ("too_early", 1),
    ]


def test_everyone_not_logged_in_reads_as_one_person():
    events = [Event(None, at(0), "denied", "unauthenticated"), Event(None, at(60), "denied", "unauthenticated")]
    assert shape(group_attempts(events)) == [(None, "denied", 2)]


def test_groups_come_in_the_order_of_their_first_attempt_whatever_order_they_came_in():
    events = [Event(BEN, at(30)), Event(AMARA, at(40)), Event(BEN, at(0))]
    assert shape(group_attempts(events)) == [(BEN, "joined", 2), (AMARA, "joined", 1)]
