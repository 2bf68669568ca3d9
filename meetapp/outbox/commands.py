"""`flask worker` (contract section 3) and `flask outbox …` for looking after the mail queue."""
import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from meetapp.domain.notifications import MailStatus
from meetapp.domain.timeutil import iso_z, utcnow
from meetapp.extensions import db
from meetapp.outbox.upkeep import NotRetryable, mails_with_status, retry_mails
from meetapp.outbox.worker import MailNotConfigured, new_worker_id, run_pass, transport

outbox_cli = AppGroup("outbox", help="Look after the mail queue: list mails, retry failed ones.")


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(2)


@click.command("worker")
@click.option("--once", is_flag=True, help="Do one pass (queue due reminders, deliver due mail) and exit.")
@with_appcontext
def worker_command(once: bool) -> None:
    """Deliver due mail from the outbox and queue due reminders, until stopped."""
    try:
        via = transport()
    except MailNotConfigured as exc:
        _fail(str(exc))
    worker_id = new_worker_id()
    if once:
        report = run_pass(worker_id=worker_id)
        click.echo(f"worker {worker_id}: {report.summary()}")
        return

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    poll = current_app.config["WORKER_POLL_SECONDS"]
    where = "the dev mailbox (/dev/mail)" if via != "smtp" else f"{current_app.config['MAIL_SERVER']}"
    click.echo(f"worker {worker_id}: delivering to {where}, every {poll}s; Ctrl+C stops it")
    while not stop.is_set():
        try:
            report = run_pass(worker_id=worker_id)
        except Exception:
            # A database restart or one bad row must not stop delivery of everything else.
            db.session.rollback()
            current_app.logger.exception("Worker pass failed; trying again in %ss", poll)
        else:
            if report.anything:
                click.echo(f"worker {worker_id}: {report.summary()}")
        finally:
            db.session.remove()
        stop.wait(poll)
    click.echo(f"worker {worker_id}: stopped")


@outbox_cli.command("list")
@click.option(
    "--status", "status", default="failed", show_default=True,
    type=click.Choice([*(status.value for status in MailStatus), "all"]),
    help="Which mails to list.",
)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
def list_command(status: str, limit: int) -> None:
    """List mails in the outbox, newest first (failed ones by default)."""
    rows = mails_with_status(None if status == "all" else MailStatus(status), limit)
    if not rows:
        click.echo(f"No {'' if status == 'all' else status + ' '}mails.")
        return
    click.echo(f"{'id':>6}  {'status':<7} {'kind':<15} {'attempts':>8}  {'created':<20} {'to':<30} last error")
    for row in rows:
        click.echo(
            f"{row.id:>6}  {row.status.value:<7} {row.kind.value:<15} {row.attempts:>8}  "
            f"{iso_z(row.created_at):<20} {row.to_address:<30} {row.last_error or ''}"
        )


@outbox_cli.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="Retry every failed mail.")
def retry_command(ids: tuple[int, ...], all_failed: bool) -> None:
    """Queue failed mails again, with a fresh set of attempts."""
    if bool(ids) == all_failed:
        _fail("Give the ids of failed mails, or --all-failed (not both).")
    try:
        count = retry_mails(None if all_failed else list(ids), utcnow())
    except NotRetryable as exc:
        _fail(str(exc))
    click.echo(f"Queued {count} mail{'s' if count != 1 else ''} again.")
