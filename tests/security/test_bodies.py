"""Bodies a careless or hostile client sends: too big, malformed, of the wrong type or shape.

Each answer is a 413 for a body over MAX_CONTENT_LENGTH (JSON under /api/, a page
elsewhere) or a 400 (or the route's documented validation answer), never a 500,
and nothing is written. The routes come from the url_map, so a new write route
must say here how it takes its body.
"""

import json

import pytest
from werkzeug.datastructures import MultiDict

from meetapp.config import testing_config
from tests.security.matrix import CASES, ROUTES, WRITE_METHODS, allowed_viewer
from tests.security.world import build_world, csrf_token, fingerprint, log_in
from tests.support import PASSWORD

MAX_CONTENT_LENGTH = testing_config("sqlite://")["MAX_CONTENT_LENGTH"]
OVERSIZED = MAX_CONTENT_LENGTH + 1024
# Close to the limit but under it: parsed, then refused for what it says.
HUGE = "x" * (MAX_CONTENT_LENGTH - 4096)
CASES_BY_ROUTE = {(case.endpoint, case.method): case for case in CASES}
# API writes that read no body: what is sent with them is ignored.
NO_BODY = {"api.confirm_session", "api.generate_link"}


def test_the_limit_is_256_kib():
    assert MAX_CONTENT_LENGTH == 256 * 1024


def write_routes():
    # The presence webhooks read their bodies only once the signature checks out; tests/webhooks sends
    # them malformed, fuzzed and oversized bodies, signed and unsigned.
    return [route for route in ROUTES if route[1] in WRITE_METHODS and not route[0].startswith("webhooks.")]


@pytest.fixture
def app(app_pool, clock):
    return app_pool.fresh()


@pytest.fixture
def csrf_app(app_pool, clock):
    return app_pool.fresh(WTF_CSRF_ENABLED=True)


def as_allowed(app, case, world):
    """A client of the person the access table lets use the route, and the headers to send."""
    viewer = allowed_viewer(case)
    client = app.test_client()
    if case.api:
        return client, {"Authorization": f"Bearer {world.api_tokens[viewer]}"}
    if viewer != "anonymous":
        log_in(client, world.email(viewer))
    return client, {}


def url_of(app, case, world) -> str:
    return app.url_map.bind("localhost").build(case.endpoint, case.args(world) if case.args else {})


def assert_refused(response, status: int, where: str, *, api: bool) -> None:
    assert response.status_code == status, f"{where}: {response.status_code}, expected {status}"
    if api:
        assert response.mimetype == "application/json", where
        assert set(response.json) >= {"error", "message"}, where
    else:
        assert response.mimetype == "text/html", where


# Too big ------------------------------------------------------------------------------


@pytest.mark.parametrize("route", write_routes(), ids=lambda route: f"{route[1]} {route[0]}")
@pytest.mark.parametrize("kind", ["form", "json"])
def test_an_oversized_body_is_413(csrf_app, route, kind):
    case = CASES_BY_ROUTE.get(route)
    assert case is not None, f"{route} is new: give it a row in the access table"
    app = csrf_app
    world = build_world(app)
    client, headers = as_allowed(app, case, world)
    if kind == "form":
        body, content_type = b"reason=" + b"x" * OVERSIZED, "application/x-www-form-urlencoded"
    else:
        body, content_type = json.dumps({"reason": "x" * OVERSIZED}).encode(), "application/json"
    before = fingerprint(app)
    response = client.open(
        url_of(app, case, world), method=case.method, data=body, content_type=content_type, headers=headers
    )
    assert_refused(response, 413, f"{case.id} with {len(body)} bytes of {kind}", api=case.api)
    if case.api:
        assert response.json["error"] == "payload_too_large"
    assert fingerprint(app) == before


# The JSON API: malformed, wrong type, wrong shape --------------------------------------


