"""Start-up through the real `flask` command, as `make run` and operators use it."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = flask("db", "upgrade", env={"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_misconfigured_window_stops_start_up_with_a_clear_message(dev_env):
    result = flask("db", "upgrade", env={**dev_env, "JITSI_MAX_LATE_MINUTES": "-10"})
    assert result.returncode != 0
    assert "JITSI_MAX_LATE_MINUTES must not be negative" in result.stderr


def test_settings_are_read_from_dotenv(tmp_path, dev_env):
    """A .env in the project root is read; real environment variables win over it."""
    dotenv = PROJECT_ROOT / ".env"
    if dotenv.exists():
        pytest.skip("a developer's own .env is in the way")
    dotenv.write_text(f"MEETAPP_ENV=development\nDATABASE_URL=sqlite:///{tmp_path / 'from-dotenv.db'}\n")
    try:
        from_dotenv = flask("db", "upgrade", env={})
        from_environment = flask("db", "upgrade", env={"DATABASE_URL": f"sqlite:///{tmp_path / 'from-env.db'}"})
    finally:
        dotenv.unlink()
    assert from_dotenv.returncode == 0, from_dotenv.stderr
    assert from_environment.returncode == 0, from_environment.stderr
    assert (tmp_path / "from-dotenv.db").exists()
    assert (tmp_path / "from-env.db").exists()
