"""Strict checking of a mentor's own meeting URL.

Only plain `https://host/path` links survive, rebuilt from their parsed parts, so
what we later redirect people to is exactly what was checked. Look-alikes
(user-info, backslashes, odd ports, homoglyph hosts, hidden characters) are refused.
"""
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

MAX_URL_LENGTH = 2000
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^[a-z]{2,63}$")
# RFC 3986's unreserved and reserved characters and percent signs, less the quote, which
# no meeting service uses and which only helps to break out of an HTML attribute.
_URL_CHARACTERS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]!$&()*+,;=%]+$")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")

# Hosts of meeting services people really use; anything else gets a warning, not a refusal.
KNOWN_MEETING_HOSTS = (
    "zoom.us",
    "zoom.com",
    "zoomgov.com",
    "meet.google.com",
    "teams.microsoft.com",
    "teams.live.com",
    "whereby.com",
    "webex.com",
    "meet.jit.si",
    "8x8.vc",
    "gotomeet.me",
    "meet.goto.com",
)


class InvalidMeetingUrl(ValueError):
    """The URL is refused; the message says why, for a person."""


@dataclass(frozen=True)
class CheckedMeetingUrl:
    url: str
    host: str
    warning: str | None


def is_known_meeting_host(host: str, extra_hosts: tuple[str, ...] = ()) -> bool:
    """True for a known service's host or any of its subdomains (us02web.zoom.us), never a look-alike."""
    return any(host == known or host.endswith("." + known) for known in (*KNOWN_MEETING_HOSTS, *extra_hosts))


def check_meeting_url(raw: object, extra_known_hosts: tuple[str, ...] = ()) -> CheckedMeetingUrl:
    """Validate a manual meeting URL and return it rebuilt from its parts, or raise InvalidMeetingUrl."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidMeetingUrl("Enter the link to your meeting room, starting with https://.")
    text = raw.strip()
    if len(text) > MAX_URL_LENGTH:
        raise InvalidMeetingUrl(f"That link is too long (at most {MAX_URL_LENGTH} characters).")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp") or ch.isspace() for ch in text):
        raise InvalidMeetingUrl("The link contains spaces or hidden characters; paste it again exactly as given.")
    if not text.isascii():
        raise InvalidMeetingUrl("The link contains non-ASCII characters, which can disguise a different site.")
    if "\\" in text:
        raise InvalidMeetingUrl("The link contains a backslash, which browsers read as a different address.")
    if "@" in text:
        raise InvalidMeetingUrl("The link contains '@', which can hide the real site it points to.")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidMeetingUrl("That is not a valid web address.") from None
    if parts.scheme.lower() != "https":
        raise InvalidMeetingUrl("Only https:// links are accepted.")
    if not text.lower().startswith("https://"):
        raise InvalidMeetingUrl("Write the link as https://host/path.")
    if not _URL_CHARACTERS.match(text) or _BAD_PERCENT.search(text):
        raise InvalidMeetingUrl(
            "The link contains characters a web address never has (such as < > \" ' or a stray %); "
            "paste it again exactly as given."
        )
    if port is not None and port != 443:
        raise InvalidMeetingUrl("Links with a port number are not accepted; use the service's normal address.")
    host = (parts.hostname or "").lower()
    _check_host(host)
    url = urlunsplit(("https", host, parts.path or "/", parts.query, parts.fragment))
    warning = None
    if not is_known_meeting_host(host, extra_known_hosts):
        warning = f"{host} is not a meeting service we know. Check that this is the right link before you save it."
    return CheckedMeetingUrl(url=url, host=host, warning=warning)


def _check_host(host: str) -> None:
    if not host:
        raise InvalidMeetingUrl("The link has no host name.")
    if host.endswith("."):
        raise InvalidMeetingUrl("The host name ends with a dot; remove it.")
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise InvalidMeetingUrl("The host name is not valid.")
    if not _TLD.match(labels[-1]):
        raise InvalidMeetingUrl("Use the service's host name, not an IP address.")
    if any(label.startswith("xn--") for label in labels):
        raise InvalidMeetingUrl("Internationalised host names are not accepted, as they can imitate other sites.")
