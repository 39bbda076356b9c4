"""Today: who is signed in and what needs their attention: their unsigned notes,
treatment plans due for review, and (for the owner) charts opened with emergency
access, until acknowledged, the unusual-activity flags (each opens the audit screen
filtered to its events), the incidents counting down to their notification deadline
(each opens the incident register) and the backup reminder; and a search over their
own notes. Every line that names a client opens that client's chart. Cleared on
lock."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.audit_review import ActivityFlag, AuditFilter
from ehrdesk.core.compliance import NotificationCountdown
from ehrdesk.core.permissions import Action, allowed
from ehrdesk.services.auth import SignedIn
from ehrdesk.services.registry import Services
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.widgets.card import heading
from ehrdesk.ui.widgets.todays_appointments import TodaysAppointments

CLIENT = Qt.ItemDataRole.UserRole + 1
NOTE = Qt.ItemDataRole.UserRole + 2
GRANT = Qt.ItemDataRole.UserRole + 3
FLAG = Qt.ItemDataRole.UserRole + 4
INCIDENT = Qt.ItemDataRole.UserRole + 5


def _list(name: str) -> QListWidget:
    widget = QListWidget()
    widget.setAccessibleName(name)
    _fit(widget)
    return widget


def _fit(widget: QListWidget, most: int = 8) -> None:
    """As tall as its lines (one at least, `most` at most; it scrolls beyond)."""
    row = widget.sizeHintForRow(0) if widget.count() else widget.fontMetrics().height() + 6
    rows = min(max(widget.count(), 1), most)
    widget.setFixedHeight(rows * max(row, 1) + 2 * widget.frameWidth() + 4)


class TodayView(QWidget):
    #: (client id, note id or 0): open this chart, at this note.
    chart_requested = Signal(int, int)
    #: A flag was opened: show its events on the audit screen.
    show_events = Signal(object)
    #: An incident's countdown was opened: show the incident register.
    show_incident = Signal(int)
    #: One of today's appointments was opened (its id).
    appointment_requested = Signal(int)

    def __init__(self, services: Services | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        # A long day (every list full) scrolls instead of squeezing the lists.
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroller = QScrollArea()
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        scroller.setWidget(inner)
        outer.addWidget(scroller)
        layout = QVBoxLayout(inner)
        self.greeting = heading("", scale=1.6)
        self.greeting.setAccessibleName("Greeting")
        layout.addWidget(self.greeting)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setAccessibleName("Reminders")
        layout.addWidget(self.notes)
        self.appointments = TodaysAppointments()
        self.appointments.appointment_requested.connect(self.appointment_requested)
        self.appointments.hide()
        layout.addWidget(self.appointments)
        self.attention_heading = heading("Needs your attention", scale=1.1)
        self.attention = _list("Unusual activity and incident deadlines")
        self.attention.setWordWrap(True)
        self.attention.itemActivated.connect(self._open_attention)
        self.attention.itemDoubleClicked.connect(self._open_attention)
        layout.addWidget(self.attention_heading)
        layout.addWidget(self.attention)
        self._show_attention(False)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search your notes (press Enter)")
        self.search.setAccessibleName("Search your notes")
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(self.search_notes)
        self.results = _list("Notes found")
        self.unsigned_title = heading("Notes to sign", scale=1.1)
        self.unsigned = _list("Notes to sign")
        self.reviews_title = heading("Treatment plans due for review", scale=1.1)
        self.reviews = _list("Treatment plans due for review")
        self.emergency_title = heading("Emergency access to review", scale=1.1)
        self.emergency = _list("Emergency access to review")
        self.acknowledge = QPushButton("&Acknowledge")
        self.acknowledge.setAccessibleName("Acknowledge the selected emergency access")
        self.acknowledge.clicked.connect(self.acknowledge_selected)
        self.emergency_reason = QLabel()
        self.emergency_reason.setWordWrap(True)
        self.emergency_reason.setAccessibleName("Reason given for emergency access")
        self.emergency.currentItemChanged.connect(self._show_reason)
        ack_row = QHBoxLayout()
        ack_row.addWidget(self.emergency_reason, 1)
        ack_row.addWidget(self.acknowledge)
        parts: list[QWidget] = [self.search, self.results, self.emergency_title, self.emergency]
        for part in parts:
            layout.addWidget(part)
        layout.addLayout(ack_row)
        for part in (self.unsigned_title, self.unsigned, self.reviews_title, self.reviews):
            layout.addWidget(part)
        layout.addStretch(1)
        for widget in (self.results, self.unsigned, self.reviews, self.emergency):
            widget.itemActivated.connect(self._open)
        self._chart_parts: list[QWidget] = [
            self.search,
            self.results,
            self.unsigned_title,
            self.unsigned,
            self.reviews_title,
            self.reviews,
        ]
        self._owner_parts: list[QWidget] = [
            self.emergency_title,
            self.emergency,
            self.emergency_reason,
            self.acknowledge,
        ]
        self._charts = self._owner = self._schedule = False
        self._set_visible(charts=False, owner=False)

    def _set_visible(self, *, charts: bool, owner: bool) -> None:
        for widget in self._chart_parts:
            widget.setVisible(charts)
        self.results.setVisible(charts and self.results.count() > 0)
        for widget in self._owner_parts:
            widget.setVisible(owner)

    def _show_attention(self, visible: bool) -> None:
        for widget in (self.attention_heading, self.attention):
            widget.setVisible(visible)

    def show_attention(
        self, countdowns: list[NotificationCountdown], flags: list[ActivityFlag]
    ) -> None:
        """The owner's list: deadlines first, then flags, newest first."""
        self.attention.clear()
        for countdown in countdowns:
            item = QListWidgetItem(countdown.summary)
            item.setData(INCIDENT, countdown.incident_id)
            self.attention.addItem(item)
        for flag in flags:
            when = flag.last_at.astimezone().strftime("%a %d %b %H:%M")
            item = QListWidgetItem(f"{flag.summary} (latest {when})")
            item.setData(FLAG, flag.events)
            self.attention.addItem(item)
        if not countdowns and not flags:
            self.attention.addItem("No unusual activity and no incident deadlines.")
        _fit(self.attention)
        self._show_attention(True)

    def _open_attention(self, item: QListWidgetItem) -> None:
        events = item.data(FLAG)
        if isinstance(events, AuditFilter):
            self.show_events.emit(events)
        elif item.data(INCIDENT) is not None:
            self.show_incident.emit(int(item.data(INCIDENT)))

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
        self._schedule = allowed(user.role, Action.VIEW_SCHEDULE)
        self._charts = allowed(user.role, Action.WRITE_NOTES)
        self._owner = allowed(user.role, Action.REVIEW_EMERGENCY_ACCESS)
        self._set_visible(charts=self._charts, owner=self._owner)
        self.refresh()

    def refresh(self) -> None:
        """The lists again (coming back to Today from a chart)."""
        if self._schedule:
            self.refresh_appointments()
        if self._charts or self._owner:
            self.refresh_lists(charts=self._charts, owner=self._owner)

    def refresh_appointments(self) -> None:
        services = self._services
        if services is None:
            return
        try:
            entries = services.schedule.today()
            zone = ZoneInfo(services.schedule.settings().time_zone)
            names = {c.id: c.full_name for c in services.schedule.clinicians()}
        except Exception as error:
            show_error(self, error)
            return
        self.appointments.show_entries(entries, zone, names)
        self.appointments.show()

    def refresh_lists(self, *, charts: bool = True, owner: bool = False) -> None:
        services = self._services
        if services is None:
            return
        try:
            if charts:
                self.unsigned.clear()
                for note in services.charts.unsigned_notes():
                    when = note.service_at.astimezone()
                    self._add(
                        self.unsigned,
                        f"{note.client_name} — {when:%a %d %b %Y %H:%M} — {note.template_name}",
                        note.client_id,
                        note.note_id,
                    )
                if not self.unsigned.count():
                    self.unsigned.addItem("Every note is signed.")
                self.reviews.clear()
                for due in services.charts.plan_reviews_due():
                    self._add(
                        self.reviews, f"{due.client_name} — review by {due.review_date:%d %b %Y}",
                        due.client_id,
                    )  # fmt: skip
                if not self.reviews.count():
                    self.reviews.addItem("No plan is due for review in the next two weeks.")
                _fit(self.unsigned)
                _fit(self.reviews)
            if owner:
                self.emergency.clear()
                self.emergency_reason.clear()
                for notice in services.emergency.notices():
                    item = self._add(
                        self.emergency,
                        f"{notice.user_name} opened {notice.client_name}'s chart on "
                        f"{notice.started_at.astimezone():%d %b %Y at %H:%M} "
                        f"({notice.reason_category.label.split(':')[0].lower()})",
                        notice.client_id,
                    )
                    item.setData(GRANT, notice.grant_id)
                if not self.emergency.count():
                    self.emergency.addItem("No chart was opened with emergency access.")
                self.acknowledge.setEnabled(self.emergency.item(0).data(GRANT) is not None)
                _fit(self.emergency)
        except Exception as error:
            show_error(self, error)

    def _add(
        self, widget: QListWidget, text: str, client_id: int, note_id: int = 0
    ) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setData(CLIENT, client_id)
        item.setData(NOTE, note_id)
        widget.addItem(item)
        return item

    def _open(self, item: QListWidgetItem) -> None:
        client_id = item.data(CLIENT)
        if client_id is not None:
            self.chart_requested.emit(int(client_id), int(item.data(NOTE) or 0))

    def _show_reason(self, item: QListWidgetItem | None) -> None:
        grant_id = None if item is None else item.data(GRANT)
        if grant_id is None or self._services is None:
            self.emergency_reason.clear()
            return
        grant = self._services.emergency.grant(int(grant_id))
        self.emergency_reason.setText(f"Reason given: {grant.reason}")

    def acknowledge_selected(self) -> None:
        item = self.emergency.currentItem()
        grant_id = None if item is None else item.data(GRANT)
        if grant_id is None or self._services is None:
            return
        try:
            grant = self._services.emergency.grant(int(grant_id))
            self._services.emergency.acknowledge(grant)
        except Exception as error:
            show_error(self, error)
            return
        self.refresh_lists(charts=False, owner=True)

    def search_notes(self) -> None:
        query = self.search.text().strip()
        if not query or self._services is None:
            return
        self.results.clear()
        try:
            hits = self._services.charts.search_notes(query)
        except Exception as error:
            show_error(self, error)
            return
        for hit in hits:
            when = hit.service_at.astimezone()
            self._add(
                self.results,
                f"{hit.client_name} — {when:%d %b %Y} — {hit.plain_snippet}",
                hit.client_id,
                hit.note_id,
            )
        if not hits:
            self.results.addItem(f"None of your notes holds “{query}”.")
        _fit(self.results)
        self.results.setVisible(True)

    def clear(self) -> None:
        self.greeting.clear()
        self.notes.clear()
        for widget in (self.unsigned, self.reviews, self.emergency, self.results, self.attention):
            widget.clear()
        self._show_attention(False)
        self.search.clear()
        self.emergency_reason.clear()
        self._charts = self._owner = self._schedule = False
        self.appointments.clear()
        self.appointments.hide()
        self._set_visible(charts=False, owner=False)


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
