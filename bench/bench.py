"""The load benchmark behind `bench/run`: meetapp and its floor under gunicorn, side by side, driven by wrk.

The floor (bench/floor.py) answers the same requests with only the essential work: plain Flask
and the database driver, one statement per request. Both are served with the same
gunicorn.conf.py on the same seeded database, and each measure is taken on both in alternating
rounds. A figure is meetapp's requests/s as a share of the floor's, taken per round, and a
budget is such a share: it says what meetapp's own machinery costs, whatever the machine.
Mail is measured against a plain smtplib script the same way.

Seeding goes through meetapp's public interfaces only (its CLI, and its JSON API and login
page over HTTP), so it keeps working while meetapp's modules move; only the mail measure
reaches into meetapp (`measure_mail`), because it needs the outbox.
"""
import argparse
import difflib
import http.client
import json
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
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
SESSIONS_ON_DASHBOARD = 50
MAILS = 1000
USER_AGENT = "meetapp-bench/1"
PASSWORD = "bench-password"
MENTOR, MENTEE = "mentor@bench.example", "mentee@bench.example"
APPS = {"meetapp": "wsgi:app", "floor": "bench.floor:app"}
# What meetapp's requests/s must reach, as a share of the floor's; mail, as a share of plain smtplib.
BUDGETS = {
    "/healthz": 0.9,
    "status fragment": 0.7,
    "browser join": 0.7,
    "API join": 0.7,
    "access JSON": 0.7,
    "dashboard, 50 sessions": 0.6,
    "dashboard poll, unchanged (304; floor: /healthz)": 0.9,
    "dashboard poll, one row changed": 0.7,
}
MAIL_BUDGET = 0.5


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass
class Measure:
    """One measure on both apps: every round's load of each, and meetapp/floor per round."""

    name: str
    meetapp: list[Load]
    floor: list[Load]

    @property
    def ratios(self) -> list[float]:
        pairs = zip(self.meetapp, self.floor, strict=True)
        return [ours.requests_per_second / theirs.requests_per_second for ours, theirs in pairs]


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
    import psycopg

    server = urlsplit(os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    admin_url = server._replace(scheme="postgresql").geturl()
    name = f"meetapp_bench_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server._replace(scheme="postgresql+psycopg", path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def served(app: str, port: int, env: dict[str, str], log: Path):
    """`gunicorn -c gunicorn.conf.py <app>` from the project root on `port`, stopped on the way out."""
    with open(log, "w") as output:
        server = subprocess.Popen(
            [BIN / "gunicorn", "-c", "gunicorn.conf.py", app], cwd=ROOT, env={**env, "BIND": f"127.0.0.1:{port}"},
            stdout=output, stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}/healthz")
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(timeout=30)


# Seeding, through meetapp's CLI and its HTTP interfaces ---------------------------------------


def flask(env: dict[str, str], *args: str) -> str:
    """`flask <args>` in the project root; its standard output."""
    done = subprocess.run([BIN / "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def seed_accounts(env: dict[str, str]) -> dict:
    """The schema, the Standard session type, a mentor and a mentee, and an API token for each."""
    flask(env, "db", "upgrade")
    flask(env, "session-types", "set", "Standard", "--early", "15", "--late", "30", "--duration", "60")
    seeded = {}
    for role, email in (("mentor", MENTOR), ("mentee", MENTEE)):
        created = flask(env, "users", "create", "--email", email, "--name", f"Bench {role.title()}", "--role", role,
                        "--password", PASSWORD)
        seeded[f"{role}_id"] = int(re.findall(r"\d+", created)[-1])
        seeded[f"{role}_token"] = flask(env, "users", "token", "--email", email).strip().splitlines()[-1].strip()
    return seeded


def fetch(base: str, method: str, path: str, *, headers: dict | None = None, body: str | bytes | None = None):
    """One request, redirects not followed: (status, headers, body)."""
    connection = http.client.HTTPConnection(urlsplit(base).hostname, urlsplit(base).port, timeout=60)
    try:
        connection.request(method, path, body=body, headers={"User-Agent": USER_AGENT, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def api(base: str, method: str, path: str, token: str, payload: dict | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    status, _, body = fetch(base, method, path, headers=headers, body=None if payload is None else json.dumps(payload))
    if status == 429:
        # Booking is limited per person (BOOKING_RATE_LIMIT); main()'s env raises the limit for the seed.
        raise SystemExit(f"{method} {path} was rate-limited (429): raise the limit in bench.py's env.")
    if not 200 <= status < 300:
        raise SystemExit(f"{method} {path}: {status} {body[:500]!r}")
    return json.loads(body)


def seed_sessions(base: str, seeded: dict) -> dict:
    """49 confirmed sessions from tomorrow on the hour, two hours apart, and one starting in 5 minutes (joinable).

    Booked by the mentee and confirmed by the mentor through the JSON API, the joinable one's confirmation
    last. Returns the joinable session's id, the path of the mentee's own long-lived join link to it (its
    `joinUrl`), and the mentee's dashboard ETag now and from just before that confirmation: a poll naming
    that one has exactly one changed session to show.
    """
    now = datetime.now(UTC).replace(microsecond=0)
    tomorrow = now.replace(minute=0, second=0) + timedelta(days=1)
    for number in range(SESSIONS_ON_DASHBOARD - 1):
        confirm(base, seeded, book(base, seeded, tomorrow + timedelta(hours=2 * number)))
    joinable = book(base, seeded, now + timedelta(minutes=5))
    etag_before_last_change = dashboard_etag(base, seeded["cookie"])
    confirm(base, seeded, joinable)
    session = api(base, "GET", f"/api/mentoring/session/{joinable}", seeded["mentee_token"])["session"]
    return {
        "session_id": joinable,
        "join_path": urlsplit(session["joinUrl"]).path,
        "etag": dashboard_etag(base, seeded["cookie"]),
        "etag_before_last_change": etag_before_last_change,
    }


def book(base: str, seeded: dict, starts_at: datetime) -> str:
    """A 60-minute Standard session booked by the mentee; its id."""
    booking = {
        "mentorId": seeded["mentor_id"],
        "startsAt": starts_at.isoformat().replace("+00:00", "Z"),
        "durationMinutes": 60,
        "sessionType": "Standard",
    }
    return api(base, "POST", "/api/mentoring/sessions", seeded["mentee_token"], booking)["session"]["id"]


def confirm(base: str, seeded: dict, session_id: str) -> None:
    api(base, "POST", f"/api/mentoring/session/{session_id}/confirm", seeded["mentor_token"])


def dashboard_etag(base: str, cookie: str) -> str:
    """The ETag of the person's live pages now, as their dashboard's poll gives it to a page that has seen nothing."""
    status, headers, body = fetch(base, "GET", "/dashboard/changes", headers={"Cookie": cookie})
    if status != 200 or headers.get("ETag") is None:
        raise SystemExit(f"GET /dashboard/changes: {status}, ETag {headers.get('ETag')!r}: {body[:300]!r}")
    return headers["ETag"]


def log_in(base: str, email: str) -> str:
    """The `session` cookie of a login through the login page, as wrk will be seen.

    Flask-Login ties a login to the client's address and user agent, and would otherwise mark it
    non-fresh and send a new cookie on every request, as no real browser makes it do.
    """
    status, headers, page = fetch(base, "GET", "/auth/login")
    tag = re.search(rb'<input[^>]*name="csrf_token"[^>]*>', page)
    if status != 200 or tag is None:
        raise SystemExit(f"GET /auth/login: {status}, no csrf_token field")
    csrf = re.search(rb'value="([^"]+)"', tag.group(0)).group(1).decode()
    form = urlencode({"csrf_token": csrf, "email": email, "password": PASSWORD, "next": ""})
    status, headers, body = fetch(base, "POST", "/auth/login", body=form, headers={
        "Cookie": session_cookie(headers), "Content-Type": "application/x-www-form-urlencoded",
    })
    if status != 302:
        raise SystemExit(f"POST /auth/login: {status} {body[:500]!r}")
    return session_cookie(headers)


SESSION_COOKIE = "__Host-meetapp_session"  # production's name for Flask's session cookie


def session_cookie(headers) -> str:
    return next(
        value.split(";", 1)[0] for value in headers.get_all("Set-Cookie", []) if value.startswith(f"{SESSION_COOKIE}=")
    )


# Measuring ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One measure: the request made of both apps, and the status every answer must have.

    Where the floor has no twin of the route, it is asked `floor_path` instead and answers `floor_status`.
    """

    name: str
    path: str
    headers: dict[str, str]
    status: int
    floor_path: str | None = None
    floor_status: int | None = None
    # The part of the answer both apps render alike but for whitespace (shown as a diff where they differ).
    same_markup: Callable[[str], str] | None = None
    # How many dashboard rows every answer holds, where that number is the point of the measure.
    rows: int | None = None

    def path_on(self, app: str) -> str:
        return self.floor_path if app == "floor" and self.floor_path else self.path

    def status_on(self, app: str) -> int:
        return self.floor_status if app == "floor" and self.floor_status else self.status


def whole(body: str) -> str:
    return body


def dashboard_part(page: str) -> str:
    """The awaiting-confirmation line and the Upcoming rows: the floor's page around them is its own."""
    awaiting = r'<p class="alert alert-info" id="awaiting-me".*?</p>'
    upcoming = r'<ul class="session-list" id="upcoming-sessions">.*?</ul>'
    return "".join(re.findall(f"{awaiting}|{upcoming}", page, re.S))


def targets(seeded: dict) -> list[Target]:
    browser = {"Cookie": seeded["cookie"]}
    api_token = {"Authorization": f"Bearer {seeded['mentee_token']}"}
    session_id = seeded["session_id"]
    return [
        Target("/healthz", "/healthz", {}, 200),
        Target("status fragment", f"/sessions/{session_id}/status", {**browser, "HX-Request": "true"}, 200,
               same_markup=whole),
        Target("browser join", seeded["join_path"], browser, 302),
        Target("API join", f"/api/mentoring/session/{session_id}/join", api_token, 302),
        Target("access JSON", f"/api/mentoring/session/{session_id}/access", api_token, 200),
        Target("dashboard, 50 sessions", "/", browser, 200, same_markup=dashboard_part),
        # An unchanged poll is meant to cost next to nothing: it is held to the floor's /healthz.
        Target("dashboard poll, unchanged (304; floor: /healthz)", "/dashboard/changes",
               {**browser, "If-None-Match": seeded["etag"]}, 304, floor_path="/healthz", floor_status=200),
        Target("dashboard poll, one row changed", "/dashboard/changes",
               {**browser, "If-None-Match": seeded["etag_before_last_change"]}, 200, same_markup=whole, rows=1),
    ]


def check_answers(bases: dict[str, str], seeded: dict) -> None:
    """One request per measure and app before the load: a wrong answer is shown now, with its body, and
    markup that differs between the apps as a diff."""
    for target in targets(seeded):
        bodies = {}
        for app, base in bases.items():
            status, _, body = fetch(base, "GET", target.path_on(app), headers=target.headers)
            bodies[app] = body.decode()
            if status != target.status_on(app):
                print(f"  {app} answers {target.name} with {status}, not {target.status_on(app)}: {body[:300]!r}",
                      file=sys.stderr)
            rows = body.count(b'<li class="session-row')
            if target.rows is not None and rows != target.rows:
                print(f"  {app} answers {target.name} with {rows} rows, not {target.rows}", file=sys.stderr)
        if target.same_markup is not None:
            meetapp, floor = (markup_lines(target.same_markup(bodies[app])) for app in ("meetapp", "floor"))
            if meetapp != floor:
                diff = difflib.unified_diff(meetapp, floor, "meetapp", "floor", n=2, lineterm="")
                print(f"  {target.name}: the floor's markup differs from meetapp's:", *list(diff)[:60],
                      sep="\n    ", file=sys.stderr)


def markup_lines(html: str) -> list[str]:
    """`html` as one tag or text a line, each with its whitespace collapsed: what "the same markup but for
    whitespace" compares."""
    pieces = (" ".join(piece.split()).replace(" >", ">") for piece in re.split(r"(<[^>]*>)", html))
    return [piece for piece in pieces if piece]


def run_wrk(url: str, *, duration: int, connections: int, headers: dict[str, str], warm_up: bool) -> Load:
    headers = {"User-Agent": USER_AGENT, **headers}
    header_args = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", *header_args, url]
    if warm_up:
        subprocess.run([*command[:3], "-d2s", *command[4:]], capture_output=True, check=True)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return Load(
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


def measure_requests(
    bases: dict[str, str], seeded: dict, duration: int, connections: int, rounds: int, only: list[str] | None = None
) -> list[Measure]:
    """Every measure on meetapp and on the floor, back to back, in `rounds` rounds.

    On a shared two-core machine the speed of everything moves by a third from one minute to the
    next, so each ratio is taken between two runs made one right after the other, and which app
    goes first alternates from round to round. A measure reports its median round.
    """
    chosen = [target for target in targets(seeded) if only is None or any(word in target.name for word in only)]
    measures = [Measure(target.name, [], []) for target in chosen]
    width = max((len(target.name) for target in chosen), default=0)
    for number in range(rounds):
        order = list(bases) if number % 2 == 0 else list(reversed(bases))
        for measure, target in zip(measures, chosen, strict=True):
            for app in order:
                load = run_wrk(bases[app] + target.path_on(app), duration=duration, connections=connections,
                               headers=target.headers, warm_up=number == 0)
                getattr(measure, app).append(load)
                print(f"  round {number + 1}: {target.name:<{width}} {app:<8} {load.requests_per_second:>7.0f} req/s"
                      + (f"  {load.errors} errors" if load.errors else ""), file=sys.stderr)
            print(f"  round {number + 1}: {target.name:<{width}} ratio    {measure.ratios[-1]:>7.2f}", file=sys.stderr)
    return measures


def measure_mail(env: dict[str, str]) -> tuple[float, float]:
    """Seconds for `flask worker`'s pass to deliver 1,000 mails, and for plain smtplib to send the same mails.

    The reference is what a bare script would do: build each mail with the standard
    library's EmailMessage (the same parts: text, HTML, invite) and send it over one
    connection. The difference is what the outbox costs: claiming, leasing, recording.
    The only place the benchmark imports meetapp: it needs the outbox's own code.
    """
    os.environ.update(env)
    from meetapp import create_app
    from meetapp.extensions import db
    from meetapp.models import MentoringSession, OutboxMail
    from meetapp.outbox.notify import reminder
    from meetapp.outbox.worker import run_pass

    app = create_app()
    with app.app_context():
        # The seed's own mails were delivered or skipped before (`flask worker --once`); only the new ones count.
        seeded_up_to = db.session.scalar(db.select(db.func.max(OutboxMail.id))) or 0
        session = db.session.scalars(db.select(MentoringSession).limit(1)).first()
        for offset in range(1, MAILS // 2 + 1):
            reminder(session, offset, datetime.now(UTC))
        db.session.commit()
        rows = list(db.session.scalars(db.select(OutboxMail).where(OutboxMail.id > seeded_up_to)))
        db.session.expunge_all()
        assert len(rows) == MAILS, len(rows)

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


# Reporting ---------------------------------------------------------------------------------------


def table(measures: list[Measure], mail: tuple[float, float] | None) -> tuple[str, bool]:
    lines = [
        "| measure | meetapp req/s | p50 ms | p99 ms | floor req/s | p50 ms | p99 ms | errors meetapp / floor "
        "| meetapp/floor per round | median | budget |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    within = True
    for measure in measures:
        ours, theirs = median_load(measure.meetapp), median_load(measure.floor)
        ratio, budget = statistics.median(measure.ratios), BUDGETS[measure.name]
        errors = ours.errors + theirs.errors
        ok = ratio >= budget and errors == 0
        within &= ok
        verdict = "ok" if ok else ("MISSED (errors)" if errors else "MISSED")
        lines.append(
            f"| {measure.name} | {ours.requests_per_second:,.0f} | {ours.p50_ms:.2f} | {ours.p99_ms:.2f} "
            f"| {theirs.requests_per_second:,.0f} | {theirs.p50_ms:.2f} | {theirs.p99_ms:.2f} "
            f"| {ours.errors} / {theirs.errors} | {', '.join(f'{r:.2f}' for r in measure.ratios)} "
            f"| {ratio:.2f} | ≥ {budget} {verdict} |"
        )
    if mail is None:
        return "\n".join(lines), within
    worker_seconds, smtplib_seconds = mail
    ratio = smtplib_seconds / worker_seconds
    ok = ratio >= MAIL_BUDGET
    within &= ok
    lines.append(
        f"| mail delivery, {MAILS} mails (floor: plain smtplib) | {MAILS / worker_seconds:,.0f} mails/s | | "
        f"| {MAILS / smtplib_seconds:,.0f} mails/s | | | 0 / 0 | | {ratio:.2f} "
        f"| ≥ {MAIL_BUDGET} {'ok' if ok else 'MISSED'} |"
    )
    return "\n".join(lines), within


def median_load(loads: list[Load]) -> Load:
    return Load(
        requests_per_second=statistics.median(load.requests_per_second for load in loads),
        p50_ms=statistics.median(load.p50_ms for load in loads),
        p99_ms=statistics.median(load.p99_ms for load in loads),
        errors=sum(load.errors for load in loads),
    )


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists() and (match := re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())):
        model = match.group(1).strip()
    return f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({model}), Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per measure, app and round (default 5)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every measure; medians are reported (default 3)")
    parser.add_argument("--write", action="store_true", help="rewrite bench/RESULTS.md with this run")
    parser.add_argument(
        "--only", metavar="WORDS",
        help="measure only the requests whose names contain one of these comma-separated words, and no mail "
        "(for trying a change; not with --write)",
    )
    args = parser.parse_args()
    if args.only and args.write:
        parser.error("--only measures part of the table; --write keeps whole tables")
    only = [word.strip() for word in args.only.split(",")] if args.only else None

    workdir = Path(tempfile.mkdtemp(prefix="meetapp-bench-"))
    ports = {app: free_port() for app in APPS}
    smtp_port = free_port()
    smtp_sink = subprocess.Popen(
        [BIN / "python", "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{smtp_port}"]
    )
    try:
        with database(args.pg, workdir) as database_url:
            # The same for both apps, but for the port each one binds.
            env = {
                "MEETAPP_ENV": "production",
                "SECRET_KEY": secrets.token_hex(32),
                "DATABASE_URL": database_url,
                "PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['meetapp']}",
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": str(smtp_port),
                "FLASK_APP": "wsgi",
                # Several gunicorn processes count the limits together, or meetapp refuses to start.
                "RATELIMIT_STORAGE_URI": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1"),
                "RATELIMIT_KEY_PREFIX": f"meetapp-bench-{os.getpid()}",
                # The seed books 50 sessions as one mentee in a few seconds.
                "BOOKING_RATE_LIMIT": "1000 per minute",
            }
            full_env = {**os.environ, **env}
            print("seeding…", file=sys.stderr)
            seeded = seed_accounts(full_env)
            with ExitStack() as servers:
                bases = {
                    app: servers.enter_context(served(target, ports[app], full_env, workdir / f"{app}.log"))
                    for app, target in APPS.items()
                }
                seeded["cookie"] = log_in(bases["meetapp"], MENTEE)
                seeded |= seed_sessions(bases["meetapp"], seeded)
                # The seed's booking and confirmation mails go to the sink: the outbox is empty for the mail measure.
                flask(full_env, "worker", "--once")
                check_answers(bases, seeded)
                print(f"measuring, {args.duration}s each…", file=sys.stderr)
                measures = measure_requests(bases, seeded, args.duration, args.connections, args.rounds, only)
            mail = None
            if only is None:
                print("delivering mail…", file=sys.stderr)
                mail = measure_mail(env)
    finally:
        smtp_sink.terminate()
        smtp_sink.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)

    result, within = table(measures, mail)
    store = "PostgreSQL" if args.pg else "SQLite"
    workers = os.environ.get("WEB_CONCURRENCY") or os.cpu_count() * 2 + 1
    threads = os.environ.get("GUNICORN_THREADS") or 4
    header = (
        f"{datetime.now(UTC):%Y-%m-%d}, {store}, both apps under gunicorn.conf.py ({workers} processes × {threads} "
        f"threads), wrk -t2 -c{args.connections} -d{args.duration}s, {args.rounds} round{'s' * (args.rounds != 1)} "
        f"(meetapp and floor back to back, alternating which goes first), medians reported, on {machine()}"
    )
    print(f"\n{header}\n\n{result}\n")
    if args.write:
        write_results(store, header, result)
    if not within:
        sys.exit("Some figures are under their budget or had errors (see the table).")


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
