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

import pytest

from tests.security.matrix import (
    CASES,
    CASES_BY_ROUTE,
    ROUTES,
    SAFE_METHODS,
    Login,
    app_routes,
    check_answer,
    confirmed,
    pending,
)
from tests.security.world import VIEWERS, assert_shows_none_of, build_world, fingerprint, log_in, meeting_secrets


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
    request = {"json": body} if (case.api or case.webhook) and body is not None else {"data": body}
    before = fingerprint(app)

    response = client.open(url, method=case.method, headers=headers, **request)

    expected = case.expect[viewer]
    where = f"{case.id} as {viewer}"
    check_answer(response, expected, url, world, where, api=case.api or case.webhook)
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
        request = {"json": body} if (case.api or case.webhook) and body is not None else {"data": body}
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
