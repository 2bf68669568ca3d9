"""The Zoom client against the fake Zoom: S2S OAuth tokens, meeting shapes, failures, and no leaked secrets."""
import base64
import threading
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from meetapp.providers import MeetingGone, NotConnected, RateLimited, Rejected, Unavailable
from meetapp.providers.zoom import ZoomClient, ZoomSettings
from tests.providers.fakes import ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET

BERLIN = ZoneInfo("Europe/Berlin")
STARTS_AT = datetime(2026, 11, 23, 15, 0, tzinfo=BERLIN)  # 14:00 UTC


def settings_for(fake, **overrides) -> ZoomSettings:
    values = {"account_id": ZOOM_ACCOUNT_ID, "client_id": ZOOM_CLIENT_ID, "client_secret": ZOOM_CLIENT_SECRET,
              "api_base_url": fake.api_url, "oauth_url": fake.oauth_url, "timeout": 2.0}
    return ZoomSettings(**(values | overrides))


@pytest.fixture
def zoom(fake_zoom, fake_clock, sleeps):
    return ZoomClient(settings_for(fake_zoom), clock=fake_clock, sleep=sleeps.append)


def create(zoom: ZoomClient, user: str = "ada@example.com"):
    return zoom.create_meeting(user, topic="Career chat with Chloé", starts_at=STARTS_AT, duration_minutes=45,
                               timezone="Europe/Berlin")


def test_check_names_the_zoom_user(zoom):
    assert zoom.check("ada@example.com") == "Zoom user ada@example.com (Ada Lovelace)"


def test_the_token_request_uses_basic_auth_and_account_credentials(zoom, fake_zoom):
    zoom.check("ada@example.com")
    [token_request] = fake_zoom.sent("POST", "/oauth/token")
    credentials = base64.b64decode(token_request.headers["Authorization"].removeprefix("Basic ")).decode()
    assert credentials == f"{ZOOM_CLIENT_ID}:{ZOOM_CLIENT_SECRET}"
    assert token_request.form == {"grant_type": "account_credentials", "account_id": ZOOM_ACCOUNT_ID}
    [api_request] = fake_zoom.sent("GET", "/v2/users/")
    assert api_request.headers["Authorization"] == f"Bearer {fake_zoom.issued[0]}"


def test_the_token_is_fetched_once_and_reused(zoom, fake_zoom):
    zoom.check("ada@example.com")
    meeting = create(zoom)
    zoom.start_url(meeting.external_id)
    assert len(fake_zoom.issued) == 1
    assert len(fake_zoom.sent(path="/v2/")) == 3


def test_the_token_is_renewed_shortly_before_it_expires(zoom, fake_zoom, fake_clock):
    zoom.check("ada@example.com")
    fake_clock.advance(3600 - 61)
    zoom.check("ada@example.com")
    assert len(fake_zoom.issued) == 1
    fake_clock.advance(2)  # now inside the last minute of the token's hour
    zoom.check("ada@example.com")
    assert len(fake_zoom.issued) == 2
    assert fake_zoom.sent("GET", "/v2/")[-1].headers["Authorization"] == f"Bearer {fake_zoom.issued[1]}"


def test_a_revoked_token_is_replaced_once_and_the_request_resent(zoom, fake_zoom):
    zoom.check("ada@example.com")
    fake_zoom.expire_tokens()
    meeting = create(zoom)
    assert len(fake_zoom.issued) == 2
    assert len(fake_zoom.sent("POST", "/meetings")) == 2  # the refused one, then the one that made it
    assert list(fake_zoom.meetings) == [int(meeting.external_id)]


def test_a_token_that_keeps_being_refused_means_not_connected(zoom, fake_zoom):
    fake_zoom.accept_tokens = False
    with pytest.raises(NotConnected) as caught:
        zoom.check("ada@example.com")
    assert "Invalid access token" in str(caught.value)
    assert len(fake_zoom.issued) == 2  # one refresh, not a loop
    assert len(fake_zoom.sent("GET", "/v2/")) == 2


def test_wrong_credentials_mean_not_connected(fake_zoom, fake_clock):
    zoom = ZoomClient(settings_for(fake_zoom, client_secret="wrong-secret-value"), clock=fake_clock)
    with pytest.raises(NotConnected) as caught:
        zoom.check("ada@example.com")
    assert "Invalid client_id or client_secret" in caught.value.message
    assert "client secret" in caught.value.message
    assert caught.value.transient is False
    assert fake_zoom.sent(path="/v2/") == []


def test_a_wrong_account_id_means_not_connected(fake_zoom, fake_clock):
    zoom = ZoomClient(settings_for(fake_zoom, account_id="someone-else"), clock=fake_clock)
    with pytest.raises(NotConnected, match="account ID"):
        zoom.check("ada@example.com")


