"""Changing one's own password: the current one, then a new one that the policy accepts.

`Account.change_password` decides; the strength meter only helps the person choose.
A wrong current password shows the service's sentence and keeps the dialog open with
nothing changed. With `forced=True` it is the step after a sign-in that returned
`password_change_required`: the caller signs out if the person cancels.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.errors import AuthenticationFailed, PasswordRejected
from ehrdesk.core.models import User
from ehrdesk.services.registry import Services
from ehrdesk.ui.dialogs import LockWatcher, fit_to_contents, line_up_labels
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.tasks import busy_cursor
from ehrdesk.ui.widgets.password_field import PasswordField

FORCED_INTRO = "Please choose a new password before you continue."
ORDINARY_INTRO = "Enter the password you use now, then choose a new one."


class ChangePasswordDialog(QDialog):
    def __init__(
        self, services: Services, *, forced: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._services = services
        self.changed_user: User | None = None
        title = "Choose a new password" if forced else "Change password"
        self.setWindowTitle(title)
        self.setAccessibleName(title)

        self.intro = QLabel(FORCED_INTRO if forced else ORDINARY_INTRO)
        self.intro.setWordWrap(True)
        self.intro.setTextFormat(Qt.TextFormat.PlainText)
        self.intro.setAccessibleName("Instructions")
        if forced:
            font = self.intro.font()
            font.setBold(True)
            self.intro.setFont(font)

        self.current_edit = QLineEdit()
        self.current_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.current_edit.setAccessibleName("Current password")
        self.current_edit.textChanged.connect(self._update_ok)

        self.new_password = PasswordField(
            password_label="&New password:",  # noqa: S106 - a label, not a password
            confirm_label="Confir&m new password:",
        )
        self.new_password.setAccessibleName("New password")
        me = services.account.me()
        self.new_password.set_context_words(
            [services.settings.practice_name(), me.username, me.full_name]
        )
        self.new_password.set_policy(services.settings.password_policy())
        self.new_password.changed.connect(self._update_ok)

        current_label = QLabel("C&urrent password:")
        current_label.setBuddy(self.current_edit)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(current_label, self.current_edit)
        line_up_labels(current_label, *self.new_password.label_widgets())

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Change password")
        self.ok_button.setAccessibleName("Change password")
        self.ok_button.setDefault(True)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self._change)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.new_password)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 95)
        # Room below the field for the policy's reasons and the meter's advice, which
        # come and go as the person types, so the dialog never has to grow.
        fit_to_contents(self, layout, spare_lines=3)

        self.current_edit.setFocus()

        self._lock_watcher = LockWatcher(self, services.events)
        self._update_ok()

    def _ready(self) -> bool:
        return bool(self.current_edit.text()) and self.new_password.is_acceptable()

    def _update_ok(self) -> None:
        self.ok_button.setEnabled(self._ready())

    def accept(self) -> None:
        # Enter in a field lands here too; only a successful change closes the dialog.
        self._change()

    def _change(self) -> None:
        # Asked afresh: the meter's verdict may lag the last keystroke by ~150 ms.
        if not self._ready():
            return
        try:
            with busy_cursor():  # unwraps and reseals a key slot: two key derivations
                user = self._services.account.change_password(
                    self.current_edit.text(), self.new_password.password()
                )
        except AuthenticationFailed as error:
            show_error(self, error)
            self.current_edit.selectAll()
            self.current_edit.setFocus()
            return
        except PasswordRejected as error:
            show_error(self, error)
            self.new_password.setFocus()
            return
        except Exception as error:
            show_error(self, error)
            return
        self.changed_user = user
        self.current_edit.clear()
        super().accept()

    def done(self, result: int) -> None:
        self.current_edit.clear()
        self.new_password.clear()
        super().done(result)
