"""The .ehrbackup file and the folder it goes to: the format, names, retention, and a
write that fails part-way (an error after N bytes, a full disk, a cancel)."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
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
from ehrdesk.storage.backup_file import Manifest, NoMatchingIdentity, open_backup, write_backup
from ehrdesk.storage.backup_folder import (
    backup_name,
    backups_in,
    free_name,
    parse_name,
    prune,
    remove_stale_temps,
)
from ehrdesk.storage.vault_file import AuditAnchor

VAULT_ID = "1a0a986bf2d344f4970b102857a4de75"
OTHER_VAULT_ID = "99990000f2d344f4970b102857a4de75"
AT = datetime(2026, 3, 2, 14, 0, 5, tzinfo=UTC)
IDENTITY = pyrage.x25519.Identity.generate()
RECIPIENTS = [IDENTITY.to_public()] * 2
#: Characters FAT32 and exFAT refuse in a file name, and control characters.
FAT_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def manifest_for(snapshot: bytes, **changes: Any) -> Manifest:
    values: dict[str, Any] = {
        "app_version": "0.1.0",
        "schema_version": 2,
        "vault_id": VAULT_ID,
        "created_at": AT,
        "row_counts": {"audit_event": 2, "user": 1},
        "snapshot_bytes": len(snapshot),
        "snapshot_sha256": hashlib.sha256(snapshot).hexdigest(),
        "snapshot_key": os.urandom(32),
        "audit_anchor": AuditAnchor(2, os.urandom(32)),
        "vault": {"vault_id": VAULT_ID},
    }
    values.update(changes)
    return Manifest(**values)


@pytest.fixture
def snapshot(tmp_path: Path) -> tuple[Path, bytes]:
    data = os.urandom(300_000)  # several of age's 64 KiB chunks
    path = tmp_path / "snapshot.bin"
    path.write_bytes(data)
    return path, data


def write(folder: Path, snapshot: tuple[Path, bytes], **kwargs: Any) -> backup_file.WrittenBackup:
    path, data = snapshot
    name = kwargs.pop("name", None) or free_name(folder, VAULT_ID, AT)
    return write_backup(
        folder,
        name,
        kwargs.pop("manifest", None) or manifest_for(data),
        path,
        kwargs.pop("recipients", RECIPIENTS),
        verify=kwargs.pop("verify", lambda temp: None),
        cancel=kwargs.pop("cancel", CancelToken()),
        progress=kwargs.pop("progress", no_progress),
    )


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# The format ---------------------------------------------------------------------------


def test_a_written_backup_opens_to_the_same_manifest_and_snapshot(
    tmp_path: Path, snapshot: tuple[Path, bytes]
) -> None:
    drive = tmp_path / "drive"
    drive.mkdir()
    manifest = manifest_for(snapshot[1])
    written = write(drive, snapshot, manifest=manifest)

    assert written.path == drive / "ehrdesk-1a0a986b-20260302T140005Z.ehrbackup"
    raw = written.path.read_bytes()
    assert raw.startswith(b"age-encryption.org/v1\n")
    assert written.size == len(raw) and written.sha256 == hashlib.sha256(raw).hexdigest()
    assert raw.count(b"\n-> X25519 ") == 2
    opened = open_backup(
        written.path, [IDENTITY], tmp_path / "out.ehrdb", cancel=CancelToken(), progress=no_progress
    )
    assert opened.manifest == manifest
    assert opened.snapshot.read_bytes() == snapshot[1]
    assert opened.file_sha256 == written.sha256
    assert listing(drive).keys() == {written.path.name}  # no temporary file left


def test_another_identity_is_told_apart_from_damage(
    tmp_path: Path, snapshot: tuple[Path, bytes]
) -> None:
    written = write(tmp_path, snapshot)
    with pytest.raises(NoMatchingIdentity):
        open_backup(
            written.path,
            [pyrage.x25519.Identity.generate()],
            tmp_path / "out.ehrdb",
            cancel=CancelToken(),
            progress=no_progress,
        )
    assert not (tmp_path / "out.ehrdb").exists()


def test_the_manifest_refuses_what_it_cannot_trust() -> None:
    good = manifest_for(b"x")
    assert Manifest.from_json(good.to_json()) == good
    data = json.loads(good.to_json())
    with pytest.raises(BackupTooNew):
        Manifest.from_json(json.dumps({**data, "format": 2}).encode())
    for broken in (
        b"not json",
        b"[]",
        json.dumps({**data, "snapshot_key": "00"}).encode(),
        json.dumps({**data, "row_counts": {"user": -1}}).encode(),
        json.dumps({**data, "created_at": "2026-03-02T14:00:00"}).encode(),  # no zone
        json.dumps({k: v for k, v in data.items() if k != "audit_anchor"}).encode(),
    ):
        with pytest.raises(BackupDamaged):
            Manifest.from_json(broken)


def test_a_container_from_a_newer_version_is_refused_as_such(
    tmp_path: Path, snapshot: tuple[Path, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backup_file, "FORMAT_VERSION", 2)
    written = write(tmp_path, snapshot)
    monkeypatch.undo()
    with pytest.raises(BackupTooNew):
        open_backup(
            written.path, [IDENTITY], tmp_path / "o", cancel=CancelToken(), progress=no_progress
        )


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

    def verify(temp: Path) -> None:
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
