"""Forms for booking and changing a session.

They only turn text into Python values; whether a booking is allowed is decided
by `meetapp.services.booking`, whose field errors the views put back onto these fields.
"""
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, SelectField, TextAreaField

from meetapp.domain.scheduling import MAX_CANCEL_REASON_LENGTH, MAX_DURATION_MINUTES, MIN_DURATION_MINUTES

START_FORMAT = "%Y-%m-%dT%H:%M"
BAD_START = "Give the start as a date and a time, e.g. 2026-11-24 15:00."
BAD_DURATION = "Give the duration as a whole number of minutes."


def mentor_id_or_none(value: object) -> int | None:
    """The submitted mentor id as a number; anything else is left for the booking rules to refuse."""
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def start_field(label: str) -> DateTimeLocalField:
    return DateTimeLocalField(
        label, format=[START_FORMAT, "%Y-%m-%dT%H:%M:%S"], invalid_value_message=BAD_START, render_kw={"step": 60}
    )


def duration_field() -> IntegerField:
    return IntegerField(
        "Duration (minutes)",
        invalid_value_message=BAD_DURATION,
        render_kw={"min": MIN_DURATION_MINUTES, "max": MAX_DURATION_MINUTES, "step": 5},
    )


class BookingForm(FlaskForm):
    # Choices are filled in by the view; the booking rules judge the submitted values.
    mentor = SelectField("Mentor", coerce=mentor_id_or_none, validate_choice=False)
    session_type = SelectField("Session type", validate_choice=False)
    starts_at = start_field("Start")
    duration = duration_field()


class ChooseMentorForm(FlaskForm):
    """The booking page's first question, asked by GET: whose free times to show."""

    class Meta:
        csrf = False

    # Its own id: the free date-time form below it has a mentor select too.
    mentor = SelectField("Mentor", id="choose-mentor", coerce=mentor_id_or_none, validate_choice=False)


class SlotTypeForm(FlaskForm):
    """The slot picker's session type, asked by GET: the slots are as long as the type's usual duration."""

    class Meta:
        csrf = False

    session_type = SelectField("Session type", id="slot-session-type", validate_choice=False)


class ConfirmForm(FlaskForm):
    """No fields: confirming needs only the CSRF token."""


class CancelForm(FlaskForm):
    reason = TextAreaField(
        "Reason (optional; both of you will see it)", render_kw={"maxlength": MAX_CANCEL_REASON_LENGTH, "rows": 3}
    )


class DeclineForm(FlaskForm):
    # Its own id: the page may hold the cancel form's "reason" too.
    reason = TextAreaField(
        "Reason (optional; the mentee will see it)",
        id="decline-reason",
        render_kw={"maxlength": MAX_CANCEL_REASON_LENGTH, "rows": 3},
    )


class RescheduleForm(FlaskForm):
    starts_at = start_field("New start")
    duration = duration_field()
