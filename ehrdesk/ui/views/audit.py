"""The owner's audit screen: every event, newest first, and the chain check."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.models import AuditEvent
from ehrdesk.services.registry import Services
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.models.audit_table import AuditTableModel, Column
from ehrdesk.ui.tasks import busy_cursor
from ehrdesk.ui.widgets.card import heading


class AuditView(QWidget):
    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.model = AuditTableModel(self._fetch)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(heading("Audit log", scale=1.4))
        top.addStretch(1)
        self.verify = QPushButton("&Verify chain")
        self.verify.setAccessibleName("Verify the audit chain")
        self.verify.clicked.connect(self.verify_chain)
        top.addWidget(self.verify)
        layout.addLayout(top)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setAccessibleName("Chain verification result")
        layout.addWidget(self.result)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Audit events")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(Column.REASON, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table)

    def _fetch(self, before_seq: int | None, limit: int) -> list[AuditEvent]:
        return self._services.audit.newest_events(before_seq=before_seq, limit=limit)

    def refresh(self) -> None:
        try:
            self.model.reload()
        except Exception as error:
            show_error(self, error)

    def verify_chain(self) -> None:
        try:
            with busy_cursor():
                report = self._services.audit.verify_chain()
        except Exception as error:
            show_error(self, error)
            return
        if report.ok:
            self.result.setText(
                f"The audit chain is intact: {report.events_checked} events verified."
            )
        else:
            self.result.setText(
                f"The audit chain is broken at event {report.first_bad_seq}: {report.why}."
            )
        self.refresh()

    def clear(self) -> None:
        self.model.clear()
        self.result.clear()
