"""Sign-in in two steps: username and password, then the six-digit code.

The password is not checked until the code is given too, so a failure never says which
part was wrong. After three failures the button waits out a visible countdown; a locked
account says who can unlock it.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QWidget,
)

from ehrdesk.core.errors import AccountLocked, SignInThrottled, UserFacingError
from ehrdesk.services.auth import SignedIn
from ehrdesk.services.registry import Services
from ehrdesk.ui.errors import message_for
from ehrdesk.ui.tasks import busy_cursor
from ehrdesk.ui.widgets.card import Card, button, button_row, centre, heading, message_label
from ehrdesk.ui.widgets.selectable import SELECTABLE


class SignInView(QWidget):
    signed_in = Signal(object)  # SignedIn
    back_requested = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._tick)
        self._wait_until = 0.0

        card = Card()
        self._title = heading("Sign in to ehrdesk")
        card.body.addWidget(self._title)
        self._demo_hint = QLabel()
        self._demo_hint.setWordWrap(True)
        self._demo_hint.setTextInteractionFlags(SELECTABLE)
        self._demo_hint.setAccessibleName("Demo credentials")
        self._demo_hint.hide()
        card.body.addWidget(self._demo_hint)

        self._steps = QStackedWidget()
        card.body.addWidget(self._steps)

        first = QWidget()
        form = QFormLayout(first)
        self.username = QLineEdit()
        self.username.setAccessibleName("Username")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        form.addRow("&Username", self.username)
        form.addRow("&Password", self.password)
        self._steps.addWidget(first)

        second = QWidget()
        form2 = QFormLayout(second)
        prompt = QLabel(
            "Enter the six-digit code from your authenticator app, or one of your recovery codes."
        )
        prompt.setWordWrap(True)
        form2.addRow(prompt)
        self.code = QLineEdit()
        self.code.setAccessibleName("Second-factor code")
        self.code.setMaxLength(16)
        form2.addRow("&Code", self.code)
        self._steps.addWidget(second)

        self.message = message_label("Sign-in message")
        card.body.addWidget(self.message)
        self.back = button("&Back", "Back", self._back)
        self.next = button("&Next", "Next", self._advance)
        card.body.addLayout(button_row(self.back, self.next))

        for field in (self.username, self.password, self.code):
            field.returnPressed.connect(self._advance)

        centre(card, self)
        self._switching = False
        self.reset()

    # State ---------------------------------------------------------------------

    def reset(self, *, switching: bool = False) -> None:
        """Back to step one with every field empty."""
        self._switching = switching
        for field in (self.username, self.password, self.code):
            field.clear()
        self.message.clear()
        self._steps.setCurrentIndex(0)
        self.next.setText("&Next")
        self.back.setVisible(switching)
        self.username.setFocus()

    def show_demo_credentials(self, text: str) -> None:
        self._title.setText("Sign in to the DEMO practice")
        self._demo_hint.setText(text)
        self._demo_hint.show()

    def _back(self) -> None:
        if self._steps.currentIndex() == 1:
            self._steps.setCurrentIndex(0)
            self.code.clear()
            self.next.setText("&Next")
            self.back.setVisible(self._switching)
            self.password.setFocus()
        else:
            self.back_requested.emit()

    def _advance(self) -> None:
        if not self.next.isEnabled():
            return
        if self._steps.currentIndex() == 0:
            if not self.username.text().strip() or not self.password.text():
                self.message.setText("Please enter your username and password.")
                return
            self.message.clear()
            self._steps.setCurrentIndex(1)
            self.next.setText("&Sign in")
            self.back.setVisible(True)
            self.code.setFocus()
            return
        self._sign_in()

    def _sign_in(self) -> None:
        username, password, code = (
            self.username.text().strip(),
            self.password.text(),
            self.code.text(),
        )
        try:
            with busy_cursor():
                result: SignedIn = self._services.auth.sign_in(username, password, code)
        except SignInThrottled as error:
            self._start_countdown(error.retry_after)
            return
        except AccountLocked as error:
            self._fail(error.message)
            return
        except UserFacingError as error:
            self._fail(error.message)
            self._throttle_hint(username)
            return
        except Exception as error:  # logged, shown as one generic sentence
            self._fail(message_for(error) or "")
            return
        self.password.clear()
        self.code.clear()
        self.signed_in.emit(result)

    def _fail(self, text: str) -> None:
        self.message.setText(text)
        self.password.clear()
        self.code.clear()
        self._steps.setCurrentIndex(0)
        self.next.setText("&Next")
        self.password.setFocus()

    def _throttle_hint(self, username: str) -> None:
        status = self._services.auth.throttle_status(username)
        if status.retry_after > 0:
            self._start_countdown(status.retry_after, keep_message=True)

    def _start_countdown(self, seconds: float, *, keep_message: bool = False) -> None:
        self._wait_until = self._services.clock.monotonic() + seconds
        self._keep = self.message.text() if keep_message else ""
        self.next.setEnabled(False)
        self._countdown.start()
        self._tick()

    def _tick(self) -> None:
        left = self._wait_until - self._services.clock.monotonic()
        if left <= 0:
            self._countdown.stop()
            self.next.setEnabled(True)
            self.message.setText(self._keep)
            return
        wait = f"Too many unsuccessful sign-ins. You can try again in {int(left + 0.999)} seconds."
        self.message.setText(f"{self._keep}\n{wait}".strip())
