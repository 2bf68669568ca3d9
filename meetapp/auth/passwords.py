"""A forgotten password: asking for a link, and choosing a new password by it.

Asking answers every address alike (services.passwords). A reset link carries its key in
the URL, so its page is kept out of caches and passes no Referer on. A reset logs nobody
in: it ends every login, and the person logs in with the new password.
"""
from flask import flash, redirect, render_template, request, url_for

from meetapp.auth import bp
from meetapp.auth.forms import ForgotPasswordForm, ResetPasswordForm
from meetapp.domain.account_tokens import InvalidAccountToken
from meetapp.domain.errors import InvalidRequest
from meetapp.domain.timeutil import utcnow
from meetapp.models import normalise_email
from meetapp.services import passwords
from meetapp.services.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from meetapp.services.logins import log_out
from meetapp.web import rate_limits
from meetapp.web.rate_limits import TooManyAttempts
from meetapp.web.security import key_in_url

TOO_MANY_LINKS = "Too many reset links asked for. Please wait an hour and try again."


@bp.route("/forgot", methods=["GET", "POST"])
def forgot():
    form = ForgotPasswordForm()
    if not form.is_submitted():
        return render_template("auth/forgot.html", form=form)
    email = (form.email.data or "").strip()
    problems = passwords.check_reset_address(email)
    if problems:
        form.email.errors = [problems["email"]]
        return render_template("auth/forgot.html", form=form), 400
    try:
        client = request.remote_addr or "unknown"
        rate_limits.count_attempt("reset-address", client, "PASSWORD_RESET_RATE_LIMIT_PER_ADDRESS")
        rate_limits.count_attempt("reset-account", normalise_email(email), "PASSWORD_RESET_RATE_LIMIT_PER_ACCOUNT")
    except TooManyAttempts as exc:
        page = render_template("auth/forgot.html", form=form, failure=TOO_MANY_LINKS)
        return page, 429, {"Retry-After": str(exc.retry_after)}
    passwords.request_reset(email, utcnow())
    # The same page whether or not the address has an account.
    return render_template("auth/forgot.html", form=form, sent=True)


def reset_page(form: ResetPasswordForm | None = None, token: str | None = None, status: int = 200):
    """The new-password form for `token`; without a form, the page for a link that does not work."""
    page = render_template(
        "auth/reset.html",
        invalid=form is None,
        form=form,
        token=token,
        min_password_length=MIN_PASSWORD_LENGTH,
        max_password_length=MAX_PASSWORD_LENGTH,
    )
    return key_in_url((page, status))


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    now = utcnow()
    try:
        user = passwords.user_for_reset_token(token, now)
    except InvalidAccountToken:
        return reset_page(status=400)
    form = ResetPasswordForm()
    if not form.is_submitted():
        return reset_page(form, token)
    try:
        passwords.reset_password(
            user, new=form.new_password.data or "", repeat=form.repeat_password.data or "", now=now
        )
    except InvalidAccountToken:
        return reset_page(status=400)
    except InvalidRequest as exc:
        for name, message in exc.fields.items():
            getattr(form, name).errors = [message]
        return reset_page(form, token, status=400)
    # Every login of the person has ended; this browser's cookies go too, whoever was logged in here.
    log_out()
    flash("Your password is changed, and every login ended. Log in with the new password.", "success")
    return key_in_url(redirect(url_for("auth.login")))
