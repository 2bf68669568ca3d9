"""The command line, as contract section 3 describes it: clear messages, exit 2, nothing written."""
import pytest
import sqlalchemy as sa

from meetapp.domain.timeutil import to_local, utcnow
from meetapp.extensions import db
from meetapp.models import AttendanceReport, MentoringSession, OutboxMail, SessionType, User
from meetapp.services import mentor_hours, mentors
from meetapp.services.demo import DAYTIME_HOURS


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def create_args(**overrides) -> list[str]:
    values = {"email": "Nia@Example.com", "name": "Nia Mentor", "role": "mentor", "password": "long enough", "timezone": "Europe/Oslo"}
    values.update(overrides)
    args = ["users", "create"]
    for key, value in values.items():
        args += [f"--{key}", value]
    return args


def test_users_create_prints_the_new_id(app, runner):
    result = runner.invoke(args=create_args())
    assert result.exit_code == 0, result.output
    user_id = int(result.output.strip().splitlines()[-1])
    with app.app_context():
        user = db.session.get(User, user_id)
        assert (user.email, user.role.value, user.timezone) == ("nia@example.com", "mentor", "Europe/Oslo")
        assert user.mentor_profile is not None and user.mentor_profile.video_provider == "jitsi"
        assert user.check_password("long enough")


def test_role_is_accepted_in_any_letter_case(app, runner):
    assert runner.invoke(args=create_args(role="Mentee")).exit_code == 0


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"email": "NIA@example.COM"}, "already exists"),
        ({"email": "not-an-email"}, "email"),
        ({"role": "superuser"}, "superuser"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"password": "short"}, "at least 8"),
        ({"name": "   "}, "name"),
    ],
)
def test_users_create_refuses_bad_values_with_exit_2(app, runner, overrides, words):
    assert runner.invoke(args=create_args()).exit_code == 0
    result = runner.invoke(args=create_args(**overrides))
    assert result.exit_code == 2
    assert words in result.output
    assert count(app, User) == 1


def test_users_token_prints_a_working_token_on_the_last_line(app, runner, client):
    runner.invoke(args=create_args(role="mentee"))
    result = runner.invoke(args=["users", "token", "--email", "nia@EXAMPLE.com"])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("mtk_")
    response = client.get("/api/mentoring/sessions", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_users_token_for_an_unknown_email_exits_2(runner):
    result = runner.invoke(args=["users", "token", "--email", "nobody@example.com"])
    assert result.exit_code == 2
    assert "no user" in result.output


def session_type(app, name) -> tuple:
    with app.app_context():
        row = db.session.scalar(sa.select(SessionType).where(SessionType.name == name))
        return row.default_duration_minutes, row.early_access_minutes, row.late_access_minutes


def test_session_types_set_creates_a_new_type(app, runner):
    result = runner.invoke(args=["session-types", "set", "Career chat", "--early", "10", "--late", "5", "--duration", "45"])
    assert result.exit_code == 0, result.output
    assert "Created" in result.output
    assert session_type(app, "Career chat") == (45, 10, 5)


def test_session_types_set_updates_an_existing_type_keeping_its_duration(app, runner):
    result = runner.invoke(args=["session-types", "set", "standard", "--early", "20", "--late", "default"])
    assert result.exit_code == 0, result.output
    assert "Updated" in result.output
    assert session_type(app, "Standard") == (60, 20, None)


@pytest.mark.parametrize(
    "args",
    [
        ["--early", "-1", "--late", "5"],
        ["--early", "soon", "--late", "5"],
        ["--early", "5"],
        ["--early", "5", "--late", "5", "--duration", "500"],
    ],
)
def test_session_types_set_refuses_bad_values_with_exit_2(app, runner, args):
    before = session_type(app, "Standard")
    result = runner.invoke(args=["session-types", "set", "Standard", *args])
    assert result.exit_code == 2
    assert session_type(app, "Standard") == before


def test_seed_demo_is_idempotent_and_prints_the_logins(app, runner, clock):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "amara.mentor@example.com" in first.output and "meetapp-demo" in first.output
    counts = (count(app, User), count(app, MentoringSession), count(app, SessionType), count(app, OutboxMail))
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert (count(app, User), count(app, MentoringSession), count(app, SessionType), count(app, OutboxMail)) == counts
    # Mails for the dev mailbox: 3 confirmed sessions x 2, one request and its note to the mentee,
    # one cancellation x 2. Eleven sessions: the five past ones with an attendance report mail nobody.
    assert counts == (5, 11, 4, 10)
    with app.app_context():
        outcomes = set(db.session.scalars(sa.select(AttendanceReport.outcome)))
    assert outcomes == {"held", "mentor_no_show", "mentee_no_show", "neither_came", "unknown"}


@pytest.mark.parametrize("hour", [0, 3, 9, 14, 20, 23])
def test_demo_sessions_fall_in_both_peoples_daytime(app, runner, clock, hour):
    """Whenever `make run` first runs, each demo session is during the day for its mentor and its
    mentee alike, but the one that starts ten minutes later so that Join can be tried at once."""
    clock.move_to(f"2026-12-03T{hour:02}:35:00Z")
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        sessions = db.session.scalars(sa.select(MentoringSession)).unique().all()
        demo_now = [s for s in sessions if s.starts_at.isoformat().endswith(f"{hour:02}:45:00+00:00")]
        later = [s for s in sessions if s not in demo_now]
        assert len(demo_now) == 1 and len(later) == 10
        for session in later:
            for person in (session.mentor, session.mentee):
                start, end = to_local(session.starts_at, person.timezone), to_local(session.ends_at, person.timezone)
                assert start.hour in DAYTIME_HOURS and end.hour in DAYTIME_HOURS, (session, person.name, start)
        names = {session.session_type.name for session in sessions}
    assert names <= {"Standard", "Quick check-up", "Follow-up"}


def test_demo_mentors_have_profiles_and_hours_that_meet_their_mentees_days(app, runner, clock):
    """Chloé (Los Angeles) finds Amara (Berlin) by a specialty and has times to pick in her own daytime;
    seeding again keeps what a mentor changed since."""
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        found = mentors.find_mentors(specialty="clinical research").mentors
        assert [mentor.email for mentor in found] == ["amara.mentor@example.com"]
        amara = found[0]
        chloe = db.session.scalar(sa.select(User).where(User.email == "chloe.mentee@example.com"))
        slots = mentor_hours.slots_for(amara, duration_minutes=60, now=utcnow(), mentee=chloe)
        assert slots, "Amara has free times in the next 60 days"
        assert any(8 <= to_local(slot, chloe.timezone).hour < 20 for slot in slots)
        # Every slot is inside Amara's hours in Berlin and keeps her 15-minute buffer from her sessions.
        assert all(9 <= to_local(slot, "Europe/Berlin").hour < 20 for slot in slots)
        amara.mentor_profile.headline = "Changed by Amara"
        db.session.commit()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "amara.mentor@example.com")).mentor_profile.headline == "Changed by Amara"
