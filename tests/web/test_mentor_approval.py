"""Mentors people can trust: admins approve and suspend them at /admin/mentors, a suspension cancels
the mentor's upcoming sessions in one transaction, and only approved mentors can be booked."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from meetapp.domain.accounts import MentorApproval
from meetapp.domain.errors import ChangedMeanwhile, Conflict
from meetapp.domain.notifications import MailKind
from meetapp.domain.scheduling import SessionStatus
from meetapp.extensions import db
from meetapp.models import MentoringSession, MentorProfile, OutboxMail, User
from meetapp.outbox import notify
from meetapp.services import booking, join_links, mentor_approval
from meetapp.services.accounts import create_user
from tests.support import NOW, PASSWORD

ADMIN_EMAIL, MENTOR_EMAIL, MENTEE_EMAIL = "ada.admin@example.com", "mona.mentor@example.com", "max.mentee@example.com"
ADMIN_REASON = "Three mentees reported rude remarks in their sessions."
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
TOMORROW_10_UTC = NOW.replace(hour=10) + timedelta(days=1)


# Helpers ------------------------------------------------------------------------------------


def make_admin(people) -> int:
    return people.make("admin", "Ada Admin")


def book(app, mentee_id: int, mentor_id: int, *, starts_at=TOMORROW_10_UTC, now=NOW, confirm=False) -> str:
    with app.app_context():
        session = booking.book_session(
            mentee=db.session.get(User, mentee_id), mentor_id=mentor_id, starts_at=starts_at, duration_minutes=60, now=now
        )
        if confirm:
            booking.confirm_session(session, user=db.session.get(User, mentor_id), now=now)
        return session.id


def set_approval(app, mentor_id: int, approval: MentorApproval, reason: str | None = None) -> None:
    with app.app_context():
        profile = db.session.get(MentorProfile, mentor_id)
        profile.approval, profile.approval_reason = approval, reason
        db.session.commit()


def profile_of(app, mentor_id: int) -> MentorProfile:
    with app.app_context():
        profile = db.session.get(MentorProfile, mentor_id)
        db.session.expunge(profile)
        return profile


def stored(app, session_id: str) -> MentoringSession:
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        db.session.expunge(session)
        return session


def mails(app, kind: MailKind | None = None) -> list[OutboxMail]:
    with app.app_context():
        query = sa.select(OutboxMail).order_by(OutboxMail.id)
        if kind is not None:
            query = query.where(OutboxMail.kind == kind)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def everything(app) -> dict:
    """The rows approving or suspending could change."""
    with app.app_context():
        return {
            "profiles": [tuple(row) for row in db.session.execute(sa.select(MentorProfile.__table__).order_by("user_id"))],
            "sessions": [tuple(row) for row in db.session.execute(sa.select(MentoringSession.__table__).order_by("id"))],
            "outbox": db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)),
        }


def section(page: str, title_id: str) -> str:
    """The part of the page from one card's heading to the next card."""
    start = page.index(f'id="{title_id}"')
    end = page.find('<section class="card"', start)
    return page[start:] if end == -1 else page[start:end]


def field_error(page: str, field_id: str) -> str:
    match = re.search(rf'<ul class="field-errors" id="{field_id}-error"><li>(.*?)</li></ul>', page, re.S)
    return match.group(1) if match else ""


def flashed(client) -> str:
    return client.get("/admin/mentors").get_data(as_text=True)


# Who may use it -----------------------------------------------------------------------------


def test_logged_out_visitors_are_sent_to_log_in(client, app, clock, people, mentor):
    set_approval(app, mentor, MentorApproval.PENDING)
    before = everything(app)
    response = client.get("/admin/mentors")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=%2Fadmin%2Fmentors"
    for action, data in (("approve", {}), ("suspend", {"reason": ADMIN_REASON})):
        answer = client.post(f"/admin/mentors/{mentor}/{action}", data=data)
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/auth/login?next=")
    assert everything(app) == before


