"""The recovery key printed on the Emergency Kit.

150 random bits written as 30 Crockford base32 characters plus two check characters,
in eight groups of four (`ABCD-EFGH-…`), so a person can type it from paper and a typo
is caught as a typo ("check the key") instead of looking like a wrong key. Reading is
forgiving: case, spaces, hyphens, and O/I/L typed for 0/1/1 are all accepted.
"""

from __future__ import annotations

import hashlib
import secrets

from ehrdesk.core.errors import InvalidInput

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BODY_CHARS = 30
_CHECK_CHARS = 2
_GROUP = 4
_BODY_BITS = _BODY_CHARS * 5
_TYPO = "That recovery key has a typo; please check it against the Emergency Kit."


def _check(body: str) -> str:
    digest = int.from_bytes(hashlib.sha256(("ehrdesk-rk1:" + body).encode()).digest()[:2])
    digest >>= 16 - 5 * _CHECK_CHARS
    return "".join(ALPHABET[(digest >> (5 * i)) & 31] for i in reversed(range(_CHECK_CHARS)))


def new_recovery_key() -> str:
    """A fresh recovery key, formatted in groups."""
    value = secrets.randbits(_BODY_BITS)
    body = "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(_BODY_CHARS)))
    return format_key(body + _check(body))


def format_key(compact: str) -> str:
    return "-".join(compact[i : i + _GROUP] for i in range(0, len(compact), _GROUP))


def normalise(text: str) -> str:
    """The compact form of what a person typed, or InvalidInput with a plain reason."""
    compact = "".join(ch for ch in text.upper() if ch not in " -\t\n")
    compact = compact.translate(str.maketrans("OIL", "011"))
    if len(compact) != _BODY_CHARS + _CHECK_CHARS or any(c not in ALPHABET for c in compact):
        raise InvalidInput(
            "A recovery key has 32 letters and digits in eight groups of four; "
            "please check it against the Emergency Kit."
        )
    body, check = compact[:_BODY_CHARS], compact[_BODY_CHARS:]
    if _check(body) != check:
        raise InvalidInput(_TYPO)
    return compact


def secret_bytes(text: str) -> bytes:
    """The bytes the recovery slot and the backup identity are derived from."""
    return ("ehrdesk-recovery-key:" + normalise(text)).encode("ascii")
