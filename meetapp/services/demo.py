"""Demo people and sessions for `flask seed-demo` and `make run`; safe to run again."""
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from meetapp.domain.presence import JOINED, LEFT
from meetapp.domain.scheduling import SessionStatus
from meetapp.domain.timeutil import to_local
from meetapp.extensions import db
from meetapp.models import AttendanceEvent, MentoringSession, User
from meetapp.outbox import notify
from meetapp.services import attendance, mentor_hours, mentors, presence
from meetapp.services.accounts import create_user, find_user_by_email
from meetapp.services.booking import ensure_default_session_types, session_type_named
from meetapp.services.meetings import give_meeting
from meetapp.services.presence import Seen

DEMO_PASSWORD = "meetapp-demo"


@dataclass(frozen=True)
class DemoProfile:
    """A demo mentor's public profile and weekly hours (in their own zone)."""

    headline: str
    bio: str
    specialties: tuple[str, ...]
    languages: tuple[str, ...]
    weekly: dict[str, list[list[str]]]
    buffer_minutes: int = 0


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    role: str
    timezone: str
    auto_confirm: bool = False
    profile: DemoProfile | None = None


_AMARA_DAY = [["09:00", "12:00"], ["14:00", "17:00"]]
# Tuesday and Thursday evenings in Berlin are the morning in the Americas.
_AMARA_LONG_DAY = [*_AMARA_DAY, ["18:00", "20:00"]]
AMARA = DemoProfile(
    headline="Clinician-researcher; career changes into health tech",
    bio="Twelve years in clinical research, four in health-tech start-ups.\n\n"
    "I help clinicians and researchers plan a move into industry: CVs, interviews, the first ninety days.",
    specialties=("Career change", "Clinical research", "Interview practice"),
    languages=("English", "German"),
    weekly={"mon": _AMARA_DAY, "tue": _AMARA_LONG_DAY, "wed": _AMARA_DAY, "thu": _AMARA_LONG_DAY},
    buffer_minutes=15,
)
BEN = DemoProfile(
    headline="Staff engineer; Python and first jobs in software",
    bio="I review code and CVs, and practise system-design interviews with you.",
    specialties=("Python", "Interview practice", "Code review"),
    languages=("English", "Spanish"),
    weekly={day: [["10:00", "16:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
)

DEMO_PEOPLE = (
    DemoPerson("amara.mentor@example.com", "Dr. Amara Okafor", "mentor", "Europe/Berlin", profile=AMARA),
    DemoPerson("ben.mentor@example.com", "Ben Carter", "mentor", "America/New_York", auto_confirm=True, profile=BEN),
    DemoPerson("chloe.mentee@example.com", "Chloé Martin", "mentee", "America/Los_Angeles"),
    DemoPerson("dev.mentee@example.com", "Dev Patel", "mentee", "Asia/Kolkata"),
    DemoPerson("admin@example.com", "Ada Admin", "admin", "UTC"),
)


def seed_demo(now: datetime) -> list[DemoPerson]:
    """Create what is missing of the demo; sessions only the first time, around `now`."""
    ensure_default_session_types()
    users = {person.email: _ensure_person(person) for person in DEMO_PEOPLE}
    for person in DEMO_PEOPLE:
        if person.profile is not None:
            _ensure_profile(users[person.email], person.profile, now)
    mentees = [users["chloe.mentee@example.com"].id, users["dev.mentee@example.com"].id]
    has_sessions = db.session.scalar(
        sa.select(sa.func.count()).select_from(MentoringSession).where(MentoringSession.mentee_id.in_(mentees))
    )
    if not has_sessions:
        _add_demo_sessions(users, now)
    return list(DEMO_PEOPLE)


def _ensure_person(person: DemoPerson) -> User:
    user = find_user_by_email(person.email)
    if user is None:
        user = create_user(
            email=person.email, name=person.name, role=person.role, password=DEMO_PASSWORD, timezone=person.timezone
        )
        if user.mentor_profile is not None:
            user.mentor_profile.auto_confirm = person.auto_confirm
            db.session.commit()
    return user


def _ensure_profile(mentor: User, profile: DemoProfile, now: datetime) -> None:
    """Fill in the mentor's public profile and weekly hours, unless they have some already."""
    if not mentor.mentor_profile.headline:
        mentors.update_profile(
            mentor,
            headline=profile.headline,
            bio=profile.bio,
            specialties=list(profile.specialties),
            languages=list(profile.languages),
            session_types=[],
        )
    if not mentor_hours.has_hours(mentor.mentor_profile):
        current = mentor_hours.settings_of(mentor.mentor_profile)
        settings = mentor_hours.read_settings(
            {"weekly": profile.weekly, "bufferMinutes": profile.buffer_minutes}, current=current
        )
        mentor_hours.save_settings(mentor, settings, now)


# The hours of the day, in each person's own zone, that a demo session may fall in: 08:00 to 20:00, so
# that Berlin's afternoon meets Los Angeles' morning.
DAYTIME_HOURS = range(8, 20)


def daytime_start(day: datetime, minutes: int, *people: User) -> datetime:
    """The first full hour of `day`'s UTC date (counting from 06:00 UTC) at which a session of `minutes`
    starts and ends in the daytime of every one of `people`, in their own zone; 06:00 UTC if their days
    do not meet (they do for every pair in the demo)."""
    first = day.replace(hour=6, minute=0, second=0, microsecond=0)
    for hours in range(24):
        start = first + timedelta(hours=hours)
        end = start + timedelta(minutes=minutes)
        if all(
            to_local(start, person.timezone).hour in DAYTIME_HOURS and to_local(end, person.timezone).hour in DAYTIME_HOURS
            for person in people
        ):
            return start
    return first


def _add_demo_sessions(users: dict[str, User], now: datetime) -> None:
    amara, ben = users["amara.mentor@example.com"], users["ben.mentor@example.com"]
    chloe, dev = users["chloe.mentee@example.com"], users["dev.mentee@example.com"]
    standard, quick = session_type_named("Standard"), session_type_named("Quick check-up")
    follow_up = session_type_named("Follow-up")

    def session(mentor, mentee, session_type, starts_at, minutes, status, **extra) -> MentoringSession:
        demo_session = MentoringSession(
            mentor_id=mentor.id,
            mentee_id=mentee.id,
            session_type_id=session_type.id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            status=status,
            confirmed_at=now if status is SessionStatus.CONFIRMED else None,
            created_at=now,
            updated_at=now,
            **extra,
        )
        profile = mentor.mentor_profile
        give_meeting(demo_session, profile.video_provider, profile, now)
        return demo_session

    def days_ahead(days: int, mentor: User, mentee: User, minutes: int = 60) -> datetime:
        return daytime_start(now + timedelta(days=days), minutes, mentor, mentee)

    sessions = [
        session(amara, chloe, standard, days_ahead(1, amara, chloe), 60, SessionStatus.CONFIRMED),
        session(ben, chloe, quick, days_ahead(3, ben, chloe, 15), 15, SessionStatus.CONFIRMED),
        # Joinable at once, whatever the hour: its window opens 15 minutes before this start.
        session(ben, chloe, standard, now.replace(second=0, microsecond=0) + timedelta(minutes=10), 60, SessionStatus.CONFIRMED),
        session(amara, dev, standard, days_ahead(2, amara, dev), 60, SessionStatus.PENDING),
        session(amara, dev, follow_up, days_ahead(-7, amara, dev, 30), 30, SessionStatus.CONFIRMED),
        session(
            amara,
            chloe,
            standard,
            days_ahead(5, amara, chloe),
            60,
            SessionStatus.CANCELLED,
            cancel_reason="Moved to the week after.",
            cancelled_by_id=chloe.id,
            cancelled_at=now,
        ),
    ]
    past = _past_sessions_with_presence(amara, ben, chloe, dev, standard, quick, follow_up, session, now)
    db.session.add_all(sessions + [demo for demo, _ in past])
    db.session.flush()
    # The dev mailbox opens with real mails: requests, confirmations with invites, a cancellation.
    for demo_session in sessions:
        if demo_session.ends_at <= now:
            continue
        if demo_session.status is SessionStatus.CANCELLED:
            notify.cancelled(demo_session, by=demo_session.cancelled_by, now=now)
        else:
            notify.booked(demo_session, now)
    db.session.commit()
    for demo_session, (source, clicks, stays) in past:
        _seed_attendance(demo_session, source, clicks, stays, now)


# What happened in each past demo session: who clicked Join (minutes after the start, and the proxy's
# answer) and who the meeting's events saw (minutes from, to). One session of each outcome, so the
# attendance report can be seen without a video server.
Stay = tuple[str, float, float]  # "mentor" or "mentee", came, left


def _past_sessions_with_presence(amara, ben, chloe, dev, standard, quick, follow_up, session, now):
    def days_ago(days: int, mentor: User, mentee: User, minutes: int) -> datetime:
        return daytime_start(now - timedelta(days=days), minutes, mentor, mentee)

    confirmed = SessionStatus.CONFIRMED
    return [
        # held: Chloé came 7 minutes late, and both stayed to the end.
        (session(amara, chloe, standard, days_ago(2, amara, chloe, 60), 60, confirmed),
         ("jitsi", [("mentor", -4, "joined"), ("mentee", 6, "joined")], [("mentor", -3, 60), ("mentee", 7, 58)])),
        # mentee_no_show: Dev was let through but never connected; Amara waited 20 minutes.
        (session(amara, dev, follow_up, days_ago(3, amara, dev, 30), 30, confirmed),
         ("jitsi", [("mentor", -1, "joined"), ("mentee", 2, "joined")], [("mentor", 0, 20)])),
        # mentor_no_show: Chloé waited the whole quarter hour for Ben.
        (session(ben, chloe, quick, days_ago(4, ben, chloe, 15), 15, confirmed),
         ("jitsi", [("mentee", -2, "joined")], [("mentee", -1, 15)])),
        # neither_came: the room reported nobody, and nobody clicked.
        (session(ben, dev, standard, days_ago(5, ben, dev, 60), 60, confirmed), ("jitsi", [], [])),
        # unknown: a meeting whose provider reports no presence; only the clicks are known.
        (session(amara, chloe, standard, days_ago(6, amara, chloe, 60), 60, confirmed),
         (None, [("mentor", -5, "joined"), ("mentee", 1, "joined")], [])),
    ]


def _seed_attendance(demo_session: MentoringSession, source: str | None, clicks, stays: list[Stay], now: datetime) -> None:
    start = demo_session.starts_at
    people = {"mentor": demo_session.mentor_id, "mentee": demo_session.mentee_id}
    for role, minute, outcome in clicks:
        db.session.add(AttendanceEvent(
            session_id=demo_session.id, user_id=people[role], at=start + timedelta(minutes=minute),
            outcome=outcome, reason="in_window",
        ))
    events = []
    for role, came, left in stays:
        key = f"demo-{demo_session.id}-{role}"
        events += [
            Seen(JOINED, start + timedelta(minutes=came), key, people[role], None, f"demo:{key}:joined"),
            Seen(LEFT, start + timedelta(minutes=left), key, people[role], None, f"demo:{key}:left"),
        ]
    if events:
        presence.record(demo_session, source, events, now)
    db.session.commit()
    attendance.finalise(demo_session, now, presence_source=source)
