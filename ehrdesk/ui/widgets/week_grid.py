"""A painted time grid: columns (days, or clinicians on one day) by half-hours, with
appointments drawn as blocks; overlapping blocks share their column side by side.

Driven by the keyboard: a cursor cell moves with the arrow keys; Enter opens the
appointment under the cursor or books at it; Insert or Ctrl+N books; Page Up/Down
and T are passed to the view (previous, next, today). The accessible description
always says what is under the cursor, for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from ehrdesk.core.front_desk import AppointmentStatus

FIRST_HOUR = 7
LAST_HOUR = 21  # the grid ends here
SLOT_MINUTES = 30
SLOTS = (LAST_HOUR - FIRST_HOUR) * 60 // SLOT_MINUTES
#: More appointments side by side than this (the whole practice's week) are drawn as
#: one "N appointments" block; Enter on it shows that day, a column per clinician.
MAX_LANES = 4
MIN_COLUMN_EM = 10

_STATUS_COLOURS = {
    AppointmentStatus.BOOKED: QColor(66, 133, 244),
    AppointmentStatus.CHECKED_IN: QColor(15, 157, 88),
    AppointmentStatus.COMPLETED: QColor(120, 120, 120),
    AppointmentStatus.CANCELLED: QColor(160, 160, 160),
    AppointmentStatus.NO_SHOW: QColor(219, 68, 55),
}


@dataclass(frozen=True)
class Crowd:
    """Too many overlapping appointments to draw apart: drawn as their number."""

    column: int
    start: int
    end: int
    count: int


@dataclass(frozen=True)
class Block:
    """One appointment as the grid draws it (minutes from midnight, local time)."""

    id: int
    column: int
    start: int
    end: int
    title: str
    detail: str
    status: AppointmentStatus


class WeekGrid(QWidget):
    open_requested = Signal(int)  # appointment id
    day_requested = Signal(int)  # column: show that day in detail
    book_requested = Signal(int, int)  # column, minutes from midnight
    page_requested = Signal(int)  # -1 previous, +1 next
    today_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Schedule grid")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.columns: list[str] = []
        self.blocks: list[Block] = []
        self._lanes: dict[int, tuple[int, int]] = {}  # block id → (lane, lanes)
        self.crowds: list[Crowd] = []
        self._hidden: set[int] = set()  # ids of blocks drawn as part of a crowd
        self.cell = (0, (9 - FIRST_HOUR) * 60 // SLOT_MINUTES)
        line = self.fontMetrics().lineSpacing()
        self.min_row_height = int(line * 1.6)
        self.row_height = self.min_row_height
        self.header_height = int(line * 2.2)
        self.gutter = self.fontMetrics().horizontalAdvance("00:00") + line
        self.setMinimumHeight(self.header_height + SLOTS * self.row_height + 1)

    # Data -----------------------------------------------------------------------------

    def set_data(self, columns: list[str], blocks: list[Block]) -> None:
        self.columns = columns
        self.blocks = blocks
        self._lanes, self.crowds = self._lay_out(blocks)
        self._hidden = {b.id for b in blocks if self._lanes[b.id][1] > MAX_LANES}
        em = self.fontMetrics().horizontalAdvance("M")
        self.setMinimumWidth(self.gutter + max(1, len(columns)) * MIN_COLUMN_EM * em)
        col, slot = self.cell
        self.cell = (min(col, max(0, len(columns) - 1)), slot)
        self._describe()
        self.update()

    def clear(self) -> None:
        self.set_data([], [])

    @staticmethod
    def _lay_out(blocks: list[Block]) -> tuple[dict[int, tuple[int, int]], list[Crowd]]:
        """Side-by-side lanes for overlapping blocks of one column, and the crowds:
        groups of overlapping blocks that would need more than MAX_LANES lanes."""
        lanes: dict[int, tuple[int, int]] = {}
        crowds: list[Crowd] = []

        def close(column: int, cluster: list[tuple[Block, int]], count: int) -> None:
            lanes.update({b.id: (lane, count) for b, lane in cluster})
            if count > MAX_LANES:
                start = min(b.start for b, _ in cluster)
                end = max(b.end for b, _ in cluster)
                crowds.append(Crowd(column, start, end, len(cluster)))

        by_column: dict[int, list[Block]] = {}
        for block in blocks:
            by_column.setdefault(block.column, []).append(block)
        for column, column_blocks in by_column.items():
            column_blocks.sort(key=lambda b: (b.start, b.end))
            cluster: list[tuple[Block, int]] = []  # blocks that overlap, transitively
            lane_ends: list[int] = []
            cluster_end = 0
            for block in column_blocks:
                if cluster and block.start >= cluster_end:
                    close(column, cluster, len(lane_ends))
                    cluster, lane_ends = [], []
                free = [i for i, end in enumerate(lane_ends) if end <= block.start]
                lane = free[0] if free else len(lane_ends)
                if lane == len(lane_ends):
                    lane_ends.append(block.end)
                else:
                    lane_ends[lane] = block.end
                cluster_end = max(cluster_end, block.end) if cluster else block.end
                cluster.append((block, lane))
            close(column, cluster, len(lane_ends))
        return lanes, crowds

    # Geometry -------------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        em = self.fontMetrics().horizontalAdvance("M")
        return QSize(self.gutter + max(1, len(self.columns)) * 12 * em, self.minimumHeight())

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Rows grow to fill the height there is, never below two lines of text."""
        spare = (self.height() - self.header_height - 1) // SLOTS
        self.row_height = max(self.min_row_height, spare)
        super().resizeEvent(event)

    def _column_width(self) -> float:
        return (self.width() - self.gutter) / max(1, len(self.columns))

    def _y(self, minutes: int) -> float:
        return self.header_height + (minutes - FIRST_HOUR * 60) * self.row_height / SLOT_MINUTES

    def block_rect(self, block: Block) -> QRectF:
        width = self._column_width()
        lane, lanes = self._lanes.get(block.id, (0, 1))
        x = self.gutter + block.column * width + 2 + lane * (width - 4) / lanes
        top = self._y(max(block.start, FIRST_HOUR * 60))
        bottom = self._y(min(block.end, LAST_HOUR * 60))
        return QRectF(x, top + 1, (width - 4) / lanes - 2, max(4.0, bottom - top - 2))

    def cursor_minutes(self) -> int:
        return FIRST_HOUR * 60 + self.cell[1] * SLOT_MINUTES

    def block_at_cursor(self) -> Block | None:
        col, _ = self.cell
        minute = self.cursor_minutes()
        found = [
            b
            for b in self.blocks
            if b.column == col
            and b.start < minute + SLOT_MINUTES
            and b.end > minute
            and b.id not in self._hidden
        ]
        found.sort(key=lambda b: (b.status is AppointmentStatus.CANCELLED, b.start))
        return found[0] if found else None

    def crowd_at_cursor(self) -> Crowd | None:
        col, _ = self.cell
        minute = self.cursor_minutes()
        for crowd in self.crowds:
            if crowd.column == col and crowd.start < minute + SLOT_MINUTES and crowd.end > minute:
                return crowd
        return None

    # Painting -------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        grid = palette.color(QPalette.ColorRole.Mid)
        text = palette.color(QPalette.ColorRole.Text)
        width = self._column_width()
        metrics = self.fontMetrics()
        for slot in range(SLOTS + 1):
            y = int(self._y(FIRST_HOUR * 60 + slot * SLOT_MINUTES))
            faint = QColor(grid)
            faint.setAlpha(255 if slot % 2 == 0 else 90)
            painter.setPen(QPen(faint))
            painter.drawLine(self.gutter, y, self.width(), y)
            if slot % 2 == 0 and slot < SLOTS:
                painter.setPen(text)
                painter.drawText(
                    QRect(0, y, self.gutter - 6, metrics.height()),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                    f"{FIRST_HOUR + slot // 2:02d}:00",
                )
        bold = QFont(self.font())
        bold.setBold(True)
        for index, title in enumerate(self.columns):
            x = int(self.gutter + index * width)
            painter.setPen(QPen(grid))
            painter.drawLine(x, 0, x, self.height())
            painter.setPen(text)
            painter.setFont(bold)
            painter.drawText(
                QRect(x + 4, 0, int(width) - 8, self.header_height),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                title,
            )
        painter.setFont(self.font())
        for block in self.blocks:
            if block.id not in self._hidden:
                self._paint_block(painter, block)
        for crowd in self.crowds:
            self._paint_crowd(painter, crowd, width)
        self._paint_cursor(painter, width)
        painter.end()

    def _paint_block(self, painter: QPainter, block: Block) -> None:
        rect = self.block_rect(block)
        colour = _STATUS_COLOURS[block.status]
        fill = QColor(colour)
        fill.setAlpha(60 if block.status is AppointmentStatus.CANCELLED else 45)
        painter.setPen(QPen(colour, 1))
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, 4, 4)
        painter.fillRect(QRectF(rect.x(), rect.y(), 4, rect.height()), colour)
        painter.setPen(self.palette().color(QPalette.ColorRole.Text))
        inner = rect.adjusted(7, 2, -3, -2).toRect()
        font = QFont(self.font())
        font.setStrikeOut(block.status is AppointmentStatus.CANCELLED)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        lines = [block.title, block.detail]
        shown = max(1, inner.height() // metrics.lineSpacing())
        text = "\n".join(
            metrics.elidedText(t, Qt.TextElideMode.ElideRight, inner.width()) for t in lines[:shown]
        )
        painter.drawText(inner, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, text)
        painter.setFont(self.font())

    def _paint_crowd(self, painter: QPainter, crowd: Crowd, width: float) -> None:
        top = self._y(max(crowd.start, FIRST_HOUR * 60))
        bottom = self._y(min(crowd.end, LAST_HOUR * 60))
        rect = QRectF(self.gutter + crowd.column * width + 2, top + 1, width - 4, bottom - top - 2)
        colour = _STATUS_COLOURS[AppointmentStatus.BOOKED]
        fill = QColor(colour)
        fill.setAlpha(30)
        painter.setPen(QPen(colour, 1))
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, 4, 4)
        painter.setPen(self.palette().color(QPalette.ColorRole.Text))
        painter.drawText(
            rect.adjusted(6, 2, -4, -2),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
            f"{crowd.count} appointments",
        )

    def _paint_cursor(self, painter: QPainter, width: float) -> None:
        if not self.columns:
            return
        col, _ = self.cell
        top = self._y(self.cursor_minutes())
        rect = QRectF(self.gutter + col * width + 1, top, width - 2, self.row_height)
        highlight = self.palette().color(QPalette.ColorRole.Highlight)
        pen = QPen(highlight, 3 if self.hasFocus() else 1, Qt.PenStyle.SolidLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect)

    # Keyboard and mouse ---------------------------------------------------------------

    def move_cursor(self, columns: int, slots: int) -> None:
        col, slot = self.cell
        col = max(0, min(len(self.columns) - 1, col + columns))
        slot = max(0, min(SLOTS - 1, slot + slots))
        self.cell = (col, slot)
        self._describe()
        self.update()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, ctrl = event.key(), event.modifiers() & Qt.KeyboardModifier.ControlModifier
        moves = {
            Qt.Key.Key_Left: (-1, 0),
            Qt.Key.Key_Right: (1, 0),
            Qt.Key.Key_Up: (0, -1),
            Qt.Key.Key_Down: (0, 1),
            Qt.Key.Key_Home: (0, -SLOTS),
            Qt.Key.Key_End: (0, SLOTS),
        }
        if key in moves:
            self.move_cursor(*moves[Qt.Key(key)])
        elif key == Qt.Key.Key_PageUp:
            self.page_requested.emit(-1)
        elif key == Qt.Key.Key_PageDown:
            self.page_requested.emit(1)
        elif key == Qt.Key.Key_T and not ctrl:
            self.today_requested.emit()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.activate()
        elif key == Qt.Key.Key_Insert or (key == Qt.Key.Key_N and ctrl):
            self.book_requested.emit(self.cell[0], self.cursor_minutes())
        else:
            super().keyPressEvent(event)

    def activate(self) -> None:
        block = self.block_at_cursor()
        crowd = self.crowd_at_cursor()
        if block is not None:
            self.open_requested.emit(block.id)
        elif crowd is not None:
            self.day_requested.emit(crowd.column)
        elif self.columns:
            self.book_requested.emit(self.cell[0], self.cursor_minutes())

    def _cell_at(self, point: QPoint) -> tuple[int, int] | None:
        if point.x() < self.gutter or point.y() < self.header_height or not self.columns:
            return None
        col = int((point.x() - self.gutter) // self._column_width())
        slot = int((point.y() - self.header_height) // self.row_height)
        return max(0, min(len(self.columns) - 1, col)), max(0, min(SLOTS - 1, slot))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        cell = self._cell_at(event.position().toPoint())
        if cell is not None:
            self.cell = cell
            self._describe()
            self.update()
        self.setFocus()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.mousePressEvent(event)
        self.activate()

    def focusInEvent(self, event: QFocusEvent) -> None:
        self.update()
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.update()
        super().focusOutEvent(event)

    def _describe(self) -> None:
        if not self.columns:
            self.setAccessibleDescription("")
            return
        minute = self.cursor_minutes()
        column = self.columns[self.cell[0]].replace("\n", " ")
        where = f"{column}, {minute // 60:02d}:{minute % 60:02d}"
        block = self.block_at_cursor()
        crowd = self.crowd_at_cursor()
        if block is not None:
            what = f"{block.title}, {block.detail}, {block.status.label}"
        elif crowd is not None:
            what = f"{crowd.count} appointments; Enter shows this day for each clinician"
        else:
            what = "free"
        self.setAccessibleDescription(f"{where}: {what}")

    def cursor_text(self) -> str:
        return self.accessibleDescription()
