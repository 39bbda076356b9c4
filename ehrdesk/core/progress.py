"""Long work: the progress callback it reports to, and the token that cancels it.

Backup, restore, verification and the like take `progress(done, total, label)` and a
`CancelToken`. A `total` of 0 means "no idea how much is left" (the UI shows a busy
bar). The token is safe to set from any thread; the work asks it at moments where
stopping leaves nothing half-made, and `raise_if_cancelled` turns a request into
`UserCancelled`, which the UI shows as nothing at all.
"""

from __future__ import annotations

import threading
from typing import Protocol

from ehrdesk.core.errors import UserCancelled


class Progress(Protocol):
    def __call__(self, done: int, total: int, label: str) -> None: ...


def no_progress(done: int, total: int, label: str) -> None:
    """For callers that do not show progress."""


class CancelToken:
    """Set once, from any thread; never reset."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise UserCancelled
