"""Accounts: register, log in, log out."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from meetapp.auth import passwords, registration, routes  # noqa: E402,F401  (routes register on bp)
