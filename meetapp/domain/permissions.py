"""Who may see what of a session: the visibility rules the API, the pages and the templates share.

Views ask these and hand templates the answers as booleans, so a template never works
out a rule of its own. (Who may change a session is in meetapp.domain.scheduling.)
"""
from meetapp.domain.access import JoinRefusal
from meetapp.domain.scheduling import ENDED_STATUSES, Role, SessionStatus


def is_participant(user_id: int, mentor_id: int, mentee_id: int) -> bool:
    return user_id in (mentor_id, mentee_id)


def may_view_session(user_id: int, role: Role, mentor_id: int, mentee_id: int) -> bool:
    """Its two people, and admins (who look after every session)."""
    return is_participant(user_id, mentor_id, mentee_id) or role is Role.ADMIN


def sees_attendance(user_id: int, role: Role, mentor_id: int) -> bool:
    """Who tried to join, and when: the session's mentor and admins. The mentee does not see
    the mentor's attempts (nor the addresses of anyone's)."""
    return user_id == mentor_id or role is Role.ADMIN


def may_retry_meeting(user_id: int, mentor_id: int) -> bool:
    """Asking Zoom or Google again for a meeting that could not be made: the mentor, whose account it is."""
    return user_id == mentor_id


def sees_meeting_notice(user_id: int, mentor_id: int) -> bool:
    """Why a session does not meet where the mentor chose (no Zoom user set, the provider refused):
    it is about the mentor's own accounts, so the mentor's to see."""
    return user_id == mentor_id


def refusal_tells_about_session(refusal: JoinRefusal) -> bool:
    """Whether a refused join link may say which session it is for (who, when, why).

    Only refusals that come after the participant check do: a bad or revoked link, or someone
    else's, tells a stranger nothing about the session it names.
    """
    return refusal in (JoinRefusal.CANCELLED, JoinRefusal.NOT_CONFIRMED, JoinRefusal.TOO_EARLY, JoinRefusal.EXPIRED)


def join_link_names_session(
    *, token_user_id: int, token_version: int, mentor_id: int, mentee_id: int, link_version: int, status: SessionStatus
) -> bool:
    """Whether the login page a join link leads to may say which session it opens ("Log in to join
    Standard with …"): only for a current link of a participant to a session still on. Whoever holds
    such a link holds what was mailed to that participant, so the name tells them nothing new."""
    return (
        token_version == link_version
        and is_participant(token_user_id, mentor_id, mentee_id)
        and status not in ENDED_STATUSES
    )
