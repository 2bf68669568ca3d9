"""A session's attendance report: the join attempts and the providers' presence, read together
(domain.presence), finalised by the worker when the access window closes.

Before then the report is worked out on each request and may still change. `finalise_due` stores
it once per session, however many workers run (the row's primary key decides who finalised it),
and mails a no-show to the person who came and the admins who asked. An event that arrives after
that updates the stored report (`refresh`) and records what changed.
"""
from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from meetapp.domain.notifications import MailKind, MailStatus
from meetapp.domain.presence import ABSENT, Outcome, Report, Thresholds, attendance_report
from meetapp.domain.scheduling import SessionStatus
from meetapp.domain.video import KIND_GOOGLE, KIND_JITSI, KIND_ZOOM
from meetapp.extensions import db
from meetapp.models import (
    AttendanceEvent,
    AttendanceReport,
    AttendanceReportChange,
    MentoringSession,
    OutboxMail,
    PresenceEvent,
    PresenceFetch,
)
from meetapp.outbox import notify
from meetapp.services.meetings import jitsi_settings
from meetapp.services.windows import window_of
from meetapp.sql import insert_or_skip

# Sessions whose window closed longer ago than this are not finalised by the worker (they ended
# before meetapp read presence); their page still works the report out.
FINALISE_WITHIN = timedelta(days=7)
# A no-show found later than this after the window closed is recorded, but nobody is mailed.
MAIL_WITHIN = timedelta(days=1)
FINALISE_BATCH = 100


def thresholds() -> Thresholds:
    config = current_app.config
    return Thresholds(
        late_after=timedelta(minutes=config["ATTENDANCE_LATE_AFTER_MINUTES"]),
        no_show_after=timedelta(minutes=config["ATTENDANCE_NO_SHOW_AFTER_MINUTES"]),
        left_early_by=timedelta(minutes=config["ATTENDANCE_LEFT_EARLY_MINUTES"]),
    )


def configured_source(session: MentoringSession) -> str | None:
    """The source that reports this meeting's presence as the app is configured now, or None."""
    config = current_app.config
    if session.meeting_kind == KIND_JITSI:
        if jitsi_settings().jaas_kid:
            return "jaas" if config["JAAS_WEBHOOK_SECRET"] else None
        # The public meet.jit.si sends nobody its events; a self-hosted server's event_sync does.
        return "jitsi" if config["JITSI_EVENTS_TOKEN"] else None
    if session.meeting_kind == KIND_ZOOM:
        return "zoom" if config["ZOOM_WEBHOOK_SECRET_TOKEN"] else None
    if session.meeting_kind == KIND_GOOGLE:
        return "google"
    return None  # a mentor's own link


def events_of(session_id: str) -> list[PresenceEvent]:
    """The session's presence events in the order they happened."""
    return list(db.session.scalars(
        sa.select(PresenceEvent)
        .where(PresenceEvent.session_id == session_id)
        .order_by(PresenceEvent.at, PresenceEvent.id)
    ))


def clicks_of(session_id: str) -> list[AttendanceEvent]:
    """The attempts of the two people (the report reads each one's first)."""
    return list(db.session.scalars(
        sa.select(AttendanceEvent)
        .where(AttendanceEvent.session_id == session_id, AttendanceEvent.user_id.is_not(None))
        .order_by(AttendanceEvent.at, AttendanceEvent.id)
    ))


def stored_report(session_id: str) -> AttendanceReport | None:
    return db.session.get(AttendanceReport, session_id)


def report_of(
    session: MentoringSession,
    now: datetime,
    *,
    events: list[PresenceEvent] | None = None,
    clicks: list[AttendanceEvent] | None = None,
) -> Report | None:
    """The report as known at `now`, or None for a session that was never confirmed or ended early."""
    if session.status is not SessionStatus.CONFIRMED:
        return None
    events = events_of(session.id) if events is None else events
    clicks = clicks_of(session.id) if clicks is None else clicks
    return _report(session, events, clicks, _source_of(session, events, stored_report(session.id)), now)


