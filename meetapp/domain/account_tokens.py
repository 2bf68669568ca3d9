"""Signed links and cookies for accounts: resetting a password, confirming an address, and the
device cookie of a browser that has logged in to an account before.

Each purpose has its own salt, so a token made for one is worthless for another. The current
key signs; it and every fallback key verify (key rotation). The signature carries its time, which
`read` checks against the `now` it is given.
"""
import hashlib
import hmac
from datetime import datetime, timedelta
from enum import StrEnum

from itsdangerous import BadSignature, URLSafeTimedSerializer

from meetapp.domain.join_tokens import SignerAt

MAX_TOKEN_LENGTH = 512


class Purpose(StrEnum):
    PASSWORD_RESET = "meetapp.password-reset.v1"
    CONFIRM_EMAIL = "meetapp.confirm-email.v1"
    DEVICE = "meetapp.device-cookie.v1"


class InvalidAccountToken(ValueError):
    """Malformed, tampered, signed with an unknown key, made for another purpose, or too old."""


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the stored password hash: a reset link names it, so the link dies with the password."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:24]


def same_fingerprint(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class AccountTokens:
    def __init__(self, secret_key: str, fallback_keys: list[str] | tuple[str, ...] = ()):
        # itsdangerous signs with the last key and verifies with all of them.
        self._keys = [*fallback_keys, secret_key]

    def issue(self, purpose: Purpose, payload: list, now: datetime) -> str:
        serializer = URLSafeTimedSerializer(self._keys, salt=purpose.value, signer=SignerAt, signer_kwargs={"now": now})
        return serializer.dumps(payload)

    def read(self, purpose: Purpose, token: object, *, max_age: timedelta, now: datetime, shape: tuple[type, ...]) -> list:
        """The payload, if `token` is a genuine token for `purpose`, signed within `max_age` before `now`,
        whose payload has one value of each type in `shape`; InvalidAccountToken otherwise."""
        if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH:
            raise InvalidAccountToken("malformed")
        try:
            # The token carries its time; it is checked against `now` below, not the system's clock.
            payload, signed_at = URLSafeTimedSerializer(self._keys, salt=purpose.value).loads(token, return_timestamp=True)
        except BadSignature:
            raise InvalidAccountToken("bad signature") from None
        if not (now - max_age <= signed_at <= now + timedelta(minutes=5)):
            raise InvalidAccountToken("expired")
        if not (
            isinstance(payload, list)
            and len(payload) == len(shape)
            and all(isinstance(value, kind) and not isinstance(value, bool) for value, kind in zip(payload, shape, strict=True))
        ):
            raise InvalidAccountToken("malformed payload")
        return payload
