"""The access table: every route of the app, how it is called, and what each kind of viewer gets.

tests/security/test_access_matrix.py checks the table against the app; test_csrf.py and
test_bodies.py take their routes, callers and bodies from it. A new route without a row
here fails all three.
"""

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from meetapp import create_app
from meetapp.config import testing_config
from tests.security.world import VIEWERS, World
from tests.support import PASSWORD

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


# What a viewer gets --------------------------------------------------------------------


class Login:
    """302 to the login page, which sends the person back to the URL they asked for."""


class Meeting:
    """302 to the meeting itself: the one answer that may name it, in its Location only."""


@dataclass(frozen=True)
class Redirect:
    """A redirect within the site: to `path`, or to any path under it when `prefix`."""

    path: str
    status: int = 302
    prefix: bool = False


LOGIN, MEETING = Login(), Meeting()
Expectation = int | Login | Meeting | Redirect
HOME, LOGIN_PAGE = Redirect("/"), Redirect("/auth/login")


@dataclass(frozen=True)
class Case:
    """One way of calling a route, and what each kind of viewer gets.

    `args` and `body` are built from the World; `mentors_public` marks answers that list
    mentors by name to anyone booking; `admin_sees` marks answers where an admin may see
    the session's data.
    """

    endpoint: str
    method: str
    expect: dict[str, Expectation]
    args: object = None
    body: object = None
    variant: str = ""
    mentors_public: bool = False
    admin_sees: bool = False
    dev_only: bool = False
    # False for a route that is allowed but writes nothing (logging in, a preview).
    writes: bool = True

    @property
    def id(self) -> str:
        return f"{self.method} {self.endpoint}{'[' + self.variant + ']' if self.variant else ''}"

    @property
    def api(self) -> bool:
        return self.endpoint.startswith("api.")

    @property
    def webhook(self) -> bool:
        """A provider's webhook: signed instead of logged in (tests/webhooks sends the signed ones)."""
        return self.endpoint.startswith("webhooks.")


def who(anonymous, other_mentee, other_mentor, mentee, mentor, admin) -> dict[str, Expectation]:
    return dict(zip(VIEWERS, (anonymous, other_mentee, other_mentor, mentee, mentor, admin), strict=True))


def everyone(expectation) -> dict[str, Expectation]:
    return dict.fromkeys(VIEWERS, expectation)


def confirmed(w: World) -> dict:
    return {"session_id": w.confirmed}


def pending(w: World) -> dict:
    return {"session_id": w.pending}


REGISTRATION = {
    "email": "new.person@example.com",
    "name": "New Person",
    "password": PASSWORD,
    "confirm": PASSWORD,
    "role": "mentee",
    "timezone": "UTC",
}
TO_CONFIRMED = Redirect("/sessions/{confirmed}")
TO_PENDING = Redirect("/sessions/{pending}")

