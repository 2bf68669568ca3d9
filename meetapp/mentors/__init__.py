"""Finding a mentor, and a mentor's public profile with their next free times."""
from flask import Blueprint

bp = Blueprint("mentors", __name__)

from meetapp.mentors import routes  # noqa: E402,F401  (routes register on bp)
