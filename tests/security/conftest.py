"""The security suite's fixtures: one app pool per module and database, the world at NOW, cheap password hashes.

Passwords are hashed cheaply here (the suite logs in hundreds of times); the real
hashing is the web tests' business. The world itself and the tools to probe it are
in tests/security/world.py.
"""

from contextlib import ExitStack
from functools import partial

import pytest
from werkzeug.security import generate_password_hash

from meetapp import models
from meetapp.extensions import db
from meetapp.services import booking
from meetapp.web import rate_limits
from tests.security.world import World, build_world
from tests.support import database_backends, running_app, scratch_postgres_database


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    monkeypatch.setattr(models, "generate_password_hash", partial(generate_password_hash, method="pbkdf2:sha256:1"))


# One app per database for a whole module --------------------------------------------
#
# The matrix makes hundreds of requests, each against a world of its own. A new app
# per test would compile every template again (most of the time a test takes), so a
# module keeps its apps and empties the database before each test instead.


@pytest.fixture(scope="module", params=database_backends())
def module_database(request, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('security') / 'meetapp.db'}"
        return
    with scratch_postgres_database("meetapp_security") as engine:
        db.metadata.create_all(engine)
        yield engine.url.render_as_string(hide_password=False)


class AppPool:
    """Apps on the module's database, one per configuration, each handed out with an empty database."""

    def __init__(self, database_url: str, stack: ExitStack):
        self.database_url, self._stack, self._apps = database_url, stack, {}

    def app(self, **config):
        """The app with this configuration, on the database as it is."""
        key = tuple(sorted(config.items()))
        if key not in self._apps:
            if self.database_url.startswith("postgresql"):
                # Durability is not under test; waiting for each commit's fsync would double the run.
                config.setdefault(
                    "SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"options": "-c synchronous_commit=off"}}
                )
            self._apps[key] = self._stack.enter_context(running_app(self.database_url, **config))
        return self._apps[key]

    def fresh(self, **config):
        """The app with this configuration, on an emptied database with fresh rate limits."""
        app = self.app(**config)
        with app.app_context():
            # DELETE, not TRUNCATE: on a handful of rows it is many times faster on PostgreSQL.
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
            db.session.commit()
            booking.ensure_default_session_types()
            # Rate limits count per address: a test starts with none spent.
            rate_limits.reset()
        return app


@pytest.fixture(scope="module")
def app_pool(module_database):
    with ExitStack() as stack:
        yield AppPool(module_database, stack)


@pytest.fixture
def world(app, clock) -> World:
    return build_world(app)
