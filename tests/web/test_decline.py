"""The mentor declines a pending request from the session page: the session ends, and only the mentee is mailed."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from meetapp.extensions import db
from meetapp.models import MentoringSession, OutboxMail, User
from meetapp.services import booking, join_links, mentor_approval
from tests.support import MENTEE_EMAIL, MENTOR_EMAIL, NOW, path_of

HTMX = {"HX-Request": "true"}
# 15:00 UTC on the day after NOW: 10:00 in New York (the mentee), 16:00 in Berlin (the mentor).
TOMORROW_15_UTC = NOW.replace(hour=15) + timedelta(days=1)


def book(app, mentee_id: int, mentor_id: int, *, confirm: bool = False) -> str:
    with app.app_context():
        session = booking.book_session(
            mentee=db.session.get(User, mentee_id),
            mentor_id=mentor_id,
            starts_at=TOMORROW_15_UTC,
            duration_minutes=60,
            now=NOW,
        )
        if confirm:
            booking.confirm_session(session, user=db.session.get(User, mentor_id), now=NOW)
        return session.id


def stored(app, session_id: str) -> MentoringSession:
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        db.session.expunge(session)
        return session


def queued_mails(app, session_id: str) -> list[tuple[str, int]]:
    """(kind, recipient) of the mails queued about the session, oldest first."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(OutboxMail.kind, OutboxMail.recipient_id).where(OutboxMail.session_id == session_id).order_by(OutboxMail.id)
        )
        return [(kind.value, recipient) for kind, recipient in rows]


def field_errors(page: str, field: str) -> str:
    match = re.search(rf'<ul class="field-errors" id="{field}-error">(.*?)</ul>', page, re.S)
    return match.group(1) if match else ""


def test_the_mentor_is_offered_decline_instead_of_cancel_for_a_request(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTOR_EMAIL)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert f'hx-post="/sessions/{session_id}/decline"' in page
    assert '<label for="decline-reason">Reason (optional; Max Mentee will read it)</label>' in page
    assert f'action="/sessions/{session_id}/cancel"' not in page
    assert f'action="/sessions/{session_id}/confirm"' in page


def test_the_mentee_is_offered_no_decline(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTEE_EMAIL)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "/decline" not in page
    assert f'action="/sessions/{session_id}/cancel"' in page


def test_declining_with_a_reason_ends_the_session_and_mails_the_mentee_only(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTOR_EMAIL)
    response = client.post(f"/sessions/{session_id}/decline", data={"reason": " Away that <b>week</b>. "})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/sessions/{session_id}"

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Request declined. Max Mentee has been told." in page
    assert '<span class="badge badge-declined">Declined</span>' in page
    assert "Declined by Mona Mentor (you) on" in page
    assert "Away that &lt;b&gt;week&lt;/b&gt;." in page
    assert 'action="/sessions/' not in page.split('id="session-panel"')[1]
    assert "Book another time" not in page, "booking is the mentee's"
    saved = stored(app, session_id)
    assert saved.status.value == "declined"
    assert (saved.cancel_reason, saved.cancelled_by_id, saved.cancelled_at) == ("Away that <b>week</b>.", mentor, NOW)
    assert saved.link_version == 2
    assert queued_mails(app, session_id)[-1] == ("declined", mentee)
    assert [kind for kind, _ in queued_mails(app, session_id)].count("declined") == 1


def test_the_mentee_sees_who_declined_and_why(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTOR_EMAIL)
    client.post(f"/sessions/{session_id}/decline", data={"reason": ""})
    auth.logout()
    auth.login(MENTEE_EMAIL)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "Declined by Mona Mentor on" in page
    assert "No reason given." in page
    assert "Waiting" not in page
    assert '<a class="button" href="/sessions/new">Book another time</a>' in page
    assert 'action="/sessions/' not in page.split('id="session-panel"')[1]


def test_declining_with_htmx_returns_the_panel(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTOR_EMAIL)
    response = client.post(f"/sessions/{session_id}/decline", data={"reason": "No"}, headers=HTMX)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="session-panel"')
    assert "Request declined. Max Mentee has been told." in fragment
    assert '<span class="badge badge-declined">Declined</span>' in fragment


