"""The `.ehrbackup` file: one age file holding a manifest and an encrypted snapshot.

    age v1 (https://age-encryption.org/v1), X25519 recipients, in this order:
        the practice's backup recipient (from the recovery key)   ×2
        the recipient derived from the database key               ×2
    └── plaintext (streamed; never whole in memory), container version 2:
          b"ehrdesk-backup\\n"      magic, 15 bytes
          container version        2 bytes, big-endian (read before anything else)
          manifest length          4 bytes, big-endian (at most 1 MiB)
          manifest                 UTF-8 JSON, see `ManifestHead`: what is known before
                                   the copy starts, the snapshot's length among it
          snapshot                 `snapshot_bytes` bytes: the practice's SQLCipher 4
                                   database file, byte for byte, under its own key
          trailer length           4 bytes, big-endian (at most 1 MiB)
          trailer                  UTF-8 JSON: the row count of every table and the
                                   snapshot's SHA-256, learnt while it was copied
          (nothing after it)

    Container version 1 (read, never written): the same magic, version and manifest
    length, a manifest holding everything (the row counts, the SHA-256 and a fresh
    `snapshot_key` the snapshot was encrypted under), then the snapshot, then nothing.

Why each recipient twice: age answers "no matching key" when no stanza opens, and a
byte flipped inside the one stanza an identity could open would look exactly like a
wrong key. With two stanzas per identity, one flipped byte can spoil only one of them;
the other opens and age's header MAC then reports the damage. So "no matching key"
really means the key (or the practice) is not the right one, and every flipped byte or
cut-off file is reported as damage.

Why the row counts come last: the snapshot is streamed from the live database while
another thread counts the rows of the same moment, so the encryption need not wait for
the count; the manifest in front carries what a restore needs first (the vault, to
unseal the database key while the rest is still being decrypted).

The manifest also carries what restore needs for people to sign in again: vault.json as
it was when the backup was taken (its key slots wrap the practice's database key, the
key the snapshot is under; throttle state and waiting failures are left behind).

Where backups go, what they are called and how many are kept: `backup_folder.py`.

Invariants: a backup appears under its final name only when it has been written whole,
fsynced, read back from the drive and verified (`write_backup`); on any failure or
cancel, the temporary file is removed and nothing else in the folder is touched. The
snapshot inside is SQLCipher-encrypted, so no step writes a readable record to any disk.
"""

from __future__ import annotations

import contextlib
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
from ehrdesk.storage.atomic import create_temp_file, fsync_dir
from ehrdesk.storage.backup_folder import check_free_space, write_error
from ehrdesk.storage.streams import BackgroundFlush, BackgroundSha256
from ehrdesk.storage.vault_file import AuditAnchor

FORMAT_VERSION: Final = 2
#: The container version whose snapshot is under a fresh key of its own (read only).
FRESH_KEY_FORMAT: Final = 1
MAGIC: Final = b"ehrdesk-backup\n"
MAX_MANIFEST_BYTES: Final = 1 << 20
MAX_TRAILER_BYTES: Final = 1 << 20
_PREFIX: Final = struct.Struct(">HI")  # container version, manifest length
_LENGTH: Final = struct.Struct(">I")  # trailer length
_HEAD_BYTES: Final = len(MAGIC) + _PREFIX.size
#: What pyrage is handed at a time: it asks for 8 KiB pieces, and a Python call for each
#: would cost more than the encryption itself.
_BUFFER: Final = 1 << 20
# age: a 16-byte nonce, then 64 KiB chunks each with a 16-byte tag; the header is a few
# hundred bytes for four X25519 stanzas and age's random "grease" stanza.
_CHUNK: Final = 1 << 16
_AGE_HEADER_ALLOWANCE: Final = 4096
#: Room for the trailer in the free-space estimate (row counts of a few hundred tables).
_TRAILER_ALLOWANCE: Final = 16 * 1024
_AGE_NO_MATCH: Final = "No matching keys found"


class NoMatchingIdentity(Exception):
    """None of the identities opens this age file. Internal: the service knows whether
    that means a wrong recovery key or another practice's backup."""


