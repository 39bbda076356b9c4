"""A calm centred panel for the sign-in, lock and start screens."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget


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
