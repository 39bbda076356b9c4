"""Consistent copies of a SQLCipher database: the heart of a backup.

`frozen_snapshot` gives one moment of the live database as the bytes of its file, to be
streamed straight into a backup while the app goes on writing, with nothing re-encrypted
and no copy written anywhere. How:

1. On a connection of its own it takes the write lock (`BEGIN IMMEDIATE`): nobody can
   commit, so the WAL cannot grow.
2. A second connection checkpoints the WAL into the database file (`PASSIVE`) and
   checks that every frame was copied. That fails only while some reader still uses an
   older moment; then the lock is let go and it tries again a little later.
3. The second connection starts a read transaction, the "pin"; a thread that counts the
   rows starts one on a third connection; then the write lock is released. It was held
   for a few milliseconds.

From then until the pin ends SQLite writes no byte of the database file: commits go to
the WAL, and a checkpoint may not copy into the file a page newer than the oldest moment
a reader uses (the pin's, which is the file's own: everything older was already copied
in step 2). So the file's first `page_count × page_size` bytes are exactly the database
at that moment, under the practice's own key, and the row counts, schema version and
audit anchor read on the pinned connections describe exactly those bytes.

The bytes are read at their offsets through `Database.read_descriptor`, which is never
closed while this process has a connection to the file (closing a descriptor of a file
drops every POSIX lock the process holds on it, SQLite's included). Where pinning is not
possible (a database that is not in WAL mode, a reader that keeps an old moment for
longer than the retries wait, a system without `pread`), the snapshot is made the slow
way instead: `sqlcipher_export` into a new file under the same key, inside one read
transaction.

`copy_rekeyed` is that export the other way round, for restoring backups of container
version 1, whose snapshot is under a fresh key of its own.

Invariants: no plaintext database is ever written anywhere (`temp_store=MEMORY` keeps
SQLite's temporary tables off disk too); an exported copy is created owner-only before
SQLCipher opens it and deleted on any failure or cancel; the write lock is never held
while anything but those few statements runs (no callback, no I/O), and the pin and
the counting thread end when the snapshot's block ends, however it ends.
"""

from __future__ import annotations

import abc
import contextlib
import io
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import sqlcipher3

from ehrdesk.core.errors import UserCancelled, VaultDamaged
from ehrdesk.core.progress import CancelToken, Progress, no_progress
from ehrdesk.storage.atomic import fsync_file
from ehrdesk.storage.database import Connection, Database
from ehrdesk.storage.vault_file import AuditAnchor

_COPY = "ehrdesk_copy"  # the schema name of the attached copy
#: How many SQLite virtual-machine steps between two looks at the cancel token
#: (a few hundred rows' worth); progress is reported at most every `_REPORT_SECONDS`.
_PROGRESS_STEPS = 1_000
_REPORT_SECONDS = 0.1
#: Pinning tries this many times, waiting a little longer each time, for readers of
#: an older moment to finish, before the snapshot is exported instead.
_PIN_ATTEMPTS: Final = 6
_PIN_WAIT_SECONDS: Final = 0.05
#: How long, holding the write lock, to wait for another connection's checkpoint.
_CHECKPOINT_WAIT_SECONDS: Final = 0.1
SNAPSHOT_LABEL: Final = "Taking a snapshot of the practice's records"
_preadv = getattr(os, "preadv", None)  # reads straight into the encryptor's buffer


def _can_read_files() -> bool:
    """Reading the file at offsets (POSIX); elsewhere the snapshot is exported."""
    return hasattr(os, "pread")


@dataclass(frozen=True)
class SnapshotFacts:
    """What a snapshot holds, read in the same transaction that copied it."""

    schema_version: int
    row_counts: dict[str, int]
    audit_anchor: AuditAnchor | None
    size: int


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def table_names(conn: Connection, schema: str = "main") -> list[str]:
    """Every table of the schema, SQLite's own excepted, in a stable order. New tables
    (clients, appointments, notes …) are included without anyone listing them."""
    rows = conn.execute(
        f"SELECT name FROM {_quote(schema)}.sqlite_master "  # noqa: S608 - a fixed schema name
        "WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
    )
    return [str(r[0]) for r in rows]


def row_counts(conn: Connection, schema: str = "main") -> dict[str, int]:
    """The number of rows in every table."""
    counts = {}
    for name in table_names(conn, schema):
        query = f"SELECT count(*) FROM {_quote(schema)}.{_quote(name)}"  # noqa: S608 - quoted names
        counts[name] = int(conn.execute(query).fetchone()[0])
    return counts


