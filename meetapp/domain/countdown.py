"""The countdown to a join window, in one format that scales: days and hours far out, hours and minutes
closer, minutes and seconds in the last hour.

The server renders the first text with `countdown_text` and countdownText() in static/app.js ticks it
with the same rule (tests/unit/test_countdown.py runs both on one table), so the words a page shows and
the numbers it ticks never disagree.
"""

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def countdown_text(seconds: int) -> str:
    """'2 days 4 hours', '1 day', '5 hours 12 minutes', '1 hour', '04:41', '00:00'.

    Each unit is counted down whole (rounded down), like a clock: '1 hour' until the last hour
    begins, then '59:59'. A part that is zero is left out rather than read as '1 day 0 hours'.
    """
    seconds = max(0, int(seconds))
    if seconds >= DAY:
        return _two_units(seconds // DAY, "day", seconds % DAY // HOUR, "hour")
    if seconds >= HOUR:
        return _two_units(seconds // HOUR, "hour", seconds % HOUR // MINUTE, "minute")
    return f"{seconds // MINUTE:02d}:{seconds % MINUTE:02d}"


def _two_units(big: int, big_unit: str, small: int, small_unit: str) -> str:
    text = _count(big, big_unit)
    return f"{text} {_count(small, small_unit)}" if small else text


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}{'' if number == 1 else 's'}"
