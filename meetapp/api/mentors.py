"""Mentors through the JSON API: their public profiles, their free slots, and a mentor's own hours.

A profile names the video provider by its label ("Jitsi"), never a meeting address.
"""
import re
from datetime import datetime, timedelta

from flask import request

from meetapp.api import bp
from meetapp.api.auth import api_user
from meetapp.api.errors import ApiError
from meetapp.api.routes import json_body, unstorable_text
from meetapp.domain.errors import NotFound, NotMentor
from meetapp.domain.timeutil import iso_z, parse_aware_iso, utcnow
from meetapp.models import MentorProfile, SessionType, User
from meetapp.services import booking, mentor_hours, mentors, video_settings

DEFAULT_SLOT_RANGE = timedelta(days=7)
MAX_SLOT_RANGE = timedelta(days=62)
# A page past the last is the last page (services.mentors.find_mentors); any longer number is past it.
LONGEST_PAGE_NUMBER = 9
AVAILABILITY_FIELDS = frozenset({"timezone", "weekly", "exceptions", "bufferMinutes", "minimumNoticeMinutes", "horizonDays"})


def profile_json(mentor: User, all_types: list[SessionType]) -> dict:
    profile = mentor.mentor_profile
    return {
        "id": mentor.id,
        "name": mentor.name,
        "headline": profile.headline,
        "bio": profile.bio,
        "specialties": [tag.name for tag in profile.specialties],
        "languages": [tag.name for tag in profile.languages],
        "sessionTypes": [
            {"name": kind.name, "durationMinutes": kind.default_duration_minutes}
            for kind in mentors.offered_types(profile, all_types)
        ],
        "video": video_settings.public_video_label(profile),
        "timezone": profile.availability_timezone or mentor.timezone,
        "hasHours": mentor_hours.has_hours(profile),
    }


def page_number(raw: str | None, errors: dict[str, str]) -> int:
    if raw is None:
        return 1
    if not (raw.isascii() and raw.isdigit() and raw.strip("0")):
        errors["page"] = "Give the page as a whole number from 1."
        return 1
    digits = raw.lstrip("0")
    return int(digits) if len(digits) <= LONGEST_PAGE_NUMBER else 10**LONGEST_PAGE_NUMBER


def search_text(name: str, errors: dict[str, str]) -> str:
    value = request.args.get(name, "")
    problem = unstorable_text(value)
    if problem:
        errors[name] = problem
        return ""
    return value


@bp.get("/mentoring/mentors")
def list_mentors():
    errors: dict[str, str] = {}
    search, specialty, language = (search_text(name, errors) for name in ("q", "specialty", "language"))
    page = page_number(request.args.get("page"), errors)
    if errors:
        raise ApiError(400, "validation_error", "Some fields need attention.", fields=errors)
    found = mentors.find_mentors(search=search, specialty=specialty, language=language, page=page)
    all_types = booking.all_session_types()
    return {
        "mentors": [profile_json(mentor, all_types) for mentor in found.mentors],
        "page": found.page,
        "pages": found.pages,
        "total": found.total,
    }


def mentor_or_404(mentor_id: str) -> User:
    # Digits only: "+1", " 1" and "１" name no mentor; bookable_mentor refuses ids past the database's integer.
    mentor = mentors.bookable_mentor(int(mentor_id)) if re.fullmatch(r"[0-9]{1,12}", mentor_id) else None
    if mentor is None:
        raise NotFound("There is no mentor with this id.")
    return mentor


@bp.get("/mentoring/mentors/<mentor_id>")
def get_mentor(mentor_id: str):
    return {"mentor": profile_json(mentor_or_404(mentor_id), booking.all_session_types())}


def query_time(name: str, errors: dict[str, str]) -> datetime | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        return parse_aware_iso(raw)
    except ValueError as exc:
        errors[name] = str(exc)
    except OverflowError:
        errors[name] = "That time is out of range."
    return None


def slot_range(now: datetime) -> tuple[datetime, datetime]:
    """`from` and `to` of the query, checked: by default the coming week, at most MAX_SLOT_RANGE long."""
    errors: dict[str, str] = {}
    start, end = query_time("from", errors), query_time("to", errors)
    if not errors:
        try:
            start = start or now
            end = end or start + DEFAULT_SLOT_RANGE
        except OverflowError:
            errors["from"] = "That time is out of range."
    if not errors and end <= start:
        errors["to"] = "Give a time after `from`."
    elif not errors and end - start > MAX_SLOT_RANGE:
        errors["to"] = f"Ask for at most {MAX_SLOT_RANGE.days} days at once."
    if errors:
        raise ApiError(400, "validation_error", "Some fields need attention.", fields=errors)
    return start, end


def offered_type(mentor: User, name: str) -> SessionType:
    kind = booking.session_type_named(name) if len(name) <= 80 and not unstorable_text(name) else None
    if kind is None:
        message = f"There is no session type called {name[:80]!r}."
    elif not mentors.offers(mentor.mentor_profile, kind):
        message = f"{mentor.name} does not offer {kind.name} sessions."
    else:
        return kind
    raise ApiError(400, "validation_error", "Some fields need attention.", fields={"sessionType": message})


@bp.get("/mentoring/mentors/<mentor_id>/slots")
def mentor_slots(mentor_id: str):
    viewer = api_user()
    mentor = mentor_or_404(mentor_id)
    now = utcnow()
    start, end = slot_range(now)
    kind = offered_type(mentor, request.args.get("sessionType", booking.DEFAULT_SESSION_TYPE))
    slots = mentor_hours.slots_for(
        mentor,
        duration_minutes=kind.default_duration_minutes,
        now=now,
        start=start,
        end=end,
        mentee=viewer if viewer.is_mentee else None,
    )
    profile = mentor.mentor_profile
    return {
        "slots": [iso_z(slot) for slot in slots],
        "sessionType": kind.name,
        "durationMinutes": kind.default_duration_minutes,
        "timezone": profile.availability_timezone or mentor.timezone,
        "hasHours": mentor_hours.has_hours(profile),
    }


def own_profile() -> tuple[User, MentorProfile]:
    user = api_user()
    if not user.is_mentor or user.mentor_profile is None:
        raise NotMentor("Only mentors set hours for sessions.")
    return user, user.mentor_profile


@bp.get("/mentoring/me/availability")
def get_availability():
    mentor, profile = own_profile()
    return mentor_hours.settings_json(mentor_hours.settings_of(profile), mentor.timezone)


@bp.put("/mentoring/me/availability")
def put_availability():
    mentor, profile = own_profile()
    body = json_body()
    unknown = sorted(set(body) - AVAILABILITY_FIELDS)
    if unknown:
        fields = {name[:40]: "There is no such field." for name in unknown[:10]}
        raise ApiError(400, "validation_error", "Some fields need attention.", fields=fields)
    settings = mentor_hours.read_settings(body, current=mentor_hours.settings_of(profile))
    mentor_hours.save_settings(mentor, settings, utcnow())
    return mentor_hours.settings_json(mentor_hours.settings_of(profile), mentor.timezone)
