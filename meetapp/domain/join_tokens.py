"""Signed join links: `/join/<token>` names a session, a person and a link version, nothing else.

Tokens are signed with their own salt. The current key signs; it and every
fallback key verify, so keys rotate without breaking links already mailed.
Mailed and calendar links live as long as the session (the access window still
decides). A token may also be short-lived, five minutes: pages' Join buttons
carried those before they used the join door (`/sessions/<id>/join`), and one
still in an open tab is refused once its five minutes are over. Bumping the
session's link version revokes every earlier token.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

SALT = "meetapp.join-link.v1"
SHORT_LIVED = timedelta(minutes=5)
MAX_TOKEN_LENGTH = 512


class InvalidJoinToken(ValueError):
    """Malformed, tampered, signed with an unknown key, or past its short life."""


@dataclass(frozen=True)
class JoinClaim:
    session_id: str
    user_id: int
    link_version: int
    short_lived: bool


class SignerAt(TimestampSigner):
    """A TimestampSigner whose clock is the `now` it is given, not the system's."""

    def __init__(self, *args, now: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self._now = now

    def get_timestamp(self) -> int:
        return int(self._now.timestamp())


def _serializer(keys: list[str], now: datetime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(keys, salt=SALT, signer=SignerAt, signer_kwargs={"now": now})


class JoinTokens:
    def __init__(self, secret_key: str, fallback_keys: list[str] | tuple[str, ...] = ()):
        # itsdangerous signs with the last key and verifies with all of them.
        self._keys = (*fallback_keys, secret_key)

    def issue(self, claim: JoinClaim, now: datetime) -> str:
        payload = [claim.session_id, claim.user_id, claim.link_version, int(claim.short_lived)]
        return _serializer(list(self._keys), now).dumps(payload)

    def read(self, token: object, now: datetime) -> JoinClaim:
        if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH:
            raise InvalidJoinToken("malformed")
        try:
            # The token carries its time; it is checked against `now` below, not the system's clock.
            payload, signed_at = URLSafeTimedSerializer(list(self._keys), salt=SALT).loads(token, return_timestamp=True)
        except BadSignature:
            raise InvalidJoinToken("bad signature") from None
        if not (
            isinstance(payload, list)
            and len(payload) == 4
            and isinstance(payload[0], str)
            and all(isinstance(part, int) and not isinstance(part, bool) for part in payload[1:])
        ):
            raise InvalidJoinToken("malformed payload")
        session_id, user_id, link_version, short_lived = payload
        if short_lived and not now - SHORT_LIVED <= signed_at <= now + timedelta(seconds=5):
            raise InvalidJoinToken("expired")
        return JoinClaim(session_id, user_id, link_version, bool(short_lived))