def reports_of(
    sessions_query: sa.Select, now: datetime
) -> list[tuple[MentoringSession, Report, AttendanceReport | None]]:
    """Each confirmed session `sessions_query` selects, its report at `now` and its stored report: what
    `report_of` and `stored_report` give, in four queries in all rather than three a session (the
    admins' export of up to a year)."""
    sessions = db.session.scalars(sessions_query).unique().all()
    ids = sessions_query.with_only_columns(MentoringSession.id).order_by(None)
    events: dict[str, list[PresenceEvent]] = defaultdict(list)
    for event in db.session.scalars(
        sa.select(PresenceEvent).where(PresenceEvent.session_id.in_(ids)).order_by(PresenceEvent.at, PresenceEvent.id)
    ):
        events[event.session_id].append(event)
    clicks: dict[str, list[AttendanceEvent]] = defaultdict(list)
    for click in db.session.scalars(
        sa.select(AttendanceEvent)
        .where(AttendanceEvent.session_id.in_(ids), AttendanceEvent.user_id.is_not(None))
        .order_by(AttendanceEvent.at, AttendanceEvent.id)
    ):
        clicks[click.session_id].append(click)
    stored = {
        row.session_id: row
        for row in db.session.scalars(sa.select(AttendanceReport).where(AttendanceReport.session_id.in_(ids)))
    }
    return [
        (
            session,
            _report(
                session, events[session.id], clicks[session.id],
                _source_of(session, events[session.id], stored.get(session.id)), now,
            ),
            stored.get(session.id),
        )
        for session in sessions
        if session.status is SessionStatus.CONFIRMED
    ]


def _source_of(
    session: MentoringSession, events: list[PresenceEvent], stored: AttendanceReport | None
) -> str | None:
    """Whose presence counts: the source a finalised report was read from; else the events' own
    source; else the one configured for the session's meeting."""
    if stored is not None:
        return stored.presence_source
    return events[0].source if events else configured_source(session)


def _report(
    session: MentoringSession,
    events: list[PresenceEvent],
    clicks: list[AttendanceEvent],
    source: str | None,
    now: datetime,
) -> Report:
    window = window_of(session)
    return attendance_report(
        mentor_id=session.mentor_id,
        mentee_id=session.mentee_id,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        opens_at=window.opens_at,
        closes_at=window.closes_at,
        clicks=clicks,
        events=events,
        presence_source=source,
        thresholds=thresholds(),
        now=now,
    )


def summary(outcome: str, mentor_state: str, mentee_state: str, minutes_together: int) -> str:
    return f"{outcome} {mentor_state} {mentee_state} {minutes_together}"


def _summary_of(row: AttendanceReport) -> str:
    return summary(row.outcome, row.mentor_state, row.mentee_state, row.minutes_together)


def _summary_of_report(report: Report) -> str:
    return summary(report.outcome, report.mentor.state, report.mentee.state, report.minutes_together)


def finalise_due(now: datetime) -> int:
    """Finalise every confirmed session whose window has closed (within FINALISE_WITHIN) and has no
    report yet; returns how many this worker finalised. Each is committed on its own."""
    candidates = db.session.scalars(
        sa.select(MentoringSession)
        .outerjoin(AttendanceReport, AttendanceReport.session_id == MentoringSession.id)
        .where(
            AttendanceReport.session_id.is_(None),
            MentoringSession.status == SessionStatus.CONFIRMED,
            MentoringSession.ends_at <= now,
            MentoringSession.ends_at > now - FINALISE_WITHIN,
        )
        .order_by(MentoringSession.ends_at)
        .limit(FINALISE_BATCH)
    ).unique().all()
    finalised = 0
    for session in candidates:
        if window_of(session).closes_at > now or not _presence_read(session):
            continue
        finalised += finalise(session, now)
    return finalised


