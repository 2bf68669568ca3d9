"""The admins' search forms. They are GET forms: a search changes nothing, so it needs no CSRF token,
and its address can be bookmarked, reloaded and passed between admins.

They only turn the query string into values; admin_views runs the search.
"""
from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from meetapp.domain.scheduling import Role, SessionStatus

# Days outside these are a typing slip (year 20266) or a probe, never a session; refusing them also
# keeps every bound far from what a datetime can hold.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
# The longest email address; names are shorter.
MAX_TERM_LENGTH = 254
BAD_DAY = "Give the day as a date, e.g. 2026-11-24."


def stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def printable(form, field) -> None:
    """Control characters (a NUL, which PostgreSQL cannot even compare) are in no name or address."""
    if field.data and any(ord(character) < 32 or ord(character) == 127 for character in field.data):
        raise ValidationError("Use letters, digits and punctuation only.")


def sensible_day(form, field) -> None:
    if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
        raise ValidationError(f"Give a day between {FIRST_DAY.year} and {LAST_DAY.year}.")


def one_of(values: list[str], message: str):
    """A choice from the list; the empty choice ("any") too. Unknown values get `message`."""

    def check(form, field) -> None:
        if field.data and field.data not in values:
            raise ValidationError(message)

    return check


def term_field(label: str) -> StringField:
    return StringField(
        label,
        filters=[stripped],
        validators=[
            Length(max=MAX_TERM_LENGTH, message=f"Keep it to {MAX_TERM_LENGTH} characters or fewer."),
            printable,
        ],
        render_kw={"maxlength": MAX_TERM_LENGTH, "autocomplete": "off"},
    )


class SearchForm(FlaskForm):
    class Meta:
        csrf = False


STATUSES = [status.value for status in SessionStatus]
ROLES = [role.value for role in Role]


class SessionSearchForm(SearchForm):
    person = term_field("Person")
    # validate_choice is off so that an unknown status gets the sentence below, not WTForms' own.
    status = SelectField(
        "Status",
        choices=[SelectChoice("", "Any status")] + [SelectChoice(value, value.capitalize()) for value in STATUSES],
        validate_choice=False,
        validators=[one_of(STATUSES, f"Choose a status from the list: {', '.join(STATUSES)}, or any.")],
    )
    # `from` and `to` in the address: they read well in a link from the admin home.
    starts_from = DateField(
        "From", name="from", validators=[Optional(), sensible_day], invalid_value_message=BAD_DAY
    )
    starts_to = DateField("To", name="to", validators=[Optional(), sensible_day], invalid_value_message=BAD_DAY)

    def validate_starts_to(self, field) -> None:
        first, last = self.starts_from.data, field.data
        if first is not None and last is not None and last < first:
            raise ValidationError("The last day comes before the first: swap them.")

    @property
    def status_value(self) -> SessionStatus | None:
        return SessionStatus(self.status.data) if self.status.data else None


class PeopleSearchForm(SearchForm):
    q = term_field("Name or email")
    role = SelectField(
        "Role",
        choices=[SelectChoice("", "Any role")] + [SelectChoice(value, value.capitalize()) for value in ROLES],
        validate_choice=False,
        validators=[one_of(ROLES, f"Choose a role from the list: {', '.join(ROLES)}, or any.")],
    )

    @property
    def role_value(self) -> Role | None:
        return Role(self.role.data) if self.role.data else None
