"""Reading a backup back in full: the checks every verification and every restore runs.

    age authentication and the container's version        (storage/backup_file.py)
    → the snapshot's size and SHA-256 against the manifest
    → the database key: the session's, or unsealed from the backup's own recovery slot
      (started as soon as the manifest has been read, while the rest is decrypted)
    → at once, each on a connection of its own (`check_database`):
        PRAGMA cipher_integrity_check
        PRAGMA integrity_check
        schema version, the row count of every table against the manifest, and the
        audit chain under the practice's audit key, ending at the manifest's anchor

The snapshot is decrypted straight into the file a restore puts in place: the practice's
database, under its own key (a backup of container version 1 is re-keyed into it), so
the checks judge exactly what would be restored and nothing is written twice.

Any failure is `BackupDamaged` (or `BackupTooNew`); nothing outside the work folder is
written, and the decrypted database there is SQLCipher-encrypted like the live one, so
no plaintext record reaches any disk.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pyrage
import sqlcipher3

from ehrdesk.core.errors import (
    BackupDamaged,
    BackupTargetUnavailable,
    BackupTooNew,
    UserCancelled,
    VaultDamaged,
)
from ehrdesk.core.progress import CancelToken, Progress
from ehrdesk.security.subkeys import audit_key
from ehrdesk.storage.atomic import fsync_file
from ehrdesk.storage.audit import AuditLog
from ehrdesk.storage.backup_file import Manifest, ManifestHead, OpenedBackup, open_backup
from ehrdesk.storage.database import Connection, Database
from ehrdesk.storage.migrations import runner
from ehrdesk.storage.snapshot import copy_rekeyed, newest_audit_anchor, row_counts
from ehrdesk.storage.users import SettingsRepository
from ehrdesk.storage.vault_file import DATABASE_FILE

#: Where a container-version-1 snapshot is decrypted before it is re-keyed.
SNAPSHOT_NAME = "snapshot.ehrdb"
_CHECK_STEPS = 20_000
#: Page cache of the connection running `integrity_check` (it looks every index entry
#: up in its table): large enough for the inner pages of big tables, and a bound on
#: memory whatever the size of the practice.
_CHECK_CACHE_KIB: Final = 64 * 1024
#: The checks that run on threads of their own: the statement, the rows a sound
#: database answers, and the page cache (KiB) of the connection that runs it.
_THREAD_CHECKS: Final[tuple[tuple[str, list[str], int | None], ...]] = (
    ("PRAGMA cipher_integrity_check", [], None),
    ("PRAGMA integrity_check", ["ok"], _CHECK_CACHE_KIB),
)
#: The work folders a backup, a check, a drill or a restore makes in the data folder.
WORK_PREFIXES = (".backup-", ".verify-", ".drill-", ".restore-")


@dataclass(frozen=True)
class VerifiedBackup:
    """A backup that passed every check, and what it holds (for the person to see)."""

    manifest: Manifest
    practice_name: str
    audit_events: int
    #: The checked database (under the practice's key), when the caller kept it.
    snapshot: Path | None
    file_sha256: str
    file_size: int


@contextlib.contextmanager
def work_folder(parent: Path | None, prefix: str) -> Iterator[Path]:
    """An owner-only folder for one piece of work, removed afterwards whatever happens.
    `parent` None means the system's temporary folder (TMPDIR)."""
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def remove_stale_work_folders(data_dir: Path, age_seconds: float) -> None:
    """Work folders a killed process left in the data folder (their snapshots are as
    encrypted as the live database beside them, so they are only clutter)."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(data_dir):
            if not entry.name.startswith(WORK_PREFIXES):
                continue
            with contextlib.suppress(OSError):
                if entry.is_dir() and entry.stat().st_mtime < time.time() - age_seconds:
                    shutil.rmtree(entry.path, ignore_errors=True)


# Reading ---------------------------------------------------------------------------------


class _KeyJob:
    """`database_key(manifest)` on a thread of its own, started as soon as the manifest
    has been read: unsealing a recovery slot (Argon2id) then overlaps the decryption."""

    def __init__(self, database_key: Callable[[ManifestHead], bytes]) -> None:
        self._database_key = database_key
        self._thread: threading.Thread | None = None
        self._key: bytes | None = None
        self._error: BaseException | None = None

    def start(self, head: ManifestHead) -> None:
        def run() -> None:
            try:
                self._key = self._database_key(head)
            except BaseException as error:
                self._error = error

        self._thread = threading.Thread(target=run, name="ehrdesk-unseal", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def result(self) -> bytes:
        self.wait()
        if self._error is not None:
            raise self._error
        if self._key is None:
            raise BackupDamaged
        return self._key


class Decrypted:
    """A backup decrypted into the practice's database file, not yet checked. With
    `durable`, the file is being flushed to the disk on a thread meanwhile (the checks
    read it from memory all the same); `settle` waits for that and lets the file go.

    The descriptor this process wrote the file with stays open until `settle`, and
    `settle` must come after every SQLite connection to the file is closed: closing a
    descriptor drops all the POSIX locks the process holds on that file."""

    def __init__(self, opened: OpenedBackup, key: bytes, fd: int | None, *, durable: bool) -> None:
        self.opened = opened
        self.key = key
        self._fd = fd
        self._flush: threading.Thread | None = None
        self._error: OSError | None = None
        if durable and fd is not None:
            self._flush = threading.Thread(target=self._fsync, name="ehrdesk-fsync", daemon=True)
            self._flush.start()
        else:
            self.settle()

    @property
    def manifest(self) -> Manifest:
        return self.opened.manifest

    def _fsync(self) -> None:
        assert self._fd is not None
        try:
            fsync_file(self._fd)
        except OSError as error:
            self._error = error

    def settle(self) -> None:
        if self._flush is not None:
            self._flush.join()
            self._flush = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._error is not None:
            raise BackupTargetUnavailable(
                "ehrdesk could not write the restored records to this computer's disk."
            )


def read_backup(
    path: Path,
    identities: list[pyrage.x25519.Identity],
    database: Path,
    *,
    database_key: Callable[[ManifestHead], bytes],
    hash_file: bool,
    durable: bool,
    cancel: CancelToken,
    progress: Progress,
) -> Decrypted:
    """Decrypt the backup at `path` into the new, owner-only file `database`: the
    practice's database under its own key. The key comes from `database_key`, which may
    refuse the manifest (another practice, a slot that does not open). The database is
    not checked yet (`check_database`); on any failure it is removed."""
    key_job = _KeyJob(database_key)
    fresh_key_snapshot = database.with_name(SNAPSHOT_NAME)
    fd = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            with os.fdopen(os.dup(fd), "wb", buffering=0) as sink:
                opened = open_backup(
                    path,
                    identities,
                    sink,
                    cancel=cancel,
                    progress=progress,
                    on_head=key_job.start,
                    hash_file=hash_file,
                )
        finally:
            key_job.wait()  # no thread outlives this call
        manifest = opened.manifest
        if manifest.schema_version > runner.LATEST_VERSION:
            raise BackupTooNew
        if manifest.vault.get("vault_id") != manifest.vault_id:
            raise BackupDamaged
        db_key = key_job.result()
        if manifest.snapshot_key is None:
            return Decrypted(opened, db_key, fd, durable=durable)
        # Container version 1: the snapshot has a key of its own; re-key it into place.
        os.close(fd)
        fd = -1
        os.replace(database, fresh_key_snapshot)
        try:
            copy_rekeyed(
                fresh_key_snapshot,
                manifest.snapshot_key,
                database,
                db_key,
                cancel=cancel,
                progress=progress,
            )
        except VaultDamaged:  # the snapshot does not open as SQLCipher
            raise BackupDamaged from None
        finally:
            fresh_key_snapshot.unlink(missing_ok=True)
        return Decrypted(opened, db_key, None, durable=False)  # copy_rekeyed fsynced it
    except BaseException:
        if fd >= 0:
            os.close(fd)
        database.unlink(missing_ok=True)
        raise


def read_and_verify(
    path: Path,
    identities: list[pyrage.x25519.Identity],
    workdir: Path,
    *,
    database_key: Callable[[ManifestHead], bytes],
    keep: bool,
    cancel: CancelToken,
    progress: Progress,
    hash_file: bool = True,
) -> tuple[VerifiedBackup, bytes]:
    """Decrypt the backup into `workdir` and run every check on it. Returns what it
    holds (with the checked database when `keep`; else it is removed) and the
    practice's database key."""
    database = workdir / DATABASE_FILE
    decrypted = read_backup(
        path,
        identities,
        database,
        database_key=database_key,
        hash_file=hash_file,
        durable=False,
        cancel=cancel,
        progress=progress,
    )
    try:
        name, events = check_database(
            database, decrypted.manifest, decrypted.key, cancel=cancel, progress=progress
        )
    except BaseException:
        database.unlink(missing_ok=True)
        raise
    if not keep:
        database.unlink(missing_ok=True)
    opened = decrypted.opened
    verified = VerifiedBackup(
        opened.manifest,
        name,
        events,
        database if keep else None,
        opened.file_sha256,
        opened.file_size,
    )
    return verified, decrypted.key


