"""The live pages' one poll (`/dashboard/changes`, `/sessions/<id>/status`): each page carries its
person's ETag; an unchanged poll is a bodiless 304 for one SQL statement, answered before Flask
(web.unchanged_polls) only where the view would answer the same; a changed one brings exactly the
sessions changed since. And the status fragment the polls bring: its Join control inert before the
window and a link to the join door inside it, its parts hidden outside their times."""
import html
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

import pytest
import sqlalchemy as sa
from flask import Flask, request, request_started
from werkzeug.test import Client
from werkzeug.wrappers import Response

from meetapp.extensions import db
from meetapp.models import User
from meetapp.services.logins import end_every_login
from tests.support import (
    CLOSES,
    MENTEE_EMAIL,
    MENTOR_EMAIL,
    NOW,
    ON_POSTGRESQL_ONLY,
    OPENS,
    PASSWORD,
    START,
    counted_queries,
)

HTMX = {"HX-Request": "true"}
POLLS = ["dashboard", "status"]


def book(api_as, mentee: int, mentor: int, starts_at: str = "2026-11-24T10:00:00Z", *, confirm: bool = True) -> str:
    response = api_as(mentee).post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": starts_at, "durationMinutes": 60}
    )
    assert response.status_code == 201, response.json
    session_id = response.json["session"]["id"]
    if confirm:
        assert api_as(mentor).post(f"/api/mentoring/session/{session_id}/confirm").status_code == 200
    return session_id


def cancel(api_as, who: int, session_id: str) -> None:
    assert api_as(who).post(f"/api/mentoring/session/{session_id}/cancel", json={}).status_code == 200


@pytest.fixture
def session_id(clock, api_as, mentor, mentee) -> str:
    """The mentee's confirmed session with the mentor at 10:00 UTC today, an hour after NOW."""
    return book(api_as, mentee, mentor, "2026-11-23T10:00:00Z")


def poll_path(kind: str, session_id: str) -> str:
    return "/dashboard/changes" if kind == "dashboard" else f"/sessions/{session_id}/status"


def page_of(kind: str, session_id: str) -> str:
    """The page whose poll `kind` is."""
    return "/" if kind == "dashboard" else f"/sessions/{session_id}"


def version_of(app, user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(User.sessions_version).where(User.id == user_id))


def tag_of(app, user_id: int) -> str:
    """The person's ETag as it stands in the database now."""
    return f'"{user_id}.{version_of(app, user_id)}"'


def page_etag(page: str, polled: str) -> str:
    """The ETag of the element on the page that polls `polled`."""
    match = re.search(rf'data-live-poll="{re.escape(polled)}"[^>]*?data-live-etag="([^"]*)"', page)
    assert match, f"nothing on the page polls {polled}"
    return html.unescape(match.group(1))


def etag_on_page(client, kind: str, session_id: str) -> str:
    response = client.get(page_of(kind, session_id))
    assert response.status_code == 200
    return page_etag(response.get_data(as_text=True), poll_path(kind, session_id))


def poll(client, path: str, etag: str | None = None, **headers):
    if etag is not None:
        headers["If-None-Match"] = etag
    return client.get(path, headers=headers)


def row_ids(body: str) -> list[str]:
    """The dashboard rows in a poll's answer, by session id, in their order."""
    return re.findall(r'<li class="session-row[^"]*" id="session-([^"]+)"', body)


def row_of(body: str, session_id: str) -> str:
    match = re.search(rf'<li class="session-row[^"]*" id="session-{session_id}".*?</li>', body, re.S)
    assert match, f"no row for {session_id}"
    return match.group(0)


def has_join_control(html_text: str) -> bool:
    return "data-join-link" in html_text or "/join" in html_text or "join-state" in html_text


def awaiting_line(body: str) -> str | None:
    """The mentor's awaiting-confirmation line: its words, "(hidden)", or None when there is none."""
    match = re.search(r'<p class="alert alert-info" id="awaiting-me"([^>]*)>(.*?)</p>', body, re.S)
    if match is None:
        return None
    return "(hidden)" if "hidden" in match.group(1) else " ".join(match.group(2).split())