MALFORMED = [
    pytest.param(b'{"startsAt": ', "application/json", id="truncated"),
    pytest.param(b"{'reason': 'x'}", "application/json", id="single-quotes"),
    pytest.param(b"[]", "application/json", id="list"),
    pytest.param(b'["reason", "x"]', "application/json", id="list-of-strings"),
    pytest.param(b'"reason"', "application/json", id="string"),
    pytest.param(b"42", "application/json", id="number"),
    pytest.param(b"null", "application/json", id="null"),
    pytest.param(b"true", "application/json", id="true"),
    pytest.param(b'{"reason": "\xff\xfe\xfd"}', "application/json", id="invalid-utf8"),
    pytest.param(b"\xef\xbb\xbf\x00\x00", "application/json", id="bom-and-nul"),
    pytest.param(b"[" * 60000 + b"]" * 60000, "application/json", id="deeply-nested-lists"),
    pytest.param(b'{"a":' * 40000 + b"1" + b"}" * 40000, "application/json", id="deeply-nested-objects"),
    pytest.param(b'{"durationMinutes": 1' + b"0" * 5000 + b"}", "application/json", id="number-with-5000-digits"),
    pytest.param(b"reason=x&startsAt=y", "application/x-www-form-urlencoded", id="form-encoded"),
    pytest.param(
        b'--b\r\nContent-Disposition: form-data; name="reason"\r\n\r\nx\r\n--b--\r\n',
        "multipart/form-data; boundary=b",
        id="multipart",
    ),
    pytest.param(b"<reason>x</reason>", "application/xml", id="xml"),
    pytest.param(b"reason: x", "text/plain", id="text"),
]
API_BODY_CASES = [case for case in CASES if case.api and case.method in WRITE_METHODS and case.endpoint not in NO_BODY]


def test_every_api_write_says_whether_it_reads_a_body():
    api_writes = {route[0] for route in write_routes() if route[0].startswith("api.")}
    assert api_writes == {case.endpoint for case in API_BODY_CASES} | NO_BODY


@pytest.mark.parametrize("case", API_BODY_CASES, ids=lambda case: case.id)
@pytest.mark.parametrize(("body", "content_type"), MALFORMED)
def test_a_body_that_is_no_json_object_is_400(app, case, body, content_type):
    world = build_world(app)
    client, headers = as_allowed(app, case, world)
    before = fingerprint(app)
    response = client.open(
        url_of(app, case, world), method=case.method, data=body, content_type=content_type, headers=headers
    )
    assert_refused(response, 400, f"{case.id} with {body[:30]!r}", api=True)
    assert response.json["error"] == "invalid_json"
    assert fingerprint(app) == before