def newest_audit_anchor(conn: Connection, schema: str = "main") -> AuditAnchor | None:
    row = conn.execute(
        f"SELECT seq, mac FROM {_quote(schema)}.audit_event ORDER BY seq DESC LIMIT 1"  # noqa: S608
    ).fetchone()
    return None if row is None else AuditAnchor(int(row[0]), bytes(row[1]))


def _storage_error(error: sqlcipher3.Error) -> Exception:
    """A full or failing disk is the person's to fix; anything else is damage."""
    text = str(error).lower()
    if "full" in text or "disk i/o" in text:
        return OSError(f"the copy could not be written ({text})")
    return VaultDamaged()


# The frozen snapshot ---------------------------------------------------------------------


class Snapshot(abc.ABC):
    """One moment of the database as a file's bytes (valid inside `frozen_snapshot`)."""

    schema_version: int
    audit_anchor: AuditAnchor | None
    size: int

    @abc.abstractmethod
    def open(self) -> io.RawIOBase:
        """A stream of exactly `size` bytes: the database file at that moment (unbuffered:
        it is read in large pieces straight into the encryptor's buffer)."""

    @abc.abstractmethod
    def row_counts(self, cancel: CancelToken) -> dict[str, int]:
        """The rows of every table at that moment (may wait for the count to finish)."""


class _RowCounter:
    """Counts the rows of every table on a connection of its own thread. Its read
    transaction starts while the caller holds the write lock, so it sees the moment
    that is being copied; `wait_until_reading` returns once it has."""

    def __init__(self, source: Path, key: bytes) -> None:
        self._source = source
        self._key = key
        self._reading = threading.Event()
        self._stop = threading.Event()
        self._conn: Connection | None = None
        self._counts: dict[str, int] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="ehrdesk-row-count", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            db = Database.open(self._source, self._key)
        except BaseException as error:
            self._error = error
            self._reading.set()
            return
        try:
            conn = self._conn = db.conn
            conn.set_progress_handler(lambda: 1 if self._stop.is_set() else 0, _PROGRESS_STEPS)
            conn.execute("BEGIN")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the read begins
            self._reading.set()
            self._counts = row_counts(conn)
            conn.execute("COMMIT")
        except BaseException as error:
            self._error = error
        finally:
            self._reading.set()
            self._conn = None
            db.close()

    def wait_until_reading(self) -> None:
        self._reading.wait()
        if self._error is not None:
            self._raise()

    def result(self, cancel: CancelToken) -> dict[str, int]:
        while self._thread.is_alive():
            if cancel.cancelled:
                self.stop()
                raise UserCancelled
            self._thread.join(0.05)
        if self._counts is None:
            self._raise()
        assert self._counts is not None
        return self._counts

    def _raise(self) -> None:
        error = self._error
        if isinstance(error, sqlcipher3.Error):
            raise _storage_error(error) from None
        if error is not None:
            raise error
        raise VaultDamaged

    def stop(self) -> None:
        """End the count (a count(*) in progress is interrupted) and the thread."""
        self._stop.set()
        conn = self._conn
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.interrupt()  # thread-safe in SQLite; stops a count(*) mid-table
        self._thread.join()


class _FileRange(io.RawIOBase):
    """The first `size` bytes of a file, read at their offsets from a descriptor that
    is not this stream's to close (see `Database.read_descriptor`)."""

    def __init__(self, fd: int, size: int) -> None:
        self._fd = fd
        self._offset = 0
        self._size = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")[: self._size - self._offset]
        if not view:
            return 0
        if _preadv is not None:
            count = int(_preadv(self._fd, [view], self._offset))
        else:
            data = os.pread(self._fd, len(view), self._offset)
            count = len(data)
            view[:count] = data
        if not count:
            raise OSError("the database file ended before its last page")
        self._offset += count
        return count


