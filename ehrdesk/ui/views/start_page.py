"""What an empty data folder shows, and what a folder that cannot be used shows.

A damaged or newer vault is never overwritten by setup: the problem page explains and
offers nothing that would write to the folder.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ehrdesk.ui.widgets.card import Card, heading
from ehrdesk.ui.widgets.selectable import SELECTABLE


def _centre(card: QWidget, parent: QWidget) -> None:
    outer = QVBoxLayout(parent)
    outer.addStretch(1)
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(card)
    row.addStretch(1)
    outer.addLayout(row)
    outer.addStretch(2)


class StartPage(QWidget):
    set_up = Signal()
    try_demo = Signal()

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
        buttons = QHBoxLayout()
        self.demo = QPushButton("Try the &demo")
        self.demo.setAccessibleName("Try the demo")
        self.demo.clicked.connect(self.try_demo)
        self.start = QPushButton("&Set up my practice")
        self.start.setAccessibleName("Set up my practice")
        self.start.setDefault(True)
        self.start.clicked.connect(self.set_up)
        buttons.addWidget(self.demo)
        buttons.addStretch(1)
        buttons.addWidget(self.start)
        card.body.addLayout(buttons)
        _centre(card, self)

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
        close = QPushButton("&Close ehrdesk")
        close.setAccessibleName("Close ehrdesk")
        close.clicked.connect(self.quit_requested)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(close)
        card.body.addLayout(row)
        _centre(card, self)
