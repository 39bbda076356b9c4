"""Safeguard records (owner only): staff security training with the yearly reminder,
business associates, and the written incident-response plan with its history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.compliance import BusinessAssociate
from ehrdesk.core.errors import InvalidInput
from ehrdesk.services.documents import file_name
from ehrdesk.services.registry import Services
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.printing import DocumentOutput
from ehrdesk.ui.widgets.card import heading


def _button(text: str, name: str, slot: Callable[[], object]) -> QPushButton:
    push = QPushButton(text)
    push.setAccessibleName(name)
    push.clicked.connect(slot)
    return push


def _table(name: str, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setAccessibleName(name)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(value))


def _to_date(edit: QDateEdit, box: QCheckBox | None = None) -> date | None:
    if box is not None and not box.isChecked():
        return None
    q = edit.date()
    return date(q.year(), q.month(), q.day())


def _date_edit(name: str, value: date | None = None) -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setAccessibleName(name)
    edit.setDate(QDate(value.year, value.month, value.day) if value else QDate.currentDate())
    return edit


class AssociateDialog(QDialog):
    def __init__(self, associate: BusinessAssociate | None, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Business associate")
        self.setAccessibleName("Business associate")
        form = QFormLayout(self)
        self.vendor = QLineEdit(associate.vendor if associate else "")
        self.vendor.setAccessibleName("Vendor")
        form.addRow("&Vendor", self.vendor)
        self.handles = QLineEdit(associate.handles if associate else "")
        self.handles.setAccessibleName("What they handle")
        form.addRow("What they &handle", self.handles)
        self.signed = _date_edit(
            "Agreement signed", associate.agreement_signed_on if associate else None
        )
        self.has_signed = QCheckBox("&Agreement signed")
        self.has_signed.setChecked(bool(associate and associate.agreement_signed_on))
        form.addRow(self.has_signed, self.signed)
        self.review = _date_edit("Next review", associate.next_review_on if associate else None)
        self.has_review = QCheckBox("Next &review")
        self.has_review.setChecked(bool(associate and associate.next_review_on))
        form.addRow(self.has_review, self.review)
        self.active = QCheckBox("&Current (uncheck when the agreement has ended)")
        self.active.setChecked(associate.active if associate else True)
        form.addRow(self.active)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[str, str, date | None, date | None, bool]:
        return (
            self.vendor.text(),
            self.handles.text(),
            _to_date(self.signed, self.has_signed),
            _to_date(self.review, self.has_review),
            self.active.isChecked(),
        )


class SafeguardsView(QWidget):
    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.output = DocumentOutput(self)
        self._associates: list[BusinessAssociate] = []
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(heading("Safeguard records", scale=1.4))
        top.addStretch(1)
        top.addWidget(_button("Save as &PDF…", "Save the safeguard records as PDF", self.save_pdf))
        top.addWidget(_button("P&rint…", "Print the safeguard records", self.print_records))
        layout.addLayout(top)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Safeguard records")
        self.tabs.addTab(self._training_tab(), "&Training")
        self.tabs.addTab(self._associates_tab(), "&Business associates")
        self.tabs.addTab(self._plan_tab(), "Incident-response &plan")
        layout.addWidget(self.tabs, 1)

    # Tabs -------------------------------------------------------------------------

    def _training_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.training_due = _table("Training due", ["Person", "Last trained", "Next due", "Status"])
        layout.addWidget(QLabel("Each person's yearly security training:"))
        layout.addWidget(self.training_due)
        row = QHBoxLayout()
        self.trainee = QComboBox()
        self.trainee.setAccessibleName("Person trained")
        self.trained_on = _date_edit("Training date")
        self.topic = QLineEdit()
        self.topic.setAccessibleName("Training topic")
        self.topic.setPlaceholderText("Topic, e.g. phishing and lost devices")
        for widget in (self.trainee, self.trained_on, self.topic):
            row.addWidget(widget, 2 if widget is self.topic else 0)
        row.addWidget(_button("&Record training", "Record training", self.record_training))
        layout.addLayout(row)
        self.training = _table("Training log", ["Completed", "Person", "Topic"])
        layout.addWidget(self.training, 1)
        return page

    def _associates_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.associates = _table(
            "Business associates", ["Vendor", "What they handle", "Signed", "Next review", "Status"]
        )
        self.associates.doubleClicked.connect(lambda _: self.edit_associate())
        layout.addWidget(self.associates, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(_button("&Add…", "Add a business associate", self.add_associate))
        row.addWidget(
            _button("&Edit…", "Edit the selected business associate", self.edit_associate)
        )
        layout.addLayout(row)
        return page

    def _plan_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.plan_roles, self.plan_steps, self.plan_contacts = (
            QPlainTextEdit(),
            QPlainTextEdit(),
            QPlainTextEdit(),
        )
        for box, label in (
            (self.plan_roles, "&Roles"),
            (self.plan_steps, "&Steps"),
            (self.plan_contacts, "&Contacts"),
        ):
            box.setAccessibleName(label.replace("&", ""))
            box.setTabChangesFocus(True)
            form.addRow(label, box)
        self.plan_version = QLabel()
        form.addRow(self.plan_version, _button("Sa&ve plan", "Save the plan", self.save_plan))
        self.plan_history = QListWidget()
        self.plan_history.setAccessibleName("Earlier versions of the plan")
        self.plan_history.setMaximumHeight(self.fontMetrics().height() * 5)
        form.addRow("History", self.plan_history)
        return page

    # Loading ----------------------------------------------------------------------

    def refresh(self) -> None:
        s = self._services.safeguards
        try:
            today = (
                self._services.clock.now()
                .astimezone(self._services.activity.practice_hours().zone)
                .date()
            )
            self.trained_on.setMaximumDate(QDate(today.year, today.month, today.day))
            self.trained_on.setDate(QDate(today.year, today.month, today.day))
            due = s.training_due()
            _fill(
                self.training_due,
                [
                    [
                        t.username,
                        t.last_completed.isoformat() if t.last_completed else "never",
                        t.due_on.isoformat() if t.due_on else "now",
                        "due" if t.is_due(today) else "up to date",
                    ]
                    for t in due
                ],
            )
            self.trainee.clear()
            for t in due:
                self.trainee.addItem(t.username, t.user_id)
            _fill(
                self.training,
                [[r.completed_on.isoformat(), r.username, r.topic] for r in s.training_log()],
            )
            self._associates = s.business_associates()
            _fill(
                self.associates,
                [
                    [
                        a.vendor,
                        a.handles,
                        str(a.agreement_signed_on or "—"),
                        str(a.next_review_on or "—"),
                        ("review due" if a.review_due(today) else "current")
                        if a.active
                        else "ended",
                    ]
                    for a in self._associates
                ],
            )
            history = s.response_plan_history()
        except Exception as error:
            show_error(self, error)
            return
        current = history[0] if history else None
        self.plan_roles.setPlainText(current.roles if current else "")
        self.plan_steps.setPlainText(current.steps if current else "")
        self.plan_contacts.setPlainText(current.contacts if current else "")
        self.plan_version.setText(f"Version {current.version}" if current else "Not saved yet")
        self.plan_history.clear()
        self.plan_history.addItems(
            [f"Version {p.version}, {p.saved_at:%Y-%m-%d %H:%M} by {p.saved_by}" for p in history]
        )

    def _do(self, work: Callable[[], object]) -> None:
        try:
            work()
        except Exception as error:
            show_error(self, error)
            return
        self.refresh()

    def record_training(self) -> None:
        user_id = self.trainee.currentData()
        if user_id is None:
            return
        on = _to_date(self.trained_on)
        assert on is not None
        self._do(lambda: self._services.safeguards.record_training(user_id, on, self.topic.text()))
        self.topic.clear()

    def add_associate(self) -> None:
        dialog = AssociateDialog(None, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            vendor, handles, signed, review, _ = dialog.values()
            self._do(
                lambda: self._services.safeguards.add_business_associate(
                    vendor, handles, signed, review
                )
            )

    def edit_associate(self) -> None:
        row = self.associates.currentRow()
        if not 0 <= row < len(self._associates):
            show_error(self, InvalidInput("Choose a business associate first."))
            return
        old = self._associates[row]
        dialog = AssociateDialog(old, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            vendor, handles, signed, review, active = dialog.values()
            new = replace(
                old,
                vendor=vendor,
                handles=handles,
                agreement_signed_on=signed,
                next_review_on=review,
                active=active,
            )
            self._do(lambda: self._services.safeguards.update_business_associate(old, new))

    def save_plan(self) -> None:
        self._do(
            lambda: self._services.safeguards.save_response_plan(
                self.plan_roles.toPlainText(),
                self.plan_steps.toPlainText(),
                self.plan_contacts.toPlainText(),
            )
        )

    def save_pdf(self) -> None:
        self.output.save_as_pdf(
            file_name("Safeguard records"), self._services.safeguards.safeguards_document
        )

    def print_records(self) -> None:
        self.output.print(self._services.safeguards.safeguards_document)

    def clear(self) -> None:
        for table in (self.training_due, self.training, self.associates):
            table.setRowCount(0)
        self.trainee.clear()
        self._associates = []
        for box in (self.plan_roles, self.plan_steps, self.plan_contacts):
            box.clear()
        self.plan_history.clear()
