"""Slots from a mentor's availability: time zones, daylight-saving nights, buffers, notice, horizon,
exceptions and the sessions already booked."""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meetapp.domain.availability import (
    Availability,
    Hours,
    InvalidAvailability,
    free_slots,
    open_intervals,
    within_hours,
)

BERLIN, TOKYO, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Tokyo"), ZoneInfo("America/New_York")
HOUR = timedelta(hours=1)
MON, TUE, WED, SUN = 0, 1, 2, 6
# Monday 30 November 2026, 06:00 in Berlin (05:00 UTC).
NOW = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)


def hours(*pairs: str) -> tuple[Hours, ...]:
    return tuple(Hours.parse(*pair.split("-")) for pair in pairs)


def berlin(year, month, day, hour, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def walls(slots, zone=BERLIN) -> list[str]:
    return [slot.astimezone(zone).strftime("%H:%M") for slot in slots]


def one_day(availability, day: date, **kwargs):
    zone = ZoneInfo(availability.timezone)
    start = datetime.combine(day, datetime.min.time(), zone).astimezone(UTC)
    return free_slots(availability, start=start, end=start + timedelta(days=1), **kwargs)


MORNINGS = Availability("Europe/Berlin", weekly={MON: hours("09:00-12:00"), TUE: hours("09:00-12:00", "14:00-16:00")})


def test_a_morning_gives_starts_every_quarter_hour_that_fit():
    slots = one_day(MORNINGS, date(2026, 11, 30), duration=HOUR, busy=[], now=NOW)
    assert walls(slots) == ["09:00", "09:15", "09:30", "09:45", "10:00", "10:15", "10:30", "10:45", "11:00"]
    assert slots[0] == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # computed in the mentor's zone, given in UTC


def test_two_stretches_in_a_day_and_the_grid_and_duration_are_parameters():
    slots = one_day(MORNINGS, date(2026, 12, 1), duration=timedelta(minutes=90), busy=[], now=NOW,
                    grid=timedelta(minutes=30))
    assert walls(slots) == ["09:00", "09:30", "10:00", "10:30", "14:00", "14:30"]


def test_a_day_without_hours_has_no_slots():
    assert one_day(MORNINGS, date(2026, 12, 2), duration=HOUR, busy=[], now=NOW) == []


def test_booked_sessions_block_their_time_and_the_buffer_around_it():
    booked = [(berlin(2026, 11, 30, 10), berlin(2026, 11, 30, 10, 30))]
    slots = one_day(MORNINGS, date(2026, 11, 30), duration=timedelta(minutes=30), busy=booked, now=NOW)
    assert walls(slots) == ["09:00", "09:15", "09:30", "10:30", "10:45", "11:00", "11:15", "11:30"]
    buffered = Availability(MORNINGS.timezone, weekly=MORNINGS.weekly, buffer=timedelta(minutes=15))
    slots = one_day(buffered, date(2026, 11, 30), duration=timedelta(minutes=30), busy=booked, now=NOW)
    assert walls(slots) == ["09:00", "09:15", "10:45", "11:00", "11:15", "11:30"]


def test_overlapping_bookings_merge_and_a_booking_outside_the_hours_changes_nothing():
    booked = [
        (berlin(2026, 11, 30, 9, 30), berlin(2026, 11, 30, 10, 30)),
        (berlin(2026, 11, 30, 10), berlin(2026, 11, 30, 11)),
        (berlin(2026, 11, 30, 18), berlin(2026, 11, 30, 19)),
    ]
    slots = one_day(MORNINGS, date(2026, 11, 30), duration=timedelta(minutes=30), busy=booked, now=NOW)
    assert walls(slots) == ["09:00", "11:00", "11:15", "11:30"]


def test_nothing_starts_before_the_notice_nor_beyond_the_horizon():
    now = berlin(2026, 11, 30, 9, 20)
    assert walls(one_day(MORNINGS, date(2026, 11, 30), duration=HOUR, busy=[], now=now))[0] == "09:30"
    noticed = Availability(MORNINGS.timezone, weekly=MORNINGS.weekly, minimum_notice=timedelta(hours=12))
    assert one_day(noticed, date(2026, 11, 30), duration=HOUR, busy=[], now=now) == []
    assert one_day(noticed, date(2026, 12, 1), duration=HOUR, busy=[], now=now)[0] == berlin(2026, 12, 1, 9)
    short = Availability(MORNINGS.timezone, weekly=MORNINGS.weekly, horizon=timedelta(days=1))
    assert one_day(short, date(2026, 12, 1), duration=HOUR, busy=[], now=now) == [
        berlin(2026, 12, 1, 9), berlin(2026, 12, 1, 9, 15)  # up to 24 hours after 09:20 today
    ]
    slots = free_slots(MORNINGS, duration=HOUR, busy=[], now=now)
    assert max(slots) < now + timedelta(days=60) and min(slots) >= now


def test_an_exception_replaces_a_dates_hours_a_day_off_or_other_hours():
    off = Availability(MORNINGS.timezone, weekly=MORNINGS.weekly, exceptions={
        date(2026, 11, 30): (),
        date(2026, 12, 1): hours("17:00-19:00"),
        date(2026, 12, 2): hours("08:00-09:00"),  # a Wednesday: extra hours on a day without any
    })
    assert one_day(off, date(2026, 11, 30), duration=HOUR, busy=[], now=NOW) == []
    assert walls(one_day(off, date(2026, 12, 1), duration=HOUR, busy=[], now=NOW)) == [
        "17:00", "17:15", "17:30", "17:45", "18:00"
    ]
    assert walls(one_day(off, date(2026, 12, 2), duration=HOUR, busy=[], now=NOW)) == ["08:00"]
    assert walls(one_day(off, date(2026, 12, 7), duration=HOUR, busy=[], now=NOW))[0] == "09:00"  # next Monday


def test_hours_to_midnight_end_at_midnight():
    late = Availability("Europe/Berlin", weekly={MON: hours("22:00-24:00")})
    assert walls(one_day(late, date(2026, 11, 30), duration=HOUR, busy=[], now=NOW)) == [
        "22:00", "22:15", "22:30", "22:45", "23:00"
    ]


# The nights the clocks change ----------------------------------------------------------------

NIGHTS = Availability("Europe/Berlin", weekly={SUN: hours("00:00-04:00")})


def test_the_spring_forward_night_in_the_mentors_zone_has_an_hour_less():
    # 29 March 2026: at 02:00 Berlin's clocks jump to 03:00. Four wall hours are three real ones.
    slots = one_day(NIGHTS, date(2026, 3, 29), duration=HOUR, busy=[], now=datetime(2026, 3, 1, tzinfo=UTC))
    assert walls(slots) == ["00:00", "00:15", "00:30", "00:45", "01:00", "01:15", "01:30", "01:45", "03:00"]
    assert all(b - a == timedelta(minutes=15) for a, b in zip(slots, slots[1:], strict=False))


def test_the_fall_back_night_in_the_mentors_zone_has_an_hour_more_and_slots_in_both_of_its_hours_two():
    # 25 October 2026: at 03:00 Berlin's clocks go back to 02:00. Four wall hours are five real ones.
    slots = one_day(NIGHTS, date(2026, 10, 25), duration=HOUR, busy=[], now=datetime(2026, 10, 1, tzinfo=UTC))
    assert len(slots) == 17
    assert walls(slots).count("02:00") == 2
    assert slots[-1] + HOUR == berlin(2026, 10, 25, 4)


def test_hours_that_begin_in_the_hour_that_does_not_exist_begin_when_the_clocks_jump():
    gap = Availability("Europe/Berlin", weekly={SUN: hours("02:30-05:00")})
    (opens, closes), = open_intervals(gap, datetime(2026, 3, 29, tzinfo=UTC), datetime(2026, 3, 29, 6, tzinfo=UTC))
    assert opens == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 summer time
    assert closes == datetime(2026, 3, 29, 3, 0, tzinfo=UTC)


def test_the_mentees_daylight_saving_night_moves_their_view_not_the_slots():
    # Tokyo has no daylight saving: 09:00 there is 00:00 UTC all year. New York springs forward on
    # 8 March 2026, so the same slot reads 19:00 before and 20:00 after, in the mentee's own zone.
    tokyo = Availability("Asia/Tokyo", weekly={day: hours("09:00-10:00") for day in range(7)})
    before = one_day(tokyo, date(2026, 3, 7), duration=HOUR, busy=[], now=datetime(2026, 3, 1, tzinfo=UTC))
    after = one_day(tokyo, date(2026, 3, 10), duration=HOUR, busy=[], now=datetime(2026, 3, 1, tzinfo=UTC))
    assert [slot.astimezone(UTC).strftime("%H:%M") for slot in before + after] == ["00:00", "00:00"]
    assert walls(before, NEW_YORK) == ["19:00"] and walls(after, NEW_YORK) == ["20:00"]


# Checking a requested time, and refusing nonsense ------------------------------------------------


@pytest.mark.parametrize(
    ("start", "minutes", "inside"),
    [((9, 0), 60, True), ((11, 0), 60, True), ((11, 1), 60, False), ((8, 59), 30, False), ((9, 7), 30, True)],
)
def test_a_requested_time_must_lie_inside_one_stretch_of_hours(start, minutes, inside):
    starts_at = berlin(2026, 11, 30, *start)
    assert within_hours(MORNINGS, starts_at, starts_at + timedelta(minutes=minutes)) is inside


def test_a_session_across_two_stretches_is_outside_the_hours():
    starts_at = berlin(2026, 12, 1, 11, 30)
    assert not within_hours(MORNINGS, starts_at, berlin(2026, 12, 1, 14, 30))


@pytest.mark.parametrize("pair", [("12:00", "09:00"), ("09:00", "09:00"), ("25:00", "26:00"), ("9:00", "10:00"),
                                  ("09:60", "10:00"), ("09:00", "24:01"), ("noon", "13:00")])
def test_hours_that_are_no_stretch_of_a_day_are_refused(pair):
    with pytest.raises(InvalidAvailability):
        Hours.parse(*pair)


def test_overlapping_hours_a_bad_zone_and_negative_settings_are_refused():
    with pytest.raises(InvalidAvailability, match="overlap"):
        Availability("UTC", weekly={MON: hours("09:00-12:00", "11:00-13:00")})
    with pytest.raises(InvalidAvailability):
        Availability("Mars/Olympus_Mons")
    with pytest.raises(InvalidAvailability):
        Availability("UTC", buffer=timedelta(minutes=-5))
    with pytest.raises(InvalidAvailability):
        Availability("UTC", weekly={7: hours("09:00-10:00")})


# Whatever the hours and bookings -----------------------------------------------------------------

stretches = st.lists(st.tuples(st.integers(0, 95), st.integers(1, 16)), max_size=3)


@given(
    st.dictionaries(st.integers(0, 6), stretches, max_size=7),
    st.lists(st.tuples(st.integers(0, 14 * 96), st.integers(1, 12)), max_size=20),
    st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]),
    st.integers(0, 60),
    st.integers(1, 8),
)
def test_every_slot_fits_the_hours_keeps_the_buffer_and_the_notice(week, booked, zone, buffer_minutes, quarters):
    weekly = {}
    for day, pieces in week.items():
        candidates, end = [], 0
        for start, length in sorted(pieces):
            start = max(start * 15, end)
            if start + length * 15 <= 1440:
                candidates.append(Hours(start, start + length * 15))
                end = start + length * 15
        weekly[day] = tuple(candidates)
    availability = Availability(zone, weekly=weekly, buffer=timedelta(minutes=buffer_minutes),
                                minimum_notice=timedelta(hours=2), horizon=timedelta(days=14))
    busy = [(NOW + timedelta(minutes=15 * q), NOW + timedelta(minutes=15 * (q + n))) for q, n in booked]
    duration = timedelta(minutes=15 * quarters)
    slots = free_slots(availability, duration=duration, busy=busy, now=NOW)
    assert slots == sorted(set(slots))
    buffer = timedelta(minutes=buffer_minutes)
    for slot in slots:
        assert NOW + timedelta(hours=2) <= slot < NOW + timedelta(days=14)
        assert within_hours(availability, slot, slot + duration)
        assert all(slot + duration <= s - buffer or slot >= e + buffer for s, e in busy)


def test_hours_that_end_in_the_hour_that_happens_twice_end_at_its_second_time():
    # 25 October 2026: 02:30 happens at 00:30 UTC (summer time) and again at 01:30 UTC (winter time).
    until_half_past_two = Availability("Europe/Berlin", weekly={SUN: hours("00:00-02:30")})
    slots = one_day(until_half_past_two, date(2026, 10, 25), duration=HOUR, busy=[],
                    now=datetime(2026, 10, 1, tzinfo=UTC))
    assert slots[-1] + HOUR == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert len(slots) == 11  # three and a half real hours


@pytest.mark.parametrize("text", ["\u00b2\u00b2:00", "\uff10\uff19:00", "09:\u00b20"])
def test_digits_that_are_not_ascii_are_no_time_of_day(text):
    with pytest.raises(InvalidAvailability):
        Hours.parse(text, "12:00")
