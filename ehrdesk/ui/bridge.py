"""Turns the services' plain events into Qt signals delivered on the GUI thread
(Electrum's QtEventListener, Dangerzone's GUIMixin): core tells, the UI listens."""

from __future__ import annotations

from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal

from ehrdesk.core.events import EventBus


class SessionSignals(QObject):
    signed_in = Signal(object)  # User
    unlocked = Signal(object)  # User
    locked = Signal(str)  # reason
    signed_out = Signal(str)  # reason

    def __init__(self, events: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Emitted on the publishing thread; Qt queues them to receivers that live on
        # the GUI thread (AutoConnection), so slots always run there.
        self._events = events
        events.subscribe("session.signed_in", self._on_signed_in)
        events.subscribe("session.unlocked", self._on_unlocked)
        events.subscribe("session.locked", self._on_locked)
        events.subscribe("session.signed_out", self._on_signed_out)

    def _emit(self, signal: Any, value: Any) -> None:
        if shiboken6.isValid(self):  # the Qt side may be gone before Python's
            signal.emit(value)

    def _on_signed_in(self, user: Any) -> None:
        self._emit(self.signed_in, user)

    def _on_unlocked(self, user: Any) -> None:
        self._emit(self.unlocked, user)

    def _on_locked(self, reason: str) -> None:
        self._emit(self.locked, reason)

    def _on_signed_out(self, reason: str) -> None:
        self._emit(self.signed_out, reason)
