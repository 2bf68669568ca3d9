"""The time zone list: current zones grouped by region, without the old aliases, a search that works
without JavaScript, and people whose saved zone is an older name (issue 20, item 16)."""
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from meetapp.domain.timeutil import find_timezones, is_timezone, listed_timezone, listed_timezones, utc_offset
from meetapp.extensions import db
from meetapp.models import User
from tests.support import MENTEE_EMAIL

OLD_NAMES = ("Africa/Asmera", "America/Atka", "US/Eastern", "Asia/Calcutta", "Etc/GMT+5", "GB", "EST5EDT")


def zone_select(page: str) -> str:
    return re.search(r'<select [^>]*name="timezone"[^>]*>(.*?)</select>', page, re.S).group(1)


def offered(page: str) -> list[str]:
    return re.findall(r'<option [^>]*value="([^"]+)"', zone_select(page))


def selected(page: str) -> str:
    return re.search(r'<option [^>]*\bselected\b[^>]*value="([^"]+)"', zone_select(page)).group(1)


def found_status(page: str) -> str:
    return " ".join(re.search(r'<p class="hint timezone-found" id="timezone-found" role="status">(.*?)</p>', page,
                              re.S).group(1).split())


def stored_zone(app, email: str) -> str:
    with app.app_context():
        return db.session.scalar(sa.select(User.timezone).where(User.email == email))


# The list itself ----------------------------------------------------------------------------


def test_the_list_has_the_current_zones_and_none_of_the_old_names():
    names = [zone.name for zone in listed_timezones()]
    assert 400 < len(names) < 450, "zone.tab's zones and UTC, not the ~600 names of the tz database"
    assert len(set(names)) == len(names)
    assert {"UTC", "Europe/Berlin", "Europe/Oslo", "Asia/Kolkata", "Africa/Asmara", "America/Adak"} <= set(names)
    assert not set(OLD_NAMES) & set(names)
    assert all(is_timezone(name) for name in names)


def test_old_names_belong_to_the_place_they_name():
    assert listed_timezone("Asia/Calcutta").name == "Asia/Kolkata"
    # Asmera shares Nairobi's clock, but it is Asmara spelt the old way.
    assert listed_timezone("Africa/Asmera").name == "Africa/Asmara"
    assert listed_timezone("America/Atka").name == "America/Adak"
    assert listed_timezone("GB").name == "Europe/London"
    assert listed_timezone("Etc/UTC").name == "UTC"
    assert listed_timezone("Mars/Olympus_Mons") is None


def test_places_are_spelt_out_by_region():
    zones = {zone.name: zone for zone in listed_timezones()}
    assert (zones["Europe/Berlin"].region, zones["Europe/Berlin"].place) == ("Europe", "Berlin, Germany")
    assert zones["America/Indiana/Indianapolis"].place == "Indianapolis (Indiana), United States"
    assert zones["America/Argentina/Buenos_Aires"].place == "Buenos Aires, Argentina"
    assert zones["America/New_York"].region == "Americas"
    assert listed_timezones()[0].name == "UTC"


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("calcutta", ["Asia/Kolkata"]),
        ("Germany", ["Europe/Berlin", "Europe/Busingen"]),
        ("buenos aires", ["America/Argentina/Buenos_Aires"]),
        ("  Buenos_Aires ", ["America/Argentina/Buenos_Aires"]),
        ("no such place", []),
    ],
)
def test_the_search_matches_names_places_countries_and_old_names(query, names):
    assert [zone.name for zone in find_timezones(query)] == names


def test_offsets_follow_daylight_saving_time():
    winter, summer = datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 7, 15, tzinfo=UTC)
    assert (utc_offset("Europe/Berlin", winter), utc_offset("Europe/Berlin", summer)) == ("UTC+01:00", "UTC+02:00")
    assert utc_offset("America/St_Johns", winter) == "UTC-03:30"
    assert utc_offset("Asia/Kolkata", summer) == "UTC+05:30"
    assert utc_offset("UTC", summer) == "UTC+00:00"


# Registering ---------------------------------------------------------------------------------


