"""A client's accounting of disclosures: every time the record left for someone other
than the client, with when, to whom, what, why and on what authority; printable and
savable as a PDF through the one document path. Closes on lock."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.records import categories_text
from ehrdesk.services.documents import file_name
from ehrdesk.services.registry import Services
from ehrdesk.ui.dialogs import LockWatcher
from ehrdesk.ui.printing import DocumentOutput
from ehrdesk.ui.widgets.card import heading

COLUMNS = ("When", "To whom", "What", "Purpose", "Authority", "By", "How")


class DisclosuresDialog(QDialog):
    def __init__(self, services: Services, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._lock = LockWatcher(self, services.events)
        self.client_id = client_id
        self.output = DocumentOutput(self)
        self.setWindowTitle("Accounting of disclosures")
        self.setAccessibleName(self.windowTitle())
        disclosures = services.records.disclosures(client_id)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Accounting of disclosures", scale=1.2))
        summary = QLabel(
            f"{len(disclosures)} disclosure{'s' if len(disclosures) != 1 else ''}: every time "
            "this record went to someone other than the client."
        )
        summary.setAccessibleName("Summary")
        layout.addWidget(summary)
        self.table = QTableWidget(len(disclosures), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("Disclosures")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        for row, d in enumerate(disclosures):
            values = (
                f"{d.disclosed_at.astimezone():%Y-%m-%d %H:%M}",
                d.recipient,
                f"{categories_text(d.categories)} ({d.period_text})",
                d.purpose,
                d.basis_text,
                d.by_name,
                d.delivery.label,
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.print_button = QPushButton("&Print…")
        self.print_button.clicked.connect(self.print_accounting)
        self.pdf_button = QPushButton("Save P&DF…")
        self.pdf_button.clicked.connect(self.save_pdf)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.pdf_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.resize(1000, 380)

    def print_accounting(self) -> None:
        self.output.print(lambda p: self._services.records.accounting(self.client_id, p))

    def save_pdf(self) -> None:
        self.output.save_as_pdf(
            file_name("Accounting of disclosures", str(self.client_id)),
            lambda p: self._services.records.accounting(self.client_id, p),
        )
