"""Forms on a mentor's settings pages: the public profile, and the hours mentees may book.

The availability form is plain text fields (a weekday's hours as "09:00-12:00, 14:00-17:00", one dated
exception a line), so it works without JavaScript; `availability_body` turns it into the API's body for
services.mentor_hours.read_settings, which judges it, and `availability_values` shows stored settings
back the same way.
"""
import re
from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from meetapp.domain.availability import WEEKDAYS
from meetapp.services.mentor_hours import HourSettings, settings_json
from meetapp.services.mentors import MAX_BIO_LENGTH, MAX_HEADLINE_LENGTH
from meetapp.settings.forms import known_timezone

MAX_DAY_LENGTH = 200
MAX_EXCEPTIONS_LENGTH = 20_000
MAX_NUMBER_LENGTH = 10
MAX_LINE_ERRORS = 5
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HOURS_HINT = "e.g. 09:00-12:00, 14:00-17:00 (empty: not available that day)"
# Between a stretch's start and end: "-", an en or em dash, or the word "to".
_UNTIL = re.compile(r"\s*(?:-|–|—|\bto\b)\s*", re.IGNORECASE)
_ONE_DIGIT_HOUR = re.compile(r"^(\d):(\d\d)$")


class MentorProfileForm(FlaskForm):
    """Judged by services.mentors.update_profile, whose field names these are."""

    headline = StringField("Headline", render_kw={"maxlength": MAX_HEADLINE_LENGTH})
    bio = TextAreaField("About you", render_kw={"maxlength": MAX_BIO_LENGTH, "rows": 8})
    specialties = StringField("Specialties")
    languages = StringField("Languages")
    # Any name is passed on: the service refuses one that is no session type.
    session_types = SelectMultipleField(
        "Session types you offer", validate_choice=False, widget=ListWidget(prefix_label=False), option_widget=CheckboxInput()
    )


class AvailabilityForm(FlaskForm):
    timezone = SelectField("Time zone of your hours", validators=[known_timezone], validate_choice=False)
    mon = StringField(DAY_NAMES[0])
    tue = StringField(DAY_NAMES[1])
    wed = StringField(DAY_NAMES[2])
    thu = StringField(DAY_NAMES[3])
    fri = StringField(DAY_NAMES[4])
    sat = StringField(DAY_NAMES[5])
    sun = StringField(DAY_NAMES[6])
    exceptions = TextAreaField("Dates that differ", render_kw={"rows": 5, "spellcheck": "false"})
    buffer = StringField("Buffer between sessions (minutes)", render_kw={"inputmode": "numeric"})
    notice = StringField("Minimum notice (hours)", render_kw={"inputmode": "decimal"})
    horizon = StringField("Booking horizon (days)", render_kw={"inputmode": "numeric"})

    def day_fields(self):
        return [getattr(self, name) for name in WEEKDAYS]


class FormInputError(ValueError):
    """What one field or line of the form says that cannot be read."""


def stretches_text(pairs: list[list[str]]) -> str:
    return ", ".join(f"{start}-{end}" for start, end in pairs)


def availability_values(settings: HourSettings, own_timezone: str) -> dict[str, str]:
    """The form's values for stored settings, in the form's own notation."""
    body = settings_json(settings, own_timezone)
    values = {name: stretches_text(pairs) for name, pairs in body["weekly"].items()}
    values["exceptions"] = "\n".join(
        f"{item['date']} {stretches_text(item['hours']) if item['hours'] else 'off'}" for item in body["exceptions"]
    )
    values["timezone"] = body["timezone"]
    values["buffer"] = str(body["bufferMinutes"])
    values["notice"] = notice_text(body["minimumNoticeMinutes"])
    values["horizon"] = str(body["horizonDays"])
    return values


def notice_text(minutes: int) -> str:
    """Whole hours as "12", others as "1:30" (a third of an hour has no short decimal)."""
    hours, rest = divmod(minutes, 60)
    return str(hours) if not rest else f"{hours}:{rest:02d}"


