"""Markup that people type comes back as text: escaped in every page, fragment and HTML mail.

Each payload goes into every text a person can enter: a name at registration and
in the settings, a session type's name (`flask session-types set`), a cancel
reason (form and API), a decline reason, an API token's label, and everything a form echoes back
when it is refused. Then the people concerned look at everything that shows it:
pages, htmx fragments, the join pages, the JSON API, the mails (HTML and plain
text parts and the calendar invite) and the dev mailbox. Every HTML answer must
hold the payload only escaped, and the places that show it must really show it.
A manual meeting link made of a payload is refused and nothing is saved.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar
from markupsafe import escape

from meetapp.domain.accounts import MentorApproval
from meetapp.extensions import db
from meetapp.models import MentoringSession, MentorProfile, User
from meetapp.outbox.worker import run_pass
from meetapp.services import booking
from meetapp.services.accounts import create_user
from tests.mail.helpers import html, invite, invite_part, plain
from tests.security.world import csrf_token
from tests.support import NOW, PASSWORD, SmtpSink

PAYLOADS = [
    pytest.param("<script>alert(1)</script>", id="script"),
    pytest.param('"><img src=x onerror=alert(1)>', id="double-quote"),
    pytest.param("'><svg/onload=alert(1)>", id="single-quote"),
    pytest.param("javascript:alert(1)", id="javascript-url"),
]
HTMX = {"HX-Request": "true"}
# A javascript: URL is harmless as text; only inside an address attribute would it run.
SCRIPT_ADDRESS = re.compile(r"""\b(?:href|src|action|formaction|hx-get|hx-post|data)\s*=\s*["']?\s*javascript:""", re.I)


def has_markup(payload: str) -> bool:
    return any(ch in payload for ch in "<>\"'")


@dataclass
class Answers:
    """Every answer any of the test's browsers got, to be checked all together."""

    seen: list[tuple[str, object]] = field(default_factory=list)

    def browser(self, app) -> "Browser":
        return Browser(app.test_client(), self)


