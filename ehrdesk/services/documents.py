"""What every printable or exportable document goes through on its way out.

A service method checks the permission, reads what the document needs, writes the
audit event (the document is "printed" or "exported" the moment its bytes can leave),
and returns a `PreparedDocument`: a title, a file name to suggest, and a `render`
callable that needs no database, so the GUI can run it off the GUI thread. The UI
then either saves the bytes with `save_document` (atomic, owner-only, only where the
person chose) or paints them onto a printer; nothing is written to a temporary file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ehrdesk.core.errors import InvalidInput
from ehrdesk.storage.atomic import write_atomically

CANNOT_SAVE_THERE = "The file cannot be saved there; choose another folder."


class Purpose(StrEnum):
    """Why a document is made; decides the audit action."""

    SAVE = "save"  # written to a file the person chose
    PRINT = "print"  # sent to a printer


@dataclass(frozen=True)
class PreparedDocument:
    title: str
    file_name: str
    render: Callable[[], bytes]
    media_type: str = "application/pdf"


def file_name(*parts: str, suffix: str = ".pdf") -> str:
    """A safe suggested file name from plain parts (no client names go in here)."""
    text = " ".join(p for p in parts if p)
    return re.sub(r"[^\w.\- ]+", "", text).strip()[:120] + suffix


def save_document(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all, mode 0600."""
    try:
        write_atomically(Path(path), data)
    except OSError:
        raise InvalidInput(CANNOT_SAVE_THERE) from None