def assert_unchanged(response, etag: str) -> None:
    assert response.status_code == 304
    assert response.get_data() == b""
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Vary"] == "Cookie"


@contextmanager
def requests_flask_saw(app):
    """The paths of the requests that reached Flask inside the block (not those the middleware answered)."""
    seen: list[str] = []

    def record(sender, **extra):
        seen.append(request.path)

    with request_started.connected_to(record, app):
        yield seen


def without_middleware(app) -> Client:
    """A client of the Flask app itself, past the middleware in front of it (meetapp.web.unchanged_polls)."""
    return Client(app.wsgi_app.wsgi_app)


def log_in(client, email: str, *, remember: bool = False) -> None:
    data = {"email": email, "password": PASSWORD, **({"remember": "y"} if remember else {})}
    assert client.post("/auth/login", data=data).status_code == 302


# The pages carry their person's ETag -------------------------------------------------------


@pytest.mark.parametrize("email", [MENTEE_EMAIL, MENTOR_EMAIL], ids=["mentee", "mentor"])
def test_every_live_page_carries_its_persons_etag(app, client, clock, api_as, people, mentor, mentee, email):
    session_id = book(api_as, mentee, mentor, "2026-11-23T10:00:00Z")
    # The mentee's other session, with another mentor: the two people's counts differ.
    book(api_as, mentee, people.make("mentor", "Olga Other"), "2026-11-25T10:00:00Z")
    viewer = mentee if email == MENTEE_EMAIL else mentor
    log_in(client, email)
    expected = f'"{viewer}.{4 if viewer == mentee else 2}"'
    assert tag_of(app, viewer) == expected

    status = f"/sessions/{session_id}/status"
    # The dashboard's Upcoming section, the session page's poll, and the waiting page (it is too early).
    pages = {"/": "/dashboard/changes", f"/sessions/{session_id}": status, f"/sessions/{session_id}/join": status}
    for page, polled in pages.items():
        response = client.get(page)
        assert response.status_code == 200, page
        assert page_etag(response.get_data(as_text=True), polled) == expected, page


# Unchanged: a bodiless 304, for one statement ----------------------------------------------


@pytest.mark.parametrize("kind", POLLS)
def test_an_unchanged_poll_is_a_bodiless_304_answered_before_flask_for_one_statement(
    app, client, clock, session_id, kind
):
    log_in(client, MENTEE_EMAIL)
    etag = etag_on_page(client, kind, session_id)
    with requests_flask_saw(app) as seen, counted_queries(app) as statements:
        response = poll(client, poll_path(kind, session_id), etag)
    assert_unchanged(response, etag)
    assert seen == [], "Flask answered: the middleware did not"
    assert len(statements) == 1, statements


def remembered_only(app, client):
    """A browser holding only the remember cookie: the middleware reads the session cookie only."""
    log_in(client, MENTEE_EMAIL, remember=True)
    name = app.config["REMEMBER_COOKIE_NAME"]
    browser = app.test_client()
    browser.set_cookie(name, client.get_cookie(name).value)
    return browser


def past_the_middleware(app, client):
    log_in(client, MENTEE_EMAIL)
    browser = without_middleware(app)
    name = app.config["SESSION_COOKIE_NAME"]
    browser.set_cookie(name, client.get_cookie(name).value)
    return browser


@pytest.mark.parametrize(
    "browser", [remembered_only, past_the_middleware], ids=["remember cookie only", "middleware bypassed"]
)
@pytest.mark.parametrize("kind", POLLS)
def test_the_view_answers_an_unchanged_poll_with_the_same_304_for_one_statement(
    app, client, clock, session_id, mentee, kind, browser
):
    browser = browser(app, client)
    etag = tag_of(app, mentee)
    path = poll_path(kind, session_id)
    with requests_flask_saw(app) as seen, counted_queries(app) as statements:
        response = poll(browser, path, etag)
    assert_unchanged(response, etag)
    assert seen == [path], "the view must have answered this one"
    assert len(statements) == 1, statements


