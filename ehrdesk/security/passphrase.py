"""Passphrases for a client's record package, and sealing the package with one.

The package is an age file in passphrase mode (scrypt, as `age -p` writes it), so the
client opens it with any age tool. The passphrase is either made here, eight words of
the BIP-39 English list drawn with `secrets` (88 bits; each word is known by its first
four letters, so a typo is easy to spot), or typed by a person and accepted only if
zxcvbn rates it "very strong". It is shown once and never stored.
"""

from __future__ import annotations

import secrets
from functools import cache

import pyrage
from mnemonic import Mnemonic

from ehrdesk.core.errors import InvalidInput
from ehrdesk.security.passwords import normalise, strength

WORDS = 8
MIN_TYPED_LENGTH = 16
#: zxcvbn's top score ("very strong": beyond 10^10 guesses).
MIN_TYPED_SCORE = 4
TOO_WEAK = (
    "That passphrase is too easy to guess for a file that leaves the practice; use the "
    "one ehrdesk suggests, or at least five unrelated words."
)


@cache
def _words() -> tuple[str, ...]:
    return tuple(Mnemonic("english").wordlist)


def new_passphrase(words: int = WORDS) -> str:
    """Words separated by single spaces, lower case."""
    wordlist = _words()
    return " ".join(secrets.choice(wordlist) for _ in range(words))


def check_passphrase(text: str) -> str:
    """The passphrase to use for `text`, or InvalidInput saying why it will not do."""
    passphrase = normalise(text).strip()
    if len(passphrase) < MIN_TYPED_LENGTH or strength(passphrase).score < MIN_TYPED_SCORE:
        raise InvalidInput(TOO_WEAK)
    return passphrase


def seal(data: bytes, passphrase: str) -> bytes:
    """`data` as an age file encrypted with `passphrase` (scrypt work factor 2^18)."""
    return bytes(pyrage.passphrase.encrypt(data, passphrase))


def unseal(data: bytes, passphrase: str) -> bytes:
    """The plaintext of an age passphrase file; InvalidInput for a wrong passphrase or a
    damaged file (the two cannot be told apart, by design)."""
    try:
        return bytes(pyrage.passphrase.decrypt(data, passphrase))
    except pyrage.DecryptError:
        raise InvalidInput("That passphrase does not open this file.") from None
