"""The owner's view of the practice's users: who they are, who is locked out, and
adding someone new.

The table is `UsersTableModel` over `UserAdmin.list_users()`; "Unlock" calls
`UserAdmin.unlock_user` and reloads. `AddUserDialog` shows the new person's QR code,
secret and recovery codes once, then forgets them.
"""

from __future__ import annotations

from enum import IntEnum
from typing import ClassVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.models import Role, ThrottleStatus, User, UserStatus
from ehrdesk.services.registry import Services
from ehrdesk.ui.clipboard import ClipboardGuard
from ehrdesk.ui.dialogs import LockWatcher, fit_to_contents, line_up_labels
from ehrdesk.ui.dialogs.second_factor import RecoveryCodesPanel, SecretPanel
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.tasks import busy_cursor
from ehrdesk.ui.widgets.password_field import PasswordField

UserRow = tuple[User, ThrottleStatus]
_Index = QModelIndex | QPersistentModelIndex


def sign_in_text(status: ThrottleStatus) -> str:
    if status.locked:
        return "Locked"
    if status.failures == 1:
        return "1 failed try"
    if status.failures:
        return f"{status.failures} failed tries"
    return "OK"


class UsersTableModel(QAbstractTableModel):
    class Column(IntEnum):
        USERNAME = 0
        FULL_NAME = 1
        ROLE = 2
        STATUS = 3
        SIGN_IN = 4

    HEADERS: ClassVar[dict[Column, str]] = {
        Column.USERNAME: "Username",
        Column.FULL_NAME: "Full name",
        Column.ROLE: "Role",
        Column.STATUS: "Status",
        Column.SIGN_IN: "Sign-in",
    }
    #: `data(index, RECORD_ROLE)` gives the row's (User, ThrottleStatus).
    RECORD_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[UserRow] = []

    def set_rows(self, rows: list[UserRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_record(self, row: int) -> UserRow:
        return self._rows[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[self.Column(section)]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        record = self._rows[index.row()]
        column = self.Column(index.column())
        if role == self.RECORD_ROLE:
            return record
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._text(column, *record)
        if column is self.Column.SIGN_IN:
            return self._sign_in_decoration(role, record[1])
        return None

    def _text(self, column: Column, user: User, status: ThrottleStatus) -> str:
        return {
            self.Column.USERNAME: user.username,
            self.Column.FULL_NAME: user.full_name,
            self.Column.ROLE: user.role.label,
            self.Column.STATUS: "Active" if user.status is UserStatus.ACTIVE else "Disabled",
            self.Column.SIGN_IN: sign_in_text(status),
        }[column]

    def _sign_in_decoration(self, role: int, status: ThrottleStatus) -> object:
        """A locked account stands out in bold, and says what to do in its tooltip."""
        if role == Qt.ItemDataRole.FontRole and status.locked:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and status.locked:
            return "Locked after too many unsuccessful sign-ins. Select it and press Unlock."
        if role == Qt.ItemDataRole.ToolTipRole and status.failures:
            return "Unsuccessful sign-ins since the last successful one."
        return None


class UsersPanel(QWidget):
    def __init__(
        self, services: Services, clipboard: ClipboardGuard, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._clipboard = clipboard
        self.model = UsersTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Users")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        # Widths follow the contents plus a little air, not the header's bold text.
        header.setMinimumSectionSize(self.fontMetrics().horizontalAdvance("M") * 6)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)

        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setAccessibleName("Unlock the selected user")
        self.unlock_button.clicked.connect(self.unlock_selected)
        self.add_button = QPushButton("&Add user…")
        self.add_button.setAccessibleName("Add user")
        self.add_button.clicked.connect(self.add_user)
        self.status_label = QLabel()
        self.status_label.setAccessibleName("Users status")
        for button in (self.unlock_button, self.add_button):
            button.setAutoDefault(False)

        intro = QLabel(
            "Everyone who can sign in to this practice. After 10 unsuccessful sign-ins an "
            "account is locked; once you know it was really them, select it and press "
            "Unlock."
        )
        intro.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.unlock_button)
        buttons.addWidget(self.status_label, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        selected = self.selected_user()
        try:
            rows = self._services.users.list_users()
        except Exception as error:
            show_error(self, error)
            return
        self.model.set_rows(rows)
        for row in range(self.model.rowCount()):
            if selected is not None and self.model.row_record(row)[0].id == selected.id:
                self.table.selectRow(row)
        self._update_buttons()

    def selected_record(self) -> UserRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_record(rows[0].row()) if rows else None

    def selected_user(self) -> User | None:
        record = self.selected_record()
        return None if record is None else record[0]

    def _update_buttons(self) -> None:
        record = self.selected_record()
        self.unlock_button.setEnabled(record is not None and record[1].locked)

    def unlock_selected(self) -> None:
        user = self.selected_user()
        if user is None:
            return
        try:
            self._services.users.unlock_user(user.username)
        except Exception as error:
            show_error(self, error)
            return
        self.refresh()
        self.status_label.setText(f"{user.username} can sign in again.")

    def add_user(self) -> None:
        dialog = AddUserDialog(self._services, self._clipboard, self)
        dialog.exec()
        dialog.deleteLater()
        if dialog.added_user is not None:
            self.refresh()
            self.status_label.setText(f"{dialog.added_user.username} was added.")


class AddUserDialog(QDialog):
    """Username, full name, role and a first password; then the new person's second
    factor and recovery codes, shown once. They choose their own password at their
    first sign-in."""

    def __init__(
        self, services: Services, clipboard: ClipboardGuard, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._practice_name = services.settings.practice_name()
        self.added_user: User | None = None
        self.setWindowTitle("Add user")
        self.setAccessibleName("Add user")

        self.details_page = self._details_page(services)
        self.enrolment_page = self._enrolment_page(clipboard)
        self.enrolment_page.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("&Add user")
        self.ok_button.setAccessibleName("Add user")
        self.ok_button.setDefault(True)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.details_page)
        layout.addWidget(self.enrolment_page)
        layout.addWidget(self.buttons)
        self._layout = layout
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 95)
        fit_to_contents(self, layout, spare_lines=3)

        self._lock_watcher = LockWatcher(self, services.events)
        self._update_ok()

    def _details_page(self, services: Services) -> QWidget:
        page = QWidget()
        self.username_edit = QLineEdit()
        self.username_edit.setAccessibleName("Username")
        self.full_name_edit = QLineEdit()
        self.full_name_edit.setAccessibleName("Full name")
        self.role_combo = QComboBox()
        self.role_combo.setAccessibleName("Role")
        for role in (Role.CLINICIAN, Role.FRONT_DESK, Role.OWNER):
            self.role_combo.addItem(role.label, role.value)
        self.password = PasswordField(
            password_label="First &password:",  # noqa: S106 - a label, not a password
            confirm_label="Confir&m password:",
        )
        self.password.setAccessibleName("First password")
        self.password.set_policy(services.settings.password_policy())
        for edit in (self.username_edit, self.full_name_edit):
            edit.textChanged.connect(self._update_context)
            edit.textChanged.connect(self._update_ok)
        self.password.changed.connect(self._update_ok)
        self._update_context()

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        labels = []
        for text, field in (
            ("&Username:", self.username_edit),
            ("&Full name:", self.full_name_edit),
            ("&Role:", self.role_combo),
        ):
            label = QLabel(text)
            label.setBuddy(field)
            form.addRow(label, field)
            labels.append(label)
        line_up_labels(*labels, *self.password.label_widgets())
        intro = QLabel(
            "The new person will be asked to choose their own password the first time "
            "they sign in. Give them this first password in person."
        )
        intro.setWordWrap(True)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.password)
        layout.addStretch(1)
        return page

    def _enrolment_page(self, clipboard: ClipboardGuard) -> QWidget:
        page = QWidget()
        self.done_intro = QLabel()
        self.done_intro.setWordWrap(True)
        self.done_intro.setTextFormat(Qt.TextFormat.PlainText)
        self.secret_panel = SecretPanel()
        self.codes_panel = RecoveryCodesPanel(clipboard)
        codes_intro = QLabel(
            "Their recovery codes: each one signs them in once if they lose their phone. "
            "Hand these over to be kept somewhere safe; they are shown only now."
        )
        codes_intro.setWordWrap(True)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.done_intro)
        layout.addWidget(self.secret_panel)
        layout.addWidget(codes_intro)
        layout.addWidget(self.codes_panel)
        layout.addStretch(1)
        return page

    def _update_context(self) -> None:
        self.password.set_context_words(
            [self._practice_name, self.username_edit.text(), self.full_name_edit.text()]
        )

    def _ready(self) -> bool:
        return self.added_user is not None or (
            bool(self.username_edit.text().strip())
            and bool(self.full_name_edit.text().strip())
            and self.password.is_acceptable()
        )

    def _update_ok(self) -> None:
        self.ok_button.setEnabled(self._ready())

    def accept(self) -> None:
        self._ok()

    def _ok(self) -> None:
        # Asked afresh: the meter's verdict may lag the last keystroke by ~150 ms.
        if not self._ready():
            return
        if self.added_user is not None:
            super().accept()
            return
        role = Role(self.role_combo.currentData())
        try:
            with busy_cursor():  # seals a new key slot: one key derivation
                enrolment = self._services.users.add_user(
                    self.username_edit.text(),
                    self.full_name_edit.text(),
                    role,
                    self.password.password(),
                )
        except Exception as error:
            show_error(self, error)
            return
        self.added_user = enrolment.user
        self.done_intro.setText(
            f"{enrolment.user.full_name} ({enrolment.user.username}) was added as "
            f"{enrolment.user.role.label.lower()}. Ask them to scan this QR code with their "
            "authenticator app now; it is shown only once."
        )
        self.secret_panel.show_secret(enrolment.totp_secret, enrolment.totp_uri)
        self.codes_panel.show_codes(enrolment.recovery_codes)
        self.details_page.hide()
        self.enrolment_page.show()
        self.ok_button.setText("&Done")
        self.ok_button.setAccessibleName("Done")
        self.cancel_button.hide()
        self._update_ok()
        self.codes_panel.copy_button.setFocus()
        fit_to_contents(self, self._layout)

    def done(self, result: int) -> None:
        if self.added_user is not None:
            result = QDialog.DialogCode.Accepted.value
        self.password.clear()
        self.secret_panel.clear()
        self.codes_panel.clear()
        super().done(result)
