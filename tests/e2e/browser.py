"""The browser tests' tools: the app served on a free port, a stand-in meeting host, a browser context per person.

Sessions are booked relative to `utcnow()` through the services. The app runs in this process, so
a test that holds `time_machine.travel(...)` moves the server's clock; the pages' clock is
Playwright's `clock` (`pause_clock` stops it, `Traffic.run_clock` moves it and watches what the page
asks meanwhile). Tests that do neither wait in real time, a few seconds before a window opens.
The fixtures that hand these out (`browser`, `server`, `page`, ...) are in tests/e2e/conftest.py.
"""
import re
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.serving import make_server

from meetapp.domain.timeutil import utcnow
from meetapp.extensions import db
from meetapp.models import MentoringSession, User
from meetapp.outbox.worker import run_pass
from meetapp.services import booking, join_links, video_settings, windows
from meetapp.services.accounts import create_user
from tests.support import IN_CI, PASSWORD, SmtpSink, free_port, running_app

HERE = Path(__file__).parent
CHROMIUM = Path("/usr/bin/chromium")
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = HERE / "screenshots"
# No internet on the machines that run this: without these flags chromium keeps dialling out.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A mentor's own meeting link. Chromium resolves its host to `MeetingHost`, so following it needs no internet.
MEETING_HOST = "zoom.us"
MEETING_URL = f"https://{MEETING_HOST}/j/1234567890"
MEETING_PAGE = b"<!doctype html><title>Meeting</title><h1>meeting</h1>"
# Playwright waits at most this long for anything, so a broken page fails fast.
WAIT_MS = 5_000
JOIN_LINK = re.compile(r"https?://\S+/join/[A-Za-z0-9._-]+")


def require(path: Path, what: str) -> None:
    """Skip without `path`, except under CI=true, where the browser tests must run."""
    if path.exists():
        return
    if IN_CI:
        pytest.fail(f"CI=true but {what} is missing at {path}; `make test` installs it.")
    pytest.skip(f"{what} is not installed at {path} (`make test` installs it)")


class MeetingHost:
    """A local HTTPS server standing in for the meeting provider, with a self-signed certificate.

    Not `page.route`: Playwright does not route the hops of a redirect (microsoft/playwright#33882),
    and the join proxy reaches the meeting only by redirecting. Chromium is told to resolve
    MEETING_HOST to this server, so every way of following a join link ends here.
    """

    def __init__(self, directory: Path):
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, MEETING_HOST)])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(MEETING_HOST)]), critical=False)
            .sign(key, hashes.SHA256())
        )
        (directory / "meeting.crt").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        (directory / "meeting.key").write_bytes(
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(directory / "meeting.crt", directory / "meeting.key")
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), MeetingPage)
        self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="e2e-meeting", daemon=True)

    def __enter__(self) -> "MeetingHost":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()


class MeetingPage(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(MEETING_PAGE)))
        self.end_headers()
        self.wfile.write(MEETING_PAGE)

    def log_message(self, format, *args):
        pass


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    name: str


