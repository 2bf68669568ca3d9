"""Pages for admins: a home, every session and person searched and paged, the mail queue with a retry
for mails that failed for good, the mentors to approve or suspend, and the log of what admins did."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from meetapp.admin import routes  # noqa: E402,F401  (routes register on bp)
