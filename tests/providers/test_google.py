"""The Google Meet client against the fake Google: service-account and refresh-token tokens, spaces, and failures."""
import json

import jwt
import pytest

from meetapp.providers import MeetingGone, NotConnected, Rejected, Unavailable
from meetapp.providers.google import GoogleMeetClient, GoogleSettings
from tests.providers.fakes import (
    GOOGLE_CLIENT_ID,
    GOOGLE_CLIENT_SECRET,
    GOOGLE_REFRESH_TOKEN,
    GOOGLE_SCOPE,
    JWT_BEARER,
)

SERVICE_ACCOUNT = "meetapp@meetapp-project.iam.gserviceaccount.com"


@pytest.fixture
def key_json(fake_google, rsa_key):
    pem, public_key = rsa_key
    fake_google.add_service_account(SERVICE_ACCOUNT, public_key)
    return json.dumps({
        "type": "service_account", "project_id": "meetapp-project", "private_key_id": "key-1",
        "private_key": pem, "client_email": SERVICE_ACCOUNT, "client_id": "1234567890",
        "token_uri": fake_google.token_url,
    })


def service_account_client(fake_google, key_json, clock, sleeps, **overrides) -> GoogleMeetClient:
    values = {"service_account_key": key_json, "api_base_url": fake_google.api_url, "timeout": 2.0}
    settings = GoogleSettings(**(values | overrides))
    return GoogleMeetClient(settings, clock=clock, sleep=sleeps.append)


@pytest.fixture
def meet(fake_google, key_json, fake_clock, sleeps):
    return service_account_client(fake_google, key_json, fake_clock, sleeps)


@pytest.fixture
def refresh_meet(fake_google, fake_clock, sleeps):
    settings = GoogleSettings(client_id=GOOGLE_CLIENT_ID, client_secret=GOOGLE_CLIENT_SECRET,
                              refresh_token=GOOGLE_REFRESH_TOKEN, token_url=fake_google.token_url,
                              api_base_url=fake_google.api_url)
    return GoogleMeetClient(settings, clock=fake_clock, sleep=sleeps.append)


def test_check_proves_delegation_for_the_workspace_user(meet):
    assert meet.check("ada@example.com") == "Google Workspace user ada@example.com"


def test_the_assertion_is_an_rs256_jwt_for_the_mentor_verifiable_with_the_public_key(
    meet, fake_google, fake_clock, rsa_key
):
    meet.check("ada@example.com")
    [sent] = fake_google.sent("POST", "/token")
    assert sent.form["grant_type"] == JWT_BEARER
    assertion = sent.form["assertion"]
    claims = jwt.decode(assertion, rsa_key[1], algorithms=["RS256"], audience=fake_google.token_url,
                        options={"verify_exp": False, "verify_iat": False})
    assert claims == {"iss": SERVICE_ACCOUNT, "sub": "ada@example.com", "scope": GOOGLE_SCOPE,
                      "aud": fake_google.token_url, "iat": int(fake_clock()), "exp": int(fake_clock()) + 3600}
    assert jwt.get_unverified_header(assertion) == {"alg": "RS256", "typ": "JWT", "kid": "key-1"}


def test_the_key_can_come_from_a_file(fake_google, key_json, fake_clock, sleeps, tmp_path):
    path = tmp_path / "service-account.json"
    path.write_text(key_json)
    settings = GoogleSettings(service_account_file=str(path), api_base_url=fake_google.api_url)
    assert settings.configured and settings.uses_service_account
    assert GoogleMeetClient(settings, clock=fake_clock).create_space("ada@example.com").provider == "google"