def _presence_read(session: MentoringSession) -> bool:
    """Google Meet's presence is read after the window closes (services.google_presence); the report
    waits until that read finished or gave up. Every other source pushes its events as they happen."""
    if session.meeting_kind != KIND_GOOGLE:
        return True
    fetch = db.session.get(PresenceFetch, session.id)
    return fetch is not None and fetch.finished_at is not None


def finalise(session: MentoringSession, now: datetime, *, presence_source: str | None = None) -> bool:
    """Store the session's report unless another worker already has; mail a no-show. Commits.

    `presence_source` names the source to read when none is configured (the demo's seeded rooms)."""
    if session.status is not SessionStatus.CONFIRMED:
        return False
    events = events_of(session.id)
    source = presence_source or _source_of(session, events, stored_report(session.id))
    report = _report(session, events, clicks_of(session.id), source, now)
    statement = (
        insert_or_skip(AttendanceReport.__table__)
        .values(
            session_id=session.id,
            outcome=report.outcome.value,
            mentor_state=report.mentor.state.value,
            mentee_state=report.mentee.state.value,
            minutes_together=report.minutes_together,
            presence_source=report.presence_source,
            finalised_at=now,
        )
        .on_conflict_do_nothing(index_elements=["session_id"])
        .returning(AttendanceReport.session_id)
    )
    if db.session.execute(statement).first() is None:
        db.session.rollback()
        return False  # another worker finalised it first
    if report.outcome in NO_SHOWS and window_of(session).closes_at > now - MAIL_WITHIN:
        # A no-show outcome means neither state is unknown: each person either came or did not.
        people = ((session.mentor, report.mentor), (session.mentee, report.mentee))
        absent = [person for person, line in people if line.state in ABSENT]
        present = [person for person, line in people if line.state not in ABSENT]
        notify.no_show(session, absent, present, now)
    db.session.commit()
    return True


NO_SHOWS = frozenset({Outcome.MENTOR_NO_SHOW, Outcome.MENTEE_NO_SHOW, Outcome.NEITHER_CAME})


def refresh(session: MentoringSession, now: datetime) -> bool:
    """A late event for a finalised session: work the report out again and, if it changed, store it
    and what it said before. Does not commit (the caller's transaction holds the event too)."""
    stored = db.session.execute(
        sa.select(AttendanceReport).where(AttendanceReport.session_id == session.id).with_for_update()
    ).scalar_one_or_none()
    if stored is None:
        return False
    report = report_of(session, now)
    if report is None:
        return False
    before, after = _summary_of(stored), _summary_of_report(report)
    if before == after:
        return False
    stored.outcome = report.outcome.value
    stored.mentor_state = report.mentor.state.value
    stored.mentee_state = report.mentee.state.value
    stored.minutes_together = report.minutes_together
    stored.changed_at = now
    db.session.add(AttendanceReportChange(session_id=session.id, at=now, before=before, after=after))
    if report.outcome not in NO_SHOWS:
        _withdraw_no_show_mails(session.id)
    return True


def _withdraw_no_show_mails(session_id: str) -> None:
    """A no-show mail not yet sent is wrong once the report says the person came: skip it, saying why."""
    db.session.execute(
        sa.update(OutboxMail)
        .where(
            OutboxMail.session_id == session_id,
            OutboxMail.kind == MailKind.NO_SHOW,
            OutboxMail.status == MailStatus.QUEUED,
        )
        .values(status=MailStatus.SKIPPED, last_error="The attendance report changed: it is no longer a no-show.")
    )


def changes_of(session_id: str) -> list[AttendanceReportChange]:
    return list(db.session.scalars(
        sa.select(AttendanceReportChange)
        .where(AttendanceReportChange.session_id == session_id)
        .order_by(AttendanceReportChange.at, AttendanceReportChange.id)
    ))
