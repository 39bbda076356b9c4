"""Password → key: Argon2id with the shipped parameters, and the one test setting.

The shipped parameters are what every new key slot uses. Tests make vaults quickly by
setting `EHRDESK_TEST_FAST_KDF=1`; that is the only switch, it is read only here, and a
slot made with it is recognisably weak (`is_weak`), so `ehrdesk check` reports it. Each
slot stores its own parameters, so raising the defaults later never locks anyone out.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw

KEY_BYTES = 32
SALT_BYTES = 16
TEST_SETTING = "EHRDESK_TEST_FAST_KDF"


@dataclass(frozen=True, slots=True)
class Argon2Params:
    time_cost: int
    memory_kib: int
    lanes: int

    def to_json(self) -> dict[str, int | str]:
        return {"alg": "argon2id", "t": self.time_cost, "m": self.memory_kib, "p": self.lanes}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Argon2Params:
        if data.get("alg") != "argon2id":
            raise ValueError("unknown key derivation")
        t, m, p = data.get("t"), data.get("m"), data.get("p")
        if not (isinstance(t, int) and isinstance(m, int) and isinstance(p, int)):
            raise ValueError("bad key derivation parameters")
        if not (1 <= t <= 100 and 8 * p <= m <= 4 * 1024 * 1024 and 1 <= p <= 64):
            raise ValueError("key derivation parameters out of range")
        return cls(t, m, p)


#: What a release ships: 128 MiB, 4 passes, 4 lanes (about 0.3 s on a 2-core machine;
#: the issue asks for at least 64 MiB, 3 passes, 4 lanes and unlock under one second).
SHIPPED = Argon2Params(time_cost=4, memory_kib=128 * 1024, lanes=4)
#: Only ever chosen through TEST_SETTING.
FAST_FOR_TESTS = Argon2Params(time_cost=1, memory_kib=64, lanes=1)
MINIMUM = Argon2Params(time_cost=3, memory_kib=64 * 1024, lanes=4)


def params_for_new_slots() -> Argon2Params:
    """The parameters a new key slot gets: the shipped ones, unless tests asked."""
    return FAST_FOR_TESTS if os.environ.get(TEST_SETTING) == "1" else SHIPPED


def is_weak(params: Argon2Params) -> bool:
    return (
        params.time_cost < MINIMUM.time_cost
        or params.memory_kib < MINIMUM.memory_kib
        or params.lanes < MINIMUM.lanes
    )


def password_bytes(password: str) -> bytes:
    """Passwords are compared after Unicode NFKC, so the same text typed on another
    keyboard or input method still opens the vault."""
    return unicodedata.normalize("NFKC", password).encode("utf-8")


def derive_key(secret: bytes, salt: bytes, params: Argon2Params) -> bytes:
    return hash_secret_raw(
        secret=secret,
        salt=salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.lanes,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )
