"""Settings that connect an app to the fake Zoom and Google servers, for tests outside tests/providers.

The fakes themselves live in tests/providers/fakes.py; a test module starts them in its own fixtures
and passes these settings to `running_app`.
"""
import json
from functools import cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.providers.fakes import (
    GOOGLE_CLIENT_ID,
    GOOGLE_CLIENT_SECRET,
    GOOGLE_REFRESH_TOKEN,
    ZOOM_ACCOUNT_ID,
    ZOOM_CLIENT_ID,
    ZOOM_CLIENT_SECRET,
    FakeGoogle,
    FakeZoom,
)

SERVICE_ACCOUNT = "meetapp@meetapp-project.iam.gserviceaccount.com"
# Short, so a test of a provider that does not answer stays quick.
TIMEOUT_SECONDS = 2


@cache
def rsa_key():
    """(private PEM, public key) for the service account, made once per run: RSA generation is slow."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, private.public_key()


def zoom_config(fake: FakeZoom, **changes) -> dict:
    """Server-to-Server OAuth credentials that the fake Zoom accepts (unless `changes` spoil them)."""
    return {
        "ZOOM_ACCOUNT_ID": ZOOM_ACCOUNT_ID,
        "ZOOM_CLIENT_ID": ZOOM_CLIENT_ID,
        "ZOOM_CLIENT_SECRET": ZOOM_CLIENT_SECRET,
        "ZOOM_API_BASE_URL": fake.api_url,
        "ZOOM_OAUTH_URL": fake.oauth_url,
        "VIDEO_API_TIMEOUT_SECONDS": TIMEOUT_SECONDS,
    } | changes


def google_service_account_config(fake: FakeGoogle) -> dict:
    """A service account with domain-wide delegation, registered with the fake Google."""
    pem, public_key = rsa_key()
    fake.add_service_account(SERVICE_ACCOUNT, public_key)
    key = {
        "type": "service_account", "project_id": "meetapp-project", "private_key_id": "key-1",
        "private_key": pem, "client_email": SERVICE_ACCOUNT, "client_id": "1234567890",
        "token_uri": fake.token_url,
    }
    return {
        "GOOGLE_SERVICE_ACCOUNT_KEY": json.dumps(key),
        "GOOGLE_TOKEN_URL": fake.token_url,
        "GOOGLE_MEET_API_BASE_URL": fake.api_url,
        "VIDEO_API_TIMEOUT_SECONDS": TIMEOUT_SECONDS,
    }


def google_refresh_token_config(fake: FakeGoogle) -> dict:
    """One Google account's OAuth refresh token, which the fake Google accepts."""
    return {
        "GOOGLE_CLIENT_ID": GOOGLE_CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": GOOGLE_CLIENT_SECRET,
        "GOOGLE_REFRESH_TOKEN": GOOGLE_REFRESH_TOKEN,
        "GOOGLE_TOKEN_URL": fake.token_url,
        "GOOGLE_MEET_API_BASE_URL": fake.api_url,
        "VIDEO_API_TIMEOUT_SECONDS": TIMEOUT_SECONDS,
    }
