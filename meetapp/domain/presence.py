"""Who was really in the room: the providers' presence events as intervals, and the attendance report.

The join proxy knows who clicked Join and what it answered; the providers' events say who was
then connected, from when to when. Only the two together tell "clicked but never connected"
apart from "never came". Pure Python; `now` is always a parameter.
"""
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

JOINED, LEFT, ENDED = "joined", "left", "ended"
SOURCES = ("jitsi", "jaas", "zoom", "google")


class State(StrEnum):
    """One person's attendance."""

    ATTENDED = "attended"
    # First present after the late threshold (but before the no-show one).
    LATE = "late"
    # On time, but gone for good well before the end.
    LEFT_EARLY = "left_early"
    # The proxy let them through, and the provider never saw them connect.
    CLICKED_NOT_CONNECTED = "clicked_not_connected"
    # Absent for the first ATTENDANCE_NO_SHOW_AFTER_MINUTES.
    NO_SHOW = "no_show"
    # Nothing reports this meeting's presence, the no-show threshold has not passed yet, or someone
    # the provider could not name was there who may have been this person.
    UNKNOWN = "unknown"


class Outcome(StrEnum):
    HELD = "held"
    MENTOR_NO_SHOW = "mentor_no_show"
    MENTEE_NO_SHOW = "mentee_no_show"
    NEITHER_CAME = "neither_came"
    UNKNOWN = "unknown"


ABSENT = frozenset({State.NO_SHOW, State.CLICKED_NOT_CONNECTED})


@dataclass(frozen=True)
class Thresholds:
    late_after: timedelta = timedelta(minutes=5)
    no_show_after: timedelta = timedelta(minutes=15)
    left_early_by: timedelta = timedelta(minutes=10)


class Happening(Protocol):
    """What the report reads of a presence event (a models.PresenceEvent has all of it)."""

    source: str
    kind: str
    at: datetime
    participant_key: str | None
    user_id: int | None
    display_name: str | None


class Click(Protocol):
    """What the report reads of a join attempt (a models.AttendanceEvent has all of it)."""

    user_id: int | None
    at: datetime
    outcome: str
    reason: str | None


@dataclass(frozen=True)
class Interval:
    """One participant connected from `joined_at` until `left_at` (None: still there, as far as we know)."""

    source: str
    participant_key: str
    user_id: int | None
    display_name: str | None
    joined_at: datetime
    left_at: datetime | None


def intervals(events: Iterable[Happening]) -> list[Interval]:
    """Pair each participant's joins and leaves in the order they happened (by the provider's clock).

    A join opens an interval for its participant key; a second join while it is open is the same
    presence told twice. A leave closes it; a leave whose join never arrived says nothing about
    when they came, so it is dropped. An `ended` event closes everyone's. Events at the same
    instant keep the order they were given in.
    """
    open_by_key: dict[str, Interval] = {}
    done: list[Interval] = []
    for event in sorted(events, key=lambda event: event.at):
        if event.kind == JOINED:
            open_by_key.setdefault(
                event.participant_key,
                Interval(event.source, event.participant_key, event.user_id, event.display_name, event.at, None),
            )
        elif event.kind == LEFT:
            interval = open_by_key.pop(event.participant_key, None)
            if interval is not None:
                done.append(_closed(interval, event.at))
        elif event.kind == ENDED:
            done.extend(_closed(interval, event.at) for interval in open_by_key.values())
            open_by_key.clear()
    return sorted([*done, *open_by_key.values()], key=lambda interval: (interval.joined_at, interval.participant_key))


def _closed(interval: Interval, at: datetime) -> Interval:
    return Interval(
        interval.source, interval.participant_key, interval.user_id, interval.display_name, interval.joined_at, at
    )


Span = tuple[datetime, datetime]


def _spans(person_intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Span]:
    """The intervals clipped to [start, end] and merged where they overlap (two devices at once count once)."""
    clipped = sorted(
        (max(interval.joined_at, start), min(interval.left_at or end, end))
        for interval in person_intervals
    )
    merged: list[Span] = []
    for begin, finish in clipped:
        if finish <= begin:
            continue
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged


def _seconds(spans: Iterable[Span]) -> float:
    return sum((finish - begin).total_seconds() for begin, finish in spans)


def _overlap(first: Sequence[Span], second: Sequence[Span]) -> list[Span]:
    return [
        (max(a_begin, b_begin), min(a_end, b_end))
        for a_begin, a_end in first
        for b_begin, b_end in second
        if max(a_begin, b_begin) < min(a_end, b_end)
    ]


