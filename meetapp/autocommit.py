"""Views that need no database transaction: each of their statements commits on its own.

For the hot views that only read, or that write one row standing on its own (a join
attempt in the attendance log). On PostgreSQL their requests get the connection in the
driver's autocommit mode, which saves the BEGIN and the ROLLBACK or COMMIT round trips of
every poll, dashboard and join, and holds nothing open while a join waits on Zoom for a
start URL. Reads see what they would under READ COMMITTED anyway: each statement its own
snapshot. SQLite is left as it is: Python's sqlite3 already reads outside a transaction
and wraps a lone INSERT in one, and switching its mode per request costs more than that.

A view that writes more than one statement, or reads to decide what to write, must not
be marked. Once a marked view commits, the rest of its request is in a transaction again.
"""
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, request

from meetapp.extensions import db

MARK = "meetapp_autocommit"
View = TypeVar("View", bound=Callable)


def autocommit(view: View) -> View:
    """Marks a view as needing no transaction; put it under the route and login decorators."""
    setattr(view, MARK, True)
    return view


def autocommit_endpoints(app: Flask) -> set[str]:
    return {endpoint for endpoint, view in app.view_functions.items() if getattr(view, MARK, False)}


def _begin_without_transaction() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, MARK, False) and not db.session().in_transaction():
        # The pool sets the connection back to the engine's isolation level when it is returned.
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def register(app: Flask) -> None:
    if sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql":
        app.before_request(_begin_without_transaction)