WRONG_FIELDS = {
    "api.create_session": [
        {"mentorId": "{mentor}"},
        {"mentorId": ["{mentor}"]},
        {"mentorId": {"id": 1}},
        {"mentorId": True},
        {"mentorId": 2.5},
        {"mentorId": 2**31},
        {"mentorId": 2**63},
        {"mentorId": 10**30},
        {"mentorId": -1},
        {"mentorId": None},
        {"startsAt": {"at": "2026-11-25T12:00:00Z"}},
        {"startsAt": ["2026-11-25T12:00:00Z"]},
        {"startsAt": 1795000000},
        {"startsAt": None},
        {"startsAt": "2026-11-25T12:00:00"},
        {"startsAt": "2026-11-25"},
        {"startsAt": "9999-12-31T23:59:59-14:00"},
        {"startsAt": "0001-01-01T00:00:00+14:00"},
        {"startsAt": "2026-11-25T12:00:00Z" + " " * 10000},
        {"startsAt": "\x00"},
        {"durationMinutes": "60"},
        {"durationMinutes": 60.5},
        {"durationMinutes": 10**30},
        {"durationMinutes": -60},
        {"durationMinutes": [60]},
        {"durationMinutes": {"minutes": 60}},
        {"durationMinutes": True},
        {"sessionType": {"name": "Standard"}},
        {"sessionType": ["Standard"]},
        {"sessionType": 5},
        {"sessionType": None},
        {"sessionType": ""},
        {"sessionType": "Standard\x00"},
        {"sessionType": "x" * 100000},
    ],
    "api.cancel_session": [
        {"reason": ["x"]},
        {"reason": {"text": "x"}},
        {"reason": 5},
        {"reason": True},
        {"reason": "x" * 501},
        {"reason": HUGE},
        {"reason": "\x00"},
    ],
    "api.decline_session": [
        {"reason": ["x"]},
        {"reason": {"text": "x"}},
        {"reason": 5},
        {"reason": False},
        {"reason": "x" * 501},
        {"reason": HUGE},
        {"reason": "\x00"},
    ],
    "api.reschedule_session": [
        {"startsAt": {"at": "2026-11-26T12:00:00Z"}},
        {"startsAt": None},
        {"startsAt": 5},
        {"startsAt": "9999-12-31T23:59:59-14:00"},
        {"startsAt": "2026-11-26T12:00:00Z", "durationMinutes": "90"},
        {"startsAt": "2026-11-26T12:00:00Z", "durationMinutes": [90]},
        {"startsAt": "2026-11-26T12:00:00Z", "durationMinutes": 10**30},
        {"startsAt": "\x00"},
    ],
    "api.put_video_settings": [
        {"provider": ["jitsi"]},
        {"provider": {"name": "jitsi"}},
        {"provider": None},
        {"provider": 5},
        {"provider": "jitsi\x00"},
        {"provider": "manual", "manualMeetingUrl": {"url": "https://zoom.us/j/1"}},
        {"provider": "manual", "manualMeetingUrl": ["https://zoom.us/j/1"]},
        {"provider": "manual", "manualMeetingUrl": 5},
        {"provider": "manual", "manualMeetingUrl": "https://zoom.us/j/" + "1" * 100000},
        {"provider": "manual", "manualMeetingUrl": "https://zoom.us/j/1\x00"},
        {"provider": "jitsi", "applyToUpcoming": "yes"},
        {"provider": "jitsi", "applyToUpcoming": None},
        {"provider": "jitsi", "applyToUpcoming": [True]},
    ],
    "api.put_availability": [
        {"timezone": ["Europe/Berlin"]},
        {"timezone": "Mars/Olympus"},
        {"timezone": "Europe/Berlin\x00"},
        {"timezone": 5},
        {"weekly": []},
        {"weekly": "mon 09:00-12:00"},
        {"weekly": {"monday": [["09:00", "12:00"]]}},
        {"weekly": {"mon": ["09:00", "12:00"]}},
        {"weekly": {"mon": [["09:00"]]}},
        {"weekly": {"mon": [[9, 12]]}},
        {"weekly": {"mon": [["9:00", "12:00"]]}},
        {"weekly": {"mon": [["12:00", "09:00"]]}},
        {"weekly": {"mon": [["09:00", "24:30"]]}},
        {"weekly": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}},
        {"weekly": {"mon": [["\u00b2\u00b2:00", "23:00"]]}},
        {"weekly": {"mon": [["09:00", "12:00"]] * 100}},
        {"exceptions": {"2026-12-24": []}},
        {"exceptions": [{"date": "2026-02-30", "hours": []}]},
        {"exceptions": [{"date": "2026-W52-4", "hours": []}]},
        {"exceptions": [{"date": None, "hours": []}]},
        {"exceptions": [{"date": "2026-12-24", "hours": "off"}]},
        {"exceptions": [{"date": "2026-12-24", "hours": []}] * 2},
        {"exceptions": [{"date": "2026-12-24", "hours": []}] * 1000},
        {"bufferMinutes": "10"},
        {"bufferMinutes": 10.5},
        {"bufferMinutes": True},
        {"bufferMinutes": -1},
        {"bufferMinutes": 10**30},
        {"minimumNoticeMinutes": None},
        {"minimumNoticeMinutes": 10**6},
        {"horizonDays": 0},
        {"horizonDays": [60]},
    ],
}


def test_every_api_body_has_wrong_fields_to_try():
    assert set(WRONG_FIELDS) == {case.endpoint for case in API_BODY_CASES}


def wrong_field_params():
    for case in API_BODY_CASES:
        for number, fields in enumerate(WRONG_FIELDS[case.endpoint]):
            yield pytest.param(case, fields, id=f"{case.endpoint}-{number}-{'-'.join(fields)}")