# The middleware and the view answer the same -----------------------------------------------


@dataclass
class Scene:
    """A logged-in mentee with a session, their cookies and their page's ETag, to build requests from."""

    app: Flask
    clock: object
    api_as: Callable
    mentor: int
    mentee: int
    session_id: str
    cookies: dict[str, str]
    etag: str

    @property
    def session_cookie_name(self) -> str:
        return self.app.config["SESSION_COOKIE_NAME"]

    @property
    def session_cookie(self) -> str:
        return self.cookies[self.session_cookie_name]

    def signed(self, payload: dict, app: Flask | None = None) -> str:
        app = app or self.app
        return app.session_interface.get_signing_serializer(app).dumps(payload)

    def login_payload(self) -> dict:
        return self.app.session_interface.get_signing_serializer(self.app).loads(self.session_cookie)


@dataclass
class Ask:
    cookies: dict[str, str] | None
    etag: str | None
    method: str = "GET"
    path: str | None = None  # the poll's own, unless another
    host: str = "localhost"


def right_etag(s: Scene) -> Ask:
    return Ask({s.session_cookie_name: s.session_cookie}, s.etag)


def right_etag_with_spaces(s: Scene) -> Ask:
    return Ask({s.session_cookie_name: s.session_cookie}, f"  {s.etag} ")


def stale_etag(s: Scene) -> Ask:
    # A change to the mentee's other session: the page's count is behind now.
    cancel(s.api_as, s.mentor, book(s.api_as, s.mentee, s.mentor, "2026-11-27T10:00:00Z"))
    return Ask({s.session_cookie_name: s.session_cookie}, s.etag)


def another_persons_etag(s: Scene) -> Ask:
    return Ask({s.session_cookie_name: s.session_cookie}, tag_of(s.app, s.mentor))


def garbage_etag(s: Scene) -> Ask:
    return Ask({s.session_cookie_name: s.session_cookie}, '"); DROP TABLE users; --')


def weak_form_of_the_right_etag(s: Scene) -> Ask:
    return Ask({s.session_cookie_name: s.session_cookie}, f"W/{s.etag}")


def two_etags_one_right(s: Scene) -> Ask:
    return Ask({s.session_cookie_name: s.session_cookie}, f'{s.etag}, "{s.mentee}.0"')


def no_if_none_match(s: Scene) -> Ask:
    return Ask({s.session_cookie_name: s.session_cookie}, None)


def no_cookie(s: Scene) -> Ask:
    return Ask(None, s.etag)


def tampered_cookie(s: Scene) -> Ask:
    cookie = s.session_cookie
    return Ask({s.session_cookie_name: cookie[:-1] + ("A" if cookie[-1] != "A" else "B")}, s.etag)


def cookie_signed_with_another_key(s: Scene) -> Ask:
    other = Flask("elsewhere")
    other.config.update(SECRET_KEY="another key", SECRET_KEY_FALLBACKS=[])
    return Ask({s.session_cookie_name: s.signed(s.login_payload(), other)}, s.etag)


def cookie_naming_nobody(s: Scene) -> Ask:
    payload = {**s.login_payload(), "_user_id": f"999999.1.{int(NOW.timestamp())}"}
    return Ask({s.session_cookie_name: s.signed(payload)}, s.etag)


def login_ended_elsewhere(s: Scene) -> Ask:
    # "Log out everywhere" on another device, a new password, a reset: the login version moves.
    with s.app.app_context():
        end_every_login(db.session.get(User, s.mentee))
        db.session.commit()
    return right_etag(s)


def session_cookie_expired(s: Scene) -> Ask:
    s.clock.move_to(NOW + s.app.config["PERMANENT_SESSION_LIFETIME"] + timedelta(minutes=1))
    return right_etag(s)


