"""ICD-10-CM search: by code or by words, the F chapter (mental and behavioural
disorders) first.

simple-icd-10-cm parses the whole tabular list when it is imported (about three
seconds), so the index is built once, lazily, on first use, and can be warmed in the
background (`CodeIndex.warm`) when a chart opens. After that a search is a few
dictionary and bisect look-ups: a code prefix is a range of the sorted codes, and each
typed word is a range of the sorted vocabulary whose postings are intersected.
"""

from __future__ import annotations

import bisect
import re
import threading
import unicodedata
import warnings
from dataclasses import dataclass

from ehrdesk.core.chart import CodeMatch

_CODE = re.compile(r"^[A-Za-z][0-9][0-9A-Za-z]?\.?[0-9A-Za-z]{0,4}$")
_WORD = re.compile(r"[0-9a-z]+")


def fold(text: str) -> str:
    """Case and accents removed: what both the index and the query are compared as."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True, slots=True)
class _Entry:
    code: str
    bare: str  # without the dot, upper case
    description: str
    billable: bool
    rank: tuple[int, str]


class CodeIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[_Entry] | None = None
        self._bare_sorted: list[tuple[str, int]] = []
        self._vocabulary: list[str] = []
        self._postings: dict[str, list[int]] = {}

    @property
    def ready(self) -> bool:
        return self._entries is not None

    def warm(self) -> None:
        """Build the index now (safe from a worker thread; built only once)."""
        self._load()

    def _load(self) -> list[_Entry]:
        with self._lock:
            if self._entries is None:
                self._build()
            assert self._entries is not None
            return self._entries

    def _build(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # its importlib.resources use
            import simple_icd_10_cm as cm  # noqa: PLC0415 - three seconds: only when needed

        entries: list[_Entry] = []
        postings: dict[str, list[int]] = {}
        for code in cm.get_all_codes(with_dots=True):
            if cm.is_chapter_or_block(code):
                continue
            description = str(cm.get_description(code))
            index = len(entries)
            mental = 0 if code.startswith("F") else 1
            entries.append(
                _Entry(
                    code,
                    code.replace(".", "").upper(),
                    description,
                    bool(cm.is_leaf(code)),
                    (mental, code),
                )
            )
            for word in set(_WORD.findall(fold(f"{code} {description}"))):
                postings.setdefault(word, []).append(index)
        self._bare_sorted = sorted((e.bare, i) for i, e in enumerate(entries))
        self._vocabulary = sorted(postings)
        self._postings = postings
        self._entries = entries

    def search(self, query: str, limit: int = 50) -> list[CodeMatch]:
        entries = self._load()
        text = query.strip()
        if not text:
            return []
        if _CODE.match(text):
            found = self._by_code(text.replace(".", "").upper())
        else:
            found = self._by_words(_WORD.findall(fold(text)))
        ranked = sorted(found, key=lambda i: entries[i].rank)[:limit]
        return [
            CodeMatch(entries[i].code, entries[i].description, entries[i].billable) for i in ranked
        ]

    def describe(self, code: str) -> CodeMatch | None:
        """The entry for exactly this code (with or without its dot)."""
        entries = self._load()
        bare = code.replace(".", "").upper()
        at = bisect.bisect_left(self._bare_sorted, (bare, -1))
        if at < len(self._bare_sorted) and self._bare_sorted[at][0] == bare:
            e = entries[self._bare_sorted[at][1]]
            return CodeMatch(e.code, e.description, e.billable)
        return None

    def _by_code(self, prefix: str) -> set[int]:
        start = bisect.bisect_left(self._bare_sorted, (prefix, -1))
        found: set[int] = set()
        for bare, index in self._bare_sorted[start:]:
            if not bare.startswith(prefix):
                break
            found.add(index)
        return found

    def _by_words(self, words: list[str]) -> set[int]:
        """Entries with a word starting with each typed word (the rarest first)."""
        if not words:
            return set()
        per_word = []
        for word in words[:8]:
            start = bisect.bisect_left(self._vocabulary, word)
            matches: set[int] = set()
            for term in self._vocabulary[start:]:
                if not term.startswith(word):
                    break
                matches.update(self._postings[term])
            if not matches:
                return set()
            per_word.append(matches)
        per_word.sort(key=len)
        found = per_word[0]
        for more in per_word[1:]:
            found = found & more
        return found
