"""Settings from the environment: safe defaults, and a clear refusal when something is wrong."""
import json

import pytest

from meetapp.config import ConfigError, check_rate_limit_storage, from_environ


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
        ("JOIN_DENIED_RATE_LIMIT", "30 per minit"),
        ("LOGIN_RATE_LIMIT_PER_ADDRESS", "lots"),
        ("LOGIN_RATE_LIMIT_PER_ACCOUNT", "5 per minute;twenty per hour"),
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


# Zoom and Google Meet ----------------------------------------------------------------------------

ZOOM = {"ZOOM_ACCOUNT_ID": "acct", "ZOOM_CLIENT_ID": "client", "ZOOM_CLIENT_SECRET": "secret"}
GOOGLE_OAUTH = {"GOOGLE_CLIENT_ID": "id.apps.googleusercontent.com", "GOOGLE_CLIENT_SECRET": "s", "GOOGLE_REFRESH_TOKEN": "1//r"}


def service_account_file(tmp_path, content: str) -> str:
    path = tmp_path / "service-account.json"
    path.write_text(content)
    return str(path)


def test_without_provider_settings_zoom_and_google_are_not_connected():
    config = from_environ({"SECRET_KEY": "k"}, "/i")
    assert not any(config[name] for name in ZOOM)
    assert config["GOOGLE_SERVICE_ACCOUNT_KEY"] is None
    assert not any(config[name] for name in GOOGLE_OAUTH)
    assert config["ZOOM_API_BASE_URL"] == "https://api.zoom.us/v2"
    assert config["ZOOM_OAUTH_URL"] == "https://zoom.us/oauth/token"
    assert config["GOOGLE_TOKEN_URL"] == "https://oauth2.googleapis.com/token"
    assert config["GOOGLE_MEET_API_BASE_URL"] == "https://meet.googleapis.com/v2"
    assert config["GOOGLE_MEET_ACCESS_TYPE"] == "TRUSTED"
    assert config["VIDEO_API_TIMEOUT_SECONDS"] == 5


def test_zoom_credentials_are_read_trimmed():
    config = from_environ({"SECRET_KEY": "k", **{name: f" {value} " for name, value in ZOOM.items()}}, "/i")
    assert {name: config[name] for name in ZOOM} == ZOOM


@pytest.mark.parametrize("missing", list(ZOOM))
def test_zoom_credentials_go_all_three_or_none(missing):
    environ = {"SECRET_KEY": "k", **ZOOM, missing: "  "}
    with pytest.raises(ConfigError, match="ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET go together"):
        from_environ(environ, "/i")


@pytest.mark.parametrize("missing", list(GOOGLE_OAUTH))
def test_google_refresh_token_settings_go_all_three_or_none(missing):
    environ = {"SECRET_KEY": "k", **GOOGLE_OAUTH}
    del environ[missing]
    with pytest.raises(ConfigError, match="GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET and GOOGLE_REFRESH_TOKEN go together"):
        from_environ(environ, "/i")


def test_google_refresh_token_settings_are_read():
    config = from_environ({"SECRET_KEY": "k", **GOOGLE_OAUTH, "GOOGLE_MEET_ACCESS_TYPE": " restricted "}, "/i")
    assert {name: config[name] for name in GOOGLE_OAUTH} == GOOGLE_OAUTH
    assert config["GOOGLE_SERVICE_ACCOUNT_KEY"] is None
    assert config["GOOGLE_MEET_ACCESS_TYPE"] == "RESTRICTED"


def test_a_google_service_account_file_is_read_into_the_key(tmp_path):
    key = json.dumps({"client_email": "meetapp@p.iam.gserviceaccount.com", "private_key": "-----BEGIN…"})
    config = from_environ({"SECRET_KEY": "k", "GOOGLE_SERVICE_ACCOUNT_FILE": service_account_file(tmp_path, key)}, "/i")
    assert config["GOOGLE_SERVICE_ACCOUNT_KEY"] == key
    assert not any(config[name] for name in GOOGLE_OAUTH)


