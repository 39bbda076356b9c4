"""The signed-in workspace: navigation on the left, one view at a time on the right.

Items a role may not use are not shown (the services refuse them anyway). Every view
here has `clear()`, called when the session locks.

`open_chart(client_id)` is how any view reaches a client's chart (Today's lists now;
the client list and the schedule after the front desk's views land).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QWidget,
)

from ehrdesk.core.models import Role
from ehrdesk.core.permissions import Action, allowed
from ehrdesk.services.auth import SignedIn
from ehrdesk.services.registry import Services
from ehrdesk.ui.views.audit import AuditView
from ehrdesk.ui.views.chart import ChartView
from ehrdesk.ui.views.today import EmptyView, TodayView


@dataclass(frozen=True)
class Place:
    key: str
    label: str
    action: Action | None  # None: every role


PLACES = (
    Place("today", "Today", None),
    Place("schedule", "Schedule", None),
    Place("clients", "Clients", None),
    Place("audit", "Audit", Action.VIEW_AUDIT_LOG),
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
        self.nav = QListWidget()
        self.nav.setAccessibleName("Navigation")
        em = self.fontMetrics().horizontalAdvance("M")
        self.nav.setFixedWidth(11 * em)
        self.stack = QStackedWidget()
        self.today = TodayView(services)
        self.today.chart_requested.connect(self.open_chart)
        self.audit = AuditView(services)
        self.chart = ChartView(services)
        self.chart.closed.connect(self.close_chart)
        self.views: dict[str, QWidget] = {
            "today": self.today,
            "schedule": EmptyView(
                "Schedule",
                "Appointments for every clinician will be shown here, by day and by week.",
            ),
            "clients": EmptyView("Clients", "Client records will be listed and searched here."),
            "audit": self.audit,
            "chart": self.chart,
            "backups": EmptyView(
                "Backups", "Encrypted backups to a USB drive will be taken and checked here."
            ),
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
        self._fill_nav(signed.user.role)
        now = self._services.clock.now().astimezone()
        self.today.show_for(signed, greeting_for(now.hour))
        self.nav.setCurrentRow(0)
        self.nav.setFocus()

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
        if view is self.audit:
            self.audit.refresh()
        elif view is self.today:
            self.today.refresh()

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
        self.nav.blockSignals(True)
        self.nav.clear()
        self.nav.blockSignals(False)
        for view in self.views.values():
            view.clear()  # type: ignore[attr-defined]
