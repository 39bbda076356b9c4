"""The password policy: what it refuses, what it accepts, and that it never echoes a password."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ehrdesk.core.errors import InvalidInput
from ehrdesk.security.passwords import (
    REASON_CONTEXT,
    REASON_DIGIT,
    REASON_LOWER,
    REASON_SYMBOL,
    REASON_TOO_COMMON,
    REASON_UPPER,
    PasswordPolicy,
    PasswordStrength,
    check_password,
    hash_for_history,
    in_history,
    is_expired,
    normalise,
    strength,
)

DEFAULT = PasswordPolicy()
PRACTICE = "Sunnyvale Family Counseling"
TOO_SHORT_12 = "This password is too short: use at least 12 characters."
TOO_LONG_128 = "This password is too long: use at most 128 characters."

STRONG_PHRASES = [
    "correct horse battery staple 42",
    "Velvet tugboat orbits a quiet lemon",
    "mauve-kettle-Riverbank-7-sparrow",
]

# Distinct, uncommon words: no repeats for zxcvbn to discount. Well over 128 characters.
LONG_PHRASE = (
    "velvet tugboat orbits quiet lemon mauve kettle riverbank sparrow glacier pepper "
    "violin canyon marble harbor quartz meadow copper lantern thistle walnut falcon"
)


def full_width(text: str) -> str:
    """`text` in full-width forms (U+FF01..U+FF5E), as some keyboards and IMEs type it."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# --- the default policy ---------------------------------------------------------------


def test_default_policy_is_nist_style() -> None:
    assert DEFAULT.to_json() == {
        "min_length": 12,
        "max_length": 128,
        "require_composition": False,
        "max_age_days": None,
        "history_count": 0,
    }


@pytest.mark.parametrize("phrase", STRONG_PHRASES)
def test_default_policy_accepts_strong_passphrases(phrase: str) -> None:
    assert check_password(phrase, DEFAULT) == []


@pytest.mark.parametrize("common", ["password1234", "qwertyuiopasdf", "aaaaaaaaaaaaaaaa"])
def test_default_policy_refuses_common_or_guessable(common: str) -> None:
    assert check_password(common, DEFAULT) == [REASON_TOO_COMMON]


def test_refuses_eleven_characters_and_accepts_twelve() -> None:
    assert check_password("vK8#qZ2!mWp", DEFAULT) == [TOO_SHORT_12]
    assert check_password("vK8#qZ2!mWpx", DEFAULT) == []


def test_refuses_129_characters_and_accepts_128() -> None:
    assert check_password(LONG_PHRASE[:129], DEFAULT) == [TOO_LONG_128]
    assert check_password(LONG_PHRASE[:128], DEFAULT) == []


def test_lengths_follow_the_policy_and_say_the_number() -> None:
    policy = PasswordPolicy(min_length=16, max_length=40)
    assert check_password("velvet tugboat", policy) == [
        "This password is too short: use at least 16 characters."
    ]
    assert check_password(LONG_PHRASE[:41], policy) == [
        "This password is too long: use at most 40 characters."
    ]


def test_empty_password_is_refused_as_too_short() -> None:
    assert check_password("", DEFAULT) == [TOO_SHORT_12]


def test_very_long_password_under_a_generous_policy_does_not_break_the_check() -> None:
    # zxcvbn raises on inputs past its maximum; the check must measure a prefix instead.
    policy = PasswordPolicy(max_length=1024)
    assert check_password((LONG_PHRASE + " ") * 6, policy) == []


# --- context words ----------------------------------------------------------------------


def test_refuses_password_containing_the_practice_name() -> None:
    password = "sunnyvale tugboat orbits 91"
    assert check_password(password, DEFAULT) == []  # fine on its own …
    assert check_password(password, DEFAULT, context_words=[PRACTICE]) == [REASON_CONTEXT]


@pytest.mark.parametrize(
    ("password", "context"),
    [
        ("SUNNYVALE tugboat orbits 91", [PRACTICE]),  # any case
        ("velvet COUNSELING tugboat 7", [PRACTICE]),  # any word of the name
        ("5unnyv4le tugboat orbits 91", [PRACTICE]),  # l33t spelling, seen by zxcvbn
        ("elavynnus tugboat orbits 91", [PRACTICE]),  # reversed, seen by zxcvbn
        ("jdoe velvet tugboat orbit", ["jdoe"]),  # username
        ("velvet tugboat margarethe 7", ["Margarethe Q. Lindqvist"]),  # part of a full name
        ("velvet lindqvist tugboat 7", ["Margarethe Q. Lindqvist"]),
        ("velvet tugboat jane orbit 7", ["jane.doe"]),  # part of a dotted username
    ],
)
def test_refuses_password_close_to_context_words(password: str, context: list[str]) -> None:
    assert check_password(password, DEFAULT) == []
    assert REASON_CONTEXT in check_password(password, DEFAULT, context_words=context)


