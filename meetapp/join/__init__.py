"""The join proxy: `/join/<token>`, the link in every page, email and calendar invite."""
from flask import Blueprint

bp = Blueprint("join", __name__)

from meetapp.join import routes  # noqa: E402,F401  (routes register on bp)
