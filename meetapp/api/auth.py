"""API authentication: a bearer token, or the browser's login cookie plus a CSRF header for writes."""
from flask import g, request
from flask_login import current_user

from meetapp.api import bp
from meetapp.api.errors import ApiError
from meetapp.domain.timeutil import utcnow
from meetapp.extensions import csrf
from meetapp.models import User
from meetapp.services.accounts import user_for_token

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@bp.before_request
def authenticate() -> None:
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        user = user_for_token(token.strip(), utcnow()) if scheme.lower() == "bearer" else None
        if user is None:
            raise ApiError(401, "unauthenticated", "The API token is missing, malformed or revoked.")
        g.api_user = user
    elif not current_user.is_authenticated:
        raise ApiError(401, "unauthenticated", "Log in, or send an API token as 'Authorization: Bearer …'.")
    else:
        if request.method not in SAFE_METHODS:
            # Cookies ride along on cross-site requests; a bearer token cannot.
            csrf.protect()
        g.api_user = current_user._get_current_object()
    if request.method not in SAFE_METHODS:
        # Read now, so a body over MAX_CONTENT_LENGTH is a 413 even where the endpoint ignores it.
        request.get_data(cache=True)


@bp.after_request
def keep_out_of_caches(response):
    # Answers carry the caller's own join links and personal data: no cache may keep them.
    response.headers["Cache-Control"] = "no-store"
    return response


def api_user() -> User:
    return g.api_user
