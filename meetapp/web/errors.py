"""Error responses: JSON under /api/, a page everywhere else; never a bare 500."""
from urllib.parse import parse_qsl

import sqlalchemy as sa
from flask import Flask, abort, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from meetapp.domain.errors import Conflict, DomainError, Forbidden, InvalidRequest, NotFound
from meetapp.extensions import db

API_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

MESSAGES = {
    400: "The request could not be understood.",
    401: "Log in, or send an API token, to continue.",
    403: "You are not allowed to do that.",
    404: "There is nothing here.",
    405: "That method is not allowed here.",
    413: "The request is too large.",
    429: "Too many attempts. Wait a little and try again.",
    500: "Something went wrong on our side. It has been logged.",
    503: "We lost the connection to our database for a moment. Please try again.",
}


# The HTTP status of each kind of domain refusal (the API adds its own error codes, api/errors.py).
DOMAIN_STATUS = ((InvalidRequest, 400), (Forbidden, 403), (NotFound, 404), (Conflict, 409))


def status_of(error: DomainError) -> int:
    return next((status for kind, status in DOMAIN_STATUS if isinstance(error, kind)), 400)


def wants_json() -> bool:
    # The presence webhooks (meetapp.webhooks) take JSON bodies and answer JSON, as the API does.
    return request.path.startswith(("/api/", "/webhooks/"))


def json_error(status: int, code: str, message: str, fields: dict[str, str] | None = None):
    body = {"error": code, "message": message}
    if fields:
        body["fields"] = fields
    return jsonify(body), status


def error_page(status: int, title: str, message: str):
    return render_template("errors/error.html", status=status, title=title, message=message), status


def refuse_what_no_form_sends() -> None:
    """Pages take HTML forms as browsers send them: UTF-8, not JSON (which Flask-WTF would read as a form,
    values of any type and all), and no NUL character (PostgreSQL cannot store it). The API checks its own."""
    if request.method in ("GET", "HEAD", "OPTIONS") or wants_json():
        return
    body = request.get_data(cache=True)  # one over MAX_CONTENT_LENGTH is a 413 before anything else
    if request.is_json:
        abort(400)
    if request.mimetype == "application/x-www-form-urlencoded" and not is_utf8_form(body):
        # Werkzeug would keep such bytes as literal "%FF" text, or drop the whole form and go on without it.
        abort(400)
    if any("\x00" in key or "\x00" in value for key, value in request.form.items(multi=True)):
        abort(400)


def is_utf8_form(body: bytes) -> bool:
    try:
        parse_qsl(body.decode(), keep_blank_values=True, errors="strict")
    except ValueError:  # UnicodeDecodeError included
        return False
    return True


def register(app: Flask) -> None:
    # First of all: CSRFProtect's check parses the form, and after that the raw body is gone.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_what_no_form_sends)

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError):
        message = "Your form expired or was sent from elsewhere. Reload the page and try again."
        if wants_json():
            return json_error(400, "csrf_failed", message)
        return error_page(400, "Form expired", message)

    @app.errorhandler(SecurityError)
    def untrusted_host(error: SecurityError):
        # A Host header that is none of TRUSTED_HOSTS: no URL can be built for it, so no page either.
        return "Bad request: this server does not answer for that host name.", 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        message = MESSAGES.get(status, error.description or "")
        if wants_json():
            response, status = json_error(status, API_CODES.get(status, "error"), message)
            # As every API answer: an /api/ path the blueprint does not know (404, 405) included.
            response.headers["Cache-Control"] = "no-store"
        else:
            response, status = error_page(status, error.name, message)
        response = make_response(response, status)
        if status == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        if status == 429 and (retry_after := error.get_response().headers.get("Retry-After")):
            response.headers["Retry-After"] = retry_after
        return response

    @app.errorhandler(DomainError)
    def refused(error: DomainError):
        # The API (JSON with its codes) and the session pages (titles of their own) answer these themselves.
        return error_page(status_of(error), "Not possible", error.message)

    @app.errorhandler(sa.exc.DataError)
    def unstorable(error: sa.exc.DataError):
        # PostgreSQL refuses text that SQLite takes, such as a NUL character: the request's fault, not ours.
        # In the path it names something that cannot exist, as it does on SQLite.
        app.logger.warning("Refused data on %s %s: %s", request.method, request.path, error.orig)
        db.session.rollback()
        status = 404 if "\x00" in request.path else 400
        if wants_json():
            return json_error(status, API_CODES[status], MESSAGES[status])
        return error_page(status, "Not found" if status == 404 else "Bad request", MESSAGES[status])

    @app.errorhandler(sa.exc.DBAPIError)
    def database_error(error: sa.exc.DBAPIError):
        if not error.connection_invalidated:
            return unexpected(error)
        # The database went away under this request (a restart, a failover). SQLAlchemy has
        # dropped the pool, so the next request connects afresh: ask to try again.
        app.logger.warning("Database connection lost on %s %s: %s", request.method, request.path, error.orig)
        db.session.rollback()
        if wants_json():
            response, status = json_error(503, API_CODES[503], MESSAGES[503])
        else:
            response, status = error_page(503, "Try again", MESSAGES[503])
        response = make_response(response, status)
        response.headers["Retry-After"] = "1"
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if wants_json():
            return json_error(500, "internal_error", MESSAGES[500])
        return error_page(500, InternalServerError.name, MESSAGES[500])
