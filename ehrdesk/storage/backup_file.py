"""The `.ehrbackup` file: one age file holding a manifest and an encrypted snapshot.

    age v1 (https://age-encryption.org/v1), X25519 recipients, in this order:
        the practice's backup recipient (from the recovery key)   ×2
        the recipient derived from the database key               ×2
    └── plaintext (streamed; never whole in memory)
          b"ehrdesk-backup\\n"      magic, 15 bytes
          container version        2 bytes, big-endian (read before anything else)
          manifest length          4 bytes, big-endian (at most 1 MiB)
          manifest                 UTF-8 JSON, see `Manifest`
          snapshot                 `snapshot_bytes` bytes: a SQLCipher 4 database under
                                   the fresh per-backup key `snapshot_key`
          (nothing after it)

Why each recipient twice: age answers "no matching key" when no stanza opens, and a
byte flipped inside the one stanza an identity could open would look exactly like a
wrong key. With two stanzas per identity, one flipped byte can spoil only one of them;
the other opens and age's header MAC then reports the damage. So "no matching key"
really means the key (or the practice) is not the right one, and every flipped byte or
cut-off file is reported as damage.

The manifest also carries what restore needs for people to sign in again: vault.json as
it was when the backup was taken (its key slots wrap the practice's database key, which
restore re-keys the snapshot to; throttle state and waiting failures are left behind).

Where backups go, what they are called and how many are kept: `backup_folder.py`.

Invariants: a backup appears under its final name only when it has been written whole,
fsynced, read back from the drive and verified (`write_backup`); on any failure or
cancel, the temporary file is removed and nothing else in the folder is touched. The
snapshot inside is SQLCipher-encrypted, so no step writes a readable record to any disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Final

import pyrage

from ehrdesk.core.errors import (
    BackupDamaged,
    BackupTargetUnavailable,
    BackupTooNew,
)
from ehrdesk.core.progress import CancelToken, Progress
from ehrdesk.storage.atomic import create_temp_file, fsync_dir, fsync_file
from ehrdesk.storage.backup_folder import check_free_space, write_error
from ehrdesk.storage.vault_file import AuditAnchor

FORMAT_VERSION: Final = 1
MAGIC: Final = b"ehrdesk-backup\n"
MAX_MANIFEST_BYTES: Final = 1 << 20
_PREFIX: Final = struct.Struct(">HI")  # container version, manifest length
_HEAD_BYTES: Final = len(MAGIC) + _PREFIX.size
_CHUNK: Final = 1 << 16
# age: a 16-byte nonce, then 64 KiB chunks each with a 16-byte tag; the header is a few
# hundred bytes for four X25519 stanzas and age's random "grease" stanza.
_AGE_HEADER_ALLOWANCE: Final = 4096
_AGE_NO_MATCH: Final = "No matching keys found"


class NoMatchingIdentity(Exception):
    """None of the identities opens this age file. Internal: the service knows whether
    that means a wrong recovery key or another practice's backup."""


@dataclass(frozen=True)
class Manifest:
    """What a backup says about itself; checked in full by every verification."""

    app_version: str
    schema_version: int
    vault_id: str
    created_at: datetime
    row_counts: dict[str, int]
    snapshot_bytes: int
    snapshot_sha256: str
    snapshot_key: bytes = field(repr=False)
    audit_anchor: AuditAnchor
    vault: dict[str, Any] = field(repr=False)
    format: int = FORMAT_VERSION

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "format": self.format,
                "app_version": self.app_version,
                "schema_version": self.schema_version,
                "vault_id": self.vault_id,
                "created_at": self.created_at.astimezone(UTC).isoformat(),
                "row_counts": dict(sorted(self.row_counts.items())),
                "snapshot_bytes": self.snapshot_bytes,
                "snapshot_sha256": self.snapshot_sha256,
                "snapshot_key": self.snapshot_key.hex(),
                "audit_anchor": {"seq": self.audit_anchor.seq, "mac": self.audit_anchor.mac.hex()},
                "vault": self.vault,
            },
            sort_keys=True,
        ).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        """Parse and check every field; `BackupTooNew` or `BackupDamaged` otherwise."""
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict):
                raise TypeError
            version = data["format"]
            if not isinstance(version, int):
                raise TypeError
            if version > FORMAT_VERSION:
                raise BackupTooNew
            counts = data["row_counts"]
            anchor = data["audit_anchor"]
            manifest = cls(
                format=version,
                app_version=_text(data["app_version"]),
                schema_version=_count(data["schema_version"]),
                vault_id=_text(data["vault_id"]),
                created_at=datetime.fromisoformat(_text(data["created_at"])),
                row_counts={_text(k): _count(v) for k, v in dict(counts).items()},
                snapshot_bytes=_count(data["snapshot_bytes"]),
                snapshot_sha256=_text(data["snapshot_sha256"]),
                snapshot_key=bytes.fromhex(_text(data["snapshot_key"])),
                audit_anchor=AuditAnchor(_count(anchor["seq"]), bytes.fromhex(anchor["mac"])),
                vault=dict(data["vault"]),
            )
        except BackupTooNew:
            raise
        except (ValueError, KeyError, TypeError, AttributeError):
            raise BackupDamaged from None
        if len(manifest.snapshot_key) != 32 or len(manifest.snapshot_sha256) != 64:
            raise BackupDamaged
        if manifest.created_at.tzinfo is None:
            raise BackupDamaged
        return manifest


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError
    return value


