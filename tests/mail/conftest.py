"""Mail tests: the app delivers over SMTP to a real server in this process, and a worker is at hand."""
import pytest

from meetapp.outbox.worker import run_pass
from tests.mail.helpers import book
from tests.support import running_app


@pytest.fixture
def app(database_url, smtp_sink):
    with running_app(database_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port, MAIL_TIMEOUT_SECONDS=5) as app:
        yield app


@pytest.fixture
def worker(app):
    """`worker()` runs one pass of `flask worker` (at the current, possibly travelled, time) and reports."""

    def one_pass(worker_id: str = "test-worker"):
        with app.app_context():
            return run_pass(worker_id=worker_id)

    return one_pass


@pytest.fixture
def confirmed(clock, as_mentee, as_mentor, mentor, worker):
    """A session confirmed by the mentor, with its mails already delivered to the sink."""
    session_id = book(as_mentee, mentor)
    assert as_mentor.post(f"/api/mentoring/session/{session_id}/confirm").status_code == 200
    worker()
    return session_id
