"""Key slots: the database key wrapped under a password or the recovery key."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from ehrdesk.security import keyslots
from ehrdesk.security.kdf import FAST_FOR_TESTS
from ehrdesk.security.keyslots import WrongSecret

DB_KEY = os.urandom(32)
WS = os.urandom(32)


def seal(
    secret: bytes = b"pw", *, ws: bytes | None = None, tag: str | None = "t1"
) -> keyslots.KeySlot:
    return keyslots.seal(
        DB_KEY,
        secret,
        vault_id="vault-a",
        slot_id="s1",
        kind="user",
        tag=tag,
        params=FAST_FOR_TESTS,
        workstation_secret=ws,
    )


def test_round_trip_and_json() -> None:
    slot = seal()
    assert keyslots.unseal(slot, b"pw", vault_id="vault-a", workstation_secret=None) == DB_KEY
    again = keyslots.KeySlot.from_json(slot.to_json())
    assert again == slot


def test_wrong_password_is_refused() -> None:
    with pytest.raises(WrongSecret):
        keyslots.unseal(seal(), b"pW", vault_id="vault-a", workstation_secret=None)


def test_a_slot_cannot_move_to_another_vault_or_user() -> None:
    slot = seal()
    with pytest.raises(WrongSecret):
        keyslots.unseal(slot, b"pw", vault_id="vault-b", workstation_secret=None)
    with pytest.raises(WrongSecret):
        keyslots.unseal(
            replace(slot, user_tag="t2"), b"pw", vault_id="vault-a", workstation_secret=None
        )
    with pytest.raises(WrongSecret):
        keyslots.unseal(
            replace(slot, slot_id="s2"), b"pw", vault_id="vault-a", workstation_secret=None
        )


def test_flipped_ciphertext_is_refused() -> None:
    slot = seal()
    flipped = bytes([slot.wrapped[0] ^ 1]) + slot.wrapped[1:]
    with pytest.raises(WrongSecret):
        keyslots.unseal(
            replace(slot, wrapped=flipped), b"pw", vault_id="vault-a", workstation_secret=None
        )


def test_bound_slot_needs_the_right_workstation_secret() -> None:
    slot = seal(ws=WS)
    assert slot.bound
    assert keyslots.unseal(slot, b"pw", vault_id="vault-a", workstation_secret=WS) == DB_KEY
    with pytest.raises(WrongSecret):
        keyslots.unseal(slot, b"pw", vault_id="vault-a", workstation_secret=os.urandom(32))
    with pytest.raises(ValueError):
        keyslots.unseal(slot, b"pw", vault_id="vault-a", workstation_secret=None)


def test_bound_and_unbound_derivations_differ() -> None:
    """Flipping the stored `bound` flag cannot turn a bound slot into a password-only one."""
    slot = seal(ws=WS)
    with pytest.raises(WrongSecret):
        keyslots.unseal(
            replace(slot, bound=False), b"pw", vault_id="vault-a", workstation_secret=None
        )


def test_recovery_slot_is_never_bound() -> None:
    with pytest.raises(ValueError):
        keyslots.seal(
            DB_KEY,
            b"rk",
            vault_id="v",
            slot_id="recovery",
            kind="recovery",
            tag=None,
            params=FAST_FOR_TESTS,
            workstation_secret=WS,
        )


def test_user_tags_ignore_case_and_width_but_not_the_key() -> None:
    key = os.urandom(32)
    assert keyslots.user_tag(key, "Olive") == keyslots.user_tag(key, " olive ")
    assert keyslots.user_tag(key, "ｏｌｉｖｅ") == keyslots.user_tag(key, "olive")
    assert keyslots.user_tag(key, "olive") != keyslots.user_tag(os.urandom(32), "olive")
    assert "olive" not in keyslots.user_tag(key, "olive")
