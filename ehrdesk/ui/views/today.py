"""Today: who is signed in and what needs their attention. Cleared on lock.

For the owner it also lists the unusual-activity flags (each opens the audit screen
filtered to its events) and the incidents counting down to their notification
deadline (each opens the incident register).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from ehrdesk.core.audit_review import ActivityFlag, AuditFilter
from ehrdesk.core.compliance import NotificationCountdown
from ehrdesk.services.auth import SignedIn
from ehrdesk.ui.widgets.card import heading

_FLAG = Qt.ItemDataRole.UserRole + 1
_INCIDENT = Qt.ItemDataRole.UserRole + 2


class TodayView(QWidget):
    #: A flag was opened: show its events on the audit screen.
    show_events = Signal(object)
    #: An incident's countdown was opened: show the incident register.
    show_incident = Signal(int)

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
        self.attention_heading = heading("Needs your attention", scale=1.15)
        layout.addWidget(self.attention_heading)
        self.attention = QListWidget()
        self.attention.setAccessibleName("Unusual activity and incident deadlines")
        self.attention.setWordWrap(True)
        self.attention.itemActivated.connect(self._open)
        self.attention.itemDoubleClicked.connect(self._open)
        layout.addWidget(self.attention, 1)
        self.attention_hint = QLabel("Press Enter on an item to see its events or incident.")
        self.attention_hint.setWordWrap(True)
        layout.addWidget(self.attention_hint)
        self._show_attention(False)
        layout.addStretch(1)

    def _show_attention(self, visible: bool) -> None:
        for widget in (self.attention_heading, self.attention, self.attention_hint):
            widget.setVisible(visible)

    def show_attention(
        self, countdowns: list[NotificationCountdown], flags: list[ActivityFlag]
    ) -> None:
        """The owner's list: deadlines first, then flags, newest first."""
        self.attention.clear()
        for countdown in countdowns:
            item = QListWidgetItem(countdown.summary)
            item.setData(_INCIDENT, countdown.incident_id)
            self.attention.addItem(item)
        for flag in flags:
            when = flag.last_at.astimezone().strftime("%a %d %b %H:%M")
            item = QListWidgetItem(f"{flag.summary} (latest {when})")
            item.setData(_FLAG, flag.events)
            self.attention.addItem(item)
        if not countdowns and not flags:
            self.attention.addItem("No unusual activity and no incident deadlines.")
        self._show_attention(True)

    def _open(self, item: QListWidgetItem) -> None:
        events = item.data(_FLAG)
        if isinstance(events, AuditFilter):
            self.show_events.emit(events)
        elif item.data(_INCIDENT) is not None:
            self.show_incident.emit(int(item.data(_INCIDENT)))

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
        self.attention.clear()
        self._show_attention(False)


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
