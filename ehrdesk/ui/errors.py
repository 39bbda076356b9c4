"""The one path by which errors reach the person (STYLE points 9-11).

A `UserFacingError` shows its own sentence; `UserCancelled` shows nothing; anything
else is written to the log with its traceback and shown as one generic sentence that
names the log. No exception text of an unexpected error ever reaches the screen.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from ehrdesk import crashlog
from ehrdesk.core.errors import UserCancelled, UserFacingError


def message_for(error: BaseException) -> str | None:
    """The sentence to show for `error`, or None for a silent cancel."""
    if isinstance(error, UserCancelled):
        return None
    if isinstance(error, UserFacingError):
        return error.message
    return crashlog.generic_message(crashlog.record(error))


def show_error(parent: QWidget | None, error: BaseException) -> None:
    text = message_for(error)
    if text is None:
        return
    box = QMessageBox(
        QMessageBox.Icon.Warning, "ehrdesk", text, QMessageBox.StandardButton.Ok, parent
    )
    box.setAccessibleName("Error message")
    box.exec()