def login_past_its_lifetime(s: Scene) -> Ask:
    # The remember cookie gives a new session cookie a minute before the login's 14 days are up; a
    # minute after, that fresh cookie still verifies, but the login it names has ended.
    lifetime = s.app.config["REMEMBER_COOKIE_DURATION"]
    s.clock.move_to(NOW + lifetime - timedelta(minutes=1))
    browser = s.app.test_client()
    remember = s.app.config["REMEMBER_COOKIE_NAME"]
    browser.set_cookie(remember, s.cookies[remember])
    assert browser.get("/").status_code == 200
    s.clock.move_to(NOW + lifetime + timedelta(minutes=1))
    return Ask({s.session_cookie_name: browser.get_cookie(s.session_cookie_name).value}, s.etag)


def post(s: Scene) -> Ask:
    return Ask({s.session_cookie_name: s.session_cookie}, s.etag, method="POST")


def head(s: Scene) -> Ask:
    return Ask({s.session_cookie_name: s.session_cookie}, s.etag, method="HEAD")


def untrusted_host(s: Scene) -> Ask:
    return Ask({s.session_cookie_name: s.session_cookie}, s.etag, host="attacker.example")


def the_api(s: Scene) -> Ask:
    return Ask({s.session_cookie_name: s.session_cookie}, s.etag, path="/api/mentoring/sessions")


def poll_path_with_a_slash(s: Scene) -> Ask:
    return Ask({s.session_cookie_name: s.session_cookie}, s.etag, path="{poll}/")


def poll_path_in_another_case(s: Scene) -> Ask:
    return Ask({s.session_cookie_name: s.session_cookie}, s.etag, path="{poll_upper}")


# Each way of asking, and the status both must give; only the first two may skip Flask.
CASES = [
    pytest.param(right_etag, 304, id="right etag"),
    pytest.param(right_etag_with_spaces, 304, id="right etag with spaces"),
    pytest.param(stale_etag, 200, id="stale etag"),
    pytest.param(another_persons_etag, 200, id="another person's etag"),
    pytest.param(garbage_etag, 200, id="garbage etag"),
    pytest.param(weak_form_of_the_right_etag, 200, id="weak etag"),
    pytest.param(two_etags_one_right, 200, id="a list of etags"),
    pytest.param(no_if_none_match, 200, id="no If-None-Match"),
    pytest.param(no_cookie, 302, id="no cookie"),
    pytest.param(tampered_cookie, 302, id="tampered cookie"),
    pytest.param(cookie_signed_with_another_key, 302, id="cookie signed with another key"),
    pytest.param(cookie_naming_nobody, 302, id="cookie naming nobody"),
    pytest.param(login_ended_elsewhere, 302, id="login ended elsewhere"),
    pytest.param(session_cookie_expired, 302, id="session cookie expired"),
    pytest.param(login_past_its_lifetime, 302, id="login past its lifetime"),
    pytest.param(post, 405, id="POST"),
    pytest.param(head, 304, id="HEAD"),
    pytest.param(untrusted_host, 400, id="untrusted host"),
    pytest.param(the_api, 200, id="another path"),
    pytest.param(poll_path_with_a_slash, 404, id="the path with a slash"),
    pytest.param(poll_path_in_another_case, 404, id="the path in capitals"),
]
FAST = {right_etag, right_etag_with_spaces}


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: tuple


# A page's CSRF token is new at each request that has none in its cookie: the one part that may differ.
CSRF_TOKEN = re.compile(rb'(name="csrf_token" type="hidden" value="|"X-CSRFToken": ")[^"]+"')


def answer_of(application, ask: Ask, path: str, browser: dict) -> Answer:
    client = Client(application, Response, use_cookies=False)
    headers = {}
    if ask.cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in ask.cookies.items())
    if ask.etag is not None:
        headers["If-None-Match"] = ask.etag
    response = client.open(
        path, method=ask.method, headers=headers, base_url=f"http://{ask.host}", environ_base=browser
    )
    shown = ("ETag", "Cache-Control", "Vary", "Location", "Content-Type", "Allow")
    return Answer(
        response.status_code,
        CSRF_TOKEN.sub(rb"\1-\"", response.get_data()),
        (
            *((name, response.headers.get(name)) for name in shown),
            ("Set-Cookie", sorted(cookie.split("=", 1)[0] for cookie in response.headers.getlist("Set-Cookie"))),
        ),
    )