def test_the_register_page_groups_the_zones_by_region(client, clock):
    page = client.get("/auth/register").get_data(as_text=True)
    select = zone_select(page)
    assert select.index('<optgroup label="Africa">') < select.index('<optgroup label="Americas">')
    assert select.index('<optgroup label="Asia">') < select.index('<optgroup label="Europe">')
    assert re.search(r'<option [^>]*selected value="UTC">UTC \(Coordinated Universal Time\)</option>', select)
    assert re.search(r'<option [^>]*value="Europe/Berlin">Berlin, Germany \(UTC\+01:00\)</option>', select)
    assert '<option data-aliases="Asia/Calcutta" value="Asia/Kolkata">Kolkata, India (UTC+05:30)</option>' in select
    assert len(offered(page)) == len(listed_timezones())
    assert not set(OLD_NAMES) & set(offered(page))
    # Without JavaScript UTC stays; app.js preselects the browser's zone.
    assert "data-guess-timezone" in page


def test_the_search_without_javascript_narrows_the_list_and_picks_the_match(client, clock):
    page = client.get("/auth/register?tz_search=calcutta").get_data(as_text=True)
    assert offered(page) == ["Asia/Kolkata"]
    assert selected(page) == "Asia/Kolkata"
    assert found_status(page) == "1 zone matches “calcutta”; the list shows only those."
    assert re.search(r'<input id="timezone-search" name="tz_search" type="search" form="timezone-search-form"\s+'
                     r'value="calcutta"', page)
    assert '<form id="timezone-search-form" method="get" action="/auth/register#timezone" hidden></form>' in page
    # Someone who searched chose: the browser's guess does not overrule them.
    assert "data-guess-timezone" not in page


def test_a_search_that_finds_nothing_keeps_the_whole_list(client, clock):
    page = client.get("/auth/register?tz_search=" + "atlantis" * 40).get_data(as_text=True)
    assert len(offered(page)) == len(listed_timezones())
    assert selected(page) == "UTC"
    assert found_status(page).startswith("No zone matches “atlantisatlantis")
    assert "atlantis" * 13 not in found_status(page), "the search is cut at 100 characters"


def test_a_search_for_several_zones_shows_them_all(client, clock):
    page = client.get("/auth/register?tz_search=germany").get_data(as_text=True)
    assert offered(page) == ["Europe/Berlin", "Europe/Busingen"]
    assert selected(page) == "Europe/Berlin"
    assert found_status(page) == "2 zones match “germany”; the list shows only those."


def test_registering_still_accepts_any_iana_name(app, client, clock):
    form = {"email": "ravi@example.com", "name": "Ravi", "password": "long enough", "confirm": "long enough",
            "role": "mentee", "timezone": "Asia/Calcutta"}
    assert client.post("/auth/register", data=form).status_code == 200
    assert stored_zone(app, "ravi@example.com") == "Asia/Calcutta"


# Settings --------------------------------------------------------------------------------------


def test_a_saved_old_name_is_shown_and_kept(app, client, auth, clock, mentee):
    with app.app_context():
        db.session.scalar(sa.select(User).where(User.email == MENTEE_EMAIL)).timezone = "US/Eastern"
        db.session.commit()
    auth.login(MENTEE_EMAIL)
    page = client.get("/settings/").get_data(as_text=True)
    assert selected(page) == "US/Eastern"
    assert '<option selected value="US/Eastern">US/Eastern (another name for New York, United States)</option>' in page
    assert offered(page).count("US/Eastern") == 1
    # Saving the name alone changes nobody's zone.
    assert client.post("/settings/profile", data={"name": "Max M.", "timezone": "US/Eastern"}).status_code == 302
    assert stored_zone(app, MENTEE_EMAIL) == "US/Eastern"


def test_the_settings_search_narrows_the_list(client, auth, clock, mentee):
    auth.login(MENTEE_EMAIL)
    page = client.get("/settings/?tz_search=tokyo").get_data(as_text=True)
    assert offered(page) == ["Asia/Tokyo"]
    assert selected(page) == "Asia/Tokyo"
    assert '<form id="timezone-search-form" method="get" action="/settings/#timezone" hidden></form>' in page
    # The list shows the saved zone again once the search is left out.
    assert selected(client.get("/settings/").get_data(as_text=True)) == "America/New_York"