@pytest.mark.parametrize(("case", "fields"), list(wrong_field_params()))
def test_a_field_of_the_wrong_type_or_shape_is_a_validation_error(app, case, fields):
    world = build_world(app)
    client, headers = as_allowed(app, case, world)
    body = {**case.body(world), **fields}
    body = {
        key: value.format(mentor=world.ids["mentor"]) if isinstance(value, str) and "{mentor}" in value else value
        for key, value in body.items()
    }
    if body.get("mentorId") == [str(world.ids["mentor"])]:
        body["mentorId"] = [world.ids["mentor"]]
    before = fingerprint(app)
    response = client.open(url_of(app, case, world), method=case.method, json=body, headers=headers)
    assert_refused(response, 400, f"{case.id} with {json.dumps(body)[:120]}", api=True)
    assert response.json["error"] in ("validation_error", "invalid_json"), response.json
    if response.json["error"] == "validation_error":
        # A nested field is named by its path: "weekly.mon", "exceptions[0].date".
        named = {name.split(".")[0].split("[")[0] for name in response.json["fields"]}
        assert named & set(fields), response.json
    assert fingerprint(app) == before


# Forms: missing, duplicated, huge and impossible values --------------------------------


# A whole week's form that the availability page takes (each bad body changes one field of it).
WEEK = {
    "timezone": "Europe/Berlin", "mon": "09:00-12:00", "tue": "", "wed": "", "thu": "", "fri": "", "sat": "",
    "sun": "", "exceptions": "", "buffer": "0", "notice": "4", "horizon": "60",
}
BAD_FORMS = {
    ("auth.login", "missing everything"): {},
    ("auth.login", "huge email"): {"email": HUGE, "password": "x"},
    ("auth.login", "nul in the email"): {"email": "max.mentee\x00@example.com", "password": "x"},
    ("auth.register", "missing everything"): {},
    ("auth.register", "an admin"): {
        "email": "n@example.com",
        "name": "N",
        "password": "p" * 10,
        "confirm": "p" * 10,
        "role": "admin",
        "timezone": "UTC",
    },
    ("auth.register", "huge name"): {
        "email": "n@example.com",
        "name": HUGE,
        "password": "p" * 10,
        "confirm": "p" * 10,
        "role": "mentee",
        "timezone": "UTC",
    },
    ("auth.register", "huge email"): {
        "email": HUGE + "@example.com",
        "name": "N",
        "password": "p" * 10,
        "confirm": "p" * 10,
        "role": "mentee",
        "timezone": "UTC",
    },
    ("auth.register", "nul in the name"): {
        "email": "n@example.com",
        "name": "N\x00",
        "password": "p" * 10,
        "confirm": "p" * 10,
        "role": "mentee",
        "timezone": "UTC",
    },
    ("auth.register", "unknown zone"): {
        "email": "n@example.com",
        "name": "N",
        "password": "p" * 10,
        "confirm": "p" * 10,
        "role": "mentee",
        "timezone": "Mars/Olympus",
    },
    ("sessions.new", "missing everything"): {},
    ("sessions.new", "huge values"): {
        "mentor": HUGE[:100000],
        "session_type": HUGE[:100000],
        "starts_at": "2026",
        "duration": "6" * 1000,
    },
    ("sessions.new", "year 9999"): {
        "mentor": "{mentor}",
        "session_type": "Standard",
        "starts_at": "9999-12-31T23:59",
        "duration": "60",
    },
    ("sessions.new", "year 1"): {
        "mentor": "{mentor}",
        "session_type": "Standard",
        "starts_at": "0001-01-01T00:00",
        "duration": "60",
    },
    ("sessions.new", "a duration beyond reason"): {
        "mentor": "{mentor}",
        "session_type": "Standard",
        "starts_at": "2026-11-25T10:00",
        "duration": "9" * 40,
    },
    ("sessions.new", "nul in the type"): {
        "mentor": "{mentor}",
        "session_type": "Standard\x00",
        "starts_at": "2026-11-25T10:00",
        "duration": "60",
    },
    ("sessions.cancel", "huge reason"): {"reason": HUGE},
    ("sessions.decline", "huge reason"): {"reason": HUGE},
    ("sessions.decline", "too long a reason"): {"reason": "x" * 501},
    ("sessions.reschedule", "missing everything"): {},
    ("sessions.reschedule", "year 9999"): {"starts_at": "9999-12-31T23:59", "duration": "60"},
    ("sessions.reschedule", "a negative duration"): {"starts_at": "2026-11-26T10:00", "duration": "-60"},
    ("auth.forgot", "missing everything"): {},
    ("auth.forgot", "huge email"): {"email": HUGE},
    ("auth.forgot", "nul in the email"): {"email": "max.mentee\x00@example.com"},
    ("auth.reset", "missing everything"): {},
    ("auth.reset", "huge password"): {"new_password": HUGE, "repeat_password": "x"},
    ("auth.reset", "nul in the password"): {"new_password": "a long pass\x00word", "repeat_password": "a long pass\x00word"},
    ("settings.change_password", "missing everything"): {},
    ("settings.change_password", "wrong current password"): {
        "current_password": "not the password",
        "new_password": "a brand new passphrase",
        "repeat_password": "a brand new passphrase",
    },
    ("settings.change_password", "huge new password"): {
        "current_password": PASSWORD,
        "new_password": HUGE,
        "repeat_password": "x",
    },
    ("settings.profile", "missing everything"): {},
    ("settings.profile", "huge name"): {"name": HUGE, "timezone": "UTC"},
    ("settings.profile", "nul in the name"): {"name": "A\x00", "timezone": "UTC"},
    ("settings.profile", "huge zone"): {"name": "A", "timezone": HUGE},
    ("settings.create_token", "missing label"): {},
    ("settings.create_token", "huge label"): {"label": HUGE},
    ("settings.create_token", "nul in the label"): {"label": "a\x00"},
    ("settings.save_video", "missing everything"): {},
    ("settings.save_video", "unknown provider"): {"provider": "skype"},
    ("settings.save_video", "huge link"): {"provider": "manual", "manual_url": "https://zoom.us/j/" + HUGE},
    ("settings.save_mentor_profile", "huge headline"): {"headline": HUGE, "bio": "", "specialties": "", "languages": ""},
    ("settings.save_mentor_profile", "too long a headline"): {"headline": "x" * 121},
    ("settings.save_mentor_profile", "huge bio"): {"headline": "", "bio": HUGE},
    ("settings.save_mentor_profile", "too many specialties"): {"specialties": ",".join(f"tag {n}" for n in range(13))},
    ("settings.save_mentor_profile", "too long a tag"): {"languages": "x" * 41},
    ("settings.save_mentor_profile", "unknown session type"): {"session_types": "Séance"},
    ("settings.save_mentor_profile", "nul in the bio"): {"bio": "Hello\x00"},
    ("settings.save_availability", "missing everything"): {},
    ("settings.save_availability", "not a time"): {**WEEK, "mon": "9am"},
    ("settings.save_availability", "overlapping"): {**WEEK, "mon": "09:00-12:00, 11:00-13:00"},
    ("settings.save_availability", "huge day"): {**WEEK, "mon": HUGE},
    ("settings.save_availability", "bad date"): {**WEEK, "exceptions": "2026-02-30 off"},
    ("settings.save_availability", "huge exceptions"): {**WEEK, "exceptions": HUGE},
    ("settings.save_availability", "negative buffer"): {**WEEK, "buffer": "-5"},
    ("settings.save_availability", "notice beyond reason"): {**WEEK, "notice": "9" * 40},
    ("settings.save_availability", "no horizon"): {**WEEK, "horizon": "0"},
    ("settings.save_availability", "unknown zone"): {**WEEK, "timezone": "Mars/Olympus"},
    ("settings.save_availability", "nul in a day"): {**WEEK, "tue": "09:00-12:00\x00"},
    ("admin.suspend_mentor", "missing reason"): {},
    ("admin.suspend_mentor", "huge reason"): {"reason": HUGE},
    ("admin.suspend_mentor", "nul in the reason"): {"reason": "Rude\x00"},
}
DUPLICATED = {
    # The first value counts, as in every form library: the second cannot sneak a different one past.
    ("auth.register", "role twice"): (
        [
            ("email", "n@example.com"),
            ("name", "N"),
            ("password", "p" * 10),
            ("confirm", "p" * 10),
            ("timezone", "UTC"),
            ("role", "admin"),
            ("role", "mentee"),
        ]
    ),
    ("sessions.cancel", "reason twice"): [("reason", "x" * 501), ("reason", "fine")],
    ("settings.profile", "name twice"): [("name", ""), ("name", "Renamed"), ("timezone", "UTC")],
    ("settings.save_video", "provider twice"): [("provider", "skype"), ("provider", "jitsi")],
}
# Answers that a refusal gets besides 400: the preview always answers 200 with the reason in it.
REFUSED_STATUS = {"settings.preview_video": 200}


