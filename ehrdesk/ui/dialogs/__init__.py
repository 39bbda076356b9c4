"""Dialogs: one substantial dialog per module (STYLE point 13).

Every dialog here calls the services directly on the GUI thread, which owns the
session's SQLCipher connection; slow calls (a key derived from a password) run under
`busy_cursor()`, never in a worker. Each dialog closes itself when the session locks,
so nothing typed or shown in it outlives the lock.
"""

from __future__ import annotations

import weakref

import shiboken6
from PySide6.QtCore import QMetaObject, Qt
from PySide6.QtWidgets import QDialog, QLabel, QLayout

from ehrdesk.core.events import EventBus


class LockWatcher:
    """Closes (rejects) a dialog when the session locks or signs out.

    It holds the dialog weakly and checks that the Qt object still exists, so a
    dialog that is gone can never make `Session.lock` fail halfway through its
    subscribers; from another thread the close is queued to the dialog's thread.
    """

    def __init__(self, dialog: QDialog, events: EventBus) -> None:
        self._dialog = weakref.ref(dialog)
        events.subscribe("session.locked", self.session_locked)

    def session_locked(self, **_: object) -> None:
        dialog = self._dialog()
        if dialog is not None and shiboken6.isValid(dialog):
            QMetaObject.invokeMethod(dialog, "reject", Qt.ConnectionType.AutoConnection)


def line_up_labels(*labels: QLabel) -> None:
    """Give labels from different layouts (a form and a `PasswordField`'s own grid)
    one width, so their fields start in one column."""
    width = max(label.sizeHint().width() for label in labels)
    for label in labels:
        label.setMinimumWidth(width)


def fit_to_contents(dialog: QDialog, layout: QLayout, *, spare_lines: int = 0) -> None:
    """Resize `dialog` to what its visible contents need at its minimum width, plus
    `spare_lines` of room for text that comes and goes (a password's reasons).

    `adjustSize` measures word-wrapped labels at the narrowest width the dialog could
    have, and so comes out too tall; this asks the layout at the width it will get.
    """
    layout.activate()
    width = max(dialog.minimumWidth(), dialog.sizeHint().width())
    height = max(layout.totalHeightForWidth(width), layout.totalMinimumSize().height())
    dialog.resize(width, height + spare_lines * dialog.fontMetrics().lineSpacing())
