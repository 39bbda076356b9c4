"""A superbill for a client: the attended visits of a period (a month by default), each
with the CPT code of its signed note or "no signed note yet"; print or save the
superbill for all billable visits, or for the ones selected. Codes and fees only: the
front desk may use it. Closes on lock."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.billing import BillableVisit
from ehrdesk.core.recurrence import to_local
from ehrdesk.services.documents import PreparedDocument, Purpose, file_name
from ehrdesk.services.registry import Services
from ehrdesk.ui.dialogs import LockWatcher
from ehrdesk.ui.dialogs.record_export import py_date
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.printing import DocumentOutput
from ehrdesk.ui.widgets.card import heading

COLUMNS = ("Date", "Type", "Clinician", "Service code")


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


class SuperbillDialog(QDialog):
    def __init__(self, services: Services, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._lock = LockWatcher(self, services.events)
        self.client_id = client_id
        self.visits: list[BillableVisit] = []
        self.output = DocumentOutput(self)
        self.setWindowTitle("Superbill")
        self.setAccessibleName(self.windowTitle())
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Superbill", scale=1.2))
        # Visits in the practice's time zone, as the schedule and the superbill show them.
        self.zone = ZoneInfo(services.schedule.settings().time_zone)
        today = self._today()
        period = QHBoxLayout()
        self.since = QDateEdit(_qdate(today.replace(day=1)))
        self.until = QDateEdit(_qdate(today))
        for edit, name in ((self.since, "From"), (self.until, "To")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setAccessibleName(name)
            edit.dateChanged.connect(lambda _: self.refresh())
        period.addWidget(QLabel("Visits from"))
        period.addWidget(self.since)
        period.addWidget(QLabel("to"))
        period.addWidget(self.until)
        last_month = QPushButton("&Last month")
        last_month.clicked.connect(self.last_month)
        period.addWidget(last_month)
        period.addStretch(1)
        layout.addLayout(period)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("Visits")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        note = QLabel(
            "Select visits to bill only those; with none selected, every visit with a signed "
            "note is billed. Fees come from the practice's fee schedule."
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QHBoxLayout()
        self.print_button = QPushButton("&Print…")
        self.print_button.clicked.connect(lambda: self.output.print(self._prepare))
        self.pdf_button = QPushButton("Save P&DF…")
        self.pdf_button.clicked.connect(
            lambda: self.output.save_as_pdf(file_name("Superbill", str(client_id)), self._prepare)
        )
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.pdf_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.refresh()
        self.resize(640, 420)

    def period(self) -> tuple[date, date]:
        return py_date(self.since.date()), py_date(self.until.date())

    def _today(self) -> date:
        return to_local(self._services.clock.now(), self.zone).date()

    def last_month(self) -> None:
        first_of_this = self._today().replace(day=1)
        end = first_of_this - timedelta(days=1)
        self.since.setDate(_qdate(end.replace(day=1)))
        self.until.setDate(_qdate(end))

    def refresh(self) -> None:
        try:
            self.visits = self._services.superbills.visits(self.client_id, *self.period())
        except Exception as error:
            show_error(self, error)
            return
        self.table.setRowCount(len(self.visits))
        for row, visit in enumerate(self.visits):
            values = (
                f"{to_local(visit.starts_at, self.zone):%Y-%m-%d %H:%M}",
                visit.type_label,
                visit.clinician_name,
                visit.cpt_code or "no signed note yet",
            )
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()

    def _prepare(self, purpose: Purpose) -> PreparedDocument:
        chosen = [
            self.visits[i.row()].appointment_id for i in self.table.selectionModel().selectedRows()
        ]
        return self._services.superbills.superbill(
            self.client_id, *self.period(), purpose, appointment_ids=chosen
        )
