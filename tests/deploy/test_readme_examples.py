"""The README's shell examples, run as a newcomer runs them: `make run` serving, then each block
pasted into a new shell. Every ```sh block of the README is one of the kinds below; a new block
must be added here, so no example goes untried.
"""
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SHELL_BLOCKS = re.findall(r"^```sh\n(.*?)^```$", README, flags=re.MULTILINE | re.DOTALL)
README_BASE_URL = "http://127.0.0.1:5000"


def block_starting(first_line: str) -> str:
    """The one ```sh block whose first line starts so."""
    blocks = [block for block in SHELL_BLOCKS if block.startswith(first_line)]
    assert len(blocks) == 1, f"expected one ```sh block starting {first_line!r}, found {len(blocks)}"
    return blocks[0]


TWO_COMMANDS = "make run "
COMMAND_LINE = ". .venv/bin/activate\n"
API = "export MEETAPP_ENV=development    #"
PART_OF_THE_TESTS = ".venv/bin/python -m pytest tests/unit "


def test_every_shell_block_of_the_readme_is_run_here():
    known = [block_starting(start) for start in (TWO_COMMANDS, COMMAND_LINE, API, PART_OF_THE_TESTS)]
    assert sorted(known) == sorted(SHELL_BLOCKS)


def fresh_shell_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A new terminal's environment: nothing of meetapp's set, a scratch database instead of
    instance/meetapp.db (the examples never name a database, so they use this one)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MEETAPP_", "SECRET_KEY", "DATABASE_URL", "FLASK_", "PUBLIC_BASE_URL", "MAIL_"))
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'readme.db'}"
    env.update(extra)
    return env


def run_block(block: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def make_run(tmp_path):
    """`make run` on a free port, as the README's first command starts it; yields its base URL."""
    port = free_port()
    env = fresh_shell_env(tmp_path, PORT=str(port))
    log = open(tmp_path / "make-run.log", "w+")  # noqa: SIM115 - closed below, after the server stops
    server = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            log.seek(0)
            assert server.poll() is None, f"make run stopped:\n{log.read()}"
            assert time.monotonic() < deadline, f"make run did not serve within 120 s:\n{log.read()}"
            time.sleep(0.2)
        yield base_url
    finally:
        # make, the web server and the worker are one process group: Ctrl+C stops them together.
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def test_the_api_example_books_a_session_against_make_run(make_run, tmp_path):
    block = block_starting(API)
    assert README_BASE_URL in block
    result = run_block(block.replace(README_BASE_URL, make_run), fresh_shell_env(tmp_path))
    assert result.returncode == 0, result.stderr
    booked, listed = (json.loads(line) for line in result.stdout.splitlines() if line.strip())
    session = booked["session"]
    assert (session["status"], session["mentor"]["name"], session["mentee"]["name"]) == (
        "pending", "Dr. Amara Okafor", "Chloé Martin"
    )
    assert session["id"] in {listed_session["id"] for listed_session in listed["sessions"]}
    # Pasted again, it books the next free time: the first is taken, and the slots leave it out.
    again = run_block(block.replace(README_BASE_URL, make_run), fresh_shell_env(tmp_path))
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout.splitlines()[0])["session"]
    assert second["status"] == "pending" and second["startsAt"] > session["startsAt"]


def test_the_command_line_block_runs_in_a_new_shell(tmp_path):
    result = run_block(block_starting(COMMAND_LINE), fresh_shell_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    # `flask users token` printed a token, and `flask session-types set` its summary.
    assert re.search(r"^\S{30,}$", result.stdout, flags=re.MULTILINE), result.stdout
    assert "Career chat" in result.stdout


def test_the_commands_that_run_part_of_the_tests_each_find_tests(tmp_path):
    """Each line collects (without running) at least one test: the folders, files and -k names exist."""
    block = block_starting(PART_OF_THE_TESTS)
    lines = [line for line in block.splitlines() if line.strip()]
    result = run_block(block, fresh_shell_env(tmp_path, PYTEST_ADDOPTS="--collect-only -q -p no:randomly"))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    collected = re.findall(r"^(\d+)(?:/\d+)? tests? collected", result.stdout, flags=re.MULTILINE)
    assert len(collected) == len(lines) and all(int(count) > 0 for count in collected), result.stdout[-2000:]
