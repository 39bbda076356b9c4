"""The backup identity: derived from the recovery secret, in age's own key format."""

from __future__ import annotations

import hashlib
import hmac

import pyrage
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from ehrdesk.security.backup_identity import (
    BACKUP_IDENTITY_INFO,
    PRACTICE_IDENTITY_INFO,
    backup_recipient,
    bech32_decode,
    bech32_encode,
    derive_backup_identity,
    derive_practice_identity,
)

# A key pair made by age-keygen 1.1.1, the reference Go implementation of age.
AGE_KEYGEN_IDENTITY = "AGE-SECRET-KEY-1YPGWRMLA3QGG3MT4YWCWSK3UZYN2PK35U850MWELP9TN5T5KVXGQY09YK3"
AGE_KEYGEN_RECIPIENT = "age1ssc8jv4yqpk43w0atfffzxc5tztnhqec5y2utzk3d2yyqcnp6dgs70kaj5"
AGE_KEYGEN_SECRET_HEX = "2050e1effd881088ed7523b0e85a3c1126a0da34e1e8fdbb3f09573a2e966190"

# Pinned derivation: if this changes, every existing backup becomes unreadable.
# The recipient was cross-checked with `age-keygen -y` (age 1.1.1) on the identity.
PINNED_SECRET = bytes(range(32))
PINNED_IDENTITY = "AGE-SECRET-KEY-1DDUL6WWR4W708LTLEANY6PJZRNU4K0F0ZG3E5LJ5M625TMHY25UQ46RQU9"
PINNED_RECIPIENT = "age1wks6lv4gp22n7xnja60reks95c74lv9tqgrputwr80u5p2qaavjsjvltjd"

# BIP-173's own test vectors (those not about its 90-character limit, which age drops).
BIP173_VALID = [
    "A12UEL5L",
    "a12uel5l",
    "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
    "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
    "11" + "q" * 82 + "c8247j",
    "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
    "?1ezyfcl",
]
BIP173_INVALID = [
    "\x201nwldj5",  # HRP character out of range
    "\x7f1axkwrx",
    "\x801eym55h",
    "pzry9x0s0muk",  # no separator
    "1pzry9x0s0muk",  # empty HRP
    "x1b4n0q5v",  # invalid data character
    "li1dgmt3",  # checksum too short
    "de1lg7wt\xff",  # invalid character in checksum
    "A1G7SGD8",  # checksum computed over the upper-case HRP
    "10a06t8",  # empty HRP
    "1qzzfhee",
    "A12uEL5L",  # mixed case
]


