"""Calendar invites (RFC 5545 / iTIP) for a session, built with the icalendar library.

One session is one event: its UID never changes, each update carries a higher
SEQUENCE, and a cancellation is METHOD:CANCEL for the same UID, so calendar
programs move or remove the entry they already have instead of adding another.
The only link in an invite is the person's own join link, never the meeting itself.
"""
from dataclasses import dataclass
from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress, vText

PRODUCT_ID = "-//meetapp//sessions//EN"


@dataclass(frozen=True)
class CalendarPerson:
    name: str
    email: str


@dataclass(frozen=True)
class Invite:
    uid: str
    sequence: int
    cancelled: bool
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str
    # The recipient's own /join/<token> link: the LOCATION and URL of the event.
    join_url: str
    organizer: CalendarPerson
    # (person, role) with role CHAIR for the mentor, REQ-PARTICIPANT for the mentee.
    attendees: tuple[tuple[CalendarPerson, str], ...]
    stamp: datetime

    @property
    def method(self) -> str:
        return "CANCEL" if self.cancelled else "REQUEST"


def event_uid(session_id: str, domain: str) -> str:
    return f"session-{session_id}@{domain}"


def _address(person: CalendarPerson, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = vText(person.name)
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def invite_ics(invite: Invite) -> bytes:
    """The invite as an iCalendar file (CRLF line endings, UTC times)."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", invite.method)

    event = Event()
    event.add("uid", invite.uid)
    event.add("sequence", invite.sequence)
    event.add("dtstamp", invite.stamp.astimezone(UTC).replace(microsecond=0))
    event.add("dtstart", invite.starts_at.astimezone(UTC))
    event.add("dtend", invite.ends_at.astimezone(UTC))
    event.add("summary", invite.summary)
    event.add("description", invite.description)
    event.add("location", invite.join_url)
    event.add("url", invite.join_url)
    event.add("status", "CANCELLED" if invite.cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _address(invite.organizer))
    for person, role in invite.attendees:
        event.add("attendee", _address(person, ROLE=role, PARTSTAT="ACCEPTED", RSVP="FALSE"))
    calendar.add_component(event)
    return calendar.to_ical()
