"""The lock screen: the practice and the signed-in person, nothing about clients.

Unlock with the password, or switch user (a front-desk person and a therapist sharing
the workstation). The session is locked before this is shown: the database is closed
and every view that showed client data has been cleared.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QWidget,
)

from ehrdesk.core.errors import SignInThrottled, UserFacingError
from ehrdesk.core.models import User
from ehrdesk.services.registry import Services
from ehrdesk.ui.errors import message_for
from ehrdesk.ui.tasks import busy_cursor
from ehrdesk.ui.widgets.card import Card, button, button_row, centre, heading, message_label


class LockScreen(QWidget):
    unlocked = Signal()
    switch_user = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        card = Card()
        self.practice = heading("")
        self.practice.setAccessibleName("Practice")
        card.body.addWidget(self.practice)
        self.who = QLabel()
        self.who.setWordWrap(True)
        self.who.setAccessibleName("Signed-in user")
        card.body.addWidget(self.who)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Password")
        self.password.setAccessibleName("Password")
        self.password.returnPressed.connect(self._unlock)
        card.body.addWidget(self.password)
        self.message = message_label("Unlock message")
        card.body.addWidget(self.message)
        self.switch = button("S&witch user", "Switch user", self.switch_user.emit)
        self.unlock = button("&Unlock", "Unlock", self._unlock)
        card.body.addLayout(button_row(self.switch, self.unlock))
        centre(card, self)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(lambda: self.unlock.setEnabled(True))

    def show_for(self, practice_name: str, user: User, *, demo: bool = False) -> None:
        self.practice.setText(("DEMO — " if demo else "") + (practice_name or "ehrdesk"))
        self.who.setText(f"Locked. Signed in as {user.full_name} ({user.role.label}).")
        self.password.clear()
        self.message.clear()
        self.unlock.setEnabled(True)
        self.password.setFocus()

    def _unlock(self) -> None:
        if not self.unlock.isEnabled():
            return
        try:
            with busy_cursor():
                self._services.auth.unlock(self.password.text())
        except SignInThrottled as error:
            self.message.setText(error.message)
            self.unlock.setEnabled(False)
            self._retry.start(int(error.retry_after * 1000) + 1)
        except UserFacingError as error:
            self.message.setText(error.message)
        except Exception as error:
            self.message.setText(message_for(error) or "")
        else:
            self.password.clear()
            self.unlocked.emit()
            return
        self.password.clear()
        self.password.setFocus()