CASES = [
    # Health and accounts
    Case("health.live", "GET", everyone(200)),
    Case("health.ready", "GET", everyone(200)),
    Case("dashboard.index", "GET", who(LOGIN, 200, 200, 200, 200, 200)),
    # The dashboard's poll: each person's own changed rows (no If-None-Match: every session not over yet).
    Case("dashboard.changes_since_seen", "GET", who(LOGIN, 200, 200, 200, 200, 200)),
    Case("auth.login", "GET", who(200, HOME, HOME, HOME, HOME, HOME)),
    Case(
        "auth.login",
        "POST",
        who(HOME, HOME, HOME, HOME, HOME, HOME),
        body=lambda w: {"email": w.email("other_mentee"), "password": PASSWORD},
        writes=False,
    ),
    Case("auth.register", "GET", who(200, HOME, HOME, HOME, HOME, HOME)),
    # The same "Check your inbox" page for a new address and a known one; nobody is logged in by it.
    Case("auth.register", "POST", who(200, HOME, HOME, HOME, HOME, HOME), body=lambda w: REGISTRATION),
    # The link is the key (everyone in the world is confirmed already, so confirming writes nothing).
    Case("auth.confirm", "GET", everyone(200), args=lambda w: {"token": w.confirm_token}),
    Case("auth.confirm", "POST", everyone(200), args=lambda w: {"token": w.confirm_token}, writes=False),
    Case("auth.resend_confirmation", "POST", who(LOGIN, *[HOME] * 5), writes=False),
    # A forgotten password: anyone may ask for a link (the answer is the same for every address); the link is the key.
    Case("auth.forgot", "GET", everyone(200)),
    # The request is written to password_reset_requests, which the fingerprint does not cover.
    Case("auth.forgot", "POST", everyone(200), body=lambda w: {"email": "someone@example.com"}, writes=False),
    Case("auth.reset", "GET", everyone(200), args=lambda w: {"token": w.reset_token}),
    Case(
        "auth.reset",
        "POST",
        everyone(LOGIN_PAGE),
        args=lambda w: {"token": w.reset_token},
        body=lambda w: {"new_password": "a brand new passphrase", "repeat_password": "a brand new passphrase"},
    ),
    Case("auth.reset", "GET", everyone(400), args=lambda w: {"token": "not-a-reset-link"}, variant="a made-up link"),
    Case("auth.logout_page", "GET", who(LOGIN_PAGE, 200, 200, 200, 200, 200)),
    Case("auth.logout", "POST", everyone(LOGIN_PAGE), writes=False),
    # Finding a mentor: everyone logged in sees the bookable mentors' profiles (never a meeting address).
    Case("mentors.index", "GET", who(LOGIN, 200, 200, 200, 200, 200), mentors_public=True),
    Case(
        "mentors.index",
        "GET",
        who(LOGIN, 200, 200, 200, 200, 200),
        args=lambda w: {"q": "mentor", "specialty": "careers", "language": "english", "page": "2"},
        variant="a search",
        mentors_public=True,
    ),
    Case(
        "mentors.profile",
        "GET",
        who(LOGIN, 200, 200, 200, 200, 200),
        args=lambda w: {"mentor_id": w.ids["mentor"]},
        mentors_public=True,
    ),
    Case(
        "mentors.profile",
        "GET",
        who(LOGIN, 404, 404, 404, 404, 404),
        args=lambda w: {"mentor_id": w.ids["mentee"]},
        variant="a mentee's id",
    ),
    # Booking and the session pages
    Case("sessions.new", "GET", who(LOGIN, 200, 403, 200, 403, 403), mentors_public=True),
    Case(
        "sessions.new",
        "POST",
        who(LOGIN, Redirect("/sessions/", prefix=True), 403, Redirect("/sessions/", prefix=True), 403, 403),
        body=lambda w: {
            "mentor": str(w.ids["mentor"]),
            "session_type": "Standard",
            "starts_at": "2026-11-25T10:00",
            "duration": "60",
        },
        mentors_public=True,
    ),
    # Admins look after every session: they see its page and who tried to join, and may cancel it (with a
    # reason) or give it a new link there; confirming, declining and moving it stay with its people.
    Case("sessions.detail", "GET", who(LOGIN, 403, 403, 200, 200, 200), args=confirmed, admin_sees=True),
    Case("sessions.status", "GET", who(LOGIN, 403, 403, 200, 200, 403), args=confirmed),
    Case("sessions.confirm", "POST", who(LOGIN, 403, 403, 403, TO_PENDING, 403), args=pending),
    Case(
        "sessions.decline",
        "POST",
        who(LOGIN, 403, 403, 403, TO_PENDING, 403),
        args=pending,
        body=lambda w: {"reason": "Away that week"},
    ),
    Case(
        "sessions.cancel",
        "POST",
        who(LOGIN, 403, 403, TO_CONFIRMED, TO_CONFIRMED, TO_CONFIRMED),
        args=confirmed,
        body=lambda w: {"reason": "Something came up"},
    ),
    Case(
        "sessions.reschedule",
        "POST",
        who(LOGIN, 403, 403, TO_CONFIRMED, TO_CONFIRMED, 403),
        args=confirmed,
        body=lambda w: {"starts_at": "2026-11-26T10:00", "duration": "60"},
    ),
    Case("sessions.new_link", "POST", who(LOGIN, 403, 403, 403, TO_CONFIRMED, TO_CONFIRMED), args=confirmed),
    # The world's sessions meet on Jitsi: the mentor is told there is no meeting to retry.
    Case("sessions.retry_meeting", "POST", who(LOGIN, 403, 403, 403, 409, 403), args=confirmed, writes=False),
    # Settings
    Case("settings.index", "GET", who(LOGIN, 200, 200, 200, 200, 200)),
    Case(
        "settings.profile",
        "POST",
        who(LOGIN, *[Redirect("/settings/")] * 5),
        body=lambda w: {"name": "Renamed Person", "timezone": "Europe/Paris"},
    ),
    # An admin's opt-in to the no-show mails; nobody else has the choice.
    Case(
        "settings.no_show_mail",
        "POST",
        who(LOGIN, 403, 403, 403, 403, Redirect("/settings/")),
        body=lambda w: {"mail_no_shows": "y"},
    ),
    Case("settings.security", "GET", who(LOGIN, 200, 200, 200, 200, 200)),
    Case(
        "settings.change_password",
        "POST",
        who(LOGIN, *[Redirect("/settings/security")] * 5),
        body=lambda w: {
            "current_password": PASSWORD,
            "new_password": "a brand new passphrase",
            "repeat_password": "a brand new passphrase",
        },
    ),
    Case("settings.log_out_everywhere", "POST", who(LOGIN, *[LOGIN_PAGE] * 5)),
    Case("settings.create_token", "POST", who(LOGIN, 201, 201, 201, 201, 201), body=lambda w: {"label": "my script"}),
    Case(
        "settings.revoke_token",
        "POST",
        who(LOGIN, 404, 404, Redirect("/settings/security"), 404, 404),
        args=lambda w: {"token_id": w.api_token_ids["mentee"]},
        variant="the mentee's token",
    ),
    Case("settings.video", "GET", who(LOGIN, 403, 200, 403, 200, 403)),
    Case(
        "settings.save_video",
        "POST",
        who(LOGIN, 403, Redirect("/settings/video"), 403, Redirect("/settings/video"), 403),
        body=lambda w: {"provider": "zoom"},
    ),
    Case(
        "settings.preview_video",
        "POST",
        who(LOGIN, 403, 200, 403, 200, 403),
        body=lambda w: {"provider": "zoom"},
        writes=False,
    ),
    # A mentor's public profile and hours: their own, and nobody else's.
    Case("settings.mentor_profile", "GET", who(LOGIN, 403, 200, 403, 200, 403)),
    Case(
        "settings.save_mentor_profile",
        "POST",
        who(LOGIN, 403, Redirect("/settings/mentor-profile"), 403, Redirect("/settings/mentor-profile"), 403),
        body=lambda w: {"headline": "Careers in health tech", "bio": "Ten years.", "specialties": "Careers", "languages": "English"},
    ),
    Case("settings.availability", "GET", who(LOGIN, 403, 200, 403, 200, 403)),
    Case(
        "settings.save_availability",
        "POST",
        who(LOGIN, 403, Redirect("/settings/availability"), 403, Redirect("/settings/availability"), 403),
        body=lambda w: {
            "timezone": "Europe/Berlin", "mon": "09:00-12:00", "tue": "", "wed": "", "thu": "", "fri": "", "sat": "",
            "sun": "", "exceptions": "", "buffer": "0", "notice": "4", "horizon": "60",
        },
    ),
    # The join proxy: the same link in everyone's hands
    Case(
        "join.enter",
        "GET",
        who(LOGIN, 403, 403, MEETING, 403, 403),
        args=lambda w: {"token": w.join_paths[(w.confirmed, "mentee")].removeprefix("/join/")},
        variant="the mentee's link",
    ),
    Case(
        "join.enter",
        "GET",
        who(LOGIN, 403, 403, 403, MEETING, 403),
        args=lambda w: {"token": w.join_paths[(w.confirmed, "mentor")].removeprefix("/join/")},
        variant="the mentor's link",
    ),
    # The Join control in pages: the session's own address, with the login cookie in place of a token.
    Case("join.door", "GET", who(LOGIN, 403, 403, MEETING, MEETING, 403), args=confirmed),
    Case(
        "join.door",
        "GET",
        who(LOGIN, 403, 403, 409, 409, 403),
        args=lambda w: {"session_id": w.pending},
        variant="not yet confirmed",
    ),
    # Admin
    Case("admin.home", "GET", who(LOGIN, 403, 403, 403, 403, 200), admin_sees=True),
    Case("admin.sessions", "GET", who(LOGIN, 403, 403, 403, 403, 200), admin_sees=True),
    Case(
        "admin.sessions",
        "GET",
        who(LOGIN, 403, 403, 403, 403, 200),
        args=lambda w: {"person": "max", "status": "confirmed", "from": "2026-11-23", "to": "2026-11-23"},
        variant="a search",
        admin_sees=True,
    ),
    Case("admin.people", "GET", who(LOGIN, 403, 403, 403, 403, 200), admin_sees=True),
    Case("admin.log", "GET", who(LOGIN, 403, 403, 403, 403, 200), admin_sees=True),
    Case("admin.attendance_csv", "GET", who(LOGIN, 403, 403, 403, 403, 200), admin_sees=True),
    Case("admin.mail_queue", "GET", who(LOGIN, 403, 403, 403, 403, 200), admin_sees=True),
    Case(
        "admin.mail_queue",
        "GET",
        who(LOGIN, 403, 403, 403, 403, 200),
        args=lambda w: {"status": "failed"},
        variant="failed mails",
        admin_sees=True,
    ),
    Case(
        "admin.retry_mail",
        "POST",
        who(LOGIN, 403, 403, 403, 403, Redirect("/admin/mail", 303)),
        args=lambda w: {"mail_id": w.failed_mail},
    ),
    Case("admin.retry_failed", "POST", who(LOGIN, 403, 403, 403, 403, Redirect("/admin/mail", 303))),
    Case("admin.mentors", "GET", who(LOGIN, 403, 403, 403, 403, 200), admin_sees=True),
    Case(
        "admin.approve_mentor",
        "POST",
        who(LOGIN, 403, 403, 403, 403, Redirect("/admin/mentors", 303)),
        args=lambda w: {"mentor_id": w.ids["pending_mentor"]},
    ),
    # Suspending the mentor cancels both their sessions with the mentee; nobody else may.
    Case(
        "admin.suspend_mentor",
        "POST",
        who(LOGIN, 403, 403, 403, 403, Redirect("/admin/mentors", 303)),
        args=lambda w: {"mentor_id": w.ids["mentor"]},
        body=lambda w: {"reason": "Mentees reported rude remarks."},
    ),
    # The JSON API
    Case("api.list_sessions", "GET", who(401, 200, 200, 200, 200, 200)),
    Case(
        "api.create_session",
        "POST",
        who(401, 201, 403, 201, 403, 403),
        body=lambda w: {"mentorId": w.ids["mentor"], "startsAt": "2026-11-25T12:00:00Z", "durationMinutes": 60},
        mentors_public=True,
    ),
    Case("api.get_session", "GET", who(401, 403, 403, 200, 200, 403), args=confirmed),
    Case("api.confirm_session", "POST", who(401, 403, 403, 403, 200, 403), args=pending),
    Case(
        "api.decline_session", "POST", who(401, 403, 403, 403, 200, 403), args=pending, body=lambda w: {"reason": "x"}
    ),
    Case(
        "api.cancel_session", "POST", who(401, 403, 403, 200, 200, 403), args=confirmed, body=lambda w: {"reason": "x"}
    ),
    Case(
        "api.reschedule_session",
        "POST",
        who(401, 403, 403, 200, 200, 403),
        args=confirmed,
        body=lambda w: {"startsAt": "2026-11-26T12:00:00Z"},
    ),
    Case("api.generate_link", "POST", who(401, 403, 403, 403, 200, 200), args=confirmed, admin_sees=True),
    Case("api.session_access", "GET", who(401, 403, 403, 200, 200, 403), args=confirmed),
    Case("api.join_session", "GET", who(401, 403, 403, MEETING, MEETING, 403), args=confirmed),
    # A mentee gets their own line only (tests/api/test_attendance_api.py reads it).
    Case("api.attendance", "GET", who(401, 403, 403, 200, 200, 200), args=confirmed, admin_sees=True),
    Case("api.get_video_settings", "GET", who(401, 403, 200, 403, 200, 403)),
    Case("api.put_video_settings", "PUT", who(401, 403, 200, 403, 200, 403), body=lambda w: {"provider": "zoom"}),
    # Mentors and their free times, for everyone logged in; a mentor's own hours, for that mentor.
    Case("api.list_mentors", "GET", who(401, 200, 200, 200, 200, 200), mentors_public=True),
    Case(
        "api.get_mentor",
        "GET",
        who(401, 200, 200, 200, 200, 200),
        args=lambda w: {"mentor_id": w.ids["mentor"]},
        mentors_public=True,
    ),
    Case(
        "api.get_mentor",
        "GET",
        who(401, 404, 404, 404, 404, 404),
        args=lambda w: {"mentor_id": w.ids["mentee"]},
        variant="a mentee's id",
    ),
    Case(
        "api.mentor_slots",
        "GET",
        who(401, 200, 200, 200, 200, 200),
        args=lambda w: {"mentor_id": w.ids["mentor"], "sessionType": "Standard"},
        mentors_public=True,
    ),
    Case("api.get_availability", "GET", who(401, 403, 200, 403, 200, 403)),
    Case(
        "api.put_availability",
        "PUT",
        who(401, 403, 200, 403, 200, 403),
        body=lambda w: {"weekly": {"mon": [["09:00", "12:00"]]}, "bufferMinutes": 10},
    ),
    # Presence webhooks: no login and no CSRF token, so a browser's cookie or an API token counts for
    # nothing; without the provider's signature everyone gets 401 and nothing is stored.
    *(
        Case(f"webhooks.{endpoint}", "POST", everyone(401), body=lambda w: {"event": "x"}, writes=False)
        for endpoint in (
            "jitsi_occupant_joined", "jitsi_occupant_left", "jitsi_room_created", "jitsi_room_destroyed",
            "jaas_event", "zoom",
        )
    ),
    # The dev mailbox: development only, and there open to anyone on the machine (see meetapp.dev).
    Case("dev.mailbox", "GET", everyone(200), dev_only=True),
    Case("dev.mail", "GET", everyone(200), args=lambda w: {"mail_id": w.invite_mail}, dev_only=True),
    Case("dev.mail_html", "GET", everyone(200), args=lambda w: {"mail_id": w.invite_mail}, dev_only=True),
    Case("dev.mail_invite", "GET", everyone(200), args=lambda w: {"mail_id": w.invite_mail}, dev_only=True),
]


