"""A QR code drawn with QPainter, so it stays sharp at any display scaling.

Invariant: the code is always dark modules on a light quiet zone of four modules, even
under a dark palette: many authenticator apps cannot read an inverted QR code, so these
two colours are the one place the UI does not follow the palette. Each module is a whole
number of device pixels wherever the widget is big enough, so no module is blurred.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from ehrdesk.reports.qr import QUIET_ZONE, dark_runs, qr_matrix

__all__ = ["QrCodeWidget"]

_DARK = QColor(0, 0, 0)
_LIGHT = QColor(255, 255, 255)
_PREFERRED_SIDE = 220


class QrCodeWidget(QWidget):
    """Shows `text` as a QR code, scaled to the widget, centred, kept square."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._matrix: list[list[bool]] = []
        self.setAccessibleName("QR code for the authenticator app")
        self.setAccessibleDescription("Scan it with the authenticator app on your phone.")
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def set_data(self, text: str) -> None:
        """Encode `text` (medium error correction; never a Micro QR, which phones
        do not read) and repaint. An empty text clears the code."""
        self._matrix = qr_matrix(text) if text else []
        self.update()

    def module_count(self) -> int:
        """Modules per side, quiet zone included; 0 when there is no code."""
        return len(self._matrix) + 2 * QUIET_ZONE if self._matrix else 0

    def sizeHint(self) -> QSize:
        return QSize(_PREFERRED_SIDE, _PREFERRED_SIDE)

    def minimumSizeHint(self) -> QSize:
        side = max(2 * (self.module_count() or 41), 120)
        return QSize(side, side)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return width

    def code_rect(self) -> QRect:
        """Where the code (quiet zone included) is painted, in widget coordinates."""
        count = self.module_count()
        side = min(self.width(), self.height())
        if count == 0 or side <= 0:
            return QRect()
        ratio = self.devicePixelRatioF()
        # Whole device pixels per module keep the edges crisp; below one, give up on it.
        per_module = math.floor(side * ratio / count) / ratio
        if per_module <= 0:
            per_module = side / count
        size = math.floor(per_module * count)
        return QRect((self.width() - size) // 2, (self.height() - size) // 2, size, size)

    def paintEvent(self, event: QPaintEvent) -> None:
        rect = self.code_rect()
        if rect.isEmpty():
            return
        count = self.module_count()
        module = rect.width() / count
        painter = QPainter(self)
        try:
            painter.fillRect(rect, _LIGHT)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(_DARK)
            for r, first, after in dark_runs(self._matrix):
                x = rect.x() + (first + QUIET_ZONE) * module
                y = rect.y() + (r + QUIET_ZONE) * module
                painter.drawRect(QRectF(x, y, (after - first) * module, module))
        finally:
            painter.end()