@pytest.mark.parametrize("email", [MENTEE_EMAIL, MENTOR_EMAIL])
def test_mentors_and_mentees_are_refused(client, app, auth, clock, people, mentor, mentee, email):
    other = people.make("mentor", "Otto Mentor")
    set_approval(app, other, MentorApproval.PENDING)
    before = everything(app)
    auth.login(email)
    assert client.get("/admin/mentors").status_code == 403
    # Not even their own approval: a mentor cannot approve themselves.
    for target in (mentor, other):
        assert client.post(f"/admin/mentors/{target}/approve").status_code == 403
        assert client.post(f"/admin/mentors/{target}/suspend", data={"reason": ADMIN_REASON}).status_code == 403
    assert everything(app) == before
    assert 'href="/admin/mentors"' not in client.get("/").get_data(as_text=True)


def test_changes_need_the_csrf_token(csrf_app, clock):
    app, client = csrf_app, csrf_app.test_client()
    with app.app_context():
        create_user(email=ADMIN_EMAIL, name="Ada Admin", role="admin", password=PASSWORD)
        pending = create_user(
            email="pia.pending@example.com", name="Pia Pending", role="mentor", password=PASSWORD, self_registered=True
        ).id
    token = CSRF_INPUT.search(client.get("/auth/login").get_data(as_text=True)).group(1)
    assert client.post("/auth/login", data={"email": ADMIN_EMAIL, "password": PASSWORD, "csrf_token": token}).status_code == 302
    before = everything(app)
    for action in ("approve", "suspend"):
        refused = client.post(f"/admin/mentors/{pending}/{action}", data={"reason": ADMIN_REASON})
        assert refused.status_code == 400
        assert "Form expired" in refused.get_data(as_text=True)
    assert everything(app) == before

    page = client.get("/admin/mentors").get_data(as_text=True)
    token = CSRF_INPUT.search(page).group(1)
    assert client.post(f"/admin/mentors/{pending}/approve", data={"csrf_token": token}).status_code == 303
    assert profile_of(app, pending).approval is MentorApproval.APPROVED


# The page -----------------------------------------------------------------------------------


def test_the_page_lists_pending_then_approved_then_suspended_with_the_last_decision(
    client, app, auth, clock, people, mentor
):
    admin = make_admin(people)
    with app.app_context():
        pia = create_user(
            email="pia.pending@example.com", name="Pia Pending", role="mentor", password=PASSWORD, self_registered=True
        ).id
    sam = people.make("mentor", "Sam Suspended")
    auth.login(ADMIN_EMAIL)
    clock.shift(timedelta(hours=2))
    client.post(f"/admin/mentors/{sam}/suspend", data={"reason": ADMIN_REASON})
    page = client.get("/admin/mentors").get_data(as_text=True)

    assert '<a href="/admin/mentors" aria-current="page">Mentors</a>' in page
    assert page.index('id="pending-title"') < page.index('id="approved-title"') < page.index('id="suspended-title"')
    pending, approved, suspended = (section(page, f"{state}-title") for state in ("pending", "approved", "suspended"))
    assert f'id="mentor-{pia}"' in pending and "pia.pending@example.com" in pending
    assert "Not confirmed yet" in pending and "None yet." in pending
    assert "23 Nov 2026, 09:00" in pending  # registered
    assert f"/admin/mentors/{pia}/approve" in pending and f"/admin/mentors/{pia}/suspend" in pending
    assert f'id="mentor-{mentor}"' in approved and "Confirmed" in approved
    assert f"/admin/mentors/{mentor}/approve" not in approved and f"/admin/mentors/{mentor}/suspend" in approved
    row = re.search(rf'<tr id="mentor-{sam}">(.*?)</tr>', suspended, re.S).group(1)
    assert "Suspended by Ada Admin," in row
    assert "23 Nov 2026, 11:00" in row
    assert f"Why: {ADMIN_REASON}" in row
    assert f"/admin/mentors/{sam}/approve" in row and f"/admin/mentors/{sam}/suspend" not in row
    # Mentees and admins are no mentors.
    assert "Max Mentee" not in page and f'id="mentor-{admin}"' not in page


# Approving ----------------------------------------------------------------------------------