# The routes the app has ----------------------------------------------------------------


def app_routes(env: str) -> set[tuple[str, str]]:
    """(endpoint, method) for every rule but static, as an app in `env` registers them."""
    app = create_app(testing_config("sqlite://", MEETAPP_ENV=env))
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


ROUTES = sorted(app_routes("development"))
CASES_BY_ROUTE = {(case.endpoint, case.method): [] for case in CASES}
for _case in CASES:
    CASES_BY_ROUTE[(_case.endpoint, _case.method)].append(_case)


# Checking an answer against the table ------------------------------------------------


def check_answer(response, expected: Expectation, url: str, world: World, where: str, *, api: bool) -> None:
    location = response.headers.get("Location")
    if isinstance(expected, Login):
        assert response.status_code == 302, f"{where}: {response.status_code}, expected the login page"
        target = urlsplit(location)
        assert (target.scheme, target.netloc, target.path) == ("", "", "/auth/login"), f"{where} -> {location}"
        assert parse_qs(target.query) == {"next": [url]}, f"{where} must come back to {url}: {location}"
    elif isinstance(expected, Meeting):
        assert response.status_code == 302, f"{where}: {response.status_code}, expected the meeting"
        assert location.startswith("https://meet.jit.si/meetapp-session-"), f"{where} -> {location}"
        assert response.get_data() == b""
    elif isinstance(expected, Redirect):
        path = expected.path.format(confirmed=world.confirmed, pending=world.pending)
        assert response.status_code == expected.status, f"{where}: {response.status_code}, expected {expected}"
        assert urlsplit(location).netloc == "", f"{where} redirects off the site: {location}"
        assert location.startswith(path) if expected.prefix else location == path, f"{where} -> {location}"
    else:
        assert response.status_code == expected, f"{where}: {response.status_code}, expected {expected}"
        if api:
            assert response.mimetype == "application/json", f"{where} answered {response.mimetype}"
            if expected == 401:
                assert response.json["error"] == "unauthenticated"
            if expected >= 400:
                assert set(response.json) >= {"error", "message"}
        elif expected >= 400:
            assert response.mimetype == "text/html", f"{where} answered {response.mimetype}"


# Who may write ------------------------------------------------------------------------

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
ANONYMOUS_FORMS = {"auth.login", "auth.register", "auth.confirm"}


def allowed_viewer(case) -> str:
    """Who the access table lets make this change."""
    if case.endpoint in ANONYMOUS_FORMS:
        return "anonymous"
    for viewer in ("mentee", "mentor", "admin", "other_mentee", "other_mentor"):
        expected = case.expect[viewer]
        # A 409 is a request heard and refused on its merits: CSRF was already passed.
        if not isinstance(expected, Login) and not (isinstance(expected, int) and expected >= 400 and expected != 409):
            return viewer
    raise AssertionError(f"nobody may call {case.id}")
