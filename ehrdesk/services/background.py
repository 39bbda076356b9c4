"""Long reads that run off the GUI thread on a connection of their own.

The session's connection belongs to the GUI thread (sqlcipher3 enforces it). A
`ReaderJob` is made on the GUI thread by a guarded service method, holding the
database path and a copy of the key; `run` opens its own connection in whichever
thread calls it, does the read, closes the connection and wipes its copy of the key.
A job runs once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from ehrdesk.core.errors import SessionLocked
from ehrdesk.storage.database import Connection, Database

T = TypeVar("T")
Progress = Callable[[int, int], None]


def _no_progress(done: int, total: int) -> None:
    return None


class ReaderJob(Generic[T]):
    def __init__(self, path: Path, key: bytes, work: Callable[[Connection, Progress], T]) -> None:
        self._path = path
        self._key: bytearray | None = bytearray(key)
        self._work = work

    def run(self, progress: Progress | None = None) -> T:
        if self._key is None:
            raise SessionLocked
        key, self._key = self._key, None
        try:
            db = Database.open(self._path, bytes(key))
        finally:
            key[:] = bytes(len(key))
        try:
            return self._work(db.conn, progress or _no_progress)
        finally:
            db.close()