class _PinnedSnapshot(Snapshot):
    """The live database file, frozen by a pinned read transaction (see the module
    docstring); `release` ends the pin and the count."""

    def __init__(
        self,
        pin: Database,
        counter: _RowCounter,
        schema_version: int,
        audit_anchor: AuditAnchor | None,
        size: int,
    ) -> None:
        self._pin = pin
        self._counter = counter
        self.schema_version = schema_version
        self.audit_anchor = audit_anchor
        self.size = size

    def open(self) -> io.RawIOBase:
        return _FileRange(self._pin.read_descriptor(), self.size)

    def row_counts(self, cancel: CancelToken) -> dict[str, int]:
        return self._counter.result(cancel)

    def release(self) -> None:
        try:
            self._counter.stop()
        finally:
            with contextlib.suppress(sqlcipher3.Error):
                self._pin.conn.execute("ROLLBACK")
            self._pin.close()


def _checkpoint_whole(conn: Connection) -> bool:
    """Copy the whole WAL into the database file (the caller holds the write lock, so
    it cannot grow). Another connection's checkpoint may be running: it is given a few
    milliseconds to finish, as it cannot take long with no commits to follow it. False
    if a reader keeps an older moment (frames it still needs stay in the WAL), or the
    database is not in WAL mode."""
    deadline = time.monotonic() + _CHECKPOINT_WAIT_SECONDS
    while True:
        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if not busy:
            return bool(frames >= 0 and frames == copied)
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)


def _pin(source: Path, key: bytes) -> _PinnedSnapshot | None:
    """One attempt at steps 1 to 3 of the module docstring; None if the WAL could not
    be copied into the file whole (or the database is not in WAL mode, or its file is
    shorter than SQLite says)."""
    writer = Database.open(source, key)
    pin = Database.open(source, key)
    counter: _RowCounter | None = None
    pinned = False
    try:
        try:
            writer.conn.execute("BEGIN IMMEDIATE")
        except sqlcipher3.OperationalError:
            return None  # a long write holds the lock: do not wait behind it
        try:
            if not _checkpoint_whole(pin.conn):
                return None
            pin.conn.execute("BEGIN")
            version = pin.user_version()  # the read begins: this is the moment
            pages = int(pin.conn.execute("PRAGMA page_count").fetchone()[0])
            size = pages * int(pin.conn.execute("PRAGMA page_size").fetchone()[0])
            anchor = newest_audit_anchor(pin.conn)
            if os.stat(source).st_size < size:
                return None
            counter = _RowCounter(source, key)
            counter.wait_until_reading()
        finally:
            writer.conn.execute("ROLLBACK")
        pinned = True
        return _PinnedSnapshot(pin, counter, version, anchor, size)
    finally:
        writer.close()
        if not pinned:
            if counter is not None:
                counter.stop()
            with contextlib.suppress(sqlcipher3.Error):
                pin.conn.execute("ROLLBACK")
            pin.close()


class _ExportedSnapshot(Snapshot):
    """The slow way: a copy made with `sqlcipher_export`, under the same key."""

    def __init__(self, path: Path, facts: SnapshotFacts) -> None:
        self._path = path
        self._counts = facts.row_counts
        self.schema_version = facts.schema_version
        self.audit_anchor = facts.audit_anchor
        self.size = facts.size

    def open(self) -> io.RawIOBase:
        return io.FileIO(self._path, "rb")

    def row_counts(self, cancel: CancelToken) -> dict[str, int]:
        return self._counts


@contextlib.contextmanager
def frozen_snapshot(
    source: Path,
    key: bytes,
    workdir: Path,
    *,
    cancel: CancelToken,
    progress: Progress = no_progress,
) -> Iterator[Snapshot]:
    """One moment of the database at `source` (see the module docstring), on connections
    opened here (so any thread may call this). `workdir` receives the exported copy if
    the database cannot be pinned; it is removed again when the block ends."""
    pinned = None
    for attempt in range(_PIN_ATTEMPTS if _can_read_files() else 0):
        cancel.raise_if_cancelled()
        try:
            pinned = _pin(source, key)
        except sqlcipher3.Error as error:
            raise _storage_error(error) from None
        if pinned is not None:
            break
        time.sleep(_PIN_WAIT_SECONDS * 2**attempt)
    if pinned is None:
        exported = workdir / "snapshot.ehrdb"
        db = Database.open(source, key)
        try:
            facts = _export(
                db.conn,
                exported,
                key,
                expected_size=_page_bytes(db.conn),
                cancel=cancel,
                progress=progress,
                label=SNAPSHOT_LABEL,
                wal=False,
            )
        finally:
            db.close()
        try:
            yield _ExportedSnapshot(exported, facts)
        finally:
            _remove(exported)
        return
    try:
        progress(0, pinned.size, SNAPSHOT_LABEL)  # no lock is held: the app may write
        cancel.raise_if_cancelled()
        yield pinned
    finally:
        pinned.release()


