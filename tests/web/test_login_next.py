"""A join link that sends someone to log in says which session it is for, and only a genuine, current
link does: anyone else learns nothing from the login page (issue 20, item 14)."""
import re
from urllib.parse import quote

import pytest

from tests.support import MENTEE_EMAIL, PASSWORD, counted_queries

NAMES = ("Mona Mentor", "Max Mentee", "Standard")


def heading(page: str) -> str:
    return re.search(r'<h1 id="login-title">(.*?)</h1>', page, re.S).group(1)


def login_page_via(client, join_path: str) -> str:
    """Open `join_path` logged out and follow it to the login page."""
    response = client.get(join_path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/auth/login?next={quote(join_path)}"
    return client.get(response.headers["Location"]).get_data(as_text=True)


def assert_says_nothing(page: str) -> None:
    assert heading(page) == "Log in"
    for name in NAMES:
        assert name not in page


def tampered(path: str) -> str:
    """The link with the first character of its token changed: every bit of it counts."""
    prefix, token = path.rsplit("/", 1)
    return f"{prefix}/{'B' if token[0] == 'A' else 'A'}{token[1:]}"


def test_a_join_link_names_the_session_for_its_participant(client, confirmed_with_links):
    _session_id, mentee_path, mentor_path = confirmed_with_links
    assert heading(login_page_via(client, mentee_path)) == "Log in to join <em>Standard with Mona Mentor</em>"
    assert heading(login_page_via(client, mentor_path)) == "Log in to join <em>Standard with Max Mentee</em>"


def test_after_logging_in_the_link_still_leads_on_to_the_session(client, confirmed_with_links):
    _session_id, mentee_path, _mentor_path = confirmed_with_links
    login_page_via(client, mentee_path)
    response = client.post("/auth/login", data={"email": MENTEE_EMAIL, "password": PASSWORD, "next": mentee_path})
    assert response.status_code == 200
    assert f'content="0; url={mentee_path}"' in response.get_data(as_text=True)


def test_a_wrong_password_keeps_the_session_named(client, confirmed_with_links):
    _session_id, mentee_path, _mentor_path = confirmed_with_links
    page = client.post(
        "/auth/login", data={"email": MENTEE_EMAIL, "password": "not it", "next": mentee_path}
    ).get_data(as_text=True)
    assert heading(page) == "Log in to join <em>Standard with Mona Mentor</em>"
    assert "Wrong email or password." in page


def test_a_tampered_link_names_nothing_and_reads_nothing(app, client, confirmed_with_links):
    _session_id, mentee_path, _mentor_path = confirmed_with_links
    with counted_queries(app) as statements:
        page = client.get(f"/auth/login?next={quote(tampered(mentee_path))}").get_data(as_text=True)
    assert_says_nothing(page)
    assert statements == [], "a link whose signature fails costs no query"


@pytest.mark.parametrize("path", ["/join/not-a-real-token", "/join/", "/join/" + "x" * 600])
def test_a_made_up_link_names_nothing(client, confirmed_with_links, path):
    assert_says_nothing(client.get(f"/auth/login?next={quote(path)}").get_data(as_text=True))


def test_a_revoked_link_names_nothing(client, as_mentee, confirmed_with_links):
    session_id, mentee_path, _mentor_path = confirmed_with_links
    # Rescheduling bumps the link version: the old link is revoked.
    moved = as_mentee.post(f"/api/mentoring/session/{session_id}/reschedule", json={"startsAt": "2026-11-25T10:00:00Z"})
    assert moved.status_code == 200
    assert_says_nothing(login_page_via(client, mentee_path))


def test_a_cancelled_sessions_link_names_nothing(client, as_mentee, confirmed_with_links):
    session_id, mentee_path, _mentor_path = confirmed_with_links
    assert as_mentee.post(f"/api/mentoring/session/{session_id}/cancel", json={}).status_code == 200
    assert_says_nothing(login_page_via(client, mentee_path))


@pytest.mark.parametrize("make_next", [lambda path: "/sessions/" + path.rsplit("/", 1)[1],
                                       lambda path: "//evil.example" + path,
                                       lambda path: "https://evil.example" + path])
def test_another_next_names_nothing(client, confirmed_with_links, make_next):
    _session_id, mentee_path, _mentor_path = confirmed_with_links
    page = client.get(f"/auth/login?next={quote(make_next(mentee_path))}").get_data(as_text=True)
    assert_says_nothing(page)
    # The guard on `next` is unchanged: a path on this site is kept, anything else is dropped.
    kept = re.search(r'<input id="next" name="next" type="hidden" value="([^"]*)">', page).group(1)
    assert kept in ("", make_next(mentee_path)) and not kept.startswith(("//", "https:"))


def test_a_plain_login_page_says_log_in(client):
    assert heading(client.get("/auth/login").get_data(as_text=True)) == "Log in"
