"""The practice's backup key pair, derived from the recovery key.

Backups are age files encrypted to one X25519 recipient (DESIGN section 5). Its
identity (the private half) is never stored: it is derived from the recovery secret
behind the Emergency Kit, so the printed kit decrypts every backup ever taken, and the
signed-in app can take a backup with only the public recipient from `vault.json`.

    recovery secret --HKDF-SHA256(info="ehrdesk backup identity v1")--> 32 bytes
        --bech32("AGE-SECRET-KEY-")--> age X25519 identity --> age1... recipient

Every backup is also encrypted to a second recipient derived the same way from the
database key (info "ehrdesk backup practice identity v1"), so the signed-in app can
read back and verify the backups it writes, and tell another practice's backup from a
damaged one, without ever holding the recovery key. Whoever holds the database key can
read the live database anyway (DESIGN section 7), so this opens nothing new.

Invariant: the derivation is deterministic and versioned by its `info` label. Changing
the label, the hash or the encoding orphans every existing backup, so a new scheme
gets a new label ("... v2") and the old one stays readable.

age encodes its keys with bech32 (BIP-173), which is implemented here because it is a
few dozen lines and pulling in a package for it would not make it safer.
"""

from __future__ import annotations

from typing import Final

import pyrage
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "BACKUP_IDENTITY_INFO",
    "PRACTICE_IDENTITY_INFO",
    "backup_recipient",
    "bech32_decode",
    "bech32_encode",
    "derive_backup_identity",
    "derive_practice_identity",
]

#: HKDF `info` label: names what the derived bytes are for, and which version.
BACKUP_IDENTITY_INFO: Final = b"ehrdesk backup identity v1"
#: The same for the identity derived from the database key (see the module docstring).
PRACTICE_IDENTITY_INFO: Final = b"ehrdesk backup practice identity v1"

#: The recovery key carries at least 128 random bits (DESIGN section 3).
_MIN_SECRET_BYTES: Final = 16

# age's bech32 human-readable part for X25519 identities (https://age-encryption.org/v1,
# "The X25519 recipient type"); identities are written in upper case.
_AGE_SECRET_KEY_HRP: Final = "age-secret-key-"  # noqa: S105  (a prefix, not a secret)
_X25519_KEY_BYTES: Final = 32

# --- bech32 (BIP-173) --------------------------------------------------------------

_CHARSET: Final = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR: Final = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_CHECKSUM_LENGTH: Final = 6


def _polymod(values: list[int]) -> int:
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(_GENERATOR):
            if (top >> bit) & 1:
                checksum ^= generator
    return checksum


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: bytes | list[int], from_bits: int, to_bits: int, *, pad: bool) -> list[int]:
    accumulator = 0
    bits = 0
    result: list[int] = []
    max_value = (1 << to_bits) - 1
    max_accumulator = (1 << (from_bits + to_bits - 1)) - 1
    for value in data:
        accumulator = ((accumulator << from_bits) | value) & max_accumulator
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            result.append((accumulator >> bits) & max_value)
    if pad:
        if bits:
            result.append((accumulator << (to_bits - bits)) & max_value)
    elif bits >= from_bits or (accumulator << (to_bits - bits)) & max_value:
        raise ValueError("bech32 data has invalid padding")
    return result


def bech32_encode(hrp: str, data: bytes) -> str:
    """Encode `data` as lower-case bech32 (BIP-173) with human-readable part `hrp`.

    Follows BIP-173 (https://github.com/bitcoin/bips/blob/master/bip-0173.mediawiki):
    8-bit groups regrouped into 5-bit ones with zero padding, a 6-character BCH
    checksum with constant 1 (original bech32, not bech32m). As in the age spec
    (https://age-encryption.org/v1), there is no 90-character limit; the caller
    upper-cases the result where age wants upper case (secret keys).
    """
    if not hrp or any(not 33 <= ord(c) <= 126 for c in hrp) or hrp != hrp.lower():
        raise ValueError("bech32 human-readable part must be lower-case printable ASCII")
    values = _convert_bits(data, 8, 5, pad=True)
    polymod = _polymod([*_hrp_expand(hrp), *values, *([0] * _CHECKSUM_LENGTH)]) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(_CHECKSUM_LENGTH)]
    return hrp + "1" + "".join(_CHARSET[v] for v in values + checksum)


def bech32_decode(text: str) -> tuple[str, bytes]:
    """Decode a bech32 string into (lower-case human-readable part, data bytes).

    The inverse of `bech32_encode`: rejects mixed case, unknown characters, a bad
    checksum and non-zero padding, and raises `ValueError` for each.
    """
    if text != text.lower() and text != text.upper():
        raise ValueError("bech32 string mixes upper and lower case")
    text = text.lower()
    separator = text.rfind("1")
    if separator < 1 or separator + 1 + _CHECKSUM_LENGTH > len(text):
        raise ValueError("bech32 string has no valid separator")
    hrp, payload = text[:separator], text[separator + 1 :]
    if any(not 33 <= ord(c) <= 126 for c in hrp):
        raise ValueError("bech32 human-readable part is not printable ASCII")
    try:
        values = [_CHARSET.index(c) for c in payload]
    except ValueError:
        raise ValueError("bech32 string contains a character outside its alphabet") from None
    if _polymod([*_hrp_expand(hrp), *values]) != 1:
        raise ValueError("bech32 checksum does not match")
    data = _convert_bits(values[:-_CHECKSUM_LENGTH], 5, 8, pad=False)
    return hrp, bytes(data)


# --- the backup identity ------------------------------------------------------------


def _identity_string(secret: bytes, info: bytes = BACKUP_IDENTITY_INFO) -> str:
    if len(secret) < _MIN_SECRET_BYTES:
        raise ValueError("the recovery secret must hold at least 128 bits")
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=_X25519_KEY_BYTES,
        salt=None,  # the input is already uniformly random; the label separates uses
        info=info,
    ).derive(secret)
    return bech32_encode(_AGE_SECRET_KEY_HRP, key).upper()


def derive_backup_identity(recovery_secret: bytes) -> pyrage.x25519.Identity:
    """The age X25519 identity that decrypts every backup of the practice.

    Deterministic: the same recovery secret always gives the same identity.
    Raises `ValueError` if the secret is shorter than 128 bits.
    """
    return pyrage.x25519.Identity.from_str(_identity_string(recovery_secret))


def backup_recipient(recovery_secret: bytes) -> str:
    """The public `age1...` recipient that backups are encrypted to (kept in vault.json)."""
    return str(derive_backup_identity(recovery_secret).to_public())


def derive_practice_identity(db_key: bytes) -> pyrage.x25519.Identity:
    """The age identity derived from the database key: what the signed-in app uses to
    read its own backups back. Deterministic, like `derive_backup_identity`."""
    if len(db_key) != _X25519_KEY_BYTES:
        raise ValueError("the database key is 32 bytes")
    return pyrage.x25519.Identity.from_str(_identity_string(db_key, PRACTICE_IDENTITY_INFO))
