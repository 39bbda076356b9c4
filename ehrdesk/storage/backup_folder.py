"""The backups in a folder (a USB drive, usually): names, listing, retention, space.

A backup's name is `ehrdesk-<first 8 hex of the vault id>-<UTC time>.ehrbackup`, with
`-1`, `-2` … when two fall in one second. It uses only letters, digits and hyphens, so
it is valid on FAT32 and exFAT, and it names no person and no practice: a lost drive
does not say whose records are on it, and the marker test finds no practice name on
it. The vault-id part keeps practices apart when they share a drive, so retention never
touches another practice's backups.

Invariant: only files whose names parse as this practice's backups are ever deleted,
and never the one just written.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from ehrdesk.core.errors import BackupTargetFull, BackupTargetUnavailable
from ehrdesk.storage.atomic import fsync_dir

SUFFIX: Final = ".ehrbackup"
_NAME: Final = re.compile(r"^ehrdesk-([0-9a-f]{8})-(\d{8}T\d{6}Z)(?:-(\d{1,3}))?\.ehrbackup$")
#: Room left on the drive besides the backup itself (file system bookkeeping).
FREE_SPACE_MARGIN: Final = 64 * 1024


@dataclass(frozen=True)
class BackupFileInfo:
    path: Path
    practice_tag: str
    created_at: datetime
    size: int


def practice_tag(vault_id: str) -> str:
    """What a file name says about the practice: 8 hex characters of its random vault
    id, enough to keep practices apart on one drive and no name of anyone."""
    tag = vault_id[:8].lower()
    if not re.fullmatch(r"[0-9a-f]{8}", tag):
        raise ValueError("a vault id starts with 8 hex digits")
    return tag


def backup_name(vault_id: str, at: datetime, attempt: int = 0) -> str:
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    extra = f"-{attempt}" if attempt else ""
    return f"ehrdesk-{practice_tag(vault_id)}-{stamp}{extra}{SUFFIX}"


def parse_name(name: str) -> tuple[str, datetime, int] | None:
    match = _NAME.match(name)
    if match is None:
        return None
    at = datetime.strptime(match.group(2), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return match.group(1), at, int(match.group(3) or 0)


def free_name(folder: Path, vault_id: str, at: datetime) -> str:
    """A backup name not yet taken in `folder` (two backups in one second get -1, -2)."""
    for attempt in range(1000):
        name = backup_name(vault_id, at, attempt)
        if not (folder / name).exists():
            return name
    raise BackupTargetUnavailable


def backups_in(folder: Path, vault_id: str | None = None) -> list[BackupFileInfo]:
    """The backups in `folder` (of one practice, if `vault_id`), newest first."""
    found = []
    tag = practice_tag(vault_id) if vault_id else None
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        parsed = parse_name(entry.name)
        if parsed is None or (tag is not None and parsed[0] != tag):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file():
                found.append(
                    (
                        parsed[1],
                        parsed[2],
                        BackupFileInfo(
                            Path(entry.path), parsed[0], parsed[1], entry.stat().st_size
                        ),
                    )
                )
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [info for _, _, info in found]


def prune(folder: Path, vault_id: str, keep: int, *, protect: Path) -> list[Path]:
    """Delete all but the newest `keep` backups of this practice in `folder`; never
    `protect` (the one just written, even if the clock went backwards), never another
    practice's backups, never anything that is not a backup."""
    removed = []
    mine = backups_in(folder, vault_id)
    kept = [b for b in mine if b.path == protect]
    for info in mine:
        if info.path == protect:
            continue
        if len(kept) < keep:
            kept.append(info)
            continue
        with contextlib.suppress(FileNotFoundError):
            info.path.unlink()
            removed.append(info.path)
    if removed:
        with contextlib.suppress(OSError):
            fsync_dir(folder)
    return removed


def remove_stale_temps(folder: Path, vault_id: str, age_seconds: float) -> list[Path]:
    """Temporary files an interrupted backup of this practice left behind (a killed
    process cannot clean up after itself), unchanged for `age_seconds`. Younger ones
    may belong to a backup another ehrdesk is writing, so they are left alone. Ages
    are the files' own, measured by the wall clock."""
    prefix = f".ehrdesk-{practice_tag(vault_id)}-"
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
                continue
            with contextlib.suppress(OSError):
                if entry.stat().st_mtime < time.time() - age_seconds:
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def check_free_space(folder: Path, needed: int) -> None:
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        raise BackupTargetUnavailable from None
    if free < needed + FREE_SPACE_MARGIN:
        raise BackupTargetFull(needed, free)


def write_error(error: OSError, needed: int, folder: Path) -> Exception:
    """What a failed write to the drive means for the person: full, or unavailable."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        try:
            free = shutil.disk_usage(folder).free
        except OSError:
            free = 0
        return BackupTargetFull(needed, free)
    return BackupTargetUnavailable()
