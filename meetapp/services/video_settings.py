"""A mentor's choice of video provider: reading it, previewing it, saving it (and re-applying it).

With Zoom or Google Meet connected, meetings are made as the mentor's own account on the provider.
Saving and previewing check that account with the provider; reading the settings never calls it.
"""
from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email

from meetapp.domain.errors import InvalidRequest, NotMentor
from meetapp.domain.meeting_url import InvalidMeetingUrl, check_meeting_url
from meetapp.domain.video import (
    GOOGLE,
    JITSI,
    KIND_MANUAL,
    MANUAL,
    PROVIDER_LABELS,
    PROVIDERS,
    ZOOM,
    not_connected_notice,
    provider_for,
    room_url,
)
from meetapp.extensions import db
from meetapp.models import MentorProfile, User
from meetapp.outbox import notify
from meetapp.providers import ProviderError
from meetapp.services.booking import upcoming_sessions_of_mentor
from meetapp.services.meetings import check_connection, is_connected, jitsi_settings, needs_provider_user, renew_meeting

# Passed as `manual_url`, `zoom_user` or `google_user` to leave the saved value as it is
# (a form that did not show the field, an API call without the key).
UNCHANGED = object()
MAX_EMAIL_LENGTH = 254
# The mentor's account on each provider: its field (in errors), and what to call it.
ACCOUNT_FIELDS = {ZOOM: "zoom_user", GOOGLE: "google_user"}
ACCOUNT_NAMES = {ZOOM: "Zoom user", GOOGLE: "Google Workspace user"}
# What a session's address looks like when the provider's API makes a meeting for each one. "…" stands
# for the part each session gets of its own: never an address that looks real (see example_room_address).
EXAMPLE_ADDRESSES = {ZOOM: "https://zoom.us/j/…", GOOGLE: "https://meet.google.com/…"}


@dataclass(frozen=True)
class VideoSettings:
    provider: str
    manual_url: str | None
    preview_url: str
    notice: str | None
    warning: str | None = None
    sessions_updated: int = 0
    zoom_user: str | None = None
    google_user: str | None = None
    # Who the provider says meetings will be made as ("Zoom user ada@… (Ada L)"), when it was asked.
    connection: str | None = None
    # Why asking the provider failed, or why the account given cannot be asked about.
    connection_error: str | None = None
    # Whether the provider's API makes a meeting for each session (Zoom or Google Meet, connected, account set).
    external: bool = False

    @property
    def not_connected(self) -> bool:
        """Whether the choice is Zoom or Google Meet without credentials, so its sessions meet on Jitsi."""
        return self.provider in ACCOUNT_FIELDS and not is_connected(self.provider)


@dataclass(frozen=True)
class Choice:
    provider: str
    manual_url: str | None
    zoom_user: str | None
    google_user: str | None
    warning: str | None

    def account(self, provider: str) -> str | None:
        return {ZOOM: self.zoom_user, GOOGLE: self.google_user}.get(provider)


def profile_of(user: User) -> MentorProfile:
    profile = db.session.get(MentorProfile, user.id) if user.is_mentor else None
    if profile is None:
        raise NotMentor("Only mentors choose how their sessions meet.")
    return profile


def needs_account(provider: object) -> bool:
    """Whether meetings on `provider` are made through its API as the mentor's own account, which they name."""
    return provider in ACCOUNT_FIELDS and is_connected(provider) and needs_provider_user(provider)


def checks_connection(provider: object) -> bool:
    """Whether choosing `provider` is checked with the provider's API (connected Zoom or Google Meet)."""
    return provider in ACCOUNT_FIELDS and is_connected(provider)


def example_room_address() -> str:
    """The form of a session's Jitsi room address: "https://meet.jit.si/meetapp-session-…", where each session
    gets its own random name in place of "…". A real-looking made-up room would pass for an address to use."""
    settings = jitsi_settings()
    return room_url(f"{settings.room_prefix}-session-…", settings)


