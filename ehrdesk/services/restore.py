"""Restoring a backup: on a new machine with the recovery key (first run, no one signed
in), and the steps a restore over the current vault shares with it.

    prepare:  decrypt the backup into a work folder inside the data folder: the
              snapshot is the practice's database file, under the key its vault.json
              slots wrap (backup_verify); run every check on that file, the one that
              will be put in place, and append a `restored` event to its audit chain
    finish:   re-bind a workstation-bound vault to this computer's keyring (the
              workstation secret is kept inside the database for exactly this), then
              rename the database and vault.json into place (`VaultStore.install`)

Nothing is put in place until everything has been checked; a failure or a cancel
before `finish` leaves the data folder as it was. People sign in afterwards with the
passwords they had when the backup was taken.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyrage

from ehrdesk.core.clock import Clock
from ehrdesk.core.errors import (
    BackupDamaged,
    BackupKeyWrong,
    BackupOfAnotherPractice,
    BackupTooNew,
    InvalidInput,
    KeyringUnavailable,
    NotFound,
    VaultDamaged,
    VaultExists,
    VaultNotFound,
    VaultTooNew,
)
from ehrdesk.core.models import User
from ehrdesk.core.progress import CancelToken, Progress, no_progress
from ehrdesk.security import keyslots, recovery
from ehrdesk.security.backup_identity import backup_recipient, derive_backup_identity
from ehrdesk.security.keyslots import WrongSecret
from ehrdesk.security.subkeys import audit_key
from ehrdesk.security.workstation import WorkstationKeyring
from ehrdesk.services.backup_verify import (
    VerifiedBackup,
    check_database,
    read_and_verify,
    read_backup,
    work_folder,
)
from ehrdesk.storage.audit import AuditLog
from ehrdesk.storage.backup_file import ManifestHead, NoMatchingIdentity
from ehrdesk.storage.database import Database
from ehrdesk.storage.users import SettingsRepository
from ehrdesk.storage.vault_file import DATABASE_FILE, VaultFile, VaultStore


@dataclass
class PreparedRestore:
    """A backup decrypted, verified and re-keyed in a work folder, not yet in place:
    what the person confirms before anything changes."""

    workdir: Path
    database: Path
    vault: VaultFile
    backup: VerifiedBackup
    workstation_secret: bytes | None = field(repr=False)
    seconds: float
    #: The data folder was made for this restore: remove it again if it is discarded.
    remove_parent_on_discard: bool = False

    @property
    def practice_name(self) -> str:
        return self.backup.practice_name

    @property
    def created_at(self) -> datetime:
        return self.backup.manifest.created_at

    @property
    def row_counts(self) -> dict[str, int]:
        return self.backup.manifest.row_counts

    def discard(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)
        if self.remove_parent_on_discard:
            with contextlib.suppress(OSError):
                self.workdir.parent.rmdir()  # only if empty


@dataclass(frozen=True)
class RestoredVault:
    data_dir: Path
    vault_id: str
    practice_name: str
    workstation_bound: bool


def prepare(
    path: Path,
    identities: list[pyrage.x25519.Identity],
    workdir: Path,
    *,
    database_key: Callable[[ManifestHead], bytes],
    keyring: WorkstationKeyring,
    clock: Clock,
    actor: User | None,
    reason: str,
    cancel: CancelToken,
    progress: Progress,
) -> PreparedRestore:
    """Everything a restore does before it changes anything (see the module docstring).
    `workdir` must be on the data folder's file system; the caller removes it on failure."""
    started = time.monotonic()
    if not path.is_file():
        raise NotFound("That backup file does not exist.")
    restored = workdir / DATABASE_FILE
    decrypted = read_backup(
        path,
        identities,
        restored,
        database_key=database_key,
        hash_file=False,  # only a Verify records the file's checksum
        durable=True,  # flushed to the disk while the checks run
        cancel=cancel,
        progress=progress,
    )
    try:
        manifest, db_key = decrypted.manifest, decrypted.key
        try:
            vault = VaultFile.from_json(manifest.vault)
        except VaultTooNew:
            raise BackupTooNew from None
        except (ValueError, KeyError, TypeError):
            raise BackupDamaged from None
        if vault.workstation_binding and not keyring.is_usable():
            raise KeyringUnavailable
        # Every check runs on the file that will be put in place.
        name, events = check_database(restored, manifest, db_key, cancel=cancel, progress=progress)
    finally:
        decrypted.settle()  # after the checks' connections have closed: see `Decrypted`
    cancel.raise_if_cancelled()
    db = Database.open(restored, db_key)
    try:
        stored = SettingsRepository(db.conn).get("workstation_secret")
        with db.transaction() as conn:
            vault.audit_anchor = AuditLog(conn, audit_key(db_key)).append(
                at=clock.now(),
                action="restored",
                actor=actor,
                object_type="backup",
                object_id=path.name,
                reason=reason,
            )
        db.checkpoint()  # and fsyncs the file: it is whole on the disk before it moves
    finally:
        db.close()
    opened = decrypted.opened
    verified = VerifiedBackup(
        manifest, name, events, restored, opened.file_sha256, opened.file_size
    )
    secret = bytes.fromhex(stored) if isinstance(stored, str) else None
    if vault.workstation_binding and secret is None:
        raise BackupDamaged
    vault.throttle, vault.pending_failures, vault.dropped_failures = {}, [], 0
    vault.restore_safety_copy = None
    return PreparedRestore(workdir, restored, vault, verified, secret, time.monotonic() - started)


