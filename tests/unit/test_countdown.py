"""The countdown to a join window: one format that scales, the same in Python and in static/app.js;
and the day an opening time is on, named only when it is not today in the viewer's zone."""
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from meetapp.domain.countdown import countdown_text
from meetapp.domain.timeutil import other_day
from tests.support import IN_CI

APP_JS = Path(__file__).parents[2] / "static" / "app.js"

DAY, HOUR, MINUTE = 86400, 3600, 60

# seconds left -> what the page shows after "Opens in".
TABLE = [
    (0, "00:00"),
    (1, "00:01"),
    (59, "00:59"),
    (60, "01:00"),
    (281, "04:41"),
    (HOUR - 1, "59:59"),
    (HOUR, "1 hour"),
    (HOUR + 59, "1 hour"),
    (HOUR + MINUTE, "1 hour 1 minute"),
    (2 * HOUR + 2 * MINUTE, "2 hours 2 minutes"),
    (5 * HOUR + 12 * MINUTE + 30, "5 hours 12 minutes"),
    (DAY - 1, "23 hours 59 minutes"),
    (DAY, "1 day"),
    (DAY + HOUR - 1, "1 day"),
    (DAY + HOUR, "1 day 1 hour"),
    (2 * DAY + 4 * HOUR + 59 * MINUTE, "2 days 4 hours"),
    (3 * DAY + 45 * MINUTE, "3 days"),
    (400 * DAY + 23 * HOUR, "400 days 23 hours"),
]


@pytest.mark.parametrize(("seconds", "text"), TABLE)
def test_the_countdown_scales_from_days_to_minutes_and_seconds(seconds, text):
    assert countdown_text(seconds) == text


def test_a_moment_past_the_opening_reads_as_zero_not_negative():
    assert countdown_text(-5) == "00:00"


def test_the_text_only_ever_counts_down():
    # Every second of three days, in order: the shown units never go up as the seconds go down,
    # so the words never jump ahead of the numbers (no "1 day" after "23 hours").
    def weight(text: str) -> int:
        if ":" in text:
            minutes, seconds = text.split(":")
            return int(minutes) * MINUTE + int(seconds)
        units = {"day": DAY, "hour": HOUR, "minute": MINUTE}
        return sum(int(number) * units[unit] for number, unit in re.findall(r"(\d+) (day|hour|minute)s?", text))

    shown = [weight(countdown_text(seconds)) for seconds in range(3 * DAY, -1, -1)]
    assert all(later <= earlier for earlier, later in zip(shown, shown[1:], strict=False))


def javascript_countdown(seconds: list[int]) -> list[str]:
    """countdownText() from static/app.js, run by node on `seconds`."""
    node = shutil.which("node")
    if node is None:
        if IN_CI:
            pytest.fail("CI=true but node is missing: the JavaScript countdown must be checked against Python's.")
        pytest.skip("node is not installed")
    source = APP_JS.read_text()
    # The function alone: app.js itself needs a browser's document to load.
    function = re.search(r"^function countdownText\(seconds\) \{\n.*?^\}\n", source, re.S | re.M)
    assert function, "countdownText(seconds) is no longer a top-level function in static/app.js"
    script = f"{function.group(0)}\nconsole.log(JSON.stringify({json.dumps(seconds)}.map(countdownText)));"
    result = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=30, check=True)
    return json.loads(result.stdout)


def test_the_browser_ticks_the_same_text_the_server_renders():
    seconds = [seconds for seconds, _ in TABLE] + list(range(0, 2 * DAY + 3 * HOUR, 997))
    assert javascript_countdown(seconds) == [countdown_text(second) for second in seconds]


# The day an opening time is on -------------------------------------------------------------

MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "zone", "day"),
    [
        (datetime(2026, 11, 23, 22, 59, tzinfo=UTC), "Europe/Berlin", None),
        # 23:00 UTC is already Tuesday in Berlin, and still Monday in New York.
        (datetime(2026, 11, 23, 23, 0, tzinfo=UTC), "Europe/Berlin", "Tue 24 Nov"),
        (datetime(2026, 11, 23, 23, 0, tzinfo=UTC), "America/New_York", None),
        (datetime(2026, 11, 22, 9, 0, tzinfo=UTC), "UTC", "Sun 22 Nov"),
        (datetime(2026, 12, 8, 14, 45, tzinfo=UTC), "UTC", "Tue 8 Dec"),
        (datetime(2027, 1, 4, 9, 0, tzinfo=UTC), "UTC", "Mon 4 Jan 2027"),
    ],
)
def test_the_day_is_named_only_when_it_is_not_the_same_local_day(value, zone, day):
    assert other_day(value, MONDAY_NOON, zone) == day


def test_today_is_the_viewers_today_not_the_servers():
    # 01:00 UTC on Tuesday is still Monday evening in Los Angeles, where it is 04:00 on Monday at noon UTC.
    late = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    assert other_day(late, MONDAY_NOON, "America/Los_Angeles") is None
    assert other_day(late, MONDAY_NOON, "UTC") == "Tue 24 Nov"
