"""The first four pages of the setup wizard, the ones that ask: the practice's name,
the owner, workstation binding and the second factor; and the small helpers every
setup page is built with. The pages that hand over what must be kept (recovery codes,
Emergency Kit) live beside the wizard in `setup_wizard.py`, because Finish depends on
the kit.

Invariant: these pages write nothing anywhere and never reset what was typed on them:
going Back, or a failed Finish, keeps every field as it was.
"""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, Qt, QTimer
from PySide6.QtGui import (
    QFont,
    QFontDatabase,
    QPalette,
    QRegularExpressionValidator,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWizardPage,
)

from ehrdesk.core.errors import InvalidInput, VaultExists
from ehrdesk.security import totp
from ehrdesk.services.registry import Services
from ehrdesk.services.vault import NewVaultPlan, validate_name, validate_username
from ehrdesk.ui.clipboard import ClipboardGuard
from ehrdesk.ui.widgets import PasswordField, QrCodeWidget
from ehrdesk.ui.widgets.selectable import SELECTABLE

__all__ = [
    "OwnerPage",
    "PracticePage",
    "SecondFactorPage",
    "SetupPage",
    "WorkstationPage",
    "button",
    "grouped",
    "monospace",
    "panel",
    "paragraph",
]

BINDING_SENTENCE = (
    "Keep a key in this computer's keyring so that a copy of the practice's files is "
    "useless without this computer; the Emergency Kit still opens it anywhere."
)
KEYRING_UNAVAILABLE = (
    "This computer's keyring is not available, so the practice cannot be bound to it. "
    "Your password and the Emergency Kit still protect it."
)
CODE_MISMATCH = (
    "That code does not match. Check that your phone sets its time automatically, "
    "then type the code the app shows now."
)


# Small helpers -------------------------------------------------------------------------


