"""Health endpoints for load balancers: liveness without the database, readiness with it."""
from flask import Blueprint

bp = Blueprint("health", __name__)

from meetapp.health import routes  # noqa: E402,F401  (routes register on bp)
