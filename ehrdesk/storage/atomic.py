"""Files written whole or not at all.

`write_atomically` is the one way ehrdesk writes a file that matters (vault.json,
backups, the Emergency Kit): a temporary file in the same folder, created with mode
0600 before its first byte, written, fsynced, renamed over the final name with
`os.replace`, and then the folder fsynced so the rename itself survives a power cut
(the pattern of Electrum's `storage.write` and borg's `SaveFile`).

Invariant: at every moment the final name holds either the old file or the complete
new one, never a torn write; when anything fails, the temporary file is removed and the
error is raised. Pure standard library: the caller decides what the error means.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import sys
from pathlib import Path
from typing import Final

__all__ = ["create_temp_file", "fsync_dir", "fsync_file", "write_atomically"]

_TEMP_SUFFIX: Final = ".tmp"
_NAME_ATTEMPTS: Final = 10

# Errors that mean "this platform or file system cannot fsync a folder", not "the data
# did not reach the disk": the rename is then as durable as the file system allows.
_DIR_FSYNC_UNSUPPORTED: Final = frozenset(
    {errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF, errno.EACCES, errno.EPERM}
)

# Windows cannot open a folder with os.open, and NTFS makes renames durable itself.
_CAN_FSYNC_DIRS: Final = os.name != "nt"


def fsync_file(fd: int) -> None:
    """Flush a file to stable storage (on macOS, past the drive's own cache too)."""
    if sys.platform == "darwin":
        import fcntl  # noqa: PLC0415  (POSIX only)

        full_fsync = getattr(fcntl, "F_FULLFSYNC", None)
        if full_fsync is not None:
            try:
                fcntl.fcntl(fd, full_fsync)
            except OSError:
                pass  # some file systems refuse F_FULLFSYNC; plain fsync below
            else:
                return
    os.fsync(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in folder `path` durable.

    Skipped on Windows and on file systems that cannot fsync a folder; a real I/O
    error is raised.
    """
    if not _CAN_FSYNC_DIRS:
        return
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno in _DIR_FSYNC_UNSUPPORTED:
            return
        raise
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _DIR_FSYNC_UNSUPPORTED:
            raise
    finally:
        os.close(fd)


def create_temp_file(folder: Path, final_name: str) -> tuple[int, Path]:
    """Create a fresh, empty, owner-only file next to the final one; returns its open
    descriptor (write-only) and its path: `.<final_name>.<random>.tmp`."""
    flags = (
        os.O_WRONLY
        | os.O_CREAT
        | os.O_EXCL  # never follows or reuses an existing name (or a planted symlink)
        | getattr(os, "O_BINARY", 0)
        | getattr(os, "O_CLOEXEC", 0)
    )
    for _ in range(_NAME_ATTEMPTS):
        temp = folder / f".{final_name}.{secrets.token_hex(6)}{_TEMP_SUFFIX}"
        try:
            return os.open(temp, flags, 0o600), temp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(folder))


def write_atomically(path: Path, data: bytes) -> None:
    """Replace the file at `path` with `data`, whole or not at all.

    The file ends up with mode 0600 (owner read/write only), whatever the old file had.
    Raises `OSError` (for instance `FileNotFoundError` when the folder is missing, or
    `PermissionError` when it is not writable). A failure before the rename leaves the
    old file, if any, untouched and no temporary file; only a failure to fsync the
    folder after the rename is raised with the new file already in place.
    """
    path = Path(path)
    folder = path.parent
    fd, temp = create_temp_file(folder, path.name)
    try:
        try:
            stream = os.fdopen(fd, "wb")
        except BaseException:
            os.close(fd)
            raise
        with stream:
            stream.write(data)
            stream.flush()
            fsync_file(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    fsync_dir(folder)
