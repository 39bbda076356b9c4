"""vault.json: key slots, sign-in throttle, pending failed sign-ins and the audit anchor.

Nothing in it is readable as a secret without a password or the recovery key, and it
names no person or practice: users appear only as keyed tags (see `keyslots.user_tag`).
Every change is a read-modify-write under an exclusive lock on `vault.lock`, written
whole or not at all (temp file 0600, fsync, rename, fsync the folder), so the app and a
command-line backup running at once cannot lose each other's changes.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ehrdesk.core.errors import VaultDamaged, VaultExists, VaultNotFound, VaultTooNew
from ehrdesk.security.keyslots import KeySlot
from ehrdesk.storage.atomic import create_temp_file, fsync_dir, fsync_file, write_atomically

FORMAT_VERSION = 1
VAULT_FILE = "vault.json"
DATABASE_FILE = "practice.ehrdb"
LOCK_FILE = "vault.lock"
SAFETY_COPIES = "safety-copies"
_RESTORE_SAFETY_COPY = re.compile(r"^before-restore-\d{8}T\d{6}Z(?:-\d{1,3})?$")
MAX_PENDING_FAILURES = 1000

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: msvcrt locking below
    fcntl = None  # type: ignore[assignment]


@dataclass
class ThrottleEntry:
    failures: int = 0
    last_failure_at: str | None = None
    locked: bool = False


@dataclass(frozen=True)
class PendingFailure:
    """A failed sign-in not yet copied into the audit log (the database is not
    written on a failure, so it waits here until someone signs in)."""

    at: str
    user_tag: str
    kind: str


@dataclass(frozen=True)
class AuditAnchor:
    seq: int
    mac: bytes


@dataclass
class VaultFile:
    vault_id: str
    created_at: str
    tag_key: bytes
    backup_recipient: str
    workstation_binding: bool
    slots: list[KeySlot] = field(default_factory=list)
    throttle: dict[str, ThrottleEntry] = field(default_factory=dict)
    pending_failures: list[PendingFailure] = field(default_factory=list)
    dropped_failures: int = 0
    audit_anchor: AuditAnchor | None = None
    #: A demo practice with published credentials: the app marks it DEMO everywhere.
    demo: bool = False
    #: After a restore over this vault: the folder under safety-copies/ that holds the
    #: vault as it was, deleted once the restored vault has been opened.
    restore_safety_copy: str | None = None

    def user_slot(self, tag: str) -> KeySlot | None:
        return next((s for s in self.slots if s.kind == "user" and s.user_tag == tag), None)

    def recovery_slot(self) -> KeySlot:
        slot = next((s for s in self.slots if s.kind == "recovery"), None)
        if slot is None:
            raise VaultDamaged
        return slot

    def replace_slot(self, slot: KeySlot) -> None:
        self.slots = [s for s in self.slots if s.slot_id != slot.slot_id] + [slot]

    def remove_user_slot(self, tag: str) -> None:
        self.slots = [s for s in self.slots if not (s.kind == "user" and s.user_tag == tag)]

    def add_pending_failure(self, failure: PendingFailure) -> None:
        self.pending_failures.append(failure)
        overflow = len(self.pending_failures) - MAX_PENDING_FAILURES
        if overflow > 0:
            del self.pending_failures[:overflow]
            self.dropped_failures += overflow

    def to_json(self) -> dict[str, object]:
        anchor = self.audit_anchor
        return {
            "format": FORMAT_VERSION,
            "vault_id": self.vault_id,
            "created_at": self.created_at,
            "tag_key": base64.b64encode(self.tag_key).decode(),
            "backup_recipient": self.backup_recipient,
            "workstation_binding": self.workstation_binding,
            "slots": [s.to_json() for s in self.slots],
            "throttle": {
                tag: {
                    "failures": t.failures,
                    "last_failure_at": t.last_failure_at,
                    "locked": t.locked,
                }
                for tag, t in sorted(self.throttle.items())
            },
            "pending_failures": [
                {"at": p.at, "user_tag": p.user_tag, "kind": p.kind} for p in self.pending_failures
            ],
            "dropped_failures": self.dropped_failures,
            "demo": self.demo,
            "restore_safety_copy": self.restore_safety_copy,
            "audit_anchor": None
            if anchor is None
            else {"seq": anchor.seq, "mac": anchor.mac.hex()},
        }

    @classmethod
    def from_json(cls, data: object) -> VaultFile:
        if not isinstance(data, dict):
            raise ValueError("not an object")
        version = data.get("format")
        if not isinstance(version, int):
            raise ValueError("no format version")
        if version > FORMAT_VERSION:
            raise VaultTooNew
        anchor = data.get("audit_anchor")
        safety = data.get("restore_safety_copy")
        if safety is not None and not _RESTORE_SAFETY_COPY.match(str(safety)):
            raise ValueError("bad safety copy name")
        return cls(
            vault_id=str(data["vault_id"]),
            created_at=str(data["created_at"]),
            tag_key=base64.b64decode(str(data["tag_key"]), validate=True),
            backup_recipient=str(data["backup_recipient"]),
            workstation_binding=bool(data["workstation_binding"]),
            slots=[KeySlot.from_json(s) for s in data["slots"]],
            throttle={
                str(tag): ThrottleEntry(
                    int(t["failures"]), t.get("last_failure_at"), bool(t["locked"])
                )
                for tag, t in dict(data.get("throttle", {})).items()
            },
            pending_failures=[
                PendingFailure(str(p["at"]), str(p["user_tag"]), str(p["kind"]))
                for p in data.get("pending_failures", [])
            ],
            dropped_failures=int(data.get("dropped_failures", 0)),
            demo=bool(data.get("demo", False)),
            restore_safety_copy=None if safety is None else str(safety),
            audit_anchor=None
            if anchor is None
            else AuditAnchor(int(anchor["seq"]), bytes.fromhex(str(anchor["mac"]))),
        )

    def for_backup(self) -> dict[str, object]:
        """What a backup keeps of vault.json: the key slots and the public parts, not
        this workstation's sign-in throttle or the failures waiting to be audited."""
        data = self.to_json()
        data.update(throttle={}, pending_failures=[], dropped_failures=0)
        data["restore_safety_copy"] = None
        return data


