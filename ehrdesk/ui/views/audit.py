"""The owner's audit screen: every event, newest first, filtered by period, user,
action and record; the chain check; export as CSV and as a PDF report; print.

Pages come from the database as the table scrolls (keyset on time and seq), so a
million events scroll like a hundred. Verification and CSV export run on their own
connection off the GUI thread, with progress. Cleared on lock.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.audit_review import AuditFilter
from ehrdesk.core.models import AuditEvent
from ehrdesk.services.documents import file_name
from ehrdesk.services.registry import Services
from ehrdesk.storage.audit import ChainReport
from ehrdesk.ui.dialogs.activity_settings import ActivitySettingsDialog
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.models.audit_table import AuditTableModel, Column
from ehrdesk.ui.printing import DocumentOutput
from ehrdesk.ui.tasks import BackgroundTask, counted, run_long_work
from ehrdesk.ui.widgets.audit_filter_bar import AuditFilterBar
from ehrdesk.ui.widgets.card import heading


def _button(text: str, name: str) -> QPushButton:
    push = QPushButton(text)
    push.setAccessibleName(name)
    return push


class AuditView(QWidget):
    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._filter = AuditFilter()
        self._generation = 0  # bumped on lock: a result that arrives later is dropped
        self.task: BackgroundTask | None = None
        self.output = DocumentOutput(self)
        self.choose_csv = self._ask_csv
        self.model = AuditTableModel(self._fetch)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Audit log", scale=1.4))
        top = QHBoxLayout()
        self.verify = _button("&Verify chain", "Verify the audit chain")
        self.verify.clicked.connect(self.verify_chain)
        self.export_csv = _button("Export C&SV…", "Export the shown events as CSV")
        self.export_csv.clicked.connect(self.export_as_csv)
        self.save_pdf = _button("Save &report as PDF…", "Save the shown events as a PDF report")
        self.save_pdf.clicked.connect(self.save_report)
        self.print_report = _button("P&rint report…", "Print the shown events")
        self.print_report.clicked.connect(self.print_events)
        self.settings = _button("&Hours and thresholds…", "Practice hours and activity thresholds")
        self.settings.clicked.connect(self.edit_settings)
        for push in (self.verify, self.export_csv, self.save_pdf, self.print_report, self.settings):
            top.addWidget(push)
        top.addStretch(1)
        layout.addLayout(top)
        self.filters = AuditFilterBar()
        self.filters.now = services.clock.now
        self.filters.applied.connect(self.apply_filters)
        layout.addWidget(self.filters)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setAccessibleName("Chain verification result")
        layout.addWidget(self.result)
        self.shown = QLabel()
        self.shown.setAccessibleName("Events shown")
        layout.addWidget(self.shown)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Audit events")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(Column.REASON, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)

    # Loading ---------------------------------------------------------------------

    def _fetch(self, after: AuditEvent | None, limit: int) -> list[AuditEvent]:
        return self._services.audit.page(self._filter, after=after, limit=limit)

    def refresh(self) -> None:
        try:
            hours = self._services.activity.practice_hours()
            self.filters.zone = hours.zone
            self.model.zone = hours.zone
            users = {u.id: u.username for u, _ in self._services.users.list_users()}
            self.filters.set_users(list(users.items()))
            self.model.reload()
        except Exception as error:
            show_error(self, error)
            return
        what = self._filter.describe(hours.zone, users)
        self.shown.setText(f"Showing {what}; times in {hours.time_zone}.")

    def apply_filters(self) -> None:
        try:
            self._filter = self.filters.filter()
        except Exception as error:
            show_error(self, error)
            return
        self.refresh()

    def show_events(self, filt: AuditFilter) -> None:
        """Open filtered (a flag on the Today view, later "who opened this chart")."""
        self.refresh()  # fills the user list the controls choose from
        self.filters.show_filter(filt)
        self._filter = filt  # exactly the flag's events, not the controls' rounding
        self.refresh()

    # Chain ---------------------------------------------------------------------------

    def verify_chain(self) -> None:
        try:
            job = self._services.audit.start_chain_verification()
        except Exception as error:
            show_error(self, error)
            return
        self.verify.setEnabled(False)
        self.result.setText("Verifying the audit chain…")
        generation = self._generation
        self.task = run_long_work(
            self,
            lambda report, cancel: job.run(counted(report, cancel, "events checked")),
            lambda report: self._verified(report) if generation == self._generation else None,
            label="Verifying the audit chain…",
            on_error=self._verify_failed,
        )

    def _verify_failed(self, error: BaseException) -> None:
        self.verify.setEnabled(True)
        self.result.clear()
        show_error(self, error)

    def _verified(self, report: ChainReport) -> None:
        self.verify.setEnabled(True)
        try:
            self._services.audit.record_chain_verification(report)
        except Exception as error:
            show_error(self, error)
            return
        if report.ok:
            self.result.setText(
                f"The audit chain is intact: {report.events_checked:,} events verified."
            )
        else:
            self.result.setText(
                f"The audit chain is broken at event {report.first_bad_seq}: {report.why}."
            )
        self.refresh()

    # Export and print ------------------------------------------------------------------

    def _ask_csv(self) -> Path | None:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        suggested = str(Path(folder) / file_name("Audit log", suffix=".csv"))
        chosen, _ = QFileDialog.getSaveFileName(self, "Export as CSV", suggested, "CSV (*.csv)")
        return Path(chosen) if chosen else None

    def export_as_csv(self) -> None:
        path = self.choose_csv()
        if path is None:
            return
        try:
            job = self._services.audit.start_csv_export(self._filter, path)
        except Exception as error:
            show_error(self, error)
            return
        self.task = run_long_work(
            self,
            lambda report, cancel: job.run(counted(report, cancel, "events written")),
            lambda n: self.output.message(f"Exported {n:,} events to {path.name}."),
            label="Exporting events…",
        )

    def save_report(self) -> None:
        filt = self._filter
        self.output.save_as_pdf(
            file_name("Audit report"),
            lambda purpose: self._services.audit.audit_report(filt, purpose),
        )

    def print_events(self) -> None:
        filt = self._filter
        self.output.print(lambda purpose: self._services.audit.audit_report(filt, purpose))

    def edit_settings(self) -> None:
        try:
            dialog = ActivitySettingsDialog(self._services, self)
        except Exception as error:
            show_error(self, error)
            return
        dialog.exec()
        self.refresh()

    def clear(self) -> None:
        self._generation += 1
        self.verify.setEnabled(True)
        self.model.clear()
        self.result.clear()
        self.shown.clear()
        self.filters.set_users([])
        self._filter = AuditFilter()
        self.filters.clear_filters(emit=False)
