"""About ehrdesk: the version, and the versions of what it is built on.

What a person reads out when they ask for help: ehrdesk's version (from
`ehrdesk.__version__`, the one place it is defined), the SQLCipher that encrypts the
records, Qt and PySide6, Python, and the practice folder. Nothing here comes from the
vault, so the dialog can be opened before anyone signs in; it closes itself when the
session locks, as every dialog does.
"""

from __future__ import annotations

import platform
from pathlib import Path

import PySide6
import sqlcipher3
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ehrdesk import __version__
from ehrdesk.core.events import EventBus
from ehrdesk.ui.dialogs import LockWatcher, fit_to_contents
from ehrdesk.ui.resources import app_icon
from ehrdesk.ui.widgets.card import heading
from ehrdesk.ui.widgets.selectable import SELECTABLE

ENCRYPTED_NOTE = "Your records are encrypted on this computer."


def sqlcipher_version() -> str:
    """The version of the SQLCipher built into sqlcipher3, e.g. "4.6.1 community".

    `PRAGMA cipher_version` needs no key, so an in-memory database that is never keyed
    answers it; nothing is written anywhere.
    """
    try:
        connection = sqlcipher3.connect(":memory:")
    except sqlcipher3.Error:
        return "unknown"
    try:
        row = connection.execute("PRAGMA cipher_version").fetchone()
    except sqlcipher3.Error:
        return "unknown"
    finally:
        connection.close()
    return str(row[0]) if row and row[0] else "unknown"


def component_versions() -> dict[str, str]:
    """What ehrdesk runs on, in the order the dialog shows it."""
    return {
        "SQLCipher": sqlcipher_version(),
        "Qt": qVersion(),
        "PySide6": PySide6.__version__,
        "Python": platform.python_version(),
    }


class AboutDialog(QDialog):
    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        data_dir: Path | None = None,
        events: EventBus | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("About ehrdesk")
        self.setAccessibleName("About ehrdesk")
        em = self.fontMetrics().horizontalAdvance("M")
        self.setMinimumWidth(30 * em)
        if events is not None:
            self._lock_watcher = LockWatcher(self, events)

        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(4 * em, 4 * em))
        icon.setAccessibleName("ehrdesk icon")
        title = heading("ehrdesk")
        self.version_label = QLabel(f"Version {__version__}")
        self.version_label.setAccessibleName("ehrdesk version")
        self.version_label.setTextInteractionFlags(SELECTABLE)
        titles = QVBoxLayout()
        titles.addWidget(title)
        titles.addWidget(self.version_label)
        top = QHBoxLayout()
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(titles, 1)

        self.encrypted_label = QLabel(ENCRYPTED_NOTE)
        self.encrypted_label.setWordWrap(True)
        self.encrypted_label.setAccessibleName("Encryption")

        form = QFormLayout()
        #: The value labels by row name, for people who read them out and for tests.
        self.values: dict[str, QLabel] = {}
        rows = component_versions()
        if data_dir is not None:
            rows["Practice folder"] = str(data_dir)
        for name, value in rows.items():
            label = QLabel(value)
            label.setTextInteractionFlags(SELECTABLE)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
            label.setAccessibleName(name)
            form.addRow(f"{name}:", label)
            self.values[name] = label

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close")
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.encrypted_label)
        layout.addSpacing(em // 2)
        layout.addLayout(form)
        layout.addWidget(buttons)
        close.setFocus()
        fit_to_contents(self, layout)

    def text(self) -> str:
        """Everything the dialog says, one line per row (what a test or a person reads)."""
        lines = ["ehrdesk", self.version_label.text(), self.encrypted_label.text()]
        lines += [f"{name}: {label.text()}" for name, label in self.values.items()]
        return "\n".join(lines)
