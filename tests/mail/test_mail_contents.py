"""What people receive: every mail read back from a real SMTP server, with its parts and its invite."""
from datetime import UTC, datetime, timedelta

import pytest

from meetapp.extensions import db
from meetapp.models import MentoringSession, MentorProfile, User
from meetapp.services import booking
from tests.mail.helpers import (
    STARTS,
    book,
    event,
    everything_in,
    html,
    invite,
    invite_part,
    join_links,
    path_of,
    plain,
    the_join_link,
)
from tests.support import NOW, set_session_type


def received_by(smtp_sink, address):
    (message,) = smtp_sink.to(address)
    return message


def test_a_booking_asks_the_mentor_to_confirm(clock, as_mentee, mentor, worker, smtp_sink):
    session_id = book(as_mentee, mentor)
    report = worker()

    assert report.sent == 2, "the request to the mentor, and word to the mentee that it went"
    message = received_by(smtp_sink, "mona.mentor@example.com")
    assert message["To"] == "Mona Mentor <mona.mentor@example.com>"
    assert message["Subject"] == "New request: Standard with Max Mentee, Tue 24 Nov, 11:00 CET"
    assert message["Message-ID"] == f"<booking_request.1.0.{session_id}.{mentor}@127.0.0.1>"
    text = plain(message)
    assert "Max Mentee asked for a Standard session with you" in text
    assert "Tuesday 24 November 2026, 11:00–12:00 CET" in text
    assert f"http://127.0.0.1:5000/sessions/{session_id}" in text
    assert f'href="http://127.0.0.1:5000/sessions/{session_id}"' in html(message)
    assert not join_links(text), "a pending session has no join link yet"
    assert invite(message) is None


def test_a_booking_tells_the_mentee_their_request_was_sent(clock, as_mentee, mentor, mentee, worker, smtp_sink):
    session_id = book(as_mentee, mentor)
    worker()

    message = received_by(smtp_sink, "max.mentee@example.com")
    assert message["Subject"] == "Request sent: Standard with Mona Mentor, Tue 24 Nov, 05:00 EST"
    assert message["Message-ID"] == f"<request_sent.1.0.{session_id}.{mentee}@127.0.0.1>"
    text = plain(message)
    assert "Your request was sent to Mona Mentor" in text
    assert "Tuesday 24 November 2026, 05:00–06:00 EST" in text
    assert "Nothing is booked until Mona Mentor confirms it." in text
    assert f'href="http://127.0.0.1:5000/sessions/{session_id}"' in html(message)
    assert not join_links(text), "a pending session has no join link yet"
    assert invite(message) is None


def test_confirmation_gives_each_person_their_own_link_their_time_and_an_invite(confirmed, mentor, smtp_sink, app):
    for_mentor = received_by(smtp_sink, "mona.mentor@example.com")
    for_mentee = received_by(smtp_sink, "max.mentee@example.com")

    assert for_mentor["Subject"] == "Confirmed: Standard with Max Mentee, Tue 24 Nov, 11:00 CET"
    assert "Tuesday 24 November 2026, 11:00–12:00 CET" in plain(for_mentor)
    assert "It works from 10:45, 15 minutes before the start" in plain(for_mentor)
    assert for_mentee["Subject"] == "Confirmed: Standard with Mona Mentor, Tue 24 Nov, 05:00 EST"
    assert "Tuesday 24 November 2026, 05:00–06:00 EST" in plain(for_mentee)
    assert "It works from 04:45" in plain(for_mentee)
    assert the_join_link(for_mentor) != the_join_link(for_mentee)
    assert the_join_link(for_mentee).startswith("http://127.0.0.1:5000/join/")

    for message in (for_mentor, for_mentee):
        assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None
        part = invite_part(message)
        assert part.get_content_type() == "text/calendar"
        assert part.get_param("method") == "REQUEST"
        calendar = invite(message)
        assert calendar["METHOD"] == "REQUEST"
        entry = event(calendar)
        assert str(entry["UID"]) == f"session-{confirmed}@127.0.0.1"
        assert entry["SEQUENCE"] == 1
        assert entry["DTSTART"].dt == STARTS
        assert entry["DTEND"].dt == STARTS + timedelta(hours=1)
        assert str(entry["LOCATION"]) == str(entry["URL"]) == the_join_link(message)
        assert str(entry["ORGANIZER"]) == "mailto:no-reply@meetapp.localhost"
        assert {str(attendee) for attendee in entry["ATTENDEE"]} == {
            "mailto:mona.mentor@example.com",
            "mailto:max.mentee@example.com",
        }
        assert entry["STATUS"] == "CONFIRMED"


