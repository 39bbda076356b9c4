"""The security check (owner only): the practice's own state, item by item, with what
is good and what needs doing; printable as the yearly risk-review record."""

from __future__ import annotations

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.compliance import CheckStatus, SecurityCheckReport
from ehrdesk.core.errors import InvalidInput
from ehrdesk.services.documents import PreparedDocument, Purpose, file_name
from ehrdesk.services.registry import Services
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.printing import DocumentOutput
from ehrdesk.ui.widgets.card import heading

_TINT = {
    CheckStatus.GOOD: QColor("#E3F1E6"),
    CheckStatus.TO_DO: QColor("#FBEBD9"),
    CheckStatus.UNKNOWN: QColor("#ECEFF1"),
}


class SecurityCheckView(QWidget):
    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.output = DocumentOutput(self)
        self.report: SecurityCheckReport | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(heading("Security check", scale=1.4))
        top.addStretch(1)
        for text, name, slot in (
            ("&Check again", "Run the security check again", self.refresh),
            ("Save review as &PDF…", "Save the yearly risk review as PDF", self.save_pdf),
            ("P&rint review…", "Print the yearly risk review", self.print_review),
        ):
            push = QPushButton(text)
            push.setAccessibleName(name)
            push.clicked.connect(slot)
            top.addWidget(push)
        layout.addLayout(top)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Summary")
        layout.addWidget(self.summary)
        self.items = QTableWidget(0, 4)
        self.items.setHorizontalHeaderLabels(["Item", "Status", "Found", "To do"])
        self.items.setAccessibleName("Security check items")
        self.items.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.items.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.items.setWordWrap(True)
        self.items.verticalHeader().hide()
        header = self.items.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.items, 1)

    def refresh(self) -> None:
        try:
            report = self._services.security.run()
        except Exception as error:
            show_error(self, error)
            return
        self.report = report
        self.items.setRowCount(len(report.items))
        for row, item in enumerate(report.items):
            for column, text in enumerate(
                (item.title, item.status.label, item.finding, item.to_do)
            ):
                cell = QTableWidgetItem(text)
                cell.setToolTip(text)
                if column == 1:
                    cell.setBackground(QBrush(_TINT[item.status]))
                self.items.setItem(row, column, cell)
        self.items.resizeRowsToContents()
        good = len(report.items) - len(report.to_do)
        self.summary.setText(
            f"{good} of {len(report.items)} items are good; {len(report.to_do)} need doing or "
            "cannot be known yet. Print the review once a year and keep it with your records."
        )

    def _prepare(self, purpose: Purpose) -> PreparedDocument:
        if self.report is None:
            raise InvalidInput("Run the check first.")
        return self._services.security.review_record(self.report, purpose)

    def save_pdf(self) -> None:
        self.output.save_as_pdf(file_name("Security risk review"), self._prepare)

    def print_review(self) -> None:
        self.output.print(self._prepare)

    def clear(self) -> None:
        self.report = None
        self.items.setRowCount(0)
        self.summary.clear()
