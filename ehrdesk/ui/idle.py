"""The idle watcher: one application-wide event filter that tells the session the
person is active, and a one-second timer that asks the session whether to lock.

It decides nothing itself: `Session.check_timers` does. It also forwards the desktop's
screen lock where Qt can see it: the freedesktop/GNOME screensaver's ActiveChanged
signal on the session bus (Linux), and the application being suspended.
"""

from __future__ import annotations

from PySide6.QtCore import SLOT, QEvent, QObject, Qt, QTimer, Slot
from PySide6.QtGui import QGuiApplication

from ehrdesk.services.session import Session, SessionState

_ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}
_SCREENSAVERS = (
    ("org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver"),
    ("org.gnome.ScreenSaver", "/org/gnome/ScreenSaver", "org.gnome.ScreenSaver"),
)


class IdleWatcher(QObject):
    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.tick)
        self._timer.start()
        app = QGuiApplication.instance()
        if app is not None:
            app.installEventFilter(self)
            app.applicationStateChanged.connect(self._state_changed)  # type: ignore[attr-defined]
        self._watch_screensaver()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY:
            self._session.touch()
        return False

    @Slot()
    def tick(self) -> None:
        self._session.check_timers()

    def _state_changed(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationSuspended:
            self.os_locked(True)

    @Slot(bool)
    def os_locked(self, active: bool) -> None:
        if active and self._session.state is SessionState.SIGNED_IN:
            self._session.lock(reason="os_lock")

    def _watch_screensaver(self) -> None:
        try:
            from PySide6.QtDBus import QDBusConnection  # noqa: PLC0415 - optional module
        except ImportError:  # pragma: no cover - platforms without QtDBus
            return
        bus = QDBusConnection.sessionBus()
        if not bus.isConnected():
            return
        for service, path, interface in _SCREENSAVERS:
            # The stubs want bytes; at run time only the str that SLOT() makes is accepted.
            slot = SLOT("os_locked(bool)")
            bus.connect(service, path, interface, "ActiveChanged", self, slot)  # type: ignore[call-overload]
