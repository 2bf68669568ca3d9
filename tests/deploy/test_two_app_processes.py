"""meetapp on more than one machine: two gunicorn app processes and two `flask worker`s, as deployed,
sharing one PostgreSQL database and one Redis.

Each process is started exactly as production starts it (gunicorn.conf.py, `flask worker`),
on its own port, with the same SECRET_KEY; the test talks to them over HTTP.
"""
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import requests
import sqlalchemy as sa

from meetapp.extensions import db
from meetapp.models import MentoringSession, OutboxMail, User
from meetapp.outbox import notify
from meetapp.services.booking import book_session, confirm_session
from tests.support import IN_CI, PASSWORD, POSTGRES_URL, SmtpSink, free_port, running_app, scratch_postgres_database

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS_URL = "redis://127.0.0.1:6379"
MAILS = 300
RACERS = 8


def require(condition: bool, why: str) -> None:
    if not condition:
        if IN_CI:
            pytest.fail(f"{why}, and CI=true requires it")
        pytest.skip(why)


@pytest.fixture(scope="module")
def shared_services():
    require(bool(POSTGRES_URL), "TEST_DATABASE_URL is not set")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError as exc:
        require(False, f"Redis at {REDIS_URL} is unreachable: {exc}")
    with scratch_postgres_database("meetapp_cluster") as engine:
        yield engine.url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def cluster(shared_services, tmp_path_factory):
    """The database migrated, then two app processes behind their own ports; yields what the tests need."""
    sink = SmtpSink().start()
    prefix = f"meetapp-cluster-{uuid.uuid4().hex}"
    ports = [free_port(), free_port()]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MEETAPP_", "SECRET_KEY", "DATABASE_URL"))},
        # Production settings, but cookies over plain HTTP so the test can log in.
        "MEETAPP_ENV": "testing",
        "SECRET_KEY": uuid.uuid4().hex,
        "DATABASE_URL": shared_services,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{ports[0]}",
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        "LOGIN_RATE_LIMIT_PER_ACCOUNT": "4 per minute",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(sink.port),
        "MAIL_BATCH_SIZE": "10",
        "WORKER_POLL_SECONDS": "1",
        "WEB_CONCURRENCY": "2",
        "FLASK_APP": "wsgi",
    }
    upgraded = subprocess.run([BIN / "flask", "db", "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert upgraded.returncode == 0, upgraded.stderr
    logs = tmp_path_factory.mktemp("cluster")
    processes = []
    for number, port in enumerate(ports):
        log = open(logs / f"app-{number}.log", "w")
        processes.append(
            subprocess.Popen(
                [BIN / "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                cwd=ROOT, env={**env, "BIND": f"127.0.0.1:{port}"}, stdout=log, stderr=subprocess.STDOUT,
            )
        )
    try:
        for port in ports:
            wait_until_ready(f"http://127.0.0.1:{port}/healthz/ready", logs)
        yield {"env": env, "bases": [f"http://127.0.0.1:{port}" for port in ports], "sink": sink,
               "database_url": shared_services, "logs": logs}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        sink.stop()
        connection = redis.Redis.from_url(REDIS_URL)
        for key in connection.scan_iter(f"{prefix}*"):
            connection.delete(key)


def wait_until_ready(url: str, logs: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} never became ready:\n" + "\n".join(p.read_text() for p in logs.glob("*.log")))


@pytest.fixture(scope="module")
def people(cluster):
    """A mentor and a few mentees with API tokens, created directly in the shared database."""
    from meetapp.services.accounts import create_user, issue_api_token

    with running_app(cluster["database_url"]) as app:
        with app.app_context():
            mentor = create_user(email="mona@cluster.example", name="Mona", role="mentor", password=PASSWORD)
            mentees = [
                create_user(email=f"mentee{n}@cluster.example", name=f"Mentee {n}", role="mentee", password=PASSWORD)
                for n in range(RACERS)
            ]
            tokens = [issue_api_token(mentee) for mentee in mentees]
            return {"mentor": mentor.id, "mentees": [mentee.id for mentee in mentees], "tokens": tokens}


def failed_login(base: str, email: str) -> int:
    browser = requests.Session()
    page = browser.get(f"{base}/auth/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = browser.post(
        f"{base}/auth/login", data={"csrf_token": token, "email": email, "password": "not the password"},
        allow_redirects=False,
    )
    return response.status_code


def test_the_login_rate_limit_is_shared_by_both_app_processes(cluster, people):
    first, second = cluster["bases"]
    # Four failures allowed per account and minute, two on each process...
    assert [failed_login(base, "mona@cluster.example") for base in (first, second, first, second)] == [200] * 4
    # ...and the fifth is refused wherever it lands: one count, kept in Redis.
    assert failed_login(first, "mona@cluster.example") == 429
    assert failed_login(second, "mona@cluster.example") == 429


def test_a_booking_race_across_both_processes_books_the_slot_once(cluster, people):
    starts_at = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    start = threading.Barrier(RACERS)
    answers: list[tuple[int, str | None]] = []

    def book(number: int) -> None:
        base = cluster["bases"][number % 2]
        start.wait()
        response = requests.post(
            f"{base}/api/mentoring/sessions",
            json={"mentorId": people["mentor"], "startsAt": starts_at.isoformat(), "durationMinutes": 60},
            headers={"Authorization": f"Bearer {people['tokens'][number]}"},
            timeout=30,
        )
        answers.append((response.status_code, response.json().get("error")))

    threads = [threading.Thread(target=book, args=(number,)) for number in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers, key=lambda answer: answer[0]) == [(201, None)] + [(409, "mentor_busy")] * (RACERS - 1)
    engine = sa.create_engine(cluster["database_url"])
    with engine.connect() as connection:
        booked = connection.scalar(
            sa.select(sa.func.count()).select_from(MentoringSession).where(MentoringSession.starts_at == starts_at)
        )
    engine.dispose()
    assert booked == 1


def test_two_workers_deliver_300_due_mails_exactly_once(cluster, people):
    with running_app(cluster["database_url"]) as app:
        with app.app_context():
            mentee = db.session.get(User, people["mentees"][0])
            session = book_session(
                mentee=mentee, mentor_id=people["mentor"], starts_at=datetime.now(UTC) + timedelta(days=20),
                duration_minutes=60, now=datetime.now(UTC),
            )
            confirm_session(session, user=db.session.get(User, people["mentor"]), now=datetime.now(UTC))
            # Due a few seconds from now, when both workers are up and polling: a real race, not a head start.
            due_at = datetime.now(UTC) + timedelta(seconds=4)
            for offset in range(1, MAILS // 2 + 1):
                notify.reminder(session, offset, due_at)
            db.session.commit()
            reminders = set(
                db.session.scalars(sa.select(OutboxMail.message_id).where(OutboxMail.kind == "reminder"))
            )
            assert len(reminders) == MAILS
            due = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail).where(OutboxMail.status == "queued"))

    sink = cluster["sink"]
    sink.received.clear()
    workers = [
        subprocess.Popen([BIN / "flask", "worker"], cwd=ROOT, env=cluster["env"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 60
        while not reminders <= {message["Message-ID"] for message in sink.received} and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # long enough for a duplicate to show up, were one coming
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [worker.communicate(timeout=30)[0] for worker in workers]

    received = [message["Message-ID"] for message in sink.received]
    assert len(received) == len(set(received)), "no mail was sent twice"
    assert reminders <= set(received), outputs
    with running_app(cluster["database_url"]) as app:
        with app.app_context():
            outcome = {mail: status for mail, status in db.session.execute(sa.select(OutboxMail.message_id, OutboxMail.status))}
    # Everything that was due went out once, or was skipped as stale (a request answered before it went out).
    assert {status.value for status in outcome.values()} <= {"sent", "skipped"}
    assert {mail for mail, status in outcome.items() if status.value == "sent"} == set(received)
    assert len(received) + sum(status.value == "skipped" for status in outcome.values()) >= due
    assert all(worker.returncode == 0 for worker in workers), outputs
    assert all(re.search(r"[1-9]\d* sent", output) for output in outputs), f"both workers delivered: {outputs}"
