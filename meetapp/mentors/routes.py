"""The mentors pages: the list of bookable mentors with a search and two filters, and a mentor's
profile with their next free times, each a button that asks for that time (a POST to /sessions/new).

Times are shown in the viewer's zone; the buttons carry them in UTC. A mentor's video provider is
shown by its name only, never a meeting address.
"""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import make_response, render_template, request
from flask_login import current_user, login_required

from meetapp.domain.timeutil import iso_z, other_day, to_local, utcnow
from meetapp.mentors import bp
from meetapp.models import SessionType, User
from meetapp.services import booking, mentor_hours, mentors, video_settings
from meetapp.web.errors import error_page

NEXT_SLOTS = 8
FILTERS = ("q", "specialty", "language")
# A page number longer than this is past the end of any list: the last page is shown.
MAX_PAGE_DIGITS = 9


@dataclass(frozen=True)
class Slot:
    value: str  # the start in UTC, as the booking form takes it: 2026-12-07T08:00:00Z
    text: str  # "09:00–10:00" in the viewer's zone


@dataclass(frozen=True)
class SlotDay:
    label: str  # "Mon 7 Dec" in the viewer's zone, or "Today"
    slots: list[Slot]


def page_number(raw: str) -> int:
    """`?page=` as a page: anything but a whole number is the first page; find_mentors shows the last
    page for a number past the end."""
    if not (raw.isascii() and raw.isdigit()):
        return 1
    return int(raw) if len(raw) <= MAX_PAGE_DIGITS else 10**MAX_PAGE_DIGITS


def tag_options(names: list[str], chosen: str) -> tuple[list[str], str]:
    """The filter's options and the one chosen (matched as find_mentors matches tags). A value no listed
    mentor has is kept as an option, so the form shows the filter that found nothing."""
    key = mentors.tag_key(chosen)
    if not key:
        return names, ""
    selected = next((name for name in names if mentors.tag_key(name) == key), None)
    if selected is None:
        return [*names, chosen], chosen
    return names, selected


@bp.get("")
@login_required
def index():
    filters = {name: request.args.get(name, "") for name in FILTERS}
    specialties, languages = mentors.listed_tags()
    specialty_options, specialty = tag_options(specialties, filters["specialty"])
    language_options, language = tag_options(languages, filters["language"])
    context = {
        "filters": filters,
        "specialty_options": specialty_options,
        "specialty": specialty,
        "language_options": language_options,
        "language": language,
        # The filters in use, for the links to the other pages of the same search.
        "args": {name: value for name, value in filters.items() if value.strip()},
        "video_label": video_settings.public_video_label,
    }
    if any("\x00" in value for value in filters.values()):
        # No stored text holds a NUL character (and PostgreSQL cannot compare one): nothing to search for.
        problem = "The search cannot contain control characters. Change it and search again."
        return render_template("mentors/index.html", found=None, problem=problem, **context), 400
    found = mentors.find_mentors(
        search=filters["q"],
        specialty=filters["specialty"],
        language=filters["language"],
        page=page_number(request.args.get("page", "")),
    )
    session_types = booking.all_session_types()
    offered = {mentor.id: mentors.offered_types(mentor.mentor_profile, session_types) for mentor in found.mentors}
    return render_template("mentors/index.html", found=found, offered=offered, problem=None, **context)


def first_type(offered: list[SessionType]) -> SessionType | None:
    """The type whose free times the profile shows: Standard if the mentor offers it, else their first."""
    standard = next((kind for kind in offered if kind.name == booking.DEFAULT_SESSION_TYPE), None)
    return standard or (offered[0] if offered else None)


def slot_days(starts: list[datetime], duration: timedelta, zone: str, now: datetime) -> list[SlotDay]:
    """The start times grouped by the viewer's day, in order, each as "09:00–10:00" in their zone."""
    days: list[SlotDay] = []
    last_date = None
    for start in starts:
        local = to_local(start, zone)
        if local.date() != last_date:
            days.append(SlotDay(other_day(start, now, zone) or "Today", []))
            last_date = local.date()
        text = f"{local:%H:%M}–{to_local(start + duration, zone):%H:%M}"
        days[-1].slots.append(Slot(iso_z(start), text))
    return days


def paragraphs(text: str | None) -> list[list[str]]:
    """The bio as the mentor wrote it: paragraphs at blank lines, each a list of its lines."""
    if not text or not text.strip():
        return []
    return [block.strip().splitlines() for block in re.split(r"\n\s*\n", text.strip())]


@bp.get("/<int:mentor_id>")
@login_required
def profile(mentor_id: int):
    mentor = mentors.bookable_mentor(mentor_id)
    if mentor is None:
        return error_page(404, "Mentor not found", "There is no mentor here, or they are not taking sessions.")
    now = utcnow()
    viewer: User = current_user._get_current_object()
    offered = mentors.offered_types(mentor.mentor_profile, booking.all_session_types())
    kind = first_type(offered)
    has_hours = mentor_hours.has_hours(mentor.mentor_profile)
    days: list[SlotDay] = []
    if has_hours and kind is not None:
        duration = timedelta(minutes=kind.default_duration_minutes)
        starts = mentor_hours.slots_for(
            mentor,
            duration_minutes=kind.default_duration_minutes,
            now=now,
            mentee=viewer if viewer.is_mentee else None,
        )
        days = slot_days(starts[:NEXT_SLOTS], duration, viewer.timezone, now)
    page = render_template(
        "mentors/profile.html",
        mentor=mentor,
        profile=mentor.mentor_profile,
        offered=offered,
        kind=kind,
        has_hours=has_hours,
        days=days,
        bio=paragraphs(mentor.mentor_profile.bio),
        video_label=video_settings.public_video_label,
        can_book=viewer.is_mentee and viewer.email_confirmed,
    )
    response = make_response(page)
    # The free times are worked out for this mentee (their own sessions are left out), and the forms carry their CSRF token.
    response.headers["Cache-Control"] = "no-store"
    return response
