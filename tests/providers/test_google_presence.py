"""Reading who was in a Meet space: conference records, participants and participant sessions, against the
fake Google (field names and pagination as in the Meet REST API v2 reference), and the client's errors."""
import json
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meetapp.providers import MeetingGone, NotConnected, ProviderError, RateLimited, Unavailable
from meetapp.providers.google import GoogleMeetClient, GoogleSettings, parse_timestamp
from tests.providers.fakes import GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, GOOGLE_REFRESH_TOKEN, json_response

START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
OWNER = "owner@example.com"  # whom the fake's refresh token belongs to


def minutes(n: float) -> datetime:
    return START + timedelta(minutes=n)


@pytest.fixture
def meet(fake_google, fake_clock, sleeps):
    settings = GoogleSettings(client_id=GOOGLE_CLIENT_ID, client_secret=GOOGLE_CLIENT_SECRET,
                              refresh_token=GOOGLE_REFRESH_TOKEN, token_url=fake_google.token_url,
                              api_base_url=fake_google.api_url, timeout=2.0)
    return GoogleMeetClient(settings, clock=fake_clock, sleep=sleeps.append)


@pytest.fixture
def space(meet):
    return meet.create_space(None).external_id


def reads(fake_google, path: str = "/v2/conferenceRecords"):
    """The GETs of exactly `path` (the fake's own `sent` also counts the paths below it)."""
    return [request for request in fake_google.sent("GET", path) if request.path == path]


def test_a_conference_is_read_with_its_participants_and_their_sessions(meet, fake_google, space):
    record = fake_google.add_conference(space, minutes(-3), minutes(61))
    ada = fake_google.add_participant(record, [(minutes(-3), minutes(30)), (minutes(32), minutes(61))],
                                      user="users/1001", display_name="Ada Lovelace")
    guest = fake_google.add_participant(record, [(minutes(5), None)], display_name="Guest")
    phone = fake_google.add_participant(record, [(minutes(7), minutes(9))], kind="phoneUser",
                                        display_name="+1 ***-***-1234")

    [conference] = meet.conference_records(space, None)

    assert conference.name == record
    assert (conference.start_time, conference.end_time) == (minutes(-3), minutes(61))
    by_name = {participant.name: participant for participant in conference.participants}
    assert set(by_name) == {ada, guest, phone}
    assert (by_name[ada].kind, by_name[ada].user, by_name[ada].display_name) == (
        "signedinUser", "users/1001", "Ada Lovelace")
    assert [(s.start_time, s.end_time) for s in by_name[ada].sessions] == [
        (minutes(-3), minutes(30)), (minutes(32), minutes(61))], "oldest first, though Google lists newest first"
    assert all(s.name.startswith(f"{ada}/participantSessions/") for s in by_name[ada].sessions)
    assert (by_name[guest].kind, by_name[guest].user, by_name[guest].display_name) == (
        "anonymousUser", None, "Guest")
    assert by_name[guest].sessions[0].end_time is None, "still there"
    assert (by_name[phone].kind, by_name[phone].user) == ("phoneUser", None)


def test_the_records_are_asked_for_by_space_name_with_the_largest_page(meet, fake_google, space):
    meet.conference_records(space, None)
    [asked] = reads(fake_google)
    assert asked.raw_path.startswith("/v2/conferenceRecords?")
    query = parse_qs(urlsplit(asked.raw_path).query)
    assert query == {"filter": [f'space.name = "{space}"'], "pageSize": ["100"]}
    assert asked.headers["Authorization"].startswith("Bearer ya29.fake-")


def test_only_the_spaces_own_records_are_read(meet, fake_google, space):
    other = meet.create_space(None).external_id
    fake_google.add_conference(other, minutes(0), minutes(60))
    assert meet.conference_records(space, None) == []
    mine = fake_google.add_conference(space, minutes(0), minutes(60))
    assert [record.name for record in meet.conference_records(space, None)] == [mine]


def test_every_page_of_every_list_is_followed(meet, fake_google, space):
    fake_google.page_size = 2
    records = [fake_google.add_conference(space, minutes(i * 100), minutes(i * 100 + 60)) for i in range(3)]
    for i in range(5):
        fake_google.add_participant(records[0], [(minutes(j * 10 + i), minutes(j * 10 + i + 5)) for j in range(5)],
                                    user=f"users/{i}")

    found = meet.conference_records(space, None)

    assert sorted(record.name for record in found) == sorted(records)
    first = next(record for record in found if record.name == records[0])
    assert sorted(p.user for p in first.participants) == [f"users/{i}" for i in range(5)]
    assert all(len(p.sessions) == 5 for p in first.participants)
    assert len(reads(fake_google)) == 2, "3 records in pages of 2"
    assert len(reads(fake_google, f"/v2/{records[0]}/participants")) == 3, "5 participants in pages of 2"
    tokens = [r.raw_path for r in fake_google.sent("GET", "participantSessions") if "pageToken=" in r.raw_path]
    assert len(tokens) == 5 * 2, "each participant's 5 sessions in 3 pages: 2 of them asked for by token"