def test_the_confirmation_and_its_invite_say_when_the_session_types_window_opens(
    app, clock, as_mentee, as_mentor, mentor, worker, smtp_sink
):
    # An hour early, where the default would be 15 minutes: 10:00 in Berlin, 04:00 in New York.
    set_session_type(app, "Long lead", early=60, late=5)
    session_id = book(as_mentee, mentor, session_type="Long lead")
    assert as_mentor.post(f"/api/mentoring/session/{session_id}/confirm").status_code == 200
    worker()
    confirmations = {
        message["To"]: message for message in smtp_sink.received if message["Subject"].startswith("Confirmed:")
    }
    for_mentor = confirmations["Mona Mentor <mona.mentor@example.com>"]
    for_mentee = confirmations["Max Mentee <max.mentee@example.com>"]

    assert "It works from 10:00, 60 minutes before the start" in plain(for_mentor)
    assert "It works from <strong>10:00</strong>, 60 minutes before the start" in html(for_mentor)
    assert "It works from 04:00, 60 minutes before the start" in plain(for_mentee)
    assert "(it works from 10:00 CET)" in str(event(invite(for_mentor))["DESCRIPTION"])
    assert "(it works from 04:00 EST)" in str(event(invite(for_mentee))["DESCRIPTION"])


def test_each_mailed_link_opens_the_join_flow_for_its_owner_only(app, confirmed, client, auth, clock, smtp_sink):
    mentee_link = the_join_link(received_by(smtp_sink, "max.mentee@example.com"))
    mentor_link = the_join_link(received_by(smtp_sink, "mona.mentor@example.com"))

    auth.login("max.mentee@example.com")
    waiting = client.get(path_of(mentee_link))
    assert waiting.status_code == 200 and "opens" in waiting.get_data(as_text=True).lower()
    clock.move_to(STARTS - timedelta(minutes=5))
    auth.login("max.mentee@example.com")  # the login above has ended: it began more than 12 hours ago
    joined = client.get(path_of(mentee_link))
    assert joined.status_code == 302
    assert joined.headers["Location"].startswith("https://meet.jit.si/meetapp-session-")
    assert client.get(path_of(mentor_link)).status_code == 403

    auth.logout()
    auth.login("mona.mentor@example.com")
    same_room = joined.headers["Location"].split("#")[0]
    assert client.get(path_of(mentor_link)).headers["Location"].split("#")[0] == same_room


