"""Settings read from the environment (and `.env`), checked once at start-up."""
import json
import os
import re
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from limits import parse_many

ENVIRONMENTS = ("development", "production", "testing")


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the app must not start."""


def _int(environ: Mapping[str, str], name: str, default: int, unit: str = "minutes", minimum: int = 0) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number of {unit}, got {raw!r}.") from None
    if value < minimum:
        bound = "must not be negative" if minimum == 0 else f"must be at least {minimum}"
        raise ConfigError(f"{name} {bound}, got {value}.")
    return value


def _rate_limit(environ: Mapping[str, str], name: str, default: str) -> str:
    """A Flask-Limiter limit such as "5 per minute;20 per hour", checked now rather than at the first request."""
    raw = environ.get(name, "").strip() or default
    try:
        parse_many(raw)
    except ValueError:
        raise ConfigError(
            f"{name} must be rate limits such as '5 per minute;20 per hour', got {raw!r}."
        ) from None
    return raw


def _minutes_list(environ: Mapping[str, str], name: str, default: str) -> tuple[int, ...]:
    raw = environ.get(name, "").strip() or default
    try:
        values = tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"{name} must be comma-separated whole minutes, got {raw!r}.") from None
    if not values or any(v <= 0 for v in values):
        raise ConfigError(f"{name} must list positive minutes, got {raw!r}.")
    return tuple(sorted(set(values), reverse=True))


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in ("1", "true", "yes", "on")


_ROOM_PREFIX = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _jitsi(environ: Mapping[str, str]) -> dict:
    base_url = environ.get("JITSI_BASE_URL", "").strip().rstrip("/") or "https://meet.jit.si"
    parts = urlsplit(base_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"JITSI_BASE_URL must be an https:// address, got {base_url!r}.")
    prefix = environ.get("JITSI_ROOM_PREFIX", "").strip().lower() or "meetapp"
    if not _ROOM_PREFIX.match(prefix) or len(prefix) > 40:
        raise ConfigError(f"JITSI_ROOM_PREFIX must be lowercase letters, digits and single dashes, got {prefix!r}.")
    app_id = environ.get("JITSI_APP_ID", "").strip() or None
    app_secret = environ.get("JITSI_APP_SECRET", "").strip() or None
    if bool(app_id) != bool(app_secret):
        raise ConfigError("JITSI_APP_ID and JITSI_APP_SECRET go together: set both or neither.")
    kid = environ.get("JITSI_JAAS_KID", "").strip() or None
    key_file = environ.get("JITSI_JAAS_PRIVATE_KEY_FILE", "").strip() or None
    if bool(kid) != bool(key_file):
        raise ConfigError("JITSI_JAAS_KID and JITSI_JAAS_PRIVATE_KEY_FILE go together: set both or neither.")
    private_key = None
    if key_file:
        try:
            private_key = Path(key_file).read_text()
            serialization.load_pem_private_key(private_key.encode(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigError(f"JITSI_JAAS_PRIVATE_KEY_FILE {key_file!r} is not a readable PEM private key: {exc}") from None
    return {
        "JITSI_BASE_URL": base_url,
        "JITSI_ROOM_PREFIX": prefix,
        "JITSI_APP_ID": app_id,
        "JITSI_APP_SECRET": app_secret,
        "JITSI_JAAS_KID": kid,
        "JITSI_JAAS_PRIVATE_KEY": private_key,
    }


def _https_url(environ: Mapping[str, str], name: str, default: str) -> str:
    url = environ.get(name, "").strip().rstrip("/") or default
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"{name} must be an https:// address, got {url!r}.")
    return url


def _zoom(environ: Mapping[str, str]) -> dict:
    """Zoom Server-to-Server OAuth; all three credentials or none (then Zoom sessions use Jitsi)."""
    credentials = {name: environ.get(name, "").strip() for name in ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET")}
    if any(credentials.values()) and not all(credentials.values()):
        raise ConfigError("ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET go together: set all three or none.")
    return {
        **credentials,
        "ZOOM_API_BASE_URL": _https_url(environ, "ZOOM_API_BASE_URL", "https://api.zoom.us/v2"),
        "ZOOM_OAUTH_URL": _https_url(environ, "ZOOM_OAUTH_URL", "https://zoom.us/oauth/token"),
    }


def _google(environ: Mapping[str, str]) -> dict:
    """Google Meet: a service account with domain-wide delegation, or one account's OAuth refresh token."""
    key_file = environ.get("GOOGLE_SERVICE_ACCOUNT_FILE", "").strip() or None
    oauth = {name: environ.get(name, "").strip() or None for name in ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET", "GOOGLE_REFRESH_TOKEN")}
    if any(oauth.values()) and not all(oauth.values()):
        raise ConfigError("GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET and GOOGLE_REFRESH_TOKEN go together: set all three or none.")
    if key_file and any(oauth.values()):
        raise ConfigError("Set GOOGLE_SERVICE_ACCOUNT_FILE or the GOOGLE_CLIENT_* refresh-token settings, not both.")
    key = None
    if key_file:
        try:
            key = Path(key_file).read_text()
            parsed = json.loads(key)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"GOOGLE_SERVICE_ACCOUNT_FILE {key_file!r} is not a readable JSON key: {exc}") from None
        if not isinstance(parsed, dict) or not {"client_email", "private_key"} <= parsed.keys():
            raise ConfigError(f"GOOGLE_SERVICE_ACCOUNT_FILE {key_file!r} has no client_email and private_key.")
    access_type = environ.get("GOOGLE_MEET_ACCESS_TYPE", "").strip().upper() or "TRUSTED"
    if access_type not in ("OPEN", "TRUSTED", "RESTRICTED"):
        raise ConfigError(f"GOOGLE_MEET_ACCESS_TYPE must be TRUSTED, RESTRICTED or OPEN, got {access_type!r}.")
    return {
        "GOOGLE_SERVICE_ACCOUNT_KEY": key,
        **oauth,
        "GOOGLE_MEET_ACCESS_TYPE": access_type,
        "GOOGLE_TOKEN_URL": _https_url(environ, "GOOGLE_TOKEN_URL", "https://oauth2.googleapis.com/token"),
        "GOOGLE_MEET_API_BASE_URL": _https_url(environ, "GOOGLE_MEET_API_BASE_URL", "https://meet.googleapis.com/v2"),
    }