@pytest.fixture
def scene(app, client, clock, api_as, mentor, mentee, session_id) -> Scene:
    log_in(client, MENTEE_EMAIL, remember=True)
    names = (app.config["SESSION_COOKIE_NAME"], app.config["REMEMBER_COOKIE_NAME"])
    cookies = {name: client.get_cookie(name).value for name in names}
    return Scene(app, clock, api_as, mentor, mentee, session_id, cookies, tag_of(app, mentee))


@pytest.mark.parametrize(("case", "status"), CASES)
@pytest.mark.parametrize("kind", POLLS)
def test_the_middleware_answers_only_what_the_view_would(app, scene, kind, case, status):
    ask = case(scene)
    polled = poll_path(kind, scene.session_id)
    path = (ask.path or polled).format(poll=polled, poll_upper=polled.upper())
    # The address and user agent the login was made from (Flask-Login keeps a hash of both).
    browser = app.test_client().environ_base
    with requests_flask_saw(app) as seen:
        in_front = answer_of(app, ask, path, browser)
    alone = answer_of(app.wsgi_app.wsgi_app, ask, path, browser)

    assert in_front == alone
    assert in_front.status == status, in_front
    answered_before_flask = not seen
    assert answered_before_flask == (case in FAST)
    if answered_before_flask:
        assert in_front.status == 304 and in_front.body == b""


# Changed: the rows changed since, and nothing else -----------------------------------------


def test_a_changed_poll_brings_only_the_rows_changed_since_the_pages_etag(app, client, clock, api_as, mentor, mentee):
    first, second, third = (book(api_as, mentee, mentor, f"2026-11-{day}T10:00:00Z") for day in (24, 25, 26))
    log_in(client, MENTEE_EMAIL)
    page = client.get("/").get_data(as_text=True)
    assert row_ids(page) == [first, second, third]
    etag = page_etag(page, "/dashboard/changes")

    moved = api_as(mentor).post(
        f"/api/mentoring/session/{second}/reschedule", json={"startsAt": "2026-11-27T10:00:00Z"}
    )
    assert moved.status_code == 200
    response = poll(client, "/dashboard/changes", etag)

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert row_ids(body) == [second]
    assert 'data-starts-at="2026-11-27T10:00:00Z"' in row_of(body, second)
    assert response.headers["ETag"] == tag_of(app, mentee) != etag
    assert response.headers["Cache-Control"] == "no-store"
    # The answer's ETag is the page's from now on.
    assert_unchanged(poll(client, "/dashboard/changes", response.headers["ETag"]), response.headers["ETag"])


@pytest.mark.parametrize("kind", POLLS)
def test_a_change_to_someone_elses_session_leaves_the_poll_unchanged(
    app, client, clock, api_as, people, mentor, mentee, kind
):
    mine = book(api_as, mentee, mentor, "2026-11-23T10:00:00Z")
    theirs = book(api_as, people.make("mentee", "Bea Bystander"), mentor, "2026-11-24T10:00:00Z")
    log_in(client, MENTEE_EMAIL)
    etag = etag_on_page(client, kind, mine)
    before = version_of(app, mentor)
    cancel(api_as, mentor, theirs)
    assert version_of(app, mentor) == before + 1, "the mentor's count moved: is the test right?"
    assert_unchanged(poll(client, poll_path(kind, mine), etag), etag)


def test_a_poll_never_brings_another_persons_session(app, client, clock, api_as, people, mentor, mentee):
    mine = book(api_as, mentee, mentor, "2026-11-24T10:00:00Z")
    bystander = people.make("mentee", "Bea Bystander")
    theirs = book(api_as, bystander, mentor, "2026-11-25T10:00:00Z")
    log_in(client, MENTEE_EMAIL)
    # Asked with the other mentee's own ETag, and from the very start: still only the viewer's sessions.
    for asked in (f'"{bystander}.0"', tag_of(app, bystander), f'"{mentee}.0"'):
        body = poll(client, "/dashboard/changes", asked).get_data(as_text=True)
        assert row_ids(body) == [mine], asked
        assert theirs not in body


