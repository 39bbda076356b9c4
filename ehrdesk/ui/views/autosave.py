"""What every chart editor shares: an autosave every few seconds while there is
something unsaved, a save when the session is about to lock (before the connection
closes: `session.locking` is published on this thread, and handled here directly,
not through a queued Qt signal), and text fields that refuse a paste past the limit
with one sentence instead of taking it in and failing later.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QMimeData, QTimer, Signal
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QWidget

from ehrdesk import crashlog
from ehrdesk.core.chart import MAX_TEXT_CHARS
from ehrdesk.core.errors import ConcurrentEditError, UserFacingError
from ehrdesk.core.events import EventBus

AUTOSAVE_MS = 4000
PASTE_REFUSED = (
    f"That paste is too long for one note ({MAX_TEXT_CHARS:,} characters at most); "
    "nothing was pasted and nothing was lost."
)


class BoundedTextEdit(QPlainTextEdit):
    """A text field that knows how much room its editor has left."""

    refused = Signal(str)

    def __init__(self, room: Callable[[], int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._room = room
        self.setTabChangesFocus(True)

    def insertFromMimeData(self, source: QMimeData) -> None:
        incoming = len(source.text()) - len(self.textCursor().selectedText())
        if incoming > self._room():
            self.refused.emit(PASTE_REFUSED)
            return
        super().insertFromMimeData(source)


class AutosaveEditor(QWidget):
    """Subclasses implement `_save()` (which writes and returns nothing) and call
    `_changed()` whenever the person edits something."""

    saved = Signal()

    def __init__(self, events: EventBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._events = events
        self._dirty = False
        self._loading = False
        self.status = QLabel()
        self.status.setObjectName("saved")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Save status")
        self.autosave = QTimer(self)
        self.autosave.setInterval(AUTOSAVE_MS)
        self.autosave.timeout.connect(self.save_if_changed)
        events.subscribe("session.locking", self._on_locking)

    @property
    def dirty(self) -> bool:
        return self._dirty

    def _changed(self) -> None:
        if self._loading:
            return
        self._dirty = True
        if not self.autosave.isActive():
            self.autosave.start()

    def _save(self) -> None:
        raise NotImplementedError

    def room(self) -> int:
        """Characters that may still be added (all text fields together)."""
        return MAX_TEXT_CHARS

    def save_if_changed(self) -> bool:
        """Save now if anything changed; False if the save was refused."""
        if not self._dirty:
            self.autosave.stop()
            return True
        try:
            self._save()
        except ConcurrentEditError as error:
            self.autosave.stop()
            self.status.setText(error.message)
            return False
        except UserFacingError as error:
            self.status.setText(error.message)
            return False
        self._dirty = False
        self.autosave.stop()
        self.status.setText(f"Saved at {datetime.now().astimezone():%H:%M:%S}")
        self.saved.emit()
        return True

    def _on_locking(self, **_: object) -> None:
        """The session is about to lock: save while the database is still open."""
        try:
            self.save_if_changed()
        except Exception as error:  # the lock goes on; the log keeps the traceback
            crashlog.record(error)

    def _refused(self, message: str) -> None:
        self.status.setText(message)

    def stop(self) -> None:
        self.autosave.stop()
        self._dirty = False
        self.status.clear()
