"""The mentors pages: the list (search, filters, pages) and a profile with the next free times in the
viewer's zone, each a button that asks for that time."""
import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from meetapp.domain.accounts import MentorApproval
from meetapp.domain.scheduling import Role
from meetapp.extensions import db
from meetapp.models import MentoringSession, MentorProfile, User
from meetapp.services import booking, mentors
from tests.support import MENTEE_EMAIL, NOW

CHLOE_EMAIL = "chloe@example.com"
ADMIN_EMAIL = "ada.admin@example.com"
MONDAY_MORNING = {"mon": [["09:00", "12:00"]]}
SECRET_ADDRESS = "https://meet.example.org/amara-private-room-7x9"


def set_profile(app, user_id: int, *, headline=None, bio=None, specialties=(), languages=(), session_types=(), **fields):
    """The mentor's public profile through the service, then any other profile column as it is given."""
    with app.app_context():
        user = db.session.get(User, user_id)
        mentors.update_profile(
            user,
            headline=headline,
            bio=bio,
            specialties=list(specialties),
            languages=list(languages),
            session_types=list(session_types),
        )
        for name, value in fields.items():
            setattr(user.mentor_profile, name, value)
        db.session.commit()


def set_user(app, user_id: int, **fields):
    with app.app_context():
        user = db.session.get(User, user_id)
        for name, value in fields.items():
            setattr(user, name, value)
        db.session.commit()