class LiveServer:
    """The app served over HTTP, with helpers that set up people and sessions through the services."""

    def __init__(self, app, port: int, sink: SmtpSink):
        self.app, self.port, self.sink = app, port, sink
        self.base_url = f"http://127.0.0.1:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def person(self, role: str, name: str, timezone: str = "UTC") -> Person:
        email = f"{name.lower().replace(' ', '.')}@example.com"
        with self.app.app_context():
            user = create_user(email=email, name=name, role=role, password=PASSWORD, timezone=timezone)
            return Person(user.id, email, name)

    def mentor_with_meeting_link(self, name: str, url: str = MEETING_URL) -> Person:
        mentor = self.person("mentor", name)
        with self.app.app_context():
            video_settings.save(db.session.get(User, mentor.id), provider="manual", manual_url=url, now=utcnow())
        return mentor

    def session(self, mentee: Person, mentor: Person, *, opens_in: timedelta, confirm: bool = True) -> str:
        """A Standard session whose join window opens `opens_in` from now (negative: already open),
        rounded up to a whole second.

        Whole seconds, as the booking form's whole minutes are: the pages carry the window's edges to
        the second (`iso_z`), so a start with a fraction would open the page's Join a fraction early.
        One that starts in the past was booked and confirmed an hour before its start.
        """
        with self.app.app_context():
            kind = booking.session_type_named(booking.DEFAULT_SESSION_TYPE)
            early = kind.early_access_minutes
            if early is None:
                early = self.app.config["JITSI_ALLOW_EARLY_MINUTES"]
            starts_at = utcnow() + timedelta(minutes=early) + opens_in
            if starts_at.microsecond:
                starts_at = starts_at.replace(microsecond=0) + timedelta(seconds=1)
            booked_at = min(utcnow(), starts_at - timedelta(hours=1))
            session = booking.book_session(
                mentee=db.session.get(User, mentee.id),
                mentor_id=mentor.id,
                starts_at=starts_at,
                duration_minutes=60,
                now=booked_at,
            )
            if confirm:
                booking.confirm_session(session, user=db.session.get(User, mentor.id), now=booked_at)
            return session.id

    def opens_at(self, session_id: str) -> datetime:
        with self.app.app_context():
            session = db.session.get(MentoringSession, session_id)
            return windows.window_of(session).opens_at

    def cancel(self, session_id: str, by: Person, reason: str = "Something came up.") -> None:
        with self.app.app_context():
            session = db.session.get(MentoringSession, session_id)
            booking.cancel_session(session, user=db.session.get(User, by.id), reason=reason, now=utcnow())

    def join_link(self, session_id: str, person: Person) -> str:
        """The long-lived link that mails and calendar invites carry."""
        with self.app.app_context():
            session = db.session.get(MentoringSession, session_id)
            return join_links.join_link(session, db.session.get(User, person.id), utcnow())

    def deliver_mail(self):
        """One pass of `flask worker`: due mail goes to the SMTP sink."""
        with self.app.app_context():
            return run_pass(worker_id="e2e-worker")

    def link_mailed_to(self, email: str, subject: str, path: str) -> str:
        """The one link to `path`… in the plain-text part of the mail to `email` whose subject starts with `subject`."""
        (message,) = [message for message in self.sink.to(email) if message["Subject"].startswith(subject)]
        links = re.findall(rf"{re.escape(self.base_url + path)}\S+", message.get_body(("plain",)).get_content())
        (link,) = set(links)
        return link

    def join_link_mailed_to(self, person: Person, subject: str) -> str:
        """The one join link in the plain-text part of the mail to `person` whose subject starts with `subject`."""
        (message,) = [message for message in self.sink.to(person.email) if message["Subject"].startswith(subject)]
        (link,) = set(JOIN_LINK.findall(message.get_body(("plain",)).get_content()))
        return link


@contextmanager
def serve(database: Path) -> Iterator[LiveServer]:
    """The app on a fresh SQLite file, served over HTTP on a free port, mailing to its own SMTP sink."""
    sink = SmtpSink().start()
    port = free_port()
    with running_app(
        f"sqlite:///{database}",
        WTF_CSRF_ENABLED=True,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=sink.port,
        MAIL_TIMEOUT_SECONDS=5,
    ) as app:
        http = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=http.serve_forever, name="e2e-http", daemon=True)
        thread.start()
        try:
            yield LiveServer(app, port, sink)
        finally:
            http.shutdown()
            thread.join(timeout=5)
            http.server_close()
            sink.stop()


def new_context(browser, server: LiveServer, *, bypass_csp: bool = False, java_script_enabled: bool = True):
    """A fresh browser context (its own cookies: one person) on the app.

    `bypass_csp=True` is for the accessibility checks only: it lets axe-core be injected.
    The meeting host's certificate is self-signed, hence `ignore_https_errors`.
    """
    context = browser.new_context(
        base_url=server.base_url,
        locale="en-US",
        timezone_id="UTC",
        bypass_csp=bypass_csp,
        java_script_enabled=java_script_enabled,
        ignore_https_errors=True,
    )
    context.set_default_timeout(WAIT_MS)
    return context