@dataclass(frozen=True, kw_only=True)
class ManifestHead:
    """What a backup says about itself before its snapshot: all a restore needs to
    start (which practice, which key slots, how long the snapshot is)."""

    app_version: str
    schema_version: int
    vault_id: str
    created_at: datetime
    snapshot_bytes: int
    audit_anchor: AuditAnchor
    vault: dict[str, Any] = field(repr=False)
    #: The version being written when made here (looked up then, not at import).
    format: int = field(default_factory=lambda: FORMAT_VERSION)

    def head_json(self) -> bytes:
        return json.dumps(self._head_fields(), sort_keys=True).encode("utf-8")

    def _head_fields(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "app_version": self.app_version,
            "schema_version": self.schema_version,
            "vault_id": self.vault_id,
            "created_at": self.created_at.astimezone(UTC).isoformat(),
            "snapshot_bytes": self.snapshot_bytes,
            "audit_anchor": {"seq": self.audit_anchor.seq, "mac": self.audit_anchor.mac.hex()},
            "vault": self.vault,
        }

    @staticmethod
    def from_head_json(raw: bytes) -> ManifestHead:
        """Parse and check a format-2 manifest; `BackupTooNew` or `BackupDamaged`."""
        data = _json_object(raw)
        try:
            head = ManifestHead(**_head_values(data))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise BackupDamaged from None
        _check_head(head)
        return head


