"""A mentor's hours as the API and the settings page send them, checked field by field
(meetapp.services.mentor_hours.read_settings): every wrong value names its field and nothing is kept."""
from datetime import date

import pytest

from meetapp.domain.availability import Hours
from meetapp.domain.errors import InvalidRequest
from meetapp.services.mentor_hours import (
    BUFFER_RANGE,
    HORIZON_RANGE,
    MAX_EXCEPTIONS,
    MAX_STRETCHES_PER_DAY,
    NOTICE_RANGE,
    HourSettings,
    read_settings,
    settings_json,
)

MON, TUE = 0, 1
CURRENT = HourSettings(
    timezone="Asia/Tokyo",
    weekly={TUE: (Hours.parse("13:00", "17:00"),)},
    exceptions={date(2026, 12, 24): ()},
    buffer_minutes=15,
    minimum_notice_minutes=120,
    horizon_days=30,
)


def errors_of(body: dict) -> dict[str, str]:
    with pytest.raises(InvalidRequest) as refused:
        read_settings(body, current=CURRENT)
    return refused.value.fields


def test_a_whole_body_is_read_into_settings():
    settings = read_settings(
        {
            "timezone": "Europe/Berlin",
            "weekly": {"mon": [["14:00", "17:00"], ["09:00", "12:00"]], "sun": []},
            "exceptions": [{"date": "2026-12-31", "hours": [["10:00", "12:00"]]}, {"date": "2026-12-25", "hours": []}],
            "bufferMinutes": 10,
            "minimumNoticeMinutes": 0,
            "horizonDays": 365,
        },
        current=CURRENT,
    )
    assert settings.timezone == "Europe/Berlin"
    # Stretches come back in order; a day given no hours has none.
    assert settings.weekly == {MON: (Hours.parse("09:00", "12:00"), Hours.parse("14:00", "17:00"))}
    assert settings.exceptions == {date(2026, 12, 31): (Hours.parse("10:00", "12:00"),), date(2026, 12, 25): ()}
    assert (settings.buffer_minutes, settings.minimum_notice_minutes, settings.horizon_days) == (10, 0, 365)


def test_fields_left_out_keep_their_current_values():
    assert read_settings({}, current=CURRENT) == CURRENT
    changed = read_settings({"bufferMinutes": 0}, current=CURRENT)
    assert changed.buffer_minutes == 0
    assert (changed.timezone, changed.weekly, changed.exceptions) == (CURRENT.timezone, CURRENT.weekly, CURRENT.exceptions)
    assert (changed.minimum_notice_minutes, changed.horizon_days) == (120, 30)


def test_weekly_hours_given_replace_the_whole_week():
    """"weekly" is one field: the days it leaves out have no hours (Tuesday's are gone)."""
    assert read_settings({"weekly": {"mon": [["09:00", "10:00"]]}}, current=CURRENT).weekly == {
        MON: (Hours.parse("09:00", "10:00"),)
    }
    assert read_settings({"weekly": {}}, current=CURRENT).weekly == {}


def test_a_null_timezone_means_the_mentors_own():
    settings = read_settings({"timezone": None}, current=CURRENT)
    assert settings.timezone is None
    assert settings_json(settings, "America/Chicago")["timezone"] == "America/Chicago"


def test_midnight_may_end_a_day():
    assert read_settings({"weekly": {"mon": [["20:00", "24:00"]]}}, current=CURRENT).weekly[MON] == (Hours(1200, 1440),)


@pytest.mark.parametrize(
    "timezone", ["Mars/Olympus", "", "europe/berlin", 5, ["Europe/Berlin"], True, "Europe/Berlin" + "x" * 60, "CET"]
)
def test_an_unknown_timezone_is_refused(timezone):
    assert list(errors_of({"timezone": timezone})) == ["timezone"]


@pytest.mark.parametrize("weekly", [[["09:00", "12:00"]], "mon 09:00-12:00", None, 5, True])
def test_weekly_must_be_an_object_of_weekdays(weekly):
    assert list(errors_of({"weekly": weekly})) == ["weekly"]


@pytest.mark.parametrize("day", ["monday", "Mon", "MON", "7", "", "mon "])
def test_an_unknown_weekday_is_named(day):
    errors = errors_of({"weekly": {day: [["09:00", "12:00"]]}})
    assert list(errors) == ["weekly"]
    assert "mon, tue, wed, thu, fri, sat, sun" in errors["weekly"]


@pytest.mark.parametrize(
    "stretch",
    [
        ["9:00", "12:00"],  # hours need two digits
        ["09:00", "24:30"],  # past the end of the day
        ["24:00", "24:00"],  # midnight cannot start a day's stretch
        ["09:60", "12:00"],
        ["09-00", "12:00"],
        ["0900", "1200"],
        ["09:00:00", "12:00"],
        [" 9:00", "12:00"],
        ["-1:00", "12:00"],
        ["²²:00", "23:00"],  # digits to str.isdigit(), not to int()
        ["０９:００", "12:00"],  # full-width digits
        ["09:00", None],
        [9, 12],
        ["09:00"],
        ["09:00", "10:00", "11:00"],
        "09:00-12:00",
        {"start": "09:00", "end": "12:00"},
    ],
)
def test_a_malformed_stretch_is_refused_on_its_day(stretch):
    errors = errors_of({"weekly": {"wed": [stretch]}})
    assert list(errors) == ["weekly.wed"]