def _encode(vault: VaultFile) -> bytes:
    return json.dumps(vault.to_json(), indent=1, sort_keys=True).encode("utf-8")


class VaultStore:
    """The files of one practice's data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.vault_path = data_dir / VAULT_FILE
        self.database_path = data_dir / DATABASE_FILE
        self._lock_path = data_dir / LOCK_FILE
        self._thread_lock = threading.RLock()
        self._held: VaultFile | None = None

    def exists(self) -> bool:
        return self.vault_path.exists() or self.database_path.exists()

    def load(self) -> VaultFile:
        try:
            raw = self.vault_path.read_bytes()
        except FileNotFoundError:
            if self.database_path.exists():
                raise VaultDamaged from None
            raise VaultNotFound from None
        except OSError:
            raise VaultDamaged from None
        try:
            return VaultFile.from_json(json.loads(raw))
        except VaultTooNew:
            raise
        except (ValueError, KeyError, TypeError):
            raise VaultDamaged from None

    def create(self, vault: VaultFile) -> None:
        """Write the first vault.json; refuses a folder that already holds a vault."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._locked():
            if self.vault_path.exists():
                raise VaultExists
            self._write(vault)

    @contextlib.contextmanager
    def update(self) -> Iterator[VaultFile]:
        """Read, let the caller change, write back whole; all under the lock.

        Re-entrant within a thread: an inner `update()` (say, the audit anchor written
        after a transaction inside a user change) gets the outer one's object, and the
        outer one writes it once."""
        with self._thread_lock:
            if self._held is not None:
                yield self._held
                return
            with self._locked():
                vault = self.load()
                self._held = vault
                try:
                    yield vault
                finally:
                    self._held = None
                self._write(vault)

    def _write(self, vault: VaultFile) -> None:
        write_atomically(self.vault_path, _encode(vault))

    def install(self, database: Path, vault: VaultFile, *, safety: Path | None = None) -> None:
        """Put a restored database and its vault.json in place, under the lock.

        Without `safety` the folder must hold no vault (`VaultExists`). With it (a restore
        over this vault), the current database and vault.json move into that new folder
        first. The new vault.json is written and fsynced under a temporary name before
        anything moves, and renamed into place last: from then on the vault is whole.
        `database` must be on the same file system (it is renamed, not copied).
        """
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._thread_lock, self._locked():
            if safety is None and self.exists():
                raise VaultExists
            fd, temp = create_temp_file(self.data_dir, VAULT_FILE)
            try:
                with os.fdopen(fd, "wb") as stream:
                    stream.write(_encode(vault))
                    stream.flush()
                    fsync_file(stream.fileno())
                if safety is not None:
                    safety.mkdir(parents=True, mode=0o700)
                    for name in (DATABASE_FILE, f"{DATABASE_FILE}-wal", f"{DATABASE_FILE}-shm"):
                        if (self.data_dir / name).exists():
                            os.replace(self.data_dir / name, safety / name)
                    if self.vault_path.exists():
                        shutil.copy2(self.vault_path, safety / VAULT_FILE)
                    fsync_dir(safety)
                os.replace(database, self.database_path)
                os.replace(temp, self.vault_path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    temp.unlink()
                raise
            fsync_dir(self.data_dir)

    def safety_copy_folder(self, name: str) -> Path:
        if not _RESTORE_SAFETY_COPY.match(name):
            raise ValueError("not a restore safety copy")
        return self.data_dir / SAFETY_COPIES / name

    def remove_restore_safety_copy(self, name: str) -> None:
        """Delete a restore's safety copy (the restored vault has been opened)."""
        shutil.rmtree(self.safety_copy_folder(name), ignore_errors=True)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock
