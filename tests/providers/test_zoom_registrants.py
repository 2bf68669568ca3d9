"""The Zoom client's registrants, against the fake Zoom: meetings take registration, and each person gets their own link."""
from datetime import UTC, datetime

import pytest

from meetapp.providers import MeetingGone, Rejected, Unavailable
from meetapp.providers.zoom import ZoomClient, ZoomSettings
from tests.providers.fakes import ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET

STARTS_AT = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.fixture
def zoom(fake_zoom, fake_clock, sleeps):
    settings = ZoomSettings(account_id=ZOOM_ACCOUNT_ID, client_id=ZOOM_CLIENT_ID, client_secret=ZOOM_CLIENT_SECRET,
                            api_base_url=fake_zoom.api_url, oauth_url=fake_zoom.oauth_url, timeout=2.0)
    return ZoomClient(settings, clock=fake_clock, sleep=sleeps.append)


@pytest.fixture
def meeting_id(zoom) -> str:
    return zoom.create_meeting("ada@example.com", topic="Career chat", starts_at=STARTS_AT, duration_minutes=45,
                               timezone="UTC").external_id


def test_meetings_are_made_with_registration_approved_at_once_and_no_mail_from_zoom(zoom, fake_zoom, meeting_id):
    settings = fake_zoom.meetings[int(meeting_id)]["settings"]
    assert settings["approval_type"] == 0
    assert settings["registrants_confirmation_email"] is False and settings["registrants_email_notification"] is False


def test_register_sends_the_person_and_returns_their_own_link(zoom, fake_zoom, meeting_id):
    registrant = zoom.register(meeting_id, email="max.mentee@example.com", first_name="Max", last_name="Mentee")
    [sent] = fake_zoom.sent("POST", f"/v2/meetings/{meeting_id}/registrants")
    assert sent.json == {"email": "max.mentee@example.com", "first_name": "Max", "last_name": "Mentee"}
    held = fake_zoom.registrant_of(meeting_id, "max.mentee@example.com")
    assert registrant.registrant_id == held["id"]
    assert registrant.join_url == held["join_url"] != fake_zoom.meetings[int(meeting_id)]["join_url"]
    assert registrant.join_url not in repr(registrant), "a repr ends up in logs; the link must not"


def test_two_people_get_two_links(zoom, meeting_id):
    max_ = zoom.register(meeting_id, email="max@example.com", first_name="Max", last_name="")
    mia = zoom.register(meeting_id, email="mia@example.com", first_name="Mia", last_name="")
    assert max_.registrant_id != mia.registrant_id and max_.join_url != mia.join_url


def test_a_one_word_name_sends_no_last_name_and_long_names_are_cut(zoom, fake_zoom, meeting_id):
    zoom.register(meeting_id, email="cher@example.com", first_name="Cher", last_name="")
    zoom.register(meeting_id, email="long@example.com", first_name="A" * 80, last_name="B" * 80)
    first, second = [request.json for request in fake_zoom.sent("POST", "/registrants")]
    assert first == {"email": "cher@example.com", "first_name": "Cher"}
    assert len(second["first_name"]) == 64 and len(second["last_name"]) == 64


def test_registering_for_a_deleted_meeting_says_it_is_gone(zoom, meeting_id):
    zoom.delete_meeting(meeting_id)
    with pytest.raises(MeetingGone):
        zoom.register(meeting_id, email="max@example.com", first_name="Max", last_name="")


def test_a_meeting_without_registration_refuses_registrants(zoom, fake_zoom, meeting_id):
    fake_zoom.meetings[int(meeting_id)]["settings"]["approval_type"] = 2  # made before meetapp asked for registration
    with pytest.raises(Rejected, match="Registration has not been enabled"):
        zoom.register(meeting_id, email="max@example.com", first_name="Max", last_name="")


def test_zoom_refuses_an_address_that_is_not_one(zoom, meeting_id):
    with pytest.raises(Rejected, match="Validation Failed"):
        zoom.register(meeting_id, email="not-an-address", first_name="Max", last_name="")


def test_a_zoom_that_is_down_is_unavailable(zoom, fake_zoom, meeting_id):
    fake_zoom.fail(times=5, status=503, path="/registrants")
    with pytest.raises(Unavailable):
        zoom.register(meeting_id, email="max@example.com", first_name="Max", last_name="")
    assert len(fake_zoom.sent("POST", "/registrants")) == 1, "a create is not sent twice after a server error"
