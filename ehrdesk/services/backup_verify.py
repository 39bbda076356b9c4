"""Reading a backup back in full: the checks every verification and every restore runs.

    age authentication and the manifest's version          (storage/backup_file.py)
    → the snapshot's size and SHA-256 against the manifest
    → the database key: the session's, or unsealed from the backup's own recovery slot
    → PRAGMA cipher_integrity_check and PRAGMA integrity_check
    → schema version and the row count of every table against the manifest
    → the audit chain, under the practice's audit key, ending at the manifest's anchor

Any failure is `BackupDamaged` (or `BackupTooNew`); nothing outside the work folder is
written, and the decrypted snapshot there is itself a SQLCipher file under the backup's
own key, so no plaintext record reaches any disk.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyrage

from ehrdesk.core.errors import BackupDamaged, BackupTooNew, VaultDamaged
from ehrdesk.core.progress import CancelToken, Progress
from ehrdesk.security.subkeys import audit_key
from ehrdesk.storage.audit import AuditLog
from ehrdesk.storage.backup_file import Manifest, open_backup
from ehrdesk.storage.database import Database
from ehrdesk.storage.migrations import runner
from ehrdesk.storage.snapshot import newest_audit_anchor, row_counts
from ehrdesk.storage.users import SettingsRepository

SNAPSHOT_NAME = "snapshot.ehrdb"
_CHECK_STEPS = 20_000
#: The work folders a backup, a check, a drill or a restore makes in the data folder.
WORK_PREFIXES = (".backup-", ".verify-", ".drill-", ".restore-")


@dataclass(frozen=True)
class VerifiedBackup:
    """A backup that passed every check, and what it holds (for the person to see)."""

    manifest: Manifest
    practice_name: str
    audit_events: int
    #: The decrypted snapshot (still under the backup's key), when the caller kept it.
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
    """Work folders a killed process left in the data folder (their snapshots are
    encrypted under keys that died with it, so they are only clutter)."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(data_dir):
            if not entry.name.startswith(WORK_PREFIXES):
                continue
            with contextlib.suppress(OSError):
                if entry.is_dir() and entry.stat().st_mtime < time.time() - age_seconds:
                    shutil.rmtree(entry.path, ignore_errors=True)


def check_database(
    db: Database,
    manifest: Manifest,
    db_key: bytes,
    *,
    cancel: CancelToken,
    progress: Progress,
) -> int:
    """Integrity, schema version, row counts and audit chain of an open snapshot or
    restored database against `manifest`; returns the audit events checked."""
    conn = db.conn
    conn.set_progress_handler(lambda: 1 if cancel.cancelled else 0, _CHECK_STEPS)
    try:
        progress(0, 0, "Checking the database")
        if db.integrity_problems():
            raise BackupDamaged
        cancel.raise_if_cancelled()
        if db.user_version() != manifest.schema_version:
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
        return report.events_checked
    except Exception as error:
        cancel.raise_if_cancelled()  # an interrupted check is a cancel, not damage
        if isinstance(error, BackupDamaged | BackupTooNew):
            raise
        raise BackupDamaged from None
    finally:
        conn.set_progress_handler(None, 0)


def read_and_verify(
    path: Path,
    identities: list[pyrage.x25519.Identity],
    workdir: Path,
    *,
    database_key: Callable[[Manifest], bytes],
    keep_snapshot: bool,
    cancel: CancelToken,
    progress: Progress,
) -> tuple[VerifiedBackup, bytes]:
    """Decrypt the backup into `workdir` and check it. Returns what it holds and the
    practice's database key (from `database_key`, which may refuse the manifest:
    another practice, a slot that does not open).

    With `keep_snapshot` the caller gets the snapshot and runs `check_database` itself
    on the copy it makes from it (restore, drill): the checks then judge what is put in
    place, and a large backup is not checked twice. Age's authentication and the
    manifest's SHA-256 have already proved the snapshot is the one that was written,
    and it was checked in full when it was read back at backup time."""
    opened = open_backup(
        path, identities, workdir / SNAPSHOT_NAME, cancel=cancel, progress=progress
    )
    name, events = "", 0
    try:
        manifest = opened.manifest
        if manifest.schema_version > runner.LATEST_VERSION:
            raise BackupTooNew
        if manifest.vault.get("vault_id") != manifest.vault_id:
            raise BackupDamaged
        db_key = database_key(manifest)
        if not keep_snapshot:
            name, events = _check_snapshot(opened.snapshot, manifest, db_key, cancel, progress)
    except BaseException:
        opened.snapshot.unlink(missing_ok=True)
        raise
    if not keep_snapshot:
        opened.snapshot.unlink(missing_ok=True)
    verified = VerifiedBackup(
        manifest,
        name,
        events,
        opened.snapshot if keep_snapshot else None,
        opened.file_sha256,
        opened.file_size,
    )
    return verified, db_key


def open_checked(
    path: Path,
    key: bytes,
    manifest: Manifest,
    db_key: bytes,
    *,
    cancel: CancelToken,
    progress: Progress,
) -> tuple[Database, str, int]:
    """Open a snapshot or a restored copy and run every check on it; returns it open,
    with the practice's name and the audit events checked."""
    try:
        db = Database.open(path, key)
    except VaultDamaged:
        raise BackupDamaged from None
    try:
        events = check_database(db, manifest, db_key, cancel=cancel, progress=progress)
        name = str(SettingsRepository(db.conn).get("practice_name", ""))
    except BaseException:
        db.close()
        raise
    return db, name, events


def _check_snapshot(
    snapshot: Path, manifest: Manifest, db_key: bytes, cancel: CancelToken, progress: Progress
) -> tuple[str, int]:
    db, name, events = open_checked(
        snapshot, manifest.snapshot_key, manifest, db_key, cancel=cancel, progress=progress
    )
    db.close()
    return name, events