@pytest.mark.parametrize("stretch", [["12:00", "09:00"], ["09:00", "09:00"]])
def test_a_stretch_must_end_after_it_starts(stretch):
    assert "is not a stretch of one day" in errors_of({"weekly": {"mon": [stretch]}})["weekly.mon"]


def test_overlapping_stretches_are_refused_and_touching_ones_are_not():
    message = errors_of({"weekly": {"fri": [["09:00", "12:00"], ["11:30", "13:00"]]}})["weekly.fri"]
    assert "overlap" in message
    touching = read_settings({"weekly": {"fri": [["09:00", "12:00"], ["12:00", "13:00"]]}}, current=CURRENT)
    assert len(touching.weekly[4]) == 2


def test_a_day_has_a_limited_number_of_stretches():
    stretches = [[f"{hour:02d}:00", f"{hour:02d}:30"] for hour in range(MAX_STRETCHES_PER_DAY + 1)]
    assert list(errors_of({"weekly": {"sat": stretches}})) == ["weekly.sat"]
    assert len(read_settings({"weekly": {"sat": stretches[:-1]}}, current=CURRENT).weekly[5]) == MAX_STRETCHES_PER_DAY


def test_every_bad_day_and_field_is_named_at_once():
    errors = errors_of(
        {"weekly": {"mon": [["9:00", "12:00"]], "tue": "x", "sun": [["10:00", "11:00"]]}, "bufferMinutes": -1, "horizonDays": 0}
    )
    assert set(errors) == {"weekly.mon", "weekly.tue", "bufferMinutes", "horizonDays"}


@pytest.mark.parametrize(
    "bad", ["2026-02-30", "2026-13-01", "20261224", "2026-W52-4", "2026-12-24T00:00", "24.12.2026", "2026-1-5", "２０２６-12-24", ""]
)
def test_an_exception_needs_a_real_calendar_date(bad):
    errors = errors_of({"exceptions": [{"date": "2026-12-23", "hours": []}, {"date": bad, "hours": []}]})
    assert list(errors) == ["exceptions[1].date"]


def test_a_date_given_twice_is_refused():
    errors = errors_of({"exceptions": [{"date": "2026-12-24", "hours": []}, {"date": "2026-12-24", "hours": [["10:00", "11:00"]]}]})
    assert errors == {"exceptions[1].date": "2026-12-24 is given twice."}


@pytest.mark.parametrize("item", [{"hours": []}, {"date": 20261224}, "2026-12-24", None, ["2026-12-24", []]])
def test_an_exception_must_be_an_object_with_a_date(item):
    assert list(errors_of({"exceptions": [item]})) == ["exceptions[0]"]


def test_an_exceptions_hours_are_checked_like_a_weekdays():
    errors = errors_of({"exceptions": [{"date": "2026-12-24", "hours": [["14:00", "12:00"]]}]})
    assert list(errors) == ["exceptions[0].hours"]
    assert list(errors_of({"exceptions": [{"date": "2026-12-24", "hours": None}]})) == ["exceptions[0].hours"]


def test_an_exception_without_hours_is_a_day_off():
    assert read_settings({"exceptions": [{"date": "2027-01-01"}]}, current=CURRENT).exceptions == {date(2027, 1, 1): ()}


@pytest.mark.parametrize("exceptions", [{"date": "2026-12-24", "hours": []}, "2026-12-24", None])
def test_exceptions_must_be_a_list(exceptions):
    assert list(errors_of({"exceptions": exceptions})) == ["exceptions"]


def test_there_is_a_limit_to_the_exceptions():
    days = [{"date": date.fromordinal(date(2027, 1, 1).toordinal() + n).isoformat(), "hours": []} for n in range(MAX_EXCEPTIONS + 1)]
    assert list(errors_of({"exceptions": days})) == ["exceptions"]
    assert len(read_settings({"exceptions": days[:-1]}, current=CURRENT).exceptions) == MAX_EXCEPTIONS


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [("bufferMinutes", *BUFFER_RANGE), ("minimumNoticeMinutes", *NOTICE_RANGE), ("horizonDays", *HORIZON_RANGE)],
)
def test_numbers_are_whole_and_within_their_range(name, low, high):
    assert getattr(read_settings({name: low}, current=CURRENT), _attribute(name)) == low
    assert getattr(read_settings({name: high}, current=CURRENT), _attribute(name)) == high
    for bad in (low - 1, high + 1, 10**30, -(10**30)):
        assert list(errors_of({name: bad})) == [name], bad
    assert str(low) in errors_of({name: high + 1})[name] and str(high) in errors_of({name: high + 1})[name]


@pytest.mark.parametrize("bad", [True, False, 10.0, 10.5, "10", None, [10], {"minutes": 10}, float("nan")])
@pytest.mark.parametrize("name", ["bufferMinutes", "minimumNoticeMinutes", "horizonDays"])
def test_numbers_of_another_type_are_refused(name, bad):
    """A boolean is an int to Python; it is no number of minutes."""
    assert list(errors_of({name: bad})) == [name]


def _attribute(name: str) -> str:
    return {"bufferMinutes": "buffer_minutes", "minimumNoticeMinutes": "minimum_notice_minutes", "horizonDays": "horizon_days"}[name]
