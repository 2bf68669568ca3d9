"""The load benchmark behind `bench/run`: the app under gunicorn exactly as in production, driven by wrk.

Every figure is reported as a ratio to a reference measured in the same run on
the same machine (`/healthz` for requests, plain smtplib for mail), so results
from different machines compare, and a budget is a ratio too.
"""
import argparse
import os
import platform
import re
import secrets
import shutil
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
SESSIONS_ON_DASHBOARD = 50
MAILS = 1000
USER_AGENT = "meetapp-bench/1"
# What each figure must reach, as a share of its reference (issue 6).
BUDGETS = {"status fragment": 0.5, "join redirect": 0.5, "dashboard, 50 sessions": 0.25, "mail delivery": 0.5}


@dataclass
class Load:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    # To the reference measured at the start of the same round.
    ratio: float = 1.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up within {seconds:.0f}s")


@contextmanager
def database(use_postgres: bool, workdir: Path):
    """A fresh database for this run: a SQLite file, or a throwaway PostgreSQL database dropped afterwards."""
    if not use_postgres:
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    import sqlalchemy as sa

    server = sa.make_url(os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"meetapp_bench_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(env: dict[str, str]) -> dict[str, str]:
    """One mentee with 50 upcoming sessions and one joinable now; returns what wrk needs to act as them."""
    os.environ.update(env)
    from meetapp import create_app
    from meetapp.accounts import create_user, issue_api_token
    from meetapp.domain.timeutil import utcnow
    from meetapp.extensions import db
    from meetapp.joining import join_link
    from meetapp.models import OutboxMail, User
    from meetapp.scheduling import book_session, confirm_session, ensure_default_session_types

    app = create_app()
    now = utcnow()
    with app.app_context():
        ensure_default_session_types()
        mentor = create_user(email="mentor@bench.example", name="Bench Mentor", role="mentor", password="bench-password")
        mentee = create_user(email="mentee@bench.example", name="Bench Mentee", role="mentee", password="bench-password")
        mentor, mentee = db.session.get(User, mentor.id), db.session.get(User, mentee.id)
        tomorrow = now.replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        for number in range(SESSIONS_ON_DASHBOARD - 1):
            session = book_session(mentee=mentee, mentor_id=mentor.id, starts_at=tomorrow + timedelta(hours=2 * number),
                                   duration_minutes=60, now=now)
            confirm_session(session, user=mentor, now=now)
        joinable = book_session(mentee=mentee, mentor_id=mentor.id, starts_at=now + timedelta(minutes=5),
                                duration_minutes=60, now=now)
        confirm_session(joinable, user=mentor, now=now)
        db.session.query(OutboxMail).delete()
        db.session.commit()
        token = issue_api_token(mentee, "bench")
        join_path = "/join/" + join_link(joinable, mentee, now).rsplit("/join/", 1)[1]
        session_id = joinable.id

    # Logged in as wrk will be seen: Flask-Login ties a login to the client's address and user agent,
    # and would otherwise re-issue the cookie on every request, as no real browser makes it do.
    client = app.test_client()
    login_page = client.get("/auth/login", headers={"User-Agent": USER_AGENT}).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    response = client.post("/auth/login", headers={"User-Agent": USER_AGENT},
                           data={"csrf_token": csrf, "email": "mentee@bench.example", "password": "bench-password"})
    assert response.status_code == 302, response.status_code
    cookie = next(
        header.split(";", 1)[0] for header in response.headers.getlist("Set-Cookie") if header.startswith("session=")
    )
    return {"cookie": cookie, "token": token, "join_path": join_path, "session_id": session_id}


def run_wrk(url: str, *, duration: int, connections: int, headers: dict[str, str], warm_up: bool = True) -> Load:
    headers = {"User-Agent": USER_AGENT, **headers}
    header_args = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", *header_args, url]
    if warm_up:
        subprocess.run([*command[:3], "-d2s", *command[4:]], capture_output=True, check=True)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return Load(
        name="",
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=_latency(output, "50%"),
        p99_ms=_latency(output, "99%"),
        errors=_errors(output),
    )


def _latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)\b", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _errors(output: str) -> int:
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        errors += sum(int(part) for part in match.groups())
    return errors