def _hkdf_sha256(ikm: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 written out with hmac, to check the derivation independently."""
    prk = hmac.new(b"\x00" * 32, ikm, hashlib.sha256).digest()
    okm, block = b"", b""
    for counter in range(1, -(-length // 32) + 1):
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
    return okm[:length]


def _x25519_recipient(secret: bytes) -> str:
    public = X25519PrivateKey.from_private_bytes(secret).public_key()
    return bech32_encode("age", public.public_bytes(Encoding.Raw, PublicFormat.Raw))


@pytest.mark.parametrize("text", BIP173_VALID)
def test_bech32_decodes_bip173_valid_vectors_and_re_encodes_them(text: str) -> None:
    hrp, data = bech32_decode(text)
    assert bech32_encode(hrp, data) == text.lower()


@pytest.mark.parametrize("text", BIP173_INVALID)
def test_bech32_refuses_bip173_invalid_vectors(text: str) -> None:
    with pytest.raises(ValueError):
        bech32_decode(text)


def test_bech32_refuses_a_single_changed_character() -> None:
    flipped = AGE_KEYGEN_IDENTITY[:-10] + ("Q" if AGE_KEYGEN_IDENTITY[-10] != "Q" else "P")
    flipped += AGE_KEYGEN_IDENTITY[-9:]
    with pytest.raises(ValueError, match="checksum"):
        bech32_decode(flipped)


def test_bech32_refuses_an_upper_case_hrp_to_encode() -> None:
    with pytest.raises(ValueError):
        bech32_encode("AGE", b"\x00")


@given(st.binary(max_size=80))
def test_bech32_decode_inverts_encode(data: bytes) -> None:
    assert bech32_decode(bech32_encode("age-secret-key-", data)) == ("age-secret-key-", data)


def test_encoder_reproduces_a_key_made_by_age_keygen() -> None:
    hrp, secret = bech32_decode(AGE_KEYGEN_IDENTITY)
    assert hrp == "age-secret-key-"
    assert secret.hex() == AGE_KEYGEN_SECRET_HEX
    assert bech32_encode(hrp, secret).upper() == AGE_KEYGEN_IDENTITY
    assert _x25519_recipient(secret) == AGE_KEYGEN_RECIPIENT
    assert str(pyrage.x25519.Identity.from_str(AGE_KEYGEN_IDENTITY).to_public()) == (
        AGE_KEYGEN_RECIPIENT
    )


def test_encoder_reproduces_identities_generated_by_pyrage() -> None:
    for _ in range(20):
        generated = str(pyrage.x25519.Identity.generate())
        hrp, secret = bech32_decode(generated)
        assert len(secret) == 32
        assert bech32_encode(hrp, secret).upper() == generated


def test_derivation_is_hkdf_sha256_with_the_versioned_label() -> None:
    assert BACKUP_IDENTITY_INFO == b"ehrdesk backup identity v1"
    identity = derive_backup_identity(PINNED_SECRET)
    hrp, secret = bech32_decode(str(identity))
    assert hrp == "age-secret-key-"
    assert secret == _hkdf_sha256(PINNED_SECRET, BACKUP_IDENTITY_INFO, 32)


def test_pinned_vector_never_changes() -> None:
    assert str(derive_backup_identity(PINNED_SECRET)) == PINNED_IDENTITY
    assert backup_recipient(PINNED_SECRET) == PINNED_RECIPIENT
    assert _x25519_recipient(bech32_decode(PINNED_IDENTITY)[1]) == PINNED_RECIPIENT


def test_identity_string_is_upper_case_age_secret_key() -> None:
    text = str(derive_backup_identity(b"\x07" * 20))
    assert text.startswith("AGE-SECRET-KEY-1")
    assert text == text.upper()
    assert backup_recipient(b"\x07" * 20).startswith("age1")


def test_derivation_is_deterministic() -> None:
    secret = bytes.fromhex("00112233445566778899aabbccddeeff")
    assert str(derive_backup_identity(secret)) == str(derive_backup_identity(secret))
    assert backup_recipient(secret) == backup_recipient(secret)


def test_different_secrets_give_different_keys() -> None:
    a, b = b"\x01" * 16, b"\x01" * 15 + b"\x02"
    assert str(derive_backup_identity(a)) != str(derive_backup_identity(b))
    assert backup_recipient(a) != backup_recipient(b)


def test_secret_shorter_than_128_bits_is_refused() -> None:
    with pytest.raises(ValueError, match="128 bits"):
        derive_backup_identity(b"\x01" * 15)
    with pytest.raises(ValueError, match="128 bits"):
        backup_recipient(b"")


def test_backup_encrypted_to_recipient_decrypts_with_derived_identity() -> None:
    secret = b"recovery secret of sixteen+ bytes"
    recipient = pyrage.x25519.Recipient.from_str(backup_recipient(secret))
    payload = b"manifest and database snapshot" * 100
    encrypted = pyrage.encrypt(payload, [recipient])
    assert payload not in encrypted
    assert pyrage.decrypt(encrypted, [derive_backup_identity(secret)]) == payload


def test_backup_does_not_decrypt_with_another_secrets_identity() -> None:
    recipient = pyrage.x25519.Recipient.from_str(backup_recipient(b"a" * 32))
    encrypted = pyrage.encrypt(b"payload", [recipient])
    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(encrypted, [derive_backup_identity(b"b" * 32)])


# Pinned like the recovery identity: if this changes, the app can no longer read back
# or verify the backups it wrote (the recovery key still could).
PINNED_PRACTICE_RECIPIENT = "age1z33xjekxpafcz38gmlh6p7v9x6fydyyy93kwh3r2yccphgez3fts9m0kpr"


def test_the_practice_identity_comes_from_the_database_key_with_its_own_label() -> None:
    assert PRACTICE_IDENTITY_INFO == b"ehrdesk backup practice identity v1"
    identity = derive_practice_identity(PINNED_SECRET)
    _, secret = bech32_decode(str(identity))
    assert secret == _hkdf_sha256(PINNED_SECRET, PRACTICE_IDENTITY_INFO, 32)
    assert str(identity.to_public()) == PINNED_PRACTICE_RECIPIENT
    # The same bytes as a recovery secret give an unrelated key: the labels separate them.
    assert str(identity) != str(derive_backup_identity(PINNED_SECRET))


def test_the_practice_identity_needs_a_whole_database_key() -> None:
    for wrong in (b"", b"\x01" * 31, b"\x01" * 33):
        with pytest.raises(ValueError, match="32 bytes"):
            derive_practice_identity(wrong)
