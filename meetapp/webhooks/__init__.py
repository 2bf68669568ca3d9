"""Presence webhooks: the video providers telling us who is in a session's meeting.

No login and no CSRF token here: each source proves where a request came from (a bearer token
or an HMAC signature over the raw body) before anything in it is read. The answers are the
same for every source (see `common`): 401 unsigned, wrongly signed or stale, 400 malformed,
202 for a room or meeting that is not a session's (ignored), 200 once recorded, never a 500.
"""
from flask import Blueprint

bp = Blueprint("webhooks", __name__)

from meetapp.webhooks import common, jaas, jitsi, zoom  # noqa: E402,F401  (their routes join bp)
