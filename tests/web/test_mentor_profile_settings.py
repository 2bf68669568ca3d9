"""A mentor's public profile settings page: headline, bio, specialties, languages and the session types offered."""
import re

import pytest

from meetapp.extensions import db
from meetapp.models import MentorProfile
from tests.support import MENTEE_EMAIL, MENTOR_EMAIL
from tests.web.helpers import field_errors, logged_in_csrf_client

PAGE = "/settings/mentor-profile"
ALL_TYPES = ["Standard", "Quick check-up", "Extended session", "Follow-up"]
GOOD = {
    "headline": "Backend engineer",
    "bio": "Ten years of Python.\nHappy to help.",
    "specialties": "Careers, Python, Interview practice",
    "languages": "English, German",
    "session_types": ["Standard", "Follow-up"],
}


def stored(app, mentor_id: int) -> dict:
    with app.app_context():
        profile = db.session.get(MentorProfile, mentor_id)
        return {
            "headline": profile.headline,
            "bio": profile.bio,
            "specialties": [tag.name for tag in profile.specialties],
            "languages": [tag.name for tag in profile.languages],
            "session_types": [kind.name for kind in profile.offered_types],
        }


def ticked(page: str) -> list[str]:
    return re.findall(r'<input [^>]*\bchecked\b[^>]*name="session_types" type="checkbox" value="([^"]+)"', page)


def offered_boxes(page: str) -> list[str]:
    return re.findall(r'<input [^>]*name="session_types" type="checkbox" value="([^"]+)"', page)


def save(client, **changes):
    return client.post(PAGE, data={**GOOD, **changes})


def test_anonymous_is_sent_to_log_in(client, mentor):
    assert client.get(PAGE).headers["Location"] == "/auth/login?next=%2Fsettings%2Fmentor-profile"
    response = save(client)
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize("role", ["mentee", "admin"])
def test_only_mentors_have_the_page(client, auth, app, people, mentor, role):
    people.make(role, "Not Amentor")
    auth.login("not.amentor@example.com")
    for response in (client.get(PAGE), save(client)):
        assert response.status_code == 403
        assert "Only mentors have a public profile" in response.get_data(as_text=True)
    assert stored(app, mentor)["headline"] is None


def test_a_new_mentor_offers_every_type_on_jitsi(client, auth, mentor):
    auth.login(MENTOR_EMAIL)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert offered_boxes(page) == ALL_TYPES
    assert ticked(page) == ALL_TYPES
    assert "None ticked = you offer all." in page
    assert "Video: Jitsi" in page
    assert f'href="/mentors/{mentor}"' in page
    assert "e.g. Careers, Python, Interview practice" in page
    assert re.search(r'<label for="headline">Headline</label>', page)


def test_the_provider_is_shown_by_name_never_by_address(client, auth, app, mentor):
    with app.app_context():
        profile = db.session.get(MentorProfile, mentor)
        profile.video_provider, profile.manual_meeting_url = "manual", "https://zoom.us/j/5550123"
        db.session.commit()
    auth.login(MENTOR_EMAIL)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Video: My own meeting link" in page
    assert "5550123" not in page and "zoom.us/j" not in page


def test_every_field_is_saved_and_shown_back(client, auth, app, mentor):
    auth.login(MENTOR_EMAIL)
    response = save(client, specialties=" Careers,python ,, CAREERS, Interview   practice")
    assert response.status_code == 302
    assert response.headers["Location"] == PAGE
    assert stored(app, mentor) == {
        "headline": "Backend engineer",
        "bio": "Ten years of Python.\nHappy to help.",
        # Stored in tag order (by their lower-case key); the first spelling of a repeated one is kept.
        "specialties": ["Careers", "Interview practice", "python"],
        "languages": ["English", "German"],
        "session_types": ["Standard", "Follow-up"],
    }
    page = client.get(PAGE).get_data(as_text=True)
    assert '<p class="flash flash-success">Your profile is saved.</p>' in page
    assert 'value="Backend engineer"' in page
    assert "Ten years of Python.\nHappy to help.</textarea>" in page
    assert 'value="Careers, Interview practice, python"' in page
    assert 'value="English, German"' in page
    assert ticked(page) == ["Standard", "Follow-up"]