def measure_requests(base: str, seeded: dict[str, str], duration: int, connections: int, rounds: int) -> list[Load]:
    """Every measure in `rounds` rounds, each round measuring the reference first; the median of each.

    On a shared two-core machine the reference alone moves by a third from one run to the next
    (2,000 to 2,800 requests/s within a minute). Each ratio is therefore taken against the reference
    measured at the start of its own round, and a measure reports its median round: one busy moment neither
    sinks a figure nor lifts it.
    """
    browser = {"Cookie": seeded["cookie"]}
    api = {"Authorization": f"Bearer {seeded['token']}"}
    targets = [
        ("/healthz", "/healthz", {}),
        ("status fragment", f"/sessions/{seeded['session_id']}/status", {**browser, "HX-Request": "true"}),
        ("access JSON", f"/api/mentoring/session/{seeded['session_id']}/access", api),
        ("join redirect", seeded["join_path"], browser),
        ("dashboard, 50 sessions", "/", browser),
    ]
    runs: dict[str, list[Load]] = {name: [] for name, _, _ in targets}
    for number in range(rounds):
        reference = None
        for name, path, headers in targets:
            load = run_wrk(base + path, duration=duration, connections=connections, headers=headers, warm_up=number == 0)
            reference = reference or load
            load.name, load.ratio = name, load.requests_per_second / reference.requests_per_second
            runs[name].append(load)
            print(f"  round {number + 1}: {name:<24} {load.requests_per_second:>9.0f} req/s  {load.ratio:.2f}", file=sys.stderr)
    return [
        Load(
            name=name,
            requests_per_second=statistics.median(load.requests_per_second for load in loads),
            p50_ms=statistics.median(load.p50_ms for load in loads),
            p99_ms=statistics.median(load.p99_ms for load in loads),
            errors=sum(load.errors for load in loads),
            ratio=statistics.median(load.ratio for load in loads),
        )
        for name, loads in runs.items()
    ]


