"""`/healthz` (liveness: the process answers) and `/healthz/ready` (readiness: the database answers)."""
import sqlalchemy as sa

from meetapp.extensions import db
from meetapp.health import bp


@bp.get("/healthz")
def live():
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.get("/healthz/ready")
def ready():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return "database unavailable", 503, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
