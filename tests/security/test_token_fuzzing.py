"""Fuzzing what a URL or header carries: join links, session ids and API tokens, mangled every way.

Random text and bytes, truncations, bit flips and insertions of a real join link
never make the app fail, and never redirect anywhere but to the login page (for
someone logged out) or, only for the unchanged link's own person, to the meeting.
A mangled link that still reads as the same signed claim is the same link: base64
has spare bits, so a flipped last bit can leave it valid, and then it must behave
exactly as the original. Session ids in page and API URLs, and Authorization
headers, get the same treatment: 404, 401, never a 500.
"""

from urllib.parse import parse_qs, quote, urlsplit

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter

from meetapp import create_app
from meetapp.config import testing_config
from meetapp.domain.join_tokens import InvalidJoinToken
from meetapp.services import join_links
from tests.security.world import build_world, log_in
from tests.support import NOW

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
MEETING = "https://meet.jit.si/"


def mangled(original: str) -> st.SearchStrategy[str]:
    """Text that looks like, or nothing like, `original`."""
    raw = original.encode()

    def flip(position: int, bit: int) -> str:
        flipped = bytearray(raw)
        flipped[position % len(raw)] ^= 1 << bit
        return flipped.decode("latin-1")

    return st.one_of(
        st.text(max_size=600),
        st.binary(max_size=300).map(lambda data: data.decode("latin-1")),
        st.integers(0, len(original) - 1).map(lambda n: original[:n]),
        st.integers(1, len(original) - 1).map(lambda n: original[n:]),
        st.builds(flip, st.integers(0, len(raw) - 1), st.integers(0, 7)),
        st.builds(
            lambda n, extra: original[:n] + extra + original[n:],
            st.integers(0, len(original)),
            st.text(min_size=1, max_size=8),
        ),
        st.builds(
            lambda n: original[:n] + original[n].swapcase() + original[n + 1 :], st.integers(0, len(original) - 1)
        ),
        st.sampled_from([original + "=", original + ".", original * 2, original.replace(".", ""), "." + original]),
    )


def is_dot_segment(text: str) -> bool:
    # "/join/.." is "/" to a URL parser: another route altogether.
    return text.strip(".") == ""


@pytest.fixture
def app(app_pool, clock):
    # Refused joins are rate-limited per address; here every attempt is meant to reach the check.
    return app_pool.fresh(JOIN_DENIED_RATE_LIMIT="100000 per minute")


@pytest.fixture
def world(app):
    return build_world(app)


def claim_of(app, token: str):
    with app.app_context():
        try:
            return join_links.join_tokens().read(token, NOW)
        except InvalidJoinToken:
            return None


def join(client, token: str):
    path = "/join/" + quote(token, safe="")
    return client.get(path)


@FUZZ
@given(data=st.data())
def test_a_mangled_join_link_sends_someone_logged_out_only_to_the_login_page(app, world, data):
    token = world.join_paths[(world.confirmed, "mentee")].removeprefix("/join/")
    candidate = data.draw(mangled(token))
    assume(not is_dot_segment(candidate))
    response = join(app.test_client(), candidate)
    assert response.status_code in (302, 404), f"{candidate!r}: {response.status_code}"
    if response.status_code == 302:
        target = urlsplit(response.headers["Location"])
        assert (target.scheme, target.netloc, target.path) == ("", "", "/auth/login"), response.headers["Location"]
        (next_path,) = parse_qs(target.query)["next"]
        assert next_path.startswith("/join/")


@pytest.mark.parametrize("viewer", ["mentee", "mentor", "other_mentee"])
@FUZZ
@given(data=st.data())
def test_a_mangled_join_link_opens_the_meeting_only_when_it_is_still_the_same_link(app, world, viewer, data):
    client = app.test_client()
    log_in(client, world.email(viewer))
    token = world.join_paths[(world.confirmed, "mentee")].removeprefix("/join/")
    original = claim_of(app, token)
    candidate = data.draw(mangled(token))
    assume(not is_dot_segment(candidate))
    response = join(client, candidate)
    where = f"{candidate!r} as {viewer}"
    if claim_of(app, candidate) != original:
        assert response.status_code == 404, f"{where}: {response.status_code}"
    elif viewer == "mentee":
        assert response.status_code == 302 and response.headers["Location"].startswith(MEETING), where
    else:
        assert response.status_code == 403, f"{where}: {response.status_code}"


SESSION_URLS = [
    "/sessions/{}",
    "/sessions/{}/status",
    "/sessions/{}/join",
    "/api/mentoring/session/{}",
    "/api/mentoring/session/{}/access",
    "/api/mentoring/session/{}/join",
    "/api/mentoring/session/{}/attendance",
]