def test_a_mentors_reschedule_sends_the_new_time_new_links_and_an_updated_invite(
    app, confirmed, as_mentor, client, auth, clock, worker, smtp_sink
):
    old_link = the_join_link(received_by(smtp_sink, "max.mentee@example.com"))
    smtp_sink.received.clear()
    moved_to = STARTS + timedelta(hours=2)
    assert as_mentor.post(
        f"/api/mentoring/session/{confirmed}/reschedule", json={"startsAt": moved_to.isoformat()}
    ).status_code == 200
    worker()

    for_mentor = received_by(smtp_sink, "mona.mentor@example.com")
    for_mentee = received_by(smtp_sink, "max.mentee@example.com")
    assert for_mentee["Subject"] == "Moved: Standard with Mona Mentor is now Tue 24 Nov, 07:00 EST"
    text = plain(for_mentee)
    assert "Mona Mentor moved your Standard session with you to a new time." in text
    assert "If the new time does not suit you, you can cancel the session." in text
    assert "Was:  Tuesday 24 November 2026, 05:00 EST" in text
    assert "Now:  Tuesday 24 November 2026, 07:00–08:00 EST" in text
    assert f"cancel it: http://127.0.0.1:5000/sessions/{confirmed}" in text
    assert "You moved your Standard session with Max Mentee. Max Mentee has been told." in plain(for_mentor)
    assert for_mentor["Subject"] == "Moved: Standard with Max Mentee is now Tue 24 Nov, 13:00 CET"

    new_link = the_join_link(for_mentee)
    assert new_link != old_link
    entry = event(invite(for_mentee))
    assert invite(for_mentee)["METHOD"] == "REQUEST"
    assert str(entry["UID"]) == f"session-{confirmed}@127.0.0.1"
    assert entry["SEQUENCE"] == 2
    assert entry["DTSTART"].dt == moved_to

    clock.move_to(moved_to - timedelta(minutes=1))
    auth.login("max.mentee@example.com")
    assert client.get(path_of(old_link)).status_code == 404
    assert client.get(path_of(new_link)).status_code == 302


def test_a_mentees_move_of_a_confirmed_session_asks_the_mentor_and_takes_it_out_of_the_calendars(
    app, confirmed, as_mentee, client, auth, clock, worker, smtp_sink
):
    old_link = the_join_link(received_by(smtp_sink, "max.mentee@example.com"))
    smtp_sink.received.clear()
    moved_to = STARTS + timedelta(hours=2)
    response = as_mentee.post(f"/api/mentoring/session/{confirmed}/reschedule", json={"startsAt": moved_to.isoformat()})
    assert response.json["session"]["status"] == "pending"
    worker()

    for_mentor = received_by(smtp_sink, "mona.mentor@example.com")
    for_mentee = received_by(smtp_sink, "max.mentee@example.com")
    assert for_mentor["Subject"] == "Move requested: Standard with Max Mentee, to Tue 24 Nov, 13:00 CET"
    text = plain(for_mentor)
    assert "Max Mentee asked to move your Standard session, which you had confirmed, to a new time." in text
    assert "Please confirm the new time or decline it." in text
    assert "Was:  Tuesday 24 November 2026, 11:00 CET" in text
    assert "Now:  Tuesday 24 November 2026, 13:00–14:00 CET" in text
    assert "Confirm or decline the new time here:" in text
    assert f'href="http://127.0.0.1:5000/sessions/{confirmed}"' in html(for_mentor)
    assert for_mentee["Subject"] == "Move requested: Standard with Mona Mentor, to Tue 24 Nov, 07:00 EST"
    text = plain(for_mentee)
    assert "Your request to move your Standard session with Mona Mentor was sent." in text
    assert "It is pending until Mona Mentor confirms the new time." in text
    assert "If they decline, the session is cancelled: the earlier time does not come back." in text

    for message in (for_mentor, for_mentee):
        # Pending: no join link anywhere, and the entry at the old time leaves both calendars.
        assert not join_links(plain(message)) and not join_links(html(message))
        assert "the attached update takes it out of your calendar" in plain(message)
        calendar = invite(message)
        assert calendar["METHOD"] == "CANCEL"
        entry = event(calendar)
        assert str(entry["UID"]) == f"session-{confirmed}@127.0.0.1"
        assert entry["SEQUENCE"] == 2
        assert entry["STATUS"] == "CANCELLED"
        assert entry["DTSTART"].dt == STARTS, "the entry removed is the one at the old time"
        assert str(entry["LOCATION"]) == f"http://127.0.0.1:5000/sessions/{confirmed}"

    clock.move_to(moved_to - timedelta(minutes=1))
    auth.login("max.mentee@example.com")
    assert client.get(path_of(old_link)).status_code == 404


