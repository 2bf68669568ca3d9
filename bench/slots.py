"""Slot generation, in-process: `bench/run --slots`.

Sixty days of free starts (a 15-minute grid, one-hour sessions) for a busy mentor, Monday to
Friday 09:00–12:00 and 13:00–18:00 in Europe/Berlin with a 10-minute buffer and two dated
exceptions, who has 200 booked sessions in those days. Two measures, each the median of many runs:

* the domain function alone (`meetapp.domain.availability.free_slots`), budget 20 ms (issue 23);
* what a page pays (`meetapp.services.mentor_hours.slots_for`): reading the stored hours and the
  booked sessions from a SQLite database, then the same function.

There is no floor twin: the budget is the issue's absolute one, and the figures say which machine
they come from.
"""
import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.bench import machine
from meetapp.domain.availability import Availability, Hours, free_slots

BUDGET_MS = 20.0
NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # Monday 07:00 in Berlin
WEEKDAY_HOURS = (Hours.parse("09:00", "12:00"), Hours.parse("13:00", "18:00"))
HOURS = Availability(
    "Europe/Berlin",
    weekly=dict.fromkeys(range(5), WEEKDAY_HOURS),
    exceptions={date(2026, 12, 24): (), date(2026, 12, 27): (Hours.parse("10:00", "12:00"),)},
    buffer=timedelta(minutes=10),
    minimum_notice=timedelta(hours=12),
    horizon=timedelta(days=60),
)
DURATION = timedelta(hours=1)
BOOKED = 200


def booked_sessions() -> list[tuple[datetime, datetime]]:
    """200 one-hour sessions at free starts spread over the 60 days (every few slots)."""
    starts = free_slots(HOURS, duration=DURATION, busy=[], now=NOW)
    step = len(starts) // BOOKED
    chosen, busy = [], []
    for start in starts[::step]:
        if len(chosen) == BOOKED:
            break
        if all(abs(start - other) >= DURATION + HOURS.buffer for other in chosen[-3:]):
            chosen.append(start)
            busy.append((start, start + DURATION))
    return busy


def timed(call, runs: int) -> tuple[float, object]:
    """The median wall time of `call` in milliseconds, and its last answer."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), answer


def measure_function(busy, runs: int) -> tuple[float, int]:
    median, slots = timed(lambda: free_slots(HOURS, duration=DURATION, busy=busy, now=NOW), runs)
    return median, len(slots)


def measure_service(busy, runs: int) -> tuple[float, int]:
    """The same through `slots_for`, on a throwaway SQLite database holding the mentor and the sessions."""
    from meetapp import create_app
    from meetapp.config import testing_config
    from meetapp.domain.scheduling import SessionStatus
    from meetapp.extensions import db
    from meetapp.models import MentoringSession
    from meetapp.services import mentor_hours
    from meetapp.services.accounts import create_user
    from meetapp.services.booking import ensure_default_session_types, session_type_named

    with tempfile.TemporaryDirectory(prefix="meetapp-slots-") as workdir:
        app = create_app(testing_config(f"sqlite:///{Path(workdir) / 'slots.db'}"))
        with app.app_context():
            db.create_all()
            ensure_default_session_types()
            mentor = create_user(email="m@example.com", name="M", role="mentor", password="x" * 12, timezone="Europe/Berlin")
            mentee = create_user(email="e@example.com", name="E", role="mentee", password="x" * 12, timezone="UTC")
            settings = mentor_hours.HourSettings(
                timezone="Europe/Berlin",
                weekly=HOURS.weekly,
                exceptions=HOURS.exceptions,
                buffer_minutes=10,
                minimum_notice_minutes=12 * 60,
                horizon_days=60,
            )
            mentor_hours.save_settings(mentor, settings, NOW)
            standard = session_type_named("Standard")
            for number, (starts_at, ends_at) in enumerate(busy):
                db.session.add(
                    MentoringSession(
                        mentor_id=mentor.id, mentee_id=mentee.id, session_type=standard, meeting_room=f"bench-{number}",
                        starts_at=starts_at, ends_at=ends_at, status=SessionStatus.CONFIRMED,
                    )
                )
            db.session.commit()
            median, slots = timed(lambda: mentor_hours.slots_for(mentor, duration_minutes=60, now=NOW), runs)
            return median, len(slots)


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/run --slots", description=__doc__)
    parser.add_argument("--runs", type=int, default=200, help="runs of each measure; the median is reported (default 200)")
    args = parser.parse_args()
    busy = booked_sessions()
    assert len(busy) == BOOKED, len(busy)
    function_ms, function_slots = measure_function(busy, args.runs)
    service_ms, service_slots = measure_service(busy, args.runs)
    assert function_slots == service_slots, (function_slots, service_slots)
    print(
        f"{datetime.now(UTC):%Y-%m-%d}, 60 days, {BOOKED} booked sessions, {function_slots} free starts, "
        f"median of {args.runs} runs, on {machine()}\n\n"
        "| measure | median | budget |\n|---|---:|---|\n"
        f"| `free_slots` (the domain function) | {function_ms:.2f} ms | < {BUDGET_MS:.0f} ms |\n"
        f"| `slots_for` (the stored hours and sessions read from SQLite, then the same) | {service_ms:.2f} ms | — |"
    )
    if function_ms >= BUDGET_MS:
        sys.exit(f"Slot generation took {function_ms:.1f} ms, over its budget of {BUDGET_MS:.0f} ms.")


if __name__ == "__main__":
    main()
