"""The dev mailbox, registered in development only: the mails the app sent, with their links clickable."""
from flask import Blueprint

bp = Blueprint("dev", __name__)

from meetapp.dev import routes  # noqa: E402,F401  (routes register on bp)