def describe(
    provider: str, manual_url: str | None, *, zoom_user: str | None = None, google_user: str | None = None, **extra
) -> VideoSettings:
    """The settings with the form of a session's address; never calls a provider's API."""
    account = {ZOOM: zoom_user, GOOGLE: google_user}.get(provider)
    external = False
    if checks_connection(provider) and (account or not needs_provider_user(provider)):
        address, notice, external = EXAMPLE_ADDRESSES[provider], None, True
    elif checks_connection(provider):
        address = example_room_address()
        notice = (
            f"Enter your {ACCOUNT_NAMES[provider]} to have {PROVIDER_LABELS[provider]} meetings made;"
            " until then sessions use Jitsi."
        )
    else:
        # The mentor's own link is theirs to see; anything else meets in a Jitsi room of its own.
        meeting = provider_for(provider, manual_url, jitsi_settings()).create_meeting()
        address = meeting.url if meeting.kind == KIND_MANUAL else example_room_address()
        notice = meeting.notice
    return VideoSettings(
        provider=provider,
        manual_url=manual_url,
        preview_url=address,
        notice=notice,
        zoom_user=zoom_user,
        google_user=google_user,
        external=external,
        **extra,
    )


# How a mentor's provider reads to others (PROVIDER_LABELS speak to the mentor choosing).
PUBLIC_LABELS = PROVIDER_LABELS | {MANUAL: "the mentor's own meeting link"}


def public_video_label(profile: MentorProfile) -> str:
    """Where the mentor's sessions meet now, by name only, for profiles ("Video: Jitsi"): a Zoom or
    Google Meet that cannot be used yet, or an own link not given, says Jitsi, as sessions then meet
    there. Never calls a provider's API, and never gives an address."""
    provider = profile.video_provider
    if provider == MANUAL:
        return PUBLIC_LABELS[MANUAL if profile.manual_meeting_url else JITSI]
    if provider in (ZOOM, GOOGLE):
        described = describe(provider, None, zoom_user=profile.zoom_user, google_user=profile.google_user)
        return PUBLIC_LABELS[provider if described.external else JITSI]
    return PUBLIC_LABELS[JITSI]


def current_settings(user: User) -> VideoSettings:
    profile = profile_of(user)
    return describe(
        profile.video_provider, profile.manual_meeting_url, zoom_user=profile.zoom_user, google_user=profile.google_user
    )


def check_account(provider: str, value: object, saved: str | None, errors: dict[str, str]) -> str | None:
    """The account to keep for `provider` (an email, or None), recording a refused one in `errors`."""
    if value is UNCHANGED:
        return saved
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    key = ACCOUNT_FIELDS[provider]
    if not isinstance(value, str):
        errors[key] = "Give the email as text."
        return saved
    value = value.strip()
    if len(value) > MAX_EMAIL_LENGTH:
        errors[key] = f"An email has at most {MAX_EMAIL_LENGTH} characters."
        return saved
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        errors[key] = f"Enter the email of your {ACCOUNT_NAMES[provider]}, such as name@example.com."
        return saved


def check_choice(
    provider: object,
    manual_url: object,
    profile: MentorProfile,
    *,
    zoom_user: object = UNCHANGED,
    google_user: object = UNCHANGED,
    account_required: bool = True,
) -> Choice:
    """Validate a choice (without asking any provider); InvalidRequest names the fields it refuses."""
    errors: dict[str, str] = {}
    if provider not in PROVIDERS:
        errors["provider"] = "Choose Jitsi, Google Meet, Zoom or your own meeting link."
    url, warning = profile.manual_meeting_url, None
    if manual_url is not UNCHANGED:
        url = None
        if isinstance(manual_url, str) and manual_url.strip():
            try:
                checked = check_meeting_url(manual_url, extra_known_hosts=(jitsi_settings().host,))
            except InvalidMeetingUrl as exc:
                errors["manual_url"] = str(exc)
            else:
                url, warning = checked.url, checked.warning
        elif manual_url is not None and not isinstance(manual_url, str):
            errors["manual_url"] = "Give the meeting link as text."
    if provider == MANUAL and url is None and "manual_url" not in errors:
        errors["manual_url"] = "Enter the link to your meeting room, starting with https://."
    zoom = check_account(ZOOM, zoom_user, profile.zoom_user, errors)
    google = check_account(GOOGLE, google_user, profile.google_user, errors)
    choice = Choice(provider, url, zoom, google, warning) if provider in PROVIDERS else None
    if account_required and choice and needs_account(provider) and not choice.account(provider):
        key = ACCOUNT_FIELDS[provider]
        errors.setdefault(key, f"Enter the email of your {ACCOUNT_NAMES[provider]}.")
    if errors:
        raise InvalidRequest(errors)
    return choice


def ask_provider(choice: Choice) -> str:
    """Who meetings would be made as, from the provider itself; ProviderError says what is wrong."""
    provider = choice.provider
    return check_connection(provider, choice.account(provider) if needs_provider_user(provider) else None)