def text_of(page: str) -> str:
    """The page's text as a person reads it: tags out, entities decoded, white space single."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())


def results_of(page: str) -> list[str]:
    """The names in the list of mentors, in order."""
    return [html.unescape(name) for name in re.findall(r'<h3 class="mentor-name"><a href="/mentors/\d+">([^<]*)</a>', page)]


def slot_buttons(page: str) -> list[tuple[str, str]]:
    """(UTC value, text read aloud) of each slot button."""
    return [
        (value, text_of(label))
        for value, label in re.findall(r'<button class="button mentor-slot" type="submit" name="slot" value="([^"]*)">(.*?)</button>', page)
    ]


def day_titles(page: str) -> list[str]:
    return re.findall(r'<h3 class="mentor-day-title">([^<]*)</h3>', page)


@pytest.fixture
def chloe(people):
    return people.make("mentee", "Chloé Martin", email=CHLOE_EMAIL, timezone="America/Los_Angeles")


@pytest.fixture
def amara(app, people):
    """A Berlin mentor who takes sessions on Monday mornings, 09:00–12:00 her time."""
    amara = people.make("mentor", "Amara Okafor", email="amara@example.com", timezone="Europe/Berlin")
    set_profile(
        app,
        amara,
        headline="Engineering manager, ex-startup",
        bio="I help people grow.",
        specialties=["Careers", "Python"],
        languages=["English", "Deutsch"],
        weekly_hours=MONDAY_MORNING,
    )
    return amara


def profile_page(client, mentor_id: int):
    response = client.get(f"/mentors/{mentor_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# Who sees the pages -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/mentors", "/mentors/1", "/mentors?q=x&page=2"])
def test_anonymous_people_are_sent_to_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


@pytest.mark.parametrize("role", ["mentee", "mentor", "admin"])
def test_everyone_logged_in_sees_the_list_and_a_profile(client, auth, app, clock, people, amara, role):
    people.make(role, "Some One", email="some.one@example.com")
    auth.login("some.one@example.com")
    listing = client.get("/mentors")
    assert listing.status_code == 200
    assert "Amara Okafor" in results_of(listing.get_data(as_text=True))
    assert "Engineering manager, ex-startup" in profile_page(client, amara)


def test_nav_links_to_the_mentors_before_book(client, auth, clock, amara, mentee):
    auth.login(MENTEE_EMAIL)
    page = client.get("/mentors").get_data(as_text=True)
    assert '<a href="/mentors" aria-current="page">Mentors</a>' in page
    assert page.index(">Mentors</a>") < page.index(">Book</a>")
    assert '<a href="/mentors" aria-current="true">Mentors</a>' in profile_page(client, amara)
    assert '<a href="/mentors">Mentors</a>' in client.get("/").get_data(as_text=True)


# The list -----------------------------------------------------------------------------


def test_only_bookable_mentors_are_listed_or_shown(client, auth, app, clock, people, amara, mentee):
    pending = people.make("mentor", "Pat Pending")
    suspended = people.make("mentor", "Sue Suspended")
    unconfirmed = people.make("mentor", "Uma Unconfirmed")
    set_profile(app, pending, approval=MentorApproval.PENDING)
    set_profile(app, suspended, approval=MentorApproval.SUSPENDED)
    set_user(app, unconfirmed, email_confirmed_at=None)
    admin = people.make("admin", "Ada Admin")
    auth.login(MENTEE_EMAIL)
    page = client.get("/mentors").get_data(as_text=True)
    assert results_of(page) == ["Amara Okafor"]
    assert "1 mentor." in text_of(page)
    for hidden in (pending, suspended, unconfirmed, admin, mentee):
        assert client.get(f"/mentors/{hidden}").status_code == 404


def test_a_card_shows_the_profile_with_the_provider_by_name(client, auth, app, clock, amara, mentee):
    set_profile(
        app,
        amara,
        headline="Engineering manager, ex-startup",
        specialties=["Careers", "Python"],
        languages=["English", "Deutsch"],
        session_types=["Standard", "Follow-up"],
    )
    auth.login(MENTEE_EMAIL)
    page = client.get("/mentors").get_data(as_text=True)
    card = re.search(rf'<li class="mentor-card" id="mentor-{amara}">.*?</li>\s*$', page, re.S | re.M).group(0)
    text = text_of(card)
    assert f'<a href="/mentors/{amara}">Amara Okafor</a>' in card
    assert "Engineering manager, ex-startup" in text
    assert re.findall(r'<li class="mentor-tag">([^<]*)</li>', card) == ["Careers", "Python"]
    assert "Languages: Deutsch, English" in text
    assert "Video: Jitsi" in text
    assert "Sessions: Standard (60 min), Follow-up (30 min)" in text


def test_a_mentor_offering_no_type_in_particular_offers_them_all(client, auth, app, clock, amara, mentee):
    auth.login(MENTEE_EMAIL)
    text = text_of(client.get("/mentors").get_data(as_text=True))
    assert "Sessions: Standard (60 min), Quick check-up (15 min), Extended session (90 min), Follow-up (30 min)" in text


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("amara", ["Amara Okafor"]),
        ("OKAFOR", ["Amara Okafor"]),
        ("engineering", ["Amara Okafor"]),
        ("GROW", ["Amara Okafor"]),  # a word of her bio
        ("pyth", ["Amara Okafor"]),  # part of a specialty
        ("  manager   startup ", ["Amara Okafor"]),  # every word, anywhere, in any order
        ("manager teacher", []),
        ("spanish", ["Bruno Costa"]),
        ("", ["Amara Okafor", "Bruno Costa"]),
    ],
)
def test_search_finds_words_in_name_headline_bio_and_specialties(client, auth, app, clock, people, amara, mentee, search, found):
    bruno = people.make("mentor", "Bruno Costa")
    set_profile(app, bruno, headline="Teacher", bio="Lessons in Spanish and Portuguese.", specialties=["Languages"])
    auth.login(MENTEE_EMAIL)
    response = client.get("/mentors", query_string={"q": search})
    assert response.status_code == 200
    assert results_of(response.get_data(as_text=True)) == found


@pytest.mark.parametrize(("search", "found"), [("100%", ["Per Cent"]), ("snake_case", ["Under Score"]), ("%", ["Per Cent"]), ("_", ["Under Score"])])
def test_percent_and_underscore_are_searched_for_as_they_are(client, auth, app, clock, people, mentee, search, found):
    set_profile(app, people.make("mentor", "Per Cent"), headline="100% remote")
    set_profile(app, people.make("mentor", "Plain Hundred"), headline="1000 remote snakeXcase")
    set_profile(app, people.make("mentor", "Under Score"), headline="snake_case fan")
    auth.login(MENTEE_EMAIL)
    assert results_of(client.get("/mentors", query_string={"q": search}).get_data(as_text=True)) == found


def test_the_search_box_keeps_what_was_typed_escaped(client, auth, clock, amara, mentee):
    auth.login(MENTEE_EMAIL)
    page = client.get("/mentors", query_string={"q": '"><script>x</script>'}).get_data(as_text=True)
    assert "<script>x</script>" not in page
    assert 'value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"' in page
    assert "No mentor matches “\"><script>x</script>”" in text_of(page)


def test_a_very_long_search_is_cut_not_refused(client, auth, clock, amara, mentee):
    auth.login(MENTEE_EMAIL)
    response = client.get("/mentors", query_string={"q": "amara" + " " * 5000 + "zebra"})
    assert response.status_code == 200
    # Only the first 100 characters are searched for: "zebra" is past them.
    assert results_of(response.get_data(as_text=True)) == ["Amara Okafor"]
    response = client.get("/mentors", query_string={"q": "x" * 5000})
    assert response.status_code == 200
    assert results_of(response.get_data(as_text=True)) == []


@pytest.mark.parametrize("args", [{"q": "am\x00ara"}, {"specialty": "\x00"}, {"language": "Deutsch\x00"}])
def test_a_nul_character_is_a_400_with_the_form(client, auth, clock, amara, mentee, args):
    auth.login(MENTEE_EMAIL)
    response = client.get("/mentors", query_string=args)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The search cannot contain control characters." in page
    assert '<form class="search-form"' in page
    assert results_of(page) == []


@pytest.mark.parametrize(
    ("args", "found"),
    [
        ({"specialty": "Python"}, ["Amara Okafor"]),
        ({"specialty": "python"}, ["Amara Okafor"]),
        ({"specialty": "  PYTHON "}, ["Amara Okafor"]),
        ({"specialty": "Pyth"}, []),  # a tag is matched whole
        ({"specialty": "Careers"}, ["Amara Okafor", "Bruno Costa"]),
        ({"language": "deutsch"}, ["Amara Okafor"]),
        ({"language": "Spanish"}, ["Bruno Costa"]),
        ({"language": "Span"}, []),
        ({"specialty": "careers", "language": "SPANISH"}, ["Bruno Costa"]),
        ({"specialty": "Python", "language": "Spanish"}, []),
        ({"specialty": "Careers", "q": "teacher"}, ["Bruno Costa"]),
        ({"specialty": "", "language": ""}, ["Amara Okafor", "Bruno Costa"]),
    ],
)
def test_specialty_and_language_filters_match_whole_tags_in_any_case(client, auth, app, clock, people, amara, mentee, args, found):
    bruno = people.make("mentor", "Bruno Costa")
    set_profile(app, bruno, headline="Teacher", specialties=["careers"], languages=["Spanish"])
    auth.login(MENTEE_EMAIL)
    assert results_of(client.get("/mentors", query_string=args).get_data(as_text=True)) == found


def options_of(page: str, name: str) -> list[tuple[str, bool]]:
    select = re.search(rf'<select id="{name}" name="{name}">(.*?)</select>', page, re.S).group(1)
    return [(html.unescape(label), " selected" in attrs) for attrs, label in re.findall(r"<option([^>]*)>([^<]*)</option>", select)]


def test_the_filters_offer_the_listed_tags_with_any_first(client, auth, app, clock, people, amara, mentee):
    hidden = people.make("mentor", "Pat Pending")
    set_profile(app, hidden, specialties=["Secret Tag"], languages=["Klingon"], approval=MentorApproval.PENDING)
    auth.login(MENTEE_EMAIL)
    page = client.get("/mentors").get_data(as_text=True)
    assert options_of(page, "specialty") == [("Any", True), ("Careers", False), ("Python", False)]
    assert options_of(page, "language") == [("Any", True), ("Deutsch", False), ("English", False)]
    assert '<label for="q">' in page and '<label for="specialty">' in page and '<label for="language">' in page
    assert '<form class="search-form" method="get" action="/mentors"' in page


def test_the_filters_show_what_is_chosen_even_in_another_case_or_unknown(client, auth, clock, amara, mentee):
    auth.login(MENTEE_EMAIL)
    page = client.get("/mentors", query_string={"specialty": "PYTHON", "language": "Esperanto"}).get_data(as_text=True)
    assert options_of(page, "specialty") == [("Any", False), ("Careers", False), ("Python", True)]
    assert options_of(page, "language") == [("Any", False), ("Deutsch", False), ("English", False), ("Esperanto", True)]
    assert "No mentor matches the specialty “PYTHON” with the language “Esperanto”." in text_of(page)
    assert '<a href="/mentors">Show every mentor</a>' in page


def test_nothing_found_says_so_and_links_to_every_mentor(client, auth, clock, amara, mentee):
    auth.login(MENTEE_EMAIL)
    page = client.get("/mentors", query_string={"q": "zebra"}).get_data(as_text=True)
    assert "No mentor matches “zebra”. Show every mentor." in text_of(page)
    assert '<a href="/mentors">Show every mentor</a>' in page


def test_without_any_mentor_the_list_says_there_are_none_yet(client, auth, clock, mentee):
    auth.login(MENTEE_EMAIL)
    page = client.get("/mentors").get_data(as_text=True)
    assert "There are no mentors taking sessions yet." in page
    assert "Show every mentor" not in page


# Pages --------------------------------------------------------------------------------


@pytest.fixture
def many_mentors(app):
    """45 bookable mentors, "Mentor 01" … "Mentor 45" (made directly: hashing 45 passwords is slow)."""
    with app.app_context():
        for number in range(1, 46):
            user = User(
                email=f"mentor{number:02d}@example.com",
                name=f"Mentor {number:02d}",
                password_hash="unusable",
                role=Role.MENTOR,
                timezone="UTC",
                email_confirmed_at=NOW,
            )
            user.mentor_profile = MentorProfile(approval=MentorApproval.APPROVED, headline="Helps with anything")
            db.session.add(user)
        db.session.commit()
    assert mentors.PER_PAGE == 20  # the numbers below are for pages of 20


def names(first: int, last: int) -> list[str]:
    return [f"Mentor {number:02d}" for number in range(first, last + 1)]


def pager_links(page: str) -> dict[str, str]:
    return {rel: html.unescape(href) for rel, href in re.findall(r'rel="(prev|next)" href="([^"]*)"', page)}


def test_mentors_come_in_pages_of_twenty(client, auth, clock, mentee, many_mentors):
    auth.login(MENTEE_EMAIL)
    first = client.get("/mentors").get_data(as_text=True)
    assert results_of(first) == names(1, 20)
    assert "45 mentors, page 1 of 3." in text_of(first)
    assert "Page 1 of 3" in first
    assert pager_links(first) == {"next": "/mentors?page=2"}

    second = client.get("/mentors?page=2").get_data(as_text=True)
    assert results_of(second) == names(21, 40)
    assert pager_links(second) == {"prev": "/mentors?page=1", "next": "/mentors?page=3"}

    third = client.get("/mentors?page=3").get_data(as_text=True)
    assert results_of(third) == names(41, 45)
    assert "Page 3 of 3" in third
    assert pager_links(third) == {"prev": "/mentors?page=2"}


def test_the_page_links_keep_the_filters(client, auth, clock, mentee, many_mentors):
    auth.login(MENTEE_EMAIL)
    page = client.get("/mentors", query_string={"q": "anything", "page": "2"}).get_data(as_text=True)
    assert results_of(page) == names(21, 40)
    assert pager_links(page) == {"prev": "/mentors?q=anything&page=1", "next": "/mentors?q=anything&page=3"}


@pytest.mark.parametrize(
    ("page", "found"),
    [
        ("99", names(41, 45)),  # past the end: the last page
        ("9" * 5000, names(41, 45)),
        ("abc", names(1, 20)),
        ("0", names(1, 20)),
        ("-2", names(1, 20)),
        ("2.5", names(1, 20)),
        ("", names(1, 20)),
        ("٣", names(1, 20)),  # an Arabic-Indic three is a digit to Python, not to us
    ],
)
def test_a_page_number_out_of_range_or_not_a_number_shows_a_real_page(client, auth, clock, mentee, many_mentors, page, found):
    auth.login(MENTEE_EMAIL)
    response = client.get("/mentors", query_string={"page": page})
    assert response.status_code == 200
    assert results_of(response.get_data(as_text=True)) == found


def test_a_search_within_one_page_has_no_pager(client, auth, clock, mentee, many_mentors):
    auth.login(MENTEE_EMAIL)
    page = client.get("/mentors", query_string={"q": "4"}).get_data(as_text=True)
    assert results_of(page) == ["Mentor 04", "Mentor 14", "Mentor 24", "Mentor 34", *names(40, 45)]
    assert "Pages of mentors" not in page
    assert "10 mentors." in text_of(page)


# No meeting address -------------------------------------------------------------------


def test_a_mentors_own_meeting_address_is_never_shown(client, auth, app, clock, people, amara, mentee):
    set_profile(app, amara, specialties=["Careers"], video_provider="manual", manual_meeting_url=SECRET_ADDRESS)
    zoom = people.make("mentor", "Zed Zoom")
    set_profile(app, zoom, video_provider="zoom", zoom_user="zed@zoom.example.com")
    auth.login(MENTEE_EMAIL)
    listing = client.get("/mentors").get_data(as_text=True)
    profile = profile_page(client, amara)
    for page in (listing, profile):
        assert SECRET_ADDRESS not in page
        assert "amara-private-room" not in page
        assert "meet.example.org" not in page
        assert "zed@zoom.example.com" not in page
    assert "Video: the mentor's own meeting link" in text_of(profile)
    # Zoom is not connected here (no credentials): Zed's sessions meet on Jitsi, and his card says so.
    assert "Video: Jitsi" in text_of(listing) and "Video: Zoom" not in text_of(listing)


# The profile --------------------------------------------------------------------------


@pytest.mark.parametrize("mentor_id", ["0", "99999", str(2**31), "9" * 30])
def test_a_profile_of_nobody_is_a_404_page(client, auth, clock, amara, mentee, mentor_id):
    auth.login(MENTEE_EMAIL)
    response = client.get(f"/mentors/{mentor_id}")
    assert response.status_code == 404
    assert "Mentor not found" in response.get_data(as_text=True)


# A number of 5000 digits is more than Python turns into an int: the URL matches no route.
@pytest.mark.parametrize("path", ["/mentors/-1", "/mentors/abc", "/mentors/1%00", "/mentors/1.5", "/mentors/" + "9" * 5000])
def test_a_profile_path_that_is_no_id_is_a_404(client, auth, clock, amara, mentee, path):
    auth.login(MENTEE_EMAIL)
    assert client.get(path).status_code == 404


def test_the_profile_shows_the_bio_escaped_with_its_paragraphs(client, auth, app, clock, amara, mentee):
    set_profile(
        app,
        amara,
        headline="Manager <b>bold</b>",
        bio="First <script>alert(1)</script> paragraph.\r\n\r\nSecond paragraph,\nline two.\n\n\n  Third.",
        specialties=["C++ & Rust"],
        languages=["English"],
    )
    auth.login(MENTEE_EMAIL)
    page = profile_page(client, amara)
    assert "<script>alert(1)</script>" not in page and "<b>bold</b>" not in page
    assert "<p>First &lt;script&gt;alert(1)&lt;/script&gt; paragraph.</p>" in page
    assert "<p>Second paragraph,<br>line two.</p>" in page
    assert "<p>Third.</p>" in page
    assert '<li class="mentor-tag">C++ &amp; Rust</li>' in page
    assert "<h1 id=\"mentor-title\">Amara Okafor</h1>" in page
    assert "Languages: English" in text_of(page)


def test_the_profile_is_kept_out_of_caches(client, auth, clock, amara, chloe):
    auth.login(CHLOE_EMAIL)
    assert client.get(f"/mentors/{amara}").headers["Cache-Control"] == "no-store"


# Next free times ----------------------------------------------------------------------


def test_next_times_are_in_the_viewers_zone_with_buttons_carrying_utc(client, auth, clock, amara, chloe):
    # NOW is Monday 23 Nov, 10:00 in Berlin: this Monday's hours are past the 4-hour notice. Next Monday
    # 09:00 in Berlin is 08:00 UTC and 00:00 in Los Angeles.
    auth.login(CHLOE_EMAIL)
    page = profile_page(client, amara)
    assert day_titles(page) == ["Mon 30 Nov"]
    starts = [datetime(2026, 11, 30, 8, tzinfo=UTC) + timedelta(minutes=15 * step) for step in range(8)]
    assert slot_buttons(page) == [
        (
            start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            f"Mon 30 Nov, {start - timedelta(hours=8):%H:%M}–{start - timedelta(hours=7):%H:%M}",
        )
        for start in starts
    ]
    assert slot_buttons(page)[0] == ("2026-11-30T08:00:00Z", "Mon 30 Nov, 00:00–01:00")
    assert "in your time zone, America/Los_Angeles" in page


def test_each_days_form_posts_the_mentor_the_type_and_the_token(client, auth, clock, amara, chloe):
    auth.login(CHLOE_EMAIL)
    page = profile_page(client, amara)
    forms = re.findall(r'<form class="mentor-slots" method="post" action="/sessions/new">(.*?)</form>', page, re.S)
    assert len(forms) == 1
    assert re.search(r'<input type="hidden" name="csrf_token" value="[^"]+">', forms[0])
    assert f'<input type="hidden" name="mentor" value="{amara}">' in forms[0]
    assert '<input type="hidden" name="session_type" value="Standard">' in forms[0]
    assert forms[0].count('name="slot"') == 8
    assert f'<a href="/sessions/new?mentor={amara}">More times and session types</a>' in page


def test_times_are_grouped_by_the_viewers_day(client, auth, app, clock, amara, chloe):
    # 08:00–12:00 in Berlin is 23:00 on Sunday to 03:00 on Monday in Los Angeles.
    set_profile(app, amara, weekly_hours={"mon": [["08:00", "12:00"]]})
    auth.login(CHLOE_EMAIL)
    page = profile_page(client, amara)
    assert day_titles(page) == ["Sun 29 Nov", "Mon 30 Nov"]
    assert [text for _, text in slot_buttons(page)] == [
        "Sun 29 Nov, 23:00–00:00",
        "Sun 29 Nov, 23:15–00:15",
        "Sun 29 Nov, 23:30–00:30",
        "Sun 29 Nov, 23:45–00:45",
        "Mon 30 Nov, 00:00–01:00",
        "Mon 30 Nov, 00:15–01:15",
        "Mon 30 Nov, 00:30–01:30",
        "Mon 30 Nov, 00:45–01:45",
    ]
    assert len(re.findall(r'<form class="mentor-slots"', page)) == 2


@pytest.mark.parametrize(
    ("today", "first"),
    [
        # The US has moved to summer time (14 Mar), Europe not yet (28 Mar): 08:00 UTC, 01:00 in LA.
        (datetime(2027, 3, 12, 12, tzinfo=UTC), ("2027-03-15T08:00:00Z", "Mon 15 Mar, 01:00–02:00")),
        # Both on summer time: 09:00 in Berlin is 07:00 UTC, midnight in LA again.
        (datetime(2027, 3, 26, 12, tzinfo=UTC), ("2027-03-29T07:00:00Z", "Mon 29 Mar, 00:00–01:00")),
        # Both on winter time, as on NOW.
        (datetime(2027, 3, 5, 12, tzinfo=UTC), ("2027-03-08T08:00:00Z", "Mon 8 Mar, 00:00–01:00")),
    ],
)
def test_times_follow_each_zones_daylight_saving(client, auth, clock, amara, chloe, today, first):
    clock.move_to(today)
    auth.login(CHLOE_EMAIL)
    buttons = slot_buttons(profile_page(client, amara))
    assert buttons[0] == first
    assert len(buttons) == 8


def test_the_mentees_own_sessions_are_left_out(client, auth, app, clock, people, amara, chloe):
    other = people.make("mentor", "Otto Other")
    with app.app_context():
        booking.book_session(
            mentee=db.session.get(User, chloe),
            mentor_id=other,
            starts_at=datetime(2026, 11, 30, 8, tzinfo=UTC),
            duration_minutes=60,
            session_type_name="Standard",
            now=NOW,
        )
    auth.login(CHLOE_EMAIL)
    buttons = slot_buttons(profile_page(client, amara))
    assert buttons[0] == ("2026-11-30T09:00:00Z", "Mon 30 Nov, 01:00–02:00")


def test_the_mentors_booked_sessions_are_left_out(client, auth, app, clock, amara, mentee, chloe):
    with app.app_context():
        booking.book_session(
            mentee=db.session.get(User, mentee),
            mentor_id=amara,
            starts_at=datetime(2026, 11, 30, 8, tzinfo=UTC),
            duration_minutes=60,
            session_type_name="Standard",
            now=NOW,
        )
    auth.login(CHLOE_EMAIL)
    values = [value for value, _ in slot_buttons(profile_page(client, amara))]
    assert values[0] == "2026-11-30T09:00:00Z"
    assert "2026-11-30T08:00:00Z" not in values


def test_times_are_for_standard_when_offered_else_the_first_type(client, auth, app, clock, amara, chloe):
    set_profile(app, amara, session_types=["Follow-up", "Extended session"], weekly_hours=MONDAY_MORNING)
    auth.login(CHLOE_EMAIL)
    page = profile_page(client, amara)
    # Extended session has the lower id (it is made before Follow-up): the first offered.
    assert '<input type="hidden" name="session_type" value="Extended session">' in page
    assert slot_buttons(page)[0] == ("2026-11-30T08:00:00Z", "Mon 30 Nov, 00:00–01:30")
    # 90 minutes fit seven starts from 09:00 to 10:30; the eighth is a week later.
    assert day_titles(page) == ["Mon 30 Nov", "Mon 7 Dec"]
    assert [value for value, _ in slot_buttons(page)][6:] == ["2026-11-30T09:30:00Z", "2026-12-07T08:00:00Z"]

    set_profile(app, amara, session_types=["Follow-up", "Standard"], weekly_hours=MONDAY_MORNING)
    page = profile_page(client, amara)
    assert '<input type="hidden" name="session_type" value="Standard">' in page


@pytest.mark.parametrize(("email", "role", "zone", "first"), [
    ("mo.mentor@example.com", "mentor", "Asia/Tokyo", "Mon 30 Nov, 17:00–18:00"),
    (ADMIN_EMAIL, "admin", "UTC", "Mon 30 Nov, 08:00–09:00"),
])
def test_mentors_and_admins_see_the_times_as_text(client, auth, clock, people, amara, email, role, zone, first):
    people.make(role, "Viewer", email=email, timezone=zone)
    auth.login(email)
    page = profile_page(client, amara)
    assert slot_buttons(page) == []
    assert 'name="slot"' not in page and "/sessions/new" not in page
    times = re.findall(r'<time datetime="([^"]*)">(.*?)</time>', page)
    assert len(times) == 8
    assert (times[0][0], text_of(times[0][1])) == ("2026-11-30T08:00:00Z", first)


def test_a_mentor_sees_their_own_profile_without_buttons(client, auth, clock, amara):
    auth.login("amara@example.com")
    page = profile_page(client, amara)
    assert slot_buttons(page) == []
    assert "Mon 30 Nov, 09:00–10:00" in text_of(page)


def test_a_mentee_with_an_unconfirmed_address_sees_text_and_why(client, auth, app, clock, amara, chloe):
    set_user(app, chloe, email_confirmed_at=None)
    auth.login(CHLOE_EMAIL)
    page = profile_page(client, amara)
    assert slot_buttons(page) == []
    assert "Confirm your email address" in page
    assert "Mon 30 Nov, 00:00–01:00" in text_of(page)


def test_a_mentor_without_hours_takes_sessions_at_any_free_time(client, auth, app, clock, people, chloe):
    free = people.make("mentor", "Fay Free")
    auth.login(CHLOE_EMAIL)
    page = profile_page(client, free)
    assert "Takes sessions at any free time." in page
    assert slot_buttons(page) == []
    assert f'<a href="/sessions/new?mentor={free}">More times and session types</a>' in page


def test_no_free_time_within_the_horizon_says_so(client, auth, app, clock, amara, chloe):
    # Monday's hours are past for today, and next Monday is beyond three days.
    set_profile(app, amara, weekly_hours=MONDAY_MORNING, horizon_days=3)
    auth.login(CHLOE_EMAIL)
    page = profile_page(client, amara)
    assert "No free times in the next 3 days." in page
    assert slot_buttons(page) == []


def test_a_day_off_moves_the_times_to_the_next_week(client, auth, app, clock, amara, chloe):
    set_profile(app, amara, weekly_hours=MONDAY_MORNING, hour_exceptions=[{"date": "2026-11-30", "hours": []}])
    auth.login(CHLOE_EMAIL)
    assert slot_buttons(profile_page(client, amara))[0] == ("2026-12-07T08:00:00Z", "Mon 7 Dec, 00:00–01:00")


def test_chloe_books_a_time_straight_from_the_profile(client, auth, app, clock, amara, chloe):
    # The demo: the form's fields, as a browser sends them when the first time is clicked.
    auth.login(CHLOE_EMAIL)
    page = profile_page(client, amara)
    form = re.search(r'<form class="mentor-slots" method="post" action="([^"]*)">(.*?)</form>', page, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', form.group(2)))
    first_value = slot_buttons(page)[0][0]
    response = client.post(form.group(1), data={**fields, "slot": first_value})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sessions/")
    with app.app_context():
        session = db.session.scalar(sa.select(MentoringSession))
        assert (session.mentor_id, session.mentee_id, session.session_type.name) == (amara, chloe, "Standard")
        assert session.starts_at == datetime(2026, 11, 30, 8, tzinfo=UTC)
        assert session.duration_minutes == 60
    # Taken now: the profile offers the next free time first.
    assert slot_buttons(profile_page(client, amara))[0][0] == "2026-11-30T09:00:00Z"
