"""The practice's password policy: what a new password must be, and how strong it looks.

The default follows NIST SP 800-63B: at least 12 characters, at most 128, any
characters at all (spaces and emoji included), no composition rules, no forced
expiry, and a refusal of passwords that are common, easy to guess or built from the
person's or the practice's own names. Composition rules, expiry and a history of
refused passwords can be switched on by a practice that must have them.

Invariants:

* Every password is NFKC-normalised (`normalise`) before it is measured, checked,
  hashed or compared, so full-width letters and their ordinary forms make the same
  password, of the same length. Callers that derive keys from a password must
  normalise it the same way.
* No message, exception or return value contains the password, or any part of it.
* Nothing here reads the clock, the disk or any global setting; the policy and the
  time are passed in.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ehrdesk.core.errors import InvalidInput

__all__ = [
    "REASON_CONTEXT",
    "REASON_DIGIT",
    "REASON_LOWER",
    "REASON_REUSED",
    "REASON_SYMBOL",
    "REASON_TOO_COMMON",
    "REASON_UPPER",
    "PasswordPolicy",
    "PasswordStrength",
    "check_password",
    "hash_for_history",
    "in_history",
    "is_expired",
    "normalise",
    "policy_fingerprint",
    "strength",
]

# Limits on what a practice may configure. NIST's floor is 8; a history longer than
# 24 (the Windows maximum) only makes every password change slower, one Argon2
# verification per remembered password.
_MIN_LENGTH_FLOOR = 8
_MAX_LENGTH_CEILING = 1024
_MAX_HISTORY = 24
_MAX_AGE_CEILING_DAYS = 3650

# zxcvbn's matching grows roughly with the square of the length: about 30 ms at 64
# characters and 120 ms at 128 on a modest machine. The policy check looks at the
# first 128 characters; the live meter, which runs per keystroke, at the first 64.
# Characters past these only ever add guesses, so a prefix that looks strong means a
# whole password that is at least as strong.
_CHECK_PREFIX = 128
_METER_PREFIX = 64

# A context word shorter than this is too likely to occur inside ordinary words
# ("Ann" in "planning") to refuse a password for containing it; zxcvbn still counts
# it when it estimates the guesses.
_CONTEXT_WORD_MIN = 4

_ACCEPTABLE_SCORE = 3

REASON_TOO_COMMON = "This password is too common or too easy to guess."
REASON_CONTEXT = "This password must not contain your name, your username or the practice's name."
REASON_LOWER = "This password needs at least one lowercase letter."
REASON_UPPER = "This password needs at least one uppercase letter."
REASON_DIGIT = "This password needs at least one digit."
REASON_SYMBOL = "This password needs at least one symbol, such as ! or #."
_ADVICE_CONTEXT = "Avoid your name, your username and the practice's name."
REASON_REUSED = "This password was used recently. Please choose one you have not used before."

_LABELS = ("Very weak", "Weak", "Fair", "Strong", "Very strong")

# zxcvbn keeps the user inputs of the call in progress in a module-level dictionary,
# so two calls at once (the meter on the GUI thread, a check in a worker) could see
# each other's context words. One lock around every call prevents that.
_zxcvbn_lock = threading.Lock()

# Modest parameters (OWASP's Argon2id minimum: 19 MiB, 2 passes): these hashes sit
# inside the encrypted database and are only compared when a password changes, so
# they guard against an insider reading old passwords, not an offline attack on the
# vault, which Argon2id in the key slots already resists.
_history_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


@dataclass(frozen=True)
class PasswordPolicy:
    """What a practice asks of its passwords. Invalid values raise `InvalidInput`."""

    min_length: int = 12
    max_length: int = 128
    require_composition: bool = False
    max_age_days: int | None = None
    history_count: int = 0

    def __post_init__(self) -> None:
        for name in ("min_length", "max_length", "history_count"):
            if not _is_int(getattr(self, name)):
                raise InvalidInput(f"The password setting '{name}' must be a whole number.")
        if not isinstance(self.require_composition, bool):
            raise InvalidInput("The password setting 'require_composition' must be true or false.")
        if self.max_age_days is not None and not _is_int(self.max_age_days):
            raise InvalidInput("The password setting 'max_age_days' must be a whole number.")
        if self.min_length < _MIN_LENGTH_FLOOR:
            raise InvalidInput(
                f"Passwords must be allowed to be no shorter than {_MIN_LENGTH_FLOOR} characters."
            )
        if self.max_length > _MAX_LENGTH_CEILING:
            raise InvalidInput(
                f"The longest password allowed cannot be more than {_MAX_LENGTH_CEILING} "
                "characters."
            )
        if self.min_length > self.max_length:
            raise InvalidInput(
                "The shortest password allowed cannot be longer than the longest allowed."
            )
        if not 0 <= self.history_count <= _MAX_HISTORY:
            raise InvalidInput(
                f"The number of earlier passwords to refuse must be between 0 and {_MAX_HISTORY}."
            )
        if self.max_age_days is not None and not 1 <= self.max_age_days <= _MAX_AGE_CEILING_DAYS:
            raise InvalidInput(
                f"A password's maximum age must be between 1 and {_MAX_AGE_CEILING_DAYS} days."
            )

    def to_json(self) -> dict[str, object]:
        return {
            "min_length": self.min_length,
            "max_length": self.max_length,
            "require_composition": self.require_composition,
            "max_age_days": self.max_age_days,
            "history_count": self.history_count,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, object]) -> PasswordPolicy:
        """Read a policy saved by `to_json`.

        A missing key takes its default, so a policy saved by an older ehrdesk still
        loads; a key this version does not know is ignored. A value of the wrong type
        or out of range raises `InvalidInput`.
        """
        if not isinstance(d, Mapping):
            raise InvalidInput("The saved password policy is not readable.")
        defaults = cls()
        values: dict[str, Any] = {
            name: d.get(name, default) for name, default in defaults.to_json().items()
        }
        return cls(**values)


@dataclass(frozen=True)
class PasswordStrength:
    """What the strength meter shows: zxcvbn's score 0-4, a label and its advice."""

    score: int
    label: str
    advice: str


