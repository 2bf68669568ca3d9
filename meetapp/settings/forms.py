"""Forms on the settings pages: the profile, personal API tokens, and a mentor's video provider."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, URLField
from wtforms.validators import DataRequired, Length, ValidationError

from meetapp.domain.meeting_url import MAX_URL_LENGTH
from meetapp.domain.timeutil import is_timezone, timezone_names
from meetapp.video_settings import UNCHANGED, provider_choices


def known_timezone(form, field) -> None:
    if not is_timezone(field.data):
        raise ValidationError("Choose a time zone such as Europe/Berlin.")


class ProfileForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[DataRequired("Enter your name."), Length(max=120, message="Keep the name under 120 characters.")],
    )
    timezone = SelectField("Time zone", validators=[known_timezone], validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = list(timezone_names())


class TokenForm(FlaskForm):
    label = StringField(
        "Label",
        validators=[
            DataRequired("Give the token a label, e.g. the script that uses it."),
            Length(max=80, message="Keep the label under 80 characters."),
        ],
        render_kw={"maxlength": 80, "placeholder": "e.g. calendar sync"},
    )


class RevokeForm(FlaskForm):
    """No fields: revoking needs only the CSRF token."""


class VideoSettingsForm(FlaskForm):
    """How a mentor's sessions meet. Choices and rules come from `meetapp.video_settings`."""

    provider = RadioField("Video provider", validate_choice=False)
    # Rendered only while "My own meeting link" is chosen; see `manual_url_or_unchanged`.
    manual_url = URLField(
        "Your meeting link",
        render_kw={
            "maxlength": MAX_URL_LENGTH,
            "placeholder": "https://zoom.us/j/…",
            "autocomplete": "url",
            "spellcheck": "false",
            "inputmode": "url",
        },
    )
    apply_to_upcoming = BooleanField("Also apply to my upcoming sessions")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.provider.choices = [(value, label) for value, label, _ in provider_choices()]

    def manual_url_or_unchanged(self) -> object:
        """The link as typed, or UNCHANGED when the form did not show the field, so the saved link stays."""
        return self.manual_url.data if self.manual_url.raw_data else UNCHANGED