def test_a_service_account_and_a_refresh_token_are_one_too_many(tmp_path):
    key = json.dumps({"client_email": "meetapp@p.iam.gserviceaccount.com", "private_key": "k"})
    environ = {"SECRET_KEY": "k", "GOOGLE_SERVICE_ACCOUNT_FILE": service_account_file(tmp_path, key), **GOOGLE_OAUTH}
    with pytest.raises(ConfigError, match="not both"):
        from_environ(environ, "/i")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "is not a readable JSON key"),
        ("", "is not a readable JSON key"),
        ("[1, 2]", "has no client_email and private_key"),
        ('{"client_email": "meetapp@p.iam.gserviceaccount.com"}', "has no client_email and private_key"),
        ('{"private_key": "k"}', "has no client_email and private_key"),
    ],
)
def test_a_bad_google_service_account_file_stops_start_up(tmp_path, content, words):
    environ = {"SECRET_KEY": "k", "GOOGLE_SERVICE_ACCOUNT_FILE": service_account_file(tmp_path, content)}
    with pytest.raises(ConfigError, match=f"GOOGLE_SERVICE_ACCOUNT_FILE .* {words}"):
        from_environ(environ, "/i")


def test_a_missing_google_service_account_file_stops_start_up(tmp_path):
    environ = {"SECRET_KEY": "k", "GOOGLE_SERVICE_ACCOUNT_FILE": str(tmp_path / "nope.json")}
    with pytest.raises(ConfigError, match="GOOGLE_SERVICE_ACCOUNT_FILE .*nope.json.* is not a readable JSON key"):
        from_environ(environ, "/i")


@pytest.mark.parametrize("value", ["PUBLIC", "anyone", "TRUSTED,OPEN"])
def test_an_unknown_google_meet_access_type_stops_start_up(value):
    with pytest.raises(ConfigError, match="GOOGLE_MEET_ACCESS_TYPE must be TRUSTED, RESTRICTED or OPEN"):
        from_environ({"SECRET_KEY": "k", "GOOGLE_MEET_ACCESS_TYPE": value}, "/i")


@pytest.mark.parametrize("value", ["open", "Trusted", "RESTRICTED"])
def test_google_meet_access_types_are_upper_cased(value):
    assert from_environ({"SECRET_KEY": "k", "GOOGLE_MEET_ACCESS_TYPE": value}, "/i")["GOOGLE_MEET_ACCESS_TYPE"] == value.upper()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ZOOM_API_BASE_URL", "api.zoom.us/v2"),
        ("ZOOM_OAUTH_URL", "ftp://zoom.us/oauth/token"),
        ("GOOGLE_TOKEN_URL", "javascript:alert(1)"),
        ("GOOGLE_MEET_API_BASE_URL", "https://"),
        ("VIDEO_API_TIMEOUT_SECONDS", "0"),
        ("VIDEO_API_TIMEOUT_SECONDS", "ten"),
    ],
)
def test_bad_provider_addresses_and_timeouts_stop_start_up(name, value):
    with pytest.raises(ConfigError, match=name):
        from_environ({"SECRET_KEY": "k", name: value}, "/i")


def test_provider_addresses_lose_a_trailing_slash():
    config = from_environ({"SECRET_KEY": "k", "ZOOM_API_BASE_URL": "https://api.zoom.us/v2/", "VIDEO_API_TIMEOUT_SECONDS": "3"}, "/i")
    assert config["ZOOM_API_BASE_URL"] == "https://api.zoom.us/v2"
    assert config["VIDEO_API_TIMEOUT_SECONDS"] == 3


# Rate limits counted per process ------------------------------------------------------------------


def test_production_refuses_per_process_counts_with_several_processes():
    with pytest.raises(ConfigError) as refused:
        check_rate_limit_storage("production", "memory://", 5)
    message = str(refused.value)
    assert message.startswith("RATELIMIT_STORAGE_URI is memory://, which counts per process")
    assert "gunicorn starts 5 processes" in message
    assert "RATELIMIT_STORAGE_URI=redis://" in message and "WEB_CONCURRENCY=1" in message


@pytest.mark.parametrize(
    ("env", "storage_uri", "processes"),
    [
        ("production", "memory://", 1),
        ("production", "redis://cache:6379/2", 5),
        ("production", "rediss://cache:6380", 2),
        ("development", "memory://", 3),
        ("testing", "memory://", 3),
    ],
)
def test_one_process_a_shared_store_or_outside_production_may_start(env, storage_uri, processes):
    check_rate_limit_storage(env, storage_uri, processes)