def normalise(password: str) -> str:
    """The password as it is measured, hashed and compared: Unicode NFKC."""
    return unicodedata.normalize("NFKC", password)


def check_password(
    password: str,
    policy: PasswordPolicy,
    *,
    context_words: Sequence[str] = (),
) -> list[str]:
    """Why `password` is not acceptable under `policy`; an empty list when it is.

    `context_words` are what an attacker would try first: the practice's name, the
    username, the parts of the person's full name. History is checked separately
    with `in_history`, because it needs the stored hashes.
    """
    pw = normalise(password)
    reasons: list[str] = []
    length = len(pw)
    if length < policy.min_length:
        reasons.append(f"This password is too short: use at least {policy.min_length} characters.")
    if length > policy.max_length:
        reasons.append(f"This password is too long: use at most {policy.max_length} characters.")

    words = _context_words(context_words)
    if pw:
        result = _zxcvbn(pw[:_CHECK_PREFIX], words)
        sequence = result["sequence"]
        if result["score"] < _ACCEPTABLE_SCORE or any(
            m.get("dictionary_name") == "passwords" and len(m["token"]) == len(pw) for m in sequence
        ):
            reasons.append(REASON_TOO_COMMON)
        if _mentions_context(pw, words, sequence):
            reasons.append(REASON_CONTEXT)

    if policy.require_composition:
        if not any(c.islower() for c in pw):
            reasons.append(REASON_LOWER)
        if not any(c.isupper() for c in pw):
            reasons.append(REASON_UPPER)
        if not any(c.isdigit() for c in pw):
            reasons.append(REASON_DIGIT)
        if not any(not c.isalnum() and not c.isspace() for c in pw):
            reasons.append(REASON_SYMBOL)
    return reasons


def strength(password: str, context_words: Sequence[str] = ()) -> PasswordStrength:
    """How strong `password` looks, for a live meter. Fast enough to run per keystroke.

    The score is zxcvbn's, except that a password built on a context word is shown as
    "Weak" at best, so the meter never praises a password `check_password` refuses
    for that reason. The meter does not know the policy, so it says nothing of length.
    """
    pw = normalise(password)
    if not pw:
        return PasswordStrength(score=0, label=_LABELS[0], advice="")
    words = _context_words(context_words)
    result = _zxcvbn(pw[:_METER_PREFIX], words)
    score = max(0, min(4, int(result["score"])))
    feedback = result.get("feedback") or {}
    parts = [str(feedback.get("warning") or "")]
    if _mentions_context(pw, words, result["sequence"]):
        score = min(score, 1)
        parts.insert(0, _ADVICE_CONTEXT)
    parts.extend(str(s) for s in feedback.get("suggestions") or ())
    advice = " ".join(p.strip() for p in parts if p and p.strip())
    return PasswordStrength(score=score, label=_LABELS[score], advice=advice)


