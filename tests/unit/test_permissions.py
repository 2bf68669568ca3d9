"""Who may see what of a session (meetapp.domain.permissions), without Flask or a database."""
import pytest

from meetapp.domain.access import JoinRefusal
from meetapp.domain.permissions import (
    is_participant,
    join_link_names_session,
    may_retry_meeting,
    may_view_session,
    refusal_tells_about_session,
    sees_attendance,
    sees_meeting_notice,
)
from meetapp.domain.scheduling import Role, SessionStatus

MENTOR, MENTEE, STRANGER, ADMIN = 1, 2, 3, 4


@pytest.mark.parametrize(("user", "expected"), [(MENTOR, True), (MENTEE, True), (STRANGER, False), (ADMIN, False)])
def test_the_participants_are_the_mentor_and_the_mentee(user, expected):
    assert is_participant(user, mentor_id=MENTOR, mentee_id=MENTEE) is expected


@pytest.mark.parametrize(
    ("user", "role", "expected"),
    [
        (MENTOR, Role.MENTOR, True),
        (MENTEE, Role.MENTEE, True),
        (ADMIN, Role.ADMIN, True),
        (STRANGER, Role.MENTEE, False),
        (STRANGER, Role.MENTOR, False),
    ],
    ids=["mentor", "mentee", "admin", "another-mentee", "another-mentor"],
)
def test_a_session_is_seen_by_its_people_and_admins_only(user, role, expected):
    assert may_view_session(user, role, mentor_id=MENTOR, mentee_id=MENTEE) is expected


@pytest.mark.parametrize(
    ("user", "role", "expected"),
    [
        (MENTOR, Role.MENTOR, True),
        (ADMIN, Role.ADMIN, True),
        (MENTEE, Role.MENTEE, False),
        (STRANGER, Role.MENTOR, False),
        (STRANGER, Role.MENTEE, False),
    ],
    ids=["mentor", "admin", "mentee", "another-mentor", "another-mentee"],
)
def test_attendance_is_for_the_mentor_and_admins_not_the_mentee(user, role, expected):
    assert sees_attendance(user, role, mentor_id=MENTOR) is expected


@pytest.mark.parametrize(("user", "expected"), [(MENTOR, True), (MENTEE, False), (STRANGER, False), (ADMIN, False)])
def test_only_the_mentor_retries_the_meeting_of_their_account(user, expected):
    assert may_retry_meeting(user, mentor_id=MENTOR) is expected


def test_only_refusals_after_the_participant_check_tell_about_the_session():
    telling = {refusal for refusal in JoinRefusal if refusal_tells_about_session(refusal)}
    assert telling == {
        JoinRefusal.CANCELLED,
        JoinRefusal.NOT_CONFIRMED,
        JoinRefusal.TOO_EARLY,
        JoinRefusal.EXPIRED,
    }
    # A bad or revoked link, or someone else's, says nothing about the session it names.
    assert not refusal_tells_about_session(JoinRefusal.NOT_FOUND)
    assert not refusal_tells_about_session(JoinRefusal.NOT_PARTICIPANT)


@pytest.mark.parametrize(("user", "expected"), [(MENTOR, True), (MENTEE, False), (STRANGER, False), (ADMIN, False)])
def test_only_the_mentor_reads_why_the_meeting_is_not_where_they_chose(user, expected):
    assert sees_meeting_notice(user, MENTOR) is expected


@pytest.mark.parametrize(
    ("changes", "names"),
    [
        ({}, True),
        ({"status": SessionStatus.PENDING}, True),
        ({"token_version": 1}, False),
        ({"token_user_id": 3}, False),
        ({"status": SessionStatus.CANCELLED}, False),
        ({"status": SessionStatus.DECLINED}, False),
    ],
)
def test_only_a_current_link_of_a_participant_to_a_session_still_on_names_it(changes, names):
    link = {"token_user_id": 2, "token_version": 2, "mentor_id": 1, "mentee_id": 2, "link_version": 2,
            "status": SessionStatus.CONFIRMED}
    assert join_link_names_session(**{**link, **changes}) is names