def test_every_form_route_has_bad_bodies_to_try():
    form_writes = {route[0] for route in write_routes() if not route[0].startswith("api.")}
    takes_no_body = {
        # One checkbox: present is yes, absent is no; there is no wrong value to send.
        "settings.no_show_mail",
        "auth.logout",
        "sessions.confirm",
        "sessions.new_link",
        "sessions.retry_meeting",
        "admin.retry_mail",
        "admin.retry_failed",
        "admin.approve_mentor",
        "settings.revoke_token",
        "settings.preview_video",
        "settings.log_out_everywhere",
        "auth.confirm",
        "auth.resend_confirmation",
    }
    assert (
        form_writes
        == {endpoint for endpoint, _ in BAD_FORMS} | {endpoint for endpoint, _ in DUPLICATED} | takes_no_body
    )


def form_params():
    for (endpoint, name), form in BAD_FORMS.items():
        yield pytest.param(endpoint, form, id=f"{endpoint}-{name}")
    for (endpoint, name), pairs in DUPLICATED.items():
        yield pytest.param(endpoint, pairs, id=f"{endpoint}-{name}")


@pytest.mark.parametrize(("endpoint", "form"), list(form_params()))
def test_a_bad_form_is_400_and_writes_nothing(app, endpoint, form):
    (case,) = [c for c in CASES if c.endpoint == endpoint and c.method == "POST"]
    world = build_world(app)
    client, headers = as_allowed(app, case, world)
    mentor = str(world.ids["mentor"])
    if isinstance(form, dict):
        form = [(key, value.replace("{mentor}", mentor)) for key, value in form.items()]
    before = fingerprint(app)
    response = client.post(url_of(app, case, world), data=MultiDict(form), headers=headers)
    assert_refused(response, REFUSED_STATUS.get(endpoint, 400), f"{endpoint} with {str(form)[:120]}", api=False)
    assert fingerprint(app) == before


