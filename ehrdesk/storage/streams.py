"""Work that runs beside age's encryption and decryption, on threads of their own.

pyrage keeps Python's GIL while it encrypts or decrypts, calling back into Python only
to read and write. Hashing in those callbacks adds the hashing's time to age's; so
`BackgroundSha256` gathers the bytes into large pieces and hashes each on a thread
(hashlib lets the GIL go while it hashes a piece), and the GIL is only needed, briefly,
between pieces. In the same way `BackgroundFlush` has the kernel write a file to the
drive while the rest of it is still being produced, so the final fsync finds little
left to do.

Invariants: memory stays bounded (at most `_QUEUED + 1` buffers of `piece` bytes);
every thread has ended when `hexdigest`, `finish` or `close` returns, whatever happened.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from typing import Any, Final

from ehrdesk.storage.atomic import fsync_file

#: Bytes hashed at a time on the thread: large enough that waiting for the GIL between
#: pieces (up to Python's switch interval, 5 ms) costs little against hashing one.
PIECE: Final = 8 << 20
_QUEUED: Final = 2


class BackgroundSha256:
    """SHA-256 of everything given to `update`, in order, hashed on a thread. The
    pieces are a few buffers used over and over (fresh ones would cost a page fault for
    every 4 KiB of them)."""

    def __init__(self, piece: int = PIECE) -> None:
        self._piece = piece
        self._sha256 = hashlib.sha256()
        self._full: queue.Queue[tuple[bytearray, int] | None] = queue.Queue()
        self._free: queue.Queue[bytearray] = queue.Queue()
        self._spare = _QUEUED + 1  # buffers not made yet
        self._buffer = self._take()
        self._used = 0
        self._thread = threading.Thread(target=self._run, name="ehrdesk-sha256", daemon=True)
        self._thread.start()
        self._digest: str | None = None

    def _take(self) -> bytearray:
        if self._spare:
            self._spare -= 1
            return bytearray(self._piece)
        return self._free.get()  # waits for the thread to finish one

    def _run(self) -> None:
        while (item := self._full.get()) is not None:
            buffer, used = item
            with memoryview(buffer) as view:
                self._sha256.update(view[:used])
            self._free.put(buffer)

    def update(self, data: Any) -> None:
        with memoryview(data) as view:
            flat = view.cast("B") if view.ndim != 1 or view.format != "B" else view
            while flat:
                count = min(len(flat), self._piece - self._used)
                self._buffer[self._used : self._used + count] = flat[:count]
                self._used += count
                flat = flat[count:]
                if self._used == self._piece:
                    self._full.put((self._buffer, self._used))
                    self._buffer, self._used = self._take(), 0

    def hexdigest(self) -> str:
        if self._digest is None:
            if self._used:
                self._full.put((self._buffer, self._used))
                self._used = 0
            self.close()
            self._digest = self._sha256.hexdigest()
        return self._digest

    def close(self) -> None:
        """End the thread (what was given so far is hashed first)."""
        if self._thread.is_alive():
            self._full.put(None)
            self._thread.join()


class BackgroundFlush:
    """fsyncs the file `fd` on a thread each time another `every` bytes have been
    written to it (`wrote`); `finish` waits for that thread and fsyncs the rest."""

    def __init__(self, fd: int, every: int = 32 << 20) -> None:
        self._fd = fd
        self._every = every
        self._unflushed = 0
        self._due = threading.Event()
        self._done = False
        self._error: OSError | None = None
        self._thread = threading.Thread(target=self._run, name="ehrdesk-flush", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            self._due.wait()
            self._due.clear()
            if self._done:
                return
            try:
                fsync_file(self._fd)
            except OSError as error:  # the final fsync reports it
                self._error = error
                return

    def wrote(self, count: int) -> None:
        self._unflushed += count
        if self._unflushed >= self._every:
            self._unflushed = 0
            self._due.set()

    def close(self) -> None:
        """End the thread without the final fsync (the file is being thrown away)."""
        if self._thread.is_alive():
            self._done = True
            self._due.set()
            self._thread.join()

    def finish(self) -> None:
        """Everything written so far is on the drive when this returns (or it raises)."""
        self.close()
        if self._error is not None:
            raise self._error
        fsync_file(self._fd)
