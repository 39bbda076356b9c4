"""Signing with the password again: a note, an intake, a plan, or an addendum (which
has its text above the password). The service decides; a wrong password keeps the
dialog open with the service's one sentence, and counts toward the sign-in throttle."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.errors import UserFacingError
from ehrdesk.core.events import EventBus
from ehrdesk.ui.dialogs import LockWatcher
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.tasks import busy_cursor
from ehrdesk.ui.widgets.card import message_label


class SignDialog(QDialog):
    """`sign(password)` does the signing; its result is kept in `result_value`."""

    def __init__(
        self,
        events: EventBus,
        title: str,
        intro: str,
        sign: Callable[[str], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._sign = sign
        self.result_value: object = None
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.layout_ = QVBoxLayout(self)
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        self.intro.setAccessibleName("What signing means")
        self.layout_.addWidget(self.intro)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Your password")
        self.password.setAccessibleName("Your password")
        self.password_label = QLabel("&Password:")
        self.password_label.setBuddy(self.password)
        self.message = message_label("Signing message")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("&Sign")
        self.ok_button.setAccessibleName("Sign")
        self.buttons.accepted.connect(self._do_sign)
        self.buttons.rejected.connect(self.reject)
        self._extra_fields()
        self.layout_.addWidget(self.password_label)
        self.layout_.addWidget(self.password)
        self.layout_.addWidget(self.message)
        self.layout_.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 70)
        self._lock_watcher = LockWatcher(self, events)
        self.password.setFocus()

    def _extra_fields(self) -> None:
        """Subclasses add fields above the password."""

    def _call(self) -> object:
        return self._sign(self.password.text())

    def accept(self) -> None:
        self._do_sign()

    def _do_sign(self) -> None:
        if not self.password.text():
            self.message.setText("Please enter your password to sign.")
            return
        try:
            with busy_cursor():  # the password is checked with Argon2id: about a second
                self.result_value = self._call()
        except UserFacingError as error:
            self.message.setText(error.message)
            self.password.clear()
            self.password.setFocus()
            return
        except Exception as error:
            show_error(self, error)
            return
        self.password.clear()
        super().accept()

    def done(self, result: int) -> None:
        self.password.clear()
        super().done(result)


class AddendumDialog(SignDialog):
    """An addendum: its text, then the password that signs it."""

    def __init__(
        self,
        events: EventBus,
        sign: Callable[[str, str], object],
        parent: QWidget | None = None,
    ) -> None:
        self._sign_addendum = sign
        super().__init__(
            events,
            "Add a signed addendum",
            "An addendum corrects or adds to a signed note, which itself never changes. "
            "It is signed with your password and kept with the note.",
            lambda password: None,
            parent,
        )

    def _extra_fields(self) -> None:
        self.text = QPlainTextEdit()
        self.text.setAccessibleName("Addendum text")
        self.text.setTabChangesFocus(True)
        label = QLabel("&Addendum:")
        label.setBuddy(self.text)
        self.layout_.addWidget(label)
        self.layout_.addWidget(self.text)
        self.text.setFocus()

    def _call(self) -> object:
        return self._sign_addendum(self.text.toPlainText(), self.password.text())

    def done(self, result: int) -> None:
        self.text.clear()
        super().done(result)
