"""Search-as-you-type for clients: what a record is found by, and what a query asks.

One folding for both sides: NFKD, combining marks dropped, case-folded, so "José",
"JOSE" and "jose" are one word, and "Zoë" is found by "zoe". A client is found by:

- each word of the legal first, middle and last name and of the preferred name; a
  hyphenated or apostrophed name also by its parts ("Smith-Jones": smith, jones,
  smithjones; "O'Brien": obrien, brien);
- the date of birth as people type it. The practice convention (documented in the
  README): ISO `1984-03-07`, US month/day/year with slashes `03/07/1984` or `3/7/1984`,
  and day.month.year with dots `07.03.1984` or `7.3.1984`. All five are terms, so a
  partly typed date (`3/7`, `1984-03`) is a prefix of one;
- each phone number's digits, every ending of at least three digits, so any run of
  three or more digits of a number is the start of some term.

A query is split into words; every word must be the prefix of some term of the
client (AND across words). Nothing here touches the database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date

MIN_PHONE_RUN = 3
#: Query words beyond this many are ignored: a pasted paragraph is not a search.
MAX_QUERY_WORDS = 6
MAX_WORD_LENGTH = 40

_ISO_DATE = re.compile(r"^\d{4}-\d{0,2}(-\d{0,2})?$")
_SLASH_DATE = re.compile(r"^\d{1,2}/\d{0,2}(/\d{0,4})?$")
_DOT_DATE = re.compile(r"^\d{1,2}\.\d{0,2}(\.\d{0,4})?$")
_PHONEISH = re.compile(r"^[\d()+\-./]+$")
_SPLIT = re.compile(r"[\s,;]+")
_NAME_PARTS = re.compile(r"[-'’‐‑]")  # hyphens and apostrophes inside a name


def fold(text: str) -> str:
    """Case and accents removed: what both terms and queries are compared as."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


def _letters(word: str) -> str:
    return "".join(ch for ch in word if ch.isalnum())


def name_terms(*names: str) -> set[str]:
    terms: set[str] = set()
    for name in names:
        for word in fold(name).split():
            whole = _letters(word)
            if whole:
                terms.add(whole)
            parts = [_letters(p) for p in _NAME_PARTS.split(word)]
            terms.update(p for p in parts if p)
    return terms


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def phone_terms(*phones: str) -> set[str]:
    terms: set[str] = set()
    for phone in phones:
        number = digits(phone)
        for start in range(len(number) - MIN_PHONE_RUN + 1):
            terms.add(number[start:])
    return terms


def birth_terms(born: date) -> set[str]:
    y, m, d = born.year, born.month, born.day
    return {
        born.isoformat(),
        f"{m:02d}/{d:02d}/{y:04d}",
        f"{m}/{d}/{y:04d}",
        f"{d:02d}.{m:02d}.{y:04d}",
        f"{d}.{m}.{y:04d}",
    }


def client_terms(*, names: Iterable[str], date_of_birth: date, phones: Iterable[str]) -> set[str]:
    """Every term a client is found by."""
    return name_terms(*names) | birth_terms(date_of_birth) | phone_terms(*phones)


def sort_key(last: str, first: str, middle: str, client_id: int) -> str:
    """The list's order ("last first middle", folded) made unique by the id, so it is
    also the keyset for paging. The unit separator sorts before every letter, so
    "Smith" comes before "Smithe"."""
    parts = [" ".join(_letters(w) for w in fold(n).split()) for n in (last, first, middle)]
    return "\x1f".join([*parts, f"{client_id:010d}"])


def query_words(query: str) -> list[str]:
    """The words a query asks for, folded the way terms are. A word that looks like a
    date keeps its separators; a phone-like word keeps only its digits."""
    words: list[str] = []
    for raw in _SPLIT.split(query.strip()):
        word = fold(raw)[:MAX_WORD_LENGTH]
        if not word:
            continue
        if _ISO_DATE.match(word) or _SLASH_DATE.match(word) or _DOT_DATE.match(word):
            words.append(word)
        elif _PHONEISH.match(word) and any(ch.isdigit() for ch in word):
            words.append(digits(word))
        else:
            letters = _letters(word)
            if letters:
                words.append(letters)
    unique = list(dict.fromkeys(words))
    return unique[:MAX_QUERY_WORDS]


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string that starts with `prefix`, for
    an index range `term >= prefix AND term < bound`."""
    return prefix + "\U0010ffff"
