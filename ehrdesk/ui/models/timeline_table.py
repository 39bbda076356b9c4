"""A chart's timeline as a table, newest first, fetched a page at a time by keyset
(`canFetchMore` / `fetchMore`): a chart with a thousand notes loads fifty lines."""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from ehrdesk.core.chart import TimelineCursor, TimelineEntry, TimelinePage

Index = QModelIndex | QPersistentModelIndex
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1


class Column(IntEnum):
    WHEN = 0
    WHAT = 1
    DETAIL = 2


_HEADERS = {Column.WHEN: "When", Column.WHAT: "What", Column.DETAIL: "Details"}


class TimelineTableModel(QAbstractTableModel):
    def __init__(self, fetch: Callable[[TimelineCursor], TimelinePage]) -> None:
        super().__init__()
        self._fetch = fetch
        self._rows: list[TimelineEntry] = []
        self._next: TimelineCursor | None = None
        #: Each row's cells as shown, made once: the view asks for them hundreds of
        #: times while it sizes its columns, and a chart opens on the GUI thread.
        self._text: dict[int, tuple[str, str, str]] = {}

    def set_first_page(self, page: TimelinePage) -> None:
        self.beginResetModel()
        self._rows = list(page.entries)
        self._next = page.next_cursor
        self._text = {}
        self.endResetModel()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self._next = None
        self._text = {}
        self.endResetModel()

    def entry(self, row: int) -> TimelineEntry | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, kind: str, entry_id: int) -> int | None:
        for i, e in enumerate(self._rows):
            if e.kind.value == kind and e.id == entry_id:
                return i
        return None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._next is not None

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._next is None:
            return
        page = self._fetch(self._next)
        self._next = page.next_cursor
        if page.entries:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page.entries) - 1)
            self._rows.extend(page.entries)
            self.endInsertRows()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[Column(section)]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ROLES or not index.isValid():
            return None
        row = index.row()
        entry = self._rows[row]
        if role == ENTRY_ROLE:
            return entry
        if role == Qt.ItemDataRole.FontRole:
            return _bold() if entry.flagged else None
        text = self._text.get(row)
        if text is None:
            text = self._text[row] = (_when(entry), entry.title, entry.detail)
        return text[index.column()]


def _bold() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


_ROLES = frozenset(
    {
        ENTRY_ROLE,
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.AccessibleTextRole,
    }
)


def _when(entry: TimelineEntry) -> str:
    return entry.at.astimezone().strftime("%a %d %b %Y %H:%M")
