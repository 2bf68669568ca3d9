"""Forms for registering and logging in, and the time zone list the settings page shares.

They check only what a form can see (a field is filled in, the passwords match);
the account rules themselves live in `meetapp.services.accounts` and `.registration`.
"""
from dataclasses import dataclass
from datetime import datetime

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

from meetapp.domain.timeutil import (
    MAX_TIMEZONE_SEARCH_LENGTH,
    ListedZone,
    find_timezones,
    is_timezone,
    listed_timezone,
    listed_timezones,
    utc_offset,
)
from meetapp.services.registration import SELF_SERVICE_ROLES


@dataclass(frozen=True)
class TimezoneSearch:
    """What the zone list was searched for ("" when it was not), and how many zones matched."""

    text: str = ""
    matches: int = 0


def zone_choice(zone: ListedZone, now: datetime) -> SelectChoice:
    label = zone.place if zone.name == "UTC" else f"{zone.place} ({utc_offset(zone.name, now)})"
    # Other names let app.js find the zone a browser calls Asia/Calcutta, and a search for "Calcutta".
    render_kw = {"data_aliases": " ".join(zone.aliases)} if zone.aliases else {}
    return SelectChoice(zone.name, label, render_kw, zone.region or None)


def offer_timezones(field: SelectField, search: str, now: datetime) -> TimezoneSearch:
    """Fill `field` with the listed zones, grouped by region, and return what was searched for.

    A search that finds zones narrows the list to them and picks the first, unless the field's zone is one
    of them; one that finds none leaves the whole list. A zone the field holds that the list does not offer
    (an older name, saved before) is kept at the top, so nobody's saved zone changes by itself.
    """
    search = " ".join(search.split())[:MAX_TIMEZONE_SEARCH_LENGTH]
    found = find_timezones(search) if search else ()
    zones = found or listed_timezones()
    if found and field.data not in {zone.name for zone in found}:
        field.data = found[0].name
    choices = [zone_choice(zone, now) for zone in zones]
    if is_timezone(field.data) and field.data not in {zone.name for zone in zones}:
        listed = listed_timezone(field.data)
        label = f"{field.data} (another name for {listed.place})" if listed else field.data
        choices.insert(0, SelectChoice(field.data, label))
    field.choices = choices
    return TimezoneSearch(search, len(found))


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
    # create_user judges the zone, with a clearer message than "Not a valid choice", and takes any IANA
    # name; the list offers the current ones (offer_timezones, called by the view).
    timezone = SelectField("Time zone", default="UTC", validate_choice=False)

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
