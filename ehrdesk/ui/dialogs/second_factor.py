"""Re-enrolling one's own second factor, in three steps on one dialog.

1. The password again (`Account.start_second_factor`): someone at an unlocked screen
   cannot move the second factor to their own phone.
2. The new secret as a QR code and as text, confirmed by a current code from it
   (`Account.finish_second_factor`). Until then the old authenticator keeps working.
3. The ten new recovery codes, shown once; the old ones no longer work.

`SecretPanel` and `RecoveryCodesPanel` are also what the owner sees after adding a user.
Nothing secret outlives the dialog: it clears its fields when it closes or the
session locks.
"""

from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import QRegularExpression, Qt
from PySide6.QtGui import QFontDatabase, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.services.registry import Services
from ehrdesk.ui.clipboard import ClipboardGuard
from ehrdesk.ui.dialogs import LockWatcher, fit_to_contents
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.tasks import busy_cursor
from ehrdesk.ui.widgets.qr_code import QrCodeWidget


def grouped_secret(secret: str) -> str:
    """The base32 secret in groups of four, as authenticator apps accept it typed."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _intro(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def _heading(text: str) -> QLabel:
    label = _intro(text)
    font = label.font()
    font.setBold(True)
    if font.pointSizeF() > 0:  # relative to the system font, never a fixed pixel size
        font.setPointSizeF(font.pointSizeF() * 1.15)
    label.setFont(font)
    label.setAccessibleName(text)
    return label


class SecretPanel(QWidget):
    """A TOTP secret as a QR code (for the phone's camera) and as text (to type in)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.qr = QrCodeWidget(self)
        self.qr.setAccessibleName("QR code for the authenticator app")
        self.secret_label = QLabel()
        self.secret_label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.secret_label.setTextFormat(Qt.TextFormat.PlainText)
        self.secret_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.secret_label.setAccessibleName("Secret key for manual entry")

        typed = QVBoxLayout()
        typed.addWidget(_intro("Can't scan it? Type this key into the app instead:"))
        typed.addWidget(self.secret_label)
        typed.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(typed, 1)

    def show_secret(self, secret: str, uri: str) -> None:
        self.qr.set_data(uri)
        self.secret_label.setText(grouped_secret(secret))

    def clear(self) -> None:
        self.qr.set_data("")
        self.secret_label.clear()


class RecoveryCodesPanel(QWidget):
    """Ten single-use recovery codes, shown once, with a Copy button."""

    def __init__(self, clipboard: ClipboardGuard, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._clipboard = clipboard
        self.codes_view = QPlainTextEdit()
        self.codes_view.setReadOnly(True)
        self.codes_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.codes_view.setAccessibleName("Recovery codes")
        self.codes_view.setTabChangesFocus(True)
        self.codes_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.codes_view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.codes_view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.copy_button = QPushButton("&Copy codes")
        self.copy_button.setAccessibleName("Copy the recovery codes")
        self.copy_button.setAutoDefault(False)
        self.copy_button.clicked.connect(self._copy)
        self.copied_label = QLabel()
        self.copied_label.setAccessibleName("Copy status")
        self._codes: tuple[str, ...] = ()

        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.copied_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.codes_view)
        layout.addLayout(buttons)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def show_codes(self, codes: tuple[str, ...]) -> None:
        # Two columns, so all ten fit without scrolling.
        half = (len(codes) + 1) // 2
        rows = [
            f"{codes[i]}    {codes[i + half]}" if i + half < len(codes) else codes[i]
            for i in range(half)
        ]
        self.codes_view.setPlainText("\n".join(rows))
        # Exactly as tall as the codes: no scrolling, no empty box below them.
        height = self.codes_view.fontMetrics().lineSpacing() * max(len(rows), 1)
        margins = 2 * (self.codes_view.frameWidth() + self.codes_view.document().documentMargin())
        self.codes_view.setFixedHeight(height + int(margins) + 2)
        self._codes = codes
        self.copied_label.clear()

    def codes(self) -> tuple[str, ...]:
        return self._codes

    def clear(self) -> None:
        self.codes_view.clear()
        self._codes = ()
        self.copied_label.clear()

    def _copy(self) -> None:
        self._clipboard.copy("\n".join(self.codes()))
        self.copied_label.setText("Copied. ehrdesk empties the clipboard when it locks.")


class Step(IntEnum):
    PASSWORD = 0
    CONFIRM_CODE = 1
    RECOVERY_CODES = 2


class SecondFactorDialog(QDialog):
    """Set up a new authenticator for the signed-in person."""

    def __init__(
        self, services: Services, clipboard: ClipboardGuard, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._secret: str | None = None
        self._finished = False
        self.setWindowTitle("Set up a new second factor")
        self.setAccessibleName("Set up a new second factor")

        # One page per step; only the current one is shown, so the dialog is as big as
        # that step needs (a QStackedWidget would always be as big as the biggest).
        self.pages = (
            self._password_page(),
            self._code_page(),
            self._codes_page(clipboard),
        )
        self._step = Step.PASSWORD

        self.buttons = QDialogButtonBox()
        self.next_button = QPushButton()
        self.next_button.setDefault(True)
        self.buttons.addButton(self.next_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setAccessibleName("Cancel")
        self.next_button.clicked.connect(self._next)
        self.cancel_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        for page in self.pages:
            layout.addWidget(page)
        self._layout = layout
        layout.addWidget(self.buttons)

        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 85)
        self._lock_watcher = LockWatcher(self, services.events)
        self._show_step(Step.PASSWORD)

    # Pages -------------------------------------------------------------------------

    def _password_page(self) -> QWidget:
        page = QWidget()
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setAccessibleName("Your password")
        self.password_edit.textChanged.connect(self._update_buttons)
        form = QFormLayout()
        form.addRow("&Password:", self.password_edit)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_heading("Step 1 of 3: Confirm it is you"))
        layout.addWidget(
            _intro(
                "A new second factor replaces the authenticator app you use now, and "
                "gives you new recovery codes. To begin, enter your password."
            )
        )
        layout.addLayout(form)
        layout.addWidget(_intro("Your current authenticator keeps working until you finish."))
        layout.addStretch(1)
        return page

    def _code_page(self) -> QWidget:
        page = QWidget()
        self.secret_panel = SecretPanel()
        self.code_edit = QLineEdit()
        self.code_edit.setAccessibleName("Six-digit code from the authenticator app")
        self.code_edit.setPlaceholderText("123456")
        self.code_edit.setValidator(
            QRegularExpressionValidator(QRegularExpression(r"[0-9 ]{0,8}"), self.code_edit)
        )
        self.code_edit.setMaximumWidth(self.code_edit.fontMetrics().horizontalAdvance("0") * 14)
        self.code_edit.textChanged.connect(self._update_buttons)
        form = QFormLayout()
        form.addRow("&Code from the app:", self.code_edit)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_heading("Step 2 of 3: Connect your authenticator app"))
        layout.addWidget(
            _intro(
                "Scan this QR code with your authenticator app (for example Google "
                "Authenticator, Microsoft Authenticator or 2FAS), then type the six-digit "
                "code it shows."
            )
        )
        layout.addWidget(self.secret_panel)
        layout.addLayout(form)
        layout.addStretch(1)
        return page

    def _codes_page(self, clipboard: ClipboardGuard) -> QWidget:
        page = QWidget()
        self.codes_panel = RecoveryCodesPanel(clipboard)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_heading("Step 3 of 3: Keep your new recovery codes"))
        layout.addWidget(
            _intro(
                "Your new second factor is set up. These are your new recovery codes: "
                "each one signs you in once if you lose your phone. Print them or write "
                "them down and keep them somewhere safe. They are shown only now, and "
                "your old recovery codes no longer work."
            )
        )
        layout.addWidget(self.codes_panel)
        layout.addStretch(1)
        return page

    # Steps -------------------------------------------------------------------------

    @property
    def step(self) -> Step:
        return self._step

    def _show_step(self, step: Step) -> None:
        self._step = step
        for index, page in enumerate(self.pages):
            page.setVisible(index == step)
        self.next_button.setText(
            {
                Step.PASSWORD: "&Continue",
                Step.CONFIRM_CODE: "C&onfirm",
                Step.RECOVERY_CODES: "&Done",
            }[step]
        )
        self.next_button.setAccessibleName(self.next_button.text().replace("&", ""))
        self.cancel_button.setVisible(step is not Step.RECOVERY_CODES)
        focus = {
            Step.PASSWORD: self.password_edit,
            Step.CONFIRM_CODE: self.code_edit,
            Step.RECOVERY_CODES: self.codes_panel.copy_button,
        }[step]
        focus.setFocus()
        self._update_buttons()
        fit_to_contents(self, self._layout)

    def _update_buttons(self) -> None:
        step = self.step
        if step is Step.PASSWORD:
            ready = bool(self.password_edit.text())
        elif step is Step.CONFIRM_CODE:
            ready = len(self.code_edit.text().replace(" ", "")) == 6
        else:
            ready = True
        self.next_button.setEnabled(ready)

    def _next(self) -> None:
        if not self.next_button.isEnabled():
            return
        step = self.step
        if step is Step.PASSWORD:
            self._start()
        elif step is Step.CONFIRM_CODE:
            self._finish()
        else:
            self.accept()

    def _start(self) -> None:
        try:
            with busy_cursor():  # derives a key from the password
                secret, uri = self._services.account.start_second_factor(self.password_edit.text())
        except Exception as error:
            show_error(self, error)
            self.password_edit.selectAll()  # a wrong password, most likely: try again
            self.password_edit.setFocus()
            return
        self.password_edit.clear()
        self._secret = secret
        self.secret_panel.show_secret(secret, uri)
        self._show_step(Step.CONFIRM_CODE)

    def _finish(self) -> None:
        assert self._secret is not None
        code = self.code_edit.text().replace(" ", "")
        try:
            codes = self._services.account.finish_second_factor(self._secret, code)
        except Exception as error:
            show_error(self, error)
            self.code_edit.selectAll()  # a mistyped or expired code, most likely
            self.code_edit.setFocus()
            return
        self._finished = True
        self._secret = None
        self.secret_panel.clear()
        self.code_edit.clear()
        self.codes_panel.show_codes(codes)
        self._show_step(Step.RECOVERY_CODES)

    # Closing -----------------------------------------------------------------------

    @property
    def finished_enrolment(self) -> bool:
        """Whether the new second factor is in use (the dialog may still be open)."""
        return self._finished

    def _wipe(self) -> None:
        self.password_edit.clear()
        self.code_edit.clear()
        self.secret_panel.clear()
        self.codes_panel.clear()
        self._secret = None

    def done(self, result: int) -> None:
        # Once the new factor is in use, closing in any way reports success.
        if self._finished:
            result = QDialog.DialogCode.Accepted.value
        self._wipe()
        super().done(result)
