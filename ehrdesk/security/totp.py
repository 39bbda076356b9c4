"""The second factor: TOTP codes (RFC 6238, through pyotp) and single-use recovery codes.

A TOTP code is six digits for a 30-second time step. `verify_code` accepts the
current step and one step either side (clock skew), and only a step later than the
last one accepted for that person, so a code seen over a shoulder or in a
screenshot cannot be used a second time. The caller stores the step it returns.

Recovery codes are ten characters of Crockford's base32 (no I, L, O or U, so nothing
is misread), shown as `XXXXX-XXXXX`, 50 random bits each. Only their hashes are
stored. `looks_like_recovery_code` lets the sign-in form take either kind of code in
one field.

Invariants: nothing here reads the system clock (the time is passed in, timezone-
aware), all randomness comes from `secrets` (pyotp's `random_base32` draws from
`secrets.SystemRandom`), and codes are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pyotp

__all__ = [
    "RECOVERY_ALPHABET",
    "current_code",
    "find_recovery_code",
    "hash_recovery_code",
    "looks_like_recovery_code",
    "new_recovery_codes",
    "new_secret",
    "normalise_recovery_code",
    "provisioning_uri",
    "time_step",
    "verify_code",
]

STEP_SECONDS = 30
DIGITS = 6
# One step of clock skew either way: a phone up to 30 s fast or slow still works.
SKEW_STEPS = 1
SECRET_LENGTH = 32  # base32 characters: 160 bits, the key size RFC 4226 recommends

RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
RECOVERY_LENGTH = 10  # 10 x 5 bits = 50 bits
_RECOVERY_GROUP = 5
_MAX_RECOVERY_CODES = 100
# What people mistype, mapped as Crockford's base32 decodes it.
_RECOVERY_CONFUSABLES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_RECOVERY_SEPARATORS = str.maketrans("", "", " -\t\r\n\u00a0")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ASCII_DIGITS = frozenset("0123456789")


def new_secret() -> str:
    """A fresh TOTP secret: 32 base32 characters (160 random bits)."""
    return pyotp.random_base32(length=SECRET_LENGTH)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from a QR code."""
    return _totp(secret).provisioning_uri(name=account, issuer_name=issuer)


def time_step(now: datetime) -> int:
    """The number of the 30-second step that `now` (timezone-aware) falls in."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("TOTP needs a timezone-aware datetime")
    # Integer arithmetic on timedeltas: exact, unlike float timestamps.
    return (now - _EPOCH) // timedelta(seconds=STEP_SECONDS)


def current_code(secret: str, now: datetime) -> str:
    """The code an authenticator app shows at `now` (for tests and the demo)."""
    return _totp(secret).generate_otp(time_step(now))


def verify_code(
    secret: str,
    code: str,
    now: datetime,
    last_accepted_step: int | None,
) -> int | None:
    """The step `code` belongs to, if it is valid at `now` and not used before; else None.

    Spaces in `code` are ignored ("123 456"). A step at or before `last_accepted_step`
    is refused, so each code works once and an older code never works after a newer
    one. Store the returned step as the new `last_accepted_step`.
    """
    typed = "".join(code.split())
    if len(typed) != DIGITS or not set(typed) <= _ASCII_DIGITS:
        return None
    totp = _totp(secret)
    centre = time_step(now)
    matched: int | None = None
    # Every candidate is computed and compared, so the time taken does not depend on
    # which step (if any) matched.
    for step in range(centre - SKEW_STEPS, centre + SKEW_STEPS + 1):
        if step < 0:
            continue
        expected = totp.generate_otp(step)
        fresh = last_accepted_step is None or step > last_accepted_step
        if hmac.compare_digest(expected.encode("ascii"), typed.encode("ascii")) and fresh:
            matched = step
    return matched


def new_recovery_codes(count: int = 10) -> list[str]:
    """`count` distinct recovery codes, each `XXXXX-XXXXX` (50 random bits)."""
    if not 1 <= count <= _MAX_RECOVERY_CODES:
        raise ValueError(f"count must be between 1 and {_MAX_RECOVERY_CODES}")
    codes: dict[str, None] = {}
    while len(codes) < count:
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes[f"{raw[:_RECOVERY_GROUP]}-{raw[_RECOVERY_GROUP:]}"] = None
    return list(codes)


def normalise_recovery_code(text: str) -> str:
    """A typed recovery code in its stored form: upper case, no spaces or hyphens,
    O read as 0 and I or L as 1. The result may still not be a valid code."""
    folded = unicodedata.normalize("NFKC", text).upper()
    return folded.translate(_RECOVERY_SEPARATORS).translate(_RECOVERY_CONFUSABLES)


def looks_like_recovery_code(text: str) -> bool:
    """Whether `text` has the shape of a recovery code (not whether it is a valid one)."""
    code = normalise_recovery_code(text)
    return len(code) == RECOVERY_LENGTH and all(c in RECOVERY_ALPHABET for c in code)


def hash_recovery_code(code: str, salt: bytes) -> bytes:
    """SHA-256 over `salt` and the normalised code.

    A fast hash is right here, unlike for passwords: each code carries 50 random
    bits, so there is no short list of likely codes to try, and the hashes are
    stored inside the encrypted database, behind the Argon2id-protected key. A slow
    hash would only slow down sign-in.
    """
    return hashlib.sha256(salt + normalise_recovery_code(code).encode("utf-8")).digest()


def find_recovery_code(text: str, salt: bytes, stored: Sequence[bytes]) -> int | None:
    """The index in `stored` of the hash that `text` matches, or None.

    Compares against every stored hash in constant time. The caller deletes (or
    marks used) the matched hash, so each recovery code works once.
    """
    if not looks_like_recovery_code(text):
        return None
    candidate = hash_recovery_code(text, salt)
    found: int | None = None
    for index, digest in enumerate(stored):
        if hmac.compare_digest(candidate, digest) and found is None:
            found = index
    return found


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
