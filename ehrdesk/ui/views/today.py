"""Today: who is signed in and what needs their attention. Cleared on lock."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ehrdesk.services.auth import SignedIn
from ehrdesk.ui.widgets.card import heading


class TodayView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.greeting = heading("", scale=1.6)
        self.greeting.setAccessibleName("Greeting")
        layout.addWidget(self.greeting)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setAccessibleName("Reminders")
        layout.addWidget(self.notes)
        layout.addStretch(1)

    def show_for(self, signed: SignedIn, when: str, reminders: list[str] | None = None) -> None:
        user = signed.user
        first = user.full_name.split()[0] if user.full_name.split() else user.username
        self.greeting.setText(f"{when}, {first}")
        notes = [f"Signed in as {user.full_name} ({user.role.label})."]
        if signed.used_recovery_code:
            notes.append(
                f"You signed in with a recovery code; {signed.recovery_codes_left} are left. "
                "Set up your authenticator app again in Settings."
            )
        elif signed.recovery_codes_left <= 3:
            notes.append(
                f"Only {signed.recovery_codes_left} recovery codes are left; "
                "set up a new second factor in Settings to get ten new ones."
            )
        notes.extend(reminders or [])
        self.notes.setText("\n\n".join(notes))

    def clear(self) -> None:
        self.greeting.clear()
        self.notes.clear()


class EmptyView(QWidget):
    """A place the next parts of ehrdesk fill; says so plainly."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(title, scale=1.4))
        body = QLabel(text)
        body.setWordWrap(True)
        layout.addWidget(body)
        layout.addStretch(1)

    def clear(self) -> None:
        """Nothing about clients is shown here."""
