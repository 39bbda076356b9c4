"""Copying to the clipboard, and taking back on lock only what ehrdesk put there."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication


class ClipboardGuard:
    def __init__(self) -> None:
        self._ours: str | None = None

    def copy(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self._ours = text

    def clear_if_ours(self) -> bool:
        """Empty the clipboard if it still holds text ehrdesk put there."""
        clipboard = QGuiApplication.clipboard()
        cleared = self._ours is not None and clipboard.text() == self._ours
        if cleared:
            clipboard.clear()
        self._ours = None
        return cleared
