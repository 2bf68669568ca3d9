"""Pages that carry a person's own Join links are `Cache-Control: no-store`: the dashboard, the session
page and its status fragment, before the window opens and while it is open, and their polls' answers,
304 or not."""
from datetime import timedelta

import pytest

from tests.support import MENTEE_EMAIL, MENTOR_EMAIL, OPENS

HTMX = {"HX-Request": "true"}


def pages_of(session_id: str) -> dict[str, dict]:
    """Each page, and the headers it is asked for with."""
    return {
        "/": {},
        f"/sessions/{session_id}": {},
        f"/sessions/{session_id}/status": HTMX,
    }


@pytest.mark.parametrize("email", [MENTEE_EMAIL, MENTOR_EMAIL], ids=["mentee", "mentor"])
def test_pages_with_join_links_are_kept_out_of_caches(client, auth, clock, confirmed_with_links, email):
    session_id = confirmed_with_links[0]
    auth.login(email)
    clock.move_to(OPENS + timedelta(minutes=1))
    for path, headers in pages_of(session_id).items():
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        join_link = f'href="/sessions/{session_id}/join"'
        assert join_link in response.get_data(as_text=True), f"{path} shows no Join link: is the test right?"
        assert response.headers.get("Cache-Control") == "no-store", path


def test_the_same_pages_are_no_store_before_the_window_opens(client, auth, clock, confirmed_with_links):
    # Once cached, a page would go on showing no Join link after the window opened.
    session_id = confirmed_with_links[0]
    auth.login(MENTEE_EMAIL)
    clock.move_to(OPENS - timedelta(minutes=10))
    for path, headers in pages_of(session_id).items():
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        assert response.headers.get("Cache-Control") == "no-store", path


def test_an_admin_looking_at_a_session_page_gets_it_no_store(client, auth, clock, confirmed_with_links, people):
    people.make("admin", "Ada Admin")
    auth.login("ada.admin@example.com")
    response = client.get(f"/sessions/{confirmed_with_links[0]}")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") == "no-store"


def test_the_polls_answers_are_no_store_changed_or_not(client, auth, clock, confirmed_with_links):
    # A cached 200 would be replayed to the page as news it already had, and a cached 304 would hide a change.
    session_id = confirmed_with_links[0]
    auth.login(MENTEE_EMAIL)
    for path in ("/dashboard/changes", f"/sessions/{session_id}/status"):
        changed = client.get(path)
        assert changed.status_code == 200, path
        unchanged = client.get(path, headers={"If-None-Match": changed.headers["ETag"]})
        assert unchanged.status_code == 304, path
        assert changed.headers.get("Cache-Control") == unchanged.headers.get("Cache-Control") == "no-store", path