class ConsoleWatch:
    """What went wrong in the pages of the contexts it watches: console errors (a CSP violation, a
    script error), uncaught exceptions, and scripts, style sheets or images that failed to load.
    Pages and htmx requests answered 4xx on purpose (a refused join, a form's 400) are the app's
    answers, not errors of the page."""

    ASSETS = ("script", "stylesheet", "image", "font")

    def __init__(self):
        self.errors: list[str] = []

    def watch(self, context):
        context.on("console", self._console)
        context.on("weberror", lambda error: self.errors.append(f"uncaught: {error.error}"))
        context.on("response", self._response)
        return context

    def _console(self, message) -> None:
        # Chromium logs every 4xx answer as "Failed to load resource"; `_response` judges those.
        if message.type == "error" and not message.text.startswith("Failed to load resource:"):
            self.errors.append(f"console: {message.text}")

    def _response(self, response) -> None:
        if response.status >= 400 and response.request.resource_type in self.ASSETS:
            self.errors.append(f"{response.status} for {response.url}")


def log_in(page, person: Person) -> None:
    """Through the login form, as a person would; ends on wherever the app sends them next."""
    if "/auth/login" not in page.url:
        page.goto("/auth/login")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/auth/login" not in url)


def pause_clock(context, at: datetime) -> None:
    """Stop the clock of the pages `context` opens from now on at `at`: Date, timers and performance.now
    then move only by `clock.run_for` (see `Traffic.run_clock`), so a page's timers fire exactly when
    the test says. Call it before the context opens its first page."""
    context.clock.install(time=at)
    context.clock.pause_at(at)


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    if_none_match: str | None
    status: int | None  # None: no answer (failed or still under way)


class Traffic:
    """Every request one page sends from the moment this is made, with its answer's status: what a live
    page costs the server, and whether its polls are answered 304."""

    def __init__(self, page):
        self.page = page
        self.exchanges: list[Exchange] = []
        self._under_way: dict = {}
        page.on("request", self._sent)
        page.on("response", self._answered)
        page.on("requestfailed", self._failed)

    def _sent(self, request) -> None:
        self._under_way[request] = len(self.exchanges)
        path = urlsplit(request.url).path
        self.exchanges.append(Exchange(request.method, path, request.headers.get("if-none-match"), None))

    # Answered when its status and headers are in: a page need not read a body it does not want
    # (the session page's status poll, whose news it fetches from elsewhere), and Chromium counts a
    # request with an unread body as unfinished.
    def _answered(self, response) -> None:
        index = self._under_way.pop(response.request, None)
        if index is not None:
            self.exchanges[index] = replace(self.exchanges[index], status=response.status)

    def _failed(self, request) -> None:
        self._under_way.pop(request, None)

    def settle(self) -> None:
        """Wait (in real time, at most WAIT_MS) until every request sent so far has its answer."""
        for _ in range(WAIT_MS // 10):
            if not self._under_way:
                return
            self.page.wait_for_timeout(10)
        raise AssertionError(f"still unanswered after {WAIT_MS} ms: {list(self._under_way)}")

    def run_clock(self, milliseconds: int, *, until: str | None = None, step: int = 1_000) -> int:
        """Move the page's paused clock on by `milliseconds`, a `step` at a time, letting each step's
        requests be answered before the next, as they would be in the time they take. With `until` (a
        JavaScript expression) stop at the first step after which it holds; return the time run."""
        ran = 0
        while ran < milliseconds:
            this_step = min(step, milliseconds - ran)
            self.page.clock.run_for(this_step)
            ran += this_step
            self.settle()
            if until is not None and self.page.evaluate(until):
                return ran
        if until is not None:
            raise AssertionError(f"{until} did not hold within {milliseconds} ms of the page's clock")
        return ran
