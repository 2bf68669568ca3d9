"""The settings pages: name and time zone (and, for admins, whether to be mailed each no-show);
security (the password, logins, personal API tokens, each shown once, when made); and a mentor's
video provider.
"""
from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from meetapp.auth import devices
from meetapp.auth.forms import offer_timezones
from meetapp.domain.errors import Forbidden, InvalidRequest
from meetapp.domain.timeutil import utcnow
from meetapp.domain.video import GOOGLE, MANUAL, PROVIDER_LABELS, ZOOM
from meetapp.extensions import db
from meetapp.services import passwords, video_settings
from meetapp.services.accounts import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    issue_api_token,
    revoke_api_token,
    tokens_of,
    update_profile,
)
from meetapp.services.logins import end_every_login, log_in, log_out
from meetapp.settings import bp
from meetapp.settings.forms import (
    LogOutEverywhereForm,
    NoShowMailForm,
    PasswordChangeForm,
    ProfileForm,
    RevokeForm,
    TokenForm,
    VideoSettingsForm,
)
from meetapp.web import rate_limits
from meetapp.web.errors import error_page
from meetapp.web.rate_limits import TooManyAttempts

# The largest id a row can have on every database (PostgreSQL's integer): a larger one is a 404,
# not a parameter the database refuses with an error.
LARGEST_ID = 2**31 - 1


@bp.errorhandler(Forbidden)
def not_allowed(exc: Forbidden):
    return error_page(403, "Not allowed", exc.message)


def render_settings(*, profile_form=None, timezone_search: str = "", status: int = 200):
    """The settings page; `timezone_search` narrows the zone list (the search without JavaScript)."""
    if profile_form is None:
        profile_form = ProfileForm(formdata=None, name=current_user.name, timezone=current_user.timezone)
    found = offer_timezones(profile_form.timezone, timezone_search, utcnow())
    no_show_form = (
        NoShowMailForm(formdata=None, mail_no_shows=current_user.mail_no_shows) if current_user.is_admin else None
    )
    response = make_response(
        render_template(
            "settings/index.html", profile_form=profile_form, timezone_search=found, no_show_form=no_show_form
        ),
        status,
    )
    # A person's own details: no cache keeps them for whoever uses the browser after a logout.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
@login_required
def index():
    return render_settings(timezone_search=request.args.get("tz_search", ""))


@bp.post("/profile")
@login_required
def profile():
    form = ProfileForm()
    if not form.validate():
        return render_settings(profile_form=form, status=400)
    try:
        update_profile(current_user, name=form.name.data, timezone=form.timezone.data)
    except InvalidRequest as exc:
        for name, message in exc.fields.items():
            getattr(form, name).errors.append(message)
        return render_settings(profile_form=form, status=400)
    flash(f"Saved. Times are now shown in {form.timezone.data}.", "success")
    return redirect(url_for("settings.index"))


@bp.post("/no-show-mail")
@login_required
def no_show_mail():
    """An admin's opt-in to the no-show mails (services.attendance.finalise queues them)."""
    if not current_user.is_admin:
        raise Forbidden("Only admins choose whether to be mailed about no-shows.")
    form = NoShowMailForm()
    if not form.validate():
        return error_page(400, "Not saved", "The form had expired. Please try again.")
    current_user.mail_no_shows = form.mail_no_shows.data
    db.session.commit()
    if form.mail_no_shows.data:
        flash("Saved. You will be mailed each no-show.", "success")
    else:
        flash("Saved. You will not be mailed about no-shows.", "success")
    return redirect(url_for("settings.index"))


# Security: the password, logins, API tokens ------------------------------------------------

TOO_MANY_WRONG_PASSWORDS = "Too many wrong passwords for now. Please try again later."


