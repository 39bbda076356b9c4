"""The client form: the whole demographic record, with each problem shown beside its
field, a warning about likely duplicates before a new record is saved, and the
client's no-show and late-cancel counts.

Opening an existing client is an audited view (`Clients.open`). A role without
EDIT_CLIENTS (a clinician) sees the record read-only. The dialog closes on lock.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.client_rules import check_client, parse_date_of_birth
from ehrdesk.core.errors import InvalidFields, InvalidInput
from ehrdesk.core.front_desk import (
    Client,
    ClientDraft,
    ClientStatus,
    ClientSummary,
    ContactMethod,
)
from ehrdesk.core.permissions import Action, allowed
from ehrdesk.services.registry import Services
from ehrdesk.ui.dialogs import LockWatcher
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.widgets.card import heading
from ehrdesk.ui.widgets.records_menu import RecordsMenu

#: (tab, [(field, label)]): the form's layout. Every text field of ClientDraft is here.
TABS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "&Person",
        (
            ("legal_first_name", "Legal first name"),
            ("legal_middle_name", "Middle name"),
            ("legal_last_name", "Legal last name"),
            ("preferred_name", "Preferred name"),
            ("date_of_birth", "Date of birth"),
            ("pronouns", "Pronouns"),
        ),
    ),
    (
        "&Contact",
        (
            ("phone_mobile", "Mobile phone"),
            ("phone_home", "Home phone"),
            ("email", "E-mail"),
            ("preferred_contact", "Preferred contact"),
            ("ok_to_leave_voicemail", "OK to leave a voicemail"),
            ("ok_to_text", "OK to send texts"),
            ("ok_to_email", "OK to e-mail"),
        ),
    ),
    (
        "&Address",
        (
            ("address_line1", "Address"),
            ("address_line2", "Address line 2"),
            ("city", "City"),
            ("region", "State or region"),
            ("postal_code", "Postal code"),
            ("emergency_name", "Emergency contact"),
            ("emergency_relationship", "Relationship"),
            ("emergency_phone", "Emergency phone"),
        ),
    ),
    (
        "&Insurance && practice",
        (
            ("insurance_payer", "Insurance payer"),
            ("insurance_member_id", "Member id"),
            ("insurance_group", "Group number"),
            ("assigned_clinician_id", "Assigned clinician"),
            ("status", "Status"),
            ("admin_notes", "Administrative notes"),
        ),
    ),
)
_CHECKS = {"ok_to_leave_voicemail", "ok_to_text", "ok_to_email"}


class ClientDialog(QDialog):
    def __init__(
        self, services: Services, client_id: int | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._lock = LockWatcher(self, services.events)
        self.client: Client | None = None
        self._confirmed_duplicates = False
        role = services.session.current_user().role
        self.editable = allowed(role, Action.EDIT_CLIENTS)
        overview = services.clients.open(client_id) if client_id is not None else None
        self.setWindowTitle("Client" if overview else "New client")
        self.setAccessibleName(self.windowTitle())

        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        self.title = heading("New client" if overview is None else "", scale=1.3)
        self.title.setAccessibleName("Client name")
        layout.addWidget(self.title)
        self.counts = QLabel()
        self.counts.setAccessibleName("Attendance")
        layout.addWidget(self.counts)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Client record sections")
        clinicians = services.clients.clinicians()
        for tab, rows in TABS:
            page = QWidget()
            form = QFormLayout(page)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            for name, label in rows:
                field = self._make_field(name, clinicians)
                field.setAccessibleName(label)
                if isinstance(field, QLineEdit | QPlainTextEdit):
                    field.setReadOnly(not self.editable)  # read-only text stays legible
                else:
                    field.setEnabled(self.editable)
                self.fields[name] = field
                error = QLabel()
                error.setObjectName("message")
                error.setWordWrap(True)
                error.setAccessibleName(f"Problem with {label.lower()}")
                error.hide()
                self.errors[name] = error
                holder = QWidget()
                box = QVBoxLayout(holder)
                box.setContentsMargins(0, 0, 0, 0)
                box.setSpacing(2)
                box.addWidget(field)
                box.addWidget(error)
                caption = QLabel(f"{label}:")
                caption.setBuddy(field)
                form.addRow(caption, holder)
            self.tabs.addTab(page, tab)
        layout.addWidget(self.tabs, 1)

        self.duplicates = QLabel()
        self.duplicates.setWordWrap(True)
        self.duplicates.setObjectName("message")
        self.duplicates.setAccessibleName("Possible duplicates")
        self.duplicates.hide()
        layout.addWidget(self.duplicates)
        self.problem = QLabel()
        self.problem.setObjectName("message")
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("Problem")
        self.problem.hide()
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox()
        self.records_menu: RecordsMenu | None = None
        if overview is not None:
            self.records_menu = RecordsMenu(services, lambda: client_id, parent=self)
            self.records_menu.fill_for_role()
            buttons.addButton(self.records_menu, QDialogButtonBox.ButtonRole.ActionRole)
        if self.editable:
            self.save = buttons.addButton("&Save", QDialogButtonBox.ButtonRole.AcceptRole)
            self.save.setDefault(True)
            self.save.clicked.connect(self.submit)
        close = buttons.addButton(
            "Cancel" if self.editable else "Close", QDialogButtonBox.ButtonRole.RejectRole
        )
        close.clicked.connect(self.reject)
        layout.addWidget(buttons)
        if overview is not None:
            self._show(overview.client)
            self.counts.setText(
                f"No-shows: {overview.no_shows}   ·   Late cancellations: "
                f"{overview.late_cancels}   ·   Upcoming appointments: {overview.upcoming}"
            )
        else:
            self.counts.hide()
        em = self.fontMetrics().horizontalAdvance("M")
        self.resize(44 * em, 34 * self.fontMetrics().lineSpacing())

    # Fields ---------------------------------------------------------------------------

    def _make_field(self, name: str, clinicians: list[Any]) -> QWidget:
        if name in _CHECKS:
            return QCheckBox()
        if name == "preferred_contact":
            box = QComboBox()
            for method in ContactMethod:
                box.addItem(method.label, method.value)  # Qt hands enums back as str
            return box
        if name == "status":
            box = QComboBox()
            for status in ClientStatus:
                box.addItem(status.label, status.value)
            return box
        if name == "assigned_clinician_id":
            box = QComboBox()
            box.addItem("— not assigned —", None)
            for clinician in clinicians:
                box.addItem(clinician.full_name, clinician.id)
            return box
        if name == "admin_notes":
            notes = QPlainTextEdit()
            notes.setTabChangesFocus(True)
            notes.setPlaceholderText("Administrative only: never clinical content.")
            notes.setMaximumHeight(self.fontMetrics().lineSpacing() * 5)
            return notes
        line = QLineEdit()
        if name == "date_of_birth":
            line.setPlaceholderText("1984-03-07, 03/07/1984 or 7.3.1984")
        return line

    def _show(self, client: Client) -> None:
        self.client = client
        self.title.setText(client.display_name)
        self.setWindowTitle(f"Client — {client.display_name}")
        for name, field in self.fields.items():
            value = getattr(client, name)
            if isinstance(field, QCheckBox):
                field.setChecked(bool(value))
            elif isinstance(field, QComboBox):
                data = value.value if isinstance(value, ContactMethod | ClientStatus) else value
                field.setCurrentIndex(max(0, field.findData(data)))
            elif isinstance(field, QPlainTextEdit):
                field.setPlainText(str(value))
            elif isinstance(field, QLineEdit):
                field.setText(value.isoformat() if name == "date_of_birth" else str(value))

    def _value(self, name: str) -> Any:
        field = self.fields[name]
        if isinstance(field, QCheckBox):
            return field.isChecked()
        if isinstance(field, QComboBox):
            return field.currentData()
        if isinstance(field, QPlainTextEdit):
            return field.toPlainText()
        assert isinstance(field, QLineEdit)
        return field.text()

    def draft(self) -> ClientDraft:
        """The form as a draft. A date that cannot be read is InvalidFields, together
        with every other field's problem, so the person sees them all at once."""
        values = {name: self._value(name) for name in self.fields if name != "date_of_birth"}
        values["preferred_contact"] = ContactMethod(values["preferred_contact"])
        values["status"] = ClientStatus(values["status"])
        try:
            born = parse_date_of_birth(self._value("date_of_birth"))
        except InvalidInput as error:
            problems = {"date_of_birth": error.message}
            try:
                check_client(ClientDraft(date_of_birth=date(2000, 1, 1), **values), date.today())
            except InvalidFields as others:
                problems.update(others.fields)
            raise InvalidFields(problems) from None
        return ClientDraft(date_of_birth=born, **values)

    def show_problems(self, problems: dict[str, str]) -> None:
        first_tab = None
        for name, label in self.errors.items():
            text = problems.get(name, "")
            label.setText(text)
            label.setVisible(bool(text))
            if text and first_tab is None:
                first_tab = next(i for i, (_, rows) in enumerate(TABS) if name in dict(rows))
        if first_tab is not None:
            self.tabs.setCurrentIndex(first_tab)
            first = next(n for n in self.errors if problems.get(n))
            self.fields[first].setFocus()
        unknown = [m for n, m in problems.items() if n not in self.errors]
        self.problem.setText(" ".join(unknown))
        self.problem.setVisible(bool(unknown))

    # Saving ---------------------------------------------------------------------------

    def submit(self) -> None:
        try:
            draft = self.draft()
            check_client(draft, date.today())  # every field's problem before duplicates
            if self.client is None and not self._confirmed_duplicates:
                found = self._services.clients.likely_duplicates(draft)
                if found:
                    self._warn_duplicates(found)
                    return
            if self.client is None:
                self.client = self._services.clients.create(draft)
            else:
                self.client = self._services.clients.update(
                    self.client.id, self.client.row_version, draft
                )
        except InvalidFields as error:
            self.show_problems(error.fields)
            return
        except Exception as error:
            show_error(self, error)
            return
        self.accept()

    def _warn_duplicates(self, found: list[ClientSummary]) -> None:
        self.show_problems({})
        listed = "\n".join(
            f"  •  {c.display_name}, born {c.date_of_birth.isoformat()}"
            + (f", {c.phone}" if c.phone else "")
            for c in found
        )
        self.duplicates.setText(
            f"This may be someone already on record:\n{listed}\n"
            "Check the list first; if this is a different person, choose Save anyway."
        )
        self.duplicates.show()
        self._confirmed_duplicates = True
        self.save.setText("Save &anyway")
        self.save.setFocus()
