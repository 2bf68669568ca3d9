"""Reading mails the way a person's mail program would: parts, links, the attached invite."""
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from urllib.parse import urlsplit

from icalendar import Calendar

# Booked on Monday 09:00 UTC (NOW) for Tuesday 10:00 UTC: 11:00 in Berlin (the mentor), 05:00 in New York (the mentee).
STARTS = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
JOIN_LINK = re.compile(r"https?://[^\s\"<>]+/join/[A-Za-z0-9._-]+")


def plain(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def invite(message: EmailMessage):
    """The attached invite.ics parsed with icalendar, or None."""
    for part in message.iter_attachments():
        if part.get_filename() == "invite.ics":
            return Calendar.from_ical(part.get_payload(decode=True))
    return None


def invite_part(message: EmailMessage):
    return next(part for part in message.iter_attachments() if part.get_filename() == "invite.ics")


def event(calendar):
    (only,) = calendar.walk("VEVENT")
    return only


def join_links(text: str) -> set[str]:
    return set(JOIN_LINK.findall(text))


def the_join_link(message: EmailMessage) -> str:
    """The one join link a mail carries; the same in its text part, HTML part and invite."""
    (link,) = join_links(plain(message))
    assert join_links(html(message)) == {link}
    return link


def path_of(url: str) -> str:
    return urlsplit(url).path


def everything_in(message: EmailMessage) -> str:
    """Every header and decoded part of a mail, for looking for what must not be there."""
    texts = [f"{key}: {value}" for key, value in message.items()]
    for part in message.walk():
        if not part.is_multipart():
            texts.append(part.get_payload(decode=True).decode())
    return "\n".join(texts)


def book(as_mentee, mentor, starts_at=STARTS, minutes=60, session_type: str | None = None) -> str:
    """Book through the JSON API as the mentee (a Standard session unless `session_type` says); the new session's id."""
    body = {"mentorId": mentor, "startsAt": starts_at.isoformat(), "durationMinutes": minutes}
    if session_type is not None:
        body["sessionType"] = session_type
    response = as_mentee.post("/api/mentoring/sessions", json=body)
    assert response.status_code == 201, response.json
    return response.json["session"]["id"]