# Exporting (the slow way, and restoring container version 1) ---------------------------


def _key_literal(key: bytes) -> str:
    if len(key) != 32:
        raise ValueError("a database key is 32 bytes")
    return f"x'{key.hex()}'"


def _create_owner_only(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _remove(path: Path) -> None:
    for leftover in (path, Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        fsync_file(fd)
    finally:
        os.close(fd)


class _Watcher:
    """SQLite's progress handler: the cancel token, and a rough fraction done from how
    large the copy has grown against the source (SQLite cannot say how far it is)."""

    def __init__(
        self, copy: Path, expected: int, cancel: CancelToken, progress: Progress, label: str
    ) -> None:
        self._copy = copy
        self._expected = max(expected, 1)
        self._cancel = cancel
        self._progress = progress
        self._label = label
        self._next_report = 0.0

    def __call__(self) -> int:
        if self._cancel.cancelled:
            return 1  # SQLite stops the statement with "interrupted"
        now = time.monotonic()
        if now < self._next_report:
            return 0
        self._next_report = now + _REPORT_SECONDS
        try:
            size = self._copy.stat().st_size
        except OSError:
            size = 0
        self._progress(min(size, self._expected - 1), self._expected, self._label)
        return 0


def _export(
    conn: Connection,
    target: Path,
    target_key: bytes,
    *,
    expected_size: int,
    cancel: CancelToken,
    progress: Progress,
    label: str,
    wal: bool,
) -> SnapshotFacts:
    """Copy `main` of `conn` into a new file at `target`; returns what was copied."""
    cancel.raise_if_cancelled()
    _create_owner_only(target)
    watcher = _Watcher(target, expected_size, cancel, progress, label)
    try:
        # Rows are copied table by table in an order SQLite chooses; the copy's own
        # foreign keys are checked by integrity checks later, not mid-copy.
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute(f"ATTACH DATABASE ? AS {_COPY} KEY ?", (str(target), _key_literal(target_key)))
        # A failed copy is deleted whole, so it needs no journal of its own; it is
        # fsynced once at the end instead of at every page.
        conn.execute(f"PRAGMA {_COPY}.journal_mode = OFF")
        conn.execute(f"PRAGMA {_COPY}.synchronous = OFF")
        conn.set_progress_handler(watcher, _PROGRESS_STEPS)
        conn.execute("BEGIN")
        try:
            version = int(conn.execute("PRAGMA main.user_version").fetchone()[0])
            counts = row_counts(conn)
            anchor = newest_audit_anchor(conn)
            conn.execute(f"SELECT sqlcipher_export('{_COPY}')")
            conn.execute(f"PRAGMA {_COPY}.user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.set_progress_handler(None, 0)
        conn.execute(f"DETACH DATABASE {_COPY}")
        if wal:
            _set_wal(target, target_key)
        _fsync_path(target)
    except sqlcipher3.OperationalError as error:
        _remove(target)
        if cancel.cancelled or "interrupt" in str(error).lower():
            raise UserCancelled from None  # the token, or Ctrl+C inside the handler
        raise _storage_error(error) from None
    except BaseException:
        _remove(target)
        raise
    size = target.stat().st_size
    progress(size, size, label)
    return SnapshotFacts(version, counts, anchor, size)


def _set_wal(path: Path, key: bytes) -> None:
    """The live database runs in WAL mode; a restored one must too."""
    db = Database.open(path, key)
    try:
        db.conn.execute("PRAGMA journal_mode = WAL")
        db.checkpoint()
    finally:
        db.close()


def copy_rekeyed(
    source: Path,
    source_key: bytes,
    target: Path,
    target_key: bytes,
    *,
    cancel: CancelToken | None = None,
    progress: Progress = no_progress,
) -> SnapshotFacts:
    """Restore's copy of a container-version-1 snapshot: into a new database under the
    practice's own key, in WAL mode like every live database."""
    db = Database.open(source, source_key)
    try:
        return _export(
            db.conn,
            target,
            target_key,
            expected_size=_page_bytes(db.conn),
            cancel=cancel or CancelToken(),
            progress=progress,
            label="Writing the restored records",
            wal=True,
        )
    finally:
        db.close()


def _page_bytes(conn: Connection) -> int:
    pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
    size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    return pages * size
