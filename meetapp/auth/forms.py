"""Forms for registering and logging in.

They check only what a form can see (a field is filled in, the passwords match);
the account rules themselves live in `meetapp.services.accounts` and `.registration`.
"""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import AnyOf, EqualTo, InputRequired, Length

from meetapp.domain.timeutil import timezone_names
from meetapp.services.registration import SELF_SERVICE_ROLES


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired("Enter your email."), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired("Enter your password."), Length(max=256)])
    remember = BooleanField("Keep me logged in on this device")
    next = HiddenField()


class RegistrationForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired("Enter your email.")])
    name = StringField("Name", validators=[InputRequired("Enter your name.")])
    password = PasswordField("Password", validators=[InputRequired("Choose a password.")])
    confirm = PasswordField(
        "Repeat the password",
        validators=[InputRequired("Repeat the password."), EqualTo("password", "The two passwords differ.")],
    )
    # Admins are made on the command line only, so the form offers (and accepts) two roles.
    role = RadioField(
        "I am a",
        choices=[SelectChoice("mentee", "Mentee: I book sessions"), SelectChoice("mentor", "Mentor: I give sessions")],
        validators=[InputRequired("Choose mentor or mentee."), AnyOf(SELF_SERVICE_ROLES, "Choose mentor or mentee.")],
        validate_choice=False,
    )
    # create_user judges the zone, with a clearer message than "Not a valid choice".
    timezone = SelectField("Time zone", default="UTC", validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = list(timezone_names())

    def account(self) -> dict[str, str]:
        """The fields as the registration service takes them: text, a field left out as empty."""
        return {
            # Spaces around an address are a slip of the keyboard, not part of it.
            "email": (self.email.data or "").strip(),
            "name": self.name.data or "",
            "role": self.role.data or "",
            "password": self.password.data or "",
            "timezone": self.timezone.data or "",
        }


class LogoutForm(FlaskForm):
    """No fields: it carries the CSRF token, so a foreign page cannot log a person out."""


class ForgotPasswordForm(FlaskForm):
    # Judged by services.passwords.check_reset_address: its form only, never whether it has an account.
    email = EmailField("Email", render_kw={"maxlength": 254})


class ResetPasswordForm(FlaskForm):
    # Judged by services.passwords.new_password_problems, as the settings page's new password is.
    new_password = PasswordField("New password")
    repeat_password = PasswordField("Repeat the new password")