@pytest.mark.parametrize("endpoint", ["sessions.new", "settings.profile", "auth.register"])
def test_a_form_route_sent_json_is_a_validation_error(app, endpoint):
    (case,) = [c for c in CASES if c.endpoint == endpoint and c.method == "POST"]
    world = build_world(app)
    client, headers = as_allowed(app, case, world)
    before = fingerprint(app)
    response = client.post(url_of(app, case, world), json=case.body(world), headers=headers)
    assert_refused(response, 400, f"{endpoint} with a JSON body", api=False)
    assert fingerprint(app) == before


NOT_UTF8 = [
    ("settings.profile", b"name=%FF%FEMax&timezone=UTC"),
    ("settings.create_token", b"label=caf%E9"),
    (
        "auth.register",
        b"email=n%40example.com&name=%C3%28&password=pppppppppp&confirm=pppppppppp&role=mentee&timezone=UTC",
    ),
    ("sessions.cancel", b"reason=\xff\xfe"),
    ("sessions.decline", b"reason=\xff\xfe"),
]


@pytest.mark.parametrize("csrf", [False, True], ids=["", "csrf-on"])
@pytest.mark.parametrize(("endpoint", "body"), NOT_UTF8, ids=[endpoint for endpoint, _ in NOT_UTF8])
def test_a_form_that_is_not_utf8_is_400(app_pool, clock, endpoint, body, csrf):
    app = app_pool.fresh(WTF_CSRF_ENABLED=csrf)
    (case,) = [c for c in CASES if c.endpoint == endpoint and c.method == "POST"]
    world = build_world(app)
    client, headers = as_allowed(app, case, world)
    # With CSRF on, the token is right: what refuses the form is its encoding.
    body += b"&csrf_token=" + csrf_token(client).encode()
    before = fingerprint(app)
    response = client.post(
        url_of(app, case, world), data=body, content_type="application/x-www-form-urlencoded", headers=headers
    )
    assert_refused(response, 400, f"{endpoint} with {body!r}", api=False)
    assert "Form expired" not in response.get_data(as_text=True)
    assert fingerprint(app) == before


