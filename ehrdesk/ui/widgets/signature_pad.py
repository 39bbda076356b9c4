"""A pad a client signs on with a mouse, pen or finger; its strokes become a PNG in
memory (never a file). Blank until the first stroke; Clear starts again."""

from __future__ import annotations

from itertools import pairwise

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

#: Resolution of the saved image against the widget's: sharp when printed.
IMAGE_SCALE = 2.0


class SignaturePadWidget(QWidget):
    #: The pad went from blank to signed or back.
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.strokes: list[list[QPointF]] = []
        self.setAccessibleName("Signature pad: sign with the mouse, a pen or a finger")
        self.setMinimumSize(QSize(420, 150))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)

    def is_blank(self) -> bool:
        return not any(len(stroke) > 1 for stroke in self.strokes)

    def clear(self) -> None:
        self.strokes = []
        self.update()
        self.changed.emit()

    def add_stroke(self, points: list[QPointF]) -> None:
        """One stroke as if drawn (the tests sign this way)."""
        self.strokes.append(list(points))
        self.update()
        self.changed.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.strokes.append([event.position()])
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton and self.strokes:
            self.strokes[-1].append(event.position())
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.changed.emit()

    def _draw(self, painter: QPainter, scale: float) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor("#1a2a3a"), 2.2 * scale)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        for stroke in self.strokes:
            for a, b in pairwise(stroke):
                painter.drawLine(a * scale, b * scale)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        painter.setPen(QPen(QColor("#9aa5b1"), 1, Qt.PenStyle.DashLine))
        baseline = self.height() - 28
        painter.drawLine(16, baseline, self.width() - 16, baseline)
        painter.drawText(18, baseline + 18, "Sign above the line")
        self._draw(painter, 1.0)
        painter.end()

    def _bounds(self) -> QRectF:
        xs = [p.x() for stroke in self.strokes for p in stroke]
        ys = [p.y() for stroke in self.strokes for p in stroke]
        if not xs:
            return QRectF(0, 0, 1, 1)
        margin = 6.0
        return QRectF(
            min(xs) - margin, min(ys) - margin,
            max(xs) - min(xs) + 2 * margin, max(ys) - min(ys) + 2 * margin,
        )  # fmt: skip

    def png(self) -> bytes:
        """The signature alone (no line, no hint), cropped to its strokes, on white, as
        PNG bytes."""
        bounds = self._bounds()
        image = QImage(
            max(1, round(bounds.width() * IMAGE_SCALE)),
            max(1, round(bounds.height() * IMAGE_SCALE)),
            QImage.Format.Format_RGB32,
        )
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.translate(-bounds.left() * IMAGE_SCALE, -bounds.top() * IMAGE_SCALE)
        self._draw(painter, IMAGE_SCALE)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        if not image.save(buffer, "PNG"):  # type: ignore[call-overload]  # PySide6 takes str
            raise OSError("the signature image could not be encoded")
        buffer.close()
        return bytes(data.data())


__all__ = ["SignaturePadWidget"]