def test_the_mentee_cannot_decline(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTEE_EMAIL)
    response = client.post(f"/sessions/{session_id}/decline", data={"reason": "changed my mind"})
    assert response.status_code == 403
    assert "Only the mentor can decline a request; to withdraw your own, cancel it." in response.get_data(as_text=True)
    assert stored(app, session_id).status.value == "pending"


def test_a_confirmed_session_is_not_declined_but_cancelled(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor, confirm=True)
    auth.login(MENTOR_EMAIL)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "/decline" not in page
    response = client.post(f"/sessions/{session_id}/decline", data={"reason": ""}, headers=HTMX)
    assert response.status_code == 409
    assert "This session is already confirmed, so it cannot be declined: cancel it instead." in response.get_data(as_text=True)
    assert stored(app, session_id).status.value == "confirmed"


def test_declining_twice_is_409_and_keeps_the_first_reason(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTOR_EMAIL)
    client.post(f"/sessions/{session_id}/decline", data={"reason": "first"})
    response = client.post(f"/sessions/{session_id}/decline", data={"reason": "second"})
    assert response.status_code == 409
    assert "This request was declined already." in response.get_data(as_text=True)
    assert stored(app, session_id).cancel_reason == "first"


def test_a_too_long_decline_reason_is_a_field_error_and_changes_nothing(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    auth.login(MENTOR_EMAIL)
    response = client.post(f"/sessions/{session_id}/decline", data={"reason": "x" * 501}, headers=HTMX)
    assert response.status_code == 400
    fragment = response.get_data(as_text=True)
    assert "Keep the reason under 500 characters." in field_errors(fragment, "decline-reason")
    assert '<details class="action" open>' in fragment
    assert stored(app, session_id).status.value == "pending"
    assert "declined" not in [kind for kind, _ in queued_mails(app, session_id)]


def test_a_request_that_is_over_cannot_be_declined(client, auth, app, clock, mentor, mentee):
    session_id = book(app, mentee, mentor)
    clock.move_to(TOMORROW_15_UTC + timedelta(hours=2))
    auth.login(MENTOR_EMAIL)
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "It was never confirmed. This session is over; it can no longer be changed." in page
    response = client.post(f"/sessions/{session_id}/decline", data={"reason": ""})
    assert response.status_code == 409
    assert stored(app, session_id).status.value == "pending"


@pytest.mark.parametrize("by_mentee", [True, False])
def test_a_link_to_a_declined_request_says_it_was_declined(client, auth, app, clock, mentor, mentee, by_mentee):
    session_id = book(app, mentee, mentor)
    with app.app_context():
        link = join_links.join_link(
            db.session.get(MentoringSession, session_id), db.session.get(User, mentee if by_mentee else mentor), NOW
        )
    auth.login(MENTOR_EMAIL)
    client.post(f"/sessions/{session_id}/decline", data={"reason": "Away"})
    auth.logout()
    auth.login(MENTEE_EMAIL if by_mentee else MENTOR_EMAIL)
    response = client.get(path_of(link))
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "<title>Request declined" in page
    assert '<h1 id="join-title">Request declined</h1>' in page
    assert "This request was declined by Mona Mentor" in page
    assert "Reason: Away" in page


def test_a_declined_request_is_not_suspended_again_with_its_mentor(client, auth, app, clock, people, mentor, mentee):
    declined = book(app, mentee, mentor)
    auth.login(MENTOR_EMAIL)
    client.post(f"/sessions/{declined}/decline", data={"reason": "No"})
    admin = people.make("admin", "Ada Admin")
    with app.app_context():
        suspension = mentor_approval.suspend(mentor, admin=db.session.get(User, admin), reason="Rude", now=NOW)
        assert suspension.cancelled_sessions == 0
    saved = stored(app, declined)
    assert (saved.status.value, saved.cancel_reason) == ("declined", "No")
