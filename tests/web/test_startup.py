"""Start-up through the real `flask` command, as `make run` and operators use it."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from meetapp import config as app_config
from meetapp import create_app

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def flask(*args: str, env: dict[str, str], cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MEETAPP_", "SECRET_KEY", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=cwd,
        env={**clean, "FLASK_APP": "wsgi", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def dev_env(tmp_path) -> dict[str, str]:
    return {"MEETAPP_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path / 'meetapp.db'}"}


def test_upgrade_then_seed_demo_gives_a_usable_database(dev_env):
    upgraded = flask("db", "upgrade", env=dev_env)
    assert upgraded.returncode == 0, upgraded.stderr
    seeded = flask("seed-demo", env=dev_env)
    assert seeded.returncode == 0, seeded.stderr
    assert "chloe.mentee@example.com" in seeded.stdout
    again = flask("seed-demo", env=dev_env)
    assert again.returncode == 0
    created = flask("users", "create", "--email", "new@example.com", "--name", "New", "--role", "mentee", "--password", "long enough", env=dev_env)
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "6"
    delivered = flask("worker", "--once", env=dev_env)
    assert delivered.returncode == 0, delivered.stderr
    assert " 10 sent," in delivered.stdout


def test_the_worker_runs_until_told_to_stop(dev_env):
    assert flask("db", "upgrade", env=dev_env).returncode == 0
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MEETAPP_", "SECRET_KEY", "DATABASE_URL"))}
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "worker"],
        cwd=PROJECT_ROOT,
        env={**clean, "FLASK_APP": "wsgi", "WORKER_POLL_SECONDS": "1", **dev_env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "delivering to the dev mailbox" in worker.stdout.readline()
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=10) == 0
        assert "stopped" in worker.stdout.read()
    finally:
        worker.kill()


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = flask("db", "upgrade", env={"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_misconfigured_window_stops_start_up_with_a_clear_message(dev_env):
    result = flask("db", "upgrade", env={**dev_env, "JITSI_MAX_LATE_MINUTES": "-10"})
    assert result.returncode != 0
    assert "JITSI_MAX_LATE_MINUTES must not be negative" in result.stderr


def test_settings_are_read_from_dotenv_and_the_environment_wins(tmp_path, monkeypatch):
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "MEETAPP_ENV=development\n"
        f"DATABASE_URL=sqlite:///{tmp_path / 'from-dotenv.db'}\n"
        "PUBLIC_BASE_URL=https://dotenv.example\n"
    )
    for name in ("MEETAPP_ENV", "DATABASE_URL", "PUBLIC_BASE_URL", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://environment.example")
    monkeypatch.setattr(app_config, "dotenv_path", lambda root: str(dotenv))
    app = create_app()
    assert app.config["MEETAPP_ENV"] == "development"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'from-dotenv.db'}"
    assert app.config["PUBLIC_BASE_URL"] == "https://environment.example"
