"""The recovery key: typeable groups, forgiving to read, typos caught."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ehrdesk.core.errors import InvalidInput
from ehrdesk.security import recovery


def test_format_is_eight_groups_of_four() -> None:
    key = recovery.new_recovery_key()
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){7}[0-9A-HJKMNP-TV-Z]{4}", key)
    assert recovery.new_recovery_key() != key


def test_reading_is_forgiving() -> None:
    key = recovery.new_recovery_key()
    sloppy = key.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert recovery.secret_bytes(sloppy) == recovery.secret_bytes(key)


@given(st.integers(min_value=0, max_value=31), st.integers(min_value=1, max_value=31))
def test_any_single_character_typo_is_caught(position: int, shift: int) -> None:
    key = recovery.normalise(recovery.new_recovery_key())
    wrong = recovery.ALPHABET[(recovery.ALPHABET.index(key[position]) + shift) % 32]
    typo = key[:position] + wrong + key[position + 1 :]
    # The 10-bit check catches all but about one typo in a thousand; a miss would be a
    # different, still valid key, which the slot then refuses.
    try:
        recovery.normalise(typo)
    except InvalidInput:
        return
    assert recovery.secret_bytes(typo) != recovery.secret_bytes(key)


@pytest.mark.parametrize("text", ["", "ABCD-EFGH", "U" * 32, recovery.new_recovery_key() + "X"])
def test_malformed_keys_get_a_plain_sentence(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        recovery.normalise(text)
    assert caught.value.message.endswith(".")
