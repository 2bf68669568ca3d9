"""`/sessions/<id>/join`, the door the Join control in pages leads to: the contract's join table in the
same order as `/join/<token>`, the attempt log, what revokes it and what does not, its rate limit, and
the addresses that only look like it. The `/join/<token>` links themselves are tests/web/test_join_proxy.py."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from meetapp.domain.notifications import MailKind
from meetapp.extensions import db
from meetapp.models import AttendanceEvent, MentoringSession, OutboxMail
from tests.support import (
    CLOSES,
    MENTEE_EMAIL,
    MENTOR_EMAIL,
    OPENS,
    PASSWORD,
    START,
    attempts,
    counted_queries,
    path_of,
    table_read_by,
)

STRANGER_EMAIL = "eve.eavesdropper@example.com"
# A join link as the API and the mails carry it: a signed token, far longer than any session id.
TOKEN_LINK = re.compile(r"/join/[A-Za-z0-9._-]{20,}")


def door(session_id: str) -> str:
    return f"/sessions/{session_id}/join"


def meeting_room(app, session_id: str) -> str:
    with app.app_context():
        return db.session.get(MentoringSession, session_id).meeting_room


def assert_private(response):
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def join_control(page: str) -> str:
    """The opening tag of the page's Join control."""
    match = re.search(r'<a class="button button-primary button-join"[^>]*>', page)
    assert match, "no Join control"
    return match.group(0)


# The join table, at both doors ------------------------------------------------------


def session_in(state: str, api_as, mentor: int, mentee: int) -> dict:
    """A session at 10:00 UTC in `state`, as the API showed it to the mentee when it was booked."""
    session = api_as(mentee).post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": "2026-11-23T10:00:00Z", "durationMinutes": 60}
    ).json["session"]
    if state in ("confirmed", "cancelled"):
        assert api_as(mentor).post(f"/api/mentoring/session/{session['id']}/confirm").status_code == 200
    if state == "cancelled":
        cancelled = api_as(mentor).post(f"/api/mentoring/session/{session['id']}/cancel", json={"reason": "Unwell"})
        assert cancelled.status_code == 200
    if state == "declined":
        declined = api_as(mentor).post(f"/api/mentoring/session/{session['id']}/decline", json={"reason": "Away"})
        assert declined.status_code == 200
    return session


# (case, the session's state, when, who knocks, the answer, the reason logged)
JOIN_TABLE = [
    ("someone else's session", "confirmed", OPENS, "stranger", 403, "not_participant"),
    # Before anything about the session: a stranger learns nothing of its state.
    ("someone else's cancelled session", "cancelled", OPENS, "stranger", 403, "not_participant"),
    ("someone else's unconfirmed session", "pending", OPENS, "stranger", 403, "not_participant"),
    ("someone else's session, too early", "confirmed", OPENS - timedelta(seconds=1), "stranger", 403, "not_participant"),
    ("cancelled", "cancelled", OPENS, "mentee", 410, "cancelled"),
    ("declined", "declined", OPENS, "mentee", 410, "cancelled"),
    ("not yet confirmed", "pending", OPENS, "mentee", 409, "not_confirmed"),
    ("too early", "confirmed", OPENS - timedelta(seconds=1), "mentee", 200, "too_early"),
    ("after the window", "confirmed", CLOSES, "mentee", 410, "expired"),
    ("allowed", "confirmed", OPENS, "mentee", 302, "in_window"),
    ("allowed, the mentor, in the last second", "confirmed", CLOSES - timedelta(seconds=1), "mentor", 302, "in_window"),
]


