"""The attendance log's promise: an attempt is committed, for every other connection to see,
before its answer goes out; a join whose row cannot be written is not let in."""
import pytest
import sqlalchemy as sa

from meetapp.models import AttendanceEvent
from tests.support import MENTEE_EMAIL, OPENS, attempts


@pytest.mark.parametrize("door", ["browser", "api"])
def test_a_join_is_logged_for_everyone_to_see_before_its_answer_is_out(
    app, client, auth, clock, confirmed_with_links, database_url, api_as, mentee, door
):
    # Not after the response, nor in batches: once the redirect is out, no crash can lose the attempt.
    session_id, mentee_path, _ = confirmed_with_links
    clock.move_to(OPENS)
    other = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    seen_by_other = []

    def look(response):
        with other.connect() as connection:
            seen_by_other.append(connection.scalar(
                sa.select(sa.func.count()).select_from(AttendanceEvent).where(AttendanceEvent.session_id == session_id)
            ))
        return response

    blueprint = "join" if door == "browser" else "api"
    app.after_request_funcs.setdefault(blueprint, []).append(look)
    try:
        if door == "browser":
            auth.login(MENTEE_EMAIL)
            response = client.get(mentee_path)
        else:
            response = api_as(mentee).get(f"/api/mentoring/session/{session_id}/join")
        assert response.status_code == 302
    finally:
        app.after_request_funcs[blueprint].remove(look)
        other.dispose()
    assert seen_by_other == [1]


def test_a_join_whose_row_cannot_be_written_is_not_let_in(app, client, auth, clock, confirmed_with_links, monkeypatch):
    _, mentee_path, _ = confirmed_with_links
    clock.move_to(OPENS)
    auth.login(MENTEE_EMAIL)

    def broken_commit():
        raise sa.exc.OperationalError("COMMIT", {}, Exception("disk full"))

    with app.app_context():
        from meetapp.extensions import db

        monkeypatch.setattr(db.session, "commit", broken_commit)
        response = client.get(mentee_path)
    assert response.status_code == 500
    assert "Location" not in response.headers
    assert attempts(app) == []