def test_a_new_booking_shows_up_in_the_mentors_poll_with_the_awaiting_line(
    app, client, clock, api_as, people, mentor, mentee
):
    log_in(client, MENTOR_EMAIL)
    page = client.get("/").get_data(as_text=True)
    assert awaiting_line(page) == "(hidden)"
    etag = page_etag(page, "/dashboard/changes")

    first = book(api_as, mentee, mentor, "2026-11-24T10:00:00Z", confirm=False)
    response = poll(client, "/dashboard/changes", etag)
    body = response.get_data(as_text=True)
    assert row_ids(body) == [first]
    assert "Awaiting your confirmation" in row_of(body, first)
    assert awaiting_line(body) == "1 session is awaiting your confirmation."

    second = book(api_as, people.make("mentee", "Sam Second"), mentor, "2026-11-25T10:00:00Z", confirm=False)
    body = poll(client, "/dashboard/changes", response.headers["ETag"]).get_data(as_text=True)
    # Only the new row, and the line counts both requests.
    assert row_ids(body) == [second]
    assert awaiting_line(body) == "2 sessions are awaiting your confirmation."


def test_a_mentees_poll_has_no_awaiting_line(client, clock, api_as, mentor, mentee):
    book(api_as, mentee, mentor, confirm=False)
    log_in(client, MENTEE_EMAIL)
    body = poll(client, "/dashboard/changes").get_data(as_text=True)
    assert len(row_ids(body)) == 1
    assert awaiting_line(body) is None


def test_a_cancelled_session_comes_back_with_its_badge_and_without_a_join_control(
    client, clock, api_as, mentor, mentee
):
    session_id = book(api_as, mentee, mentor, "2026-11-23T10:00:00Z")
    log_in(client, MENTEE_EMAIL)
    page = client.get("/").get_data(as_text=True)
    assert has_join_control(row_of(page, session_id)), "it had one: is the test right?"
    etag = page_etag(page, "/dashboard/changes")

    cancel(api_as, mentor, session_id)
    row = row_of(poll(client, "/dashboard/changes", etag).get_data(as_text=True), session_id)

    assert 'data-status="cancelled"' in row
    assert '<span class="badge badge-cancelled">Cancelled</span>' in row
    assert not has_join_control(row)


def test_an_etag_that_is_not_the_viewers_brings_all_their_sessions_not_over_yet(
    app, client, clock, api_as, people, mentor, mentee
):
    over = book(api_as, mentee, mentor, "2026-11-23T10:00:00Z")
    later = book(api_as, mentee, mentor, "2026-11-24T10:00:00Z")
    called_off = book(api_as, mentee, mentor, "2026-11-26T10:00:00Z")
    cancel(api_as, mentee, called_off)
    book(api_as, people.make("mentee", "Bea Bystander"), mentor, "2026-11-25T10:00:00Z")
    clock.move_to(START + timedelta(minutes=61))  # `over` ended at 11:00
    log_in(client, MENTEE_EMAIL)
    for asked in (tag_of(app, mentor), '"garbage"', "W/" + tag_of(app, mentee), None):
        response = poll(client, "/dashboard/changes", asked)
        assert response.status_code == 200, asked
        # Soonest first; the cancelled one too (its row says so); not the one that is over.
        assert row_ids(response.get_data(as_text=True)) == [later, called_off], asked
        assert over not in response.get_data(as_text=True)


@pytest.mark.parametrize("rows", [1, 4])
@pytest.mark.parametrize(("email", "statements"), [(MENTEE_EMAIL, 2), (MENTOR_EMAIL, 3)], ids=["mentee", "mentor"])
def test_a_changed_poll_costs_the_same_few_statements_however_many_rows(
    app, client, clock, api_as, mentor, mentee, rows, email, statements
):
    # The person, their changed sessions with what a row shows, and for a mentor the awaiting count.
    for day in range(rows):
        book(api_as, mentee, mentor, f"2026-11-{24 + day}T10:00:00Z", confirm=day % 2 == 0)
    log_in(client, email)
    with counted_queries(app) as ran:
        response = poll(client, "/dashboard/changes")
    assert len(row_ids(response.get_data(as_text=True))) == rows
    assert len(ran) == statements, ran