def test_short_context_words_are_not_refused_by_containment() -> None:
    # "Li" occurs inside "limes"; refusing that would refuse half the dictionary.
    assert check_password("velvet tugboat limes orbit", DEFAULT, context_words=["Li"]) == []


def test_context_words_are_normalised_too() -> None:
    full_width_name = full_width("SUNNYVALE")
    assert full_width_name != "SUNNYVALE"
    reasons = check_password(
        "sunnyvale tugboat orbits 91", DEFAULT, context_words=[full_width_name]
    )
    assert reasons == [REASON_CONTEXT]


# --- normalisation --------------------------------------------------------------------


def test_normalise_is_nfkc() -> None:
    assert full_width("correct") != "correct"
    assert normalise(full_width("correct")) == "correct"
    assert normalise("\ufb01sh") == "fish"  # the "fi" ligature
    assert normalise("Cafe\u0301") == "Café"  # combining accent composed
    assert len(normalise("Cafe\u0301")) == 4


def test_full_width_common_password_is_still_common() -> None:
    assert check_password(full_width("password1234"), DEFAULT) == [REASON_TOO_COMMON]


def test_length_is_counted_after_normalising() -> None:
    # 11 code points as typed; the ligature becomes "fi", making 12.
    typed = "\ufb01vK8#qZ2!mW"
    assert len(typed) == 11
    assert len(normalise(typed)) == 12
    assert check_password(typed, DEFAULT) == []
    # 12 code points typed, of which two combine: 11 after normalising.
    combining = "e\u0301vK8#qZ2!mW"
    assert len(combining) == 12
    assert check_password(combining, DEFAULT) == [TOO_SHORT_12]


# --- composition ------------------------------------------------------------------------


def test_no_composition_rules_by_default() -> None:
    assert check_password("velvet tugboat orbits quietly", DEFAULT) == []


def test_composition_rules_when_enabled() -> None:
    policy = PasswordPolicy(require_composition=True)
    assert check_password("velvet tugboat orbits quietly", policy) == [
        REASON_UPPER,
        REASON_DIGIT,
        REASON_SYMBOL,
    ]
    assert check_password("VELVET TUGBOAT ORBITS 7!", policy) == [REASON_LOWER]
    assert check_password("Velvet tugboat orbits 7!", policy) == []


def test_a_space_is_not_a_symbol() -> None:
    policy = PasswordPolicy(require_composition=True)
    assert check_password("Velvet tugboat orbits 7", policy) == [REASON_SYMBOL]


# --- messages never carry the password --------------------------------------------------

_LENGTH_MESSAGES = {TOO_SHORT_12, TOO_LONG_128}
_KNOWN_REASONS = _LENGTH_MESSAGES | {
    REASON_TOO_COMMON,
    REASON_CONTEXT,
    REASON_LOWER,
    REASON_UPPER,
    REASON_DIGIT,
    REASON_SYMBOL,
}


@settings(max_examples=60, deadline=None)
@given(password=st.text(max_size=40), composition=st.booleans())
def test_reasons_come_from_a_fixed_set(password: str, composition: bool) -> None:
    # Every reason is one of the fixed sentences, so none can contain the password.
    policy = PasswordPolicy(require_composition=composition)
    reasons = check_password(password, policy, context_words=[PRACTICE, "jdoe"])
    assert set(reasons) <= _KNOWN_REASONS
    assert len(reasons) == len(set(reasons))


@settings(max_examples=30, deadline=None)
@given(password=st.text(min_size=1, max_size=40))
def test_strength_advice_never_contains_the_password(password: str) -> None:
    meter = strength(password, [PRACTICE])
    assert 0 <= meter.score <= 4
    if len(normalise(password)) >= 8:
        assert normalise(password) not in meter.advice


# --- strength meter ---------------------------------------------------------------------


def test_strength_of_empty_password() -> None:
    assert strength("") == PasswordStrength(score=0, label="Very weak", advice="")


def test_strength_of_a_common_password_is_low_with_advice() -> None:
    meter = strength("password")
    assert meter.score == 0
    assert meter.label == "Very weak"
    assert "common" in meter.advice


def test_strength_of_a_passphrase_is_very_strong() -> None:
    assert strength("correct horse battery staple 42") == PasswordStrength(
        score=4, label="Very strong", advice=""
    )


def test_strength_labels_follow_the_score() -> None:
    labels = {0: "Very weak", 1: "Weak", 2: "Fair", 3: "Strong", 4: "Very strong"}
    for password in ["a", "password", "qwertyuiopasdf", "Tr0ub4dor&3", "vK8#qZ2!mWpx"]:
        meter = strength(password)
        assert meter.label == labels[meter.score]


