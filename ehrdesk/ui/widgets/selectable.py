"""Text a person may need to copy: selectable with the mouse and the keyboard alike."""

from __future__ import annotations

from PySide6.QtCore import Qt

SELECTABLE = (
    Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
)