# Where a developer's browser and the test client reach the app, whatever PUBLIC_BASE_URL says.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def _trusted_hosts(environ: Mapping[str, str], public_base_url: str, env: str) -> list[str]:
    """The host names requests may be addressed to (Flask's TRUSTED_HOSTS): PUBLIC_BASE_URL's, any
    listed in TRUSTED_HOSTS (say, the address a load balancer's health check uses), and, outside
    production, this machine's. Any other Host header is a 400, so no link or redirect the app
    builds can point at a host a client made up."""
    hosts = [urlsplit(public_base_url).hostname]
    hosts += [host.strip().lower() for host in environ.get("TRUSTED_HOSTS", "").split(",") if host.strip()]
    if env != "production":
        hosts += LOCAL_HOSTS
    return list(dict.fromkeys(hosts))


def check_rate_limit_storage(env: str, storage_uri: str, processes: int) -> None:
    """ConfigError when production serves from several processes that would each keep their own
    counts: with memory://, every limit would let through as many attempts per process."""
    if env == "production" and processes > 1 and storage_uri.startswith("memory://"):
        raise ConfigError(
            f"RATELIMIT_STORAGE_URI is memory://, which counts per process, and gunicorn starts {processes} "
            "processes: set RATELIMIT_STORAGE_URI=redis://… (one count for every process) or WEB_CONCURRENCY=1."
        )