def test_ticking_none_offers_every_type(client, auth, app, mentor):
    auth.login(MENTOR_EMAIL)
    save(client)
    data = {key: value for key, value in GOOD.items() if key != "session_types"}
    assert client.post(PAGE, data=data).status_code == 302
    assert stored(app, mentor)["session_types"] == []
    assert ticked(client.get(PAGE).get_data(as_text=True)) == ALL_TYPES


def test_emptied_fields_are_cleared(client, auth, app, mentor):
    auth.login(MENTOR_EMAIL)
    save(client)
    assert save(client, headline="  ", bio="", specialties=" , ", languages="").status_code == 302
    assert stored(app, mentor) == {
        "headline": None, "bio": None, "specialties": [], "languages": [], "session_types": ["Standard", "Follow-up"]
    }


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"headline": "h" * 121}, "headline", "Keep it to 120 characters."),
        ({"bio": "b" * 4001}, "bio", "Keep it to 4000 characters."),
        ({"specialties": "Careers, " + "x" * 41}, "specialties", "Keep each to 40 characters"),
        ({"specialties": ", ".join(f"tag{n}" for n in range(13))}, "specialties", "Give at most 12."),
        ({"languages": "English, " + "y" * 41}, "languages", "Keep each to 40 characters"),
        ({"session_types": ["Standard", "Tea party"]}, "session_types", "There is no session type called &#39;Tea party&#39;."),
    ],
)
def test_bad_input_is_400_next_to_its_field_and_stores_nothing(client, auth, app, mentor, changes, field, message):
    auth.login(MENTOR_EMAIL)
    save(client)
    before = stored(app, mentor)
    response = save(client, **{**changes, "headline": changes.get("headline", "Changed headline")})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in field_errors(page, field)
    assert re.search(rf'aria-describedby="[^"]*{field}-error', page)
    # The error summary's link leads to the field (for the checkboxes, to their group).
    assert f'<a href="#{field}">' in page and f'id="{field}"' in page
    assert stored(app, mentor) == before
    # What was typed stays in the form.
    assert 'value="Changed headline"' in page or "h" * 121 in page
    if field != "session_types":
        assert ticked(page) == ["Standard", "Follow-up"]


def test_a_nul_character_is_refused_and_stores_nothing(client, auth, app, mentor):
    auth.login(MENTOR_EMAIL)
    save(client)
    before = stored(app, mentor)
    assert save(client, headline="Evil\x00headline").status_code == 400
    assert save(client, specialties="Python, Ev\x00il").status_code == 400
    assert stored(app, mentor) == before


def test_the_settings_page_links_here_for_mentors_only(client, auth, mentor, mentee):
    auth.login(MENTOR_EMAIL)
    page = client.get("/settings/").get_data(as_text=True)
    assert "For mentors" in page and f'href="{PAGE}"' in page and 'href="/settings/availability"' in page
    auth.logout()
    auth.login(MENTEE_EMAIL)
    page = client.get("/settings/").get_data(as_text=True)
    assert "For mentors" not in page and PAGE not in page


def test_saving_needs_the_csrf_token(csrf_app):
    client, mentor_id = logged_in_csrf_client(csrf_app)
    page = client.get(PAGE).get_data(as_text=True)
    form = re.search(rf'<form method="post" action="{PAGE}"[^>]*>\s*<input [^>]*>', page).group(0)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)

    refused = save(client)
    assert refused.status_code == 400
    assert "Your form expired" in refused.get_data(as_text=True)
    assert stored(csrf_app, mentor_id)["headline"] is None

    assert client.post(PAGE, data={**GOOD, "csrf_token": token}).status_code == 302
    assert stored(csrf_app, mentor_id)["headline"] == "Backend engineer"
