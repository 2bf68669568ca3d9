"""WSGI entry point: `gunicorn wsgi:app`, and what `flask` finds in the project root."""
from meetapp import create_app

app = create_app()
