"""A calm centred panel for the sign-in, lock and start screens, and its parts."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)


class Card(QFrame):
    def __init__(self, parent: QWidget | None = None, *, width_em: int = 30) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("card")
        em = self.fontMetrics().horizontalAdvance("M")
        self.setMinimumWidth(width_em * em)
        self.setMaximumWidth(int(width_em * em * 1.4))
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2 * em, 2 * em, 2 * em, 2 * em)
        layout.setSpacing(em)
        self.body = layout


def heading(text: str, *, scale: float = 1.5) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(True)
    label.setFont(font)
    label.setWordWrap(True)
    return label


def button(text: str, accessible_name: str, on_click: Callable[[], object]) -> QPushButton:
    push = QPushButton(text)
    push.setAccessibleName(accessible_name)
    push.clicked.connect(on_click)
    return push


def message_label(accessible_name: str) -> QLabel:
    """The one line where a page says what went wrong (styled as #message)."""
    label = QLabel()
    label.setWordWrap(True)
    label.setObjectName("message")
    label.setAccessibleName(accessible_name)
    return label


def button_row(left: QPushButton | None, right: QPushButton) -> QHBoxLayout:
    """A secondary action on the left, the default one on the right."""
    row = QHBoxLayout()
    if left is not None:
        row.addWidget(left)
    row.addStretch(1)
    right.setDefault(True)
    row.addWidget(right)
    return row


def centre(card: QWidget, page: QWidget) -> None:
    """Put `card` in the middle of `page`, a little above centre."""
    outer = QVBoxLayout(page)
    outer.addStretch(1)
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(card)
    row.addStretch(1)
    outer.addLayout(row)
    outer.addStretch(2)
