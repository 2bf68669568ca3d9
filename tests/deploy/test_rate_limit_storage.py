"""gunicorn, started as production starts it, refuses to serve limits that each process would count on its own.

With RATELIMIT_STORAGE_URI=memory:// every process keeps its own counts, so five processes would let
five times the attempts through. One process may keep memory://; several need a shared store (Redis).
"""
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.support import free_port
from tests.web.helpers import REDIS_URL, redis_or_skip

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Settings of the machine running the tests that would change what is started.
NOT_INHERITED = ("MEETAPP_", "SECRET_KEY", "DATABASE_URL", "RATELIMIT_", "WEB_CONCURRENCY", "GUNICORN_", "BIND")


def production_env(tmp_path, port: int, **settings: str) -> dict[str, str]:
    return {
        **{name: value for name, value in os.environ.items() if not name.startswith(NOT_INHERITED)},
        "MEETAPP_ENV": "production",
        "SECRET_KEY": uuid.uuid4().hex,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'meetapp.db'}",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "BIND": f"127.0.0.1:{port}",
        **settings,
    }


def gunicorn(env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "w") as output:
        return subprocess.Popen(
            [BIN / "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
            stdout=output, stderr=subprocess.STDOUT,
        )


def serves_healthz(server: subprocess.Popen, port: int, log: Path, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn never served /healthz (exit status {server.poll()}):\n{log.read_text()}")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=30)


def test_several_processes_counting_in_memory_refuse_to_start(tmp_path):
    port = free_port()
    env = production_env(tmp_path, port, RATELIMIT_STORAGE_URI="memory://", WEB_CONCURRENCY="2")
    started = time.monotonic()
    done = subprocess.run(
        [BIN / "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode != 0
    assert time.monotonic() - started < 20, "it stops at once, before starting any process"
    assert "RATELIMIT_STORAGE_URI is memory://, which counts per process, and gunicorn starts 2 processes" in done.stderr
    assert "WEB_CONCURRENCY=1" in done.stderr
    assert "Booting worker" not in done.stdout + done.stderr
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


def test_the_default_storage_counts_in_memory_too(tmp_path):
    port = free_port()
    env = production_env(tmp_path, port, WEB_CONCURRENCY="3")
    done = subprocess.run(
        [BIN / "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode != 0
    assert "RATELIMIT_STORAGE_URI is memory://" in done.stderr and "starts 3 processes" in done.stderr


def test_one_process_may_count_in_memory(tmp_path):
    port = free_port()
    log = tmp_path / "gunicorn.log"
    server = gunicorn(production_env(tmp_path, port, RATELIMIT_STORAGE_URI="memory://", WEB_CONCURRENCY="1"), log)
    try:
        assert serves_healthz(server, port, log)
    finally:
        stop(server)


def test_several_processes_sharing_redis_serve(tmp_path):
    redis_or_skip()
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = production_env(
        tmp_path, port, RATELIMIT_STORAGE_URI=f"{REDIS_URL}/0", RATELIMIT_KEY_PREFIX=f"meetapp-test-{uuid.uuid4().hex}",
        WEB_CONCURRENCY="2",
    )
    server = gunicorn(env, log)
    try:
        assert serves_healthz(server, port, log)
    finally:
        stop(server)
    assert log.read_text().count("Booting worker") == 2
