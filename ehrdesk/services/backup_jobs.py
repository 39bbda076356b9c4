"""The long work behind backups, as jobs that may run on any thread.

A job is made by a guarded method of `services.backup.Backups` on the session's thread
(which checks the permission and captures what the work needs: the database key, the
vault, the signed-in user) and then `run(progress, cancel)` anywhere. It opens its own
connections, and writes its own record and audit event in its own transaction, so no
connection crosses threads and a lock of the session does not cut a backup in half.

Taking a backup:

    free-space check → freeze one moment of the live database (storage/snapshot.py: the
    write lock for a few milliseconds, then a pinned read while the app writes on)
    → stream the database file's bytes, as they are, into age and a temporary file on
      the drive, while another thread counts the rows of that moment → the trailer
    → fsync → read the file back from the drive: age's authentication of every byte,
      the container, the snapshot's SHA-256 and the whole manifest against what was
      written → rename → fsync the folder → keep the newest N → record it and audit
      `backup_created`

The full checks of what a backup holds (cipher_integrity_check, integrity_check, the
audit chain, the row counts) are Verify's, the restore drill's and every restore's; see
README ("Backups: where this differs from DESIGN.md") for why the backup itself does not
run them. A failure anywhere leaves no file under a backup's name and no earlier backup
touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyrage

from ehrdesk import __version__
from ehrdesk.core.clock import Clock
from ehrdesk.core.errors import (
    BackupDamaged,
    BackupError,
    BackupOfAnotherPractice,
    BackupTargetUnavailable,
    NotFound,
    UserCancelled,
)
from ehrdesk.core.models import User
from ehrdesk.core.progress import CancelToken, Progress, no_progress
from ehrdesk.security.backup_identity import derive_practice_identity
from ehrdesk.security.subkeys import audit_key
from ehrdesk.security.workstation import WorkstationKeyring
from ehrdesk.services.backup_verify import (
    VerifiedBackup,
    read_and_verify,
    remove_stale_work_folders,
)
from ehrdesk.services.backup_verify import work_folder as _work_folder
from ehrdesk.services.restore import PreparedRestore, kept_work_folder, prepare
from ehrdesk.storage import backup_file, backup_folder
from ehrdesk.storage.audit import AuditLog
from ehrdesk.storage.backup_file import Manifest, ManifestHead, NoMatchingIdentity
from ehrdesk.storage.backup_records import (
    BackupRecord,
    BackupRecords,
    BackupSettings,
    BackupState,
    RestoreDrill,
)
from ehrdesk.storage.database import Database
from ehrdesk.storage.snapshot import frozen_snapshot
from ehrdesk.storage.vault_file import VaultFile, VaultStore

#: An interrupted backup's temporary file or work folder older than this is a leftover.
STALE_SECONDS = 6 * 60 * 60


@dataclass(frozen=True)
class BackupResult:
    record: BackupRecord
    path: Path
    removed: tuple[Path, ...]
    seconds: float


@dataclass(frozen=True)
class JobContext:
    """What a job needs, captured on the session's thread."""

    store: VaultStore
    vault: VaultFile
    db_key: bytes = field(repr=False)
    user: User
    clock: Clock
    keyring: WorkstationKeyring

    def identity(self) -> pyrage.x25519.Identity:
        return derive_practice_identity(self.db_key)

    def recipients(self) -> list[pyrage.x25519.Recipient]:
        practice = pyrage.x25519.Recipient.from_str(self.vault.backup_recipient)
        own = self.identity().to_public()
        # Each twice: see storage/backup_file.py, "Why each recipient twice".
        return [practice, practice, own, own]

    def database_key(self, manifest: ManifestHead) -> bytes:
        if manifest.vault_id != self.vault.vault_id:
            raise BackupOfAnotherPractice
        return self.db_key

    def read_and_verify(
        self, path: Path, workdir: Path, *, keep: bool, cancel: CancelToken, progress: Progress
    ) -> VerifiedBackup:
        try:
            verified, _ = read_and_verify(
                path,
                [self.identity()],
                workdir,
                database_key=self.database_key,
                keep=keep,
                cancel=cancel,
                progress=progress,
            )
        except NoMatchingIdentity:
            raise BackupOfAnotherPractice from None
        return verified

    def record(
        self,
        action: str,
        *,
        object_id: str,
        reason: str | None,
        change: Callable[[BackupRecords], None],
    ) -> int:
        """One transaction on a connection of this thread: the records change and its
        audit event; then the anchor in vault.json. Returns the event's sequence."""
        db = Database.open(self.store.database_path, self.db_key)
        try:
            with db.transaction() as conn:
                change(BackupRecords(conn))
                anchor = AuditLog(conn, audit_key(self.db_key)).append(
                    at=self.clock.now(),
                    action=action,
                    actor=self.user,
                    object_type="backup",
                    object_id=object_id,
                    reason=reason,
                )
        finally:
            db.close()
        with self.store.update() as vault:
            if vault.audit_anchor is None or anchor.seq > vault.audit_anchor.seq:
                vault.audit_anchor = anchor
        return anchor.seq

    def settings(self) -> BackupSettings:
        db = Database.open(self.store.database_path, self.db_key)
        try:
            return BackupRecords(db.conn).settings()
        finally:
            db.close()


