"""The second factor: TOTP codes accepted once within one step of skew, and recovery codes."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ehrdesk.security.totp import (
    RECOVERY_ALPHABET,
    current_code,
    find_recovery_code,
    hash_recovery_code,
    looks_like_recovery_code,
    new_recovery_codes,
    new_secret,
    normalise_recovery_code,
    provisioning_uri,
    time_step,
    verify_code,
)

# RFC 6238 appendix B's SHA-1 key, "12345678901234567890", in base32.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode("ascii")
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
OTHER_SECRET = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
NOW = datetime(2026, 1, 5, 9, 0, 10, tzinfo=UTC)
STEP = timedelta(seconds=30)


# --- codes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unix_time", "code"),
    [
        # RFC 6238 appendix B, SHA-1, last six of the eight digits.
        (59, "287082"),
        (1111111109, "081804"),
        (1111111111, "050471"),
        (1234567890, "005924"),
        (2000000000, "279037"),
        (20000000000, "353130"),
    ],
)
def test_codes_match_rfc_6238_test_vectors(unix_time: int, code: str) -> None:
    now = datetime.fromtimestamp(unix_time, tz=UTC)
    assert current_code(RFC_SECRET, now) == code
    assert verify_code(RFC_SECRET, code, now, None) == unix_time // 30


def test_time_step_is_thirty_seconds_and_timezone_independent() -> None:
    assert time_step(datetime(1970, 1, 1, 0, 0, 29, tzinfo=UTC)) == 0
    assert time_step(datetime(1970, 1, 1, 0, 0, 30, tzinfo=UTC)) == 1
    plus_two = timezone(timedelta(hours=2))
    assert time_step(NOW.astimezone(plus_two)) == time_step(NOW)


def test_accepts_current_previous_and_next_step() -> None:
    step = time_step(NOW)
    assert verify_code(SECRET, current_code(SECRET, NOW), NOW, None) == step
    assert verify_code(SECRET, current_code(SECRET, NOW - STEP), NOW, None) == step - 1
    assert verify_code(SECRET, current_code(SECRET, NOW + STEP), NOW, None) == step + 1


@pytest.mark.parametrize("steps_away", [-3, -2, 2, 3])
def test_refuses_codes_two_or_more_steps_away(steps_away: int) -> None:
    code = current_code(SECRET, NOW + steps_away * STEP)
    assert code != current_code(SECRET, NOW)  # else the test would prove nothing
    assert verify_code(SECRET, code, NOW, None) is None


def test_refuses_a_code_for_another_secret() -> None:
    code = current_code(OTHER_SECRET, NOW)
    assert code != current_code(SECRET, NOW)
    assert verify_code(SECRET, code, NOW, None) is None


def test_refuses_replay_of_the_same_step() -> None:
    code = current_code(SECRET, NOW)
    accepted = verify_code(SECRET, code, NOW, None)
    assert accepted == time_step(NOW)
    assert verify_code(SECRET, code, NOW, accepted) is None
    assert verify_code(SECRET, code, NOW + timedelta(seconds=15), accepted) is None


def test_refuses_an_older_step_after_a_newer_one() -> None:
    step = time_step(NOW)
    previous = current_code(SECRET, NOW - STEP)
    assert verify_code(SECRET, previous, NOW, None) == step - 1  # valid on its own …
    assert verify_code(SECRET, previous, NOW, step) is None  # … but not after `step`


def test_accepts_a_newer_step_after_an_older_one() -> None:
    step = time_step(NOW)
    assert verify_code(SECRET, current_code(SECRET, NOW + STEP), NOW, step) == step + 1


def test_ignores_spaces_in_the_code() -> None:
    code = current_code(SECRET, NOW)
    assert verify_code(SECRET, f" {code[:3]} {code[3:]} ", NOW, None) == time_step(NOW)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda c: c[:5],  # too short
        lambda c: c + "0",  # too long
        lambda c: c[:5] + "x",  # not a digit
        lambda c: "".join(chr(ord(d) - ord("0") + 0xFF10) for d in c),  # full-width digits
        lambda c: "".join(chr(ord(d) - ord("0") + 0x0660) for d in c),  # Arabic-Indic digits
        lambda c: "",
    ],
)
def test_refuses_malformed_codes(mangle: object) -> None:
    assert callable(mangle)
    assert verify_code(SECRET, mangle(current_code(SECRET, NOW)), NOW, None) is None


def test_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_code(SECRET, "123456", NOW.replace(tzinfo=None), None)
    with pytest.raises(ValueError, match="timezone-aware"):
        current_code(SECRET, NOW.replace(tzinfo=None))


@given(
    offset=st.integers(min_value=-90, max_value=90),
    last=st.none() | st.integers(min_value=0, max_value=2**40),
    seconds=st.integers(min_value=100, max_value=4_000_000_000),
)
def test_verify_never_accepts_a_replayed_or_far_step(
    offset: int, last: int | None, seconds: int
) -> None:
    now = datetime.fromtimestamp(seconds, tz=UTC)
    code = current_code(SECRET, now + timedelta(seconds=offset))
    step = verify_code(SECRET, code, now, last)
    if step is not None:
        assert last is None or step > last
        assert abs(step - time_step(now)) <= 1
        # Once accepted, the same code never works again.
        assert verify_code(SECRET, code, now, step) is None
        assert verify_code(SECRET, code, now + STEP, step) is None


@given(seconds=st.integers(min_value=30, max_value=4_000_000_000))
def test_a_fresh_code_is_always_accepted(seconds: int) -> None:
    now = datetime.fromtimestamp(seconds, tz=UTC)
    before = time_step(now) - 2
    assert verify_code(SECRET, current_code(SECRET, now), now, before) == time_step(now)


# --- secrets and provisioning -----------------------------------------------------------


def test_new_secret_is_160_random_bits_in_base32() -> None:
    secret = new_secret()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert len(base64.b32decode(secret)) == 20
    assert len({new_secret() for _ in range(20)}) == 20


def test_provisioning_uri_names_issuer_account_and_secret() -> None:
    uri = provisioning_uri(SECRET, "jdoe", "Sunnyvale Family Counseling")
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth"
    assert parsed.netloc == "totp"
    assert unquote(parsed.path) == "/Sunnyvale Family Counseling:jdoe"
    query = parse_qs(parsed.query)
    assert query["secret"] == [SECRET]
    assert query["issuer"] == ["Sunnyvale Family Counseling"]


def test_a_secret_from_new_secret_verifies() -> None:
    secret = new_secret()
    assert verify_code(secret, current_code(secret, NOW), NOW, None) == time_step(NOW)


# --- recovery codes ---------------------------------------------------------------------

_CODE_SHAPE = re.compile(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}")


def test_recovery_alphabet_is_crockford_base32() -> None:
    assert len(RECOVERY_ALPHABET) == 32
    assert len(set(RECOVERY_ALPHABET)) == 32
    assert not set("ILOU") & set(RECOVERY_ALPHABET)


def test_new_recovery_codes_are_ten_distinct_well_formed_codes() -> None:
    codes = new_recovery_codes()
    assert len(codes) == 10
    assert len(set(codes)) == 10
    for code in codes:
        assert _CODE_SHAPE.fullmatch(code), code
        assert looks_like_recovery_code(code)


def test_new_recovery_codes_count_and_freshness() -> None:
    assert len(new_recovery_codes(3)) == 3
    assert set(new_recovery_codes()).isdisjoint(new_recovery_codes())
    with pytest.raises(ValueError):
        new_recovery_codes(0)


def test_normalise_recovery_code_tolerates_what_people_type() -> None:
    assert normalise_recovery_code("0A1B2-C3D4E") == "0A1B2C3D4E"
    assert normalise_recovery_code("oa1b2 c3d4e") == "0A1B2C3D4E"
    assert normalise_recovery_code(" OAlB2 - C3D4E ") == "0A1B2C3D4E"
    assert normalise_recovery_code("0aib2c3d4e") == "0A1B2C3D4E"


def test_looks_like_recovery_code() -> None:
    assert looks_like_recovery_code("0a1b2-c3d4e")
    assert looks_like_recovery_code("0A1B2C3D4E")
    assert not looks_like_recovery_code("123456")  # a TOTP code
    assert not looks_like_recovery_code("123 456")
    assert not looks_like_recovery_code("0A1B2-C3D4U")  # U is not in the alphabet
    assert not looks_like_recovery_code("0A1B2-C3D4")  # nine characters
    assert not looks_like_recovery_code("0A1B2-C3D4E5")  # eleven
    assert not looks_like_recovery_code("0A1B2-C3D4!")
    assert not looks_like_recovery_code("")


def test_hash_recovery_code_is_salted_and_ignores_typing_variants() -> None:
    salt, other_salt = b"s" * 16, b"t" * 16
    digest = hash_recovery_code("0A1B2-C3D4E", salt)
    assert len(digest) == 32
    assert hash_recovery_code("oa1b2 c3d4e", salt) == digest
    assert hash_recovery_code("0A1B2-C3D4E", other_salt) != digest
    assert hash_recovery_code("0A1B2-C3D4F", salt) != digest


def test_find_recovery_code() -> None:
    salt = b"practice-salt-16"
    codes = new_recovery_codes()
    stored = [hash_recovery_code(code, salt) for code in codes]
    assert find_recovery_code(codes[4].lower().replace("-", " "), salt, stored) == 4
    unused = next(c for c in new_recovery_codes() if c not in codes)
    assert find_recovery_code(unused, salt, stored) is None
    assert find_recovery_code("123456", salt, stored) is None
    assert find_recovery_code(codes[4], b"another-salt-xyz", stored) is None


_CODE_BODY = st.text(alphabet=RECOVERY_ALPHABET, min_size=10, max_size=10)


@given(body=_CODE_BODY, data=st.data())
def test_recovery_codes_round_trip_through_normalise(body: str, data: st.DataObject) -> None:
    shown = f"{body[:5]}-{body[5:]}"
    # Retype it as a person might: any case, spaces or hyphens anywhere, O for 0,
    # I or L for 1.
    typed = []
    for char in shown:
        if char == "-":
            retyped_char = data.draw(st.sampled_from(["-", " ", "", " - "]))
        elif char == "0":
            retyped_char = data.draw(st.sampled_from(["0", "O", "o"]))
        elif char == "1":
            retyped_char = data.draw(st.sampled_from(["1", "I", "i", "L", "l"]))
        else:
            retyped_char = char.lower() if data.draw(st.booleans()) else char
        typed.append(retyped_char + data.draw(st.sampled_from(["", "", " "])))
    retyped = "".join(typed)
    assert normalise_recovery_code(retyped) == body
    assert normalise_recovery_code(shown) == body
    assert looks_like_recovery_code(retyped)
    assert hash_recovery_code(retyped, b"salt") == hash_recovery_code(shown, b"salt")


@given(code=st.integers(min_value=0, max_value=999_999), spaced=st.booleans())
def test_a_totp_code_never_looks_like_a_recovery_code(code: int, spaced: bool) -> None:
    text = f"{code:06d}"
    if spaced:
        text = f"{text[:3]} {text[3:]}"
    assert not looks_like_recovery_code(text)