def test_an_unreadable_key_is_not_connected_and_says_why(fake_google, fake_clock, tmp_path, rsa_key):
    missing = GoogleSettings(service_account_file=str(tmp_path / "nope.json"), api_base_url=fake_google.api_url)
    with pytest.raises(NotConnected, match="cannot be read"):
        GoogleMeetClient(missing, clock=fake_clock).check("ada@example.com")
    no_email = GoogleSettings(service_account_key=json.dumps({"private_key": rsa_key[0]}))
    with pytest.raises(NotConnected) as caught:
        GoogleMeetClient(no_email, clock=fake_clock).check("ada@example.com")
    assert "no client_email" in str(caught.value)
    assert "PRIVATE KEY" not in str(caught.value)
    assert fake_google.requests == []


def test_tokens_are_cached_per_mentor(meet, fake_google):
    meet.check("ada@example.com")
    meet.create_space("ada@example.com")
    meet.create_space("Ada@Example.com")
    assert len(fake_google.issued) == 1
    meet.create_space("bob@example.com")
    assert len(fake_google.issued) == 2
    subjects = [claims["sub"] for _, claims in fake_google.assertions]
    assert subjects == ["ada@example.com", "bob@example.com"]


def test_the_token_is_renewed_shortly_before_it_expires(meet, fake_google, fake_clock):
    meet.check("ada@example.com")
    fake_clock.advance(3599 - 61)
    meet.create_space("ada@example.com")
    assert len(fake_google.issued) == 1
    fake_clock.advance(2)
    meet.create_space("ada@example.com")
    assert len(fake_google.issued) == 2
    assert fake_google.assertions[1][1]["iat"] == int(fake_clock())


def test_a_user_outside_the_workspace_is_not_connected(meet):
    with pytest.raises(NotConnected) as caught:
        meet.check("mallory@elsewhere.example")
    assert "Invalid email or User ID" in str(caught.value)
    assert "mallory@elsewhere.example is a user of your Google Workspace" in str(caught.value)


def test_missing_domain_wide_delegation_is_not_connected(meet, fake_google):
    fake_google.delegation_allowed = False
    with pytest.raises(NotConnected, match="domain-wide delegation") as caught:
        meet.check("ada@example.com")
    assert caught.value.transient is False


def test_a_service_account_needs_the_mentor_s_email(meet, fake_google):
    with pytest.raises(NotConnected, match="Google Workspace email"):
        meet.create_space(None)
    assert fake_google.requests == []


def test_an_unconfigured_client_says_so(fake_google):
    meet = GoogleMeetClient(GoogleSettings(api_base_url=fake_google.api_url, token_url=fake_google.token_url))
    assert meet.settings.configured is False
    with pytest.raises(NotConnected, match="not configured"):
        meet.check(None)
    assert fake_google.requests == []


def test_refresh_token_mode_gets_a_token_for_the_one_account(refresh_meet, fake_google):
    assert refresh_meet.check(None) == f"Google account connected through OAuth client {GOOGLE_CLIENT_ID}"
    [sent] = fake_google.sent("POST", "/token")
    assert sent.form == {"grant_type": "refresh_token", "client_id": GOOGLE_CLIENT_ID,
                         "client_secret": GOOGLE_CLIENT_SECRET, "refresh_token": GOOGLE_REFRESH_TOKEN}
    space = refresh_meet.create_space("anyone@example.com")
    assert fake_google.spaces[space.external_id]["owner"] == "owner@example.com"
    assert len(fake_google.issued) == 1


def test_a_revoked_refresh_token_asks_to_connect_again(refresh_meet, fake_google):
    fake_google.refresh_tokens.clear()
    with pytest.raises(NotConnected, match="connect the Google account again"):
        refresh_meet.check(None)


def test_a_wrong_client_secret_is_not_connected(fake_google, fake_clock):
    settings = GoogleSettings(client_id=GOOGLE_CLIENT_ID, client_secret="wrong", refresh_token=GOOGLE_REFRESH_TOKEN,
                              token_url=fake_google.token_url, api_base_url=fake_google.api_url)
    with pytest.raises(NotConnected, match="OAuth client ID or secret"):
        GoogleMeetClient(settings, clock=fake_clock).check(None)


