"""Time parsing and zone conversion, without Flask."""
from datetime import UTC, datetime, timedelta, timezone

import pytest

from meetapp.domain.timeutil import (
    NonexistentLocalTime,
    is_timezone,
    iso_z,
    local_to_utc,
    parse_aware_iso,
    to_local,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-24T15:00:00Z", datetime(2026, 11, 24, 15, 0, tzinfo=UTC)),
        ("2026-11-24T16:00:00+01:00", datetime(2026, 11, 24, 15, 0, tzinfo=UTC)),
        ("2026-11-24T10:00-05:00", datetime(2026, 11, 24, 15, 0, tzinfo=UTC)),
        ("2026-11-24T15:00:00.250Z", datetime(2026, 11, 24, 15, 0, 0, 250000, tzinfo=UTC)),
    ],
)
def test_aware_times_are_read_as_utc(text, expected):
    parsed = parse_aware_iso(text)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    ["2026-11-24T15:00:00", "2026-11-24", "tomorrow", "", "2026-13-01T00:00Z", "2026-11-24T15:00:00Z" + "0" * 50, 1700000000, None],
)
def test_naive_or_malformed_times_are_refused(text):
    with pytest.raises(ValueError):
        parse_aware_iso(text)


def test_naive_time_gets_a_message_about_the_zone():
    with pytest.raises(ValueError, match="time zone"):
        parse_aware_iso("2026-11-24T15:00:00")


def test_iso_z_renders_utc_with_z_to_the_second():
    value = datetime(2026, 11, 24, 16, 0, 30, 999, tzinfo=timezone(timedelta(hours=1)))
    assert iso_z(value) == "2026-11-24T15:00:30Z"


def test_local_wall_time_converts_with_the_zones_offset():
    assert local_to_utc(datetime(2026, 11, 24, 10, 0), "America/New_York") == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    assert local_to_utc(datetime(2026, 7, 1, 10, 0), "Europe/Berlin") == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


def test_a_time_skipped_by_the_clocks_is_refused():
    with pytest.raises(NonexistentLocalTime, match="does not exist"):
        local_to_utc(datetime(2027, 3, 14, 2, 30), "America/New_York")


def test_a_time_that_happens_twice_means_the_first():
    # 01:30 on 2026-11-01 happens in EDT (UTC-4) and again in EST (UTC-5).
    assert local_to_utc(datetime(2026, 11, 1, 1, 30), "America/New_York") == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_to_local_shows_the_viewers_wall_clock():
    instant = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    assert to_local(instant, "Europe/Berlin").strftime("%H:%M") == "16:00"
    assert to_local(instant, "Asia/Kolkata").strftime("%H:%M") == "20:30"


@pytest.mark.parametrize(("name", "valid"), [("Europe/Berlin", True), ("UTC", True), ("Mars/Olympus", False), ("../etc/passwd", False), ("", False), (None, False)])
def test_time_zone_names_are_checked_against_the_iana_list(name, valid):
    assert is_timezone(name) is valid


@pytest.mark.parametrize("text", ["2026-11-30T00:00:00xZ", "2026-11-30T00:00:00\x00Z", "2026-11-30T00:00:00\u00e9+01:00"])
def test_a_stray_character_before_the_offset_is_no_time(text):
    with pytest.raises(ValueError):
        parse_aware_iso(text)
