"""Today's appointments on the Today view: the front desk's check-in list and a
clinician's day.

One table, one row per appointment in time order (the whole practice for those who act
for every clinician, one's own for a clinician), read with one service call. Enter or a
double click opens the appointment (check in, no-show, cancel; clinicians also reach
the chart from there). Nothing clinical is shown. Cleared on lock with the view.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.front_desk import AppointmentStatus, ScheduleEntry
from ehrdesk.core.recurrence import to_local
from ehrdesk.ui.widgets.card import heading

APPOINTMENT = Qt.ItemDataRole.UserRole + 1
COLUMNS = ("Time", "Client", "Clinician", "Type", "Room", "Status")
#: Rows shown before the table scrolls: a busy day's front desk sees most of it.
VISIBLE_ROWS = 12


class TodaysAppointments(QWidget):
    #: An appointment was opened (its id).
    appointment_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = heading("Today's appointments", scale=1.1)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("Today's appointments")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(lambda index: self._open(index.row()))
        self.table.cellDoubleClicked.connect(lambda row, _column: self._open(row))
        self.empty = QLabel("No appointments today.")
        self.empty.setAccessibleName("No appointments today")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.table)
        layout.addWidget(self.empty)
        self.empty.hide()

    def show_entries(
        self, entries: list[ScheduleEntry], zone: ZoneInfo, clinician_names: dict[int, str]
    ) -> None:
        self.table.setRowCount(0)
        show_clinician = len({e.appointment.clinician_id for e in entries}) > 1
        self.table.setColumnHidden(2, not show_clinician)
        for entry in entries:
            appointment = entry.appointment
            start = to_local(appointment.starts_at, zone)
            end = to_local(appointment.ends_at, zone)
            cells = (
                f"{start:%H:%M}–{end:%H:%M}",
                entry.client_name,
                clinician_names.get(appointment.clinician_id, ""),
                entry.type_label,
                entry.room_name,
                appointment.status.label,
            )
            row = self.table.rowCount()
            self.table.insertRow(row)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(APPOINTMENT, appointment.id)
                if appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW):
                    item.setForeground(self.palette().placeholderText())
                self.table.setItem(row, column, item)
        self.empty.setVisible(not entries)
        self.table.setVisible(bool(entries))
        lines = min(max(len(entries), 1), VISIBLE_ROWS) + 1  # the header
        height = lines * self.table.verticalHeader().defaultSectionSize()
        self.table.setFixedHeight(height + 2 * self.table.frameWidth() + 2)

    def _open(self, row: int) -> None:
        item = self.table.item(row, 0)
        if item is not None and item.data(APPOINTMENT) is not None:
            self.appointment_requested.emit(int(item.data(APPOINTMENT)))

    def clear(self) -> None:
        self.table.setRowCount(0)
