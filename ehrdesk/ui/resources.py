"""Where ehrdesk's own files (the app icon) are, in a source checkout and in the frozen app.

`resources/` sits beside the `ehrdesk` package in a checkout (and so in the editable
install that `tools/setup` makes); the PyInstaller build copies it to
`<bundle>/resources` (packaging/pyinstaller/ehrdesk.spec), where `sys._MEIPASS`
points. A missing icon is never an error: the app runs with Qt's default icon.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon

from ehrdesk import APP_ID

#: The sizes rendered by packaging/render-icons into resources/icons/hicolor/.
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def resources_dir() -> Path | None:
    """The `resources/` folder, or None if this copy of ehrdesk has none."""
    candidates = []
    bundle = getattr(sys, "_MEIPASS", None)  # set by PyInstaller's bootloader
    if bundle is not None:
        candidates.append(Path(bundle) / "resources")
    candidates.append(Path(__file__).resolve().parents[2] / "resources")
    for candidate in candidates:
        if (candidate / "icons").is_dir():
            return candidate
    return None


def icon_files() -> dict[int, Path]:
    """The rendered PNGs of the app icon that exist, by size in pixels."""
    root = resources_dir()
    if root is None:
        return {}
    found = {}
    for size in ICON_SIZES:
        path = root / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        if path.is_file():
            found[size] = path
    return found


def app_icon() -> QIcon:
    """The app icon at every rendered size (PNGs: no SVG plugin needed); empty if none."""
    icon = QIcon()
    for size, path in icon_files().items():
        icon.addFile(str(path), QSize(size, size))
    return icon
