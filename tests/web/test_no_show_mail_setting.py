"""The admins' opt-in to the no-show mails: a checkbox on the settings page, for admins only, saved
with its CSRF token like the other settings forms."""
import re

import pytest

from meetapp.extensions import db
from meetapp.models import User
from meetapp.services.accounts import create_user
from tests.support import MENTEE_EMAIL, MENTOR_EMAIL, PASSWORD

ADMIN_EMAIL = "ada.admin@example.com"
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def opted_in(app, user_id: int) -> bool:
    with app.app_context():
        return db.session.get(User, user_id).mail_no_shows


def test_an_admin_opts_in_and_out(app, client, auth, people):
    admin = people.make("admin", "Ada Admin")
    auth.login(ADMIN_EMAIL)
    page = client.get("/settings/").get_data(as_text=True)
    assert 'action="/settings/no-show-mail"' in page
    assert re.search(r'<input id="mail_no_shows" name="mail_no_shows" type="checkbox" value="y">', page)
    assert not opted_in(app, admin)

    response = client.post("/settings/no-show-mail", data={"mail_no_shows": "y"})
    assert (response.status_code, response.headers["Location"]) == (302, "/settings/")
    assert opted_in(app, admin)
    page = client.get("/settings/").get_data(as_text=True)
    assert "Saved. You will be mailed each no-show." in page
    assert re.search(r'<input checked id="mail_no_shows" name="mail_no_shows" type="checkbox" value="y">', page)

    # An unticked box is not sent at all: that is opting out.
    assert client.post("/settings/no-show-mail", data={}).status_code == 302
    assert not opted_in(app, admin)
    assert "Saved. You will not be mailed about no-shows." in client.get("/settings/").get_data(as_text=True)


@pytest.mark.parametrize("email", [MENTOR_EMAIL, MENTEE_EMAIL])
def test_mentors_and_mentees_neither_see_nor_send_it(app, client, auth, mentor, mentee, email):
    auth.login(email)
    assert "no-show-mail" not in client.get("/settings/").get_data(as_text=True)
    assert client.post("/settings/no-show-mail", data={"mail_no_shows": "y"}).status_code == 403
    assert not opted_in(app, mentor) and not opted_in(app, mentee)


def test_logged_out_it_asks_for_a_login(client):
    response = client.post("/settings/no-show-mail", data={"mail_no_shows": "y"})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_opt_in_needs_its_csrf_token(csrf_app):
    with csrf_app.app_context():
        admin = create_user(email=ADMIN_EMAIL, name="Ada Admin", role="admin", password=PASSWORD).id
    client = csrf_app.test_client()
    token = CSRF_INPUT.search(client.get("/auth/login").get_data(as_text=True)).group(1)
    client.post("/auth/login", data={"email": ADMIN_EMAIL, "password": PASSWORD, "csrf_token": token})

    assert client.post("/settings/no-show-mail", data={"mail_no_shows": "y"}).status_code == 400
    assert not opted_in(csrf_app, admin)

    token = CSRF_INPUT.search(client.get("/settings/").get_data(as_text=True)).group(1)
    response = client.post("/settings/no-show-mail", data={"mail_no_shows": "y", "csrf_token": token})
    assert response.status_code == 302
    assert opted_in(csrf_app, admin)