@dataclass(frozen=True, kw_only=True)
class Manifest(ManifestHead):
    """A backup's whole description: its manifest and its trailer; checked in full by
    every verification."""

    row_counts: dict[str, int]
    snapshot_sha256: str
    #: Container version 1 only: the fresh key its snapshot was encrypted under. From
    #: version 2 on the snapshot is under the practice's database key (None here).
    snapshot_key: bytes | None = field(default=None, repr=False)

    def trailer_json(self) -> bytes:
        return json.dumps(
            {
                "row_counts": dict(sorted(self.row_counts.items())),
                "snapshot_sha256": self.snapshot_sha256,
            },
            sort_keys=True,
        ).encode("utf-8")

    @staticmethod
    def completed(head: ManifestHead, row_counts: dict[str, int], sha256: str) -> Manifest:
        values = {name: getattr(head, name) for name in ManifestHead.__dataclass_fields__}
        return Manifest(**values, row_counts=row_counts, snapshot_sha256=sha256)

    @staticmethod
    def from_trailer_json(head: ManifestHead, raw: bytes) -> Manifest:
        data = _json_object(raw)
        try:
            manifest = Manifest.completed(
                head,
                {_text(k): _count(v) for k, v in dict(data["row_counts"]).items()},
                _text(data["snapshot_sha256"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise BackupDamaged from None
        if len(manifest.snapshot_sha256) != 64:
            raise BackupDamaged
        return manifest

    @staticmethod
    def from_fresh_key_json(raw: bytes) -> Manifest:
        """Parse and check a container-version-1 manifest (everything in one)."""
        data = _json_object(raw)
        try:
            manifest = Manifest(
                **_head_values(data),
                row_counts={_text(k): _count(v) for k, v in dict(data["row_counts"]).items()},
                snapshot_sha256=_text(data["snapshot_sha256"]),
                snapshot_key=bytes.fromhex(_text(data["snapshot_key"])),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise BackupDamaged from None
        _check_head(manifest)
        if manifest.snapshot_key is None or len(manifest.snapshot_key) != 32:
            raise BackupDamaged
        if len(manifest.snapshot_sha256) != 64:
            raise BackupDamaged
        return manifest


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError:
        raise BackupDamaged from None
    if not isinstance(data, dict):
        raise BackupDamaged
    return data


def _head_values(data: dict[str, Any]) -> dict[str, Any]:
    version = data["format"]
    if not isinstance(version, int):
        raise TypeError
    if version > FORMAT_VERSION:
        raise BackupTooNew
    anchor = data["audit_anchor"]
    return {
        "format": version,
        "app_version": _text(data["app_version"]),
        "schema_version": _count(data["schema_version"]),
        "vault_id": _text(data["vault_id"]),
        "created_at": datetime.fromisoformat(_text(data["created_at"])),
        "snapshot_bytes": _count(data["snapshot_bytes"]),
        "audit_anchor": AuditAnchor(_count(anchor["seq"]), bytes.fromhex(anchor["mac"])),
        "vault": dict(data["vault"]),
    }


def _check_head(head: ManifestHead) -> None:
    if head.created_at.tzinfo is None:
        raise BackupDamaged


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError
    return value


def _count(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError
    return value


def estimated_size(manifest_bytes: int, snapshot_bytes: int) -> int:
    plaintext = _HEAD_BYTES + manifest_bytes + snapshot_bytes + _LENGTH.size + _TRAILER_ALLOWANCE
    chunks = plaintext // _CHUNK + 1
    return _AGE_HEADER_ALLOWANCE + 16 + plaintext + 16 * chunks


# Writing -------------------------------------------------------------------------------


class _PlaintextReader(io.RawIOBase):
    """Streams the container (prefix and manifest, the snapshot, the trailer) into age's
    encryptor; hashes the snapshot on its way through, and is where a cancel or a
    progress report happens. The trailer is made when the snapshot has been read: that
    is when `row_counts` is asked (it may wait for the thread counting them)."""

    def __init__(
        self,
        head: ManifestHead,
        snapshot: io.RawIOBase | io.BufferedIOBase,
        row_counts: Callable[[], dict[str, int]],
        cancel: CancelToken,
        progress: Progress,
    ) -> None:
        manifest_json = head.head_json()
        if len(manifest_json) > MAX_MANIFEST_BYTES:
            raise ValueError("the manifest is too large")
        self._head = head
        self._pending = MAGIC + _PREFIX.pack(head.format, len(manifest_json)) + manifest_json
        self._snapshot = snapshot
        self._left = head.snapshot_bytes
        self._row_counts = row_counts
        self._sha256 = BackgroundSha256()
        self._done = 0
        self._cancel = cancel
        self._progress = progress
        self.manifest: Manifest | None = None
        self.failure: BaseException | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            self._cancel.raise_if_cancelled()
            view = memoryview(buffer).cast("B")
            if not self._pending and self._left:
                count = int(self._snapshot.readinto(view[: min(len(view), self._left)]))
                if not count:
                    raise BackupTargetUnavailable  # the snapshot ended early
                self._sha256.update(view[:count])
                self._left -= count
                self._done += count
                self._progress(
                    self._done, self._head.snapshot_bytes, "Encrypting and writing the backup"
                )
                return count
            if not self._pending and self.manifest is None:
                self._pending = self._trailer()
            count = min(len(view), len(self._pending))
            view[:count] = self._pending[:count]
            self._pending = self._pending[count:]
            return count
        except BaseException as error:
            self.failure = error
            raise

    def stop(self) -> None:
        """End the hashing thread (whatever happened)."""
        self._sha256.close()

    def _trailer(self) -> bytes:
        self.manifest = Manifest.completed(self._head, self._row_counts(), self._sha256.hexdigest())
        trailer = self.manifest.trailer_json()
        if len(trailer) > MAX_TRAILER_BYTES:
            raise ValueError("the trailer is too large")
        return _LENGTH.pack(len(trailer)) + trailer


class _CountingWriter(io.RawIOBase):
    """The temporary file on the drive: counts what age writes, and has it flushed to
    the drive as it goes."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self.written = 0
        self.flush_to_drive = BackgroundFlush(fd)
        self.failure: BaseException | None = None

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        try:
            view = memoryview(data).cast("B")
            done = 0
            while done < len(view):
                done += os.write(self._fd, view[done:])
            self.flush_to_drive.wrote(done)
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
    manifest: Manifest


def write_backup(
    folder: Path,
    name: str,
    head: ManifestHead,
    snapshot: io.RawIOBase | io.BufferedIOBase,
    recipients: list[pyrage.x25519.Recipient],
    *,
    row_counts: Callable[[], dict[str, int]],
    verify: Callable[[Path, Manifest], str],
    cancel: CancelToken,
    progress: Progress,
) -> WrittenBackup:
    """Write the backup to `folder/name`, whole or not at all. `snapshot` yields exactly
    `head.snapshot_bytes` bytes; `row_counts` is asked once they have all been read.

    Free space is checked first (`BackupTargetFull`, nothing written). The file is
    written under a temporary name, fsynced, dropped from the page cache and read back
    by `verify` (with the complete manifest it must hold; it returns the file's SHA-256
    as read), and only then renamed into place and the folder fsynced. Any failure
    removes the temporary file and raises: `BackupTargetFull` for a full drive,
    `BackupTargetUnavailable` for another I/O error, `UserCancelled`, or what `verify`
    or `row_counts` raised.
    """
    manifest_bytes = len(head.head_json())
    if manifest_bytes > MAX_MANIFEST_BYTES:
        raise ValueError("the manifest is too large")
    needed = estimated_size(manifest_bytes, head.snapshot_bytes)
    check_free_space(folder, needed)
    try:
        fd, temp = create_temp_file(folder, name)
    except OSError as error:
        raise write_error(error, needed, folder) from None
    try:
        with contextlib.ExitStack() as ends:  # the descriptor and both threads, always
            ends.callback(os.close, fd)
            writer = _CountingWriter(fd)
            ends.callback(writer.flush_to_drive.close)
            reader = _PlaintextReader(head, snapshot, row_counts, cancel, progress)
            ends.callback(reader.stop)
            try:
                pyrage.encrypt_io(io.BufferedReader(reader, _BUFFER), writer, recipients)
            except pyrage.EncryptError:
                raise reader.failure or writer.failure or BackupTargetUnavailable() from None
            writer.flush_to_drive.finish()
            _drop_from_cache(fd)
        written, manifest = writer.written, reader.manifest
        if manifest is None:  # age stopped reading before the end: cannot happen
            raise BackupTargetUnavailable
        cancel.raise_if_cancelled()
        sha256 = verify(temp, manifest)
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
    return WrittenBackup(final, written, sha256, manifest)


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

_PREFIX_PART, _MANIFEST_PART, _SNAPSHOT_PART, _TRAILER_LENGTH_PART, _TRAILER_PART, _END = range(6)


class _ContainerWriter(io.RawIOBase):
    """Receives age's authenticated plaintext: parses the container, streams the
    snapshot into `sink` (or only hashes it, when there is none), and refuses anything
    that does not add up. `on_head` hears the manifest as soon as it has been read."""

    def __init__(
        self,
        sink: BinaryIO | None,
        on_head: Callable[[ManifestHead], None],
        cancel: CancelToken,
        progress: Progress,
    ) -> None:
        self._sink = sink
        self._on_head = on_head
        self._cancel = cancel
        self._progress = progress
        self._part = _PREFIX_PART
        self._buffer = bytearray()
        self._wanted = _HEAD_BYTES
        self._version = 0
        self._head: ManifestHead | None = None
        self._left = 0
        self.manifest: Manifest | None = None
        self.snapshot_written = 0
        self.sha256 = BackgroundSha256()
        self.failure: BaseException | None = None
        self._stopped = False

    def writable(self) -> bool:
        return True

    def stop(self) -> None:
        """From now on, take and drop whatever is still written (a buffer flushed when it
        is collected, after a failure), and end the hashing thread."""
        self._stopped = True
        self.sha256.close()

    @property
    def complete(self) -> bool:
        return self._part == _END and self.manifest is not None

    def write(self, data: Any) -> int:
        if self._stopped:
            return len(data)
        try:
            self._cancel.raise_if_cancelled()
            view = memoryview(data).cast("B")
            size = len(view)
            while view:
                if self._part == _SNAPSHOT_PART:
                    view = self._take_snapshot_bytes(view)
                elif self._part == _END:
                    raise BackupDamaged  # bytes after the end
                else:
                    count = min(len(view), self._wanted - len(self._buffer))
                    self._buffer += view[:count]
                    view = view[count:]
                    if len(self._buffer) == self._wanted:
                        raw, self._buffer = bytes(self._buffer), bytearray()
                        self._next_part(raw)
            return size
        except BaseException as error:
            self.failure = error
            raise

    def _next_part(self, raw: bytes) -> None:
        if self._part == _PREFIX_PART:
            if raw[: len(MAGIC)] != MAGIC:
                raise BackupDamaged
            version, length = _PREFIX.unpack_from(raw, len(MAGIC))
            if version > FORMAT_VERSION:
                raise BackupTooNew
            if version < FRESH_KEY_FORMAT or length > MAX_MANIFEST_BYTES:
                raise BackupDamaged
            self._version, self._part, self._wanted = version, _MANIFEST_PART, length
        elif self._part == _MANIFEST_PART:
            if self._version == FRESH_KEY_FORMAT:
                self.manifest = Manifest.from_fresh_key_json(raw)
                self._head = self.manifest
            else:
                self._head = ManifestHead.from_head_json(raw)
            if self._head.format != self._version:
                raise BackupDamaged
            self._on_head(self._head)
            self._part, self._left = _SNAPSHOT_PART, self._head.snapshot_bytes
            if not self._left:
                self._snapshot_done()
        elif self._part == _TRAILER_LENGTH_PART:
            (length,) = _LENGTH.unpack(raw)
            if length > MAX_TRAILER_BYTES:
                raise BackupDamaged
            self._part, self._wanted = _TRAILER_PART, length
        elif self._part == _TRAILER_PART:
            assert self._head is not None
            self.manifest = Manifest.from_trailer_json(self._head, raw)
            self._part = _END

    def _take_snapshot_bytes(self, view: memoryview) -> memoryview:
        assert self._head is not None
        count = min(len(view), self._left)
        piece = view[:count]
        if self._sink is not None:
            self._sink.write(piece)
        self.sha256.update(piece)
        self._left -= count
        self.snapshot_written += count
        self._progress(
            self.snapshot_written,
            self._head.snapshot_bytes,
            "Decrypting and checking the backup",
        )
        if not self._left:
            self._snapshot_done()
        return view[count:]

    def _snapshot_done(self) -> None:
        if self._version == FRESH_KEY_FORMAT:
            self._part = _END
        else:
            self._part, self._wanted = _TRAILER_LENGTH_PART, _LENGTH.size


class _SourceReader(io.RawIOBase):
    """The backup file as age reads it; keeps a read error (a drive pulled out) so it
    is reported as such, not as damage; hashes the file when asked to."""

    def __init__(self, source: io.BufferedIOBase, *, hash_file: bool) -> None:
        self._source = source
        self.sha256 = BackgroundSha256() if hash_file else None
        self.size = 0
        self.failure: BaseException | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            view = memoryview(buffer).cast("B")
            count = int(self._source.readinto(view))
            if self.sha256 is not None:
                self.sha256.update(view[:count])
            self.size += count
            return count
        except BaseException as error:
            self.failure = error
            raise

    def stop(self) -> None:
        if self.sha256 is not None:
            self.sha256.close()


@dataclass(frozen=True)
class OpenedBackup:
    manifest: Manifest
    #: Of the whole .ehrbackup file, as read: how a record recognises its file ("" when
    #: it was not asked for).
    file_sha256: str
    file_size: int


def _ignore_head(head: ManifestHead) -> None:
    """For callers with nothing to start early."""


def open_backup(
    path: Path,
    identities: list[pyrage.x25519.Identity],
    sink: BinaryIO | None,
    *,
    cancel: CancelToken,
    progress: Progress,
    on_head: Callable[[ManifestHead], None] = _ignore_head,
    hash_file: bool = True,
) -> OpenedBackup:
    """Decrypt the backup at `path`, writing its (still encrypted) snapshot to `sink`
    (the caller's, who removes what was written if this raises), or only checking it
    when `sink` is None; check the container, its size and the snapshot's SHA-256.
    Raises `NoMatchingIdentity`, `BackupDamaged`, `BackupTooNew`,
    `BackupTargetUnavailable`, `UserCancelled`, or what `on_head` raised."""
    writer = _ContainerWriter(sink, on_head, cancel, progress)
    reader: _SourceReader | None = None
    try:
        buffered = io.BufferedWriter(writer, _BUFFER)
        with path.open("rb") as source:
            _read_ahead(source.fileno())
            reader = _SourceReader(source, hash_file=hash_file)
            try:
                pyrage.decrypt_io(io.BufferedReader(reader, _BUFFER), buffered, identities)
                buffered.flush()
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
        if not writer.complete or manifest is None:
            raise BackupDamaged
        if writer.snapshot_written != manifest.snapshot_bytes:
            raise BackupDamaged
        if writer.sha256.hexdigest() != manifest.snapshot_sha256:
            raise BackupDamaged
        digest = reader.sha256.hexdigest() if reader.sha256 is not None else ""
        return OpenedBackup(manifest, digest, reader.size)
    except OSError:
        raise BackupTargetUnavailable from None
    finally:
        writer.stop()
        if reader is not None:
            reader.stop()


def _read_ahead(fd: int) -> None:
    """Ask the kernel to read the whole file in while age decrypts what has come."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        with contextlib.suppress(OSError):
            advise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
