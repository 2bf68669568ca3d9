"""Signed join tokens: what they carry, who can forge them (nobody), and key rotation."""
import base64
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer

from meetapp.domain.join_tokens import SALT, InvalidJoinToken, JoinClaim, JoinTokens

NOW = datetime(2026, 11, 24, 14, 50, tzinfo=UTC)
MAILED = JoinClaim("Vzd7vHf0BXioeqWs", 8, 3, short_lived=False)
BUTTON = JoinClaim("Vzd7vHf0BXioeqWs", 8, 3, short_lived=True)
TOKENS = JoinTokens("current-key")


def test_a_token_reads_back_as_its_claim():
    assert TOKENS.read(TOKENS.issue(MAILED, NOW), NOW) == MAILED


def test_a_token_carries_only_ids_and_the_version():
    token = TOKENS.issue(MAILED, NOW)
    payload = token.split(".")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    assert decoded == '["Vzd7vHf0BXioeqWs",8,3,0]'


def test_mailed_tokens_do_not_expire_but_button_tokens_last_five_minutes():
    mailed, button = TOKENS.issue(MAILED, NOW), TOKENS.issue(BUTTON, NOW)
    assert TOKENS.read(mailed, NOW + timedelta(days=60)) == MAILED
    assert TOKENS.read(button, NOW + timedelta(minutes=5)) == BUTTON
    with pytest.raises(InvalidJoinToken, match="expired"):
        TOKENS.read(button, NOW + timedelta(minutes=5, seconds=1))


def test_a_rotated_key_still_verifies_links_it_signed():
    old_link = JoinTokens("old-key").issue(MAILED, NOW)
    rotated = JoinTokens("new-key", ["old-key"])
    assert rotated.read(old_link, NOW) == MAILED
    with pytest.raises(InvalidJoinToken):
        JoinTokens("new-key").read(old_link, NOW)
    assert JoinTokens("new-key").read(rotated.issue(MAILED, NOW), NOW) == MAILED


def test_a_token_made_with_another_salt_or_key_is_refused():
    other_salt = URLSafeTimedSerializer("current-key", salt="itsdangerous").dumps(["Vzd7vHf0BXioeqWs", 8, 3, 0])
    with pytest.raises(InvalidJoinToken):
        TOKENS.read(other_salt, NOW)
    with pytest.raises(InvalidJoinToken):
        TOKENS.read(JoinTokens("wrong-key").issue(MAILED, NOW), NOW)


def test_a_well_signed_token_with_the_wrong_shape_is_refused():
    forged = URLSafeTimedSerializer("current-key", salt=SALT).dumps({"session": "x", "user": 1})
    with pytest.raises(InvalidJoinToken, match="payload"):
        TOKENS.read(forged, NOW)


@pytest.mark.parametrize("change", ["truncate", "flip", "append", "empty", "huge"])
def test_tampered_tokens_are_refused(change):
    token = TOKENS.issue(MAILED, NOW)
    tampered = {
        "truncate": token[:-3],
        "flip": token[:5] + ("A" if token[5] != "A" else "B") + token[6:],
        "append": token + "x",
        "empty": "",
        "huge": token * 20,
    }[change]
    with pytest.raises(InvalidJoinToken):
        TOKENS.read(tampered, NOW)


@given(st.text(max_size=600))
def test_random_text_is_never_accepted(text):
    with pytest.raises(InvalidJoinToken):
        TOKENS.read(text, NOW)


@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=127))
def test_no_single_character_change_yields_another_claim(position, value):
    token = TOKENS.issue(MAILED, NOW)
    position %= len(token)
    changed = token[:position] + chr(value) + token[position + 1:]
    try:
        claim = TOKENS.read(changed, NOW)
    except InvalidJoinToken:
        return
    # Base64's unused trailing bits mean a last-character edit can decode to the same signature:
    # harmless, since it can only ever give back the very claim that was signed.
    assert claim == MAILED
