"""`flask db upgrade` on an empty database gives exactly the schema the models declare."""
import re

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from meetapp import create_app
from meetapp.config import testing_config
from meetapp.extensions import db
from tests.support import database_backends, scratch_postgres_database


def empty_databases():
    yield pytest.param("sqlite", id="sqlite")
    if "postgresql" in database_backends():
        yield pytest.param("postgresql", id="postgresql")


@pytest.fixture(params=list(empty_databases()))
def empty_database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
    else:
        with scratch_postgres_database("meetapp_migrations") as engine:
            yield engine.url.render_as_string(hide_password=False)


def schema_differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": False})
    return compare_metadata(context, db.metadata)


def test_upgrade_from_empty_matches_the_models(empty_database_url):
    app = create_app(testing_config(empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            assert schema_differences(connection) == []
            names = connection.scalars(sa.text("SELECT name FROM session_types ORDER BY id")).all()
            windows = connection.execute(
                sa.text("SELECT early_access_minutes, late_access_minutes FROM session_types ORDER BY id")
            ).all()
        db.engine.dispose()
    assert names == ["Standard", "Quick check-up", "Extended session", "Follow-up"]
    assert windows == [(15, 30), (5, 15), (15, 30), (10, 15)]


def test_downgrade_removes_every_table(empty_database_url):
    app = create_app(testing_config(empty_database_url))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        db.engine.dispose()
    assert tables == set()


def test_the_models_differ_from_an_empty_database(empty_database_url):
    """Guards the comparison itself: without the migration there must be differences."""
    app = create_app(testing_config(empty_database_url))
    with app.app_context(), db.engine.connect() as connection:
        assert len(schema_differences(connection)) >= 6
    with app.app_context():
        db.engine.dispose()


def test_sessions_booked_before_meetings_existed_get_a_jitsi_room(empty_database_url):
    app = create_app(testing_config(empty_database_url))
    with app.app_context():
        upgrade(revision="0001_initial_schema")
        with db.engine.begin() as connection:
            for statement in (
                "INSERT INTO users (id, email, name, password_hash, role, timezone, created_at)"
                " VALUES (1, 'm@example.com', 'M', 'x', 'mentor', 'UTC', '2026-11-01 10:00:00'),"
                " (2, 'e@example.com', 'E', 'x', 'mentee', 'UTC', '2026-11-01 10:00:00')",
                "INSERT INTO mentoring_sessions (id, mentor_id, mentee_id, session_type_id, starts_at, ends_at, status,"
                " link_version, created_at, updated_at, revision)"
                " VALUES ('old-session', 1, 2, 1, '2026-12-01 10:00:00', '2026-12-01 11:00:00', 'pending', 1,"
                " '2026-11-01 10:00:00', '2026-11-01 10:00:00', 1)",
            ):
                connection.execute(sa.text(statement))
        upgrade()
        with db.engine.connect() as connection:
            row = connection.execute(
                sa.text("SELECT video_provider, meeting_kind, meeting_room FROM mentoring_sessions")
            ).one()
        db.engine.dispose()
    assert row[:2] == ("jitsi", "jitsi")
    assert re.fullmatch(r"meetapp-session-[a-z2-7]{20}", row[2])


def test_built_in_session_types_are_renamed_and_declined_sessions_go_back_to_cancelled(empty_database_url):
    app = create_app(testing_config(empty_database_url))
    with app.app_context():
        upgrade(revision="0007_request_sent_mail")
        with db.engine.begin() as connection:
            # An admin had widened the emergency window: the rename keeps their choice.
            connection.execute(sa.text("UPDATE session_types SET late_access_minutes = 180 WHERE name = 'Emergency consultation'"))
        upgrade()
        with db.engine.begin() as connection:
            types = connection.execute(
                sa.text("SELECT name, early_access_minutes, late_access_minutes FROM session_types ORDER BY id")
            ).all()
            for statement in (
                "INSERT INTO users (id, email, name, password_hash, role, timezone, created_at)"
                " VALUES (1, 'm@example.com', 'M', 'x', 'mentor', 'UTC', '2026-11-01 10:00:00'),"
                " (2, 'e@example.com', 'E', 'x', 'mentee', 'UTC', '2026-11-01 10:00:00')",
                "INSERT INTO mentoring_sessions (id, mentor_id, mentee_id, session_type_id, starts_at, ends_at, status,"
                " link_version, created_at, updated_at, revision, meeting_kind, meeting_room)"
                " VALUES ('declined-one', 1, 2, 1, '2026-12-01 10:00:00', '2026-12-01 11:00:00', 'declined', 1,"
                " '2026-11-01 10:00:00', '2026-11-01 10:00:00', 1, 'jitsi', 'room')",
            ):
                connection.execute(sa.text(statement))
        downgrade(revision="0007_request_sent_mail")
        with db.engine.connect() as connection:
            status = connection.scalar(sa.text("SELECT status FROM mentoring_sessions"))
            names = connection.scalars(sa.text("SELECT name FROM session_types ORDER BY id")).all()
        db.engine.dispose()
    assert types == [
        ("Standard", 15, 30), ("Quick check-up", 5, 15), ("Extended session", 15, 30), ("Follow-up", 60, 180),
    ]
    assert status == "cancelled"
    assert names == ["Standard", "Quick check-up", "Group therapy", "Emergency consultation"]


def column_names(table: str) -> set[str]:
    return {column["name"] for column in sa.inspect(db.engine).get_columns(table)}


def test_change_counts_come_and_go_with_people_sessions_and_attempts_in_place(empty_database_url):
    app = create_app(testing_config(empty_database_url))
    with app.app_context():
        upgrade(revision="0008_declines_and_admin_log")
        with db.engine.begin() as connection:
            for statement in (
                "INSERT INTO users (id, email, name, password_hash, role, timezone, created_at)"
                " VALUES (1, 'm@example.com', 'M', 'x', 'mentor', 'UTC', '2026-11-01 10:00:00'),"
                " (2, 'e@example.com', 'E', 'x', 'mentee', 'UTC', '2026-11-01 10:00:00')",
                "INSERT INTO mentoring_sessions (id, mentor_id, mentee_id, session_type_id, starts_at, ends_at, status,"
                " link_version, created_at, updated_at, revision, meeting_kind, meeting_room)"
                " VALUES ('booked-before', 1, 2, 1, '2026-12-01 10:00:00', '2026-12-01 11:00:00', 'confirmed', 1,"
                " '2026-11-01 10:00:00', '2026-11-01 10:00:00', 1, 'jitsi', 'room')",
                # Rows that refer to both tables: what a copy-and-drop of either would trip over.
                "INSERT INTO attendance_events (session_id, user_id, at, outcome, reason)"
                " VALUES ('booked-before', 2, '2026-12-01 09:50:00', 'joined', 'allowed')",
            ):
                connection.execute(sa.text(statement))

        upgrade(revision="0009_live_changes")
        with db.engine.connect() as connection:
            counts = connection.execute(sa.text("SELECT id, sessions_version FROM users ORDER BY id")).all()
            stamps = connection.execute(
                sa.text("SELECT mentor_version_at_change, mentee_version_at_change FROM mentoring_sessions")
            ).one()
        downgrade(revision="0008_declines_and_admin_log")
        user_columns, session_columns = column_names("users"), column_names("mentoring_sessions")
        with db.engine.connect() as connection:
            kept = (
                connection.scalar(sa.text("SELECT count(*) FROM users")),
                connection.scalar(sa.text("SELECT id FROM mentoring_sessions")),
                connection.scalar(sa.text("SELECT count(*) FROM attendance_events")),
            )
        upgrade()
        with db.engine.connect() as connection:
            assert schema_differences(connection) == []
        db.engine.dispose()
    # Sessions booked before start at 0: a page's first poll (no count yet) gets all of them anyway.
    assert counts == [(1, 0), (2, 0)]
    assert tuple(stamps) == (0, 0)
    assert "sessions_version" not in user_columns
    assert {"mentor_version_at_change", "mentee_version_at_change"}.isdisjoint(session_columns)
    assert kept == (2, "booked-before", 1)
