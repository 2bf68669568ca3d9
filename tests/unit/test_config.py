"""Settings from the environment: safe defaults, and a clear refusal when something is wrong."""
import pytest

from meetapp.config import ConfigError, from_environ


def test_production_refuses_to_start_without_a_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        from_environ({}, "/tmp/instance")


def test_development_makes_up_a_random_key_per_run():
    first = from_environ({"MEETAPP_ENV": "development"}, "/tmp/instance")["SECRET_KEY"]
    second = from_environ({"MEETAPP_ENV": "development"}, "/tmp/instance")["SECRET_KEY"]
    assert len(first) >= 32 and first != second


def test_defaults_follow_the_contract():
    config = from_environ({"SECRET_KEY": "k"}, "/srv/meetapp/instance")
    assert config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////srv/meetapp/instance/meetapp.db"
    assert config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"
    assert config["JITSI_BASE_URL"] == "https://meet.jit.si"
    assert config["JITSI_ALLOW_EARLY_MINUTES"] == 15
    assert config["JITSI_MAX_LATE_MINUTES"] == 30
    assert config["REMINDER_OFFSETS_MINUTES"] == (1440, 15)
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["SECRET_KEY_FALLBACKS"] == []


def test_cookies_are_secure_only_in_production():
    assert from_environ({"SECRET_KEY": "k"}, "/i")["SESSION_COOKIE_SECURE"] is True
    development = from_environ({"MEETAPP_ENV": "development"}, "/i")
    assert development["SESSION_COOKIE_SECURE"] is False
    assert development["SESSION_COOKIE_HTTPONLY"] is True
    assert development["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_postgresql_urls_use_psycopg_3_and_fallback_keys_are_split():
    config = from_environ(
        {"SECRET_KEY": "k", "DATABASE_URL": "postgresql://u@db/meetapp", "SECRET_KEY_FALLBACKS": "old1, old2,"}, "/i"
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/meetapp"
    assert config["SECRET_KEY_FALLBACKS"] == ["old1", "old2"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("JITSI_ALLOW_EARLY_MINUTES", "-5"),
        ("JITSI_MAX_LATE_MINUTES", "soon"),
        ("REMINDER_OFFSETS_MINUTES", "1440,abc"),
        ("REMINDER_OFFSETS_MINUTES", "0"),
        ("MEETAPP_ENV", "staging"),
    ],
)
def test_misconfigured_values_stop_start_up_with_the_variable_named(name, value):
    with pytest.raises(ConfigError, match=name):
        from_environ({"SECRET_KEY": "k", name: value}, "/i")