def _accounts(environ: Mapping[str, str]) -> dict:
    """Logins, links mailed about accounts, and the limits on what a person may do how often."""
    remember_days = _int(environ, "REMEMBER_COOKIE_DAYS", 14, unit="days", minimum=1)
    session_hours = _int(environ, "LOGIN_SESSION_HOURS", 12, unit="hours", minimum=1)
    return {
        # "Keep me logged in" lasts this long from the login, however often the person comes back.
        "REMEMBER_COOKIE_DURATION": timedelta(days=remember_days),
        # A login without it ends with the browser, or this long after the session cookie was last written.
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=session_hours),
        "PASSWORD_RESET_MINUTES": _int(environ, "PASSWORD_RESET_MINUTES", 30, minimum=1),
        "EMAIL_CONFIRMATION_HOURS": _int(environ, "EMAIL_CONFIRMATION_HOURS", 72, unit="hours", minimum=1),
        # How long a browser that logged in to an account stays trusted by that account's lockout.
        "DEVICE_COOKIE_DAYS": _int(environ, "DEVICE_COOKIE_DAYS", 365, unit="days", minimum=1),
        # Failed logins from one browser with a device cookie, before it counts as untrusted again.
        "LOGIN_RATE_LIMIT_PER_DEVICE": _rate_limit(environ, "LOGIN_RATE_LIMIT_PER_DEVICE", "10 per hour"),
        # New accounts per client address.
        "REGISTER_RATE_LIMIT": _rate_limit(environ, "REGISTER_RATE_LIMIT", "10 per hour;50 per day"),
        # Reset links asked for, per client address and per account address.
        "PASSWORD_RESET_RATE_LIMIT_PER_ADDRESS": _rate_limit(
            environ, "PASSWORD_RESET_RATE_LIMIT_PER_ADDRESS", "10 per hour"
        ),
        "PASSWORD_RESET_RATE_LIMIT_PER_ACCOUNT": _rate_limit(
            environ, "PASSWORD_RESET_RATE_LIMIT_PER_ACCOUNT", "3 per hour"
        ),
        # Confirmation links sent again, per person.
        "CONFIRMATION_MAIL_RATE_LIMIT": _rate_limit(environ, "CONFIRMATION_MAIL_RATE_LIMIT", "3 per hour"),
        # Bookings and reschedules per person.
        "BOOKING_RATE_LIMIT": _rate_limit(environ, "BOOKING_RATE_LIMIT", "10 per minute;50 per day"),
        # Unanswered (pending) requests a mentee may have, in all and with one mentor.
        "MAX_PENDING_BOOKINGS": _int(environ, "MAX_PENDING_BOOKINGS", 5, unit="sessions", minimum=1),
        "MAX_PENDING_PER_MENTOR": _int(environ, "MAX_PENDING_PER_MENTOR", 2, unit="sessions", minimum=1),
    }


def _worker(environ: Mapping[str, str]) -> dict:
    """How `flask worker` delivers the outbox: batches, leases, SMTP timeouts and retries."""
    settings = {
        "MAIL_MAX_ATTEMPTS": _int(environ, "MAIL_MAX_ATTEMPTS", 10, unit="attempts", minimum=1),
        "MAIL_RETRY_BASE_SECONDS": _int(environ, "MAIL_RETRY_BASE_SECONDS", 30, unit="seconds", minimum=1),
        "MAIL_RETRY_MAX_SECONDS": _int(environ, "MAIL_RETRY_MAX_SECONDS", 3600, unit="seconds", minimum=1),
        "MAIL_TIMEOUT_SECONDS": _int(environ, "MAIL_TIMEOUT_SECONDS", 30, unit="seconds", minimum=1),
        "MAIL_BATCH_SIZE": _int(environ, "MAIL_BATCH_SIZE", 50, unit="mails", minimum=1),
        "MAIL_LEASE_SECONDS": _int(environ, "MAIL_LEASE_SECONDS", 300, unit="seconds", minimum=10),
        "WORKER_POLL_SECONDS": _int(environ, "WORKER_POLL_SECONDS", 5, unit="seconds", minimum=1),
    }
    # A worker must finish a mail well inside its lease, or a second worker could take it over.
    if settings["MAIL_LEASE_SECONDS"] < 2 * settings["MAIL_TIMEOUT_SECONDS"]:
        raise ConfigError("MAIL_LEASE_SECONDS must be at least twice MAIL_TIMEOUT_SECONDS.")
    return settings


