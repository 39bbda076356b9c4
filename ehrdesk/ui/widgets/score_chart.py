"""The chart header's small score chart: PHQ-9 and GAD-7 totals over time, drawn with
QPainter against each instrument's range, with the "moderate" line marked (10)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ehrdesk.core.chart import ScorePoint
from ehrdesk.core.measures import Instrument

COLOURS = {Instrument.PHQ9: QColor("#1f77b4"), Instrument.GAD7: QColor("#d62728")}
MODERATE = 10


class ScoreChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._points: tuple[ScorePoint, ...] = ()
        self.setAccessibleName("Scores over time")
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        em = self.fontMetrics().horizontalAdvance("M")
        self.setFixedSize(QSize(18 * em, 6 * self.fontMetrics().height()))

    def set_points(self, points: tuple[ScorePoint, ...]) -> None:
        self._points = points
        self.setAccessibleDescription(self.summary())
        self.setToolTip(self.summary())
        self.update()

    def summary(self) -> str:
        """What the picture says, for a screen reader and a tooltip."""
        parts = []
        for instrument in Instrument:
            totals = [p.total for p in self._points if p.instrument is instrument]
            if totals:
                parts.append(f"{instrument.label}: {', '.join(str(t) for t in totals)}")
        return "; ".join(parts) or "No measures yet"

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        fm = self.fontMetrics()
        label_h = fm.height()
        area = QRectF(self.rect()).adjusted(4, 4, -4, -4 - label_h)
        painter.setPen(QPen(palette.mid().color(), 1))
        painter.drawRect(area)
        if not self._points:
            painter.setPen(palette.placeholderText().color())
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "No measures yet")
            return
        times = [p.at.timestamp() for p in self._points]
        t0, t1 = min(times), max(times)
        span = max(t1 - t0, 1.0)

        def place(point: ScorePoint) -> QPointF:
            x = area.left() + 6 + (point.at.timestamp() - t0) / span * (area.width() - 12)
            if t1 == t0:
                x = area.center().x()
            y = area.bottom() - point.total / point.instrument.max_total * area.height()
            return QPointF(x, y)

        moderate_y = area.bottom() - MODERATE / Instrument.PHQ9.max_total * area.height()
        painter.setPen(QPen(palette.mid().color(), 1, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(area.left(), moderate_y), QPointF(area.right(), moderate_y))
        x = area.left()
        for instrument in Instrument:
            points = [place(p) for p in self._points if p.instrument is instrument]
            if not points:
                continue
            colour = COLOURS[instrument]
            path = QPainterPath(points[0])
            for point in points[1:]:
                path.lineTo(point)
            painter.setPen(QPen(colour, 2))
            painter.drawPath(path)
            painter.setBrush(colour)
            for point in points:
                painter.drawEllipse(point, 2.5, 2.5)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            last = [p for p in self._points if p.instrument is instrument][-1]
            text = f"{instrument.label} {last.total}"
            painter.drawText(QPointF(x, self.height() - fm.descent() - 1), text)
            x += fm.horizontalAdvance(text) + fm.horizontalAdvance("MM")
