"""Every presence webhook, whoever sends it: a body over MAX_CONTENT_LENGTH is refused (413 signed, 401
unsigned), never a 500, and nothing is stored. Signed here as each provider signs, independently of the
per-source tests."""
import base64
import hashlib
import hmac

import pytest
import sqlalchemy as sa

from meetapp.extensions import db
from meetapp.models import PresenceEvent
from tests.support import NOW, running_app

SECRETS = {"JITSI_EVENTS_TOKEN": "jitsi-token", "JAAS_WEBHOOK_SECRET": "jaas-secret", "ZOOM_WEBHOOK_SECRET_TOKEN": "zoom"}
JITSI_PATHS = [f"/webhooks/jitsi/events/{path}" for path in
               ("occupant/joined", "occupant/left", "room/created", "room/destroyed")]


@pytest.fixture
def app(database_url):
    with running_app(database_url, **SECRETS) as app:
        yield app


def signed_headers(path: str, body: bytes) -> dict[str, str]:
    stamp = str(int(NOW.timestamp()))
    if path.startswith("/webhooks/jitsi/"):
        return {"Authorization": f"Bearer {SECRETS['JITSI_EVENTS_TOKEN']}"}
    if path == "/webhooks/jaas":
        digest = hmac.new(SECRETS["JAAS_WEBHOOK_SECRET"].encode(), stamp.encode() + b"." + body, hashlib.sha256)
        return {"X-Jaas-Signature": f"t={stamp},v1={base64.b64encode(digest.digest()).decode()}"}
    digest = hmac.new(SECRETS["ZOOM_WEBHOOK_SECRET_TOKEN"].encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
    return {"x-zm-request-timestamp": stamp, "x-zm-signature": f"v0={digest.hexdigest()}"}


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(PresenceEvent))


@pytest.mark.parametrize("path", [*JITSI_PATHS, "/webhooks/jaas", "/webhooks/zoom"])
@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_an_oversized_body_is_refused_and_stores_nothing(app, clock, path, signed):
    body = b'{"padding": "' + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1024) + b'"}'
    headers = signed_headers(path, body) if signed else {}
    response = app.test_client().post(path, data=body, content_type="application/json", headers=headers)
    assert response.status_code == (413 if signed else 401), response.get_data(as_text=True)[:200]
    assert response.mimetype == "application/json"
    assert stored(app) == 0


@pytest.mark.parametrize("path", [*JITSI_PATHS, "/webhooks/jaas", "/webhooks/zoom"])
def test_a_get_is_405_in_json(app, path):
    response = app.test_client().get(path)
    assert response.status_code == 405 and response.mimetype == "application/json"
