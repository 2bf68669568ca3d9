"""What SQLAlchemy spells per database: an INSERT that can skip a row whose key exists already."""
from sqlalchemy.dialects import postgresql, sqlite

from meetapp.extensions import db


def insert_or_skip(table):
    """INSERT into `table` for the app's database (PostgreSQL or SQLite): both take
    `.on_conflict_do_nothing(...)`, so of two racing inserts of one key, one row is stored."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
