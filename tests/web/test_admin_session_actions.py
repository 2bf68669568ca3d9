"""Admins act on a session through the same services as its people, from its page: they may cancel it
(with a reason, told as meetapp support's) and give it a new link, and each action is logged with it."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from meetapp.extensions import db
from meetapp.models import AdminAction, MentoringSession, OutboxMail, User
from meetapp.services import booking
from tests.support import MENTEE_EMAIL, NOW

HTMX = {"HX-Request": "true"}
ADMIN_EMAIL = "ada.admin@example.com"
TOMORROW_15_UTC = NOW.replace(hour=15) + timedelta(days=1)


@pytest.fixture
def admin(people):
    return people.make("admin", "Ada Admin", email=ADMIN_EMAIL)


@pytest.fixture
def session_id(app, clock, mentor, mentee):
    with app.app_context():
        session = booking.book_session(
            mentee=db.session.get(User, mentee), mentor_id=mentor, starts_at=TOMORROW_15_UTC, duration_minutes=60, now=NOW
        )
        booking.confirm_session(session, user=db.session.get(User, mentor), now=NOW)
        return session.id


def stored(app, session_id: str) -> MentoringSession:
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        db.session.expunge(session)
        return session


def admin_log(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(AdminAction.admin_id, AdminAction.action, AdminAction.subject, AdminAction.at, AdminAction.detail)
        )
        return [tuple(row) for row in rows]


def test_an_admin_sees_cancel_and_new_link_and_nothing_else(client, auth, app, admin, session_id):
    auth.login(ADMIN_EMAIL)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert f'action="/sessions/{session_id}/cancel"' in page
    assert f'action="/sessions/{session_id}/new-link"' in page
    assert "Reason (both people read it, from meetapp support)" in page
    for action in ("confirm", "decline", "reschedule"):
        assert f'action="/sessions/{session_id}/{action}"' not in page


def test_an_admin_cancels_with_a_reason_and_it_is_logged(client, auth, app, admin, mentor, mentee, session_id):
    auth.login(ADMIN_EMAIL)
    response = client.post(f"/sessions/{session_id}/cancel", data={"reason": "Reported by both."})
    assert response.status_code == 302
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "Session cancelled. Both people have been told, as by meetapp support." in page
    # Admins see which admin it was.
    assert "Cancelled by Ada Admin (you) on" in page
    saved = stored(app, session_id)
    assert (saved.status.value, saved.cancel_reason, saved.cancelled_by_id) == ("cancelled", "Reported by both.", admin)
    assert admin_log(app) == [(admin, "session.cancel", f"session:{session_id}", NOW, "Reported by both.")]
    with app.app_context():
        recipients = db.session.scalars(
            sa.select(OutboxMail.recipient_id).where(OutboxMail.session_id == session_id, OutboxMail.kind == "cancellation")
        )
        assert set(recipients) == {mentor, mentee}


def test_the_people_read_that_meetapp_support_cancelled(client, auth, app, admin, session_id):
    auth.login(ADMIN_EMAIL)
    client.post(f"/sessions/{session_id}/cancel", data={"reason": "Reported by both."})
    auth.logout()
    auth.login(MENTEE_EMAIL)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "Cancelled by meetapp support on" in page
    assert "Reported by both." in page
    assert "Ada Admin" not in page


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_admin_must_say_why_and_nothing_changes_without(client, auth, app, admin, session_id, reason):
    auth.login(ADMIN_EMAIL)
    response = client.post(f"/sessions/{session_id}/cancel", data={"reason": reason}, headers=HTMX)
    assert response.status_code == 400
    assert "Say why the session is cancelled: both people read it." in response.get_data(as_text=True)
    assert stored(app, session_id).status.value == "confirmed"
    assert admin_log(app) == []


def test_an_admin_makes_a_new_link_and_it_is_logged(client, auth, app, admin, session_id):
    before = stored(app, session_id)
    auth.login(ADMIN_EMAIL)
    response = client.post(f"/sessions/{session_id}/new-link", headers=HTMX)
    assert response.status_code == 200
    assert "The meeting has a new link" in response.get_data(as_text=True)
    after = stored(app, session_id)
    assert after.link_version == before.link_version + 1
    assert admin_log(app) == [(admin, "session.new_link", f"session:{session_id}", NOW, None)]


def test_a_participants_actions_are_not_in_the_admin_log(client, auth, app, admin, session_id):
    auth.login(MENTEE_EMAIL)
    client.post(f"/sessions/{session_id}/cancel", data={"reason": "Ill"})
    assert admin_log(app) == []


@pytest.mark.parametrize(
    ("action", "data"),
    [("confirm", {}), ("decline", {"reason": "x"}), ("reschedule", {"starts_at": "2026-11-26T10:00", "duration": "60"})],
)
def test_confirming_declining_and_moving_stay_with_the_people(client, auth, app, admin, session_id, action, data):
    auth.login(ADMIN_EMAIL)
    response = client.post(f"/sessions/{session_id}/{action}", data=data)
    assert response.status_code == 403
    saved = stored(app, session_id)
    assert (saved.status.value, saved.starts_at) == ("confirmed", TOMORROW_15_UTC)
    assert admin_log(app) == []