def test_an_admin_approves_a_pending_mentor_and_mentees_can_book_them(client, app, auth, clock, people, mentor, mentee):
    admin = make_admin(people)
    set_approval(app, mentor, MentorApproval.PENDING)
    auth.login(ADMIN_EMAIL)

    response = client.post(f"/admin/mentors/{mentor}/approve")

    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/mentors"
    assert "Mona Mentor is approved: mentees can now find and book them. We mailed them." in flashed(client)
    profile = profile_of(app, mentor)
    assert (profile.approval, profile.approval_changed_by_id, profile.approval_changed_at, profile.approval_reason) == (
        MentorApproval.APPROVED, admin, NOW, None,
    )
    (mail,) = mails(app, MailKind.MENTOR_APPROVED)
    assert (mail.recipient_id, mail.to_address, mail.session_id) == (mentor, MENTOR_EMAIL, None)
    assert mail.subject == "Your mentor profile on meetapp is approved"
    assert "Mentees can now find you on meetapp and book sessions with you." in mail.text_body
    assert "http://127.0.0.1:5000/settings/video" in mail.text_body and "/settings/video" in mail.html_body
    auth.logout()
    auth.login(MENTEE_EMAIL)
    assert f'<option value="{mentor}">Mona Mentor</option>' in client.get("/sessions/new").get_data(as_text=True)


def test_approving_an_unconfirmed_mentor_says_they_must_confirm_their_address_first(client, app, auth, clock, people, mentee):
    make_admin(people)
    with app.app_context():
        pia = create_user(
            email="pia.pending@example.com", name="Pia Pending", role="mentor", password=PASSWORD, self_registered=True
        ).id
    auth.login(ADMIN_EMAIL)
    client.post(f"/admin/mentors/{pia}/approve")
    assert "Pia Pending is approved. Mentees can book them once they confirm their email address." in flashed(client)
    (mail,) = mails(app, MailKind.MENTOR_APPROVED)
    assert "as soon as you have confirmed your email address" in mail.text_body
    assert "Mentees can now find you" not in mail.text_body
    with app.app_context():
        assert pia not in [person.id for person in booking.all_mentors()]


def test_approving_a_suspended_mentor_lets_mentees_book_them_again(client, app, auth, clock, people, mentor, mentee):
    make_admin(people)
    set_approval(app, mentor, MentorApproval.SUSPENDED, ADMIN_REASON)
    auth.login(ADMIN_EMAIL)
    assert client.post(f"/admin/mentors/{mentor}/approve").status_code == 303
    assert profile_of(app, mentor).approval is MentorApproval.APPROVED
    with app.app_context():
        assert [person.id for person in booking.all_mentors()] == [mentor]


def test_approving_an_approved_mentor_says_so_and_changes_nothing(client, app, auth, clock, people, mentor):
    make_admin(people)
    auth.login(ADMIN_EMAIL)
    before = everything(app)
    response = client.post(f"/admin/mentors/{mentor}/approve")
    assert response.status_code == 303
    assert "Mona Mentor is already approved. Nothing was changed." in flashed(client)
    assert everything(app) == before


# Suspending ---------------------------------------------------------------------------------


