"""What every presence webhook shares: its errors, reading the body, the signatures' clock."""
import hmac
import json
from datetime import datetime, timedelta

from flask import Response, jsonify, request

from meetapp.webhooks import bp

# A signed request older (or newer) than this is refused: a replay of a captured request fails.
SIGNATURE_MAX_AGE = timedelta(minutes=5)


class WebhookError(Exception):
    """Refuse the request with `status`, a code and a sentence; nothing was stored."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@bp.errorhandler(WebhookError)
def _refused(error: WebhookError) -> tuple[Response, int]:
    return jsonify(error=error.code, message=error.message), error.status


def unauthorised(message: str = "The request is not signed by the configured source.") -> WebhookError:
    return WebhookError(401, "unauthenticated", message)


def malformed(message: str = "The body is not the JSON object this endpoint takes.") -> WebhookError:
    return WebhookError(400, "invalid", message)


def same_secret(given: str | None, expected: str | None) -> bool:
    """Compare in constant time; nothing matches an unset secret."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def fresh(signed_at: datetime, now: datetime) -> bool:
    return abs(now - signed_at) <= SIGNATURE_MAX_AGE


def storable(text: str, field: str) -> str:
    """`text` if both databases can hold it, else a 400: PostgreSQL refuses a NUL, and an unpaired
    surrogate (which JSON can spell) is no UTF-8 at all. Left unchecked, either would be a 500."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise malformed(f"`{field}` is not valid text.") from None
    if "\x00" in text:
        raise malformed(f"`{field}` is not valid text.")
    return text


def json_object() -> dict:
    """The raw body as a JSON object (read only after the signature checked out), or a 400."""
    try:
        body = json.loads(request.get_data(cache=True))
    except (ValueError, UnicodeDecodeError):
        raise malformed("The body is not JSON.") from None
    if not isinstance(body, dict):
        raise malformed()
    return body


def ignored(reason: str) -> tuple[Response, int]:
    """202: understood, but it names no session of ours (or nothing to record); nothing stored."""
    return jsonify(status="ignored", reason=reason), 202


def recorded(new: int) -> tuple[Response, int]:
    """200: stored (`new` 0 for a redelivery, which is recorded once)."""
    return jsonify(status="recorded", new=new), 200
