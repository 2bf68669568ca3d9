"""Video providers: room names, Jitsi join URLs, JWTs for self-hosted Jitsi and JaaS, fallbacks."""
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlsplit

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from meetapp.domain.video import (
    KIND_JITSI,
    KIND_MANUAL,
    JitsiSettings,
    Meeting,
    Participant,
    jitsi_hash,
    join_url,
    meeting_label,
    new_room_name,
    preview_url,
    provider_for,
)

NOW = datetime(2026, 11, 24, 14, 50, tzinfo=UTC)
OPENS, CLOSES = datetime(2026, 11, 24, 14, 45, tzinfo=UTC), datetime(2026, 11, 24, 16, 30, tzinfo=UTC)
MENTOR = Participant(id=7, name="Mona Mentor", email="mona@example.com", is_host=True)
MENTEE = Participant(id=8, name='Max "the" Mentee', email="max@example.com", is_host=False)
ROOM = re.compile(r"^meetapp-session-[a-z2-7]{20}$")
PLAIN = JitsiSettings()
SECRET = "a-shared-secret-of-at-least-32-bytes"
SELF_HOSTED = JitsiSettings(base_url="https://video.clinic.example", app_id="meetapp", app_secret=SECRET)


def decode(token: str, key, algorithm: str, audience: str, at: datetime = NOW) -> dict:
    """Verify a token as the Jitsi server would at the instant `at`: signature, audience, nbf and exp."""
    with time_machine.travel(at, tick=False):
        return jwt.decode(token, key, algorithms=[algorithm], audience=audience)


def token_of(url: str) -> str:
    return urlsplit(url).query.removeprefix("jwt=")


def test_room_names_have_the_promised_shape():
    for _ in range(100):
        name = new_room_name("meetapp")
        assert ROOM.match(name), name
        assert re.fullmatch(r"[a-z0-9-]+", name)


def test_room_names_do_not_collide_in_100k():
    names = {new_room_name("meetapp") for _ in range(100_000)}
    assert len(names) == 100_000


def test_room_name_characters_are_evenly_random():
    # 96 bits in base32: the first 19 characters carry 5 random bits each.
    counts = Counter(ch for _ in range(20_000) for ch in new_room_name("p")[len("p-session-"):][:19])
    expected = 20_000 * 19 / 32
    assert len(counts) == 32
    assert all(abs(count - expected) < expected * 0.06 for count in counts.values())


def test_jitsi_hash_values_are_json_then_url_encoded():
    assert jitsi_hash("Max Mentee") == (
        "config.prejoinConfig.enabled=true&config.startWithAudioMuted=false&config.startWithVideoMuted=false"
        "&config.requireDisplayName=true&userInfo.displayName=%22Max%20Mentee%22"
    )


def test_display_names_survive_quotes_ampersands_and_accents():
    fragment = jitsi_hash('Chloé "C" & co')
    value = fragment.split("userInfo.displayName=", 1)[1]
    assert "&" not in value and '"' not in value
    assert unquote(value) == '"Chloé \\"C\\" & co"'


def jitsi_meeting() -> Meeting:
    return provider_for("jitsi", None, PLAIN).create_meeting()


def test_plain_jitsi_join_url_is_the_room_with_hash_settings_and_no_token():
    meeting = jitsi_meeting()
    url = join_url(meeting, MENTEE, opens_at=OPENS, closes_at=CLOSES, now=NOW, settings=PLAIN)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"https://meet.jit.si/{meeting.room}"
    assert parts.query == ""
    assert parts.fragment == jitsi_hash(MENTEE.name)


def test_self_hosted_jitsi_gets_an_hs256_token_bound_to_room_and_window():
    meeting = provider_for("jitsi", None, SELF_HOSTED).create_meeting()
    url = join_url(meeting, MENTOR, opens_at=OPENS, closes_at=CLOSES, now=NOW, settings=SELF_HOSTED)
    assert url.startswith(f"https://video.clinic.example/{meeting.room}?jwt=")
    assert urlsplit(url).fragment == jitsi_hash(MENTOR.name)
    claims = decode(token_of(url), SECRET, "HS256", audience="meetapp")
    assert claims["iss"] == "meetapp"
    assert claims["sub"] == "video.clinic.example"
    assert claims["room"] == meeting.room
    assert (claims["nbf"], claims["exp"], claims["iat"]) == (OPENS.timestamp(), CLOSES.timestamp(), NOW.timestamp())
    assert claims["context"]["user"] == {
        "id": "7", "name": "Mona Mentor", "email": "mona@example.com", "moderator": True, "affiliation": "owner",
    }


def test_only_the_mentor_is_owner_and_moderator():
    meeting = provider_for("jitsi", None, SELF_HOSTED).create_meeting()
    url = join_url(meeting, MENTEE, opens_at=OPENS, closes_at=CLOSES, now=NOW, settings=SELF_HOSTED)
    user = decode(token_of(url), SECRET, "HS256", audience="meetapp")["context"]["user"]
    assert (user["moderator"], user["affiliation"]) == (False, "member")


