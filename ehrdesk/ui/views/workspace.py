"""The signed-in workspace: navigation on the left, one view at a time on the right.

Items a role may not use are not shown (the services refuse them anyway). Every view
here has `clear()`, called when the session locks.
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

from ehrdesk.core.models import Role
from ehrdesk.core.permissions import Action, allowed
from ehrdesk.services.auth import SignedIn
from ehrdesk.services.registry import Services
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.views.audit import AuditView
from ehrdesk.ui.views.clients import ClientsView
from ehrdesk.ui.views.schedule import ScheduleView
from ehrdesk.ui.views.today import EmptyView, TodayView
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
        self.today = TodayView()
        self.audit = AuditView(services)
        self.schedule = ScheduleView(services)
        self.clients = ClientsView(services)
        self.waitlist = WaitlistView(services)
        self.views: dict[str, QWidget] = {
            "today": self.today,
            "schedule": self.schedule,
            "clients": self.clients,
            "waitlist": self.waitlist,
            "audit": self.audit,
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