def test_a_changed_status_poll_brings_the_fragment_in_its_new_state(
    app, client, clock, api_as, mentor, mentee, session_id
):
    log_in(client, MENTEE_EMAIL)
    etag = etag_on_page(client, "status", session_id)
    cancel(api_as, mentor, session_id)

    response = poll(client, f"/sessions/{session_id}/status", etag)
    assert response.status_code == 200
    assert response.headers["ETag"] == tag_of(app, mentee) != etag
    fragment = fragment_of(response.get_data(as_text=True), session_id)
    assert 'data-join-state="cancelled"' in fragment and "data-final" in fragment
    assert "data-join-link" not in fragment
    # htmx stops polling on a final state, as before.
    assert poll(client, f"/sessions/{session_id}/status", etag, **HTMX).status_code == 286


# Who may poll ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", POLLS)
def test_a_poll_without_a_login_is_sent_to_the_login_page(app, clock, session_id, mentee, kind):
    path = poll_path(kind, session_id)
    # Even with the person's real ETag: it opens nothing without their login.
    response = poll(app.test_client(), path, tag_of(app, mentee))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    assert "ETag" not in response.headers
    assert "session-row" not in response.get_data(as_text=True)
    assert "join-state" not in response.get_data(as_text=True)


def test_a_matching_etag_on_someone_elses_session_tells_nothing_about_that_session(
    app, client, clock, api_as, people, session_id, mentor
):
    outsider = people.make("mentee", "Olly Outsider")
    book(api_as, outsider, mentor, "2026-11-25T10:00:00Z")
    log_in(client, "olly.outsider@example.com")
    etag = tag_of(app, outsider)

    def asked(path, etag=etag):
        response = poll(client, path, etag)
        return response.status_code, response.get_data(), sorted(response.headers.items())

    # The 304 speaks of the outsider's own count only: it is the same for someone else's session as for
    # one that does not exist, and it stays the same when that session changes.
    on_theirs = asked(f"/sessions/{session_id}/status")
    assert on_theirs == asked("/sessions/no-such-session/status")
    assert on_theirs[0] == 304 and on_theirs[1] == b""
    assert dict(on_theirs[2])["ETag"] == etag
    cancel(api_as, mentor, session_id)
    assert asked(f"/sessions/{session_id}/status") == on_theirs
    # The view alone answers the same.
    past = without_middleware(app)
    past.set_cookie(app.config["SESSION_COOKIE_NAME"], client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value)
    assert poll(past, f"/sessions/{session_id}/status", etag).status_code == 304
    # Without If-None-Match the view decides, as it always has.
    assert asked(f"/sessions/{session_id}/status", None)[0] == 403
    assert asked("/sessions/no-such-session/status", None)[0] == 404


# The status fragment: the Join control, and what shows when ---------------------------------


def fragment_of(body: str, session_id: str) -> str:
    match = re.search(
        rf'<div class="join-state[^"]*" id="join-state-{session_id}".*?data-announce></span>\s*</div>', body, re.S
    )
    assert match, f"no status fragment for {session_id}"
    return match.group(0)


def join_control(fragment: str) -> str:
    """The Join control's opening tag."""
    match = re.search(r"<a [^>]*data-join-link[^>]*>", fragment)
    assert match, "no Join control"
    return match.group(0)


def shown_part(fragment: str, text: str) -> bool:
    """Whether the element that begins with `text` shows (is not `hidden`)."""
    match = re.search(rf"<(?:p|span)\b([^<>]*)>{re.escape(text)}", fragment)
    assert match, f"no part says {text!r}"
    return not re.search(r"\shidden\b", match.group(1))


