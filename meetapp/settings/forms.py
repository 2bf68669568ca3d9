"""Forms on the settings page: the profile, and creating a personal API token."""
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from meetapp.domain.timeutil import is_timezone, timezone_names


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