def test_strength_never_praises_a_password_built_on_a_context_word() -> None:
    password = "sunnyvale tugboat orbits 91"
    assert strength(password).score == 4
    meter = strength(password, [PRACTICE])
    assert meter.score <= 1
    assert "practice's name" in meter.advice


def test_strength_handles_long_input() -> None:
    # Past zxcvbn's own maximum: measured on a prefix, not an exception.
    assert strength(LONG_PHRASE * 10).score == 4


# --- history ----------------------------------------------------------------------------


def test_history_refuses_a_remembered_password() -> None:
    hashes = [hash_for_history("velvet tugboat orbits 1"), hash_for_history("velvet tugboat 2")]
    assert in_history("velvet tugboat 2", hashes)
    assert in_history("velvet tugboat orbits 1", hashes)
    assert not in_history("velvet tugboat orbits 3", hashes)
    assert not in_history("velvet tugboat 2", [])


def test_history_hashes_are_salted_argon2id() -> None:
    first, second = hash_for_history("velvet tugboat 2"), hash_for_history("velvet tugboat 2")
    assert first.startswith("$argon2id$")
    assert "velvet" not in first
    assert first != second


def test_history_compares_normalised_passwords() -> None:
    hashes = [hash_for_history(full_width("velvet tugboat 2"))]
    assert in_history("velvet tugboat 2", hashes)


def test_history_skips_damaged_hashes() -> None:
    good = hash_for_history("velvet tugboat 2")
    assert in_history("velvet tugboat 2", ["not a hash", "$argon2id$v=19$garbage", good])
    assert not in_history("velvet tugboat 3", ["not a hash", good])


# --- expiry -----------------------------------------------------------------------------

CHANGED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_passwords_never_expire_by_default() -> None:
    assert not is_expired(CHANGED, CHANGED + timedelta(days=36500), DEFAULT)


def test_expiry_after_max_age() -> None:
    policy = PasswordPolicy(max_age_days=90)
    assert not is_expired(CHANGED, CHANGED + timedelta(days=90, seconds=-1), policy)
    assert is_expired(CHANGED, CHANGED + timedelta(days=90), policy)
    assert is_expired(CHANGED, CHANGED + timedelta(days=400), policy)


def test_expiry_refuses_naive_datetimes() -> None:
    policy = PasswordPolicy(max_age_days=90)
    with pytest.raises(ValueError, match="timezone-aware"):
        is_expired(CHANGED.replace(tzinfo=None), CHANGED, policy)
    with pytest.raises(ValueError, match="timezone-aware"):
        is_expired(CHANGED, CHANGED.replace(tzinfo=None), policy)


# --- policy as JSON ---------------------------------------------------------------------


def test_policy_json_round_trip() -> None:
    policy = PasswordPolicy(
        min_length=14, max_length=64, require_composition=True, max_age_days=180, history_count=5
    )
    data = policy.to_json()
    assert data == {
        "min_length": 14,
        "max_length": 64,
        "require_composition": True,
        "max_age_days": 180,
        "history_count": 5,
    }
    assert PasswordPolicy.from_json(data) == policy


def test_policy_from_json_fills_missing_keys_with_defaults() -> None:
    assert PasswordPolicy.from_json({}) == DEFAULT
    assert PasswordPolicy.from_json({"history_count": 3}) == PasswordPolicy(history_count=3)
    assert PasswordPolicy.from_json({"unknown": 1}) == DEFAULT


@pytest.mark.parametrize(
    "data",
    [
        {"min_length": 7},
        {"min_length": 0},
        {"min_length": 20, "max_length": 19},
        {"max_length": 1025},
        {"history_count": -1},
        {"history_count": 25},
        {"max_age_days": 0},
        {"max_age_days": -30},
        {"min_length": "12"},
        {"min_length": 12.0},
        {"min_length": True},
        {"require_composition": "yes"},
        {"max_age_days": "90"},
        {"history_count": None},
    ],
)
def test_policy_from_json_rejects_nonsense(data: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        PasswordPolicy.from_json(data)


def test_policy_constructor_validates_too() -> None:
    with pytest.raises(InvalidInput):
        PasswordPolicy(min_length=6)


@given(
    min_length=st.integers(8, 200),
    extra=st.integers(0, 200),
    composition=st.booleans(),
    max_age=st.none() | st.integers(1, 3650),
    history=st.integers(0, 24),
)
def test_any_valid_policy_round_trips(
    min_length: int, extra: int, composition: bool, max_age: int | None, history: int
) -> None:
    policy = PasswordPolicy(
        min_length=min_length,
        max_length=min(1024, min_length + extra),
        require_composition=composition,
        max_age_days=max_age,
        history_count=history,
    )
    assert PasswordPolicy.from_json(policy.to_json()) == policy