@pytest.mark.parametrize(
    ("endpoint", "form"),
    [
        ("settings.profile", {"name": "A\x00", "timezone": "UTC"}),
        ("settings.create_token", {"label": "a\x00"}),
        ("sessions.cancel", {"reason": "\x00"}),
    ],
    ids=["profile", "token", "cancel"],
)
def test_a_nul_character_is_refused_before_the_csrf_check_reads_the_form(app_pool, clock, endpoint, form):
    app = app_pool.fresh(WTF_CSRF_ENABLED=True)
    (case,) = [c for c in CASES if c.endpoint == endpoint and c.method == "POST"]
    world = build_world(app)
    client, headers = as_allowed(app, case, world)
    before = fingerprint(app)
    response = client.post(url_of(app, case, world), data={**form, "csrf_token": csrf_token(client)}, headers=headers)
    assert_refused(response, 400, f"{endpoint} with {form!r}", api=False)
    assert "Form expired" not in response.get_data(as_text=True)
    assert fingerprint(app) == before


# Lone UTF-16 surrogates ----------------------------------------------------------------
#
# "\ud800" is valid JSON but no character: no database or mail could take it. Sent as the
# raw escape (a client serialising a Python str would refuse to), it must be a validation
# error, never a 500 from the database or the mail queue.

SURROGATE_BODIES = {
    # id: (route, the JSON body with SURROGATE where the raw escape goes, the field the answer names)
    "cancel-reason": (("api.cancel_session", "POST"), {"reason": "SURROGATE"}, "reason"),
    "booking-session-type": (("api.create_session", "POST"), {"sessionType": "SURROGATE"}, "sessionType"),
    "cancel-key": (("api.cancel_session", "POST"), {"SURROGATE": "x"}, None),
    "decline-reason": (("api.decline_session", "POST"), {"reason": "SURROGATE"}, "reason"),
    "booking-key": (("api.create_session", "POST"), {"SURROGATE": "x"}, None),
}


def raw_json(fields: dict, escape: str) -> bytes:
    """`fields` as JSON, with the string "SURROGATE" (as a key or a value) written as the raw `escape`."""
    return json.dumps(fields).replace('"SURROGATE"', f'"{escape}"').encode()


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff"], ids=["high", "low"])
@pytest.mark.parametrize(("route", "fields", "named"), SURROGATE_BODIES.values(), ids=SURROGATE_BODIES.keys())
def test_a_lone_surrogate_is_a_validation_error_and_writes_nothing(app, route, fields, named, escape):
    case = CASES_BY_ROUTE[route]
    world = build_world(app)
    client, headers = as_allowed(app, case, world)
    body = raw_json({**case.body(world), **fields}, escape)
    assert escape.encode() in body
    before = fingerprint(app)
    response = client.open(
        url_of(app, case, world), method=case.method, data=body, content_type="application/json", headers=headers
    )
    assert_refused(response, 400, f"{case.id} with {body!r}", api=True)
    assert response.json["error"] == "validation_error", response.json
    if named:
        assert set(response.json["fields"]) == {named}, response.json
    else:
        assert len(response.json["fields"]) == 1, response.json
    assert fingerprint(app) == before


def test_a_surrogate_pair_is_a_character_like_any_other(app):
    # The check is for lone halves only: an emoji written as its escaped pair is stored as the emoji.
    case = CASES_BY_ROUTE[("api.cancel_session", "POST")]
    world = build_world(app)
    client, headers = as_allowed(app, case, world)
    response = client.post(
        url_of(app, case, world), data=raw_json({"reason": "SURROGATE"}, "\\ud83d\\ude00"),
        content_type="application/json", headers=headers,
    )
    assert response.status_code == 200, response.json
    assert response.json["session"]["cancellation"]["reason"] == "\U0001f600"
