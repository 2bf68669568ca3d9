"""The log of what admins did. Every admin action writes one row in the same transaction as the
change itself, so the log holds exactly the changes that happened."""
from datetime import datetime

import sqlalchemy as sa

from meetapp.extensions import db
from meetapp.models import AdminAction, User

MAX_DETAIL_LENGTH = 500


def record(admin: User, action: str, subject: str, now: datetime, detail: str | None = None) -> None:
    """Add the row to the caller's transaction; the caller commits it with the change (or rolls both back).

    `action` names what was done ("mentor.suspend"), `subject` what it was done to ("user:12").
    """
    if detail is not None and len(detail) > MAX_DETAIL_LENGTH:
        detail = detail[: MAX_DETAIL_LENGTH - 1] + "…"
    db.session.add(AdminAction(admin_id=admin.id, at=now, action=action, subject=subject, detail=detail))


def latest(limit: int, offset: int = 0) -> list[AdminAction]:
    """The newest actions first, with the admin who took each."""
    return list(
        db.session.scalars(
            sa.select(AdminAction)
            .options(sa.orm.joinedload(AdminAction.admin))
            .order_by(AdminAction.at.desc(), AdminAction.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
