"""The .ehrbackup file and the folder it goes to: the format, names, retention, and a
write that fails part-way (an error after N bytes, a full disk, a cancel)."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import struct
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyrage
import pytest

from ehrdesk.core.errors import (
    BackupDamaged,
    BackupTargetFull,
    BackupTargetUnavailable,
    BackupTooNew,
    UserCancelled,
)
from ehrdesk.core.progress import CancelToken, no_progress
from ehrdesk.storage import backup_file, backup_folder
from ehrdesk.storage.backup_file import (
    Manifest,
    ManifestHead,
    NoMatchingIdentity,
    open_backup,
    write_backup,
)
from ehrdesk.storage.backup_folder import (
    backup_name,
    backups_in,
    free_name,
    parse_name,
    prune,
    remove_stale_temps,
)
from ehrdesk.storage.vault_file import AuditAnchor

pytestmark = pytest.mark.usefixtures("no_threads_left")

VAULT_ID = "1a0a986bf2d344f4970b102857a4de75"
OTHER_VAULT_ID = "99990000f2d344f4970b102857a4de75"
AT = datetime(2026, 3, 2, 14, 0, 5, tzinfo=UTC)
IDENTITY = pyrage.x25519.Identity.generate()
RECIPIENTS = [IDENTITY.to_public()] * 2
#: Characters FAT32 and exFAT refuse in a file name, and control characters.
FAT_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


COUNTS = {"audit_event": 2, "user": 1}


def head_for(snapshot: bytes, **changes: Any) -> ManifestHead:
    values: dict[str, Any] = {
        "app_version": "0.1.0",
        "schema_version": 2,
        "vault_id": VAULT_ID,
        "created_at": AT,
        "snapshot_bytes": len(snapshot),
        "audit_anchor": AuditAnchor(2, os.urandom(32)),
        "vault": {"vault_id": VAULT_ID},
    }
    values.update(changes)
    return ManifestHead(**values)


def manifest_for(snapshot: bytes, **changes: Any) -> Manifest:
    """The whole description a backup of `snapshot` ends up with."""
    return Manifest.completed(
        head_for(snapshot, **changes), COUNTS, hashlib.sha256(snapshot).hexdigest()
    )


@pytest.fixture
def snapshot(tmp_path: Path) -> tuple[Path, bytes]:
    data = os.urandom(300_000)  # several of age's 64 KiB chunks
    path = tmp_path / "snapshot.bin"
    path.write_bytes(data)
    return path, data


def write(folder: Path, snapshot: tuple[Path, bytes], **kwargs: Any) -> backup_file.WrittenBackup:
    path, data = snapshot
    name = kwargs.pop("name", None) or free_name(folder, VAULT_ID, AT)
    with path.open("rb") as source:
        return write_backup(
            folder,
            name,
            kwargs.pop("head", None) or head_for(data),
            source,
            kwargs.pop("recipients", RECIPIENTS),
            row_counts=kwargs.pop("row_counts", lambda: COUNTS),
            verify=kwargs.pop("verify", file_sha256),
            cancel=kwargs.pop("cancel", CancelToken()),
            progress=kwargs.pop("progress", no_progress),
        )


def file_sha256(path: Path, manifest: Manifest) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read(
    path: Path, identities: list[pyrage.x25519.Identity] | None = None
) -> tuple[Manifest, bytes]:
    sink = io.BytesIO()
    opened = open_backup(
        path, identities or [IDENTITY], sink, cancel=CancelToken(), progress=no_progress
    )
    return opened.manifest, sink.getvalue()


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# The format ---------------------------------------------------------------------------


def test_a_written_backup_opens_to_the_same_manifest_and_snapshot(
    tmp_path: Path, snapshot: tuple[Path, bytes]
) -> None:
    drive = tmp_path / "drive"
    drive.mkdir()
    head = head_for(snapshot[1])
    written = write(drive, snapshot, head=head)

    assert written.path == drive / "ehrdesk-1a0a986b-20260302T140005Z.ehrbackup"
    raw = written.path.read_bytes()
    assert raw.startswith(b"age-encryption.org/v1\n")
    assert written.size == len(raw) and written.sha256 == hashlib.sha256(raw).hexdigest()
    assert raw.count(b"\n-> X25519 ") == 2
    assert written.manifest == manifest_for(snapshot[1], audit_anchor=head.audit_anchor)
    assert written.manifest.snapshot_key is None  # under the database's own key
    sink = io.BytesIO()
    opened = open_backup(written.path, [IDENTITY], sink, cancel=CancelToken(), progress=no_progress)
    assert opened.manifest == written.manifest
    assert sink.getvalue() == snapshot[1]
    assert opened.file_sha256 == written.sha256 and opened.file_size == written.size
    assert listing(drive).keys() == {written.path.name}  # no temporary file left


def test_the_container_is_manifest_snapshot_trailer(
    tmp_path: Path, snapshot: tuple[Path, bytes]
) -> None:
    """Version 2: what is known before the copy in front, the counts and the checksum
    (learnt while copying) behind the snapshot, which is the database's bytes as they
    are."""
    written = write(tmp_path, snapshot)
    plain = pyrage.decrypt(written.path.read_bytes(), [IDENTITY])
    assert plain.startswith(backup_file.MAGIC)
    version, length = struct.unpack_from(">HI", plain, len(backup_file.MAGIC))
    assert version == backup_file.FORMAT_VERSION == 2
    start = len(backup_file.MAGIC) + 6
    manifest = json.loads(plain[start : start + length])
    assert {"row_counts", "snapshot_sha256", "snapshot_key"}.isdisjoint(manifest)
    assert manifest["snapshot_bytes"] == len(snapshot[1])
    start += length
    assert plain[start : start + len(snapshot[1])] == snapshot[1]
    start += len(snapshot[1])
    (trailer_length,) = struct.unpack_from(">I", plain, start)
    trailer = json.loads(plain[start + 4 :])
    assert len(plain) == start + 4 + trailer_length  # nothing after it
    assert trailer == {
        "row_counts": COUNTS,
        "snapshot_sha256": hashlib.sha256(snapshot[1]).hexdigest(),
    }


def test_the_row_counts_are_asked_for_once_the_snapshot_has_been_read(
    tmp_path: Path, snapshot: tuple[Path, bytes]
) -> None:
    path, data = snapshot
    asked: list[int] = []

    class Source(io.BufferedReader):
        consumed = 0

        def readinto(self, buffer: Any) -> int:
            count = super().readinto(buffer)
            Source.consumed += count
            return count

    def row_counts() -> dict[str, int]:
        asked.append(Source.consumed)
        return COUNTS

    with Source(io.FileIO(path)) as source:
        write_backup(
            tmp_path,
            free_name(tmp_path, VAULT_ID, AT),
            head_for(data),
            source,
            RECIPIENTS,
            row_counts=row_counts,
            verify=file_sha256,
            cancel=CancelToken(),
            progress=no_progress,
        )
    assert asked == [len(data)]


def test_a_snapshot_shorter_than_announced_leaves_nothing(
    tmp_path: Path, snapshot: tuple[Path, bytes]
) -> None:
    drive = tmp_path / "drive"
    drive.mkdir()
    with pytest.raises(BackupTargetUnavailable):
        write(drive, snapshot, head=head_for(snapshot[1] + b"more"))
    assert listing(drive) == {}


def fresh_key_backup(path: Path, snapshot: bytes, **changes: Any) -> Manifest:
    """A backup as container version 1 wrote it (ehrdesk before format 2)."""
    key = os.urandom(32)
    manifest = Manifest(
        **{
            **vars(head_for(snapshot)),
            "format": 1,
            "row_counts": COUNTS,
            "snapshot_sha256": hashlib.sha256(snapshot).hexdigest(),
            "snapshot_key": key,
            **changes,
        }
    )
    data = {
        **json.loads(manifest.head_json()),
        **json.loads(manifest.trailer_json()),
        "snapshot_key": key.hex(),
    }
    raw = json.dumps(data).encode()
    plain = backup_file.MAGIC + struct.pack(">HI", 1, len(raw)) + raw + snapshot
    path.write_bytes(pyrage.encrypt(plain, RECIPIENTS))
    return manifest


def test_a_container_of_version_1_is_read(tmp_path: Path, snapshot: tuple[Path, bytes]) -> None:
    expected = fresh_key_backup(tmp_path / "old.ehrbackup", snapshot[1])
    manifest, data = read(tmp_path / "old.ehrbackup")
    assert manifest == expected and manifest.format == 1
    assert manifest.snapshot_key is not None and len(manifest.snapshot_key) == 32
    assert data == snapshot[1]


def test_another_identity_is_told_apart_from_damage(
    tmp_path: Path, snapshot: tuple[Path, bytes]
) -> None:
    written = write(tmp_path, snapshot)
    with pytest.raises(NoMatchingIdentity):
        read(written.path, [pyrage.x25519.Identity.generate()])


def test_the_manifest_refuses_what_it_cannot_trust() -> None:
    good = manifest_for(b"x")
    assert (
        Manifest.from_trailer_json(
            ManifestHead.from_head_json(good.head_json()), good.trailer_json()
        )
        == good
    )
    head = json.loads(good.head_json())
    trailer = json.loads(good.trailer_json())
    with pytest.raises(BackupTooNew):
        ManifestHead.from_head_json(json.dumps({**head, "format": 3}).encode())
    for broken in (
        b"not json",
        b"[]",
        json.dumps({**head, "created_at": "2026-03-02T14:00:00"}).encode(),  # no zone
        json.dumps({k: v for k, v in head.items() if k != "audit_anchor"}).encode(),
        json.dumps({**head, "snapshot_bytes": -1}).encode(),
    ):
        with pytest.raises(BackupDamaged):
            ManifestHead.from_head_json(broken)
    for broken in (
        b"[]",
        json.dumps({**trailer, "row_counts": {"user": -1}}).encode(),
        json.dumps({**trailer, "snapshot_sha256": "00"}).encode(),
        json.dumps({"row_counts": {}}).encode(),
    ):
        with pytest.raises(BackupDamaged):
            Manifest.from_trailer_json(good, broken)
    one = {**head, **trailer, "format": 1, "snapshot_key": os.urandom(32).hex()}
    assert Manifest.from_fresh_key_json(json.dumps(one).encode()).format == 1
    for broken in (
        json.dumps({**one, "snapshot_key": "00"}).encode(),
        json.dumps({k: v for k, v in one.items() if k != "snapshot_key"}).encode(),
        json.dumps({k: v for k, v in one.items() if k != "row_counts"}).encode(),
    ):
        with pytest.raises(BackupDamaged):
            Manifest.from_fresh_key_json(broken)


def test_a_manifest_that_contradicts_its_container_is_damage(
    tmp_path: Path, snapshot: tuple[Path, bytes]
) -> None:
    fresh_key_backup(tmp_path / "old.ehrbackup", snapshot[1], format=2)
    with pytest.raises(BackupDamaged):
        read(tmp_path / "old.ehrbackup")


def test_a_container_from_a_newer_version_is_refused_as_such(
    tmp_path: Path, snapshot: tuple[Path, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backup_file, "FORMAT_VERSION", backup_file.FORMAT_VERSION + 1)
    written = write(tmp_path, snapshot)
    monkeypatch.undo()
    with pytest.raises(BackupTooNew):
        read(written.path)


# Names and retention --------------------------------------------------------------------


def test_names_are_valid_on_fat_and_name_no_one() -> None:
    for at in (AT, datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC)):
        for attempt in (0, 1, 999):
            name = backup_name(VAULT_ID, at, attempt)
            assert not FAT_FORBIDDEN.search(name) and len(name) < 64
            assert name == name.strip() and not name.endswith(".")
            assert re.fullmatch(r"[a-z0-9-]+\.ehrbackup", name.replace("T", "t").replace("Z", "z"))
            assert parse_name(name) == (VAULT_ID[:8], at.replace(microsecond=0), attempt)
    local = datetime(2026, 3, 2, 15, 0, 5, tzinfo=UTC).astimezone()
    assert backup_name(VAULT_ID, local) == backup_name(VAULT_ID, AT + timedelta(hours=1))
    assert parse_name("ehrdesk-1a0a986b-20260302T140005Z.ehrbackup.tmp") is None
    assert parse_name("notes.ehrbackup") is None


def test_two_backups_in_one_second_get_their_own_names(tmp_path: Path) -> None:
    first = free_name(tmp_path, VAULT_ID, AT)
    (tmp_path / first).write_bytes(b"")
    second = free_name(tmp_path, VAULT_ID, AT)
    assert second == first.replace("Z.ehrbackup", "Z-1.ehrbackup")


def test_retention_keeps_the_newest_of_this_practice_only(tmp_path: Path) -> None:
    mine = [backup_name(VAULT_ID, AT - timedelta(days=d)) for d in range(6)]
    theirs = [backup_name(OTHER_VAULT_ID, AT - timedelta(days=d)) for d in range(3)]
    others = ["notes.txt", "ehrdesk-1a0a986b-x.ehrbackup", ".ehrdesk-1a0a986b-y.tmp"]
    for name in mine + theirs + others:
        (tmp_path / name).write_bytes(name.encode())
    # The clock went backwards: the one just written looks oldest, and is kept anyway.
    just_written = tmp_path / backup_name(VAULT_ID, AT - timedelta(days=30))
    just_written.write_bytes(b"new")

    removed = prune(tmp_path, VAULT_ID, 3, protect=just_written)

    assert sorted(p.name for p in removed) == sorted(mine[2:])
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {*mine[:2], just_written.name, *theirs, *others}
    assert [b.path.name for b in backups_in(tmp_path, VAULT_ID)] == [*mine[:2], just_written.name]


def test_stale_temporary_files_of_this_practice_are_removed(tmp_path: Path) -> None:
    old = tmp_path / f".{backup_name(VAULT_ID, AT)}.abc123.tmp"
    young = tmp_path / f".{backup_name(VAULT_ID, AT + timedelta(seconds=1))}.def456.tmp"
    theirs = tmp_path / f".{backup_name(OTHER_VAULT_ID, AT)}.abc123.tmp"
    for path in (old, young, theirs):
        path.write_bytes(b"half a backup")
    for path in (old, theirs):
        os.utime(path, (0, 0))
    assert remove_stale_temps(tmp_path, VAULT_ID, 3600) == [old]
    assert {p.name for p in tmp_path.iterdir()} == {young.name, theirs.name}


# A write that fails part-way -------------------------------------------------------------


@pytest.fixture
def drive_with_a_backup(
    tmp_path: Path, snapshot: tuple[Path, bytes]
) -> tuple[Path, dict[str, bytes]]:
    drive = tmp_path / "drive"
    drive.mkdir()
    old = write(drive, snapshot, name=backup_name(VAULT_ID, AT - timedelta(days=1)))
    return drive, {old.path.name: old.path.read_bytes()}


def fail_after(monkeypatch: pytest.MonkeyPatch, limit: int, error: BaseException) -> None:
    """The drive accepts `limit` bytes of this backup, then `error`."""
    original = backup_file._CountingWriter.write

    def write(self: Any, data: Any) -> int:
        if self.written + len(data) > limit:
            self.failure = error
            raise error
        return original(self, data)

    monkeypatch.setattr(backup_file._CountingWriter, "write", write)


@pytest.mark.parametrize("limit", [0, 100, 70_000, 250_000])
@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), BackupTargetFull),
        (OSError(errno.EIO, "Input/output error"), BackupTargetUnavailable),
        (RuntimeError("injected"), RuntimeError),
    ],
    ids=["full", "io-error", "exception"],
)
def test_a_write_failing_after_n_bytes_leaves_only_the_earlier_backups(
    drive_with_a_backup: tuple[Path, dict[str, bytes]],
    snapshot: tuple[Path, bytes],
    monkeypatch: pytest.MonkeyPatch,
    limit: int,
    error: BaseException,
    expected: type[BaseException],
) -> None:
    drive, before = drive_with_a_backup
    fail_after(monkeypatch, limit, error)
    with pytest.raises(expected):
        write(drive, snapshot)
    assert listing(drive) == before


def test_cancel_while_writing_leaves_only_the_earlier_backups(
    drive_with_a_backup: tuple[Path, dict[str, bytes]], snapshot: tuple[Path, bytes]
) -> None:
    drive, before = drive_with_a_backup
    cancel = CancelToken()

    def progress(done: int, total: int, label: str) -> None:
        if done > total // 2:
            cancel.cancel()

    with pytest.raises(UserCancelled):
        write(drive, snapshot, cancel=cancel, progress=progress)
    assert listing(drive) == before


def test_a_failed_read_back_leaves_only_the_earlier_backups(
    drive_with_a_backup: tuple[Path, dict[str, bytes]], snapshot: tuple[Path, bytes]
) -> None:
    drive, before = drive_with_a_backup
    seen = []

    def verify(temp: Path, manifest: Manifest) -> None:
        seen.append(temp.name)
        assert temp.read_bytes().startswith(b"age-encryption.org/v1")
        raise BackupDamaged

    with pytest.raises(BackupDamaged):
        write(drive, snapshot, verify=verify)
    assert seen and seen[0].startswith(".ehrdesk-1a0a986b-") and seen[0].endswith(".tmp")
    assert listing(drive) == before


def test_too_little_free_space_is_refused_before_anything_is_written(
    drive_with_a_backup: tuple[Path, dict[str, bytes]],
    snapshot: tuple[Path, bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drive, before = drive_with_a_backup
    free = 200_000
    usage = SimpleNamespace(total=10**9, used=10**9 - free, free=free)
    monkeypatch.setattr(backup_folder.shutil, "disk_usage", lambda folder: usage)
    with pytest.raises(BackupTargetFull) as refused:
        write(drive, snapshot)
    assert listing(drive) == before
    message = refused.value.message
    assert message.endswith("; nothing was written.") and "\n" not in message
    assert "needs about 0.3 MB and has 0.2 MB free" in message


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A real, small file system that fills up (the machine's tests run as root)."""
    mount = tmp_path / "usb"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_really_full_drive_is_refused_and_keeps_its_backups(
    small_tmpfs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = tmp_path / "small.bin"
    small.write_bytes(os.urandom(100_000))
    old = write(small_tmpfs, (small, small.read_bytes()), name=backup_name(VAULT_ID, AT))
    before = listing(small_tmpfs)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(600_000))

    # Refused by the free-space check: nothing written at all.
    with pytest.raises(BackupTargetFull):
        write(small_tmpfs, (big, big.read_bytes()))
    assert listing(small_tmpfs) == before

    # And if the check is fooled (the drive filled up meanwhile), the real ENOSPC is
    # caught part-way: the half-written file goes, the earlier backup stays.
    monkeypatch.setattr(backup_file, "check_free_space", lambda folder, needed: None)
    with pytest.raises(BackupTargetFull):
        write(small_tmpfs, (big, big.read_bytes()))
    assert listing(small_tmpfs) == before
    assert old.path.read_bytes() == before[old.path.name]
