"""The settings page: name and time zone, and personal API tokens (each shown once, when made)."""
from flask import flash, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required

from meetapp.accounts import issue_api_token, revoke_api_token, tokens_of, update_profile
from meetapp.domain.scheduling import InvalidRequest
from meetapp.errors import error_page
from meetapp.settings import bp
from meetapp.settings.forms import ProfileForm, RevokeForm, TokenForm


def render_settings(*, profile_form=None, token_form=None, new_token: str | None = None, status: int = 200):
    if profile_form is None:
        profile_form = ProfileForm(formdata=None, name=current_user.name, timezone=current_user.timezone)
    response = make_response(
        render_template(
            "settings/index.html",
            profile_form=profile_form,
            token_form=token_form or TokenForm(formdata=None),
            revoke_form=RevokeForm(formdata=None),
            tokens=tokens_of(current_user),
            new_token=new_token,
        ),
        status,
    )
    # The page may carry a freshly made token: keep it out of every cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
@login_required
def index():
    return render_settings()


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
    flash(f"Saved. Times are now shown in {current_user.timezone}.", "success")
    return redirect(url_for("settings.index"))


@bp.post("/tokens")
@login_required
def create_token():
    form = TokenForm()
    if not form.validate():
        return render_settings(token_form=form, status=400)
    token = issue_api_token(current_user, form.label.data.strip())
    return render_settings(new_token=token, status=201)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    if not revoke_api_token(current_user, token_id):
        return error_page(404, "Token not found", "You have no API token with this id.")
    flash("Token revoked. Programs using it can no longer sign in.", "success")
    return redirect(url_for("settings.index"))
