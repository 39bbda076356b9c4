"""The practice's recent backups as a table: when, where, how large, and how their
last check went. A few dozen rows at most (the records keep the newest 100)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import IntEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from ehrdesk.storage.backup_records import BackupRecord, BackupState

Index = QModelIndex | QPersistentModelIndex
RECORD_ROLE = Qt.ItemDataRole.UserRole + 1


class Column(IntEnum):
    TAKEN = 0
    WHERE = 1
    SIZE = 2
    STATE = 3
    CHECKED = 4


_HEADERS = {
    Column.TAKEN: "Taken",
    Column.WHERE: "Where",
    Column.SIZE: "Size",
    Column.STATE: "State",
    Column.CHECKED: "Last checked",
}
STATE_TEXT = {
    BackupState.VERIFIED: "Verified",
    BackupState.DAMAGED: "Damaged",
    BackupState.MISSING: "Not found",
}


def when(moment: datetime) -> str:
    """A moment in this computer's time zone, to the minute."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def size_text(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.0f} kB"


class BackupTableModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self._rows: list[BackupRecord] = []

    def set_rows(self, rows: list[BackupRecord]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def clear(self) -> None:
        self.set_rows([])

    def record(self, row: int) -> BackupRecord:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[Column(section)]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        record = self._rows[index.row()]
        column = Column(index.column())
        if role == RECORD_ROLE:
            return record
        if role == Qt.ItemDataRole.ToolTipRole and column is Column.WHERE:
            return str(Path(record.folder) / record.file_name)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return _CELLS[column](record)


_CELLS: dict[Column, Callable[[BackupRecord], str]] = {
    Column.TAKEN: lambda r: when(r.created_at),
    Column.WHERE: lambda r: r.folder,
    Column.SIZE: lambda r: size_text(r.size),
    Column.STATE: lambda r: STATE_TEXT[r.state],
    Column.CHECKED: lambda r: when(r.checked_at),
}
