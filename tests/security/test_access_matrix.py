"""Who may call what: every route of the app, for every kind of viewer, against an explicit table.

The routes come from the app's url_map (the development app, which has every
blueprint), so a new route fails here until the table says who may use it.
Each (route, method, viewer) is its own test: it checks the status code, the
kind of answer (page or JSON), where a redirect leads, that nobody is shown
another person's sessions, names, emails or links, and that a refused or
read-only request changed nothing.

The viewers: `anonymous`; `mentee` and `mentor`, the two people of the sessions
under test; `other_mentee` and `other_mentor`, who have a session of their own
with each other; and `admin`. Pages use a login session, the API a bearer token.
"""

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest

from meetapp import create_app
from meetapp.config import testing_config
from tests.conftest import PASSWORD
from tests.security.conftest import (
    VIEWERS,
    World,
    assert_shows_none_of,
    build_world,
    fingerprint,
    log_in,
    meeting_secrets,
)

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
    Case("auth.login", "GET", who(200, HOME, HOME, HOME, HOME, HOME)),
    Case(
        "auth.login",
        "POST",
        who(HOME, HOME, HOME, HOME, HOME, HOME),
        body=lambda w: {"email": w.email("other_mentee"), "password": PASSWORD},
        writes=False,
    ),
    Case("auth.register", "GET", who(200, HOME, HOME, HOME, HOME, HOME)),
    Case("auth.register", "POST", who(HOME, HOME, HOME, HOME, HOME, HOME), body=lambda w: REGISTRATION),
    Case("auth.logout_page", "GET", who(LOGIN_PAGE, 200, 200, 200, 200, 200)),
    Case("auth.logout", "POST", everyone(LOGIN_PAGE), writes=False),
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
    # Admins look after every session: they see its page and who tried to join, and can change nothing there.
    Case("sessions.detail", "GET", who(LOGIN, 403, 403, 200, 200, 200), args=confirmed, admin_sees=True),
    Case("sessions.status", "GET", who(LOGIN, 403, 403, 200, 200, 403), args=confirmed),
    Case("sessions.confirm", "POST", who(LOGIN, 403, 403, 403, TO_PENDING, 403), args=pending),
    Case(
        "sessions.cancel",
        "POST",
        who(LOGIN, 403, 403, TO_CONFIRMED, TO_CONFIRMED, 403),
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
    Case("sessions.new_link", "POST", who(LOGIN, 403, 403, 403, TO_CONFIRMED, 403), args=confirmed),
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
    Case("settings.create_token", "POST", who(LOGIN, 201, 201, 201, 201, 201), body=lambda w: {"label": "my script"}),
    Case(
        "settings.revoke_token",
        "POST",
        who(LOGIN, 404, 404, Redirect("/settings/"), 404, 404),
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
    # Admin
    Case("admin.mail_queue", "GET", who(LOGIN, 403, 403, 403, 403, 200), admin_sees=True),
    Case(
        "admin.retry_mail",
        "POST",
        who(LOGIN, 403, 403, 403, 403, Redirect("/admin/mail", 303)),
        args=lambda w: {"mail_id": w.failed_mail},
    ),
    Case("admin.retry_failed", "POST", who(LOGIN, 403, 403, 403, 403, Redirect("/admin/mail", 303))),
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
    Case("api.attendance", "GET", who(401, 403, 403, 403, 200, 200), args=confirmed, admin_sees=True),
    Case("api.get_video_settings", "GET", who(401, 403, 200, 403, 200, 403)),
    Case("api.put_video_settings", "PUT", who(401, 403, 200, 403, 200, 403), body=lambda w: {"provider": "zoom"}),
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


def matrix_params():
    for route in ROUTES:
        cases = CASES_BY_ROUTE.get(route) or [None]
        for case in cases:
            for viewer in VIEWERS:
                case_id = case.id if case else f"{route[1]} {route[0]}[no expectation]"
                yield pytest.param(route, case, viewer, id=f"{case_id}-{viewer}")


def test_the_table_names_no_route_the_app_lacks():
    assert set(CASES_BY_ROUTE) <= set(ROUTES), "the table has rows for routes that no longer exist"


def test_only_the_development_app_has_more_routes():
    production, development = app_routes("production"), app_routes("development")
    assert production <= development
    assert {endpoint.split(".")[0] for endpoint, _ in development - production} == {"dev"}


# The matrix ----------------------------------------------------------------------------


@pytest.fixture
def matrix_app(request, app_pool, clock):
    """The app as tests see it; in development for the dev mailbox's routes, the only place they exist."""
    case = request.node.callspec.params["case"]
    env = "development" if case is not None and case.dev_only else "testing"
    return app_pool.fresh(MEETAPP_ENV=env)


@pytest.mark.parametrize(("route", "case", "viewer"), list(matrix_params()))
def test_access(matrix_app, route, case, viewer):
    assert case is not None, f"{route[1]} {route[0]} has no row in the access table: say who may use it"
    app = matrix_app
    world = build_world(app)
    client = app.test_client()
    headers = {}
    if viewer != "anonymous":
        if case.api:
            headers["Authorization"] = f"Bearer {world.api_tokens[viewer]}"
        else:
            log_in(client, world.email(viewer))
    url = app.url_map.bind("localhost").build(case.endpoint, case.args(world) if case.args else {})
    body = case.body(world) if case.body else None
    request = {"json": body} if case.api and body is not None else {"data": body}
    before = fingerprint(app)

    response = client.open(url, method=case.method, headers=headers, **request)

    expected = case.expect[viewer]
    where = f"{case.id} as {viewer}"
    check_answer(response, expected, url, world, where, api=case.api)
    refused = isinstance(expected, int | Login) and (isinstance(expected, Login) or expected >= 400)
    if refused or case.method in SAFE_METHODS:
        assert fingerprint(app) == before, f"{where} changed the database"
    elif case.writes and not (case.endpoint.startswith("auth.") and viewer != "anonymous"):
        # Logged in, the account pages only send a person home.
        assert fingerprint(app) != before, f"{where} was allowed but changed nothing: is the row right?"
    secrets = world.meeting_secrets | meeting_secrets(app)
    assert_shows_none_of(response, secrets, where)
    if not case.dev_only and not (viewer == "admin" and case.admin_sees):
        assert_shows_none_of(response, world.foreign_data(viewer, mentors_public=case.mentors_public), where)


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


# Sessions that do not exist, and the dev mailbox outside development -------------------


SESSION_ROUTES = sorted(
    route for route in ROUTES if route[0] in {c.endpoint for c in CASES if c.args in (confirmed, pending)}
)


@pytest.mark.parametrize("route", SESSION_ROUTES, ids=lambda route: f"{route[1]} {route[0]}")
def test_an_unknown_session_is_404_for_everyone_logged_in(app_pool, clock, route):
    app = app_pool.fresh()
    world = build_world(app)
    endpoint, method = route
    (case,) = [c for c in CASES_BY_ROUTE[route] if c.args in (confirmed, pending)]
    url = app.url_map.bind("localhost").build(endpoint, {"session_id": "nO-sUch-sEssion1"})
    body = case.body(world) if case.body else None
    for viewer in VIEWERS[1:]:
        client = app.test_client()
        headers = {}
        if case.api:
            headers["Authorization"] = f"Bearer {world.api_tokens[viewer]}"
        else:
            log_in(client, world.email(viewer))
        request = {"json": body} if case.api and body is not None else {"data": body}
        response = client.open(url, method=method, headers=headers, **request)
        assert response.status_code == 404, f"{method} {url} as {viewer}: {response.status_code}"
        if case.api:
            assert response.json["error"] == "not_found"


def test_the_dev_mailbox_is_nowhere_outside_development(app_pool, clock):
    app = app_pool.fresh()
    world = build_world(app)
    client = app.test_client()
    paths = [
        "/dev/mail",
        f"/dev/mail/{world.invite_mail}",
        f"/dev/mail/{world.invite_mail}/html",
        f"/dev/mail/{world.invite_mail}/invite.ics",
    ]
    for viewer in VIEWERS:
        if viewer != "anonymous":
            log_in(client, world.email(viewer))
        for path in paths:
            response = client.get(path)
            assert response.status_code == 404, f"{path} as {viewer}"
            assert world.email("mentee") not in response.get_data(as_text=True)
        client.post("/auth/logout")