def read_stretches(text: str) -> list[list[str]]:
    """ "09:00-12:00, 14:00 to 17:00" as [["09:00", "12:00"], ["14:00", "17:00"]]; the times themselves
    are judged by the service. Raises FormInputError for a stretch without a start and an end."""
    pairs = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        ends = _UNTIL.split(part)
        if len(ends) != 2 or not all(ends):
            raise FormInputError(f"{part[:30]!r} is not a stretch of hours such as 09:00-12:00.")
        pairs.append([_ONE_DIGIT_HOUR.sub(r"0\1:\2", end) for end in ends])
    return pairs


def read_whole_number(text: str, unit: str) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= MAX_NUMBER_LENGTH):
        raise FormInputError(f"Give a whole number of {unit}.")
    return int(text)


def read_notice_minutes(text: str) -> int:
    """Hours as "12", "0.5" or "1:30", in whole minutes."""
    text = text.strip()
    if len(text) > MAX_NUMBER_LENGTH or not text.isascii():
        raise FormInputError("Give the notice in hours, e.g. 12, 0.5 or 1:30.")
    hours, colon, minutes = text.partition(":")
    if colon:
        if not (hours.isdigit() and len(minutes) == 2 and minutes.isdigit() and int(minutes) < 60):
            raise FormInputError("Give the notice in hours, e.g. 12, 0.5 or 1:30.")
        return int(hours) * 60 + int(minutes)
    try:
        value = Decimal(text) * 60
    except InvalidOperation:
        raise FormInputError("Give the notice in hours, e.g. 12, 0.5 or 1:30.") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise FormInputError("Give the notice in hours that make whole minutes, e.g. 0.5 or 1:20.")
    return int(value)


def line_errors(problems: list[str]) -> str:
    """The first few lines' problems, and how many more there are: a pasted list can go wrong on every line."""
    more = len(problems) - MAX_LINE_ERRORS
    tail = f" And {more} more line{'s' * (more != 1)}." if more > 0 else ""
    return " ".join(problems[:MAX_LINE_ERRORS]) + tail


def availability_body(form: AvailabilityForm) -> tuple[dict, dict[str, str], list[int]]:
    """The API's body for what the form says, the form's own errors (by form field), and the line number of
    each exception in the body (for the service's `exceptions[i]` errors). A field that cannot be read is
    left out of the body, so the service judges the others."""
    body: dict = {"timezone": form.timezone.data}
    errors: dict[str, str] = {}
    weekly = {}
    for name, field in zip(WEEKDAYS, form.day_fields(), strict=True):
        text = field.data or ""
        try:
            if len(text) > MAX_DAY_LENGTH:
                raise FormInputError(f"Keep it to {MAX_DAY_LENGTH} characters.")
            weekly[name] = read_stretches(text)
        except FormInputError as exc:
            errors[name] = str(exc)
    body["weekly"] = weekly
    exceptions, lines, problems = [], [], []
    text = form.exceptions.data or ""
    if len(text) > MAX_EXCEPTIONS_LENGTH:
        problems.append(f"Keep the list to {MAX_EXCEPTIONS_LENGTH} characters.")
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            day, _, hours = line.strip().partition(" ")
            if not day:
                continue
            hours = hours.strip()
            try:
                if not hours:
                    raise FormInputError('give "off" or the hours after the date, e.g. 2026-12-24 off.')
                exceptions.append({"date": day, "hours": [] if hours.casefold() == "off" else read_stretches(hours)})
                lines.append(number)
            except FormInputError as exc:
                problems.append(f"Line {number}: {exc}")
    if problems:
        errors["exceptions"] = line_errors(problems)
    else:
        body["exceptions"] = exceptions
    for name, key, read in (
        ("buffer", "bufferMinutes", lambda value: read_whole_number(value, "minutes")),
        ("notice", "minimumNoticeMinutes", read_notice_minutes),
        ("horizon", "horizonDays", lambda value: read_whole_number(value, "days")),
    ):
        try:
            body[key] = read(getattr(form, name).data or "")
        except FormInputError as exc:
            errors[name] = str(exc)
    return body, errors, lines