#: Bump when `check_password` itself changes what it refuses.
CHECK_RULES_VERSION = 1


def _zxcvbn_version() -> str:
    from importlib import metadata  # noqa: PLC0415 - a start-up cost only this needs

    try:
        return metadata.version("zxcvbn")
    except metadata.PackageNotFoundError:  # a frozen build without package metadata
        return "bundled"


def policy_fingerprint(policy: PasswordPolicy) -> str:
    """What a password was checked against: the practice's policy, these rules and
    zxcvbn's word lists (by version). A stored hash cannot be re-checked against a new
    blocklist, so each password set records this, and the security check says whose
    password was set under something other than today's."""
    material = json.dumps(
        [policy.to_json(), CHECK_RULES_VERSION, _zxcvbn_version()], sort_keys=True
    ).encode()
    return hashlib.sha256(material).hexdigest()[:16]


def hash_for_history(password: str) -> str:
    """An Argon2id hash of the normalised password, to refuse its reuse later."""
    return _history_hasher.hash(normalise(password))


def in_history(password: str, hashes: Sequence[str]) -> bool:
    """Whether `password` matches any of `hashes` (made by `hash_for_history`).

    A damaged or foreign hash is treated as no match rather than an error, so one bad
    row cannot stop a person from changing their password.
    """
    pw = normalise(password)
    for stored in hashes:
        try:
            if _history_hasher.verify(stored, pw):
                return True
        except (VerificationError, InvalidHashError):
            continue
    return False


def is_expired(changed_at: datetime, now: datetime, policy: PasswordPolicy) -> bool:
    """Whether a password last changed at `changed_at` must be changed at `now`.

    Both times must be timezone-aware. With no maximum age (the default) a password
    never expires.
    """
    if _is_naive(changed_at) or _is_naive(now):
        raise ValueError("is_expired needs timezone-aware datetimes")
    if policy.max_age_days is None:
        return False
    return now >= changed_at + timedelta(days=policy.max_age_days)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_naive(moment: datetime) -> bool:
    return moment.tzinfo is None or moment.utcoffset() is None


def _context_words(context_words: Sequence[str]) -> list[str]:
    """The context, normalised, each phrase both whole and split into its words.

    "Sunnyvale Family Counseling" gives the phrase and "Sunnyvale", "Family",
    "Counseling"; "jane.doe" gives "jane.doe", "jane" and "doe".
    """
    words: list[str] = []
    for phrase in context_words:
        text = normalise(phrase).strip()
        if not text:
            continue
        words.append(text)
        words.extend(part for part in re.split(r"[\W_]+", text) if part and part != text)
    return list(dict.fromkeys(words))


def _mentions_context(pw: str, words: Sequence[str], sequence: Sequence[Any]) -> bool:
    """Whether `pw` contains a context word of 4+ characters, plainly (any case) or in
    a form zxcvbn sees through (l33t spelling, reversed)."""
    folded = pw.casefold()
    if any(len(w) >= _CONTEXT_WORD_MIN and w.casefold() in folded for w in words):
        return True
    return any(
        m.get("dictionary_name") == "user_inputs"
        and len(m.get("matched_word", "")) >= _CONTEXT_WORD_MIN
        for m in sequence
    )


def _zxcvbn(pw: str, words: Sequence[str]) -> dict[str, Any]:
    # Imported at the first check, not at start-up: loading its dictionaries is a
    # tenth of a second the sign-in window need not wait for (bench/startup.py).
    from zxcvbn import zxcvbn  # noqa: PLC0415

    with _zxcvbn_lock:
        result: dict[str, Any] = zxcvbn(pw, user_inputs=list(words), max_length=_CHECK_PREFIX)
    return result
