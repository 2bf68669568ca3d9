"""Flask's signed-cookie sessions, with what a repeated cookie verified to remembered per process."""
import copy
import time

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature

REMEMBERED = 4096


class RememberingCookieSessions(SecureCookieSessionInterface):
    """Flask's own cookie sessions: signed, timestamped, same format and keys.

    A browser sends the same session cookie with every page and every status poll, and checking
    its signature and decoding it was a fifth of a polled fragment's work. What a cookie value
    verifies to cannot change while the keys stay the same, so each process remembers it for the
    values it has seen (keyed by the keys too). Its age is checked on every request all the same,
    and every request gets its own copy of the data.
    """

    def __init__(self) -> None:
        self._verified: dict[tuple, tuple[dict, float]] = {}

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not app.secret_key:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (app.secret_key, *app.config["SECRET_KEY_FALLBACKS"], value)
        known = self._verified.get(key)
        if known is not None:
            data, signed_at = known
            if 0 <= time.time() - signed_at <= max_age:
                return self.session_class(copy.deepcopy(data))
            return self.session_class()
        try:
            data, signed_at = self.get_signing_serializer(app).loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if len(self._verified) >= REMEMBERED:
            self._verified.clear()
        self._verified[key] = (data, signed_at.timestamp())
        return self.session_class(copy.deepcopy(data))
