"""The client list as a table, a page at a time from the database (keyset paging by
`sort_key`), so 100,000 clients never sit in Python at once."""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from ehrdesk.core.front_desk import ClientPage, ClientSummary

PAGE = 100
Index = QModelIndex | QPersistentModelIndex
CLIENT_ROLE = Qt.ItemDataRole.UserRole + 1


class Column(IntEnum):
    NAME = 0
    BIRTH = 1
    PHONE = 2
    STATUS = 3
    CLINICIAN = 4


_HEADERS = ("Name", "Date of birth", "Phone", "Status", "Clinician")

Fetch = Callable[[str | None, int], ClientPage]


class ClientTableModel(QAbstractTableModel):
    def __init__(self, fetch: Fetch) -> None:
        super().__init__()
        self._fetch = fetch
        self._rows: list[ClientSummary] = []
        self._next: str | None = None
        self.clinician_names: dict[int, str] = {}

    def reload(self, fetch: Fetch | None = None) -> None:
        """Start again from the first page (with a new query, if given)."""
        fetch = fetch or self._fetch
        page = fetch(None, PAGE)  # before the reset: a refusal leaves the model whole
        self.beginResetModel()
        self._fetch = fetch
        self._rows = list(page.rows)
        self._next = page.next_after
        self.endResetModel()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self._next = None
        self.clinician_names = {}
        self.endResetModel()

    def client_at(self, row: int) -> ClientSummary:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._next is not None

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._next is None:
            return
        page = self._fetch(self._next, PAGE)
        self._next = page.next_after
        if page.rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page.rows) - 1)
            self._rows.extend(page.rows)
            self.endInsertRows()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        client = self._rows[index.row()]
        if role == CLIENT_ROLE:
            return client
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return _CELLS[Column(index.column())](client, self.clinician_names)


_CELLS: dict[Column, Callable[[ClientSummary, dict[int, str]], str]] = {
    Column.NAME: lambda c, _: c.display_name,
    Column.BIRTH: lambda c, _: c.date_of_birth.isoformat(),
    Column.PHONE: lambda c, _: c.phone,
    Column.STATUS: lambda c, _: c.status.label,
    Column.CLINICIAN: lambda c, names: names.get(c.assigned_clinician_id or -1, "—"),
}