def test_confirming_the_new_time_puts_it_back_in_the_calendars_with_a_higher_sequence(
    confirmed, as_mentee, as_mentor, worker, smtp_sink
):
    moved_to = STARTS + timedelta(hours=2)
    as_mentee.post(f"/api/mentoring/session/{confirmed}/reschedule", json={"startsAt": moved_to.isoformat()})
    worker()
    smtp_sink.received.clear()
    assert as_mentor.post(f"/api/mentoring/session/{confirmed}/confirm").status_code == 200
    worker()

    for message in smtp_sink.received:
        assert message["Subject"].startswith("Confirmed: Standard with")
        entry = event(invite(message))
        assert invite(message)["METHOD"] == "REQUEST"
        # The removal carried SEQUENCE 2: the entry that comes back must outrank it.
        assert entry["SEQUENCE"] == 3
        assert entry["DTSTART"].dt == moved_to
        assert str(entry["LOCATION"]) == the_join_link(message)
    assert len(smtp_sink.received) == 2


def test_a_mentee_moving_a_request_that_was_never_confirmed_sends_no_calendar_file(
    clock, as_mentee, mentor, worker, smtp_sink
):
    session_id = book(as_mentee, mentor)
    worker()
    smtp_sink.received.clear()
    as_mentee.post(f"/api/mentoring/session/{session_id}/reschedule", json={"startsAt": "2026-11-25T10:00:00Z"})
    worker()

    for_mentor = received_by(smtp_sink, "mona.mentor@example.com")
    assert "Max Mentee asked to move your Standard session to a new time." in plain(for_mentor)
    assert "which you had confirmed" not in plain(for_mentor)
    # Nothing was confirmed, so nothing earlier is lost if the mentor declines.
    assert "earlier time" not in plain(received_by(smtp_sink, "max.mentee@example.com"))
    assert all("out of your calendar" not in plain(message) for message in smtp_sink.received)
    assert all(invite(message) is None for message in smtp_sink.received)
    assert not any(join_links(plain(message)) for message in smtp_sink.received)


def test_a_decline_tells_the_mentee_why_and_where_to_book_again(clock, as_mentee, as_mentor, mentor, worker, smtp_sink):
    session_id = book(as_mentee, mentor)
    worker()
    smtp_sink.received.clear()
    response = as_mentor.post(f"/api/mentoring/session/{session_id}/decline", json={"reason": "Away that week."})
    assert response.status_code == 200
    report = worker()

    assert report.sent == 1, "the mentee alone is told"
    message = received_by(smtp_sink, "max.mentee@example.com")
    assert message["Subject"] == "Declined: Standard with Mona Mentor, Tue 24 Nov, 05:00 EST"
    text = plain(message)
    assert "Mona Mentor declined your request for a Standard session." in text
    assert "Why:   Away that week." in text
    assert "Away that week." in html(message)
    assert "You can book another time: http://127.0.0.1:5000/sessions/new" in text
    assert 'href="http://127.0.0.1:5000/sessions/new"' in html(message)
    assert not join_links(text) and not join_links(html(message))
    assert invite(message) is None, "a request was never in anyone's calendar"


def test_declining_a_new_time_says_the_earlier_one_does_not_come_back(
    confirmed, as_mentee, as_mentor, worker, smtp_sink
):
    as_mentee.post(f"/api/mentoring/session/{confirmed}/reschedule", json={"startsAt": "2026-11-25T10:00:00Z"})
    worker()
    smtp_sink.received.clear()
    assert as_mentor.post(f"/api/mentoring/session/{confirmed}/decline", json={}).status_code == 200
    worker()

    message = received_by(smtp_sink, "max.mentee@example.com")
    text = plain(message)
    assert "Mona Mentor declined the new time you asked for." in text
    assert "The session is cancelled: the earlier time does not come back." in text
    assert "Why:" not in text
    # The move already took it out of the calendars.
    assert invite(message) is None
    assert smtp_sink.to("mona.mentor@example.com") == []


