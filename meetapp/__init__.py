"""meetapp: mentoring and telehealth sessions whose video links cannot leak."""
import os
import sqlite3
from pathlib import Path

import sqlalchemy as sa
from dotenv import load_dotenv
from flask import Flask

from meetapp import config as app_config
from meetapp.extensions import csrf, db, login_manager, mail, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the app; `config` (tests) replaces settings read from the environment."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    configure(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_live_polls(app)
    register_security(app)
    register_commands(app)
    return app


def configure(app: Flask, config: dict | None) -> None:
    if config is None:
        dotenv = app_config.dotenv_path(str(PROJECT_ROOT))
        if dotenv:
            load_dotenv(dotenv, override=False)
        config = app_config.from_environ(os.environ, app.instance_path)
    app.config.from_mapping(config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(app.instance_path, exist_ok=True)


def register_extensions(app: Flask) -> None:
    from meetapp import connections
    from meetapp.services.logins import load_user
    from meetapp.web import rate_limits

    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        with app.app_context():
            connections.ping_when_idle(db.engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    mail.init_app(app)
    rate_limits.register(app)


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers work while one writer writes.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def register_live_polls(app: Flask) -> None:
    """Every change to a session counts for its two people (services.changes), and an unchanged
    poll is answered before Flask (web.unchanged_polls); wrapped by the proxy headers' fix after it."""
    from meetapp.services import changes  # noqa: F401  (its listener counts the changes)
    from meetapp.web import unchanged_polls

    unchanged_polls.register(app)


def register_blueprints(app: Flask) -> None:
    from meetapp.admin import bp as admin_bp
    from meetapp.api import bp as api_bp
    from meetapp.auth import bp as auth_bp
    from meetapp.dashboard import bp as dashboard_bp
    from meetapp.health import bp as health_bp
    from meetapp.join import bp as join_bp
    from meetapp.mentors import bp as mentors_bp
    from meetapp.sessions import bp as sessions_bp
    from meetapp.settings import bp as settings_bp
    from meetapp.webhooks import bp as webhooks_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(sessions_bp, url_prefix="/sessions")
    app.register_blueprint(mentors_bp, url_prefix="/mentors")
    app.register_blueprint(settings_bp, url_prefix="/settings")
    app.register_blueprint(join_bp)
    app.register_blueprint(api_bp, url_prefix="/api")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(webhooks_bp, url_prefix="/webhooks")
    if app.config["MEETAPP_ENV"] == "development":
        # Anyone who can reach it may read every mail, so it exists nowhere else: /dev is a plain 404.
        from meetapp.dev import bp as dev_bp

        app.register_blueprint(dev_bp, url_prefix="/dev")
    # The API authenticates writes by bearer token or checks CSRF itself (see api.auth).
    csrf.exempt(api_bp)
    # Providers sign their webhooks instead (see meetapp.webhooks).
    csrf.exempt(webhooks_bp)


def register_errorhandlers(app: Flask) -> None:
    from meetapp.web.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from meetapp.web.templating import register

    register(app)


def register_security(app: Flask) -> None:
    from meetapp.web.security import register

    register(app)


def register_commands(app: Flask) -> None:
    from meetapp.cli import register

    register(app)
