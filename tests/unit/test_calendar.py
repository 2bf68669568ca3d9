"""Calendar invites built by meetapp.domain.calendar, read back with icalendar as a calendar program would."""
from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from meetapp.domain.calendar import CalendarPerson, Invite, event_uid, invite_ics

STARTS = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
MENTOR = CalendarPerson("Mona Mentor", "mona@example.com")
MENTEE = CalendarPerson("Max, the Mentee", "max@example.com")


def invite(**changes) -> Invite:
    values = dict(
        uid=event_uid("abc123", "meetapp.example"),
        sequence=1,
        cancelled=False,
        starts_at=STARTS,
        ends_at=STARTS + timedelta(hours=1),
        summary="Standard with Max",
        description="Join: https://meetapp.example/join/t0k3n; it opens at 09:45",
        join_url="https://meetapp.example/join/t0k3n",
        organizer=CalendarPerson("meetapp", "no-reply@meetapp.example"),
        attendees=((MENTOR, "CHAIR"), (MENTEE, "REQ-PARTICIPANT")),
        stamp=datetime(2026, 11, 23, 9, 0, 12, 345, tzinfo=UTC),
    )
    values.update(changes)
    return Invite(**values)


def parsed(invitation: Invite):
    calendar = Calendar.from_ical(invite_ics(invitation))
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def test_an_invite_is_a_request_in_utc_with_the_join_link_as_its_place():
    calendar, event = parsed(invite())
    assert calendar["METHOD"] == "REQUEST" and calendar["VERSION"] == "2.0"
    assert str(event["UID"]) == "session-abc123@meetapp.example"
    assert event["SEQUENCE"] == 1
    assert event["DTSTART"].dt == STARTS and event["DTSTART"].dt.tzinfo is not None
    assert event["DTEND"].dt == STARTS + timedelta(hours=1)
    assert event["DTSTAMP"].dt == datetime(2026, 11, 23, 9, 0, 12, tzinfo=UTC)
    assert str(event["LOCATION"]) == str(event["URL"]) == "https://meetapp.example/join/t0k3n"
    assert event["STATUS"] == "CONFIRMED"


def test_times_are_written_in_utc_whatever_zone_they_came_in():
    from zoneinfo import ZoneInfo

    raw = invite_ics(invite(starts_at=STARTS.astimezone(ZoneInfo("Asia/Tokyo")))).decode()
    assert "DTSTART:20261124T100000Z" in raw
    assert "\r\n" in raw


def test_organizer_and_attendees_carry_names_and_roles():
    _, event = parsed(invite())
    assert str(event["ORGANIZER"]) == "mailto:no-reply@meetapp.example"
    attendees = {str(address): address.params for address in event["ATTENDEE"]}
    assert attendees["mailto:mona@example.com"]["ROLE"] == "CHAIR"
    assert attendees["mailto:max@example.com"]["CN"] == "Max, the Mentee"
    assert attendees["mailto:max@example.com"]["ROLE"] == "REQ-PARTICIPANT"


def test_a_cancellation_is_the_same_event_with_method_cancel():
    calendar, event = parsed(invite(cancelled=True, sequence=3))
    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert str(event["UID"]) == "session-abc123@meetapp.example"
    assert event["SEQUENCE"] == 3


def test_text_with_commas_semicolons_and_newlines_survives_the_round_trip():
    description = "Line one; with, punctuation\nLine two"
    _, event = parsed(invite(description=description, summary="A, B; C"))
    assert str(event["DESCRIPTION"]) == description
    assert str(event["SUMMARY"]) == "A, B; C"
