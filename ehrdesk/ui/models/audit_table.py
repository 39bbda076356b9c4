"""The audit log as a table, newest first, fetched from the database a page at a time.

The fetch function takes the last event shown (None for the first page) and a page
size, so paging is the database's keyset, never an offset."""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from ehrdesk.core.models import AuditEvent

PAGE = 200
Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    SEQ = 0
    TIME = 1
    USER = 2
    ROLE = 3
    ACTION = 4
    OBJECT = 5
    REASON = 6


_HEADERS = {
    Column.SEQ: "#",
    Column.TIME: "Time",
    Column.USER: "User",
    Column.ROLE: "Role",
    Column.ACTION: "Action",
    Column.OBJECT: "Object",
    Column.REASON: "Reason",
}
EVENT_ROLE = Qt.ItemDataRole.UserRole + 1


class AuditTableModel(QAbstractTableModel):
    def __init__(self, fetch: Callable[[AuditEvent | None, int], list[AuditEvent]]) -> None:
        super().__init__()
        self._fetch = fetch
        self._rows: list[AuditEvent] = []
        self._more = False
        #: The zone times are shown in (the practice's); None: this computer's.
        self.zone: tzinfo | None = None

    def reload(self) -> None:
        rows = self._fetch(None, PAGE)  # before the reset: a refusal leaves the model whole
        self.beginResetModel()
        self._rows = rows
        self._more = len(rows) == PAGE
        self.endResetModel()

    def event_at(self, row: int) -> AuditEvent:
        return self._rows[row]

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self._more = False
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or not self._rows:
            return
        page = self._fetch(self._rows[-1], PAGE)
        self._more = len(page) == PAGE
        if page:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(page) - 1)
            self._rows.extend(page)
            self.endInsertRows()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[Column(section)]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        event = self._rows[index.row()]
        if role == EVENT_ROLE:
            return event
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if index.column() == Column.TIME:
            return event.at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S")
        return _CELLS[Column(index.column())](event)


_CELLS: dict[Column, Callable[[AuditEvent], str]] = {
    Column.SEQ: lambda e: str(e.seq),
    Column.USER: lambda e: e.username or "—",
    Column.ROLE: lambda e: (e.role or "").replace("_", " "),
    Column.ACTION: lambda e: e.action.replace("_", " "),
    Column.OBJECT: lambda e: " ".join(p for p in (e.object_type, e.object_id) if p),
    Column.REASON: lambda e: e.reason or "",
}