def from_environ(environ: Mapping[str, str], instance_path: str) -> dict:
    """Build the Flask config mapping from environment variables."""
    env = environ.get("MEETAPP_ENV", "production").strip() or "production"
    if env not in ENVIRONMENTS:
        raise ConfigError(f"MEETAPP_ENV must be one of {', '.join(ENVIRONMENTS)}, got {env!r}.")
    secret_key = environ.get("SECRET_KEY", "").strip()
    if not secret_key:
        if env == "production":
            raise ConfigError(
                "SECRET_KEY is not set. Production refuses to start without it: "
                "set SECRET_KEY to a long random string (python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        secret_key = secrets.token_hex(32)
    fallbacks = [key.strip() for key in environ.get("SECRET_KEY_FALLBACKS", "").split(",") if key.strip()]
    database_url = environ.get("DATABASE_URL", "").strip() or (
        "sqlite:///" + str(Path(instance_path) / "meetapp.db")
    )
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    secure_cookies = env == "production"
    public_base_url = environ.get("PUBLIC_BASE_URL", "").strip().rstrip("/") or "http://127.0.0.1:5000"
    if urlsplit(public_base_url).scheme not in ("https", "http") or not urlsplit(public_base_url).hostname:
        raise ConfigError(f"PUBLIC_BASE_URL must be an https:// address, got {public_base_url!r}.")

    config = {
        "MEETAPP_ENV": env,
        "SECRET_KEY": secret_key,
        "SECRET_KEY_FALLBACKS": fallbacks,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PUBLIC_BASE_URL": public_base_url,
        **_jitsi(environ),
        "JITSI_ALLOW_EARLY_MINUTES": _int(environ, "JITSI_ALLOW_EARLY_MINUTES", 15),
        "JITSI_MAX_LATE_MINUTES": _int(environ, "JITSI_MAX_LATE_MINUTES", 30),
        "REMINDER_OFFSETS_MINUTES": _minutes_list(environ, "REMINDER_OFFSETS_MINUTES", "1440,15"),
        # Where the rate limits count (meetapp.web.rate_limits): memory:// serves one process only
        # (see check_rate_limit_storage), redis:// any number of them.
        "RATELIMIT_STORAGE_URI": environ.get("RATELIMIT_STORAGE_URI", "").strip() or "memory://",
        # Keeps this deployment's counters apart from anything else in the same Redis.
        "RATELIMIT_KEY_PREFIX": environ.get("RATELIMIT_KEY_PREFIX", "").strip() or "meetapp",
        # How many reverse proxies stand in front of the app; their X-Forwarded-For and -Proto are
        # trusted (the client's address for rate limits and the attendance log, the scheme). 0: none are.
        "TRUSTED_PROXIES": _int(environ, "TRUSTED_PROXIES", 0, unit="proxies"),
        # X-Forwarded-Host and -Prefix only when the proxy is known to set them itself (see web.security).
        "TRUSTED_PROXY_HOST": _flag(environ, "TRUSTED_PROXY_HOST", False),
        "TRUSTED_PROXY_PREFIX": _flag(environ, "TRUSTED_PROXY_PREFIX", False),
        "TRUSTED_HOSTS": _trusted_hosts(environ, public_base_url, env),
        # Failed logins per client address, whoever they come from (see web.rate_limits).
        "LOGIN_RATE_LIMIT_PER_ADDRESS": _rate_limit(environ, "LOGIN_RATE_LIMIT_PER_ADDRESS", "20 per minute;100 per hour"),
        # Failed logins per account from browsers without its device cookie; once over, such browsers are
        # refused even the right password for a while, while the owner's own browsers still get in.
        "LOGIN_RATE_LIMIT_PER_ACCOUNT": _rate_limit(environ, "LOGIN_RATE_LIMIT_PER_ACCOUNT", "5 per minute;20 per hour"),
        # Refused join attempts allowed per client address (allowed joins are not counted).
        "JOIN_DENIED_RATE_LIMIT": _rate_limit(environ, "JOIN_DENIED_RATE_LIMIT", "30 per minute;300 per hour"),
        **_accounts(environ),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "SESSION_COOKIE_PATH": "/",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_PATH": "/",
        # In production the browser keeps a `__Host-` cookie only if it is Secure, for this very host
        # (no Domain) and the whole site (Path=/): no sibling subdomain can set or overwrite it.
        "SESSION_COOKIE_NAME": "__Host-meetapp_session" if secure_cookies else "session",
        "REMEMBER_COOKIE_NAME": "__Host-meetapp_remember" if secure_cookies else "remember_token",
        "DEVICE_COOKIE_NAME": "__Host-meetapp_device" if secure_cookies else "meetapp_device",
        "MAX_CONTENT_LENGTH": 256 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        "MAIL_SERVER": environ.get("MAIL_SERVER", "").strip() or None,
        "MAIL_PORT": _int(environ, "MAIL_PORT", 25, unit="port", minimum=1),
        "MAIL_USE_TLS": _flag(environ, "MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _flag(environ, "MAIL_USE_SSL", False),
        "MAIL_USERNAME": environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": environ.get("MAIL_DEFAULT_SENDER") or "meetapp <no-reply@meetapp.localhost>",
        # Flask-Mail would silently drop every mail whenever TESTING is on; delivery is the worker's call.
        "MAIL_SUPPRESS_SEND": False,
        **_worker(environ),
        **_zoom(environ),
        **_google(environ),
        **_presence(environ),
        # How long a provider's API may take per request before the session falls back to Jitsi for now.
        "VIDEO_API_TIMEOUT_SECONDS": _int(environ, "VIDEO_API_TIMEOUT_SECONDS", 5, unit="seconds", minimum=1),
    }
    if database_url.startswith("sqlite"):
        # Waiting writers queue on the database lock instead of failing at once.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    # PostgreSQL connections are checked when they have sat idle, not on every checkout (meetapp.connections).
    return config


def _presence(environ: Mapping[str, str]) -> dict:
    """Who was really in the room: the providers' webhook secrets and the attendance report's thresholds."""
    late = _int(environ, "ATTENDANCE_LATE_AFTER_MINUTES", 5)
    no_show = _int(environ, "ATTENDANCE_NO_SHOW_AFTER_MINUTES", 15, minimum=1)
    if late >= no_show:
        raise ConfigError(
            f"ATTENDANCE_LATE_AFTER_MINUTES ({late}) must be less than ATTENDANCE_NO_SHOW_AFTER_MINUTES ({no_show})."
        )
    return {
        # Each source is off until its secret is set: its endpoint then answers 401 to everything.
        "JITSI_EVENTS_TOKEN": environ.get("JITSI_EVENTS_TOKEN", "").strip() or None,
        "JAAS_WEBHOOK_SECRET": environ.get("JAAS_WEBHOOK_SECRET", "").strip() or None,
        "ZOOM_WEBHOOK_SECRET_TOKEN": environ.get("ZOOM_WEBHOOK_SECRET_TOKEN", "").strip() or None,
        # A person first present more than this after the start is late …
        "ATTENDANCE_LATE_AFTER_MINUTES": late,
        # … and absent for this long after the start, a no-show.
        "ATTENDANCE_NO_SHOW_AFTER_MINUTES": no_show,
        # Leaving for good more than this before the end is leaving early.
        "ATTENDANCE_LEFT_EARLY_MINUTES": _int(environ, "ATTENDANCE_LEFT_EARLY_MINUTES", 10),
        "PRESENCE_RETENTION_DAYS": _int(environ, "PRESENCE_RETENTION_DAYS", 400, unit="days", minimum=1),
    }


def testing_config(database_url: str, **overrides) -> dict:
    """Settings for the test suite: a fixed key, no CSRF in the plain client unless a test turns it on."""
    config = from_environ({"MEETAPP_ENV": "testing", "SECRET_KEY": "test-secret-key"}, instance_path="/nonexistent")
    engine_options = {"connect_args": {"timeout": 30}} if database_url.startswith("sqlite") else {}
    config.update(
        TESTING=True,
        SQLALCHEMY_DATABASE_URI=database_url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options,
        WTF_CSRF_ENABLED=False,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        # Tests book and register far more than a person would; the tests of these limits set them back.
        BOOKING_RATE_LIMIT="1000 per minute",
        REGISTER_RATE_LIMIT="1000 per minute",
        MAX_PENDING_BOOKINGS=1000,
        MAX_PENDING_PER_MENTOR=1000,
    )
    config.update(overrides)
    return config


def dotenv_path(root: str) -> str | None:
    path = os.path.join(root, ".env")
    return path if os.path.exists(path) else None