def test_the_jitsi_server_would_refuse_the_token_outside_the_window():
    meeting = provider_for("jitsi", None, SELF_HOSTED).create_meeting()
    token = token_of(join_url(meeting, MENTEE, opens_at=OPENS, closes_at=CLOSES, now=OPENS, settings=SELF_HOSTED))
    assert decode(token, SECRET, "HS256", "meetapp", at=OPENS)["room"] == meeting.room
    assert decode(token, SECRET, "HS256", "meetapp", at=CLOSES - timedelta(seconds=1))["room"] == meeting.room
    with pytest.raises(jwt.ImmatureSignatureError):
        decode(token, SECRET, "HS256", "meetapp", at=OPENS - timedelta(minutes=1))
    with pytest.raises(jwt.ExpiredSignatureError):
        decode(token, SECRET, "HS256", "meetapp", at=CLOSES + timedelta(seconds=1))


def test_a_token_signed_with_another_secret_does_not_verify():
    meeting = provider_for("jitsi", None, SELF_HOSTED).create_meeting()
    token = token_of(join_url(meeting, MENTEE, opens_at=OPENS, closes_at=CLOSES, now=NOW, settings=SELF_HOSTED))
    with pytest.raises(jwt.InvalidSignatureError):
        decode(token, "another-secret-that-is-also-32-bytes-long", "HS256", "meetapp")


@pytest.fixture(scope="module")
def jaas_keys():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem.decode(), private.public_key()


def test_jaas_gets_an_rs256_token_with_kid_tenant_and_string_moderator(jaas_keys):
    pem, public_key = jaas_keys
    kid = "vpaas-magic-cookie-1fc542a3e4414a44b2611668195e2bfe/4f4910"
    settings = JitsiSettings(base_url="https://8x8.vc", jaas_kid=kid, jaas_private_key=pem)
    meeting = provider_for("jitsi", None, settings).create_meeting()
    url = join_url(meeting, MENTOR, opens_at=OPENS, closes_at=CLOSES, now=NOW, settings=settings)
    tenant = "vpaas-magic-cookie-1fc542a3e4414a44b2611668195e2bfe"
    assert url.startswith(f"https://8x8.vc/{tenant}/{meeting.room}?jwt=")
    token = token_of(url)
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": kid, "typ": "JWT"}
    claims = decode(token, public_key, "RS256", audience="jitsi")
    assert (claims["iss"], claims["sub"], claims["room"]) == ("chat", tenant, meeting.room)
    assert (claims["nbf"], claims["exp"]) == (OPENS.timestamp(), CLOSES.timestamp())
    assert claims["context"]["user"] == {"id": "7", "name": "Mona Mentor", "email": "mona@example.com", "moderator": "true"}
    mentee_url = join_url(meeting, MENTEE, opens_at=OPENS, closes_at=CLOSES, now=NOW, settings=settings)
    mentee_claims = decode(token_of(mentee_url), public_key, "RS256", audience="jitsi")
    assert mentee_claims["context"]["user"]["moderator"] == "false"


def test_manual_meetings_send_everyone_to_the_checked_url():
    meeting = provider_for("manual", "https://Zoom.us/j/42", PLAIN).create_meeting()
    assert (meeting.kind, meeting.url, meeting.room, meeting.notice) == (KIND_MANUAL, "https://zoom.us/j/42", None, None)
    for person in (MENTOR, MENTEE):
        assert join_url(meeting, person, opens_at=OPENS, closes_at=CLOSES, now=NOW, settings=PLAIN) == "https://zoom.us/j/42"


@pytest.mark.parametrize(("manual_url", "words"), [(None, "No personal meeting link"), ("javascript:alert(1)", "was refused")])
def test_manual_without_a_usable_url_falls_back_to_jitsi_and_says_why(manual_url, words):
    meeting = provider_for("manual", manual_url, PLAIN).create_meeting()
    assert (meeting.provider, meeting.kind) == ("manual", KIND_JITSI)
    assert ROOM.match(meeting.room)
    assert words in meeting.notice and "Jitsi" in meeting.notice


@pytest.mark.parametrize(("choice", "label"), [("zoom", "Zoom"), ("google", "Google Meet")])
def test_unconnected_zoom_and_google_use_a_jitsi_room_with_a_mock_token_and_say_so(choice, label):
    meeting = provider_for(choice, None, PLAIN).create_meeting()
    assert (meeting.provider, meeting.kind) == (choice, KIND_JITSI)
    assert meeting.external_id.startswith(f"mock-{choice}-")
    assert meeting.notice == f"{label} is not connected; sessions use Jitsi."


def test_each_meeting_gets_its_own_room():
    assert jitsi_meeting().room != jitsi_meeting().room


def test_preview_shows_an_example_room_or_the_manual_url():
    address, notice = preview_url("jitsi", None, JitsiSettings(base_url="https://video.clinic.example", room_prefix="clinic"))
    assert re.fullmatch(r"https://video\.clinic\.example/clinic-session-[a-z2-7]{20}", address)
    assert notice is None
    assert preview_url("manual", "https://whereby.com/okafor", PLAIN) == ("https://whereby.com/okafor", None)
    assert preview_url("zoom", None, PLAIN)[1] == "Zoom is not connected; sessions use Jitsi."


@pytest.mark.parametrize(
    ("provider", "kind", "label"),
    [("jitsi", "jitsi", "Jitsi"), ("zoom", "jitsi", "Jitsi"), ("manual", "jitsi", "Jitsi"), ("manual", "manual", "My own meeting link")],
)
def test_people_are_told_what_the_meeting_really_runs_on(provider, kind, label):
    assert meeting_label(provider, kind) == label
