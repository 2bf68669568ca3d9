"""Helpers for the web tests: apps that count rate limits in Redis, and reading the video settings page."""
import re

import pytest
import redis

from meetapp import create_app
from meetapp.config import testing_config
from meetapp.extensions import db
from meetapp.services.accounts import create_user
from meetapp.services.booking import ensure_default_session_types
from tests.support import IN_CI, MENTOR_EMAIL, PASSWORD

# Several app processes share one count through Redis ----------------------------------

REDIS_URL = "redis://127.0.0.1:6379"


def redis_or_skip() -> redis.Redis:
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        connection.ping()
    except redis.exceptions.RedisError as exc:
        if IN_CI:
            pytest.fail(f"Redis at {REDIS_URL} is unreachable, and CI=true requires it: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")
    return connection


def redis_app(database_url, key_prefix, **overrides):
    app = create_app(
        testing_config(
            database_url,
            RATELIMIT_STORAGE_URI=REDIS_URL,
            RATELIMIT_KEY_PREFIX=key_prefix,
            LOGIN_RATE_LIMIT_PER_ACCOUNT="2 per minute",
            LOGIN_RATE_LIMIT_PER_ADDRESS="1000 per minute",
            **overrides,
        )
    )
    with app.app_context():
        if database_url.startswith("sqlite"):
            db.create_all()
        ensure_default_session_types()
    return app


# The video settings page --------------------------------------------------------------

HTMX = {"HX-Request": "true"}


def field_errors(page: str, field: str) -> str:
    match = re.search(rf'<ul class="field-errors" id="{field}-error">(.*?)</ul>', page, re.S)
    return match.group(1) if match else ""


def preview_error(fragment: str) -> str:
    match = re.search(r'<p class="preview-error">(.*?)</p>', fragment, re.S)
    return match.group(1) if match else ""


def checked_provider(page: str) -> str:
    [value] = re.findall(r'<input [^>]*\bchecked\b[^>]*name="provider" type="radio" value="([a-z]+)"', page)
    return value


def save(client, **data):
    return client.post("/settings/video", data=data)


def preview(client, **data):
    return client.post("/settings/video/preview", data=data, headers=HTMX)


def logged_in_csrf_client(csrf_app):
    """A client logged in as a new mentor through the form, CSRF token and all: (client, mentor id)."""
    with csrf_app.app_context():
        mentor_id = create_user(email=MENTOR_EMAIL, name="Mona", role="mentor", password=PASSWORD).id
    client = csrf_app.test_client()
    login_page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/auth/login", data={"email": MENTOR_EMAIL, "password": PASSWORD, "csrf_token": token})
    return client, mentor_id
