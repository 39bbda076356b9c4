"""Opening, checking and closing the SQLCipher database; transactions.

Invariants: `PRAGMA key` with the raw 256-bit key is the first statement on every
connection (SQLCipher's own passphrase derivation is skipped: ours is Argon2id); a
SQLCipher that is not 4.x is refused; WAL, `synchronous=FULL`, `temp_store=MEMORY` and
`cipher_memory_security=ON` hold on every connection to a practice's records; a
connection never crosses threads (sqlcipher3's own check enforces it); a descriptor
ehrdesk opens on a database file itself is closed only once this process has no
connection to that file left (`read_descriptor`).

Memory security is process-wide in SQLCipher and, once on, stays on. It costs an
mlock and munlock on every allocation SQLite's lookaside cannot serve, which makes
bulk writes about eight times slower. A demo vault holds only synthetic people, so
its connections ask for it off (`memory_security=False`); that only takes effect in
a process that has not opened a real practice, and a real practice opened later in
the same process turns it on for good.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlcipher3

from ehrdesk.core.errors import VaultDamaged
from ehrdesk.storage.atomic import create_temp_file, fsync_dir, fsync_file

Connection = Any  # sqlcipher3.Connection has no type information
REQUIRED_MAJOR = "4."
#: SQLCipher keeps decrypted pages in SQLite's page cache; a page that falls out is
#: read and decrypted (AES and HMAC) again. The default 2 MiB held too little of the
#: search index for 100,000 clients: 64 MiB took client search from 62 ms to 20 ms at
#: the 95th percentile and the whole-practice week view from 130 to ~40 ms
#: (bench/front_desk.py). One connection per session, so 64 MiB at most.
CACHE_KIB = 64 * 1024
#: The piece `copy_file` reads and writes at a time.
_COPY_CHUNK = 8 * 1024 * 1024


def limit_sql(rows: int) -> str:
    """`LIMIT n` with n written into the SQL as a number, never bound. SQLite's planner
    reads a bound LIMIT's value, so binding a new one re-prepares the statement on
    every run: dozens of allocations, and with memory security on SQLCipher locks and
    wipes each one (about 12 µs apiece on a 2-core VM: a client search spent over a
    millisecond on it, a chart's timeline several). The few values a repository uses
    (page sizes) each get a prepared statement of their own, cached."""
    return f"LIMIT {int(rows)}"


class SQLCipherTooOld(VaultDamaged):
    default_message = "This copy of ehrdesk was built with an unsupported SQLCipher; reinstall it."


def _key_pragma(key: bytes) -> str:
    if len(key) != 32:
        raise ValueError("the database key is 32 bytes")
    # A raw key is hex inside a blob literal; it is never formatted from user input.
    return f"PRAGMA key = \"x'{key.hex()}'\""


class _Descriptors:
    """Descriptors of database files that ehrdesk reads itself (a backup streams the
    encrypted bytes), one per file, kept until this process has no connection to it.

    POSIX drops every lock a process holds on a file when it closes any descriptor of
    that file, SQLite's locks included (SQLite defers its own closes for this reason).
    Were a lock SQLite holds on the database dropped, another process could take the
    database for its own alone (and, say, delete the WAL on closing). So connections
    are counted per file (device and inode, as POSIX locks are), and a reading
    descriptor is closed only when the count reaches zero. Process-wide, as the locks
    are."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: dict[tuple[int, int], int] = {}
        self._readers: dict[tuple[int, int], int] = {}

    def opened(self, file: tuple[int, int]) -> None:
        with self._lock:
            self._connections[file] = self._connections.get(file, 0) + 1

    def closed(self, file: tuple[int, int]) -> None:
        with self._lock:
            left = self._connections.pop(file) - 1
            if left:
                self._connections[file] = left
            elif file in self._readers:
                os.close(self._readers.pop(file))

    def reader(self, file: tuple[int, int], path: Path) -> int:
        with self._lock:
            if not self._connections.get(file):
                raise RuntimeError("a database file is read only while it is open")
            fd = self._readers.get(file)
            if fd is None:
                fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
                stat = os.fstat(fd)
                if (stat.st_dev, stat.st_ino) != file:  # replaced meanwhile: not ours
                    os.close(fd)
                    raise VaultDamaged
                self._readers[file] = fd
            return fd


_DESCRIPTORS = _Descriptors()


class Database:
    """One open connection to `practice.ehrdb` (or a backup snapshot)."""

    def __init__(self, conn: Connection, path: Path, file: tuple[int, int]) -> None:
        self._conn = conn
        self.path = path
        self._write_lock = threading.RLock()
        self._file = file
        _DESCRIPTORS.opened(file)

    @classmethod
    def open(
        cls, path: Path, key: bytes, *, create: bool = False, memory_security: bool = True
    ) -> Database:
        if not create and not path.exists():
            raise VaultDamaged
        if create:
            # Owner-only from the first byte, whatever the process umask is.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        try:
            conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=True)
        except sqlcipher3.Error:
            raise VaultDamaged from None
        try:
            conn.execute(_key_pragma(key))
            conn.execute(f"PRAGMA cipher_memory_security = {'ON' if memory_security else 'OFF'}")
            version = conn.execute("PRAGMA cipher_version").fetchone()
            if not version or not str(version[0]).startswith(REQUIRED_MAJOR):
                raise SQLCipherTooOld
            # The first read proves the key: SQLCipher checks every page's HMAC.
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            if create:
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA temp_store = MEMORY")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            stat = os.stat(path)
        except (sqlcipher3.DatabaseError, OSError):
            conn.close()
            raise VaultDamaged from None
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, (stat.st_dev, stat.st_ino))

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("the database is closed")
        return self._conn

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception. A lock waits for
        this to finish (see `write_lock`)."""
        with self._write_lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @property
    def write_lock(self) -> threading.RLock:
        return self._write_lock

    def user_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def integrity_problems(self) -> list[str]:
        """What `cipher_integrity_check` and `integrity_check` report; empty when sound."""
        problems = [str(r[0]) for r in self.conn.execute("PRAGMA cipher_integrity_check")]
        rows = [str(r[0]) for r in self.conn.execute("PRAGMA integrity_check")]
        return problems + [r for r in rows if r != "ok"]

    def checkpoint(self) -> None:
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def read_descriptor(self) -> int:
        """A read-only descriptor of this database's file, for reading its (encrypted)
        bytes directly. Never close it: it stays open while any connection of this
        process to the file does (see `_Descriptors`)."""
        if self._conn is None:
            raise RuntimeError("the database is closed")
        return _DESCRIPTORS.reader(self._file, self.path)

    def copy_file(self, target: Path) -> None:
        """Copy this database's file, encrypted as it is on disk, to `target`, whole or not
        at all (owner-only temporary name, fsync, rename, fsync the folder).

        It is read through `read_descriptor`: copying the file by its name would open and
        close another descriptor of it, and that close drops every lock SQLite holds on
        the file in this process. The caller first makes the file the whole database (a
        checkpoint) and lets nobody write until this returns."""
        # Without pread (Windows), closing a handle drops no other handle's locks.
        source = self.read_descriptor() if hasattr(os, "pread") else None
        fd, temp = create_temp_file(target.parent, target.name)
        try:
            try:
                if source is None:
                    with self.path.open("rb") as stream:
                        while chunk := stream.read(_COPY_CHUNK):
                            _write_all(fd, chunk)
                else:
                    offset = 0
                    while chunk := os.pread(source, _COPY_CHUNK, offset):
                        _write_all(fd, chunk)
                        offset += len(chunk)
                fsync_file(fd)
            finally:
                os.close(fd)
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        fsync_dir(target.parent)

    def close(self) -> None:
        with self._write_lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
                _DESCRIPTORS.closed(self._file)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