def _count(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError
    return value


def estimated_size(manifest_bytes: int, snapshot_bytes: int) -> int:
    plaintext = _HEAD_BYTES + manifest_bytes + snapshot_bytes
    chunks = plaintext // _CHUNK + 1
    return _AGE_HEADER_ALLOWANCE + 16 + plaintext + 16 * chunks


# Writing -------------------------------------------------------------------------------


class _PlaintextReader(io.RawIOBase):
    """Streams the container (head, manifest, snapshot file) into age's encryptor, and
    is where a cancel or a progress report happens."""

    def __init__(
        self,
        head: bytes,
        snapshot: io.BufferedReader,
        total: int,
        cancel: CancelToken,
        progress: Progress,
    ) -> None:
        self._head = head
        self._snapshot = snapshot
        self._total = total
        self._done = 0
        self._cancel = cancel
        self._progress = progress
        self.failure: BaseException | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            self._cancel.raise_if_cancelled()
            view = memoryview(buffer).cast("B")
            if self._head:
                count = min(len(view), len(self._head))
                view[:count] = self._head[:count]
                self._head = self._head[count:]
            else:
                count = self._snapshot.readinto(view)
            self._done += count
            self._progress(self._done, self._total, "Encrypting and writing the backup")
            return count
        except BaseException as error:
            self.failure = error
            raise


class _CountingWriter(io.RawIOBase):
    """The temporary file on the drive: counts and hashes what age writes."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self.written = 0
        self.sha256 = hashlib.sha256()
        self.failure: BaseException | None = None

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        try:
            view = memoryview(data).cast("B")
            done = 0
            while done < len(view):
                done += os.write(self._fd, view[done:])
            self.sha256.update(view)
            self.written += done
            return done
        except BaseException as error:
            self.failure = error
            raise


@dataclass(frozen=True)
class WrittenBackup:
    path: Path
    size: int
    sha256: str


def write_backup(
    folder: Path,
    name: str,
    manifest: Manifest,
    snapshot: Path,
    recipients: list[pyrage.x25519.Recipient],
    *,
    verify: Callable[[Path], None],
    cancel: CancelToken,
    progress: Progress,
) -> WrittenBackup:
    """Write the backup to `folder/name`, whole or not at all.

    Free space is checked first (`BackupTargetFull`, nothing written). The file is
    written under a temporary name, fsynced, dropped from the page cache and read back
    by `verify`, and only then renamed into place and the folder fsynced. Any failure
    removes the temporary file and raises: `BackupTargetFull` for a full drive,
    `BackupTargetUnavailable` for another I/O error, `UserCancelled`, or what `verify`
    raised.
    """
    manifest_bytes = manifest.to_json()
    if len(manifest_bytes) > MAX_MANIFEST_BYTES:
        raise ValueError("the manifest is too large")
    needed = estimated_size(len(manifest_bytes), manifest.snapshot_bytes)
    check_free_space(folder, needed)
    head = MAGIC + _PREFIX.pack(FORMAT_VERSION, len(manifest_bytes)) + manifest_bytes
    total = len(head) + manifest.snapshot_bytes
    try:
        fd, temp = create_temp_file(folder, name)
    except OSError as error:
        raise write_error(error, needed, folder) from None
    try:
        writer = _CountingWriter(fd)
        try:
            with snapshot.open("rb") as source:
                reader = _PlaintextReader(head, source, total, cancel, progress)
                try:
                    pyrage.encrypt_io(reader, writer, recipients)
                except pyrage.EncryptError:
                    raise reader.failure or writer.failure or BackupTargetUnavailable() from None
            fsync_file(fd)
            _drop_from_cache(fd)
        finally:
            os.close(fd)
        cancel.raise_if_cancelled()
        verify(temp)
        cancel.raise_if_cancelled()
        final = folder / name
        if final.exists():
            raise BackupTargetUnavailable
        os.replace(temp, final)
    except OSError as error:
        _discard(temp)
        raise write_error(error, needed, folder) from None
    except BaseException:
        _discard(temp)
        raise
    with contextlib.suppress(OSError):
        fsync_dir(folder)
    return WrittenBackup(final, writer.written, writer.sha256.hexdigest())


def _discard(temp: Path) -> None:
    with contextlib.suppress(OSError):
        temp.unlink()


def _drop_from_cache(fd: int) -> None:
    """So the read-back reads the drive, not what the kernel still holds in memory."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        with contextlib.suppress(OSError):
            advise(fd, 0, 0, os.POSIX_FADV_DONTNEED)


# Reading -------------------------------------------------------------------------------


class _ContainerWriter(io.RawIOBase):
    """Receives age's authenticated plaintext: parses the head and manifest, streams the
    snapshot into a file, and refuses anything that does not add up."""

    def __init__(self, snapshot: BinaryIO, cancel: CancelToken, progress: Progress) -> None:
        self._snapshot = snapshot
        self._cancel = cancel
        self._progress = progress
        self._buffer = bytearray()
        self._manifest_length: int | None = None
        self.manifest: Manifest | None = None
        self.snapshot_written = 0
        self.sha256 = hashlib.sha256()
        self.failure: BaseException | None = None

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        try:
            self._cancel.raise_if_cancelled()
            view = memoryview(data).cast("B")
            if self.manifest is None:
                self._buffer += view
                self._read_head()
                if self.manifest is not None and self._buffer:
                    rest, self._buffer = bytes(self._buffer), bytearray()
                    self._take_snapshot_bytes(memoryview(rest))
            else:
                self._take_snapshot_bytes(view)
            return len(view)
        except BaseException as error:
            self.failure = error
            raise

    def _read_head(self) -> None:
        if self._manifest_length is None:
            if len(self._buffer) < _HEAD_BYTES:
                return
            if bytes(self._buffer[: len(MAGIC)]) != MAGIC:
                raise BackupDamaged
            version, length = _PREFIX.unpack_from(self._buffer, len(MAGIC))
            if version > FORMAT_VERSION:
                raise BackupTooNew
            if version < 1 or length > MAX_MANIFEST_BYTES:
                raise BackupDamaged
            self._manifest_length = length
            del self._buffer[:_HEAD_BYTES]
        if len(self._buffer) >= self._manifest_length:
            raw = bytes(self._buffer[: self._manifest_length])
            del self._buffer[: self._manifest_length]
            self.manifest = Manifest.from_json(raw)

    def _take_snapshot_bytes(self, view: memoryview) -> None:
        assert self.manifest is not None
        expected = self.manifest.snapshot_bytes
        if self.snapshot_written + len(view) > expected:
            raise BackupDamaged  # bytes after the snapshot
        self._snapshot.write(view)
        self.sha256.update(view)
        self.snapshot_written += len(view)
        self._progress(self.snapshot_written, expected, "Decrypting and checking the backup")


class _SourceReader(io.RawIOBase):
    """The backup file as age reads it; keeps a read error (a drive pulled out) so it
    is reported as such, not as damage."""

    def __init__(self, source: io.BufferedReader) -> None:
        self._source = source
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.failure: BaseException | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            view = memoryview(buffer).cast("B")
            count = self._source.readinto(view)
            self.sha256.update(view[:count])
            self.size += count
            return count
        except BaseException as error:
            self.failure = error
            raise


@dataclass(frozen=True)
class OpenedBackup:
    manifest: Manifest
    snapshot: Path
    #: Of the whole .ehrbackup file, as read: how a record recognises its file.
    file_sha256: str
    file_size: int


def open_backup(
    path: Path,
    identities: list[pyrage.x25519.Identity],
    snapshot: Path,
    *,
    cancel: CancelToken,
    progress: Progress,
) -> OpenedBackup:
    """Decrypt the backup at `path`, writing its (still encrypted) snapshot to the new
    file `snapshot`; check the manifest's size and checksum. Raises `NoMatchingIdentity`,
    `BackupDamaged`, `BackupTooNew`, `BackupTargetUnavailable` or `UserCancelled`; on
    any failure the snapshot file is removed."""
    fd = os.open(snapshot, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            writer = _ContainerWriter(out, cancel, progress)
            with path.open("rb") as source:
                reader = _SourceReader(source)
                try:
                    pyrage.decrypt_io(reader, writer, identities)
                except BaseException as error:
                    failure = reader.failure or writer.failure
                    if failure is not None:
                        raise failure from None
                    if isinstance(error, pyrage.DecryptError) and str(error) == _AGE_NO_MATCH:
                        raise NoMatchingIdentity from None
                    # A bad header is a DecryptError; a bad or cut-off payload chunk
                    # surfaces from age's stream reader as an OSError of its own.
                    if isinstance(error, pyrage.DecryptError | OSError):
                        raise BackupDamaged from None
                    raise
        manifest = writer.manifest
        if manifest is None or writer.snapshot_written != manifest.snapshot_bytes:
            raise BackupDamaged
        if writer.sha256.hexdigest() != manifest.snapshot_sha256:
            raise BackupDamaged
    except OSError:
        _discard(snapshot)
        raise BackupTargetUnavailable from None
    except BaseException:
        _discard(snapshot)
        raise
    return OpenedBackup(manifest, snapshot, reader.sha256.hexdigest(), reader.size)
