"""Forms on the settings pages: profile, password and logins, API tokens, and a mentor's video provider."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField, URLField
from wtforms.validators import DataRequired, Length, ValidationError

from meetapp.domain.meeting_url import MAX_URL_LENGTH
from meetapp.domain.timeutil import is_timezone
from meetapp.domain.video import GOOGLE, ZOOM
from meetapp.services.video_settings import MAX_EMAIL_LENGTH, UNCHANGED, needs_account, provider_choices

ACCOUNT_ATTRIBUTES = {
    "maxlength": MAX_EMAIL_LENGTH,
    "placeholder": "name@example.com",
    "autocomplete": "email",
    "spellcheck": "false",
}


def known_timezone(form, field) -> None:
    if not is_timezone(field.data):
        raise ValidationError("Choose a time zone such as Europe/Berlin.")


class ProfileForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[DataRequired("Enter your name."), Length(max=120, message="Keep the name under 120 characters.")],
    )
    # Any IANA name is accepted; the list offers the current ones (auth.forms.offer_timezones, called by the view).
    timezone = SelectField("Time zone", validators=[known_timezone], validate_choice=False)


class NoShowMailForm(FlaskForm):
    """An admin's choice to be mailed each no-show the worker finalises (User.mail_no_shows)."""

    mail_no_shows = BooleanField("Mail me each no-show")


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
    """How a mentor's sessions meet. Choices and rules come from `meetapp.services.video_settings`."""

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
    # Rendered only while Zoom (or Google Meet acting for each mentor) is chosen and connected; see `account_field`.
    zoom_user = EmailField("Your Zoom user (email)", render_kw=ACCOUNT_ATTRIBUTES)
    google_user = EmailField("Your Google Workspace user (email)", render_kw=ACCOUNT_ATTRIBUTES)
    apply_to_upcoming = BooleanField("Also apply to my upcoming sessions")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.provider.choices = [(value, label) for value, label, _ in provider_choices()]

    def manual_url_or_unchanged(self) -> object:
        """The link as typed, or UNCHANGED when the form did not show the field, so the saved link stays."""
        return self.manual_url.data if self.manual_url.raw_data else UNCHANGED

    def account_or_unchanged(self, provider: str) -> object:
        """The account typed for `provider`, or UNCHANGED when the form did not show its field."""
        field = self.account_fields()[provider]
        return field.data if field.raw_data else UNCHANGED

    def account_fields(self) -> dict:
        return {ZOOM: self.zoom_user, GOOGLE: self.google_user}

    def account_field(self):
        """The account field to show: the chosen provider's when meetings are made as the mentor, or one in error."""
        fields = self.account_fields()
        if self.provider.data in fields and needs_account(self.provider.data):
            return fields[self.provider.data]
        return next((field for field in fields.values() if field.errors), None)


class PasswordChangeForm(FlaskForm):
    """Judged by services.passwords.change_password, which names every problem at once."""

    current_password = PasswordField("Current password")
    new_password = PasswordField("New password")
    repeat_password = PasswordField("Repeat the new password")


class LogOutEverywhereForm(FlaskForm):
    """No fields: it carries the CSRF token, so a foreign page cannot end a person's logins."""
