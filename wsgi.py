"""WSGI entry point: `gunicorn wsgi:app`, and what `flask` finds in the project root."""
import sys

from meetapp import create_app
from meetapp.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    sys.exit(f"meetapp cannot start: {exc}")
