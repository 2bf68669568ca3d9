"""Mentors' public profiles: finding them (search, specialty, language, pages) and a mentor
editing their own.

Only bookable mentors are listed or shown: approved by an admin, with a confirmed address. A
profile shows the video provider by name ("Video: Jitsi"), never a meeting address.
"""
import math
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import orm

from meetapp.domain.accounts import MentorApproval
from meetapp.domain.errors import InvalidRequest
from meetapp.extensions import db
from meetapp.models import MentorLanguage, MentorProfile, MentorSpecialty, SessionType, User

PER_PAGE = 20
MAX_HEADLINE_LENGTH = 120
MAX_BIO_LENGTH = 4000
MAX_TAG_LENGTH = 40
MAX_TAGS = 12
MAX_SEARCH_LENGTH = 100

# domain.accounts.may_be_booked, as one WHERE clause.
BOOKABLE = sa.and_(
    User.role == "mentor",
    User.email_confirmed_at.is_not(None),
    User.id.in_(sa.select(MentorProfile.user_id).where(MentorProfile.approval == MentorApproval.APPROVED)),
)
_WITH_PROFILE = (
    orm.joinedload(User.mentor_profile).selectinload(MentorProfile.specialties),
    orm.joinedload(User.mentor_profile).selectinload(MentorProfile.languages),
    orm.joinedload(User.mentor_profile).selectinload(MentorProfile.offered_types),
)


@dataclass(frozen=True)
class MentorPage:
    mentors: list[User]
    page: int
    pages: int
    total: int


def tag_key(name: str) -> str:
    """How a tag is matched: trimmed, inner spaces single, lower case (casefolded)."""
    return " ".join(name.split()).casefold()


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def find_mentors(*, search: str = "", specialty: str = "", language: str = "", page: int = 1) -> MentorPage:
    """Bookable mentors by name, narrowed by words in their name, headline, bio or specialties, by a
    specialty and by a language (both matched whole, in any letter case); `page` counts from 1."""
    query = sa.select(User).where(BOOKABLE)
    for word in search[:MAX_SEARCH_LENGTH].split():
        pattern = _like(word.casefold())
        query = query.where(
            sa.or_(
                sa.func.lower(User.name).like(pattern, escape="\\"),
                User.id.in_(
                    sa.select(MentorProfile.user_id).where(
                        sa.or_(
                            sa.func.lower(MentorProfile.headline).like(pattern, escape="\\"),
                            sa.func.lower(MentorProfile.bio).like(pattern, escape="\\"),
                        )
                    )
                ),
                User.id.in_(sa.select(MentorSpecialty.mentor_id).where(MentorSpecialty.name_key.like(pattern, escape="\\"))),
            )
        )
    if specialty.strip():
        query = query.where(
            User.id.in_(sa.select(MentorSpecialty.mentor_id).where(MentorSpecialty.name_key == tag_key(specialty)))
        )
    if language.strip():
        query = query.where(
            User.id.in_(sa.select(MentorLanguage.mentor_id).where(MentorLanguage.name_key == tag_key(language)))
        )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(page, 1), pages)
    mentors = db.session.scalars(
        query.options(*_WITH_PROFILE).order_by(User.name, User.id).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).unique()
    return MentorPage(list(mentors), page, pages, total)


def bookable_mentor(mentor_id: object) -> User | None:
    """The bookable mentor with this id, with their profile, or None (for any id that is not one)."""
    if isinstance(mentor_id, bool) or not isinstance(mentor_id, int) or not 0 < mentor_id < 2**31:
        return None
    return db.session.scalar(sa.select(User).options(*_WITH_PROFILE).where(User.id == mentor_id, BOOKABLE))


def listed_tags() -> tuple[list[str], list[str]]:
    """The specialties and the languages of bookable mentors, each once, for the filters."""

    def names(model) -> list[str]:
        rows = db.session.execute(
            sa.select(model.name_key, sa.func.min(model.name))
            .where(model.mentor_id.in_(sa.select(User.id).where(BOOKABLE)))
            .group_by(model.name_key)
            .order_by(model.name_key)
        )
        return [name for _, name in rows]

    return names(MentorSpecialty), names(MentorLanguage)


def offers(profile: MentorProfile | None, session_type: SessionType) -> bool:
    """Whether the mentor offers this session type; one who chose none offers them all."""
    if profile is None or not profile.offered_types:
        return True
    return any(offered.id == session_type.id for offered in profile.offered_types)


def offered_types(profile: MentorProfile, all_types: list[SessionType]) -> list[SessionType]:
    return [kind for kind in all_types if offers(profile, kind)]


def read_tags(value: object, name: str, errors: dict[str, str]) -> list[str]:
    """Tags from a list of strings, or from one comma-separated string (the form's field): trimmed,
    each once (in any letter case), in the order given."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors[name] = "Give a list of words, e.g. Careers, Python."
        return []
    tags: dict[str, str] = {}
    for item in value:
        text = " ".join(item.split())
        if not text:
            continue
        if len(text) > MAX_TAG_LENGTH:
            errors[name] = f"Keep each to {MAX_TAG_LENGTH} characters ({text[:20]!r}… is longer)."
            return []
        tags.setdefault(tag_key(text), text)
    if len(tags) > MAX_TAGS:
        errors[name] = f"Give at most {MAX_TAGS}."
        return []
    return list(tags.values())


def update_profile(
    mentor: User,
    *,
    headline: object,
    bio: object,
    specialties: object,
    languages: object,
    session_types: object,
) -> None:
    """Save the mentor's public profile; InvalidRequest (fields `headline`, `bio`, `specialties`,
    `languages`, `session_types`) changes nothing. `session_types` are names; empty offers every type."""
    errors: dict[str, str] = {}
    for name, value, limit in (("headline", headline, MAX_HEADLINE_LENGTH), ("bio", bio, MAX_BIO_LENGTH)):
        if value is not None and not isinstance(value, str):
            errors[name] = "Give text."
        elif value is not None and len(value.strip()) > limit:
            errors[name] = f"Keep it to {limit} characters."
    specialty_names = read_tags(specialties, "specialties", errors)
    language_names = read_tags(languages, "languages", errors)
    chosen: list[SessionType] = []
    if not isinstance(session_types, list) or not all(isinstance(item, str) for item in session_types):
        errors["session_types"] = "Give the session types by name, e.g. [\"Standard\"]."
    else:
        known = {kind.name.casefold(): kind for kind in db.session.scalars(sa.select(SessionType))}
        for item in session_types:
            kind = known.get(item.strip().casefold())
            if kind is None:
                errors["session_types"] = f"There is no session type called {item[:80]!r}."
            elif kind not in chosen:
                chosen.append(kind)
    if errors:
        raise InvalidRequest(errors)
    profile = mentor.mentor_profile
    profile.headline = headline.strip() or None if isinstance(headline, str) else None
    profile.bio = bio.strip() or None if isinstance(bio, str) else None
    profile.specialties = [MentorSpecialty(name_key=tag_key(name), name=name) for name in specialty_names]
    profile.languages = [MentorLanguage(name_key=tag_key(name), name=name) for name in language_names]
    profile.offered_types = sorted(chosen, key=lambda kind: kind.id)
    db.session.commit()