def test_create_space_asks_for_the_configured_access_type(meet, fake_google):
    space = meet.create_space("ada@example.com")
    [sent] = fake_google.sent("POST", "/v2/spaces")
    assert sent.json == {"config": {"accessType": "TRUSTED"}}
    stored = fake_google.spaces[space.external_id]
    assert space.external_id.startswith("spaces/")
    assert (space.join_url, space.meeting_code) == (stored["meetingUri"], stored["meetingCode"])
    assert space.join_url.startswith("https://meet.google.com/")
    assert space.notice is None and space.password is None
    assert stored["owner"] == "ada@example.com"


def test_another_access_type_can_be_configured(fake_google, key_json, fake_clock, sleeps):
    meet = service_account_client(fake_google, key_json, fake_clock, sleeps, access_type="RESTRICTED")
    space = meet.create_space("ada@example.com")
    assert fake_google.spaces[space.external_id]["config"]["accessType"] == "RESTRICTED"


def test_an_unknown_access_type_is_refused_at_once():
    with pytest.raises(ValueError, match="access_type"):
        GoogleSettings(access_type="PUBLIC")


@pytest.mark.parametrize("status", [400, 403])
def test_a_refused_access_type_falls_back_to_the_default_and_says_so(meet, fake_google, status):
    fake_google.refuse_access_type("TRUSTED", status=status)
    space = meet.create_space("ada@example.com")
    bodies = [r.json for r in fake_google.sent("POST", "/v2/spaces")]
    assert bodies == [{"config": {"accessType": "TRUSTED"}}, {}]
    assert space.external_id in fake_google.spaces and len(fake_google.spaces) == 1
    assert space.notice == ("Your Google Workspace does not allow the trusted access type, so this meeting uses "
                            "your organisation's default access settings.")


def test_a_refusal_that_is_not_about_access_type_is_not_retried(meet, fake_google):
    meet.check("ada@example.com")
    fake_google.api_disabled = True
    with pytest.raises(NotConnected, match="Meet REST API has not been used"):
        meet.create_space("ada@example.com")
    assert len(fake_google.sent("POST", "/v2/spaces")) == 1


def test_a_revoked_token_is_replaced_once_and_the_request_resent(meet, fake_google):
    meet.check("ada@example.com")
    fake_google.expire_tokens()
    space = meet.create_space("ada@example.com")
    assert len(fake_google.issued) == 2
    assert len(fake_google.sent("POST", "/v2/spaces")) == 2
    assert list(fake_google.spaces) == [space.external_id]


def test_end_conference_ends_the_active_conference(meet, fake_google):
    space = meet.create_space("ada@example.com")
    fake_google.start_conference(space.external_id)
    meet.end_conference(space.external_id, "ada@example.com")
    [sent] = fake_google.sent("POST", ":endActiveConference")
    assert sent.path == f"/v2/{space.external_id}:endActiveConference"
    assert sent.json == {}
    assert "activeConference" not in fake_google.spaces[space.external_id]


def test_ending_when_there_is_no_conference_or_no_space_is_fine(meet, fake_google):
    space = meet.create_space("ada@example.com")
    meet.end_conference(space.external_id, "ada@example.com")
    meet.end_conference("spaces/doesNotExist1", "ada@example.com")
    assert len(fake_google.sent("POST", ":endActiveConference")) == 2  # answered 400, then 404


def test_ending_someone_else_s_space_is_refused(meet, fake_google):
    space = meet.create_space("ada@example.com")
    fake_google.start_conference(space.external_id)
    with pytest.raises(NotConnected, match="does not have permission"):
        meet.end_conference(space.external_id, "bob@example.com")
    assert "activeConference" in fake_google.spaces[space.external_id]