def test_an_admins_cancellation_is_told_as_meetapp_supports(app, confirmed, people, worker, smtp_sink):
    admin = people.make("admin", "Ada Admin")
    smtp_sink.received.clear()
    with app.app_context():
        session = db.session.get(MentoringSession, confirmed)
        booking.cancel_session(session, user=db.session.get(User, admin), reason="Reported by both.", now=NOW)
    worker()

    for address, other in (("max.mentee@example.com", "Mona Mentor"), ("mona.mentor@example.com", "Max Mentee")):
        message = received_by(smtp_sink, address)
        text = plain(message)
        assert f"meetapp support cancelled your Standard session with {other}" in text
        assert "Why:   Reported by both." in text
        assert "Ada Admin" not in everything_in(message)
        assert invite(message)["METHOD"] == "CANCEL"


def test_a_cancellation_says_who_and_why_and_cancels_the_invite(confirmed, as_mentor, worker, smtp_sink):
    smtp_sink.received.clear()
    response = as_mentor.post(f"/api/mentoring/session/{confirmed}/cancel", json={"reason": "I am ill today."})
    assert response.status_code == 200
    worker()

    for_mentee = received_by(smtp_sink, "max.mentee@example.com")
    assert for_mentee["Subject"] == "Cancelled: Standard with Mona Mentor, Tue 24 Nov, 05:00 EST"
    text = plain(for_mentee)
    assert "Mona Mentor cancelled your Standard session with you" in text
    assert "Why:   I am ill today." in text
    assert "I am ill today." in html(for_mentee)
    assert not join_links(text) and not join_links(html(for_mentee))
    assert invite_part(for_mentee).get_param("method") == "CANCEL"
    calendar = invite(for_mentee)
    assert calendar["METHOD"] == "CANCEL"
    entry = event(calendar)
    assert str(entry["UID"]) == f"session-{confirmed}@127.0.0.1"
    assert entry["SEQUENCE"] == 2
    assert entry["STATUS"] == "CANCELLED"
    assert "You cancelled your Standard session with Max Mentee" in plain(received_by(smtp_sink, "mona.mentor@example.com"))


def test_withdrawing_a_pending_request_sends_no_calendar_file(clock, as_mentee, mentor, worker, smtp_sink):
    session_id = book(as_mentee, mentor)
    assert as_mentee.post(f"/api/mentoring/session/{session_id}/cancel", json={}).status_code == 200
    report = worker()

    # The request and its note to the mentee are no longer worth sending: the cancellation replaces them.
    assert (report.sent, report.skipped) == (2, 2)
    assert {message["Subject"].split(":")[0] for message in smtp_sink.received} == {"Cancelled"}
    assert all(invite(message) is None for message in smtp_sink.received)


def test_a_mentor_who_auto_confirms_sends_confirmations_not_a_request(app, clock, as_mentee, mentor, worker, smtp_sink):
    with app.app_context():
        db.session.get(MentorProfile, mentor).auto_confirm = True
        db.session.commit()
    book(as_mentee, mentor)
    worker()
    assert sorted(message["Subject"].split(":")[0] for message in smtp_sink.received) == ["Confirmed", "Confirmed"]


def test_a_new_meeting_link_mails_both_people_their_new_links(confirmed, as_mentor, worker, smtp_sink):
    old_links = {the_join_link(message) for message in smtp_sink.received}
    smtp_sink.received.clear()
    assert as_mentor.post(f"/api/mentoring/session/{confirmed}/generate-link").status_code == 200
    worker()

    assert len(smtp_sink.received) == 2
    for message in smtp_sink.received:
        assert message["Subject"].startswith("New join link: Standard with")
        assert "Earlier join links no longer work" in plain(message)
        assert the_join_link(message) not in old_links
        assert event(invite(message))["SEQUENCE"] == 2


