"""Views that need no database transaction run on a plain Core connection of their own.

For the hot views that only read, or that write one row standing on its own (a join
attempt in the attendance log): the status poll, the dashboard, the browser's join. They
are the requests every open page and every link makes, and what they do is a few flat
SELECTs. The ORM session around those statements cost more than the statements (about
0.15 ms a request, measured), so their statements go through `connection()`, a Core
connection the request checks out once and returns when it ends.

On PostgreSQL that connection is in the driver's autocommit mode: it saves the BEGIN and
ROLLBACK or COMMIT round trips, and holds nothing open while a join waits on Zoom for a
start URL. Reads see what they would under READ COMMITTED anyway, each statement its own
snapshot. On SQLite, Python's sqlite3 already reads outside a transaction and wraps a
lone INSERT in one, which `commit()` ends.

A view that writes more than one statement, or reads to decide what to write, must not be
marked. Whatever a marked view does through the ORM session (a refusal page loading the
whole session) is in a transaction as everywhere else.
"""
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, request

from meetapp.extensions import db

MARK = "meetapp_autocommit"
_CONNECTION = "meetapp_autocommit_connection"
View = TypeVar("View", bound=Callable)


def autocommit(view: View) -> View:
    """Marks a view as needing no transaction; put it under the route and login decorators."""
    setattr(view, MARK, True)
    return view


def autocommit_endpoints(app: Flask) -> set[str]:
    return {endpoint for endpoint, view in app.view_functions.items() if getattr(view, MARK, False)}


def _in_marked_view() -> bool:
    return has_request_context() and getattr(current_app.view_functions.get(request.endpoint or ""), MARK, False)


def connection() -> sa.Connection:
    """Where a statement that needs no transaction runs: in a marked view, the request's own
    Core connection (opened on first use); anywhere else, the ORM session's, in its transaction."""
    opened = g.get(_CONNECTION) if has_request_context() else None
    if opened is not None:
        return opened
    if not _in_marked_view():
        return db.session.connection()
    opened = db.engine.connect()
    if opened.dialect.name == "postgresql":
        # The pool sets the connection back to the engine's isolation level when it is returned.
        opened = opened.execution_options(isolation_level="AUTOCOMMIT")
    setattr(g, _CONNECTION, opened)
    return opened


def commit() -> None:
    """Commit what `connection()` wrote: the marked view's one row, or the ORM session's work."""
    opened = g.get(_CONNECTION) if has_request_context() else None
    if opened is not None:
        opened.commit()
    else:
        db.session.commit()


def rollback() -> None:
    """After an error: the request's own connection may be used again (reconnecting if it was lost)."""
    opened = g.get(_CONNECTION) if has_request_context() else None
    if opened is not None:
        opened.rollback()


def _close(_: BaseException | None = None) -> None:
    opened = g.pop(_CONNECTION, None)
    if opened is not None:
        opened.close()


def register(app: Flask) -> None:
    app.teardown_request(_close)