def test_an_unconfigured_client_says_so_without_calling_zoom(fake_zoom):
    zoom = ZoomClient(ZoomSettings(api_base_url=fake_zoom.api_url, oauth_url=fake_zoom.oauth_url))
    assert zoom.settings.configured is False
    with pytest.raises(NotConnected, match="not configured"):
        zoom.check("ada@example.com")
    assert fake_zoom.requests == []


def test_an_unknown_user_is_not_connected(zoom):
    with pytest.raises(NotConnected) as caught:
        zoom.check("bob@example.com")
    assert str(caught.value) == "No Zoom user bob@example.com in this account."
    with pytest.raises(NotConnected, match="No Zoom user bob@example.com"):
        create(zoom, "bob@example.com")


def test_user_emails_are_url_encoded_in_the_path(zoom, fake_zoom):
    fake_zoom.add_user("ada+mentor@example.com", "Ada", "Mentor")
    assert zoom.check("ada+mentor@example.com") == "Zoom user ada+mentor@example.com (Ada Mentor)"
    assert fake_zoom.sent("GET", "/v2/users/")[0].raw_path == "/v2/users/ada%2Bmentor%40example.com"


def test_create_sends_a_scheduled_meeting_in_utc_with_a_waiting_room(zoom, fake_zoom):
    meeting = create(zoom)
    [sent] = fake_zoom.sent("POST", "/v2/users/ada@example.com/meetings")
    assert sent.json == {
        "type": 2,
        "topic": "Career chat with Chloé",
        "start_time": "2026-11-23T14:00:00Z",
        "duration": 45,
        "timezone": "Europe/Berlin",
        "settings": {"waiting_room": True, "join_before_host": False, "approval_type": 0,
                     "registrants_confirmation_email": False, "registrants_email_notification": False},
    }
    stored = fake_zoom.meetings[int(meeting.external_id)]
    assert meeting.provider == "zoom"
    assert meeting.external_id == str(stored["id"])
    assert meeting.join_url == stored["join_url"]
    assert meeting.password == stored["password"]
    assert meeting.join_url not in repr(meeting) and meeting.password not in repr(meeting)


def test_create_refuses_a_naive_start_time(zoom, fake_zoom):
    with pytest.raises(ValueError, match="aware"):
        zoom.create_meeting("ada@example.com", topic="t", starts_at=datetime(2026, 11, 23, 15, 0),
                            duration_minutes=30, timezone="UTC")
    assert fake_zoom.requests == []


def test_a_long_topic_is_cut_to_zoom_s_limit(zoom, fake_zoom):
    zoom.create_meeting("ada@example.com", topic="x" * 300, starts_at=STARTS_AT, duration_minutes=30,
                        timezone="Europe/Berlin")
    assert fake_zoom.sent("POST", "/meetings")[0].json["topic"] == "x" * 200


def test_a_validation_error_is_rejected_with_zoom_s_message(zoom, fake_zoom):
    with pytest.raises(Rejected, match="Validation Failed"):
        zoom.create_meeting("ada@example.com", topic="t", starts_at=STARTS_AT, duration_minutes=30,
                            timezone="Mars/Olympus_Mons")
    assert fake_zoom.meetings == {}


def test_update_patches_the_schedule(zoom, fake_zoom):
    meeting = create(zoom)
    later = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    result = zoom.update_meeting(meeting.external_id, topic="Moved", starts_at=later, duration_minutes=60,
                                 timezone="America/New_York")
    assert result is None
    [sent] = fake_zoom.sent("PATCH", f"/v2/meetings/{meeting.external_id}")
    assert sent.json == {"topic": "Moved", "start_time": "2026-11-24T09:30:00Z", "duration": 60,
                         "timezone": "America/New_York"}
    stored = fake_zoom.meetings[int(meeting.external_id)]
    assert (stored["start_time"], stored["duration"]) == ("2026-11-24T09:30:00Z", 60)


def test_updating_a_deleted_meeting_says_it_is_gone(zoom):
    with pytest.raises(MeetingGone):
        zoom.update_meeting("12345678901", topic="t", starts_at=STARTS_AT, duration_minutes=30, timezone="UTC")


def test_delete_removes_the_meeting_and_a_second_delete_is_fine(zoom, fake_zoom):
    meeting = create(zoom)
    zoom.delete_meeting(meeting.external_id)
    assert fake_zoom.meetings == {}
    zoom.delete_meeting(meeting.external_id)
    assert [r.method for r in fake_zoom.sent(path="/v2/meetings/")] == ["DELETE", "DELETE"]


def test_start_url_is_fetched_fresh_each_time(zoom, fake_zoom):
    meeting = create(zoom)
    first, second = zoom.start_url(meeting.external_id), zoom.start_url(meeting.external_id)
    assert first != second
    assert second == fake_zoom.start_urls[-1]
    assert second.startswith(f"https://zoom.us/s/{meeting.external_id}?zak=")


def test_start_url_of_a_deleted_meeting_says_it_is_gone(zoom):
    with pytest.raises(MeetingGone) as caught:
        zoom.start_url("12345678901")
    assert caught.value.transient is False


