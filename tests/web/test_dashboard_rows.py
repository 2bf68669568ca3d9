"""The dashboard remembers each row's HTML while the clock leaves it as it is, and never shows a row older than
what it is made of."""
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa
from flask import template_rendered

from meetapp.extensions import db
from meetapp.models import SessionType, User
from meetapp.services import booking
from tests.conftest import NOW
from tests.web.test_session_pages import MENTEE_EMAIL, MENTOR_EMAIL, TOMORROW_15_UTC, book


@contextmanager
def rows_rendered(app):
    """How many dashboard rows Jinja renders inside the block."""
    seen = []

    def record(sender, template, context, **extra):
        if template.name == "dashboard/_session_row.html":
            seen.append(context["session"].id)

    template_rendered.connect(record, app)
    try:
        yield seen
    finally:
        template_rendered.disconnect(record, app)


def dashboard(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def confirm(app, session_id: str, mentor_id: int) -> None:
    with app.app_context():
        booking.confirm_session(booking.find_session(session_id), user=db.session.get(User, mentor_id), now=NOW)


def test_a_row_is_rendered_again_only_when_what_it_shows_changes(app, client, auth, clock, mentor, mentee):
    near = book(app, mentee, mentor)  # tomorrow: the countdown shows hours, minutes and seconds
    far = book(app, mentee, mentor, starts_at=TOMORROW_15_UTC + timedelta(days=4))  # "Opens in 4 days"
    pending = book(app, mentee, mentor, starts_at=TOMORROW_15_UTC + timedelta(hours=3))  # no countdown
    confirm(app, near, mentor)
    confirm(app, far, mentor)
    auth.login(MENTEE_EMAIL)
    with rows_rendered(app) as first:
        page = dashboard(client)
    assert sorted(first) == sorted([near, far, pending])
    with rows_rendered(app) as again:
        assert dashboard(client) == page
    assert again == []

    clock.shift(1)
    with rows_rendered(app) as next_second:
        dashboard(client)
    assert next_second == [near], "only the countdown that shows seconds moved on"

    clock.shift(3600)
    with rows_rendered(app) as an_hour_later:
        dashboard(client)
    assert an_hour_later == [near], "four days away, and waiting for confirmation, read the same an hour later"


def test_a_row_reused_until_its_opening_turns_into_join_at_that_moment(app, client, auth, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    confirm(app, session_id, mentor)
    auth.login(MENTEE_EMAIL)
    opens = TOMORROW_15_UTC - timedelta(minutes=15)
    clock.move_to(opens - timedelta(seconds=1))
    assert "Opens in <span class=\"join-countdown\" data-countdown-text>00:01</span>" in dashboard(client)
    clock.move_to(opens - timedelta(microseconds=1))
    with rows_rendered(app) as just_before:
        assert "data-join-link" not in dashboard(client)
    assert just_before == []
    clock.move_to(opens)
    with rows_rendered(app) as at_opening:
        assert "data-join-link" in dashboard(client)
    assert at_opening == [session_id]


def test_time_going_back_is_not_served_a_later_rendering(app, client, auth, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    confirm(app, session_id, mentor)
    auth.login(MENTEE_EMAIL)
    opens = TOMORROW_15_UTC - timedelta(minutes=15)
    clock.move_to(opens)
    assert "data-join-link" in dashboard(client)
    clock.move_to(opens - timedelta(minutes=1))
    auth.login(MENTEE_EMAIL)  # the login cookie from the later moment is not valid yet
    assert "data-join-link" not in dashboard(client)


def test_a_change_to_the_session_shows_at_once(app, client, auth, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTEE_EMAIL)
    assert "badge-pending" in dashboard(client)
    with app.app_context():
        session = booking.find_session(session_id)
        booking.confirm_session(session, user=db.session.get(User, mentor), now=NOW)
    page = dashboard(client)
    assert "badge-confirmed" in page and "badge-pending" not in page


def test_a_renamed_person_or_session_type_shows_at_once(app, client, auth, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    with app.app_context():
        booking.confirm_session(booking.find_session(session_id), user=db.session.get(User, mentor), now=NOW)
    auth.login(MENTEE_EMAIL)
    page = dashboard(client)
    assert "Standard with Mona Mentor" in page and "Joining opens on Tue 24 Nov at 09:45" in page
    with app.app_context():
        db.session.get(User, mentor).name = "Mona Renamed"
        db.session.commit()
    assert "Standard with Mona Renamed" in dashboard(client)
    with app.app_context():
        db.session.execute(sa.update(SessionType).where(SessionType.name == "Standard").values(early_access_minutes=40))
        db.session.commit()
    # The window now opens at 14:20 UTC tomorrow, 09:20 in New York: the row says so in the same second.
    assert "Joining opens on Tue 24 Nov at 09:20" in dashboard(client)


def test_each_viewer_and_time_zone_gets_their_own_row(app, client, auth, clock, mentor, mentee):
    book(app, mentee, mentor)
    auth.login(MENTEE_EMAIL)
    assert "Standard with Mona Mentor" in dashboard(client)
    auth.logout()
    auth.login(MENTOR_EMAIL)
    page = dashboard(client)
    assert "Standard with Max Mentee" in page and "Standard with Mona Mentor" not in page
    assert "16:00" in page, "the mentor reads Berlin time"
