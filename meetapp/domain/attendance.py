"""Reading the attendance log: repeated attempts by one person read as one line.

Three clicks on a Join button within a minute are one person joining, not three people; the
log keeps every row (the attendance API lists each one), and pages show the groups from here.
"""
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

# Attempts further apart than this are separate lines, even with the same person and outcome:
# joining again half an hour later (after a dropped call, say) is news to the mentor.
REPEATS_WITHIN = timedelta(minutes=10)


class Attempt(Protocol):
    """What grouping reads of an attempt (an AttendanceEvent has all of it)."""

    user_id: int | None
    at: datetime
    outcome: str
    reason: str | None


A = TypeVar("A", bound=Attempt)


@dataclass(frozen=True)
class AttemptGroup(Generic[A]):
    """One person's attempts in a row with the same outcome and reason, oldest first (never empty)."""

    attempts: tuple[A, ...]

    @property
    def first(self) -> A:
        return self.attempts[0]

    @property
    def last(self) -> A:
        return self.attempts[-1]

    @property
    def count(self) -> int:
        return len(self.attempts)


def group_attempts(attempts: Iterable[A], repeats_within: timedelta = REPEATS_WITHIN) -> list[AttemptGroup[A]]:
    """The attempts as groups, in the order of each group's first attempt.

    An attempt joins its person's latest group when it has the same outcome and reason and comes
    at most `repeats_within` after that group's last attempt; anything else starts a new group.
    Another person's attempts in between do not break a group: each person is read on their own.
    Everyone not logged in (user_id None) counts as one person, as the page names them alike.
    """
    groups: list[list[A]] = []
    latest: dict[Hashable, list[A]] = {}
    for attempt in sorted(attempts, key=lambda attempt: attempt.at):
        group = latest.get(attempt.user_id)
        if group is not None and _repeats(group[-1], attempt, repeats_within):
            group.append(attempt)
            continue
        group = [attempt]
        groups.append(group)
        latest[attempt.user_id] = group
    return [AttemptGroup(tuple(group)) for group in groups]


def _repeats(previous: Attempt, attempt: Attempt, repeats_within: timedelta) -> bool:
    return (
        attempt.outcome == previous.outcome
        and attempt.reason == previous.reason
        and attempt.at - previous.at <= repeats_within
    )
