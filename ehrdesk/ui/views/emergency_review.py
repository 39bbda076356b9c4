"""The owner's review of emergency access: every use, newest first (who, whose chart,
when, the reason's category, how long, acknowledged or not), the reason given for the
one selected, and Acknowledge. The events themselves are on the audit screen, which
"Show events" opens filtered to the client. Cleared on lock."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.audit_review import AuditFilter
from ehrdesk.core.chart import EmergencyUse
from ehrdesk.services.registry import Services
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.widgets.card import heading

COLUMNS = ("Started", "Who", "Client", "Reason", "How long", "Acknowledged")


class EmergencyReviewView(QWidget):
    #: Show the audit events about this client (the workspace opens the audit screen).
    show_events = Signal(object)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.uses: list[EmergencyUse] = []
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Emergency access", scale=1.4))
        explain = QLabel(
            "Every time someone opened a chart that is not theirs with emergency access. "
            "Read the reason each gave, look at what they did, and acknowledge it."
        )
        explain.setWordWrap(True)
        layout.addWidget(explain)
        self.waiting_only = QCheckBox("Only those &waiting for review")
        self.waiting_only.toggled.connect(lambda _: self.refresh())
        layout.addWidget(self.waiting_only)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("Uses of emergency access")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selected)
        layout.addWidget(self.table, 1)
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.reason.setAccessibleName("Reason given")
        layout.addWidget(self.reason)
        buttons = QHBoxLayout()
        self.acknowledge = QPushButton("&Acknowledge")
        self.acknowledge.setAccessibleName("Acknowledge the selected use")
        self.acknowledge.clicked.connect(self.acknowledge_selected)
        self.events_button = QPushButton("Show the client's &events")
        self.events_button.clicked.connect(self._show_events)
        buttons.addWidget(self.acknowledge)
        buttons.addWidget(self.events_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self._selected()

    def refresh(self) -> None:
        try:
            self.uses = self._services.emergency.uses(waiting_only=self.waiting_only.isChecked())
        except Exception as error:
            show_error(self, error)
            return
        now = self._services.clock.now()
        self.table.setRowCount(len(self.uses))
        for row, use in enumerate(self.uses):
            acked = (
                f"{use.acknowledged_at.astimezone():%Y-%m-%d %H:%M} by {use.acknowledged_by_name}"
                if use.acknowledged_at is not None
                else "Not yet"
            )
            values = (
                f"{use.started_at.astimezone():%Y-%m-%d %H:%M}",
                use.user_name,
                use.client_name,
                use.reason_category.label.split(":")[0].split(" (")[0],
                f"{use.minutes(now)} min ({use.state(now)})",
                acked,
            )
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self._selected()

    def selected(self) -> EmergencyUse | None:
        rows = self.table.selectionModel().selectedRows()
        return self.uses[rows[0].row()] if rows else None

    def _selected(self) -> None:
        use = self.selected()
        self.acknowledge.setEnabled(use is not None and use.acknowledged_at is None)
        self.events_button.setEnabled(use is not None)
        if use is None:
            self.reason.clear()
            return
        try:
            grant = self._services.emergency.grant(use.grant_id)
        except Exception as error:
            show_error(self, error)
            return
        self.reason.setText(f"Reason given: {grant.reason}")

    def acknowledge_selected(self) -> None:
        use = self.selected()
        if use is None:
            return
        try:
            self._services.emergency.acknowledge(self._services.emergency.grant(use.grant_id))
        except Exception as error:
            show_error(self, error)
            return
        self.refresh()

    def _show_events(self) -> None:
        use = self.selected()
        if use is not None:
            self.show_events.emit(AuditFilter.for_client(use.client_id))

    def clear(self) -> None:
        self.uses = []
        self.table.setRowCount(0)
        self.reason.clear()