def paragraph(text: str, *, muted: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if muted:
        label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


def monospace(scale: float = 1.0) -> QFont:
    """The system's fixed-width font, sized from the default font, never in pixels."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    base = QFont().pointSizeF()
    if base > 0:
        font.setPointSizeF(base * scale)
    return font


def panel() -> QFrame:
    """A quiet box in the palette's base colour, for secrets the person copies down."""
    frame = QFrame()
    frame.setFrameShape(QFrame.Shape.StyledPanel)
    frame.setBackgroundRole(QPalette.ColorRole.Base)
    frame.setAutoFillBackground(True)
    return frame


def button(text: str, accessible_name: str, *, enter_presses: bool = True) -> QPushButton:
    """A push button; with `enter_presses=False`, Enter moves the wizard on even while
    this button has focus (Space still presses it)."""
    push = QPushButton(text)
    push.setAccessibleName(accessible_name)
    push.setAutoDefault(enter_presses)
    return push


def grouped(text: str, size: int = 4, per_line: int = 4) -> str:
    """`text` in groups of `size`, `per_line` groups to a line, as people copy it down."""
    groups = [text[i : i + size] for i in range(0, len(text), size)]
    lines = [" ".join(groups[i : i + per_line]) for i in range(0, len(groups), per_line)]
    return "\n".join(lines)


class SetupPage(QWizardPage):
    """A page that keeps what was typed when the person goes Back."""

    def cleanupPage(self) -> None:
        """QWizard's default resets the page's fields on Back; keep them instead."""

    def validatePage(self) -> bool:
        return self.isComplete()

    def text_field(self, name: str) -> str:
        return str(self.field(name) or "")


# 1. Practice ---------------------------------------------------------------------------


class PracticePage(SetupPage):
    def __init__(self, services: Services) -> None:
        super().__init__()
        self._services = services
        self._blocked = False
        self.setTitle("Welcome to ehrdesk")
        self.setSubTitle("Let's set up your practice. It takes about five minutes.")

        intro = paragraph(
            "ehrdesk keeps your practice's records encrypted on this computer. In the next "
            "steps you will name the practice, create your own account as its owner, set up "
            "a sign-in code on your phone and save an Emergency Kit. Nothing is saved until "
            "you press Finish."
        )
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName("Practice name")
        self.name_edit.setPlaceholderText("For example: Riverside Counselling")
        self.name_edit.setMaxLength(200)
        self.name_edit.textChanged.connect(self.completeChanged)
        label = QLabel("&Practice name")
        label.setBuddy(self.name_edit)
        self.registerField("practiceName", self.name_edit)

        form = QFormLayout()
        form.addRow(label, self.name_edit)
        form.addRow(
            "", paragraph("It appears on screens, printouts and the Emergency Kit.", muted=True)
        )

        folder = paragraph(f"The practice's files will be kept in {services.data_dir}.", muted=True)
        folder.setTextInteractionFlags(SELECTABLE)
        self.blocked_label = paragraph(VaultExists.default_message)
        self.blocked_label.setAccessibleName("Setup cannot continue")
        self.blocked_label.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addSpacing(self.fontMetrics().lineSpacing())
        layout.addLayout(form)
        layout.addWidget(self.blocked_label)
        layout.addStretch(1)
        layout.addWidget(folder)

    def initializePage(self) -> None:
        # Setup never overwrites a practice, even one that appeared after start-up.
        self._blocked = self._services.vaults.exists()
        self.blocked_label.setVisible(self._blocked)
        self.name_edit.setEnabled(not self._blocked)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        if self._blocked:
            return False
        try:
            validate_name(self.name_edit.text(), "practice name")
        except InvalidInput:
            return False
        return True


# 2. Owner ------------------------------------------------------------------------------


class OwnerPage(SetupPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Your account")
        self.setSubTitle("As the practice's owner you manage users, settings and backups.")

        self.username_edit = QLineEdit()
        self.username_edit.setAccessibleName("Username")
        self.username_edit.setMaxLength(64)
        self.username_edit.setPlaceholderText("For example: jmorgan")
        self.full_name_edit = QLineEdit()
        self.full_name_edit.setAccessibleName("Full name")
        self.full_name_edit.setMaxLength(200)
        self.password_field = PasswordField()
        self.username_hint = paragraph("", muted=True)
        self.username_hint.setAccessibleName("Username requirements")
        self.registerField("ownerUsername", self.username_edit)
        self.registerField("ownerFullName", self.full_name_edit)

        username_label = QLabel("&Username")
        username_label.setBuddy(self.username_edit)
        full_name_label = QLabel("Full na&me")
        full_name_label.setBuddy(self.full_name_edit)
        labels = [username_label, full_name_label, *self.password_field.label_widgets()]
        width = max(label.sizeHint().width() for label in labels)
        for label in labels:
            label.setMinimumWidth(width)

        form = QFormLayout()
        form.addRow(username_label, self.username_edit)
        form.addRow("", self.username_hint)
        form.addRow(full_name_label, self.full_name_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addSpacing(self.fontMetrics().lineSpacing() // 2)
        layout.addWidget(paragraph("Choose a password you do not use anywhere else.", muted=True))
        layout.addWidget(self.password_field)
        layout.addStretch(1)

        self.username_edit.textChanged.connect(self._names_changed)
        self.full_name_edit.textChanged.connect(self._names_changed)
        self.password_field.changed.connect(self.completeChanged)

    def initializePage(self) -> None:
        self._names_changed()

    def context_words(self) -> list[str]:
        """What `Vaults.check_new_vault` will refuse the password for containing."""
        return [
            self.text_field("practiceName"),
            self.username_edit.text().strip(),
            *self.full_name_edit.text().split(),
        ]

    def _names_changed(self) -> None:
        username = self.username_edit.text()
        hint = ""
        if username.strip():
            try:
                validate_username(username)
            except InvalidInput as error:
                hint = error.message
        self.username_hint.setText(hint)
        self.username_hint.setVisible(bool(hint))
        self.password_field.set_context_words(self.context_words())
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        try:
            validate_username(self.username_edit.text())
            validate_name(self.full_name_edit.text(), "full name")
        except InvalidInput:
            return False
        return self.password_field.is_acceptable()


# 3. Workstation ------------------------------------------------------------------------


class WorkstationPage(SetupPage):
    def __init__(self, services: Services) -> None:
        super().__init__()
        self.setTitle("This computer")
        self.setSubTitle("Tie the practice's files to this computer.")
        usable = services.vaults.keyring.is_usable()

        self.bind_box = QCheckBox("&Keep a key in this computer's keyring")
        self.bind_box.setAccessibleName("Keep a key in this computer's keyring")
        self.bind_box.setAccessibleDescription(BINDING_SENTENCE)
        self.bind_box.setChecked(usable)
        self.bind_box.setEnabled(usable)
        self.registerField("bindWorkstation", self.bind_box)
        self.unavailable_label = paragraph(KEYRING_UNAVAILABLE)
        self.unavailable_label.setVisible(not usable)

        layout = QVBoxLayout(self)
        layout.addWidget(paragraph(BINDING_SENTENCE))
        layout.addSpacing(self.fontMetrics().lineSpacing() // 2)
        layout.addWidget(self.bind_box)
        layout.addWidget(self.unavailable_label)
        layout.addSpacing(self.fontMetrics().lineSpacing() // 2)
        layout.addWidget(
            paragraph(
                "If this computer is ever replaced, open the practice once with the "
                "Emergency Kit and it will be tied to the new computer.",
                muted=True,
            )
        )
        layout.addStretch(1)


# 4. Second factor ----------------------------------------------------------------------


class SecondFactorPage(SetupPage):
    def __init__(self, services: Services, clipboard: ClipboardGuard, plan: NewVaultPlan) -> None:
        super().__init__()
        self._services = services
        self._clipboard = clipboard
        self._plan = plan
        self._verified_code: str | None = None
        self.setTitle("A code from your phone")
        self.setSubTitle("Each sign-in asks for your password and a six-digit code.")

        self.qr = QrCodeWidget()
        self.secret_label = QLabel(grouped(plan.totp_secret))
        self.secret_label.setFont(monospace(1.1))
        self.secret_label.setTextInteractionFlags(SELECTABLE)
        self.secret_label.setAccessibleName("Key for the authenticator app")
        self.copy_button = button(
            "&Copy the key", "Copy the key for the authenticator app", enter_presses=False
        )
        self.copy_button.clicked.connect(self._copy_secret)
        self.copy_status = paragraph("", muted=True)

        self.code_edit = QLineEdit()
        self.code_edit.setAccessibleName("Code from the authenticator app")
        self.code_edit.setPlaceholderText("123 456")
        self.code_edit.setMaxLength(7)
        self.code_edit.setValidator(
            QRegularExpressionValidator(QRegularExpression(r"[0-9 ]{0,7}"), self.code_edit)
        )
        self.code_edit.setFont(monospace(1.2))
        self.code_edit.setMaximumWidth(self.code_edit.fontMetrics().horizontalAdvance("0" * 12))
        self.code_edit.textChanged.connect(self._code_changed)
        code_label = QLabel("Co&de from the app")
        code_label.setBuddy(self.code_edit)
        self.code_message = paragraph("")
        self.code_message.setAccessibleName("Code check")

        manual = QVBoxLayout()
        manual.addWidget(paragraph("Can't scan it? Type this key into the app instead:"))
        manual.addWidget(self.secret_label)
        copy_row = QHBoxLayout()
        copy_row.addWidget(self.copy_button)
        copy_row.addWidget(self.copy_status, 1)
        manual.addLayout(copy_row)
        manual.addSpacing(self.fontMetrics().lineSpacing() * 2)
        manual.addWidget(paragraph("Then type the six digits the app shows:"))
        code_row = QHBoxLayout()
        code_row.addWidget(code_label)
        code_row.addWidget(self.code_edit)
        code_row.addStretch(1)
        manual.addLayout(code_row)
        manual.addWidget(self.code_message)
        manual.addStretch(1)

        row = QHBoxLayout()
        row.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignTop)
        row.addSpacing(self.fontMetrics().lineSpacing())
        row.addLayout(manual, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(
            paragraph(
                "Open an authenticator app on your phone, add an account, and scan this "
                "code with it."
            )
        )
        layout.addSpacing(self.fontMetrics().lineSpacing() // 2)
        layout.addLayout(row, 1)
        self.setTabOrder(self.copy_button, self.code_edit)

    def initializePage(self) -> None:
        self.qr.set_data(self._plan.totp_uri(self.text_field("ownerUsername").strip()))
        QTimer.singleShot(0, self.code_edit.setFocus)

    def _copy_secret(self) -> None:
        self._clipboard.copy(self._plan.totp_secret)
        self.copy_status.setText("Copied.")

    def _code_changed(self, text: str) -> None:
        digits = "".join(text.split())
        message = ""
        if len(digits) == totp.DIGITS:
            step = totp.verify_code(
                self._plan.totp_secret, digits, self._services.clock.now(), None
            )
            self._verified_code = digits if step is not None else None
            message = "That's right. Your phone is set up." if step is not None else CODE_MISMATCH
        self.code_message.setText(message)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        digits = "".join(self.code_edit.text().split())
        return self._verified_code is not None and digits == self._verified_code
