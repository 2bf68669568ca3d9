"""The logged-in person as every request reads them: one flat row, never the password hash, and
handed over without a second query when the join has already read them."""
import re

import pytest

from meetapp import viewers
from meetapp.domain.scheduling import Role
from meetapp.extensions import db
from meetapp.models import User
from tests.conftest import counted_queries
from tests.web import test_join_proxy
from tests.web.test_join_proxy import attempts
from tests.web.test_join_status import MENTEE_EMAIL, OPENS, book, status

joinable = test_join_proxy.booked  # (id, the mentee's join path, the mentor's join path)

# The dashboard, the status poll and the join read the viewer in their own queries (below).
PAGES = ["/settings/", "/sessions/new"]


@pytest.fixture
def booked(clock, api_as, mentor, mentee) -> str:
    return book(api_as, mentee, mentor)["id"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_read_the_viewer_without_their_password_hash(app, client, auth, clock, booked, path):
    auth.login(MENTEE_EMAIL)
    with counted_queries(app) as statements:
        assert client.get(path).status_code == 200
    viewer_reads = [statement for statement in statements if re.search(r"FROM users\s+WHERE users.id = ", statement)]
    assert len(viewer_reads) == 1, statements
    assert "password_hash" not in viewer_reads[0]


@pytest.mark.parametrize("path", ["/", "status"])
def test_the_dashboard_and_the_status_poll_read_the_viewer_along_without_the_password_hash(
    app, client, auth, clock, booked, path
):
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)
    with counted_queries(app) as statements:
        response = status(client, booked) if path == "status" else client.get(path)
    assert response.status_code == 200
    assert statements and all("users AS viewer" in statement for statement in statements), statements
    assert not any("password_hash" in statement for statement in statements), statements


def test_the_viewer_is_what_pages_need(app, mentee):
    with app.test_request_context("/"):
        viewer = viewers.load(str(mentee))
        assert isinstance(viewer, viewers.Viewer)
        assert (viewer.id, viewer.name, viewer.email, viewer.timezone) == (
            mentee, "Max Mentee", "max.mentee@example.com", "America/New_York"
        )
        assert viewer.role is Role.MENTEE and viewer.is_mentee and not viewer.is_mentor and not viewer.is_admin
        assert viewer.get_id() == str(mentee) and viewer.is_authenticated


def test_as_user_gives_the_orm_user_behind_a_viewer(app, mentee):
    with app.test_request_context("/"):
        user = viewers.as_user(viewers.load(str(mentee)))
        assert isinstance(user, User) and user.id == mentee and user in db.session
        assert viewers.as_user(user) is user


def test_a_prefetched_viewer_is_taken_only_for_their_own_id(app, mentor, mentee):
    with app.test_request_context("/"):
        prefetched = viewers.Viewer(mentee, "Prefetched", "x@example.com", Role.MENTEE, "UTC")
        viewers.prefetch(prefetched)
        with counted_queries(app) as statements:
            assert viewers.load(str(mentee)) is prefetched
        assert statements == []
        with counted_queries(app) as statements:
            other = viewers.load(str(mentor))
        assert other.id == mentor and other.name == "Mona Mentor" and len(statements) == 1


@pytest.mark.parametrize("user_id", ["", "abc", "-1", "²", "1e3", " 2", "2147483648", "99999999999", "0x10"])
def test_anything_but_one_of_our_ids_is_nobody(app, mentee, user_id):
    with app.test_request_context("/"), counted_queries(app) as statements:
        assert viewers.load(user_id) is None
    assert statements == []


def test_an_id_nobody_has_is_nobody(app, mentee):
    with app.test_request_context("/"):
        assert viewers.load(str(mentee + 1000)) is None


def test_a_join_reads_its_viewer_with_the_session_whoever_the_cookie_names(app, client, auth, clock, joinable, people):
    # A stranger's cookie with the mentee's link: the stranger is read in the link's own SELECT, and refused.
    stranger = people.make("mentee", "Nosy Parker")
    _, mentee_path, _ = joinable
    clock.move_to(OPENS)
    auth.login("nosy.parker@example.com")
    client.get("/")
    with counted_queries(app) as statements:
        assert client.get(mentee_path).status_code == 403
    first = statements[0]
    assert first.startswith("SELECT") and "FROM mentoring_sessions" in first and "users AS viewer" in first
    # No query of Flask-Login's own: the only other SELECT is the whole session, for the refusal page.
    assert not any(re.search(r"FROM users\s+WHERE users.id = ", statement) for statement in statements), statements
    assert attempts(app)[-1] == (stranger, "denied", "not_participant")