def _usable_folder(folder: Path) -> Path:
    folder = folder.expanduser().absolute()
    if not folder.is_dir():
        raise BackupTargetUnavailable(
            "That folder is not there; check that the drive is connected and try again."
        )
    return folder


@dataclass
class BackupJob:
    """One backup into `folder`; `run` on any thread."""

    folder: Path
    _ctx: JobContext

    def run(
        self, progress: Progress = no_progress, cancel: CancelToken | None = None
    ) -> BackupResult:
        cancel = cancel or CancelToken()
        started = time.monotonic()
        ctx, folder = self._ctx, _usable_folder(self.folder)
        vault_id = ctx.vault.vault_id
        now = ctx.clock.now()
        backup_folder.remove_stale_temps(folder, vault_id, STALE_SECONDS)
        remove_stale_work_folders(ctx.store.data_dir, STALE_SECONDS)
        # The snapshot is never larger than the live database and its log together:
        # a drive too small for that is refused before any work is done.
        live = ctx.store.database_path
        wal = Path(f"{live}-wal")
        upper = live.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
        backup_folder.check_free_space(folder, backup_file.estimated_size(1 << 16, upper))
        settings = ctx.settings()
        identity = ctx.identity()

        def verify(temp: Path, manifest: Manifest) -> str:
            """Read the file back from the drive: every byte through age's authentication,
            the snapshot's SHA-256, and the manifest exactly as it was written. Returns the
            file's SHA-256, as read, for the record."""
            try:
                opened = backup_file.open_backup(
                    temp, [identity], None, cancel=cancel, progress=progress
                )
            except NoMatchingIdentity:
                raise BackupDamaged from None
            if opened.manifest != manifest:
                raise BackupDamaged
            return opened.file_sha256

        # The work folder receives a snapshot only if the database cannot be pinned and
        # is exported instead (storage/snapshot.py).
        with (
            _work_folder(ctx.store.data_dir, ".backup-") as work,
            frozen_snapshot(live, ctx.db_key, work, cancel=cancel, progress=progress) as snap,
        ):
            if snap.audit_anchor is None:
                raise BackupDamaged  # every vault has audit events from its creation
            head = ManifestHead(
                app_version=__version__,
                schema_version=snap.schema_version,
                vault_id=vault_id,
                created_at=now,
                snapshot_bytes=snap.size,
                audit_anchor=snap.audit_anchor,
                vault=ctx.vault.for_backup(),
            )
            with snap.open() as source:
                written = backup_file.write_backup(
                    folder,
                    backup_folder.free_name(folder, vault_id, now),
                    head,
                    source,
                    ctx.recipients(),
                    row_counts=lambda: snap.row_counts(cancel),
                    verify=verify,
                    cancel=cancel,
                    progress=progress,
                )
        manifest = written.manifest
        removed = backup_folder.prune(folder, vault_id, settings.keep, protect=written.path)
        record = BackupRecord(
            file_name=written.path.name,
            folder=str(folder),
            created_at=now,
            size=written.size,
            sha256=written.sha256,
            state=BackupState.VERIFIED,
            checked_at=ctx.clock.now(),
            audit_seq=manifest.audit_anchor.seq,
        )

        def change(records: BackupRecords) -> None:
            records.add(record)
            records.forget(str(folder), {p.name for p in removed})
            records.set_settings(replace(records.settings(), last_folder=str(folder)))

        ctx.record("backup_created", object_id=record.file_name, reason=None, change=change)
        return BackupResult(record, written.path, tuple(removed), time.monotonic() - started)


@dataclass(frozen=True)
class VerifyResult:
    path: Path
    backup: VerifiedBackup
    seconds: float