def rebind(prepared: PreparedRestore, keyring: WorkstationKeyring) -> None:
    """Put the vault's workstation secret into this computer's keyring (re-binding a
    bound vault restored here); checked by reading it back."""
    secret = prepared.workstation_secret
    if not prepared.vault.workstation_binding or secret is None:
        return
    keyring.store(prepared.vault.vault_id, secret)
    if keyring.load(prepared.vault.vault_id) != secret:
        raise KeyringUnavailable


class Restorer:
    """Restore on a new machine, and verifying a backup with the recovery key: no one
    is signed in, and the Emergency Kit's recovery key opens the backup."""

    def __init__(self, store: VaultStore, keyring: WorkstationKeyring, clock: Clock) -> None:
        self._store = store
        self._keyring = keyring
        self._clock = clock

    def _database_key(self, secret: bytes) -> Callable[[ManifestHead], bytes]:
        def unseal(manifest: ManifestHead) -> bytes:
            """The database key from the backup's own recovery slot: proves the backup
            was made by this practice, not merely encrypted to its public key."""
            try:
                vault = VaultFile.from_json(manifest.vault)
                slot = vault.recovery_slot()
            except VaultTooNew:
                raise BackupTooNew from None
            except (ValueError, KeyError, TypeError, VaultDamaged):
                raise BackupDamaged from None
            if vault.backup_recipient != backup_recipient(secret):
                raise BackupDamaged
            try:
                return keyslots.unseal(
                    slot, secret, vault_id=vault.vault_id, workstation_secret=None
                )
            except WrongSecret:
                raise BackupDamaged from None

        return unseal

    def _no_match(self, secret: bytes) -> Exception:
        """Nothing in the backup opens with this key: if the key is this folder's
        practice's own, the backup is another practice's; otherwise the key is wrong."""
        try:
            here = self._store.load()
        except (VaultNotFound, VaultDamaged, VaultTooNew):
            return BackupKeyWrong()
        if here.backup_recipient == backup_recipient(secret):
            return BackupOfAnotherPractice()
        return BackupKeyWrong()

    def verify(
        self,
        path: Path,
        recovery_key: str,
        *,
        progress: Progress = no_progress,
        cancel: CancelToken | None = None,
    ) -> VerifiedBackup:
        """Full decrypt and every check, in the system's temporary folder (the snapshot
        there stays encrypted); changes nothing."""
        secret = recovery.secret_bytes(recovery_key)
        if not path.is_file():
            raise NotFound("That backup file does not exist.")
        with work_folder(None, "ehrdesk-verify-") as workdir:
            try:
                verified, _ = read_and_verify(
                    path,
                    [derive_backup_identity(secret)],
                    workdir,
                    database_key=self._database_key(secret),
                    keep=False,
                    cancel=cancel or CancelToken(),
                    progress=progress,
                )
            except NoMatchingIdentity:
                raise self._no_match(secret) from None
        return verified

    def prepare(
        self,
        path: Path,
        recovery_key: str,
        *,
        progress: Progress = no_progress,
        cancel: CancelToken | None = None,
    ) -> PreparedRestore:
        """Decrypt, verify and re-key into a work folder inside the (new) data folder;
        `finish` puts it in place, `PreparedRestore.discard` throws it away."""
        secret = recovery.secret_bytes(recovery_key)
        if self._store.exists():
            raise VaultExists(
                "That data folder already holds a practice; restore into a new, empty folder."
            )
        created = not self._store.data_dir.exists()
        with kept_work_folder(self._store.data_dir, ".restore-", remove_parent=created) as work:
            try:
                prepared = prepare(
                    path,
                    [derive_backup_identity(secret)],
                    work,
                    database_key=self._database_key(secret),
                    keyring=self._keyring,
                    clock=self._clock,
                    actor=None,
                    reason="recovery key",
                    cancel=cancel or CancelToken(),
                    progress=progress,
                )
            except NoMatchingIdentity:
                raise self._no_match(secret) from None
        prepared.remove_parent_on_discard = created
        return prepared

    def finish(self, prepared: PreparedRestore) -> RestoredVault:
        """Put a prepared restore in place (a new data folder only)."""
        if prepared.workdir.parent != self._store.data_dir:
            raise InvalidInput("That restore was prepared for another data folder.")
        try:
            rebind(prepared, self._keyring)
            self._store.install(prepared.database, prepared.vault)
        finally:
            prepared.remove_parent_on_discard = False
            prepared.discard()
        return RestoredVault(
            self._store.data_dir,
            prepared.vault.vault_id,
            prepared.practice_name,
            prepared.vault.workstation_binding,
        )

    def restore(
        self,
        path: Path,
        recovery_key: str,
        *,
        progress: Progress = no_progress,
        cancel: CancelToken | None = None,
    ) -> RestoredVault:
        """`prepare` and `finish` in one go (the command line)."""
        return self.finish(self.prepare(path, recovery_key, progress=progress, cancel=cancel))


@contextlib.contextmanager
def kept_work_folder(parent: Path, prefix: str, *, remove_parent: bool = False) -> Iterator[Path]:
    """An owner-only work folder under `parent`, removed if the block fails and kept if
    it succeeds (a prepared restore lives there until it is finished or discarded). If
    `remove_parent`, an empty `parent` goes too on failure (it was made for this)."""
    parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        yield folder
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        if remove_parent:
            with contextlib.suppress(OSError):
                parent.rmdir()  # only if empty
        raise
