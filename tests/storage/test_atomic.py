"""write_atomically: the final name holds the old file or the whole new one, nothing else."""

from __future__ import annotations

import errno
import os
import secrets
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from ehrdesk.storage import atomic
from ehrdesk.storage.atomic import fsync_dir, write_atomically

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_writes_the_bytes(tmp_path: Path) -> None:
    target = tmp_path / "vault.json"
    write_atomically(target, b'{"format": 1}')
    assert target.read_bytes() == b'{"format": 1}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vault.json"]


def test_writes_empty_and_large_files(tmp_path: Path) -> None:
    write_atomically(tmp_path / "empty", b"")
    assert (tmp_path / "empty").read_bytes() == b""
    big = os.urandom(5 * 1024 * 1024 + 3)
    write_atomically(tmp_path / "big", big)
    assert (tmp_path / "big").read_bytes() == big


@posix_only
def test_file_is_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "kit.pdf"
    write_atomically(target, b"x")
    assert _mode(target) == 0o600


@posix_only
def test_replacing_a_world_readable_file_leaves_it_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "vault.json"
    target.write_bytes(b"old")
    target.chmod(0o644)
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert _mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["vault.json"]


def test_temp_file_is_created_exclusively_with_mode_0600_in_the_same_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Path, int, int]] = []
    real_open = os.open

    def spy_open(file: Any, flags: int, mode: int = 0o777, *args: Any, **kwargs: Any) -> int:
        calls.append((Path(file), flags, mode))
        return real_open(file, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy_open)
    write_atomically(tmp_path / "vault.json", b"data")
    temp, flags, mode = calls[0]
    assert temp.parent == tmp_path
    assert temp.name != "vault.json"
    assert flags & os.O_CREAT
    assert flags & os.O_EXCL
    assert mode == 0o600


@posix_only
def test_temp_file_is_0600_before_the_first_byte_and_fsynced_before_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "vault.json"
    events: list[str] = []
    real_fdopen, real_fsync, real_replace = os.fdopen, os.fsync, os.replace

    def spy_fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        (temp,) = [p for p in tmp_path.iterdir() if p.name != "vault.json"]
        assert temp.stat().st_size == 0
        assert _mode(temp) == 0o600
        events.append("opened empty 0600")
        return real_fdopen(fd, *args, **kwargs)

    def spy_fsync(fd: int) -> None:
        events.append("fsync dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def spy_replace(src: Any, dst: Any) -> None:
        assert Path(src).read_bytes() == b"data"
        events.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fdopen", spy_fdopen)
    monkeypatch.setattr(os, "fsync", spy_fsync)
    monkeypatch.setattr(os, "replace", spy_replace)
    monkeypatch.setattr(sys, "platform", "linux")  # os.fsync, not macOS's F_FULLFSYNC
    write_atomically(target, b"data")
    assert events == ["opened empty 0600", "fsync file", "replace", "fsync dir"]


def test_failed_rename_leaves_no_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_replace(src: Any, dst: Any) -> None:
        raise OSError(errno.EIO, "simulated I/O error")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="simulated"):
        write_atomically(tmp_path / "vault.json", b"data")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "vault.json"
    target.write_bytes(b"old and good")

    def broken_fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    monkeypatch.setattr(sys, "platform", "linux")  # use os.fsync even on macOS
    with pytest.raises(OSError, match="No space"):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"old and good"
    assert [p.name for p in tmp_path.iterdir()] == ["vault.json"]


def test_interrupt_mid_write_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(src: Any, dst: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(tmp_path / "vault.json", b"data")
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomically(tmp_path / "no such folder" / "vault.json", b"data")
    assert list(tmp_path.iterdir()) == []


def test_unwritable_folder_raises_permission_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulated, because chmod does not stop root (CI containers often run as root).
    def denied(*args: Any, **kwargs: Any) -> int:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(PermissionError):
        write_atomically(tmp_path / "vault.json", b"data")
    assert list(tmp_path.iterdir()) == []


def test_a_taken_temp_name_is_not_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = iter(["aaaaaaaaaaaa", "aaaaaaaaaaaa", "bbbbbbbbbbbb"])
    monkeypatch.setattr(secrets, "token_hex", lambda _n: next(names))
    planted = tmp_path / ".vault.json.aaaaaaaaaaaa.tmp"
    planted.write_bytes(b"someone else's")
    write_atomically(tmp_path / "vault.json", b"data")
    assert planted.read_bytes() == b"someone else's"
    assert (tmp_path / "vault.json").read_bytes() == b"data"


def test_fsync_dir_tolerates_file_systems_that_cannot(monkeypatch: pytest.MonkeyPatch) -> None:
    def unsupported(fd: int) -> None:
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(os, "fsync", unsupported)
    fsync_dir(Path.cwd())


@posix_only
def test_fsync_dir_raises_a_real_io_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(OSError, match="Input/output"):
        fsync_dir(tmp_path)


def test_fsync_dir_is_skipped_where_folders_cannot_be_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_open(*args: Any, **kwargs: Any) -> int:
        raise AssertionError("fsync_dir must not open a folder on Windows")

    monkeypatch.setattr(atomic, "_CAN_FSYNC_DIRS", False)
    monkeypatch.setattr(os, "open", no_open)
    fsync_dir(tmp_path)
