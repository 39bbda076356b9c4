"""Backups for the signed-in owner: what the Backups and Today screens show, the
settings, and the jobs that take, verify, test-restore and restore backups.

Every public method checks `Action.MANAGE_BACKUPS`. Long work comes back as a job
(services/backup_jobs.py) to run on any thread; restoring over the current vault ends
back here, on the session's thread, because it must sign the session out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from ehrdesk.core.clock import Clock
from ehrdesk.core.errors import BackupOfAnotherPractice, BackupTargetUnavailable
from ehrdesk.core.permissions import Action
from ehrdesk.services.backup_jobs import (
    BackupJob,
    DrillJob,
    JobContext,
    RestoreOverJob,
    VerifyJob,
)
from ehrdesk.services.guard import requires
from ehrdesk.services.restore import PreparedRestore, rebind
from ehrdesk.services.session import Session
from ehrdesk.services.vault import Vaults
from ehrdesk.storage.backup_records import (
    BackupRecord,
    BackupRecords,
    BackupSettings,
    RestoreDrill,
)


class Backups:
    """The owner's backups. Every public method checks `MANAGE_BACKUPS`."""

    def __init__(self, session: Session, vaults: Vaults, clock: Clock) -> None:
        self._session = session
        self._vaults = vaults
        self._clock = clock

    def _context(self) -> JobContext:
        return JobContext(
            store=self._vaults.store,
            vault=self._vaults.load(),
            db_key=self._session.reauthenticate_key(),
            user=self._session.current_user(),
            clock=self._clock,
            keyring=self._vaults.keyring,
        )

    def _records(self) -> BackupRecords:
        return BackupRecords(self._session.database.conn)

    # What the Backups and Today screens show -------------------------------------

    @requires(Action.MANAGE_BACKUPS)
    def settings(self) -> BackupSettings:
        return self._records().settings()

    @requires(Action.MANAGE_BACKUPS)
    def set_settings(self, settings: BackupSettings) -> None:
        settings.checked()
        with self._session.transaction() as tx:
            BackupRecords(tx.conn).set_settings(settings)
            tx.audit("settings_changed", object_type="setting", object_id="backups")

    @requires(Action.MANAGE_BACKUPS)
    def recent_backups(self, limit: int = 50) -> list[BackupRecord]:
        """Newest first, with the state of each one's last check."""
        return self._records().all()[:limit]

    @requires(Action.MANAGE_BACKUPS)
    def newest_verified_backup(self) -> BackupRecord | None:
        """For the security-check screen and the Today reminder."""
        return self._records().newest_verified()

    @requires(Action.MANAGE_BACKUPS)
    def last_restore_drill(self) -> RestoreDrill | None:
        """The newest "test restore", good or bad (for the security-check screen)."""
        drills = self._records().drills()
        return drills[0] if drills else None

    @requires(Action.MANAGE_BACKUPS)
    def last_passed_restore_drill(self) -> RestoreDrill | None:
        """The newest "test restore" that succeeded: what proves the backups work."""
        return next((drill for drill in self._records().drills() if drill.ok), None)

    @requires(Action.MANAGE_BACKUPS)
    def reminder(self) -> str | None:
        """One sentence for the Today screen when a backup is due, else None."""
        records = self._records()
        days = records.settings().reminder_days
        newest = records.newest_verified()
        if newest is None:
            return "There is no verified backup yet. Connect a USB drive and open Backups."
        age = self._clock.now() - newest.created_at
        if age < timedelta(days=days):
            return None
        return (
            f"The newest verified backup is {age.days} days old. "
            "Connect the backup drive and open Backups to take a new one."
        )

    @requires(Action.MANAGE_BACKUPS)
    def automatic_folder(self) -> Path | None:
        """The last used drive's folder if it is connected now; None means "skip this
        automatic backup quietly" (a missing drive is a reminder, never an error)."""
        last = self._records().settings().last_folder
        if last is None:
            return None
        folder = Path(last)
        return folder if folder.is_dir() else None

    @requires(Action.MANAGE_BACKUPS)
    def daily_backup_due(self) -> bool:
        """True once the day's set time has passed with no backup since it."""
        records = self._records()
        daily = records.settings().daily_at
        if daily is None:
            return False
        now = self._clock.now().astimezone()
        hour, minute = (int(p) for p in daily.split(":"))
        due = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if now < due:
            return False
        newest = next(iter(records.all()), None)
        return newest is None or newest.created_at < due

    # Long work: a job to run on any thread ------------------------------------------

    @requires(Action.MANAGE_BACKUPS)
    def backup_job(self, folder: Path) -> BackupJob:
        return BackupJob(folder, self._context())

    @requires(Action.MANAGE_BACKUPS)
    def verify_job(self, path: Path) -> VerifyJob:
        return VerifyJob(path, self._context())

    @requires(Action.MANAGE_BACKUPS)
    def restore_drill_job(self, path: Path) -> DrillJob:
        return DrillJob(path, self._context())

    @requires(Action.MANAGE_BACKUPS)
    def restore_over_job(self, path: Path) -> RestoreOverJob:
        return RestoreOverJob(path, self._context())

    @requires(Action.MANAGE_BACKUPS)
    def finish_restore_over(self, prepared: PreparedRestore) -> Path:
        """Swap a prepared restore in for the current vault: signs out (the session's
        connection must close), moves the current database and vault.json into a safety
        copy, kept until the restored vault has been opened once, and puts the restored
        ones in place. Returns the safety copy's folder."""
        store = self._vaults.store
        if prepared.workdir.parent != store.data_dir:
            raise BackupTargetUnavailable
        if prepared.vault.vault_id != self._vaults.load().vault_id:
            prepared.discard()
            raise BackupOfAnotherPractice
        stamp = self._clock.now().strftime("%Y%m%dT%H%M%SZ")
        name, attempt = f"before-restore-{stamp}", 0
        while store.safety_copy_folder(name).exists():
            attempt += 1
            name = f"before-restore-{stamp}-{attempt}"
        prepared.vault.restore_safety_copy = name
        try:
            self._session.sign_out(reason="restore")
            rebind(prepared, self._vaults.keyring)
            store.install(prepared.database, prepared.vault, safety=store.safety_copy_folder(name))
        finally:
            prepared.discard()
        return store.safety_copy_folder(name)


class BackupStatus:
    """What the security check asks of backups (`security_check.BackupStatusSource`):
    the newest verified backup, and the newest restore drill that passed (a failed
    drill proves nothing, so it does not count)."""

    available = True

    def __init__(self, backups: Backups) -> None:
        self._backups = backups

    def newest_verified_backup_at(self) -> datetime | None:
        newest = self._backups.newest_verified_backup()
        return None if newest is None else newest.created_at

    def last_restore_drill(self) -> datetime | None:
        drill = self._backups.last_passed_restore_drill()
        return None if drill is None else drill.at
