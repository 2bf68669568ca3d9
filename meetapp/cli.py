"""Command line (contract section 3): `flask users …`, `flask session-types set`, `flask seed-demo`;
`flask worker` and `flask outbox …` live with the mail code (meetapp.outbox.commands).

Bad input prints one clear line to stderr and exits with status 2; nothing is written.
"""
from typing import NoReturn

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from meetapp.domain.errors import InvalidRequest
from meetapp.domain.scheduling import MAX_DURATION_MINUTES, MIN_DURATION_MINUTES, Role
from meetapp.domain.timeutil import utcnow
from meetapp.extensions import db
from meetapp.models import SessionType
from meetapp.services.accounts import create_user, find_user_by_email, issue_api_token
from meetapp.services.booking import session_type_named

users = AppGroup("users", help="Create users and their API tokens.")
session_types = AppGroup("session-types", help="Manage session types and their access windows.")


def fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(2)


class MinutesOrDefault(click.ParamType):
    """Whole minutes ≥ 0, or `default` for the JITSI_* defaults."""

    name = "minutes|default"

    def convert(self, value, param, ctx):
        if value is None or (isinstance(value, str) and value.strip().lower() == "default"):
            return None
        try:
            minutes = int(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a whole number of minutes or 'default'.", param, ctx)
        if minutes < 0:
            self.fail(f"{minutes} is negative; give 0 or more minutes.", param, ctx)
        return minutes


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice([role.value for role in Role], case_sensitive=False))
@click.option("--password", required=True)
@click.option("--timezone", default="UTC", show_default=True, help="IANA zone, e.g. Europe/Berlin.")
def create_user_command(email: str, name: str, role: str, password: str, timezone: str) -> None:
    """Create a user and print its id."""
    try:
        user = create_user(email=email, name=name, role=role.lower(), password=password, timezone=timezone)
    except InvalidRequest as exc:
        fail(" ".join(f"{field}: {message}" for field, message in exc.fields.items()))
    click.echo(user.id)


@users.command("token")
@click.option("--email", required=True)
@click.option("--label", default="CLI token", show_default=True)
def token_command(email: str, label: str) -> None:
    """Create a personal API token and print it (it is shown only this once)."""
    user = find_user_by_email(email)
    if user is None:
        fail(f"There is no user with the email {email!r}.")
    token = issue_api_token(user, label)
    click.echo(f"API token for {user.email} (store it now, it is not shown again):")
    click.echo(token)


@session_types.command("set")
@click.argument("name")
@click.option("--early", required=True, type=MinutesOrDefault(), help="Minutes before the start that joining opens.")
@click.option("--late", required=True, type=MinutesOrDefault(), help="Minutes after the end that joining closes.")
@click.option("--duration", type=click.IntRange(MIN_DURATION_MINUTES, MAX_DURATION_MINUTES), help="Default minutes.")
def set_session_type(name: str, early: int | None, late: int | None, duration: int | None) -> None:
    """Create or update a session type and its access window."""
    name = name.strip()
    if not 1 <= len(name) <= 80:
        fail("The name must be 1 to 80 characters.")
    session_type = session_type_named(name)
    created = session_type is None
    if created:
        session_type = SessionType(name=name, default_duration_minutes=duration or 60)
        db.session.add(session_type)
    elif duration is not None:
        session_type.default_duration_minutes = duration
    session_type.early_access_minutes = early
    session_type.late_access_minutes = late
    db.session.commit()
    click.echo(
        f"{'Created' if created else 'Updated'} session type {session_type.name!r}: "
        f"{session_type.default_duration_minutes} min, joining opens {_minutes(early)} before the start "
        f"and closes {_minutes(late)} after the end."
    )


def _minutes(value: int | None) -> str:
    return "the default minutes" if value is None else f"{value} min"


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load demo mentors, mentees, session types and sessions (safe to run again)."""
    from meetapp.services.demo import DEMO_PASSWORD, seed_demo

    people = seed_demo(utcnow())
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for person in people:
        click.echo(f"  {person.role:<7} {person.email:<28} {person.name} ({person.timezone})")


def register(app: Flask) -> None:
    from meetapp.outbox.commands import outbox_cli, worker_command

    app.cli.add_command(worker_command)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(users)
    app.cli.add_command(session_types)
    app.cli.add_command(seed_demo_command)