def refusal_field(provider: str) -> str:
    """Where a refused check is reported: the account field, or the provider when there is none to fix."""
    return ACCOUNT_FIELDS[provider] if needs_provider_user(provider) else "provider"


def preview(
    user: User,
    provider: object,
    manual_url: object,
    *,
    zoom_user: object = UNCHANGED,
    google_user: object = UNCHANGED,
    check_with_provider: bool = True,
) -> VideoSettings:
    """What a session would get with this (unsaved) choice; InvalidRequest explains a bad one.

    A connected Zoom or Google Meet choice is checked with the provider (unless not `check_with_provider`), and the
    answer is in `connection` or `connection_error`; an account that is refused, or not given yet, is not an
    InvalidRequest here.
    """
    profile = profile_of(user)
    try:
        choice = check_choice(
            provider, manual_url, profile, zoom_user=zoom_user, google_user=google_user, account_required=False
        )
    except InvalidRequest as exc:
        account_errors = {key: message for key, message in exc.fields.items() if key in ACCOUNT_FIELDS.values()}
        if provider not in ACCOUNT_FIELDS or set(exc.fields) != set(account_errors):
            raise
        # Only the account is wrong: describe the choice, with the reason next to the account.
        return describe(
            provider,
            profile.manual_meeting_url,
            zoom_user=None if provider == ZOOM else profile.zoom_user,
            google_user=None if provider == GOOGLE else profile.google_user,
            connection_error=" ".join(account_errors.values()),
        )
    connection, problem = None, None
    ready = choice.account(choice.provider) or not needs_provider_user(choice.provider)
    if check_with_provider and checks_connection(choice.provider) and ready:
        try:
            connection = ask_provider(choice)
        except ProviderError as exc:
            problem = exc.message
    return describe(
        choice.provider,
        choice.manual_url,
        zoom_user=choice.zoom_user,
        google_user=choice.google_user,
        warning=choice.warning,
        connection=connection,
        connection_error=problem,
    )


def save(
    user: User,
    *,
    provider: object,
    manual_url: object = UNCHANGED,
    zoom_user: object = UNCHANGED,
    google_user: object = UNCHANGED,
    apply_to_upcoming: object = False,
    now: datetime,
) -> VideoSettings:
    """Save the choice; with `apply_to_upcoming`, give the mentor's upcoming sessions new meetings.

    A connected Zoom or Google Meet choice is checked with the provider first: a refusal saves nothing,
    while a provider that does not answer right now does not stop the save (the worker checks again).
    """
    profile = profile_of(user)
    if not isinstance(apply_to_upcoming, bool):
        raise InvalidRequest({"apply_to_upcoming": "Give true or false."})
    choice = check_choice(provider, manual_url, profile, zoom_user=zoom_user, google_user=google_user)
    warnings = [choice.warning] if choice.warning else []
    connection, problem = None, None
    if checks_connection(choice.provider):
        label = PROVIDER_LABELS[choice.provider]
        try:
            connection = ask_provider(choice)
        except ProviderError as exc:
            if not exc.transient:
                raise InvalidRequest({refusal_field(choice.provider): exc.message}) from None
            problem = exc.message
            what = "the account is saved" if needs_provider_user(choice.provider) else "your choice is saved"
            reason = exc.message.rstrip(".")
            warnings.append(f"{label} did not answer ({reason}); {what} and checked again when meetings are made.")
    profile.video_provider = choice.provider
    profile.manual_meeting_url = choice.manual_url
    profile.zoom_user = choice.zoom_user
    profile.google_user = choice.google_user
    updated = 0
    if apply_to_upcoming:
        for session in upcoming_sessions_of_mentor(user, now):
            # A Zoom or Google meeting is made by the worker; the session meets on Jitsi until then.
            renew_meeting(session, profile, now, choice=choice.provider)
            session.updated_at = now
            notify.new_link(session, now)
            updated += 1
    db.session.commit()
    return describe(
        choice.provider,
        choice.manual_url,
        zoom_user=choice.zoom_user,
        google_user=choice.google_user,
        warning=" ".join(warnings) or None,
        sessions_updated=updated,
        connection=connection,
        connection_error=problem,
    )


def provider_choices() -> list[tuple[str, str, str | None]]:
    """(value, label, note) for each provider, the note saying when one is not connected."""
    return [
        (name, PROVIDER_LABELS[name], None if is_connected(name) else not_connected_notice(name))
        for name in PROVIDERS
    ]