@pytest.mark.parametrize("manual_url", [None, "https://zoom.us/j/98765432100?pwd=SeCrEtPaSs"])
def test_no_mail_ever_carries_the_meeting_address(
    app, clock, as_mentee, as_mentor, mentor, worker, smtp_sink, manual_url
):
    if manual_url:
        response = as_mentor.put(
            "/api/mentoring/me/video-settings", json={"provider": "manual", "manualMeetingUrl": manual_url}
        )
        assert response.status_code == 200, response.json
    session_id = book(as_mentee, mentor)
    as_mentor.post(f"/api/mentoring/session/{session_id}/confirm")
    worker()
    # The mentee's move waits for the mentor, who confirms the new time.
    as_mentee.post(f"/api/mentoring/session/{session_id}/reschedule", json={"startsAt": "2026-11-24T12:00:00Z"})
    worker()
    as_mentor.post(f"/api/mentoring/session/{session_id}/confirm")
    worker()
    clock.move_to(datetime(2026, 11, 24, 11, 50, tzinfo=UTC))
    worker()  # the 15-minute reminder
    as_mentor.post(f"/api/mentoring/session/{session_id}/cancel", json={"reason": "Sorry"})
    worker()
    declined = book(as_mentee, mentor, starts_at=datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    worker()
    as_mentor.post(f"/api/mentoring/session/{declined}/decline", json={"reason": "Away"})
    worker()

    with app.app_context():
        secrets = [
            value
            for session in (db.session.get(MentoringSession, session_id), db.session.get(MentoringSession, declined))
            for value in (session.meeting_room, session.meeting_url)
            if value
        ]
    secrets += ["meet.jit.si", "zoom.us", "98765432100", "SeCrEtPaSs"]
    kinds = {message["Message-ID"].split(".")[0] for message in smtp_sink.received}
    assert kinds == {
        "<confirmation",
        "<reschedule",
        "<reminder",
        "<cancellation",
        "<booking_request",
        "<request_sent",
        "<declined",
    }
    for message in smtp_sink.received:
        content = everything_in(message)
        for secret in secrets:
            assert secret not in content, f"{secret!r} leaked into {message['Subject']!r}"


def test_what_people_type_is_escaped_in_the_html_part(clock, as_mentee, as_mentor, mentor, worker, smtp_sink):
    session_id = book(as_mentee, mentor)
    payload = '<img src=x onerror="alert(1)">'
    as_mentor.post(f"/api/mentoring/session/{session_id}/cancel", json={"reason": payload})
    worker()

    for message in smtp_sink.received:
        assert payload not in html(message)
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html(message)
        assert payload in plain(message)


def test_times_are_told_in_each_readers_time_zone_across_a_date_line(
    app, clock, people, api_as, worker, smtp_sink
):
    tokyo = people.make("mentor", "Kenji Mentor", timezone="Asia/Tokyo")
    hawaii = people.make("mentee", "Leilani Mentee", timezone="Pacific/Honolulu")
    with app.app_context():
        db.session.get(MentorProfile, tokyo).auto_confirm = True
        db.session.commit()
    book(api_as(hawaii), tokyo, starts_at=datetime(2026, 11, 24, 20, 0, tzinfo=UTC))
    worker()

    assert "Wednesday 25 November 2026, 05:00–06:00 JST" in plain(received_by(smtp_sink, "kenji.mentor@example.com"))
    assert "Tuesday 24 November 2026, 10:00–11:00 HST" in plain(received_by(smtp_sink, "leilani.mentee@example.com"))



def test_names_with_accents_arrive_intact(app, clock, people, api_as, mentor, worker, smtp_sink):
    chloe = people.make("mentee", "Chloé Ñúñez-Müller", email="chloe@example.com")
    book(api_as(chloe), mentor)
    worker()
    message = received_by(smtp_sink, "mona.mentor@example.com")
    assert message["Subject"] == "New request: Standard with Chloé Ñúñez-Müller, Tue 24 Nov, 11:00 CET"
    assert "Chloé Ñúñez-Müller asked for a Standard session" in plain(message)
