"""A new password typed twice, with a live strength meter and the policy's reasons.

Used wherever a person chooses a password: first-run setup, changing one's own
password, and the owner's user dialogs. The meter and the reasons are worked out
~150 ms after the last keystroke, so fast typing never waits on zxcvbn; asking
`is_acceptable()` works the verdict out at once, so it is never stale.

Invariant: the password is never put into a label, an accessible description, a log
or a signal; the reasons come from `passwords.check_password`, which never repeats it.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QWidget,
)

from ehrdesk.security import passwords

__all__ = ["MISMATCH", "PasswordField"]

MISMATCH = "The two passwords do not match."
DEBOUNCE_MS = 150


class PasswordField(QWidget):
    """Password and confirmation, a "show" toggle, a meter (0-4) and the reasons."""

    changed = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        policy: passwords.PasswordPolicy | None = None,
        context_words: Sequence[str] = (),
        password_label: str = "&Password",
        confirm_label: str = "&Confirm password",
    ) -> None:
        super().__init__(parent)
        self._policy = policy or passwords.PasswordPolicy()
        self._context: list[str] = list(context_words)
        self._reasons: list[str] = []
        self._acceptable = False
        self._stale = True

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._evaluate)

        self.password_edit = self._make_edit("Password")
        self.confirm_edit = self._make_edit("Confirm password")
        self.password_label = QLabel(password_label)
        self.password_label.setBuddy(self.password_edit)
        self.confirm_label = QLabel(confirm_label)
        self.confirm_label.setBuddy(self.confirm_edit)

        self.meter = QProgressBar()
        self.meter.setRange(0, 4)
        self.meter.setValue(0)
        self.meter.setTextVisible(False)
        self.meter.setMaximumHeight(max(6, self.fontMetrics().height() // 2))
        self.meter.setAccessibleName("Password strength")
        self.strength_label = QLabel()
        self.strength_label.setAccessibleName("Password strength")
        self.strength_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("Very strong  "))

        self.show_box = QCheckBox("Sho&w password")
        self.show_box.setAccessibleName("Show password")
        self.show_box.toggled.connect(self._show_toggled)

        self.reasons_label = QLabel()
        self.reasons_label.setWordWrap(True)
        self.reasons_label.setTextFormat(Qt.TextFormat.PlainText)
        self.reasons_label.setAccessibleName("Password requirements")
        self.reasons_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        # Room for three lines, so the page does not jump as reasons come and go.
        self.reasons_label.setMinimumHeight(self.fontMetrics().lineSpacing() * 3)
        self.advice_label = QLabel()
        self.advice_label.setWordWrap(True)
        self.advice_label.setTextFormat(Qt.TextFormat.PlainText)
        self.advice_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.advice_label.setAccessibleName("Password advice")

        meter_row = QHBoxLayout()
        meter_row.setContentsMargins(0, 0, 0, 0)
        meter_row.addWidget(self.meter, 1)
        meter_row.addWidget(self.strength_label)

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setColumnStretch(1, 1)
        grid.addWidget(self.password_label, 0, 0)
        grid.addWidget(self.password_edit, 0, 1)
        grid.addLayout(meter_row, 1, 1)
        grid.addWidget(self.confirm_label, 2, 0)
        grid.addWidget(self.confirm_edit, 2, 1)
        grid.addWidget(self.show_box, 3, 1)
        grid.addWidget(self.reasons_label, 4, 1)
        grid.addWidget(self.advice_label, 5, 1)

        self.setFocusProxy(self.password_edit)
        self.setTabOrder(self.password_edit, self.confirm_edit)
        self.setTabOrder(self.confirm_edit, self.show_box)
        self._evaluate()

    # Public API ---------------------------------------------------------------------

    def password(self) -> str:
        return self.password_edit.text()

    def is_acceptable(self) -> bool:
        """The policy accepts the password and the confirmation matches it."""
        self._flush()
        return self._acceptable

    def reasons(self) -> list[str]:
        """What stands in the way, in words; empty when the password is acceptable."""
        self._flush()
        return list(self._reasons)

    def set_context_words(self, words: Sequence[str]) -> None:
        """Names the password must not contain: the practice's, the person's."""
        words = [w for w in words if w.strip()]
        if words != self._context:
            self._context = words
            self._schedule()

    def set_policy(self, policy: passwords.PasswordPolicy) -> None:
        self._policy = policy
        for edit in (self.password_edit, self.confirm_edit):
            edit.setMaxLength(policy.max_length + 64)
        self._schedule()

    def clear(self) -> None:
        self.password_edit.clear()
        self.confirm_edit.clear()
        self._evaluate()

    def label_widgets(self) -> tuple[QLabel, QLabel]:
        """The two labels, so a form around this field can line its labels up."""
        return self.password_label, self.confirm_label

    # Inside -------------------------------------------------------------------------

    def _make_edit(self, name: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setAccessibleName(name)
        edit.setMaxLength(self._policy.max_length + 64)  # long enough to be told "too long"
        edit.textChanged.connect(self._schedule)
        # Enter right after typing must see the verdict on what was typed, not on what
        # the debounce last saw, so a dialog's default button is enabled in time.
        edit.returnPressed.connect(self._flush)
        return edit

    def _show_toggled(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.password_edit.setEchoMode(mode)
        self.confirm_edit.setEchoMode(mode)

    def _schedule(self) -> None:
        self._stale = True
        self._timer.start()

    def _flush(self) -> None:
        if self._stale:
            self._evaluate()

    def _evaluate(self) -> None:
        self._timer.stop()
        self._stale = False
        password = self.password_edit.text()
        confirm = self.confirm_edit.text()
        if password:
            measured = passwords.strength(password, self._context)
            reasons = passwords.check_password(password, self._policy, context_words=self._context)
        else:
            measured = passwords.strength("")
            reasons = []
        if confirm and confirm != password:
            reasons.append(MISMATCH)
        self._reasons = reasons
        self._acceptable = bool(password) and confirm == password and not reasons

        self.meter.setValue(measured.score if password else 0)
        self.strength_label.setText(measured.label if password else "")
        self.meter.setAccessibleDescription(measured.label if password else "Nothing typed yet")
        if not password:
            self.reasons_label.setText(
                f"Use at least {self._policy.min_length} characters. A few unrelated "
                "words make a password that is strong and easy to remember."
            )
            self.reasons_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        elif not reasons and not confirm:
            self.reasons_label.setText("Now type it again to confirm it.")
            self.reasons_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        elif self._acceptable:
            self.reasons_label.setText("The two passwords match.")
            self.reasons_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        else:
            self.reasons_label.setText("\n".join(reasons))
            self.reasons_label.setForegroundRole(QPalette.ColorRole.WindowText)
        advice = measured.advice if password and reasons else ""
        self.advice_label.setText(advice)
        self.advice_label.setVisible(bool(advice))
        self.changed.emit()