def whole_minutes(seconds: float) -> int:
    """Minutes as people read them: 59 min 40 s is an hour, 29 s is nothing."""
    return int((seconds + 30) // 60)


@dataclass(frozen=True)
class PersonLine:
    user_id: int
    state: State
    # The first time they clicked Join, and what the proxy answered ("joined", or "denied" and why).
    first_click_at: datetime | None
    first_click_outcome: str | None
    first_click_reason: str | None
    first_present_at: datetime | None
    minutes_present: int
    # Minutes after the start they first connected; 0 if on time, None if never.
    minutes_late: int | None
    intervals: tuple[Interval, ...]


@dataclass(frozen=True)
class Report:
    outcome: Outcome
    minutes_together: int
    mentor: PersonLine
    mentee: PersonLine
    # Participants the provider could not match to either person (a display name at most).
    unmatched: tuple[Interval, ...]
    presence_source: str | None

    @property
    def people(self) -> tuple[PersonLine, PersonLine]:
        return self.mentor, self.mentee

    def line_of(self, user_id: int) -> PersonLine | None:
        return next((line for line in self.people if line.user_id == user_id), None)


def attendance_report(
    *,
    mentor_id: int,
    mentee_id: int,
    starts_at: datetime,
    ends_at: datetime,
    opens_at: datetime,
    closes_at: datetime,
    clicks: Iterable[Click],
    events: Iterable[Happening],
    presence_source: str | None,
    thresholds: Thresholds,
    now: datetime,
) -> Report:
    """The session's attendance as known at `now`.

    Presence counts inside the access window (nobody gets in outside it) and up to `now`.
    `presence_source` None means nothing reports who was in this meeting: every state and the
    outcome are then `unknown`, and the clicks are all there is.
    """
    all_intervals = intervals(events)
    counted_until = min(now, closes_at)
    unmatched = tuple(interval for interval in all_intervals if interval.user_id not in (mentor_id, mentee_id))
    no_show_at = starts_at + thresholds.no_show_after
    someone_unnamed = any(
        spans and spans[0][0] <= no_show_at for spans in (_spans([i], opens_at, counted_until) for i in unmatched)
    )
    clicks = sorted(clicks, key=lambda click: click.at)
    spans_of: dict[int, list[Span]] = {}
    lines = []
    for user_id in (mentor_id, mentee_id):
        mine = tuple(interval for interval in all_intervals if interval.user_id == user_id)
        spans = _spans(mine, opens_at, counted_until) if presence_source else []
        spans_of[user_id] = spans
        my_clicks = [click for click in clicks if click.user_id == user_id]
        first_click = my_clicks[0] if my_clicks else None
        first_present = spans[0][0] if spans else None
        state = (
            _state(
                first_present=first_present,
                spans=spans,
                let_through=any(click.outcome == "joined" for click in my_clicks),
                someone_unnamed=someone_unnamed,
                starts_at=starts_at,
                ends_at=ends_at,
                thresholds=thresholds,
                now=now,
            )
            if presence_source
            else State.UNKNOWN
        )
        lines.append(PersonLine(
            user_id=user_id,
            state=state,
            first_click_at=first_click.at if first_click else None,
            first_click_outcome=first_click.outcome if first_click else None,
            first_click_reason=first_click.reason if first_click else None,
            first_present_at=first_present,
            minutes_present=whole_minutes(_seconds(spans)),
            minutes_late=(
                None if first_present is None
                else max(0, int((first_present - starts_at).total_seconds() // 60))
            ),
            intervals=mine,
        ))
    mentor, mentee = lines
    together = whole_minutes(_seconds(_overlap(spans_of[mentor_id], spans_of[mentee_id])))
    return Report(_outcome(mentor.state, mentee.state), together, mentor, mentee, unmatched, presence_source)


def _state(
    *,
    first_present: datetime | None,
    spans: Sequence[Span],
    let_through: bool,
    someone_unnamed: bool,
    starts_at: datetime,
    ends_at: datetime,
    thresholds: Thresholds,
    now: datetime,
) -> State:
    no_show_at = starts_at + thresholds.no_show_after
    if first_present is None or first_present > no_show_at:
        if now <= no_show_at:
            return State.UNKNOWN  # they may still come
        if someone_unnamed:
            return State.UNKNOWN  # the unnamed participant may have been them
        if first_present is None and let_through:
            return State.CLICKED_NOT_CONNECTED
        return State.NO_SHOW
    if first_present > starts_at + thresholds.late_after:
        return State.LATE
    last_left = spans[-1][1]
    leave_by = ends_at - thresholds.left_early_by
    if last_left < leave_by and now > last_left:
        return State.LEFT_EARLY
    return State.ATTENDED


def _outcome(mentor: State, mentee: State) -> Outcome:
    if State.UNKNOWN in (mentor, mentee):
        return Outcome.UNKNOWN
    if mentor in ABSENT and mentee in ABSENT:
        return Outcome.NEITHER_CAME
    if mentor in ABSENT:
        return Outcome.MENTOR_NO_SHOW
    if mentee in ABSENT:
        return Outcome.MENTEE_NO_SHOW
    return Outcome.HELD