def test_a_server_that_never_stops_paging_is_unavailable(meet, fake_google, space, monkeypatch):
    monkeypatch.setattr(fake_google, "_page", lambda request, key, items, **_: json_response(
        {key: items, "nextPageToken": "again"}))
    with pytest.raises(Unavailable, match="more pages"):
        meet.conference_records(space, None)
    assert len(reads(fake_google)) == 50


@pytest.mark.parametrize("name", ["spaces/../conferenceRecords", "conferenceRecords/x", "spaces/a?b", ""])
def test_a_space_name_that_is_not_one_is_refused_before_any_request(meet, fake_google, name):
    with pytest.raises(ValueError):
        meet.conference_records(name, None)
    assert reads(fake_google) == []


def test_an_expired_token_is_replaced_and_the_read_goes_on(meet, fake_google, space):
    fake_google.add_conference(space, minutes(0), minutes(60))
    meet.conference_records(space, None)
    fake_google.expire_tokens()
    assert len(meet.conference_records(space, None)) == 1
    assert len(fake_google.issued) == 2


def test_a_401_that_persists_is_not_connected(meet, fake_google, space):
    fake_google.fail(times=2, status=401, path="/v2/conferenceRecords")
    with pytest.raises(NotConnected, match="refused the access token"):
        meet.conference_records(space, None)


def test_a_403_says_to_enable_the_api(meet, fake_google, space):
    fake_google.api_disabled = True
    with pytest.raises(NotConnected, match="Meet REST API is enabled"):
        meet.conference_records(space, None)


def test_a_record_that_is_gone_is_meeting_gone(meet, fake_google):
    with pytest.raises(MeetingGone):
        meet.participants("conferenceRecords/gone", None)


def test_rate_limiting_is_rate_limited_with_googles_hint(meet, fake_google, space, sleeps):
    fake_google.rate_limit(times=5, retry_after="120", path="/v2/conferenceRecords")
    with pytest.raises(RateLimited) as raised:
        meet.conference_records(space, None)
    assert raised.value.retry_after == 120
    assert sleeps == [], "a wait longer than max_retry_after is the worker's, not the client's"


def test_a_5xx_is_retried_then_unavailable(meet, fake_google, space, sleeps):
    fake_google.fail(times=1, status=503, path="/participants")
    record = fake_google.add_conference(space, minutes(0), minutes(60))
    fake_google.add_participant(record, [(minutes(0), minutes(60))], user="users/1")
    assert len(meet.conference_records(space, None)[0].participants) == 1
    assert len(sleeps) == 1

    fake_google.fail(times=10, status=500, path="/v2/conferenceRecords")
    with pytest.raises(Unavailable, match="server error"):
        meet.conference_records(space, None)


def test_a_record_without_a_usable_name_is_unavailable(meet, fake_google, space):
    fake_google.conference_records["conferenceRecords/x"] = {"name": "conferenceRecords/../x", "space": space,
                                                             "startTime": "2026-11-23T10:00:00Z"}
    with pytest.raises(Unavailable, match="did not name"):
        meet.conference_records(space, None)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-23T10:00:00Z", START),
    ("2026-11-23T10:00:00.123456789Z", START.replace(microsecond=123456)),
    ("2026-11-23T10:00:00.5z", START.replace(microsecond=500000)),
    ("2026-11-23T11:00:00+01:00", START),
    ("2026-11-23T10:00:00", None),  # no zone: not Google's format
    ("2026-11-23", None),
    ("yesterday", None),
    (1795000000, None),
    (None, None),
])
def test_timestamps_are_read_as_google_writes_them(text, expected):
    parsed = parse_timestamp(text)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo in (UTC, timezone.utc)


# Whatever Google answers, the client returns what it understood or raises a ProviderError: never anything else.

class Canned(requests.Session):
    """A requests.Session that answers each GET with the next canned JSON body."""

    def __init__(self, bodies):
        super().__init__()
        self.bodies = list(bodies)

    def request(self, method, url, **kwargs):
        response = requests.Response()
        response.status_code, response.url = 200, url
        if url.endswith("/token"):
            body = {"access_token": "t", "expires_in": 3600}
        else:
            body = self.bodies.pop(0) if self.bodies else {}
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return response


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30)
    | st.sampled_from(["2026-11-23T10:00:00Z", "conferenceRecords/abc", "conferenceRecords/abc/participants/1",
                       "users/1", "spaces/x"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["name", "startTime", "endTime", "conferenceRecords", "participants", "participantSessions",
                         "signedinUser", "anonymousUser", "phoneUser", "user", "displayName", "nextPageToken"]),
        children, max_size=5),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bodies=st.lists(json_values | st.binary(max_size=20), min_size=1, max_size=6))
def test_any_answer_is_understood_or_a_provider_error(bodies, fake_clock):
    settings_ = GoogleSettings(client_id="c", client_secret="s", refresh_token="r",
                               token_url="http://google.invalid/token", api_base_url="http://google.invalid/v2")
    client = GoogleMeetClient(settings_, session=Canned(bodies), clock=fake_clock, sleep=lambda _: None)
    try:
        records = client.conference_records("spaces/abc", None)
    except ProviderError:
        return
    for record in records:
        assert record.start_time.tzinfo is not None
        for participant in record.participants:
            assert participant.name.startswith(record.name + "/participants/")
            assert all(s.start_time.tzinfo is not None for s in participant.sessions)