def test_suspending_cancels_every_upcoming_session_and_tells_everyone(client, app, auth, clock, people, mentor, mentee):
    admin = make_admin(people)
    other_mentor = people.make("mentor", "Olga Other")
    second_mentee = people.make("mentee", "Mia Mentee")
    confirmed = book(app, mentee, mentor, confirm=True)
    pending = book(app, second_mentee, mentor, starts_at=TOMORROW_10_UTC + timedelta(days=1))
    running = book(app, mentee, mentor, starts_at=NOW - timedelta(minutes=10), now=NOW - timedelta(days=1), confirm=True)
    past = book(app, mentee, mentor, starts_at=NOW - timedelta(days=2), now=NOW - timedelta(days=3), confirm=True)
    elsewhere = book(app, mentee, other_mentor, starts_at=TOMORROW_10_UTC + timedelta(days=2), confirm=True)
    with app.app_context():
        old_link = join_links.join_link(db.session.get(MentoringSession, running), db.session.get(User, mentee), NOW)
    untouched = {session_id: stored(app, session_id) for session_id in (past, elsewhere)}
    mails_before = len(mails(app))
    auth.login(ADMIN_EMAIL)

    response = client.post(f"/admin/mentors/{mentor}/suspend", data={"reason": f"  {ADMIN_REASON}  "})

    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/mentors"
    assert "Mona Mentor is suspended. 3 upcoming sessions were cancelled" in flashed(client)
    profile = profile_of(app, mentor)
    assert (profile.approval, profile.approval_reason, profile.approval_changed_by_id, profile.approval_changed_at) == (
        MentorApproval.SUSPENDED, ADMIN_REASON, admin, NOW,
    )
    for session_id in (confirmed, pending, running):
        session = stored(app, session_id)
        assert (session.status, session.cancel_reason, session.cancelled_by_id, session.cancelled_at) == (
            SessionStatus.CANCELLED, mentor_approval.CANCEL_REASON, admin, NOW,
        )
        assert session.link_version == 2
    for session_id, before in untouched.items():
        after = stored(app, session_id)
        assert (after.status, after.link_version, after.cancel_reason) == (before.status, before.link_version, None)

    new_mails = mails(app)[mails_before:]
    cancellations = [mail for mail in new_mails if mail.kind is MailKind.CANCELLATION]
    assert sorted((mail.session_id, mail.recipient_id) for mail in cancellations) == sorted(
        [(confirmed, mentor), (confirmed, mentee), (pending, mentor), (pending, second_mentee), (running, mentor), (running, mentee)]
    )
    for mail in cancellations:
        assert mentor_approval.CANCEL_REASON in mail.text_body and mentor_approval.CANCEL_REASON in mail.html_body
        for secret in (ADMIN_REASON, "Ada Admin", ADMIN_EMAIL):
            assert secret not in mail.text_body and secret not in mail.html_body
        assert "was cancelled" in mail.text_body
    (suspended_mail,) = [mail for mail in new_mails if mail.kind is MailKind.MENTOR_SUSPENDED]
    assert (suspended_mail.recipient_id, suspended_mail.session_id) == (mentor, None)
    assert f"Why:  {ADMIN_REASON}" in suspended_mail.text_body and ADMIN_REASON in suspended_mail.html_body
    assert "Your 3 upcoming sessions were cancelled" in suspended_mail.text_body
    assert len(new_mails) == 7

    # The join links died at once, and the mentee's session page gives only the neutral reason.
    auth.logout()
    auth.login(MENTEE_EMAIL)
    assert client.get(old_link.removeprefix("http://127.0.0.1:5000")).status_code == 410
    page = client.get(f"/sessions/{confirmed}").get_data(as_text=True)
    assert "The mentor is no longer available on meetapp." in page
    assert ADMIN_REASON not in page


def test_suspending_a_mentor_without_sessions_mails_only_them(client, app, auth, clock, people, mentor):
    make_admin(people)
    set_approval(app, mentor, MentorApproval.PENDING)
    auth.login(ADMIN_EMAIL)
    client.post(f"/admin/mentors/{mentor}/suspend", data={"reason": ADMIN_REASON})
    assert "Mona Mentor is suspended; they had no upcoming sessions." in flashed(client)
    assert profile_of(app, mentor).approval is MentorApproval.SUSPENDED
    assert [(mail.kind, mail.recipient_id) for mail in mails(app)] == [(MailKind.MENTOR_SUSPENDED, mentor)]
    assert "You had no upcoming sessions, so none were cancelled." in mails(app)[0].text_body


@pytest.mark.parametrize(
    ("reason", "error"),
    [
        ("", "Say why the mentor is suspended: they read it in their mail."),
        ("   \n ", "Say why the mentor is suspended: they read it in their mail."),
        ("x" * 501, "Keep the reason to 500 characters or fewer."),
    ],
    ids=["empty", "blank", "too long"],
)
def test_a_suspension_needs_a_reason_of_at_most_500_characters(client, app, auth, clock, people, mentor, mentee, reason, error):
    make_admin(people)
    book(app, mentee, mentor, confirm=True)
    auth.login(ADMIN_EMAIL)
    before = everything(app)

    response = client.post(f"/admin/mentors/{mentor}/suspend", data={"reason": reason})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    row = re.search(rf'<tr id="mentor-{mentor}">(.*?)</tr>', page, re.S).group(1)
    assert field_error(row, f"reason-{mentor}") == error
    assert '<details class="action" open>' in row
    assert f'aria-describedby="reason-{mentor}-hint reason-{mentor}-error"' in row
    assert 'aria-invalid="true"' in row
    assert f">{reason}</textarea>" in row  # what was typed is kept
    assert everything(app) == before


def test_500_characters_are_enough(client, app, auth, clock, people, mentor):
    make_admin(people)
    auth.login(ADMIN_EMAIL)
    assert client.post(f"/admin/mentors/{mentor}/suspend", data={"reason": "y" * 500}).status_code == 303
    assert profile_of(app, mentor).approval_reason == "y" * 500


def test_suspending_a_suspended_mentor_says_so_and_changes_nothing(client, app, auth, clock, people, mentor):
    make_admin(people)
    set_approval(app, mentor, MentorApproval.SUSPENDED, ADMIN_REASON)
    auth.login(ADMIN_EMAIL)
    before = everything(app)
    # The stale state is told even when the reason would be refused.
    for reason in ("Another reason", ""):
        response = client.post(f"/admin/mentors/{mentor}/suspend", data={"reason": reason})
        assert response.status_code == 303
        assert "Mona Mentor is already suspended. Nothing was changed." in flashed(client)
    assert everything(app) == before


@pytest.mark.parametrize("who", ["nobody", "a mentee", "an admin", "beyond any id"])
def test_an_id_that_is_no_mentor_is_404(client, app, auth, clock, people, mentee, who):
    admin = make_admin(people)
    target = {"nobody": 987654, "a mentee": mentee, "an admin": admin, "beyond any id": 2**31}[who]
    auth.login(ADMIN_EMAIL)
    before = everything(app)
    approve = client.post(f"/admin/mentors/{target}/approve")
    suspend = client.post(f"/admin/mentors/{target}/suspend", data={"reason": ADMIN_REASON})
    assert (approve.status_code, suspend.status_code) == (404, 404)
    if who != "beyond any id":
        assert "There is no mentor with this id." in approve.get_data(as_text=True)
    assert everything(app) == before


# All or nothing -----------------------------------------------------------------------------


@pytest.mark.parametrize("failing", ["the second cancellation mail", "the mentor's mail"])
def test_a_suspension_that_fails_halfway_changes_nothing(app, clock, people, monkeypatch, mentor, mentee, failing):
    admin = make_admin(people)
    book(app, mentee, mentor, confirm=True)
    book(app, mentee, mentor, starts_at=TOMORROW_10_UTC + timedelta(days=1))
    before = everything(app)
    if failing == "the mentor's mail":
        target, original = "account_mail", notify.account_mail
    else:
        target, original = "cancelled", notify.cancelled
    calls = []

    def fail_at_the_last(*args, **kwargs):
        calls.append(1)
        if target == "account_mail" or len(calls) == 2:
            raise RuntimeError("the outbox insert failed")
        return original(*args, **kwargs)

    monkeypatch.setattr(notify, target, fail_at_the_last)
    with app.app_context():
        with pytest.raises(RuntimeError):
            mentor_approval.suspend(mentor, admin=db.session.get(User, admin), reason=ADMIN_REASON, now=NOW)
    assert everything(app) == before
    assert profile_of(app, mentor).approval is MentorApproval.APPROVED


def test_a_decision_another_admin_made_meanwhile_is_not_applied_twice(app, clock, people, mentor, mentee):
    admin = make_admin(people)
    session_id = book(app, mentee, mentor, confirm=True)
    with app.app_context():
        # This request has read the mentor as approved (and holds them) …
        read = mentor_approval.find_mentor(mentor).mentor_profile
        # … when another admin's suspension commits.
        db.session.execute(
            sa.update(MentorProfile)
            .where(MentorProfile.user_id == mentor)
            .values(approval=MentorApproval.SUSPENDED, approval_reason="Earlier")
            .execution_options(synchronize_session=False)
        )
        before = everything(app)
        with pytest.raises(Conflict, match="Mona Mentor is already suspended."):
            mentor_approval.suspend(mentor, admin=db.session.get(User, admin), reason=ADMIN_REASON, now=NOW)
        assert read.approval is MentorApproval.APPROVED  # the stale copy passed the first check
    assert everything(app)["outbox"] == before["outbox"]
    assert stored(app, session_id).status is SessionStatus.CONFIRMED


