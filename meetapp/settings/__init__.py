"""Account settings: personal API tokens (video settings come later)."""
from flask import Blueprint

bp = Blueprint("settings", __name__)

from meetapp.settings import routes  # noqa: E402,F401  (routes register on bp)
