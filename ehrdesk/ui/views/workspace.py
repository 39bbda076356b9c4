"""The signed-in workspace: navigation on the left, one view at a time on the right.

Items a role may not use are not shown (the services refuse them anyway). Every view
here has `clear()`, called when the session locks.

`open_chart(client_id)` is how any view reaches a client's chart (Today's lists now;
the client list and the schedule after the front desk's views land).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QWidget,
)

from ehrdesk.core.audit_review import AuditFilter
from ehrdesk.core.errors import UserFacingError
from ehrdesk.core.models import Role
from ehrdesk.core.permissions import Action, allowed
from ehrdesk.services.auth import SignedIn
from ehrdesk.services.registry import Services
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.views.audit import AuditView
from ehrdesk.ui.views.backups import BackupsView
from ehrdesk.ui.views.chart import ChartView
from ehrdesk.ui.views.clients import ClientsView
from ehrdesk.ui.views.incidents import IncidentsView
from ehrdesk.ui.views.safeguards import SafeguardsView
from ehrdesk.ui.views.schedule import ScheduleView
from ehrdesk.ui.views.security_check import SecurityCheckView
from ehrdesk.ui.views.today import TodayView
from ehrdesk.ui.views.waitlist import WaitlistView


@dataclass(frozen=True)
class Place:
    key: str
    label: str
    action: Action | None  # None: every role


PLACES = (
    Place("today", "Today", None),
    Place("schedule", "Schedule", Action.VIEW_SCHEDULE),
    Place("clients", "Clients", Action.VIEW_CLIENTS),
    Place("waitlist", "Waitlist", Action.MANAGE_WAITLIST),
    Place("audit", "Audit", Action.VIEW_AUDIT_LOG),
    Place("incidents", "Incidents", Action.MANAGE_INCIDENTS),
    Place("safeguards", "Safeguards", Action.MANAGE_SAFEGUARDS),
    Place("security", "Security check", Action.RUN_SECURITY_CHECK),
    Place("backups", "Backups", Action.MANAGE_BACKUPS),
    Place("settings", "Settings", None),
)


def greeting_for(hour: int) -> str:
    return "Good morning" if hour < 12 else "Good afternoon" if hour < 18 else "Good evening"


class Workspace(QWidget):
    settings_requested = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._signed: SignedIn | None = None
        self.nav = QListWidget()
        self.nav.setAccessibleName("Navigation")
        em = self.fontMetrics().horizontalAdvance("M")
        widest = max(self.nav.fontMetrics().horizontalAdvance(p.label) for p in PLACES)
        self.nav.setFixedWidth(widest + 3 * em)
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack = QStackedWidget()
        self.today = TodayView(services)
        self.today.chart_requested.connect(self.open_chart)
        self.audit = AuditView(services)
        self.backups = BackupsView(services)
        self.backups.backed_up.connect(self.refresh_reminders)
        self.incidents = IncidentsView(services)
        self.safeguards = SafeguardsView(services)
        self.security = SecurityCheckView(services)
        self.today.show_events.connect(self.show_audit_events)
        self.today.show_incident.connect(self.show_incident)
        self.chart = ChartView(services)
        self.chart.closed.connect(self.close_chart)
        self.schedule = ScheduleView(services)
        self.clients = ClientsView(services)
        self.waitlist = WaitlistView(services)
        self.clients.chart_requested.connect(self.open_chart)
        self.today.appointment_requested.connect(self.open_appointment)
        self.schedule.chart_requested.connect(self.open_chart_for_appointment)
        self.views: dict[str, QWidget] = {
            "today": self.today,
            "schedule": self.schedule,
            "clients": self.clients,
            "waitlist": self.waitlist,
            "audit": self.audit,
            "incidents": self.incidents,
            "safeguards": self.safeguards,
            "security": self.security,
            "backups": self.backups,
            "chart": self.chart,
        }
        for view in self.views.values():
            self.stack.addWidget(view)
        layout = QHBoxLayout(self)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.nav.currentItemChanged.connect(self._go)
        self.nav.itemActivated.connect(self._activated)
        self.nav.itemClicked.connect(self._activated)

    def show_for(self, signed: SignedIn) -> None:
        self._signed = signed
        self._fill_nav(signed.user.role)
        self.nav.blockSignals(True)
        self.nav.setCurrentRow(0)
        self.nav.blockSignals(False)
        self.stack.setCurrentWidget(self.today)
        self.refresh_today()
        self.nav.setFocus()

    def refresh_reminders(self) -> None:
        """Today's greeting and notes, with the backup reminder for the owner."""
        signed = self._signed
        if signed is None:
            return
        now = self._services.clock.now().astimezone()
        reminders = []
        if allowed(signed.user.role, Action.MANAGE_BACKUPS):
            try:
                reminder = self._services.backups.reminder()
            except UserFacingError:
                reminder = None  # locked meanwhile: nothing to remind anyone of
            if reminder is not None:
                reminders.append(reminder)
        self.today.show_for(signed, greeting_for(now.hour), reminders)

    def refresh_today(self) -> None:
        """Everything on Today again (coming back to it from another place)."""
        self.refresh_reminders()
        if self._signed is not None:
            self._attention(self._signed.user.role)

    def _attention(self, role: Role) -> None:
        """The owner's flags and incident deadlines on Today."""
        if not (allowed(role, Action.VIEW_AUDIT_LOG) and allowed(role, Action.MANAGE_INCIDENTS)):
            return
        try:
            countdowns = self._services.incidents.countdowns()
            flags = self._services.activity.flags()
        except Exception as error:
            show_error(self, error)
            return
        self.today.show_attention(countdowns, flags)

    def go_to(self, key: str) -> None:
        places = self.visible_places()
        if key in places:
            self.nav.setCurrentRow(places.index(key))

    def show_audit_events(self, filt: AuditFilter) -> None:
        self.go_to("audit")
        self.audit.show_events(filt)

    def show_incident(self, incident_id: int) -> None:
        self.go_to("incidents")
        self.incidents.refresh(select=incident_id)

    def _fill_nav(self, role: Role) -> None:
        self.nav.blockSignals(True)
        self.nav.clear()
        for place in PLACES:
            if place.action is None or allowed(role, place.action):
                item = QListWidgetItem(place.label)
                item.setData(Qt.ItemDataRole.UserRole, place.key)
                self.nav.addItem(item)
        self.nav.blockSignals(False)

    def visible_places(self) -> list[str]:
        return [self.nav.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.nav.count())]

    def _go(self, current: QListWidgetItem | None, previous: QListWidgetItem | None) -> None:
        if current is None:
            return
        key = current.data(Qt.ItemDataRole.UserRole)
        if key == "settings":
            return  # opened on Enter or a click (itemActivated), not by arrowing past it
        view = self.views[key]
        self.stack.setCurrentWidget(view)
        if view is self.today:
            self.refresh_today()
        elif view in (self.audit, self.incidents, self.safeguards, self.security, self.backups):
            view.refresh()
        elif view is self.clients:
            self._load(self.clients.show_for_role)
        elif view is self.schedule:
            self._load(self.schedule.show_for_role)
        elif view is self.waitlist:
            self.waitlist.refresh()

    def _load(self, show: Callable[[], None]) -> None:
        try:
            show()
        except Exception as error:
            show_error(self, error)

    def open_chart(self, client_id: int, note_id: int = 0) -> bool:
        """Show a client's chart (at one of its notes); False if it stays closed."""
        if not self.chart.open(client_id):
            return False
        # The open chart is a place in the navigation while it is open, and the current
        # one: focus landing on the list (a button hidden under it) then changes nothing.
        self.nav.blockSignals(True)
        row = self._chart_row()
        if row is None:
            item = QListWidgetItem("Chart")
            item.setData(Qt.ItemDataRole.UserRole, "chart")
            item.setToolTip("The chart that is open")
            places = self.visible_places()
            at = places.index("clients") + 1 if "clients" in places else len(places)
            self.nav.insertItem(at, item)
            row = at
        self.nav.setCurrentRow(row)
        self.nav.blockSignals(False)
        self.stack.setCurrentWidget(self.chart)
        if note_id:
            try:
                note = self._services.notes.note(note_id)
            except Exception:  # the chart is open; the note may be gone
                return True
            me = self._services.session.current_user()
            if not note.signed and note.author_id == me.id:
                self.chart.edit_note(note)
            else:
                self.chart.show_note(note)
        return True

    def open_appointment(self, appointment_id: int) -> None:
        """From Today: the appointment's dialog (check in, cancel, the chart)."""
        self.schedule.open_appointment(appointment_id)
        if self.stack.currentWidget() is self.today:
            self.refresh_today()

    def open_chart_for_appointment(self, client_id: int, appointment_id: int) -> None:
        """From the schedule: the client's chart, and the appointment's note if asked."""
        if self.open_chart(client_id) and appointment_id:
            self.chart.write_note_for(appointment_id)

    def _chart_row(self) -> int | None:
        places = self.visible_places()
        return places.index("chart") if "chart" in places else None

    def close_chart(self) -> None:
        self.chart.clear()
        row = self._chart_row()
        self.nav.blockSignals(True)
        if row is not None:
            self.nav.takeItem(row)
        self.nav.blockSignals(False)
        self.stack.setCurrentWidget(self.today)
        self.nav.setCurrentRow(0)

    def _activated(self, item: QListWidgetItem) -> None:
        if item.data(Qt.ItemDataRole.UserRole) == "settings":
            self.settings_requested.emit()

    def clear(self) -> None:
        """Called on lock: no view keeps anything it showed. The navigation is
        emptied with its signals blocked, so no view reloads from a locked session."""
        self._signed = None
        self.nav.blockSignals(True)
        self.nav.clear()
        self.nav.blockSignals(False)
        for view in self.views.values():
            view.clear()  # type: ignore[attr-defined]
