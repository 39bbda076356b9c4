"""What an empty data folder shows, and what a folder that cannot be used shows.

A damaged or newer vault is never overwritten by setup: the problem page explains and
offers nothing that would write to the folder.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from ehrdesk.ui.widgets.card import Card, button, button_row, centre, heading
from ehrdesk.ui.widgets.selectable import SELECTABLE


class StartPage(QWidget):
    set_up = Signal()
    try_demo = Signal()
    restore = Signal()

    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        card = Card(width_em=34)
        card.body.addWidget(heading("Welcome to ehrdesk"))
        intro = QLabel(
            "ehrdesk keeps your practice's records in one encrypted file on this computer. "
            "Setting up takes about five minutes: you will choose a password, connect an "
            "authenticator app on your phone, and save an Emergency Kit to print."
        )
        intro.setWordWrap(True)
        card.body.addWidget(intro)
        where = QLabel(f"Practice folder: {data_dir}")
        where.setWordWrap(True)
        where.setTextInteractionFlags(SELECTABLE)
        where.setAccessibleName("Practice folder")
        card.body.addWidget(where)
        self.demo = button("Try the &demo", "Try the demo", self.try_demo.emit)
        self.start = button("&Set up my practice", "Set up my practice", self.set_up.emit)
        card.body.addLayout(button_row(self.demo, self.start))
        again = QLabel(
            "Moving to a new computer, or replacing one? Restore the practice from its "
            "backup with the recovery key on the Emergency Kit."
        )
        again.setWordWrap(True)
        card.body.addWidget(again)
        self.restore_button = button(
            "&Restore from a backup", "Restore from a backup", self.restore.emit
        )
        self.restore_button.setAutoDefault(False)
        row = QHBoxLayout()
        row.addWidget(self.restore_button)
        row.addStretch(1)
        card.body.addLayout(row)
        centre(card, self)

    def showEvent(self, event: object) -> None:
        self.start.setFocus()


class VaultProblemPage(QWidget):
    quit_requested = Signal()

    def __init__(self, data_dir: Path, problem: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        card = Card(width_em=34)
        card.body.addWidget(heading("This practice folder cannot be opened"))
        text = QLabel(
            f"{problem}\n\nehrdesk has not changed anything in {data_dir}. Setup will never "
            "overwrite it. To use another folder, start ehrdesk with --data-dir."
        )
        text.setWordWrap(True)
        text.setTextInteractionFlags(SELECTABLE)
        text.setAccessibleName("Problem")
        card.body.addWidget(text)
        close = button("&Close ehrdesk", "Close ehrdesk", self.quit_requested.emit)
        card.body.addLayout(button_row(None, close))
        centre(card, self)
