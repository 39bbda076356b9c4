"""The waitlist: who is waiting for a slot, longest first, with what would suit
them; add someone, or take them off. A cancelled appointment offers its slot to the
matching entries (see AppointmentDialog). Cleared on lock."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.errors import InvalidInput
from ehrdesk.core.front_desk import (
    TIMES_OF_DAY,
    WEEKDAY_CODES,
    WEEKDAY_NAMES,
    WaitlistDraft,
    WaitlistMatch,
)
from ehrdesk.services.registry import Services
from ehrdesk.ui.dialogs import LockWatcher
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.widgets.card import heading
from ehrdesk.ui.widgets.client_picker import ClientPicker

_HEADERS = ("Client", "Phone", "Type", "Clinician", "Days", "Times", "Waiting since", "Note")
_DAY_NAMES = WEEKDAY_NAMES


class WaitlistView(QWidget):
    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.matches: list[WaitlistMatch] = []
        top = QHBoxLayout()
        top.addWidget(heading("Waitlist", scale=1.4))
        top.addStretch(1)
        self.add_button = QPushButton("&Add…")
        self.add_button.setAccessibleName("Add a client to the waitlist")
        self.add_button.clicked.connect(self.add_entry)
        self.remove_button = QPushButton("&Remove")
        self.remove_button.setAccessibleName("Take the selected client off the waitlist")
        self.remove_button.clicked.connect(self.remove_selected)
        top.addWidget(self.add_button)
        top.addWidget(self.remove_button)
        self.table = QTableWidget(0, len(_HEADERS))
        self.table.setHorizontalHeaderLabels(list(_HEADERS))
        self.table.setAccessibleName("Waiting clients")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(_HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self._names: dict[int, str] = {}
        self._types: dict[str, str] = {}

    def refresh(self) -> None:
        try:
            self._names = {c.id: c.full_name for c in self._services.schedule.clinicians()}
            self._types = {t.code: t.label for t in self._services.schedule.appointment_types()}
            self.matches = self._services.waitlist.waiting()
        except Exception as error:
            show_error(self, error)
            return
        self.table.setRowCount(len(self.matches))
        for row, match in enumerate(self.matches):
            entry = match.entry
            cells = (
                match.client_name,
                match.phone,
                self._types.get(entry.type_code, entry.type_code),
                self._names.get(entry.clinician_id, "Any") if entry.clinician_id else "Any",
                ", ".join(_DAY_NAMES[d] for d in entry.weekdays) or "Any",
                ", ".join(sorted(entry.times_of_day, key=TIMES_OF_DAY.index)) or "Any",
                entry.added_at.astimezone().strftime("%Y-%m-%d"),
                entry.notes,
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))

    def add_entry(self) -> None:
        dialog = AddToWaitlistDialog(self._services, self)
        if dialog.exec():
            self.refresh()

    def remove_selected(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            return
        entry = self.matches[row].entry
        try:
            self._services.waitlist.remove(entry.id, entry.row_version)
        except Exception as error:
            show_error(self, error)
        self.refresh()

    def clear(self) -> None:
        self.matches = []
        self.table.setRowCount(0)


class AddToWaitlistDialog(QDialog):
    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._lock = LockWatcher(self, services.events)
        self.setWindowTitle("Add to the waitlist")
        self.setAccessibleName(self.windowTitle())
        form = QFormLayout(self)
        self.picker = ClientPicker(services.clients.search)
        form.addRow("&Client:", self.picker)
        self.kind = QComboBox()
        self.kind.setAccessibleName("Appointment type")
        for kind in services.schedule.appointment_types():
            self.kind.addItem(kind.label, kind.code)
        form.addRow("&Type:", self.kind)
        self.clinician = QComboBox()
        self.clinician.setAccessibleName("Clinician")
        self.clinician.addItem("Any clinician", None)
        for person in services.schedule.clinicians():
            self.clinician.addItem(person.full_name, person.id)
        form.addRow("C&linician:", self.clinician)
        days = QHBoxLayout()
        self.days = {code: QCheckBox(_DAY_NAMES[code]) for code in WEEKDAY_CODES[:6]}
        for box in self.days.values():
            days.addWidget(box)
        form.addRow("Days (none: any):", days)
        times = QHBoxLayout()
        self.times = {name: QCheckBox(name.capitalize()) for name in TIMES_OF_DAY}
        for box in self.times.values():
            times.addWidget(box)
        form.addRow("Times (none: any):", times)
        self.notes = QLineEdit()
        self.notes.setAccessibleName("Note")
        self.notes.setPlaceholderText("Administrative only")
        form.addRow("&Note:", self.notes)
        self.problem = QLabel()
        self.problem.setObjectName("message")
        self.problem.hide()
        form.addRow(self.problem)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def submit(self) -> None:
        try:
            if self.picker.client_id is None:
                raise InvalidInput("Choose the client: type part of a name and pick from the list.")
            self._services.waitlist.add(
                WaitlistDraft(
                    client_id=self.picker.client_id,
                    type_code=str(self.kind.currentData()),
                    clinician_id=self.clinician.currentData(),
                    weekdays=tuple(c for c, box in self.days.items() if box.isChecked()),
                    times_of_day=tuple(t for t, box in self.times.items() if box.isChecked()),
                    notes=self.notes.text().strip(),
                )
            )
        except InvalidInput as error:
            self.problem.setText(error.message)
            self.problem.show()
            return
        except Exception as error:
            show_error(self, error)
            return
        self.accept()