def timed_parts(fragment: str) -> list[tuple[datetime | None, datetime | None, bool]]:
    """Each part that holds for a while: (shown from, shown until, hidden)."""
    parts = []
    for attributes in re.findall(r"<[a-z]+\b([^<>]*\bdata-shown-(?:from|until)=[^<>]*)>", fragment):
        start = re.search(r'data-shown-from="([^"]+)"', attributes)
        end = re.search(r'data-shown-until="([^"]+)"', attributes)
        parts.append((
            datetime.fromisoformat(start.group(1)) if start else None,
            datetime.fromisoformat(end.group(1)) if end else None,
            bool(re.search(r"\shidden\b", attributes)),
        ))
    return parts


def status_fragment(client, session_id: str) -> str:
    response = client.get(f"/sessions/{session_id}/status")
    assert response.status_code == 200
    return fragment_of(response.get_data(as_text=True), session_id)


def test_before_the_window_the_join_control_is_inert_and_names_the_join_door(client, clock, session_id):
    log_in(client, MENTEE_EMAIL)
    fragment = status_fragment(client, session_id)
    control = join_control(fragment)
    assert f'data-href="/sessions/{session_id}/join"' in control
    assert not re.search(r'\shref="', control)
    assert 'role="link"' in control and 'aria-disabled="true"' in control
    assert shown_part(fragment, "Opens in") and not shown_part(fragment, "Join</span>")
    assert shown_part(fragment, "Joining opens at")
    assert not shown_part(fragment, "You can join now.")
    assert not shown_part(fragment, "Session ended")


def test_inside_the_window_the_join_control_is_a_link_to_the_join_door_that_works(client, clock, session_id):
    clock.move_to(START + timedelta(minutes=10))
    log_in(client, MENTEE_EMAIL)
    fragment = status_fragment(client, session_id)
    control = join_control(fragment)
    assert f' href="/sessions/{session_id}/join"' in control
    assert "aria-disabled" not in control and 'role="link"' not in control
    assert shown_part(fragment, "Join</span>") and not shown_part(fragment, "Opens in")
    assert shown_part(fragment, "You can join now. Your session is under way.")
    assert not shown_part(fragment, "Joining opens at")
    assert client.get(f"/sessions/{session_id}/join").status_code == 302


@pytest.mark.parametrize(
    "moment",
    [
        NOW,
        OPENS - timedelta(seconds=1),
        OPENS,
        START,
        START + timedelta(minutes=59, seconds=59),
        START + timedelta(hours=1),
        CLOSES - timedelta(seconds=1),
    ],
    ids=[
        "an hour before", "a second before opening", "at opening", "at the start", "just before the end", "at the end",
        "a second before closing",
    ],
)
def test_the_server_hides_exactly_the_parts_out_of_their_time(client, clock, session_id, moment):
    clock.move_to(moment)
    log_in(client, MENTEE_EMAIL)
    fragment = status_fragment(client, session_id)
    parts = timed_parts(fragment)
    assert len(parts) >= 8, "the clocked parts are missing: is the test right?"
    for start, end, hidden in parts:
        out_of_time = (start is not None and moment < start) or (end is not None and moment >= end)
        assert hidden == out_of_time, (start, end, hidden)
    # The control is a link exactly while the window is open.
    assert bool(re.search(r'\shref="', join_control(fragment))) == (OPENS <= moment < CLOSES)


# The database lost under a poll (PostgreSQL) ----------------------------------------------


# SQLite has no server to lose a connection to.
@ON_POSTGRESQL_ONLY
def test_an_unchanged_poll_that_loses_the_database_is_left_to_flask(
    request, database_url, app, client, clock, session_id
):
    log_in(client, MENTEE_EMAIL)
    etag = etag_on_page(client, "dashboard", session_id)
    with app.app_context():
        pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
        db.session.remove()
    # The server drops the pooled connection, as a restart or a failover would.
    with request.getfixturevalue("postgres_engine").connect() as other:
        assert other.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    with requests_flask_saw(app) as seen:
        response = poll(client, "/dashboard/changes", etag)
    # Flask gets the poll, on a fresh connection: the same 304, never the middleware's crash.
    assert seen == ["/dashboard/changes"]
    assert_unchanged(response, etag)
    with requests_flask_saw(app) as seen:
        assert_unchanged(poll(client, "/dashboard/changes", etag), etag)
    assert seen == []
