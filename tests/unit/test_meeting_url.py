"""The manual meeting URL check: exactly https links to real hosts survive, look-alikes do not."""
import pytest

from meetapp.domain.meeting_url import InvalidMeetingUrl, check_meeting_url, is_known_meeting_host

ACCEPTED = [
    ("https://zoom.us/j/1234567890", "https://zoom.us/j/1234567890"),
    ("https://us02web.zoom.us/j/85512345678?pwd=abcDEF123", "https://us02web.zoom.us/j/85512345678?pwd=abcDEF123"),
    ("HTTPS://Zoom.US/j/1", "https://zoom.us/j/1"),
    ("  https://meet.google.com/abc-defg-hij  ", "https://meet.google.com/abc-defg-hij"),
    ("https://meet.google.com:443/abc-defg-hij", "https://meet.google.com/abc-defg-hij"),
    ("https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0", "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0"),
    ("https://whereby.com/dr-okafor", "https://whereby.com/dr-okafor"),
    ("https://meet.jit.si/MyPersonalRoom", "https://meet.jit.si/MyPersonalRoom"),
    ("https://meet.jit.si/room#config.startWithAudioMuted=true", "https://meet.jit.si/room#config.startWithAudioMuted=true"),
    ("https://company.webex.com/meet/okafor", "https://company.webex.com/meet/okafor"),
    ("https://zoom.us", "https://zoom.us/"),
    ("https://clinic-video.example.org/rooms/7", "https://clinic-video.example.org/rooms/7"),
]

REFUSED = [
    ("javascript:alert(1)", "https"),
    ("JavaScript:alert(document.cookie)//https://zoom.us", "https"),
    ("data:text/html,<script>alert(1)</script>", "https"),
    ("data:text/html;base64,PHNjcmlwdD4=", "https"),
    ("http://zoom.us/j/1", "https"),
    ("ftp://zoom.us/j/1", "https"),
    ("//zoom.us/j/1", "https"),
    ("zoom.us/j/1", "https"),
    ("https:/zoom.us/j/1", "https://host"),
    ("https:zoom.us/j/1", "https://host"),
    ("https://evil.example\\@meet.google.com/x", "backslash"),
    ("https://meet.google.com\\.evil.example/x", "backslash"),
    ("https://meet.google.com@evil.example/x", "'@'"),
    ("https://user:pass@zoom.us/j/1", "'@'"),
    ("https://zoom.us:8443/j/1", "port"),
    ("https://zoom.us:0/j/1", "port"),
    ("https://zoom.us:99999/j/1", "valid web address"),
    ("https://zoom.us./j/1", "dot"),
    ("https://zoom.us/j/1 2", "spaces or hidden"),
    ("https://zoom.us/j/1\n", "https://zoom.us/j/1"),  # a trailing newline is trimmed: accepted, see below
    ("https://zoom.us/j/\t1", "spaces or hidden"),
    ("https://zoom.us/j/1\x00", "spaces or hidden"),
    ("https://zoom.us/j/1\u200b", "spaces or hidden"),
    ("https://zoom.us\u202e/j/1", "spaces or hidden"),
    ("https://zооm.us/j/1", "non-ASCII"),
    ("https://xn--zm-ivaa.us/j/1", "Internationalised"),
    ("https://192.168.1.10/room", "IP address"),
    ("https://[::1]/room", "host name"),
    ("https://localhost/room", "not valid"),
    ("https://-zoom.us/j/1", "not valid"),
    ("https://zoom..us/j/1", "not valid"),
    ("https:///j/1", "no host"),
    ("https://", "no host"),
    ("https://zoom.us/" + "a" * 2000, "too long"),
    ("", "Enter the link"),
    ("   ", "Enter the link"),
    (None, "Enter the link"),
    (12345, "Enter the link"),
]


@pytest.mark.parametrize(("raw", "rebuilt"), ACCEPTED)
def test_good_links_are_accepted_and_rebuilt_from_their_parts(raw, rebuilt):
    assert check_meeting_url(raw).url == rebuilt


@pytest.mark.parametrize(("raw", "words"), [case for case in REFUSED if case[0] != "https://zoom.us/j/1\n"])
def test_bad_and_look_alike_links_are_refused_with_a_reason(raw, words):
    with pytest.raises(InvalidMeetingUrl) as refused:
        check_meeting_url(raw)
    assert words in str(refused.value)


def test_surrounding_whitespace_from_a_paste_is_trimmed():
    assert check_meeting_url("https://zoom.us/j/1\n").url == "https://zoom.us/j/1"


def test_the_table_is_large_enough():
    assert len(ACCEPTED) + len(REFUSED) >= 30


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("https://zoom.us/j/1", False),
        ("https://us02web.zoom.us/j/1", False),
        ("https://meet.google.com/abc", False),
        ("https://zoom.us.evil.example/j/1", True),
        ("https://evilzoom.us/j/1", True),
        ("https://meet.google.com.evil.example/x", True),
        ("https://example.org/room", True),
    ],
)
def test_unknown_hosts_are_warned_about_not_refused(url, warned):
    checked = check_meeting_url(url)
    assert (checked.warning is not None) is warned
    if warned:
        assert checked.host in checked.warning


def test_the_configured_jitsi_host_counts_as_known():
    assert check_meeting_url("https://video.clinic.example/room", ("video.clinic.example",)).warning is None
    assert is_known_meeting_host("rooms.video.clinic.example", ("video.clinic.example",))
    assert not is_known_meeting_host("video.clinic.example.evil.test", ("video.clinic.example",))


@pytest.mark.parametrize(
    "raw",
    [
        "https://zoom.us/j/1<script>alert(1)</script>",
        'https://zoom.us/j/1"><img/src=x>',
        "https://zoom.us/j/1'x",
        "https://zoom.us/j/1?pwd=<b>x</b>",
        "https://zoom.us/j/1?pwd=a{b}",
        "https://zoom.us/j/1%zz",
        "https://zoom.us/j/1`x",
    ],
)
def test_characters_no_web_address_has_are_refused(raw):
    with pytest.raises(InvalidMeetingUrl, match="characters a web address never has"):
        check_meeting_url(raw)


def test_percent_escapes_and_ordinary_punctuation_are_kept():
    checked = check_meeting_url("https://zoom.us/j/123?pwd=a%2Fb&x=(1)+y~z*")
    assert checked.url == "https://zoom.us/j/123?pwd=a%2Fb&x=(1)+y~z*"