@pytest.mark.parametrize("name", ["spaces/abc/../../x", "conferenceRecords/abc", "spaces/", "spaces/a?b"])
def test_end_conference_refuses_names_that_are_not_spaces(meet, fake_google, name):
    with pytest.raises(ValueError):
        meet.end_conference(name, "ada@example.com")
    assert fake_google.requests == []


def test_a_short_rate_limit_is_waited_out_even_for_a_create(meet, fake_google, sleeps):
    meet.check("ada@example.com")
    fake_google.rate_limit(times=1, retry_after="2", path="/v2/spaces")
    meet.create_space("ada@example.com")
    assert sleeps == [2.0] and len(fake_google.spaces) == 1


def test_a_create_is_not_resent_after_a_server_error(meet, fake_google):
    meet.check("ada@example.com")
    fake_google.fail(times=1, status=500, path="/v2/spaces")
    with pytest.raises(Unavailable):
        meet.create_space("ada@example.com")
    assert len(fake_google.sent("POST", "/v2/spaces")) == 1


def test_end_conference_is_retried_after_a_server_error(meet, fake_google, sleeps):
    space = meet.create_space("ada@example.com")
    fake_google.start_conference(space.external_id)
    fake_google.fail(times=1, status=503, path=":endActiveConference")
    meet.end_conference(space.external_id, "ada@example.com")
    assert len(sleeps) == 1
    assert "activeConference" not in fake_google.spaces[space.external_id]


def test_a_slow_google_is_unavailable_quickly(fake_google, key_json, fake_clock, sleeps):
    meet = service_account_client(fake_google, key_json, fake_clock, sleeps, timeout=0.15)
    meet.check("ada@example.com")
    fake_google.slow_down(0.4, times=5, path="/v2/spaces")
    with pytest.raises(Unavailable, match="did not answer within 0.15 s"):
        meet.create_space("ada@example.com")
    assert len(fake_google.sent("POST", "/v2/spaces")) == 1


def test_other_client_errors_are_rejected(meet, fake_google):
    meet.check("ada@example.com")
    fake_google.fail(times=1, status=409, path="/v2/spaces")
    with pytest.raises(Rejected) as caught:
        meet.create_space("ada@example.com")
    assert not isinstance(caught.value, MeetingGone) and caught.value.transient is False


def test_secrets_and_tokens_stay_out_of_logs_and_errors(
    fake_google, key_json, refresh_meet, fake_clock, sleeps, rsa_key, caplog
):
    caplog.set_level("DEBUG")
    meet = service_account_client(fake_google, key_json, fake_clock, sleeps)
    space = meet.create_space("ada@example.com")
    fake_google.expire_tokens()
    fake_google.fail(times=1, status=503, path=":endActiveConference")
    meet.end_conference(space.external_id, "ada@example.com")
    refresh_meet.check(None)
    errors = []
    fake_google.refresh_tokens.clear()
    fake_google.expire_tokens()
    fake_google.delegation_allowed = False
    for failing in (lambda: meet.create_space("ada@example.com"),
                    lambda: GoogleMeetClient(refresh_meet.settings, clock=fake_clock).check(None)):
        with pytest.raises(NotConnected) as caught:
            failing()
        errors.append(caught.value)

    assert "HTTP 503" in caplog.text
    assertions = [r.form["assertion"] for r in fake_google.sent("POST", "/token") if "assertion" in r.form]
    key_body = rsa_key[0].splitlines()[1]
    secrets = [GOOGLE_CLIENT_SECRET, GOOGLE_REFRESH_TOKEN, key_body, *fake_google.issued, *assertions,
               space.join_url]
    for secret in secrets:
        assert secret not in caplog.text
        for error in errors:
            assert secret not in str(error) and secret not in repr(error)
    assert GOOGLE_CLIENT_SECRET not in repr(refresh_meet.settings) and GOOGLE_REFRESH_TOKEN not in repr(
        refresh_meet.settings)
    assert key_body not in repr(meet.settings)
