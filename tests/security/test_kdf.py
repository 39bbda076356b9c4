"""The shipped Argon2id parameters, asserted apart from the fast test setting."""

from __future__ import annotations

import pytest

from ehrdesk.security import kdf


def test_shipped_parameters_meet_the_floor() -> None:
    assert kdf.SHIPPED.memory_kib >= 64 * 1024
    assert kdf.SHIPPED.time_cost >= 3
    assert kdf.SHIPPED.lanes >= 4
    assert not kdf.is_weak(kdf.SHIPPED)


def test_new_slots_get_shipped_parameters_without_the_test_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(kdf.TEST_SETTING, raising=False)
    assert kdf.params_for_new_slots() == kdf.SHIPPED
    monkeypatch.setenv(kdf.TEST_SETTING, "yes")  # only exactly "1" switches it on
    assert kdf.params_for_new_slots() == kdf.SHIPPED


def test_the_test_setting_is_recognisably_weak(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(kdf.TEST_SETTING, "1")
    assert kdf.params_for_new_slots() == kdf.FAST_FOR_TESTS
    assert kdf.is_weak(kdf.FAST_FOR_TESTS)


def test_derivation_is_deterministic_and_salted() -> None:
    p = kdf.FAST_FOR_TESTS
    a = kdf.derive_key(b"pw", b"s" * 16, p)
    assert a == kdf.derive_key(b"pw", b"s" * 16, p)
    assert a != kdf.derive_key(b"pw", b"t" * 16, p)
    assert a != kdf.derive_key(b"pw2", b"s" * 16, p)
    assert len(a) == 32


def test_passwords_are_nfkc_normalised() -> None:
    assert kdf.password_bytes("ｐａｓｓ") == kdf.password_bytes("pass")


@pytest.mark.parametrize(
    "bad",
    [
        {"alg": "argon2i", "t": 3, "m": 65536, "p": 4},
        {"alg": "argon2id", "t": 0, "m": 65536, "p": 4},
        {"alg": "argon2id", "t": 3, "m": 4, "p": 4},
        {"alg": "argon2id", "t": "3", "m": 65536, "p": 4},
    ],
)
def test_stored_parameters_are_validated(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        kdf.Argon2Params.from_json(bad)