def render_security(*, password_form=None, token_form=None, new_token: str | None = None, status: int = 200):
    response = make_response(
        render_template(
            "settings/security.html",
            password_form=password_form or PasswordChangeForm(formdata=None),
            everywhere_form=LogOutEverywhereForm(formdata=None),
            token_form=token_form or TokenForm(formdata=None),
            revoke_form=RevokeForm(formdata=None),
            tokens=tokens_of(current_user),
            new_token=new_token,
            min_password_length=MIN_PASSWORD_LENGTH,
            max_password_length=MAX_PASSWORD_LENGTH,
        ),
        status,
    )
    # The page may carry a freshly made token: keep it out of every cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/security")
@login_required
def security():
    return render_security()


@bp.post("/security/password")
@login_required
def change_password():
    form = PasswordChangeForm()
    client = request.remote_addr
    try:
        # A wrong current password counts as a failed login of the account from an untrusted browser
        # (no device: see web.rate_limits), so this form is no way round the login limit for guessing;
        # while the account is over it, even the right one waits.
        rate_limits.refuse_login_if_over(client, current_user.email, device=None)
    except TooManyAttempts as exc:
        form.form_errors.append(TOO_MANY_WRONG_PASSWORDS)
        response = render_security(password_form=form, status=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    # A browser that was kept logged in stays so, in a new login that starts now.
    remember = current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies
    try:
        passwords.change_password(
            current_user,
            current=form.current_password.data or "",
            new=form.new_password.data or "",
            repeat=form.repeat_password.data or "",
            now=utcnow(),
        )
    except InvalidRequest as exc:
        if isinstance(exc, passwords.WrongPassword):
            locked_for = rate_limits.count_failed_login(client, current_user.email, device=None)
            if locked_for is not None:
                devices.tell_owner_of_lockout(current_user._get_current_object(), locked_for)
        for name, message in exc.fields.items():
            getattr(form, name).errors = [message]
        return render_security(password_form=form, status=400)
    # Every login has ended, this one too: this browser starts a new one.
    log_in(current_user._get_current_object(), remember=remember, now=utcnow())
    flash("Your password is changed. Every other device where you were logged in has been logged out.", "success")
    return redirect(url_for("settings.security"))


@bp.post("/security/log-out-everywhere")
@login_required
def log_out_everywhere():
    # CSRFProtect has checked the token before this runs: a foreign page cannot end anyone's logins.
    end_every_login(current_user)
    db.session.commit()
    log_out()
    flash("You are logged out everywhere, on this device and every other. Log in again to continue.", "info")
    return redirect(url_for("auth.login"))


@bp.post("/tokens")
@login_required
def create_token():
    form = TokenForm()
    if not form.validate():
        return render_security(token_form=form, status=400)
    token = issue_api_token(current_user, form.label.data.strip())
    return render_security(new_token=token, status=201)


@bp.post(f"/tokens/<int(max={LARGEST_ID}):token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    if not revoke_api_token(current_user, token_id):
        return error_page(404, "Token not found", "You have no API token with this id.")
    flash("Token revoked. Programs using it can no longer sign in.", "success")
    return redirect(url_for("settings.security"))


# Video ---------------------------------------------------------------------------------


def video_form(current: video_settings.VideoSettings, **kwargs) -> VideoSettingsForm:
    """The form, its fields that the request did not carry filled with what is saved."""
    return VideoSettingsForm(
        manual_url=current.manual_url, zoom_user=current.zoom_user, google_user=current.google_user, **kwargs
    )


def form_preview(form: VideoSettingsForm, *, check_with_provider: bool = True):
    """What the form's choice gives, for the preview: (the settings or None, what is wrong or None).

    A refused link is said in the preview, as what was typed. A problem with the account goes next to the
    account field, where there is one.
    """
    provider = form.provider.data
    # Another provider takes the link and account fields away, so what was typed there no longer counts.
    unchanged = video_settings.UNCHANGED
    manual_url = form.manual_url_or_unchanged() if provider == MANUAL else unchanged
    accounts = {ZOOM: unchanged, GOOGLE: unchanged}
    if provider in accounts:
        # An account that a save has just refused is not one that sessions can meet as.
        refused = form.account_fields()[provider].errors
        accounts[provider] = None if refused else form.account_or_unchanged(provider)
    preview, problem = None, None
    try:
        preview = video_settings.preview(
            current_user,
            provider,
            manual_url,
            zoom_user=accounts[ZOOM],
            google_user=accounts[GOOGLE],
            check_with_provider=check_with_provider,
        )
    except InvalidRequest as exc:
        typed = isinstance(manual_url, str) and manual_url.strip()
        if typed and "manual_url" in exc.fields:
            problem = f"This link cannot be used: {exc.fields['manual_url']}"
        # Just switched to "My own meeting link" with none saved: wait for the link before complaining.
        elif manual_url is not unchanged or set(exc.fields) != {"manual_url"}:
            problem = " ".join(exc.fields.values())
    account = form.account_field()
    if preview and preview.connection_error:
        if account is None:
            problem = preview.connection_error
        elif preview.connection_error not in account.errors:
            # An unvalidated field's errors are still an empty tuple.
            account.errors = [*account.errors, preview.connection_error]
    return preview, problem


def render_video(
    form: VideoSettingsForm,
    *,
    preview: video_settings.VideoSettings | None = None,
    problem: str | None = None,
    status: int = 200,
):
    """The video settings page; `preview` is what the form's choice gives, and `problem` why it gives none."""
    response = make_response(
        render_template(
            "settings/video.html",
            form=form,
            not_connected={value: note for value, _, note in video_settings.provider_choices() if note},
            preview=preview,
            preview_error=problem,
        ),
        status,
    )
    # The page shows the mentor's own meeting link.
    response.headers["Cache-Control"] = "no-store"
    return response


def saved_message(saved: video_settings.VideoSettings, applied: bool) -> str:
    if saved.notice:
        message = f"Saved. {saved.notice}"
    elif saved.provider == MANUAL:
        message = "Saved. New sessions will meet at your own meeting link."
    else:
        message = f"Saved. New sessions will meet on {PROVIDER_LABELS[saved.provider]}."
    if saved.connection:
        message += f" Connected as {saved.connection}."
    if applied and saved.sessions_updated:
        count = saved.sessions_updated
        message += (
            f" {count} upcoming session{'s' if count != 1 else ''} got new meeting links;"
            " links sent for them earlier no longer work."
        )
    elif applied:
        message += " You have no upcoming sessions to change."
    return message


@bp.get("/video")
@login_required
def video():
    current = video_settings.current_settings(current_user)
    form = video_form(current, formdata=None, provider=current.provider)
    return render_video(form, preview=current)


@bp.post("/video")
@login_required
def save_video():
    current = video_settings.current_settings(current_user)
    form = video_form(current)
    if form.validate():
        try:
            saved = video_settings.save(
                current_user,
                provider=form.provider.data,
                manual_url=form.manual_url_or_unchanged(),
                zoom_user=form.account_or_unchanged(ZOOM),
                google_user=form.account_or_unchanged(GOOGLE),
                apply_to_upcoming=form.apply_to_upcoming.data,
                now=utcnow(),
            )
        except InvalidRequest as exc:
            for key, message in exc.fields.items():
                # The service's field names are the form's.
                field = getattr(form, key, None)
                (form.form_errors if field is None else field.errors).append(message)
        else:
            flash(saved_message(saved, applied=form.apply_to_upcoming.data), "success")
            if saved.warning:
                flash(saved.warning, "warning")
            return redirect(url_for("settings.video"))
    # The preview describes what was typed, as it did while typing; the provider was asked by the save already.
    preview, problem = form_preview(form, check_with_provider=False)
    return render_video(form, preview=preview, problem=problem, status=400)


@bp.post("/video/preview")
@login_required
def preview_video():
    """The provider details (link or account field, and preview) for the posted choice; saves nothing.

    A connected Zoom or Google Meet choice is checked with the provider, and the answer shown next to the
    account field. Always 200: a refused link is shown in the preview, which htmx only swaps on success.
    """
    form = video_form(video_settings.current_settings(current_user))
    preview, problem = form_preview(form)
    response = make_response(
        render_template("settings/_video_details.html", form=form, preview=preview, preview_error=problem)
    )
    response.headers["Cache-Control"] = "no-store"
    return response
