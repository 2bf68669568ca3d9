"""Looking after the outbox, for the CLI and the admin page: listing mails and retrying failed ones."""
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from meetapp.domain.notifications import MailStatus
from meetapp.extensions import db
from meetapp.models import OutboxMail, User
from meetapp.services import admin_log


class NotRetryable(ValueError):
    """An id that names no failed mail."""


def mails_with_status(status: MailStatus | None, limit: int, offset: int = 0) -> list[OutboxMail]:
    """Newest first, without the bodies and invites: listings show only what a row is and how it fared."""
    query = (
        sa.select(OutboxMail)
        .options(so.defer(OutboxMail.text_body), so.defer(OutboxMail.html_body), so.defer(OutboxMail.ics))
        .order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if status is not None:
        query = query.where(OutboxMail.status == status)
    return list(db.session.scalars(query))


def status_counts() -> dict[MailStatus, int]:
    counts = dict.fromkeys(MailStatus, 0)
    for status, count in db.session.execute(
        sa.select(OutboxMail.status, sa.func.count()).group_by(OutboxMail.status)
    ):
        counts[status] = count
    return counts


def retry_mails(ids: list[int] | None, now: datetime, admin: User | None = None) -> int:
    """Queue failed mails (these ids, or all failed ones when `ids` is None) for delivery now.

    All or nothing: one id that is unknown or not failed changes nothing. An admin's retry (from the
    admin pages) writes one row of the admin log with the mails' ids, in the same transaction; the
    CLI's (`flask outbox retry`, run by whoever operates the machine) names no admin and writes none.
    """
    query = sa.select(OutboxMail.id).where(OutboxMail.status == MailStatus.FAILED)
    if ids is not None:
        found = set(db.session.scalars(query.where(OutboxMail.id.in_(ids))))
        missing = sorted(set(ids) - found)
        if missing:
            raise NotRetryable(f"No failed mail with id {', '.join(map(str, missing))}.")
    else:
        found = set(db.session.scalars(query))
    if not found:
        return 0
    db.session.execute(
        sa.update(OutboxMail)
        .where(OutboxMail.id.in_(found), OutboxMail.status == MailStatus.FAILED)
        .values(status=MailStatus.QUEUED, attempts=0, next_attempt_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )
    if admin is not None:
        retried = sorted(found)
        # What was asked for: every failed mail, one mail, or a list of them; the detail names them all.
        subject = "mail:all-failed" if ids is None else f"mail:{retried[0]}" if len(retried) == 1 else "mail:several"
        admin_log.record(admin, "mail.retry", subject, now, detail=f"Queued again: mail {', '.join(map(str, retried))}.")
    db.session.commit()
    return len(found)
