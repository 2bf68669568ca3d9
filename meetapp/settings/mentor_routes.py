"""A mentor's settings pages: their public profile, and the hours mentees may book them.

Both are judged by the services the API uses (services.mentors.update_profile,
services.mentor_hours.read_settings); these views turn forms into their input and their errors
back into field errors.
"""
import re

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from meetapp.auth.forms import offer_timezones
from meetapp.domain.errors import InvalidRequest, NotMentor
from meetapp.domain.timeutil import utcnow
from meetapp.domain.video import PROVIDER_LABELS
from meetapp.extensions import db
from meetapp.models import MentorProfile
from meetapp.services import mentor_hours, mentors
from meetapp.services.booking import all_session_types
from meetapp.settings import bp
from meetapp.settings.mentor_forms import (
    AvailabilityForm,
    MentorProfileForm,
    availability_body,
    availability_values,
    line_errors,
)

PREVIEW_SLOTS = 5
PREVIEW_MINUTES = 60
# The service's field names for the availability body, as the form's.
AVAILABILITY_FIELDS = {"timezone": "timezone", "bufferMinutes": "buffer", "minimumNoticeMinutes": "notice", "horizonDays": "horizon"}
_EXCEPTION_KEY = re.compile(r"^exceptions\[(\d+)\]")


def own_profile() -> MentorProfile:
    profile = db.session.get(MentorProfile, current_user.id) if current_user.is_mentor else None
    if profile is None:
        raise NotMentor("Only mentors have a public profile and hours to set.")
    return profile


def no_store(response):
    # A person's own settings: no cache keeps them for whoever uses the browser after a logout.
    response.headers["Cache-Control"] = "no-store"
    return response


# The public profile -----------------------------------------------------------------------


def render_profile(form: MentorProfileForm, profile: MentorProfile, *, status: int = 200):
    form.session_types.choices = [(kind.name, kind.name) for kind in all_session_types()]
    return no_store(
        make_response(
            render_template(
                "settings/mentor_profile.html",
                form=form,
                video_label=PROVIDER_LABELS[profile.video_provider],
                public_path=url_for("mentors.profile", mentor_id=profile.user_id),
            ),
            status,
        )
    )


@bp.get("/mentor-profile")
@login_required
def mentor_profile():
    profile = own_profile()
    offered = mentors.offered_types(profile, all_session_types())
    form = MentorProfileForm(
        formdata=None,
        headline=profile.headline or "",
        bio=profile.bio or "",
        specialties=", ".join(tag.name for tag in profile.specialties),
        languages=", ".join(tag.name for tag in profile.languages),
        session_types=[kind.name for kind in offered],
    )
    return render_profile(form, profile)


@bp.post("/mentor-profile")
@login_required
def save_mentor_profile():
    profile = own_profile()
    form = MentorProfileForm()
    if form.validate():
        try:
            mentors.update_profile(
                current_user,
                headline=form.headline.data or "",
                bio=form.bio.data or "",
                specialties=form.specialties.data or "",
                languages=form.languages.data or "",
                session_types=form.session_types.data or [],
            )
        except InvalidRequest as exc:
            for name, message in exc.fields.items():
                getattr(form, name).errors.append(message)
        else:
            flash("Your profile is saved.", "success")
            return redirect(url_for("settings.mentor_profile"))
    return render_profile(form, profile, status=400)


# Availability ------------------------------------------------------------------------------


def render_availability(form: AvailabilityForm, profile: MentorProfile, *, status: int = 200):
    found = offer_timezones(form.timezone, request.args.get("tz_search", ""), utcnow())
    stored = mentor_hours.settings_of(profile)
    zone = stored.timezone or current_user.timezone
    slots = mentor_hours.slots_for(current_user, duration_minutes=PREVIEW_MINUTES, now=utcnow())[:PREVIEW_SLOTS]
    return no_store(
        make_response(
            render_template(
                "settings/availability.html",
                form=form,
                timezone_search=found,
                has_hours=mentor_hours.has_hours(profile),
                slots=slots,
                preview_minutes=PREVIEW_MINUTES,
                hours_zone=zone,
                # The preview's times are in the zone of the hours, which may not be the mentor's own.
                viewer_tz=zone,
            ),
            status,
        )
    )


@bp.get("/availability")
@login_required
def availability():
    profile = own_profile()
    values = availability_values(mentor_hours.settings_of(profile), current_user.timezone)
    return render_availability(AvailabilityForm(formdata=None, **values), profile)


@bp.post("/availability")
@login_required
def save_availability():
    profile = own_profile()
    form = AvailabilityForm()
    form.validate()
    body, errors, lines = availability_body(form)
    current = mentor_hours.settings_of(profile)
    if form.timezone.errors:
        del body["timezone"]
    elif current.timezone is None and body["timezone"] == current_user.timezone:
        # The hours keep following the mentor's own zone, as they did.
        body["timezone"] = None
    try:
        settings = mentor_hours.read_settings(body, current=current)
    except InvalidRequest as exc:
        errors = {**translate_errors(exc.fields, lines), **errors}
    if errors or form.errors:
        for name, message in errors.items():
            field = getattr(form, name, None)
            (form.form_errors if field is None else field.errors).append(message)
        return render_availability(form, profile, status=400)
    mentor_hours.save_settings(current_user, settings, utcnow())
    flash("Your hours are saved.", "success")
    return redirect(url_for("settings.availability"))


def translate_errors(fields: dict[str, str], lines: list[int]) -> dict[str, str]:
    """The service's errors (`weekly.mon`, `exceptions[2].date`, `bufferMinutes`…) by the form's fields;
    an exception's error names its line in the text."""
    errors: dict[str, str] = {}
    problems = []
    for key, message in fields.items():
        if key.startswith("weekly."):
            errors[key.removeprefix("weekly.")] = message
        elif match := _EXCEPTION_KEY.match(key):
            problems.append(f"Line {lines[int(match.group(1))]}: {message}")
        elif key == "minimumNoticeMinutes":
            low, high = mentor_hours.NOTICE_RANGE
            errors["notice"] = f"Give from {low} to {high // 60} hours."
        elif key == "exceptions":
            errors["exceptions"] = f"Give at most {mentor_hours.MAX_EXCEPTIONS} dates."
        else:
            errors[AVAILABILITY_FIELDS.get(key, key)] = message
    if problems:
        errors["exceptions"] = line_errors(problems)
    return errors
