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


@pytest.mark.parametrize(
    ("environ", "words"),
    [
        ({"JITSI_ROOM_PREFIX": "Clinic Rooms"}, "JITSI_ROOM_PREFIX"),
        ({"JITSI_ROOM_PREFIX": "clinic--x"}, "JITSI_ROOM_PREFIX"),
        ({"JITSI_BASE_URL": "meet.jit.si"}, "JITSI_BASE_URL"),
        ({"JITSI_BASE_URL": "javascript:alert(1)"}, "JITSI_BASE_URL"),
        ({"JITSI_APP_ID": "meetapp"}, "JITSI_APP_SECRET"),
        ({"JITSI_JAAS_KID": "vpaas-magic-cookie-x/1"}, "JITSI_JAAS_PRIVATE_KEY_FILE"),
        ({"JITSI_JAAS_KID": "vpaas-magic-cookie-x/1", "JITSI_JAAS_PRIVATE_KEY_FILE": "/nonexistent.pem"}, "not a readable PEM"),
    ],
)
def test_jitsi_settings_are_checked_at_start_up(environ, words):
    with pytest.raises(ConfigError, match=words):
        from_environ({"SECRET_KEY": "k", **environ}, "/i")


def test_the_room_prefix_is_lower_cased_and_a_jaas_key_file_is_read(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (tmp_path / "jaas.pem").write_bytes(pem)
    config = from_environ(
        {
            "SECRET_KEY": "k",
            "JITSI_ROOM_PREFIX": "Clinic",
            "JITSI_JAAS_KID": "vpaas-magic-cookie-x/1",
            "JITSI_JAAS_PRIVATE_KEY_FILE": str(tmp_path / "jaas.pem"),
        },
        "/i",
    )
    assert config["JITSI_ROOM_PREFIX"] == "clinic"
    assert config["JITSI_JAAS_PRIVATE_KEY"] == pem.decode()