def test_a_short_rate_limit_is_waited_out_even_for_a_create(zoom, fake_zoom, sleeps):
    zoom.check("ada@example.com")
    fake_zoom.rate_limit(times=1, retry_after="1", path="/meetings")
    create(zoom)
    assert sleeps == [1.0]
    assert len(fake_zoom.meetings) == 1


def test_a_daily_rate_limit_raises_with_the_time_to_wait(zoom, fake_zoom, fake_clock, sleeps):
    zoom.check("ada@example.com")
    resumes = datetime.fromtimestamp(fake_clock() + 7200, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    fake_zoom.rate_limit(times=1, retry_after=resumes, path="/meetings")
    with pytest.raises(RateLimited) as caught:
        create(zoom)
    assert caught.value.retry_after == 7200.0
    assert sleeps == [] and fake_zoom.meetings == {}


def test_server_errors_on_reads_are_retried(zoom, fake_zoom, sleeps):
    meeting = create(zoom)
    fake_zoom.fail(times=2, status=503, path="/v2/meetings/")
    assert zoom.start_url(meeting.external_id).startswith("https://zoom.us/s/")
    assert len(sleeps) == 2


def test_server_errors_that_persist_mean_unavailable(zoom, fake_zoom):
    zoom.check("ada@example.com")
    fake_zoom.fail(times=10, status=500, path="/v2/users/")
    with pytest.raises(Unavailable) as caught:
        zoom.check("ada@example.com")
    assert caught.value.transient is True
    assert len(fake_zoom.sent("GET", "/v2/users/")) == 1 + 3


def test_a_create_is_not_resent_after_a_server_error(zoom, fake_zoom):
    zoom.check("ada@example.com")
    fake_zoom.fail(times=1, status=500, path="/meetings")
    with pytest.raises(Unavailable):
        create(zoom)
    assert len(fake_zoom.sent("POST", "/meetings")) == 1


def test_a_create_that_times_out_is_not_resent(fake_zoom, fake_clock, sleeps):
    zoom = ZoomClient(settings_for(fake_zoom, timeout=0.15), clock=fake_clock, sleep=sleeps.append)
    zoom.check("ada@example.com")
    fake_zoom.slow_down(0.4, times=5, path="/meetings")
    with pytest.raises(Unavailable, match="did not answer within 0.15 s"):
        create(zoom)
    assert len(fake_zoom.sent("POST", "/meetings")) == 1
    # Zoom made the meeting anyway: this is why a create is never blindly resent.
    for _ in range(40):
        if fake_zoom.meetings:
            break
        time.sleep(0.025)
    assert len(fake_zoom.meetings) == 1


def test_a_slow_token_endpoint_is_unavailable_after_its_retries(fake_zoom, fake_clock, sleeps):
    zoom = ZoomClient(settings_for(fake_zoom, timeout=0.1, retries=1), clock=fake_clock, sleep=sleeps.append)
    fake_zoom.slow_down(0.4, times=5, path="/oauth/token")
    with pytest.raises(Unavailable):
        zoom.check("ada@example.com")
    assert len(fake_zoom.sent("POST", "/oauth/token")) == 2


def test_concurrent_requests_share_one_token(zoom, fake_zoom):
    errors = []

    def check():
        try:
            zoom.check("ada@example.com")
        except Exception as exc:  # noqa: BLE001 - collected to fail the test below, not swallowed
            errors.append(exc)

    threads = [threading.Thread(target=check) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(fake_zoom.issued) == 1


def test_secrets_tokens_and_start_urls_stay_out_of_logs_and_errors(fake_zoom, fake_clock, sleeps, caplog):
    caplog.set_level("DEBUG")
    settings = settings_for(fake_zoom)
    zoom = ZoomClient(settings, clock=fake_clock, sleep=sleeps.append)
    errors = []
    meeting = create(zoom)
    fake_zoom.expire_tokens()
    fake_zoom.fail(times=1, status=503, path="/v2/meetings/")
    start_url = zoom.start_url(meeting.external_id)
    fake_zoom.accept_tokens = False
    with pytest.raises(NotConnected) as refused:
        zoom.start_url(meeting.external_id)
    errors.append(refused.value)
    with pytest.raises(NotConnected) as bad_secret:
        ZoomClient(settings_for(fake_zoom, client_secret="not-the-" + ZOOM_CLIENT_SECRET)).check("ada@example.com")
    errors.append(bad_secret.value)

    assert caplog.records, "the retry above should have been logged"
    secrets = [ZOOM_CLIENT_SECRET, start_url, *fake_zoom.issued, meeting.join_url, meeting.password]
    basic = base64.b64encode(f"{ZOOM_CLIENT_ID}:{ZOOM_CLIENT_SECRET}".encode()).decode()
    for secret in [*secrets, basic]:
        assert secret not in caplog.text
        for error in errors:
            assert secret not in str(error) and secret not in repr(error)
    assert ZOOM_CLIENT_SECRET not in repr(settings)
