"""Which mounted volumes look like a USB drive or an external disk, from QStorageInfo.

Qt cannot say "removable", so this keeps what is plausible: writable, ready, not the
system's own volumes, and either mounted where desktops mount removable media
(/media, /run/media, /mnt, /Volumes) or formatted the way USB drives are (FAT, exFAT,
NTFS), or, on Windows, any drive but the system one. The Backups screen always offers
"Choose a folder…" besides, so a drive this misses can still be used.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QStorageInfo

REMOVABLE_ROOTS = ("/media/", "/run/media/", "/mnt/", "/Volumes/")
REMOVABLE_FILE_SYSTEMS = {"vfat", "msdos", "exfat", "fat", "fat32", "ntfs", "ntfs3", "fuseblk"}
SYSTEM_ROOTS = {"/", "/boot", "/boot/efi", "/home", "/var", "/usr", "/tmp"}  # noqa: S108


@dataclass(frozen=True)
class Drive:
    path: Path
    name: str
    free_bytes: int

    @property
    def label(self) -> str:
        return f"{self.name} ({self.free_bytes / 1e9:.1f} GB free)"


def _plausibly_removable(root: str, file_system: str) -> bool:
    if root in SYSTEM_ROOTS:
        return False
    if sys.platform == "win32":
        system = os.environ.get("SYSTEMDRIVE", "C:").rstrip("\\/").upper()
        return not root.upper().startswith(system)
    with_slash = root.rstrip("/") + "/"
    return with_slash.startswith(REMOVABLE_ROOTS) or file_system.lower() in REMOVABLE_FILE_SYSTEMS


def removable_drives() -> list[Drive]:
    """The mounted volumes that look like backup drives, by name."""
    drives = []
    for volume in QStorageInfo.mountedVolumes():
        if not (volume.isValid() and volume.isReady()) or volume.isReadOnly():
            continue
        root = volume.rootPath()
        file_system = bytes(volume.fileSystemType().data()).decode(errors="replace")
        if not _plausibly_removable(root, file_system):
            continue
        name = volume.displayName() or Path(root).name or root
        drives.append(Drive(Path(root), name, volume.bytesAvailable()))
    return sorted(drives, key=lambda d: d.name.casefold())