@pytest.mark.parametrize("through", ["link", "door"])
@pytest.mark.parametrize(
    ("state", "moment", "knocker", "expected", "reason"),
    [pytest.param(*row[1:], id=row[0]) for row in JOIN_TABLE],
)
def test_each_case_of_the_join_table_is_answered_alike_at_both_doors(
    app, client, auth, clock, api_as, mentor, mentee, people, state, moment, knocker, expected, reason, through
):
    session = session_in(state, api_as, mentor, mentee)
    stranger = people.make("mentee", "Eve Eavesdropper")
    user_id = {"mentee": mentee, "mentor": mentor, "stranger": stranger}[knocker]
    email = {"mentee": MENTEE_EMAIL, "mentor": MENTOR_EMAIL, "stranger": STRANGER_EMAIL}[knocker]
    # At the link door each knocks with their own link; a stranger with one forwarded to them.
    holder = mentor if knocker == "mentor" else mentee
    link = path_of(api_as(holder).get(f"/api/mentoring/session/{session['id']}").json["session"]["joinUrl"])
    clock.move_to(moment)
    auth.login(email)
    logged_before = attempts(app)

    response = client.get(link if through == "link" else door(session["id"]))

    assert response.status_code == expected
    assert_private(response)
    if expected == 302:
        assert response.headers["Location"].startswith(f"https://meet.jit.si/{meeting_room(app, session['id'])}#")
    else:
        assert "Location" not in response.headers
    # One attempt, one row, whichever door.
    outcome = "joined" if expected == 302 else "denied"
    assert attempts(app)[len(logged_before) :] == [(user_id, outcome, reason)]


def test_not_logged_in_goes_to_log_in_and_back_to_the_door(app, client, clock, confirmed_with_links, mentee):
    session_id = confirmed_with_links[0]
    clock.move_to(OPENS)
    response = client.get(door(session_id))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/auth/login?next=/sessions/{session_id}/join"
    assert attempts(app) == [(None, "denied", "unauthenticated")]
    logged_in = client.post("/auth/login", data={"email": MENTEE_EMAIL, "password": PASSWORD, "next": door(session_id)})
    # By a redirect or by the page that leaves the form first (see the next test): either way, to the door.
    assert door(session_id) in (logged_in.headers.get("Location") or logged_in.get_data(as_text=True))
    assert client.get(door(session_id)).status_code == 302
    assert attempts(app)[-1] == (mentee, "joined", "in_window")


def test_logging_in_for_the_door_leaves_the_form_before_going_on_to_the_meeting(client, clock, confirmed_with_links):
    session_id = confirmed_with_links[0]
    clock.move_to(OPENS)
    logged_in = client.post(
        f"/auth/login?next={door(session_id)}",
        data={"email": MENTEE_EMAIL, "password": PASSWORD, "next": door(session_id)},
    )
    assert logged_in.status_code == 200
    assert f'<meta http-equiv="refresh" content="0; url={door(session_id)}">' in logged_in.get_data(as_text=True)


def anonymous_rows(app) -> list[str | None]:
    """The addresses of the logged attempts by someone not logged in, oldest first."""
    with app.app_context():
        return db.session.scalars(
            sa.select(AttendanceEvent.address).where(AttendanceEvent.user_id.is_(None)).order_by(AttendanceEvent.id)
        ).all()


def test_anonymous_knocks_are_logged_once_a_minute_per_address(app, client, clock, confirmed_with_links):
    session_id = confirmed_with_links[0]

    def knock(address):
        assert client.get(door(session_id), environ_base={"REMOTE_ADDR": address}).status_code == 302

    for _ in range(5):
        knock("203.0.113.8")
    knock("198.51.100.8")
    assert anonymous_rows(app) == ["203.0.113.8", "198.51.100.8"]
    clock.shift(59)
    knock("203.0.113.8")
    assert len(anonymous_rows(app)) == 2
    clock.shift(2)
    knock("203.0.113.8")
    assert anonymous_rows(app) == ["203.0.113.8", "198.51.100.8", "203.0.113.8"]


