"""The dashboard: upcoming and past sessions."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from meetapp.dashboard import routes  # noqa: E402,F401  (routes register on bp)