@dataclass
class VerifyJob:
    """Full decrypt and every check of one backup file; changes nothing but its record."""

    path: Path
    _ctx: JobContext

    def run(
        self, progress: Progress = no_progress, cancel: CancelToken | None = None
    ) -> VerifyResult:
        cancel = cancel or CancelToken()
        started = time.monotonic()
        ctx, path = self._ctx, self.path.expanduser().absolute()
        folder, name = str(path.parent), path.name
        if not path.is_file():
            self._mark(folder, name, BackupState.MISSING, "missing")
            raise NotFound("That backup file is not there; check that the drive is connected.")
        try:
            with _work_folder(ctx.store.data_dir, ".verify-") as work:
                verified = ctx.read_and_verify(
                    path, work, keep=False, cancel=cancel, progress=progress
                )
        except BackupDamaged:
            self._mark(folder, name, BackupState.DAMAGED, "damaged")
            raise
        manifest = verified.manifest
        record = BackupRecord(
            file_name=name,
            folder=folder,
            created_at=manifest.created_at,
            size=verified.file_size,
            sha256=verified.file_sha256,
            state=BackupState.VERIFIED,
            checked_at=ctx.clock.now(),
            audit_seq=manifest.audit_anchor.seq,
        )
        ctx.record("backup_verified", object_id=name, reason="ok", change=lambda r: r.add(record))
        return VerifyResult(path, verified, time.monotonic() - started)

    def _mark(self, folder: str, name: str, state: BackupState, reason: str) -> None:
        now = self._ctx.clock.now()

        def change(records: BackupRecords) -> None:
            known = records.find(folder, name)
            if known is not None:
                records.mark(known, state, now)

        self._ctx.record("backup_verified", object_id=name, reason=reason, change=change)


@dataclass
class DrillJob:
    """A restore drill: restore the backup into a temporary folder exactly as a real
    restore would, open the result, check it against the manifest, and delete it. The
    outcome, good or bad, is recorded and audited (`restore_drill`)."""

    path: Path
    _ctx: JobContext

    def run(
        self, progress: Progress = no_progress, cancel: CancelToken | None = None
    ) -> RestoreDrill:
        cancel = cancel or CancelToken()
        started = time.monotonic()
        ctx, path = self._ctx, self.path.expanduser().absolute()
        try:
            if not path.is_file():
                raise NotFound("That backup file is not there; check that the drive is connected.")
            with _work_folder(ctx.store.data_dir, ".drill-") as work:
                # Decrypted into the file a restore would put in place, every check run on
                # it, and deleted with the folder.
                verified = ctx.read_and_verify(
                    path, work, keep=False, cancel=cancel, progress=progress
                )
                manifest = verified.manifest
        except UserCancelled:
            raise
        except BackupError as error:
            self._record(path.name, ok=False, started=started, detail=error.message)
            raise
        except NotFound as error:
            self._record(path.name, ok=False, started=started, detail=error.message)
            raise
        total = sum(manifest.row_counts.values())
        return self._record(
            path.name,
            ok=True,
            started=started,
            detail=f"Restored and checked {total} rows in {len(manifest.row_counts)} tables.",
        )

    def _record(self, name: str, *, ok: bool, started: float, detail: str) -> RestoreDrill:
        drill = RestoreDrill(
            at=self._ctx.clock.now(),
            file_name=name,
            ok=ok,
            seconds=round(time.monotonic() - started, 2),
            detail=detail,
        )
        self._ctx.record(
            "restore_drill",
            object_id=name,
            reason="ok" if ok else "failed",
            change=lambda records: records.add_drill(drill),
        )
        return drill


@dataclass
class RestoreOverJob:
    """The slow half of restoring over the current vault: decrypt, verify and re-key
    into a work folder. `Backups.finish_restore_over` then signs out and swaps."""

    path: Path
    _ctx: JobContext

    def run(
        self, progress: Progress = no_progress, cancel: CancelToken | None = None
    ) -> PreparedRestore:
        ctx = self._ctx
        with kept_work_folder(ctx.store.data_dir, ".restore-") as work:
            try:
                return prepare(
                    self.path.expanduser().absolute(),
                    [ctx.identity()],
                    work,
                    database_key=ctx.database_key,
                    keyring=ctx.keyring,
                    clock=ctx.clock,
                    actor=ctx.user,
                    reason="restored over the practice by its owner",
                    cancel=cancel or CancelToken(),
                    progress=progress,
                )
            except NoMatchingIdentity:
                raise BackupOfAnotherPractice from None
