"""Settings: the account, personal API tokens, and a mentor's video provider."""
from flask import Blueprint

bp = Blueprint("settings", __name__)

from meetapp.settings import mentor_routes, routes  # noqa: E402,F401  (routes register on bp)
