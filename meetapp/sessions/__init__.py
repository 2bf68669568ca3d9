"""Booking and the session page: confirm, cancel, reschedule."""
from flask import Blueprint

bp = Blueprint("sessions", __name__)

from meetapp.sessions import routes  # noqa: E402,F401  (routes register on bp)