# Checking --------------------------------------------------------------------------------


class _Checks:
    """Checks running at once on their own threads and connections; the first problem
    any of them finds (or a cancel) stops the others."""

    def __init__(self, path: Path, key: bytes, cancel: CancelToken) -> None:
        self._path = path
        self._key = key
        self._cancel = cancel
        self.problem = threading.Event()
        self._threads: list[threading.Thread] = []

    def stopped(self) -> int:
        """SQLite's progress handler: non-zero interrupts the statement."""
        return 1 if self.problem.is_set() or self._cancel.cancelled else 0

    def open(self) -> Database:
        try:
            db = Database.open(self._path, self._key)
        except VaultDamaged:
            raise BackupDamaged from None
        db.conn.set_progress_handler(self.stopped, _CHECK_STEPS)
        return db

    def start(self, statement: str, sound: list[str], cache_kib: int | None = None) -> None:
        """`statement` on a thread: a problem unless it answers exactly `sound`."""

        def run() -> None:
            try:
                db = self.open()
                try:
                    if cache_kib is not None:
                        db.conn.execute(f"PRAGMA cache_size = -{cache_kib}")
                    rows = [str(r[0]) for r in db.conn.execute(statement)]
                finally:
                    db.close()
                if rows != sound:
                    self.problem.set()
            except BaseException:  # damage, or stopped by the problem another one found
                self.problem.set()

        name = f"ehrdesk-check-{len(self._threads) + 1}"
        thread = threading.Thread(target=run, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def join(self) -> None:
        for thread in self._threads:
            thread.join()


def check_database(
    path: Path,
    manifest: Manifest,
    db_key: bytes,
    *,
    cancel: CancelToken,
    progress: Progress,
) -> tuple[str, int]:
    """Every check of a decrypted backup against `manifest`, at once (see the module
    docstring); returns the practice's name and the audit events checked. Raises
    `BackupDamaged` for the first problem found, `UserCancelled` on a cancel.

    `cipher_integrity_check` and `integrity_check` each read every page on threads of
    their own (SQLite releases the GIL while it works); this thread meanwhile compares
    the schema version, the row counts and the audit chain."""
    checks = _Checks(path, db_key, cancel)
    progress(0, 0, "Checking the database")
    try:
        for statement, sound, cache_kib in _THREAD_CHECKS:
            checks.start(statement, sound, cache_kib)
        db = checks.open()
        try:
            name, events = _compare_with_manifest(db.conn, manifest, db_key, progress)
        finally:
            db.close()
    except BaseException as error:
        checks.problem.set()
        checks.join()
        cancel.raise_if_cancelled()  # an interrupted check is a cancel, not damage
        if isinstance(error, BackupDamaged | BackupTooNew | UserCancelled):
            raise
        if isinstance(error, sqlcipher3.Error | VaultDamaged):
            raise BackupDamaged from None
        raise
    checks.join()
    cancel.raise_if_cancelled()
    if checks.problem.is_set():
        raise BackupDamaged
    return name, events


def _compare_with_manifest(
    conn: Connection, manifest: Manifest, db_key: bytes, progress: Progress
) -> tuple[str, int]:
    if int(conn.execute("PRAGMA user_version").fetchone()[0]) != manifest.schema_version:
        raise BackupDamaged
    if row_counts(conn) != manifest.row_counts:
        raise BackupDamaged
    if newest_audit_anchor(conn) != manifest.audit_anchor:
        raise BackupDamaged
    report = AuditLog(conn, audit_key(db_key)).verify(
        manifest.audit_anchor,
        lambda done, total: progress(done, total, "Checking the audit log"),
    )
    if not report.ok:
        raise BackupDamaged
    return str(SettingsRepository(conn).get("practice_name", "")), report.events_checked