def measure_mail(env: dict[str, str]) -> tuple[float, float]:
    """Seconds for `flask worker`'s pass to deliver 1,000 mails, and for plain smtplib to send the same mails.

    The reference is what a bare script would do: build each mail with the standard
    library's EmailMessage (the same parts: text, HTML, invite) and send it over one
    connection. The difference is what the outbox costs: claiming, leasing, recording.
    """
    from meetapp import create_app
    from meetapp.extensions import db
    from meetapp.models import MentoringSession, OutboxMail
    from meetapp.outbox import notify
    from meetapp.outbox.worker import run_pass

    app = create_app()
    with app.app_context():
        session = db.session.scalars(db.select(MentoringSession).limit(1)).first()
        for offset in range(1, MAILS // 2 + 1):
            notify.reminder(session, offset, datetime.now(UTC))
        db.session.commit()
        rows = list(db.session.scalars(db.select(OutboxMail)))
        db.session.expunge_all()
        assert len(rows) == MAILS

        started = time.perf_counter()
        report = run_pass(worker_id="bench")
        worker_seconds = time.perf_counter() - started
        assert report.sent == MAILS, report

    started = time.perf_counter()
    with smtplib.SMTP(env["MAIL_SERVER"], int(env["MAIL_PORT"])) as smtp:
        for row in rows:
            smtp.send_message(plain_message(row))
    smtplib_seconds = time.perf_counter() - started
    return worker_seconds, smtplib_seconds


def plain_message(row) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = row.subject
    message["From"] = "meetapp <no-reply@bench.example>"
    message["To"] = f"{row.to_name} <{row.to_address}>"
    message["Message-ID"] = row.message_id
    message.set_content(row.text_body)
    message.add_alternative(row.html_body, subtype="html")
    if row.ics:
        message.add_attachment(row.ics.encode(), maintype="text", subtype="calendar", filename="invite.ics",
                               params={"method": row.ics_method})
    return message


def table(loads: list[Load], mail: tuple[float, float]) -> tuple[str, bool]:
    lines = [
        "| measure | requests/s | p50 ms | p99 ms | errors | ratio to reference | budget |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    within = True
    for load in loads:
        ratio = load.ratio
        budget = BUDGETS.get(load.name)
        ok = (budget is None or ratio >= budget) and load.errors == 0
        within &= ok
        mark = "reference" if load is loads[0] else (f"≥ {budget} {'ok' if ok else 'MISSED'}" if budget else "—")
        lines.append(
            f"| {load.name} | {load.requests_per_second:,.0f} | {load.p50_ms:.2f} | {load.p99_ms:.2f} "
            f"| {load.errors} | {ratio:.2f} | {mark} |"
        )
    worker_seconds, smtplib_seconds = mail
    ratio = smtplib_seconds / worker_seconds
    ok = ratio >= BUDGETS["mail delivery"]
    within &= ok
    lines.append(
        f"| mail delivery, {MAILS} mails | {MAILS / worker_seconds:,.0f} mails/s | | | 0 "
        f"| {ratio:.2f} (plain smtplib: {MAILS / smtplib_seconds:,.0f} mails/s) | ≥ 0.5 {'ok' if ok else 'MISSED'} |"
    )
    return "\n".join(lines), within


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists() and (match := re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())):
        model = match.group(1).strip()
    return f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({model}), Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per measure and round (default 5)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every measure; medians are reported (default 3)")
    parser.add_argument("--write", action="store_true", help="rewrite bench/RESULTS.md with this run")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="meetapp-bench-"))
    port, smtp_port = free_port(), free_port()
    smtp_sink = subprocess.Popen(
        [BIN / "python", "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{smtp_port}"]
    )
    try:
        with database(args.pg, workdir) as database_url:
            env = {
                "MEETAPP_ENV": "production",
                "SECRET_KEY": secrets.token_hex(32),
                "DATABASE_URL": database_url,
                "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": str(smtp_port),
                "BIND": f"127.0.0.1:{port}",
                "FLASK_APP": "wsgi",
            }
            full_env = {**os.environ, **env}
            subprocess.run([BIN / "flask", "db", "upgrade"], cwd=ROOT, env=full_env, check=True, capture_output=True)
            print("seeding…", file=sys.stderr)
            seeded = seed(env)
            with open(workdir / "gunicorn.log", "w") as log:
                server = subprocess.Popen(
                    [BIN / "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=full_env,
                    stdout=log, stderr=subprocess.STDOUT,
                )
                try:
                    wait_until_up(f"http://127.0.0.1:{port}/healthz")
                    print(f"measuring, {args.duration}s each…", file=sys.stderr)
                    loads = measure_requests(
                        f"http://127.0.0.1:{port}", seeded, args.duration, args.connections, args.rounds
                    )
                finally:
                    server.terminate()
                    server.wait(timeout=30)
            print("delivering mail…", file=sys.stderr)
            mail = measure_mail(env)
    finally:
        smtp_sink.terminate()
        smtp_sink.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)

    result, within = table(loads, mail)
    store = "PostgreSQL" if args.pg else "SQLite"
    header = (
        f"{datetime.now(UTC):%Y-%m-%d}, {store}, gunicorn.conf.py defaults "
        f"({os.cpu_count() * 2 + 1} processes × 4 threads), wrk -t2 -c{args.connections} -d{args.duration}s, "
        f"median of {args.rounds} rounds, "
        f"on {machine()}"
    )
    print(f"\n{header}\n\n{result}\n")
    if args.write:
        write_results(store, header, result)
    if not within:
        sys.exit("Some figures are under their budget (see the table).")


def write_results(store: str, header: str, result: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text() if path.exists() else ""
    section = f"## {store}\n\n{header}\n\n{result}\n"
    pattern = re.compile(rf"## {store}\n.*?(?=\n## |\Z)", re.S)
    if pattern.search(text):
        # The section's own blank line keeps it apart from the next heading.
        text = pattern.sub(lambda _: section.rstrip("\n") + "\n", text)
    else:
        text = (text or "# Benchmark results\n\nThe latest run of `bench/run` (SQLite) and `bench/run --pg`.\n") + "\n" + section
    path.write_text(text)


if __name__ == "__main__":
    main()
