"""Pages for admins: the mail queue, with a retry for mails that failed for good, and the mentors to approve or suspend."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from meetapp.admin import routes  # noqa: E402,F401  (routes register on bp)
