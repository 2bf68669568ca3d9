"""Registering, and confirming the address by the link mailed for it.

The register form answers a new address and one that already has an account with the
same page; the mail that follows differs (services.registration). A confirmation link
opens a page with a button: mail scanners that fetch every link change nothing.
"""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from meetapp.auth import bp
from meetapp.auth.forms import RegistrationForm, offer_timezones
from meetapp.domain.account_tokens import InvalidAccountToken
from meetapp.domain.errors import InvalidRequest
from meetapp.domain.timeutil import utcnow
from meetapp.services import registration
from meetapp.web import rate_limits
from meetapp.web.errors import error_page
from meetapp.web.rate_limits import TooManyAttempts
from meetapp.web.security import key_in_url

TOO_MANY_REGISTRATIONS = "Too many registrations from your network for now. Please try again later."
TOO_MANY_LINKS = (
    "We have sent you several links in a short time. Look for them in your inbox and your spam folder, "
    "or ask again later."
)


def register_page(form: RegistrationForm, search: str = "", **context) -> str:
    """The form, its zone list narrowed by `search` (the time zone search, without JavaScript)."""
    found = offer_timezones(form.timezone, search, utcnow())
    return render_template("auth/register.html", form=form, timezone_search=found, **context)


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = RegistrationForm()
    if not form.is_submitted():
        return register_page(form, request.args.get("tz_search", ""))
    try:
        rate_limits.count_attempt("register", request.remote_addr or "unknown", "REGISTER_RATE_LIMIT")
    except TooManyAttempts as exc:
        page = register_page(form, failure=TOO_MANY_REGISTRATIONS)
        return page, 429, {"Retry-After": str(exc.retry_after)}
    account = form.account()
    if form.validate():
        try:
            registration.register(**account, now=utcnow())
        except InvalidRequest as exc:
            problems = exc.fields
        else:
            # The same page whether the address was new or not, and nobody is logged in by it.
            return render_template("auth/check_inbox.html", email=account["email"])
    else:
        # Every problem at once: the account's rules too, not only what the form itself could see.
        problems = registration.problems(**account)
    for name, message in problems.items():
        field = getattr(form, name)
        if not field.errors:
            field.errors.append(message)
    return register_page(form), 400


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """GET shows a button and changes nothing (mail scanners open links); its POST confirms."""
    now = utcnow()
    try:
        user = registration.person_to_confirm(token, now)
    except InvalidAccountToken:
        return key_in_url((render_template("auth/confirm_invalid.html"), 400))
    if user.email_confirmed:
        return key_in_url(render_template("auth/confirm_done.html"))
    if request.method == "GET":
        return key_in_url(render_template("auth/confirm.html", token=token))
    registration.confirm_address(user, now)
    if current_user.is_authenticated and current_user.id == user.id:
        flash("Your address is confirmed." + (" You can book sessions now." if user.is_mentee else ""), "success")
        return key_in_url(redirect(url_for("dashboard.index")))
    flash("Address confirmed. Log in to " + ("book." if user.is_mentee else "continue."), "success")
    return key_in_url(redirect(url_for("auth.login")))


@bp.post("/confirm/resend")
@login_required
def resend_confirmation():
    if current_user.email_confirmed:
        flash("Your address is already confirmed.", "info")
        return redirect(url_for("dashboard.index"))
    try:
        rate_limits.count_attempt("confirm-mail", str(current_user.id), "CONFIRMATION_MAIL_RATE_LIMIT")
    except TooManyAttempts as exc:
        page, status = error_page(429, "Too many links", TOO_MANY_LINKS)
        return page, status, {"Retry-After": str(exc.retry_after)}
    registration.send_new_link(current_user, utcnow())
    flash(f"We sent a new link to {current_user.email}.", "success")
    return redirect(url_for("dashboard.index"))
