"""Log in (rate-limited per address, per account and per device: see auth.devices), log out."""
from functools import cache
from urllib.parse import urlsplit

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.security import check_password_hash, generate_password_hash

from meetapp.auth import bp, devices
from meetapp.auth.forms import LoginForm, LogoutForm
from meetapp.domain.permissions import join_link_names_session
from meetapp.domain.timeutil import utcnow
from meetapp.models import normalise_email
from meetapp.services.accounts import find_user_by_email
from meetapp.services.joining import read_link
from meetapp.services.logins import log_in, log_out
from meetapp.web import rate_limits
from meetapp.web.errors import MESSAGES, error_page

WRONG_CREDENTIALS = "Wrong email or password."
TOO_MANY_ATTEMPTS = "Too many login attempts for now. Please try again in a minute."


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: never a way to send someone elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    # Browsers read "\" as "/" and drop tabs and newlines, so "/\evil" and "/\t/evil" lead off-site.
    if "\\" in target or any(ch.isspace() or not ch.isprintable() for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def leads_to_a_meeting(path: str) -> bool:
    """Whether `path` is one of the join proxy's doors (`/join/<token>`, `/sessions/<id>/join`)."""
    path, root = urlsplit(path).path, request.script_root
    if not path.startswith(root + "/"):
        return False
    try:
        endpoint, _ = current_app.url_map.bind_to_environ(request.environ).match(path.removeprefix(root), method="GET")
    except HTTPException:
        return False
    return endpoint in ("join.enter", "join.door")


def session_to_join(next_path: str | None) -> str | None:
    """ "Standard with Dr. Amara Okafor" when `next_path` is a genuine, current join link, from the view of
    the participant it was made for; None for any other page.

    Whoever opens such a link holds what was mailed to that participant, so naming the session tells them
    nothing new. A tampered, made-up, revoked or cancelled session's link names nothing, and costs no query
    before its signature is checked (read_link).
    """
    prefix = url_for("join.enter", token="")
    if not next_path or not next_path.startswith(prefix):
        return None
    claim, session = read_link(next_path.removeprefix(prefix), utcnow())
    if session is None or not join_link_names_session(
        token_user_id=claim.user_id,
        token_version=claim.link_version,
        mentor_id=session.mentor_id,
        mentee_id=session.mentee_id,
        link_version=session.link_version,
        status=session.status,
    ):
        return None
    return f"{session.session_type.name} with {session.other_participant(claim.user_id).name}"


def login_page(form: LoginForm, **context) -> str:
    return render_template("auth/login.html", form=form, joining=session_to_join(form.next.data), **context)


def submitted_account() -> str:
    # A blank email still gets a count of its own.
    return normalise_email(request.form.get("email", ""))[:254] or "(blank)"


@cache
def _decoy_hash() -> str:
    return generate_password_hash("not a password anyone has")


@bp.route("/login", methods=["GET", "POST"])
def login():
    device = None
    if request.method == "POST":
        # Before the password is looked at: while the address is over its limit, or the account for a
        # browser it has not seen log in (no device cookie), even the right password waits (see web.rate_limits).
        device = rate_limits.trusted_device(devices.device_of(submitted_account()))
        rate_limits.refuse_login_if_over(request.remote_addr, submitted_account(), device)
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        if user is None:
            # Spend the same time as a real check, so the answer does not tell which emails exist.
            check_password_hash(_decoy_hash(), form.password.data)
        elif user.check_password(form.password.data):
            now = utcnow()
            log_in(user, remember=form.remember.data, now=now)
            destination = safe_next(form.next.data) or url_for("dashboard.index")
            if leads_to_a_meeting(destination):
                # A join door leads on to the meeting on another site, and browsers hold every redirect
                # after a form to the page's `form-action 'self'`: so leave the form first, then go on.
                response = make_response(render_template("auth/continue.html", destination=destination))
            else:
                response = redirect(destination)
            devices.remember_device(response, user, now)
            return response
        # Only a wrong email or password counts: not a success, a blank form or a refusal.
        locked_for = rate_limits.count_failed_login(request.remote_addr, submitted_account(), device)
        if locked_for is not None and user is not None:
            devices.tell_owner_of_lockout(user, locked_for)
        return login_page(form, failure=WRONG_CREDENTIALS)
    form.next.data = safe_next(form.next.data) or ""
    return login_page(form), 400 if form.errors else 200


@bp.errorhandler(429)
def too_many_attempts(error):
    if request.endpoint != "auth.login":
        return error_page(429, "Too many requests", MESSAGES[429])
    form = LoginForm()
    form.next.data = safe_next(form.next.data) or ""
    headers = {"Retry-After": str(error.retry_after)} if getattr(error, "retry_after", None) else {}
    return login_page(form, failure=TOO_MANY_ATTEMPTS), 429, headers


@bp.get("/logout")
def logout_page():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("auth/logout.html", form=LogoutForm())


@bp.post("/logout")
def logout():
    # CSRFProtect has checked the token before this runs: a foreign page cannot log anyone out.
    if current_user.is_authenticated:
        log_out()
        flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
