"""The dashboard's lists: sessions that will not happen (cancelled, declined) are folded away under
Upcoming, each saying its state once, with no Join control and nothing that polls or counts down."""
import re
from datetime import timedelta

import pytest

from meetapp.domain.scheduling import SessionStatus
from meetapp.extensions import db
from meetapp.models import MentoringSession
from tests.support import NOW, counted_queries

MENTEE_EMAIL = "max.mentee@example.com"


def book(api_as, mentee: int, mentor: int, starts_at: str, *, confirm: bool = True) -> str:
    session = api_as(mentee).post(
        "/api/mentoring/sessions", json={"mentorId": mentor, "startsAt": starts_at, "durationMinutes": 60}
    ).json["session"]
    if confirm:
        assert api_as(mentor).post(f"/api/mentoring/session/{session['id']}/confirm").status_code == 200
    return session["id"]


def cancel(api_as, who: int, session_id: str) -> None:
    assert api_as(who).post(f"/api/mentoring/session/{session_id}/cancel", json={"reason": "clash"}).status_code == 200


def decline(app, session_id: str) -> None:
    """Marks the session declined in the database, as the mentor's refusal of a request leaves it."""
    with app.app_context():
        db.session.get(MentoringSession, session_id).status = SessionStatus.DECLINED
        db.session.commit()


def dashboard(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def sections(page: str) -> tuple[str, str, str]:
    """The live Upcoming list, the folded list of ended sessions ('' when there is none), and Past."""
    upcoming, past = page.split('id="upcoming-title"', 1)[1].split('id="past-title"', 1)
    folded = re.search(r'<details class="ended-sessions">.*?</details>', upcoming, re.S)
    live = upcoming.replace(folded.group(0), "") if folded else upcoming
    return live, folded.group(0) if folded else "", past


def row_of(html: str, session_id: str) -> str:
    match = re.search(rf'<li class="session-row[^"]*" id="session-{session_id}"[^>]*>.*?</li>', html, re.S)
    assert match, f"no row for {session_id}"
    return match.group(0)


def has_join_control(row: str) -> bool:
    """A Join control (or its door), a status fragment, or anything that polls or counts down."""
    marks = ("data-join-link", "/join", "join-state", "data-countdown", "data-live-poll", "hx-get", "data-shown-")
    return any(mark in row for mark in marks)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_cancelled_session_leaves_upcoming_for_the_folded_list(client, auth, clock, api_as, mentor, mentee):
    kept = book(api_as, mentee, mentor, "2026-11-24T10:00:00Z")
    cancelled = book(api_as, mentee, mentor, "2026-11-25T10:00:00Z")
    cancel(api_as, mentee, cancelled)
    auth.login(MENTEE_EMAIL)
    live, folded, past = sections(dashboard(client))

    assert f'id="session-{kept}"' in live
    assert has_join_control(row_of(live, kept)), "a live row has one: is the check below right?"
    assert f'id="session-{cancelled}"' not in live + past
    # Folded away (a <details> without `open`), and counted in its summary.
    assert folded.startswith('<details class="ended-sessions">')
    assert "<summary>Cancelled and declined (1)</summary>" in folded
    row = row_of(folded, cancelled)
    # The state is said once, by the badge; no Join control, no status fragment, nothing polls.
    assert text_of(row).count("Cancelled") == 1
    assert '<span class="badge badge-cancelled">Cancelled</span>' in row
    assert not has_join_control(row)


def test_a_declined_session_is_folded_away_too(app, client, auth, clock, api_as, mentor, mentee):
    declined = book(api_as, mentee, mentor, "2026-11-24T10:00:00Z", confirm=False)
    decline(app, declined)
    auth.login(MENTEE_EMAIL)
    live, folded, _ = sections(dashboard(client))
    assert f'id="session-{declined}"' not in live
    assert "<summary>Cancelled and declined (1)</summary>" in folded
    row = row_of(folded, declined)
    assert text_of(row).count("Declined") == 1
    assert not has_join_control(row)
    # Nothing waits for anyone any more.
    assert "Awaiting your confirmation" not in row and "Waiting for confirmation" not in row


def test_the_folded_list_counts_every_ended_session_and_upcoming_may_be_empty(
    app, client, auth, clock, api_as, mentor, mentee
):
    first = book(api_as, mentee, mentor, "2026-11-24T10:00:00Z")
    second = book(api_as, mentee, mentor, "2026-11-26T10:00:00Z", confirm=False)
    cancel(api_as, mentor, first)
    decline(app, second)
    auth.login(MENTEE_EMAIL)
    live, folded, _ = sections(dashboard(client))
    assert "No upcoming sessions." in live and "session-row" not in live
    assert "<summary>Cancelled and declined (2)</summary>" in folded
    # Soonest first, like Upcoming.
    assert folded.index(f'id="session-{first}"') < folded.index(f'id="session-{second}"')


def test_without_ended_sessions_there_is_no_folded_list(client, auth, clock, api_as, mentor, mentee):
    book(api_as, mentee, mentor, "2026-11-24T10:00:00Z")
    auth.login(MENTEE_EMAIL)
    page = dashboard(client)
    assert "ended-sessions" not in page and "Cancelled and declined" not in page


def test_a_cancelled_session_that_is_over_stays_under_past_saying_so_once(client, auth, clock, api_as, mentor, mentee):
    cancelled = book(api_as, mentee, mentor, "2026-11-23T10:00:00Z")
    cancel(api_as, mentee, cancelled)
    # Inside what would have been its join window, after its end.
    clock.move_to(NOW + timedelta(hours=2, minutes=10))
    auth.login(MENTEE_EMAIL)
    live, folded, past = sections(dashboard(client))
    assert folded == "" and f'id="session-{cancelled}"' not in live
    row = row_of(past, cancelled)
    assert text_of(row).count("Cancelled") == 1
    assert not has_join_control(row)


@pytest.mark.parametrize("ended", [0, 3])
def test_the_folded_list_costs_no_query(app, client, auth, clock, api_as, mentor, mentee, ended):
    book(api_as, mentee, mentor, "2026-11-24T10:00:00Z")
    for day in range(25, 25 + ended):
        cancel(api_as, mentee, book(api_as, mentee, mentor, f"2026-11-{day}T10:00:00Z"))
    auth.login(MENTEE_EMAIL)
    dashboard(client)
    with counted_queries(app) as statements:
        page = dashboard(client)
    assert len(statements) == 3, statements
    assert page.count('<li class="session-row') == 1 + ended
