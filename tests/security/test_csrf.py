"""CSRF: every state-changing request a browser can make needs the login session's own token.

The routes come from the url_map, so a new POST/PUT/DELETE route is covered (or
fails here) without anyone remembering to add it. Each is sent by the person the
access table allows, as a plain form, as an htmx request and, for the JSON API,
with the login cookie: without a token, with another login session's token, and
with the right one. Refused, it answers 400 and changes nothing, in the database
or in who is logged in; with the token it works. A bearer token needs no CSRF
token: no browser sends one by itself.
"""

import pytest

from tests.security.matrix import CASES, ROUTES, WRITE_METHODS, Redirect, allowed_viewer, check_answer
from tests.security.world import World, build_world, csrf_token, fingerprint, log_in

# With htmx, these answer with the re-rendered action panel instead of redirecting.
PANEL_ANSWERS = {"sessions.confirm", "sessions.decline", "sessions.cancel", "sessions.reschedule", "sessions.new_link"}
def write_routes() -> list[tuple[str, str]]:
    # The presence webhooks take no CSRF token: the providers sign them (tests/webhooks), and the
    # access table checks that a browser's login gets nothing there.
    return [route for route in ROUTES if route[1] in WRITE_METHODS and not route[0].startswith("webhooks.")]


def csrf_params():
    cases = {(case.endpoint, case.method): case for case in CASES}
    for route in write_routes():
        case = cases.get(route)
        modes = ("cookie",) if route[0].startswith("api.") else ("form", "htmx")
        for mode in modes:
            for token in ("missing", "foreign", "valid"):
                name = case.id if case else f"{route[1]} {route[0]}[no expectation]"
                yield pytest.param(route, case, mode, token, id=f"{name}-{mode}-{token}-token")


@pytest.fixture
def csrf_app(app_pool, clock):
    return app_pool.fresh(WTF_CSRF_ENABLED=True)


def logged_in(client) -> bool:
    return client.get("/settings/").status_code == 200


def foreign_token(app, world: World) -> str:
    """A valid token, but of someone else's login session."""
    other = app.test_client()
    log_in(other, world.email("other_mentor"))
    return csrf_token(other)


@pytest.mark.parametrize(("route", "case", "mode", "token"), list(csrf_params()))
def test_changes_need_the_login_sessions_csrf_token(csrf_app, route, case, mode, token):
    assert case is not None, f"{route[1]} {route[0]} is new: give it a row in the access table"
    app = csrf_app
    world = build_world(app)
    viewer = allowed_viewer(case)
    client = app.test_client()
    if viewer != "anonymous":
        log_in(client, world.email(viewer))
    own_token = csrf_token(client)
    sent_token = {"missing": None, "foreign": foreign_token(app, world), "valid": own_token}[token]
    assert sent_token != own_token or token == "valid"

    url = app.url_map.bind("localhost").build(case.endpoint, case.args(world) if case.args else {})
    body = dict(case.body(world)) if case.body else {}
    headers = {}
    if mode == "cookie":
        request = {"json": body}
        if sent_token:
            headers["X-CSRFToken"] = sent_token
    elif mode == "htmx":
        headers["HX-Request"] = "true"
        if sent_token:
            headers["X-CSRFToken"] = sent_token
        request = {"data": body}
    else:
        if sent_token:
            body["csrf_token"] = sent_token
        request = {"data": body}
    was_logged_in, before = logged_in(client), fingerprint(app)

    response = client.open(url, method=case.method, headers=headers, **request)

    where = f"{case.id} by {viewer} ({mode}, {token} token)"
    if token != "valid":
        assert response.status_code == 400, f"{where} was not refused: {response.status_code}"
        if mode == "cookie":
            assert response.mimetype == "application/json"
            assert response.json["error"] == "csrf_failed"
        else:
            assert response.mimetype == "text/html"
            assert "Form expired" in response.get_data(as_text=True)
        assert fingerprint(app) == before, f"{where} changed the database"
        assert logged_in(client) == was_logged_in, f"{where} changed who is logged in"
        return
    expected = case.expect[viewer]
    if mode == "htmx" and case.endpoint in PANEL_ANSWERS:
        assert isinstance(expected, Redirect)
        expected = 200
    check_answer(response, expected, url, world, where, api=case.api)
    changed = fingerprint(app) != before or logged_in(client) != was_logged_in
    assert changed or not case.writes, f"{where} was accepted but did nothing"


API_WRITES = [case for case in CASES if case.api and case.method in WRITE_METHODS]


@pytest.mark.parametrize("case", API_WRITES, ids=lambda case: case.id)
def test_a_bearer_token_needs_no_csrf_token(csrf_app, case):
    app = csrf_app
    world = build_world(app)
    viewer = allowed_viewer(case)
    url = app.url_map.bind("localhost").build(case.endpoint, case.args(world) if case.args else {})
    before = fingerprint(app)
    response = app.test_client().open(
        url,
        method=case.method,
        json=case.body(world) if case.body else None,
        headers={"Authorization": f"Bearer {world.api_tokens[viewer]}"},
    )
    check_answer(response, case.expect[viewer], url, world, f"{case.id} by {viewer} with a bearer token", api=True)
    assert fingerprint(app) != before
