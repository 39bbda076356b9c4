"""Key slots: one random database key, many ways to unwrap it (as in LUKS).

A slot holds the database key wrapped with AES-256-GCM under a key derived from a
secret (a user's password or the recovery key) by Argon2id. For a workstation-bound
user slot the derived key is mixed with the workstation secret from the OS keyring by
HKDF, so the copied files alone cannot be attacked with a password list. The vault id,
slot id, kind and user tag are bound in as associated data, so a slot cannot be moved
to another vault, user or purpose. The recovery slot is never bound.

Adding a user adds a slot; disabling a user deletes it; changing a password reseals one
slot. Nothing here re-encrypts the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ehrdesk.security.kdf import KEY_BYTES, SALT_BYTES, Argon2Params, derive_key

SlotKind = Literal["user", "recovery"]
_NONCE_BYTES = 12


class WrongSecret(Exception):
    """The secret does not open this slot. Internal: services turn it into a
    user-facing error that never says which part of a sign-in was wrong."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError("expected base64 text")
    return base64.b64decode(text.encode("ascii"), validate=True)


@dataclass(frozen=True, slots=True)
class KeySlot:
    slot_id: str
    kind: SlotKind
    user_tag: str | None
    params: Argon2Params
    salt: bytes
    nonce: bytes
    wrapped: bytes
    bound: bool

    def to_json(self) -> dict[str, object]:
        return {
            "slot_id": self.slot_id,
            "kind": self.kind,
            "user_tag": self.user_tag,
            "kdf": self.params.to_json(),
            "salt": _b64(self.salt),
            "nonce": _b64(self.nonce),
            "wrapped_key": _b64(self.wrapped),
            "workstation_bound": self.bound,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> KeySlot:
        kind = data.get("kind")
        if kind not in ("user", "recovery"):
            raise ValueError("unknown slot kind")
        kdf = data.get("kdf")
        if not isinstance(kdf, dict):
            raise ValueError("missing key derivation")
        slot_id, tag, bound = (
            data.get("slot_id"),
            data.get("user_tag"),
            data.get("workstation_bound"),
        )
        if not isinstance(slot_id, str) or not isinstance(bound, bool):
            raise ValueError("bad slot")
        if not (tag is None or isinstance(tag, str)):
            raise ValueError("bad slot")
        return cls(
            slot_id=slot_id,
            kind=kind,
            user_tag=tag,
            params=Argon2Params.from_json(kdf),
            salt=_unb64(data.get("salt")),
            nonce=_unb64(data.get("nonce")),
            wrapped=_unb64(data.get("wrapped_key")),
            bound=bound,
        )


def canonical_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username).strip().casefold()


def user_tag(tag_key: bytes, username: str) -> str:
    """Which slot and throttle entry belong to a user, without writing the username
    into vault.json (vault.json holds no names: see the marker test)."""
    digest = hmac.new(tag_key, canonical_username(username).encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:32]


def _associated_data(vault_id: str, slot_id: str, kind: str, tag: str | None) -> bytes:
    return "\x00".join(("ehrdesk-keyslot-v1", vault_id, slot_id, kind, tag or "")).encode()


def _wrapping_key(
    secret: bytes, salt: bytes, params: Argon2Params, workstation_secret: bytes | None
) -> bytes:
    stretched = derive_key(secret, salt, params)
    info = b"ehrdesk keyslot wrap v1" + (b" bound" if workstation_secret else b"")
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=workstation_secret, info=info
    ).derive(stretched)


def seal(
    db_key: bytes,
    secret: bytes,
    *,
    vault_id: str,
    slot_id: str,
    kind: SlotKind,
    tag: str | None,
    params: Argon2Params,
    workstation_secret: bytes | None,
) -> KeySlot:
    if kind == "recovery" and workstation_secret is not None:
        raise ValueError("the recovery slot is never bound to a workstation")
    salt = os.urandom(SALT_BYTES)
    nonce = os.urandom(_NONCE_BYTES)
    key = _wrapping_key(secret, salt, params, workstation_secret)
    wrapped = AESGCM(key).encrypt(nonce, db_key, _associated_data(vault_id, slot_id, kind, tag))
    return KeySlot(slot_id, kind, tag, params, salt, nonce, wrapped, workstation_secret is not None)


def unseal(
    slot: KeySlot, secret: bytes, *, vault_id: str, workstation_secret: bytes | None
) -> bytes:
    """The database key, or WrongSecret."""
    if slot.bound and workstation_secret is None:
        raise ValueError("a bound slot needs the workstation secret")
    key = _wrapping_key(secret, slot.salt, slot.params, workstation_secret if slot.bound else None)
    try:
        db_key = AESGCM(key).decrypt(
            slot.nonce,
            slot.wrapped,
            _associated_data(vault_id, slot.slot_id, slot.kind, slot.user_tag),
        )
    except InvalidTag:
        raise WrongSecret from None
    if len(db_key) != KEY_BYTES:
        raise WrongSecret
    return db_key


def burn_time(params: Argon2Params) -> None:
    """Spend the same effort as a real unseal, so an unknown username takes as long to
    refuse as a wrong password."""
    derive_key(b"ehrdesk-no-such-user", b"\x00" * SALT_BYTES, params)