def test_a_session_changed_meanwhile_undoes_the_whole_suspension(app, clock, people, mentor, mentee):
    admin = make_admin(people)
    first = book(app, mentee, mentor, confirm=True)
    second = book(app, mentee, mentor, starts_at=TOMORROW_10_UTC + timedelta(days=1))
    with app.app_context():
        # This request has read the session (and holds it: the session's identity map keeps only
        # what is referenced) …
        read = db.session.get(MentoringSession, second)
        # … when its mentee reschedules it.
        db.session.execute(
            sa.update(MentoringSession.__table__)
            .where(MentoringSession.id == second)
            .values(revision=MentoringSession.revision + 1)
        )
        before = everything(app)
        with pytest.raises(ChangedMeanwhile, match="One of Mona Mentor's sessions changed at the same moment."):
            mentor_approval.suspend(mentor, admin=db.session.get(User, admin), reason=ADMIN_REASON, now=NOW)
        assert read.revision == 1
    assert everything(app) == before
    assert profile_of(app, mentor).approval is MentorApproval.APPROVED
    assert stored(app, first).status is SessionStatus.CONFIRMED


# Booking only approved mentors --------------------------------------------------------------


@pytest.mark.parametrize("approval", [MentorApproval.PENDING, MentorApproval.SUSPENDED])
def test_mentees_can_neither_find_nor_book_a_mentor_who_is_not_approved(
    client, app, auth, clock, as_mentee, people, mentor, mentee, approval
):
    other = people.make("mentor", "Olga Other")
    set_approval(app, mentor, approval, ADMIN_REASON if approval is MentorApproval.SUSPENDED else None)
    auth.login(MENTEE_EMAIL)
    page = client.get("/sessions/new").get_data(as_text=True)
    assert f'<option value="{other}">Olga Other</option>' in page
    assert f'<option value="{mentor}">' not in page and "Mona Mentor" not in page

    form = {"mentor": str(mentor), "session_type": "Standard", "starts_at": "2026-11-24T10:00", "duration": "60"}
    response = client.post("/sessions/new", data=form)
    assert response.status_code == 400
    assert "There is no mentor with this id." in response.get_data(as_text=True)

    answer = as_mentee.post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": "2026-11-24T10:00:00Z", "durationMinutes": 60}
    )
    assert answer.status_code == 400
    assert answer.json["fields"] == {"mentorId": "There is no mentor with this id."}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MentoringSession)) == 0


# The mentor's dashboard ---------------------------------------------------------------------


def test_a_pending_mentor_is_told_on_the_dashboard(client, app, auth, clock, mentor):
    set_approval(app, mentor, MentorApproval.PENDING)
    auth.login(MENTOR_EMAIL)
    page = client.get("/").get_data(as_text=True)
    assert (
        "Your mentor profile waits for an admin's approval. Mentees can book you once it is approved." in page
    )


def test_a_suspended_mentor_reads_why_on_the_dashboard(client, app, auth, clock, mentor):
    set_approval(app, mentor, MentorApproval.SUSPENDED, "Rude remarks <b>reported</b>.")
    auth.login(MENTOR_EMAIL)
    page = client.get("/").get_data(as_text=True)
    assert (
        "Your mentor profile is suspended: Rude remarks &lt;b&gt;reported&lt;/b&gt;. Mentees cannot book you." in page
    )


@pytest.mark.parametrize("email", [MENTOR_EMAIL, MENTEE_EMAIL])
def test_approved_mentors_and_mentees_see_no_approval_banner(client, auth, clock, mentor, mentee, email):
    auth.login(email)
    page = client.get("/").get_data(as_text=True)
    assert "mentor-approval" not in page
    assert "Your mentor profile" not in page