@pytest.mark.parametrize("template", SESSION_URLS)
@FUZZ
@given(data=st.data())
def test_a_mangled_session_id_is_not_found(app, world, template, data):
    client = app.test_client()
    log_in(client, world.email("mentor"))
    candidate = data.draw(mangled(world.confirmed))
    assume(
        candidate != world.confirmed and "/" not in candidate and not is_dot_segment(candidate) and candidate != "new"
    )
    response = client.get(template.format(quote(candidate, safe="")))
    assert response.status_code == 404, f"{template} with {candidate!r}: {response.status_code}"
    if template.startswith("/api/"):
        assert response.json["error"] == "not_found"


HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF) | st.just("\t"), max_size=200)


def authorization_headers(token: str) -> st.SearchStrategy[str]:
    return st.one_of(
        HEADER_TEXT,
        st.builds(
            lambda scheme, text: f"{scheme} {text}",
            st.sampled_from(["Bearer", "bearer", "BEARER", "Basic", "Token", ""]),
            HEADER_TEXT,
        ),
        mangled(token).map(lambda text: f"Bearer {text}"),
        st.sampled_from(
            [f"Bearer {token}x", f"Bearer {token[:-1]}", f"Bearer{token}", f"Basic {token}", f"Bearer {token.upper()}"]
        ),
    ).filter(lambda value: "\r" not in value and "\n" not in value and all(ord(ch) < 256 for ch in value))


@FUZZ
@given(data=st.data())
def test_a_mangled_api_token_is_unauthenticated(app, world, data):
    token = world.api_tokens["mentee"]
    header = data.draw(authorization_headers(token))
    scheme, _, rest = header.partition(" ")
    client = app.test_client()
    for method, path in (
        ("GET", "/api/mentoring/sessions"),
        ("POST", f"/api/mentoring/session/{world.confirmed}/cancel"),
    ):
        response = client.open(path, method=method, headers={"Authorization": header}, json={})
        if scheme.lower() == "bearer" and rest.strip() == token:
            assert response.status_code == 200, f"{header!r} is the real token: {response.status_code}"
            return
        assert response.status_code == 401, f"{method} {path} with {header!r}: {response.status_code}"
        assert response.mimetype == "application/json"
        assert response.json["error"] == "unauthenticated"


def int_rules() -> list[tuple[str, str, str]]:
    """(endpoint, method, argument) for every rule that takes a number, in the app with every blueprint."""
    app = create_app(testing_config("sqlite://", MEETAPP_ENV="development"))
    return sorted(
        (rule.endpoint, method, name)
        for rule in app.url_map.iter_rules()
        for name, converter in rule._converters.items()
        if isinstance(converter, IntegerConverter)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


@pytest.mark.parametrize(("endpoint", "method", "argument"), int_rules())
@pytest.mark.parametrize("number", [2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**30, 10**400])
def test_a_number_too_large_for_any_database_is_not_found(app_pool, clock, endpoint, method, argument, number):
    app = app_pool.fresh(MEETAPP_ENV="development")
    world = build_world(app)
    client = app.test_client()
    log_in(client, world.email("admin" if endpoint.startswith("admin.") else "mentee"))
    adapter = app.url_map.bind("localhost")
    unknown = client.open(adapter.build(endpoint, {argument: 987654}), method=method)
    url = adapter.build(endpoint, {argument: 1}).replace("/1", f"/{number}", 1)
    response = client.open(url, method=method)
    # Either no such page, or what any id that names nothing gets (the admin's retry goes back to the queue).
    same_as_unknown = (response.status_code, response.headers.get("Location")) == (
        unknown.status_code,
        unknown.headers.get("Location"),
    )
    assert response.status_code == 404 or same_as_unknown, f"{method} {url}: {response.status_code}"


@pytest.mark.parametrize("template", SESSION_URLS)
@pytest.mark.parametrize("session_id", ["\x00", "abc\x00def", "%00", "\x00" * 40], ids=repr)
def test_a_nul_character_in_a_session_id_is_not_found(app, world, template, session_id):
    # PostgreSQL refuses a NUL in a query parameter; the answer must still be the one for an unknown id.
    client = app.test_client()
    log_in(client, world.email("mentee"))
    response = client.get(template.format(quote(session_id, safe="")))
    assert response.status_code == 404, f"{template} with {session_id!r}: {response.status_code}"


@pytest.mark.parametrize("logged_in", [False, True])
def test_a_join_link_with_a_doubled_slash_is_not_redirected(app, world, logged_in):
    client = app.test_client()
    if logged_in:
        log_in(client, world.email("mentee"))
    token = world.join_paths[(world.confirmed, "mentee")].removeprefix("/join/")
    response = client.get(f"/join//{token}")
    assert response.status_code == 404
