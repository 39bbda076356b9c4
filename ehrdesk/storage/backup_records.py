"""What the practice knows about its backups: settings, the backups taken and how their
last check went, and the restore drills. Kept in the encrypted database.

Why the database and not vault.json: a record names the folder a backup went to, and a
drive's mount point usually carries the computer account's name (`/media/olive/…`);
vault.json names no one. The records are also only of use to a signed-in owner.

Why `practice_setting` (JSON values) and not a table of their own: the history is small
and bounded (the newest `MAX_RECORDS` backups, `MAX_DRILLS` drills), and needing no
migration keeps backups independent of the order in which other schema changes land.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from ehrdesk.core.errors import InvalidInput
from ehrdesk.storage.audit import format_time
from ehrdesk.storage.database import Connection
from ehrdesk.storage.users import SettingsRepository

SETTINGS = "backup_settings"
HISTORY = "backup_history"
DRILLS = "backup_restore_drills"
MAX_RECORDS = 100
MAX_DRILLS = 20
MAX_KEEP = 100
MAX_REMINDER_DAYS = 90


class BackupState(StrEnum):
    VERIFIED = "verified"  # read back and verified in full
    DAMAGED = "damaged"  # a later check found it damaged
    MISSING = "missing"  # not there when last looked for (drive away, or removed)


@dataclass(frozen=True)
class BackupSettings:
    keep: int = 10
    reminder_days: int = 7
    at_close: bool = False
    #: "HH:MM", local time: back up once a day at this time while ehrdesk is open.
    daily_at: str | None = None
    #: Where the last backup went; automatic backups go there when it is present.
    last_folder: str | None = None

    def checked(self) -> BackupSettings:
        if not 1 <= self.keep <= MAX_KEEP:
            raise InvalidInput(f"Keep between 1 and {MAX_KEEP} backups on a drive.")
        if not 1 <= self.reminder_days <= MAX_REMINDER_DAYS:
            raise InvalidInput(f"The reminder is after 1 to {MAX_REMINDER_DAYS} days.")
        if self.daily_at is not None:
            hour, _, minute = self.daily_at.partition(":")
            if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
                raise InvalidInput("The time of the daily backup is written as HH:MM.")
        return self


@dataclass(frozen=True)
class BackupRecord:
    file_name: str
    folder: str
    created_at: datetime
    size: int
    sha256: str
    state: BackupState
    checked_at: datetime
    audit_seq: int

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            created_at=format_time(self.created_at),
            checked_at=format_time(self.checked_at),
            state=self.state.value,
        )
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BackupRecord:
        return cls(
            file_name=str(data["file_name"]),
            folder=str(data["folder"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            size=int(data["size"]),
            sha256=str(data["sha256"]),
            state=BackupState(data["state"]),
            checked_at=datetime.fromisoformat(data["checked_at"]),
            audit_seq=int(data["audit_seq"]),
        )


@dataclass(frozen=True)
class RestoreDrill:
    """One "test restore": restored into a temporary folder, opened, checked, deleted."""

    at: datetime
    file_name: str
    ok: bool
    seconds: float
    detail: str

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = format_time(self.at)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RestoreDrill:
        return cls(
            at=datetime.fromisoformat(data["at"]),
            file_name=str(data["file_name"]),
            ok=bool(data["ok"]),
            seconds=float(data["seconds"]),
            detail=str(data["detail"]),
        )


class BackupRecords:
    """Repository over one connection; callers hold the transaction."""

    def __init__(self, conn: Connection) -> None:
        self._settings = SettingsRepository(conn)

    def settings(self) -> BackupSettings:
        raw = self._settings.get(SETTINGS, {})
        known = BackupSettings.__dataclass_fields__
        values = {k: v for k, v in dict(raw if isinstance(raw, dict) else {}).items() if k in known}
        try:
            return BackupSettings(**values).checked()
        except (TypeError, InvalidInput):
            return BackupSettings()

    def set_settings(self, settings: BackupSettings) -> None:
        self._settings.set(SETTINGS, asdict(settings.checked()))

    def all(self) -> list[BackupRecord]:
        """Newest first."""
        raw = self._settings.get(HISTORY, [])
        return [BackupRecord.from_json(r) for r in raw] if isinstance(raw, list) else []

    def add(self, record: BackupRecord) -> None:
        kept = [
            r for r in self.all() if r.file_name != record.file_name or r.folder != record.folder
        ]
        records = sorted([record, *kept], key=lambda r: r.created_at, reverse=True)
        self._settings.set(HISTORY, [r.to_json() for r in records[:MAX_RECORDS]])

    def find(self, folder: str, file_name: str) -> BackupRecord | None:
        return next(
            (r for r in self.all() if r.folder == folder and r.file_name == file_name), None
        )

    def mark(self, record: BackupRecord, state: BackupState, at: datetime) -> BackupRecord:
        updated = replace(record, state=state, checked_at=at)
        self.add(updated)
        return updated

    def forget(self, folder: str, file_names: set[str]) -> None:
        """Backups that retention deleted from a drive."""
        kept = [r for r in self.all() if not (r.folder == folder and r.file_name in file_names)]
        self._settings.set(HISTORY, [r.to_json() for r in kept])

    def newest_verified(self) -> BackupRecord | None:
        return next((r for r in self.all() if r.state is BackupState.VERIFIED), None)

    def drills(self) -> list[RestoreDrill]:
        raw = self._settings.get(DRILLS, [])
        return [RestoreDrill.from_json(d) for d in raw] if isinstance(raw, list) else []

    def add_drill(self, drill: RestoreDrill) -> None:
        drills = [drill, *self.drills()][:MAX_DRILLS]
        self._settings.set(DRILLS, [d.to_json() for d in drills])