class Browser:
    def __init__(self, client, answers: Answers):
        self.client, self.answers = client, answers

    def open(self, method: str, path: str, **kwargs):
        response = self.client.open(path, method=method, **kwargs)
        self.answers.seen.append((f"{method} {path}", response))
        return response

    def get(self, path, **kwargs):
        return self.open("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.open("POST", path, **kwargs)

    def api(self, method: str, path: str, body: dict):
        """A JSON API write with the login cookie, which needs the page's CSRF token as a header."""
        return self.open(method, path, json=body, headers={"X-CSRFToken": csrf_token(self.client)})

    def page(self, path, status: int = 200, **kwargs) -> str:
        response = self.get(path, **kwargs)
        assert response.status_code == status, f"GET {path}: {response.status_code}"
        return response.get_data(as_text=True)


def assert_escaped_everywhere(answers: Answers, payload: str) -> int:
    """No answer is a 500, JSON says so, and no HTML answer holds the payload as markup; how many HTML ones."""
    html_answers = 0
    for where, response in answers.seen:
        assert response.status_code != 500, f"{where} failed"
        if response.mimetype == "text/html":
            html_answers += 1
            body = response.get_data(as_text=True)
            if has_markup(payload):
                assert payload not in body, f"{where} shows {payload!r} unescaped"
            assert not SCRIPT_ADDRESS.search(body), f"{where} puts a javascript: address in an attribute"
        elif response.is_json:
            assert response.mimetype == "application/json", where
    return html_answers


@pytest.fixture(scope="module")
def sink():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def app(app_pool, sink, clock):
    sink.received.clear()
    return app_pool.fresh(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, MAIL_TIMEOUT_SECONDS=5)


def register(browser: Browser, app, email: str, name: str, role: str) -> None:
    """Register through the form (which shows the name back), then, as the mailed link and an admin
    would, confirm the address and approve a mentor, and log in."""
    form = {"email": email, "name": name, "password": PASSWORD, "confirm": PASSWORD, "role": role, "timezone": "UTC"}
    assert browser.post("/auth/register", data=form).status_code == 200
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        user.email_confirmed_at = NOW
        if user.mentor_profile is not None:
            user.mentor_profile.approval = MentorApproval.APPROVED
        db.session.commit()
    assert browser.post("/auth/login", data={"email": email, "password": PASSWORD}).status_code == 302


def new_session(browser: Browser, mentor_id: int, type_name: str, starts_at: str) -> str:
    form = {"mentor": str(mentor_id), "session_type": type_name, "starts_at": starts_at, "duration": "60"}
    response = browser.post("/sessions/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"].removeprefix("/sessions/")


def join_path(browser: Browser, session_id: str) -> str:
    (session,) = [s for s in browser.get("/api/mentoring/sessions").json["sessions"] if s["id"] == session_id]
    return session["joinUrl"].removeprefix("http://127.0.0.1:5000")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_what_people_type_comes_back_escaped_everywhere(app, app_pool, sink, payload):
    mentee_name, mentor_name = f"Max {payload}", f"Mona {payload}"
    type_name, reason, label = f"{payload} talk", f"Sorry {payload}", f"{payload} script"
    answers = Answers()
    mentee, mentor, stranger = answers.browser(app), answers.browser(app), answers.browser(app)

    # What a refused form echoes back.
    stranger.get("/auth/register")
    refused = {"email": payload, "name": mentee_name, "password": PASSWORD, "confirm": "different", "role": "mentee"}
    assert stranger.post("/auth/register", data=refused).status_code == 400
    stranger.post("/auth/login", data={"email": payload, "password": payload})
    stranger.get(f"/auth/login?next=/{payload}")

    # Names at registration and in the settings, a session type from the command line.
    result = app.test_cli_runner().invoke(args=["session-types", "set", type_name, "--early", "15", "--late", "30"])
    assert result.exit_code == 0, result.output
    register(mentee, app, "max.mentee@example.com", mentee_name, "mentee")
    register(mentor, app, "mona.mentor@example.com", "Mona Plain", "mentor")
    assert mentor.post("/settings/profile", data={"name": mentor_name, "timezone": "Nowhere/City"}).status_code == 400
    assert mentor.post("/settings/profile", data={"name": mentor_name, "timezone": "UTC"}).status_code == 302
    with app.app_context():
        mentor_id = db.session.scalar(sa.select(User.id).where(User.email == "mona.mentor@example.com"))
        create_user(email="ada.admin@example.com", name=f"Ada {payload}", role="admin", password=PASSWORD)

    # A meeting link made of the payload is refused, by the form, its preview and the API.
    assert mentor.post("/settings/video", data={"provider": "manual", "manual_url": payload}).status_code == 400
    preview = mentor.post("/settings/video/preview", data={"provider": "manual", "manual_url": payload}, headers=HTMX)
    assert preview.status_code == 200 and "preview-error" in preview.get_data(as_text=True)
    refused_api = mentor.api(
        "PUT", "/api/mentoring/me/video-settings", {"provider": "manual", "manualMeetingUrl": payload}
    )
    assert refused_api.status_code == 400 and "manualMeetingUrl" in refused_api.json["fields"]
    with app.app_context():
        profile = db.session.get(MentorProfile, mentor_id)
        assert (profile.video_provider, profile.manual_meeting_url) == ("jitsi", None)

    # Booking (with refused values echoed first), confirming, cancelling with a reason.
    mentee.get("/sessions/new")
    bad_booking = {"mentor": payload, "session_type": payload, "starts_at": payload, "duration": payload}
    assert mentee.post("/sessions/new", data=bad_booking).status_code == 400
    waiting = new_session(mentee, mentor_id, type_name, "2026-11-23T09:30")
    cancelled_by_form = new_session(mentee, mentor_id, type_name, "2026-11-24T10:00")
    booked = mentee.api(
        "POST",
        "/api/mentoring/sessions",
        {"mentorId": mentor_id, "startsAt": "2026-11-25T10:00:00Z", "durationMinutes": 60, "sessionType": type_name},
    )
    assert booked.status_code == 201, booked.json
    cancelled_by_api = booked.json["session"]["id"]
    for session_id in (waiting, cancelled_by_form):
        assert mentor.post(f"/sessions/{session_id}/confirm").status_code == 302
    assert mentor.post(f"/sessions/{cancelled_by_api}/confirm", headers=HTMX).status_code == 200
    too_long = {"reason": reason + "x" * 600}
    assert mentee.post(f"/sessions/{cancelled_by_form}/cancel", data=too_long, headers=HTMX).status_code == 400
    bad_move = {"starts_at": payload, "duration": payload}
    assert mentee.post(f"/sessions/{waiting}/reschedule", data=bad_move, headers=HTMX).status_code == 400
    assert (
        mentee.post(f"/sessions/{cancelled_by_form}/cancel", data={"reason": reason}, headers=HTMX).status_code == 200
    )
    assert (
        mentee.api("POST", f"/api/mentoring/session/{cancelled_by_api}/cancel", {"reason": reason}).status_code == 200
    )
    # A request the mentor declines, with the same reason.
    declined = new_session(mentee, mentor_id, type_name, "2026-11-26T10:00")
    assert mentor.post(f"/sessions/{declined}/decline", data={"reason": reason + "x" * 600}, headers=HTMX).status_code == 400
    assert mentor.post(f"/sessions/{declined}/decline", data={"reason": reason}, headers=HTMX).status_code == 200

    # An API token's label.
    assert mentee.post("/settings/tokens", data={"label": label + "x" * 100}).status_code == 400
    assert mentee.post("/settings/tokens", data={"label": label}).status_code == 201

    # Everything that shows what was typed.
    waiting_page = mentee.page(join_path(mentee, waiting))
    cancelled_page = mentee.get(join_path(mentee, cancelled_by_form))
    assert cancelled_page.status_code == 410
    # The same at the pages' join door, which names the session instead of carrying a token.
    waiting_at_the_door = mentee.page(f"/sessions/{waiting}/join")
    cancelled_at_the_door = mentee.get(f"/sessions/{cancelled_by_form}/join")
    assert cancelled_at_the_door.status_code == 410
    pages = {
        "mentee dashboard": mentee.page("/"),
        "mentee dashboard poll": mentee.page("/dashboard/changes"),
        "booking page": mentee.page("/sessions/new"),
        "mentee settings": mentee.page("/settings/"),
        "mentee security settings": mentee.page("/settings/security"),
        "cancelled session": mentee.page(f"/sessions/{cancelled_by_form}"),
        "declined request": mentee.page(f"/sessions/{declined}"),
        "status fragment": mentee.page(f"/sessions/{waiting}/status", headers=HTMX),
        "session panel": mentee.page(f"/sessions/{waiting}", headers=HTMX),
        "mentor dashboard": mentor.page("/"),
        "mentor dashboard poll": mentor.page("/dashboard/changes"),
        "mentor's session page": mentor.page(f"/sessions/{waiting}"),
        "mentor's status fragment": mentor.page(f"/sessions/{cancelled_by_api}/status", 286, headers=HTMX),
        "video settings": mentor.page("/settings/video"),
    }
    admin = answers.browser(app)
    admin.post("/auth/login", data={"email": "ada.admin@example.com", "password": PASSWORD})
    admin.page("/admin/mail")
    assert str(escape(mentor_name)) in admin.page("/admin/mentors")
    for name, page in pages.items():
        assert "<html" in page or "join-state" in page or "session-panel" in page, name
    assert str(escape(mentor_name)) in pages["mentee dashboard"]
    assert str(escape(type_name)) in pages["mentee dashboard"]
    assert str(escape(mentor_name)) in pages["booking page"] and str(escape(type_name)) in pages["booking page"]
    assert str(escape(label)) in pages["mentee security settings"]
    assert str(escape(reason)) in pages["cancelled session"]
    assert str(escape(reason)) in pages["declined request"]
    assert str(escape(mentee_name)) in pages["mentor dashboard"]
    assert str(escape(mentee_name)) in pages["mentor's session page"]
    assert str(escape(mentor_name)) in waiting_page
    assert str(escape(reason)) in cancelled_page.get_data(as_text=True)
    assert str(escape(mentor_name)) in waiting_at_the_door
    assert str(escape(reason)) in cancelled_at_the_door.get_data(as_text=True)
    assert str(escape(mentor_name)) in pages["mentee dashboard poll"]
    assert str(escape(mentee_name)) in pages["mentor dashboard poll"]

    # JSON carries the text as it was typed, as JSON.
    listed = {s["id"]: s for s in mentee.get("/api/mentoring/sessions").json["sessions"]}
    assert listed[waiting]["mentor"]["name"] == mentor_name
    assert listed[waiting]["mentee"]["name"] == mentee_name
    assert listed[waiting]["sessionType"] == type_name
    assert listed[cancelled_by_form]["cancellation"]["reason"] == reason
    assert listed[cancelled_by_api]["cancellation"]["reason"] == reason
    assert listed[declined]["cancellation"]["reason"] == reason

    # The mails, their parts and their invites.
    with app.app_context():
        report = run_pass(worker_id="xss")
    assert not report.errors
    check_mails(sink, payload, mentee_name, mentor_name, type_name, reason)

    # The dev mailbox shows the same mails, on the same database.
    dev = answers.browser(app_pool.app(MEETAPP_ENV="development"))
    assert str(escape(mentor_name)) in dev.page("/dev/mail") or str(escape(mentee_name)) in dev.page("/dev/mail")
    with app.app_context():
        mail_ids = db.session.scalars(sa.text("SELECT id FROM outbox")).all()
    for mail_id in mail_ids:
        dev.page(f"/dev/mail/{mail_id}")
        dev.page(f"/dev/mail/{mail_id}/html")
        ics = dev.get(f"/dev/mail/{mail_id}/invite.ics")
        assert ics.status_code in (200, 404)
        if ics.status_code == 200:
            assert ics.mimetype == "text/calendar"
            Calendar.from_ical(ics.get_data())

    assert assert_escaped_everywhere(answers, payload) > 30


def check_mails(sink, payload: str, mentee_name: str, mentor_name: str, type_name: str, reason: str) -> None:
    mails = sink.received
    # Mails that a later change made stale (a confirmation of a session since cancelled) are skipped.
    assert len(mails) >= 4, [m["Subject"] for m in mails]
    names = {
        "max.mentee@example.com": (mentee_name, mentor_name),
        "mona.mentor@example.com": (mentor_name, mentee_name),
    }
    shown_reason, invites = False, 0
    for message in mails:
        # The raw header: a name with markup breaks its parsing (see test_a_name_cannot_break_the_to_header).
        to = dict(message.raw_items())["To"]
        ((own, other),) = [pair for address, pair in names.items() if address in to]
        where = f"the mail {message['Subject']!r} to {own!r}"
        html_part, text_part = html(message), plain(message)
        if has_markup(payload):
            assert payload not in html_part, f"{where}: its HTML part shows the payload unescaped"
        assert not SCRIPT_ADDRESS.search(html_part), where
        if message["References"] is None:
            # A mail about the account (the confirmation link, written to the name as it was then): it names
            # nobody else, and what it shows was checked above.
            continue
        assert str(escape(other)) in html_part, where
        assert other in text_part, f"{where}: the plain text must carry the name as typed"
        if reason in text_part:
            assert str(escape(reason)) in html_part, where
            shown_reason = True
        calendar = invite(message)
        if calendar is None:
            continue
        invites += 1
        assert invite_part(message).get_content_type() == "text/calendar"
        (event,) = calendar.walk("VEVENT")
        assert str(event["SUMMARY"]) == f"{type_name} with {other}", where
        assert {str(attendee.params["CN"]) for attendee in event.get("ATTENDEE")} == {mentee_name, mentor_name}
        assert type_name in str(event["DESCRIPTION"])
        assert "X-ALT-DESC" not in event, f"{where}: an invite has no HTML description"
    assert shown_reason, "no mail told the cancel reason"
    assert invites >= 2, "the confirmations carry invites"


LINKS_WITH_MARKUP = [
    pytest.param("https://zoom.us/j/1<script>alert(1)</script>", id="script-in-path"),
    pytest.param('https://zoom.us/j/1"><img src=x onerror=alert(1)>', id="double-quote"),
    pytest.param("https://zoom.us/j/1'><svg/onload=alert(1)>", id="single-quote"),
    pytest.param("https://zoom.us/j/1?pwd=<b>x</b>", id="markup-in-query"),
    pytest.param("javascript:alert(1)", id="javascript"),
    pytest.param("JaVaScRiPt:alert(1)//https://zoom.us/", id="javascript-mixed-case"),
    pytest.param("data:text/html,<script>alert(1)</script>", id="data-url"),
    pytest.param("\tjavascript:alert(1)", id="javascript-after-a-tab"),
    pytest.param("https:zoom.us/j/1", id="no-slashes"),
]


@pytest.mark.parametrize("link", LINKS_WITH_MARKUP)
def test_a_meeting_link_with_markup_or_a_script_scheme_is_refused(app_pool, clock, link):
    app = app_pool.fresh()
    answers = Answers()
    mentor = answers.browser(app)
    register(mentor, app, "mona.mentor@example.com", "Mona Mentor", "mentor")
    page = mentor.post("/settings/video", data={"provider": "manual", "manual_url": link})
    api = mentor.api("PUT", "/api/mentoring/me/video-settings", {"provider": "manual", "manualMeetingUrl": link})
    with app.app_context():
        saved = db.session.scalars(sa.select(MentorProfile.manual_meeting_url)).all()
        sessions = db.session.scalar(sa.select(sa.func.count()).select_from(MentoringSession))
    assert_escaped_everywhere(answers, link)
    assert (page.status_code, api.status_code) == (400, 400)
    assert saved == [None] and sessions == 0


def test_a_name_cannot_break_the_to_header(app, sink):
    name = "Maximilian Mentee <attacker@evil.example>"
    with app.app_context():
        mentee = create_user(email="max.mentee@example.com", name=name, role="mentee", password=PASSWORD)
        mentor = create_user(email="mona.mentor@example.com", name="Mona Mentor", role="mentor", password=PASSWORD)
        session = booking.book_session(
            mentee=mentee,
            mentor_id=mentor.id,
            starts_at=NOW + timedelta(days=1),
            duration_minutes=60,
            session_type_name="Standard",
            now=NOW,
        )
        booking.confirm_session(session, user=mentor, now=NOW)
        assert not run_pass(worker_id="to-header").errors
    (message,) = [m for m in sink.received if "max.mentee@example.com" in dict(m.raw_items())["To"]]
    (address,) = message["To"].addresses
    assert (address.display_name, address.addr_spec) == (name, "max.mentee@example.com")
