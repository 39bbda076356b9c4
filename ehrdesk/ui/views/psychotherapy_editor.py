"""The psychotherapy-note editor: one text, its author's alone. Opening one is audited
by the service; it autosaves like a progress note and saves when the session locks."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ehrdesk.core.chart import MAX_TEXT_CHARS, PsychotherapyNote
from ehrdesk.services.registry import Services
from ehrdesk.ui.views.autosave import AutosaveEditor, BoundedTextEdit
from ehrdesk.ui.widgets.card import heading

CAPTION = (
    "A psychotherapy note is yours alone: nobody else can open it, not the owner and not "
    "another clinician, and it is left out of every print and export unless you include "
    "it when handing out the record. Every opening is logged. Keep it to your process "
    "notes; the progress note is the record of care."
)


class PsychotherapyEditor(AutosaveEditor):
    closed = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(services.events, parent)
        self._services = services
        self._note: PsychotherapyNote | None = None
        self._client_id: int | None = None
        self.title = heading("Psychotherapy note", scale=1.2)
        caption = QLabel(CAPTION)
        caption.setWordWrap(True)
        caption.setAccessibleName("About psychotherapy notes")
        self.text = BoundedTextEdit(self.room)
        self.text.setAccessibleName("Psychotherapy note text")
        self.text.textChanged.connect(self._changed)
        self.text.refused.connect(self._refused)
        label = QLabel("&Note:")
        label.setBuddy(self.text)
        close = QPushButton("&Close")
        close.setAccessibleName("Close the psychotherapy note")
        close.clicked.connect(self.close_editor)
        save = QPushButton("Sa&ve now")
        save.setAccessibleName("Save the psychotherapy note now")
        save.clicked.connect(self.save_if_changed)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(close)
        row.addWidget(save)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(caption)
        layout.addWidget(label)
        layout.addWidget(self.text, 1)
        layout.addLayout(row)

    @property
    def note(self) -> PsychotherapyNote | None:
        return self._note

    def start_new(self, client_id: int) -> None:
        """A note that exists once there is something in it (the first save)."""
        self._loading = True
        self._note, self._client_id = None, client_id
        self.text.clear()
        self._loading = False
        self.status.setText("New psychotherapy note; it saves itself as you type.")
        self.text.setFocus()

    def load(self, note: PsychotherapyNote) -> None:
        self._loading = True
        self._note, self._client_id = note, note.client_id
        self.text.setPlainText(note.text)
        self._loading = False
        self._dirty = False
        self.status.setText(f"Written {note.created_at.astimezone():%d %b %Y %H:%M}.")
        self.text.setFocus()

    def room(self) -> int:
        return MAX_TEXT_CHARS - len(self.text.toPlainText())

    def _save(self) -> None:
        text = self.text.toPlainText()
        if self._note is None:
            if self._client_id is None or not text.strip():
                return
            self._note = self._services.psychotherapy.write(self._client_id, text)
        else:
            self._note = self._services.psychotherapy.save(self._note, text)

    def close_editor(self) -> None:
        if self.save_if_changed():
            self.clear()
            self.closed.emit()

    def clear(self) -> None:
        self.stop()
        self._loading = True
        self.text.clear()
        self._loading = False
        self._note = self._client_id = None