def test_not_logged_in_an_unknown_session_is_sent_to_log_in_too_and_logs_nothing(app, client, clock):
    response = client.get(door("nO-sUch-sEssion1"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=/sessions/nO-sUch-sEssion1/join"
    assert attempts(app) == []


@pytest.mark.parametrize(
    "session_id",
    ["nO-sUch-sEssion1", "x" * 600, "%C3%BC", "1'--", "1%20OR%201=1"],
    ids=["unknown", "huge", "non-ascii", "quote", "sql"],
)
def test_an_unknown_or_malformed_session_is_404_and_says_nothing(
    app, client, auth, clock, confirmed_with_links, session_id
):
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    response = client.get(door(session_id))
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "<title>Session not found · meetapp</title>" in page
    assert "There is no session at this address." in page
    assert "Mona Mentor" not in page and "Standard" not in page
    assert_private(response)
    # No session to log it against.
    assert attempts(app) == []


@pytest.mark.parametrize("session_id", ["%00", "abc%00def"], ids=["nul", "inner nul"])
def test_a_session_id_with_a_nul_is_404_and_says_nothing(app, client, auth, clock, confirmed_with_links, session_id):
    # No id has a NUL (and PostgreSQL would refuse one in a query): the door's own 404, on both databases.
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    response = client.get(door(session_id))
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Session not found" in page
    assert "Mona Mentor" not in page and "Standard" not in page
    assert attempts(app) == []


def test_the_real_id_in_other_letter_case_is_another_session(client, auth, clock, confirmed_with_links):
    session_id = confirmed_with_links[0]
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    assert client.get(door(session_id.swapcase())).status_code == 404


def test_someone_elses_session_is_403_and_says_nothing_about_it(app, client, auth, clock, confirmed_with_links, people):
    session_id = confirmed_with_links[0]
    people.make("mentee", "Eve Eavesdropper")
    clock.move_to(OPENS)
    auth.login(STRANGER_EMAIL)
    response = client.get(door(session_id))
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "<title>Not your session · meetapp</title>" in page
    assert "This session is not one of yours. You are logged in as <strong>Eve Eavesdropper</strong>" in page
    for detail in ("Mona Mentor", "Max Mentee", "Standard", "05:00", "10:00", f"/sessions/{session_id}\""):
        assert detail not in page, detail
    assert meeting_room(app, session_id) not in page


def test_a_cancelled_session_is_410_and_says_who_cancelled_and_why(
    app, client, auth, clock, confirmed_with_links, api_as, mentor
):
    session_id = confirmed_with_links[0]
    api_as(mentor).post(f"/api/mentoring/session/{session_id}/cancel", json={"reason": "Unwell <b>today</b>"})
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    response = client.get(door(session_id))
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "<title>Session cancelled · meetapp</title>" in page
    assert "was cancelled by Mona Mentor" in page
    assert "Unwell &lt;b&gt;today&lt;/b&gt;" in page


def test_a_declined_request_is_410_request_declined(client, auth, clock, api_as, mentor, mentee):
    session = session_in("declined", api_as, mentor, mentee)
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    response = client.get(door(session["id"]))
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "<title>Request declined · meetapp</title>" in page
    assert "This request was declined by Mona Mentor" in page


def test_a_session_not_yet_confirmed_is_409(client, auth, clock, api_as, mentor, mentee):
    session = session_in("pending", api_as, mentor, mentee)
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    response = client.get(door(session["id"]))
    assert response.status_code == 409
    assert "Mona Mentor has not confirmed this session yet." in response.get_data(as_text=True)
    auth.logout()
    auth.login(MENTOR_EMAIL)
    response = client.get(door(session["id"]))
    assert response.status_code == 409
    assert "You have not confirmed this session yet." in response.get_data(as_text=True)


def test_too_early_is_the_waiting_page_whose_join_control_is_the_inert_door(
    app, client, auth, clock, confirmed_with_links
):
    session_id = confirmed_with_links[0]
    clock.move_to(OPENS - timedelta(seconds=1))
    auth.login(MENTEE_EMAIL)
    response = client.get(door(session_id))
    assert response.status_code == 200
    assert_private(response)
    page = response.get_data(as_text=True)
    assert "<title>Waiting to join · meetapp</title>" in page
    control = join_control(page)
    assert f'data-href="/sessions/{session_id}/join"' in control
    assert 'role="link" aria-disabled="true"' in control and " href=" not in control
    # 09:45 UTC is 04:45 in the mentee's New York.
    assert 'Joining opens at <time datetime="2026-11-23T09:45:00Z">04:45</time> (your time).' in page
    assert TOKEN_LINK.search(page) is None
    assert meeting_room(app, session_id) not in page


def test_at_the_end_of_the_window_the_door_says_session_ended(client, auth, clock, confirmed_with_links):
    session_id = confirmed_with_links[0]
    clock.move_to(CLOSES)
    auth.login(MENTEE_EMAIL)
    response = client.get(door(session_id))
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "<title>Session ended · meetapp</title>" in page
    # 11:30 UTC is 06:30 in New York.
    assert "This session has ended; joining closed at 06:30." in page


def test_allowed_goes_to_the_meeting_and_the_answer_names_it_only_in_its_location(
    app, client, auth, clock, confirmed_with_links
):
    session_id = confirmed_with_links[0]
    clock.move_to(START)
    auth.login(MENTEE_EMAIL)
    response = client.get(door(session_id))
    assert response.status_code == 302
    room = meeting_room(app, session_id)
    assert response.headers["Location"].startswith(f"https://meet.jit.si/{room}#")
    assert "userInfo.displayName=%22Max%20Mentee%22" in response.headers["Location"]
    assert response.get_data() == b""
    assert_private(response)
    assert all(room not in value for name, value in response.headers.items() if name != "Location")


def test_a_join_at_the_door_costs_what_a_join_by_link_costs(app, client, auth, clock, confirmed_with_links):
    # The login's person, the session with both people and its type, then the log row: the same three
    # statements as /join/<token> (tests/web/test_join_proxy.py).
    session_id = confirmed_with_links[0]
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    client.get("/")
    with counted_queries(app) as statements:
        assert client.get(door(session_id)).status_code == 302
    kinds = [statement.split(None, 1)[0].upper() for statement in statements]
    assert kinds == ["SELECT", "SELECT", "INSERT"], statements
    assert [table_read_by(statement) for statement in statements[:2]] == ["users", "mentoring_sessions"]
    assert "attendance_events" in statements[2]


# What revokes it, and what does not ---------------------------------------------------
#
# The door names the session and asks the login cookie who knocks: moving the session or giving it a new
# meeting link revokes every link mailed before, but the participant is still a participant.


def test_after_a_move_the_door_follows_the_new_time_and_the_old_link_is_gone(
    app, client, auth, clock, confirmed_with_links, api_as, mentor, mentee
):
    session_id, old_link, _ = confirmed_with_links
    # The mentor moves it half an hour later, so it stays confirmed: joining now opens at 10:15.
    moved = api_as(mentor).post(f"/api/mentoring/session/{session_id}/reschedule", json={"startsAt": "2026-11-23T10:30:00Z"})
    assert moved.status_code == 200
    auth.login(MENTEE_EMAIL)
    clock.move_to(OPENS)
    assert client.get(door(session_id)).status_code == 200  # the old window has opened, the new one not yet
    clock.move_to(OPENS + timedelta(minutes=30))
    assert client.get(door(session_id)).status_code == 302
    assert client.get(old_link).status_code == 404
    assert attempts(app)[-3:] == [
        (mentee, "denied", "too_early"),
        (mentee, "joined", "in_window"),
        (mentee, "denied", "revoked_link"),
    ]


def test_after_a_new_meeting_link_the_door_leads_to_the_new_room_and_the_old_link_is_gone(
    app, client, auth, clock, confirmed_with_links, api_as, mentor
):
    session_id, old_link, _ = confirmed_with_links
    old_room = meeting_room(app, session_id)
    assert api_as(mentor).post(f"/api/mentoring/session/{session_id}/generate-link").status_code == 200
    new_room = meeting_room(app, session_id)
    assert new_room != old_room
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    response = client.get(door(session_id))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"https://meet.jit.si/{new_room}#")
    assert client.get(old_link).status_code == 404


def test_after_a_cancellation_the_door_says_410(app, client, auth, clock, confirmed_with_links, api_as, mentee):
    session_id = confirmed_with_links[0]
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    assert client.get(door(session_id)).status_code == 302
    api_as(mentee).post(f"/api/mentoring/session/{session_id}/cancel", json={"reason": "Found another time"})
    response = client.get(door(session_id))
    assert response.status_code == 410
    assert "was cancelled by Max Mentee (you)" in response.get_data(as_text=True)
    assert attempts(app)[-1] == (mentee, "denied", "cancelled")


# The rate limit on refusals -------------------------------------------------------------


@pytest.fixture
def two_refusals(app):
    app.config["JOIN_DENIED_RATE_LIMIT"] = "2 per minute"
    return app


def knock(client, path: str, address: str):
    return client.get(path, environ_base={"REMOTE_ADDR": address})


def test_over_the_limit_a_refusal_at_the_door_is_429_and_writes_nothing(
    two_refusals, client, auth, clock, confirmed_with_links, people
):
    session_id = confirmed_with_links[0]
    people.make("mentee", "Eve Eavesdropper")
    clock.move_to(OPENS)
    auth.login(STRANGER_EMAIL)
    assert [knock(client, door(session_id), "203.0.113.1").status_code for _ in range(2)] == [403, 403]
    logged = attempts(two_refusals)
    response = knock(client, door(session_id), "203.0.113.1")
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert "Too many attempts" in response.get_data(as_text=True)
    assert attempts(two_refusals) == logged
    # The count is per address.
    assert knock(client, door(session_id), "198.51.100.1").status_code == 403


def test_unknown_sessions_and_anonymous_knocks_count_too(two_refusals, client, auth, clock, confirmed_with_links):
    session_id = confirmed_with_links[0]
    assert [knock(client, door(session_id), "203.0.113.5").status_code for _ in range(3)] == [302, 302, 429]
    auth.login(MENTEE_EMAIL)
    statuses = [knock(client, door("nO-sUch-sEssion1"), "198.51.100.5").status_code for _ in range(3)]
    assert statuses == [404, 404, 429]


def test_the_door_and_the_links_share_one_count(two_refusals, client, auth, clock, confirmed_with_links):
    session_id = confirmed_with_links[0]
    auth.login(MENTEE_EMAIL)
    assert [knock(client, "/join/broken-link", "203.0.113.4").status_code for _ in range(2)] == [404, 404]
    assert knock(client, door(session_id), "203.0.113.4").status_code == 429  # too early: a refusal
    assert [knock(client, door(session_id), "198.51.100.4").status_code for _ in range(2)] == [200, 200]
    assert knock(client, "/join/broken-link", "198.51.100.4").status_code == 429


def test_an_address_over_the_limit_still_lets_its_participant_in_at_the_door(
    two_refusals, client, auth, clock, confirmed_with_links, mentee
):
    session_id = confirmed_with_links[0]
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    assert [knock(client, door("broken"), "203.0.113.2").status_code for _ in range(3)] == [404, 404, 429]
    response = knock(client, door(session_id), "203.0.113.2")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://meet.jit.si/")
    assert attempts(two_refusals)[-1] == (mentee, "joined", "in_window")


# No page hands out a join link any more; the mails and the API still do ---------------


@pytest.mark.parametrize("moment", [START - timedelta(hours=1), OPENS], ids=["too early", "open"])
@pytest.mark.parametrize("email", [MENTEE_EMAIL, MENTOR_EMAIL])
def test_no_page_carries_a_join_link_only_the_door(client, auth, clock, confirmed_with_links, moment, email):
    session_id = confirmed_with_links[0]
    clock.move_to(moment)
    auth.login(email)
    pages = {
        "dashboard": client.get("/"),
        "dashboard poll": client.get("/dashboard/changes"),
        "session page": client.get(f"/sessions/{session_id}"),
        "session panel": client.get(f"/sessions/{session_id}", headers={"HX-Request": "true"}),
        "status fragment": client.get(f"/sessions/{session_id}/status"),
    }
    if moment < OPENS:
        pages["waiting page"] = client.get(door(session_id))
    for name, response in pages.items():
        assert response.status_code == 200, name
        page = response.get_data(as_text=True)
        assert TOKEN_LINK.search(page) is None, f"the {name} carries a join link"
        assert f'data-href="/sessions/{session_id}/join"' in page, f"the {name} has no Join control"


def test_the_api_and_the_mails_still_carry_long_lived_join_links(
    app, client, auth, clock, confirmed_with_links, api_as, mentee
):
    session_id = confirmed_with_links[0]
    api_link = path_of(api_as(mentee).get(f"/api/mentoring/session/{session_id}").json["session"]["joinUrl"])
    assert TOKEN_LINK.fullmatch(api_link)
    with app.app_context():
        mail = db.session.scalar(
            sa.select(OutboxMail).where(
                OutboxMail.session_id == session_id,
                OutboxMail.recipient_id == mentee,
                OutboxMail.kind == MailKind.CONFIRMATION,
            )
        )
        text, html, ics = mail.text_body, mail.html_body, mail.ics
    mailed_link = TOKEN_LINK.search(text).group(0)
    assert f'href="http://127.0.0.1:5000{mailed_link}"' in html
    assert mailed_link in ics.replace("\r\n ", "")
    # Long-lived: in the window, the link mailed an hour before still lets the mentee in.
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    assert client.get(mailed_link).status_code == 302


# Other methods, and addresses that only look like the door ----------------------------


def test_head_is_answered_as_get_is(app, client, auth, clock, confirmed_with_links, mentee):
    session_id = confirmed_with_links[0]
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    response = client.head(door(session_id))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://meet.jit.si/")
    assert_private(response)
    assert attempts(app)[-1] == (mentee, "joined", "in_window")


def test_post_is_405_and_logs_nothing(app, client, auth, clock, confirmed_with_links):
    session_id = confirmed_with_links[0]
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    response = client.post(door(session_id))
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert "Location" not in response.headers
    assert attempts(app) == []


@pytest.mark.parametrize(
    "path",
    ["/sessions/{id}/join/", "/sessions/{id}//join", "/sessions/{id}/JOIN", "/sessions/{id}/join.json", "/sessions/{id}/joi"],
    ids=["trailing slash", "doubled slash", "capitals", "extension", "truncated"],
)
def test_a_look_alike_of_the_door_is_404_and_logs_nothing(app, client, auth, clock, confirmed_with_links, path):
    session_id = confirmed_with_links[0]
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    response = client.get(path.format(id=session_id))
    assert response.status_code == 404
    assert "Location" not in response.headers
    assert attempts(app) == []


def test_the_door_without_an_id_is_merged_into_a_session_page_that_does_not_exist(
    app, client, auth, clock, confirmed_with_links
):
    # `/sessions//join` is no door (it has merge_slashes off); Werkzeug merges it into the address of
    # the session page for a session called "join", which there is none of.
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    response = client.get("/sessions//join")
    assert response.status_code == 308
    assert response.headers["Location"] in ("/sessions/join", "http://localhost/sessions/join")
    assert client.get("/sessions/join").status_code == 404
    assert attempts(app) == []


def test_an_encoded_slash_is_the_door_itself(app, client, auth, clock, confirmed_with_links, people):
    # WSGI servers decode the path before routing (PEP 3333: PATH_INFO is decoded), so `%2F` is a slash
    # and this is the door, with the door's checks: only its participant gets in.
    session_id = confirmed_with_links[0]
    people.make("mentee", "Eve Eavesdropper")
    clock.move_to(OPENS)
    auth.login(STRANGER_EMAIL)
    assert client.get(f"/sessions/{session_id}%2Fjoin").status_code == 403
    auth.logout()
    auth.login(MENTEE_EMAIL)
    assert client.get(f"/sessions/{session_id}%2Fjoin").status_code == 302
