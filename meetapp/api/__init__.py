"""The JSON API under /api (contract section 4)."""
from flask import Blueprint

bp = Blueprint("api", __name__)

from meetapp.api import auth, mentors, routes  # noqa: E402,F401  (routes register on bp)
