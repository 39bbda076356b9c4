"""The progress-note editor: the service's facts (date, length, CPT code, location)
and one text field per template heading, with its prompt as placeholder. Autosaves
every few seconds and when the session locks; signs with the password.

The date cannot be set in the future (the service refuses it too). A signed note is
never shown here: the chart's reader shows it, with its signature and addenda.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDate, QDateTime, QTime, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.chart import (
    CPT_CODES,
    LOCATIONS,
    MAX_TEXT_CHARS,
    NoteSection,
    NoteStart,
    ProgressNote,
)
from ehrdesk.services.registry import Services
from ehrdesk.ui.dialogs.sign_dialog import SignDialog
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.views.autosave import AutosaveEditor, BoundedTextEdit
from ehrdesk.ui.widgets.card import heading

SIGN_INTRO = (
    "Signing locks this note under your name with today's date and time. After that it "
    "can only be corrected with a signed addendum. Enter your password to sign."
)


def local_qdatetime(moment: datetime) -> QDateTime:
    local = moment.astimezone()
    return QDateTime(
        QDate(local.year, local.month, local.day), QTime(local.hour, local.minute, local.second)
    )


class NoteEditor(AutosaveEditor):
    closed = Signal()
    signed = Signal(object)  # ProgressNote

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(services.events, parent)
        self._services = services
        self._note: ProgressNote | None = None
        self.fields: list[tuple[NoteSection, BoundedTextEdit]] = []

        self.title = heading("", scale=1.2)
        self.title.setAccessibleName("Note")
        self.when = QDateTimeEdit()
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("ddd d MMM yyyy HH:mm")
        self.when.setAccessibleName("Date and time of the session")
        self.minutes = QSpinBox()
        self.minutes.setRange(1, 720)
        self.minutes.setSuffix(" min")
        self.minutes.setAccessibleName("Length of the session in minutes")
        self.cpt = QComboBox()
        self.cpt.setEditable(True)
        for code, label in CPT_CODES:
            self.cpt.addItem(f"{code} — {label}", code)
        self.cpt.setAccessibleName("Service (CPT code)")
        self.location = QComboBox()
        self.location.setEditable(True)
        self.location.addItems(LOCATIONS)
        self.location.setAccessibleName("Location")
        facts = QFormLayout()
        for caption, widget in (
            ("&Date:", self.when),
            ("&Length:", self.minutes),
            ("Ser&vice:", self.cpt),
            ("L&ocation:", self.location),
        ):
            buddy = QLabel(caption)
            buddy.setBuddy(widget)
            facts.addRow(buddy, widget)
        for signal in (
            self.when.dateTimeChanged,
            self.minutes.valueChanged,
            self.cpt.currentTextChanged,
            self.location.currentTextChanged,
        ):
            signal.connect(self._changed)

        self.sections = QVBoxLayout()
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.addLayout(facts)
        body_layout.addLayout(self.sections)
        body_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)

        self.sign_button = QPushButton("&Sign…")
        self.sign_button.setAccessibleName("Sign the note")
        self.sign_button.setToolTip("Sign and lock the note (Ctrl+Return)")
        self.sign_button.clicked.connect(self.sign)
        self.save_button = QPushButton("Sa&ve now")
        self.save_button.setAccessibleName("Save the draft now")
        self.save_button.clicked.connect(self.save_if_changed)
        self.discard_button = QPushButton("&Discard draft")
        self.discard_button.setAccessibleName("Discard the draft")
        self.discard_button.clicked.connect(self.discard)
        self.close_button = QPushButton("&Close")
        self.close_button.setAccessibleName("Close the editor")
        self.close_button.clicked.connect(self.close_editor)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        for b in (self.discard_button, self.close_button, self.save_button, self.sign_button):
            buttons.addWidget(b)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        QShortcut(QKeySequence("Ctrl+S"), self, self.save_if_changed)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.sign)

    @property
    def note(self) -> ProgressNote | None:
        return self._note

    def load(self, note: ProgressNote) -> None:
        self._loading = True
        try:
            self._note = note
            self.title.setText(f"{note.template_name} note — draft")
            self.when.setMaximumDateTime(local_qdatetime(self._services.clock.now()))
            self.when.setDateTime(local_qdatetime(note.service_at))
            self.minutes.setValue(note.duration_minutes)
            index = self.cpt.findData(note.cpt_code)
            if index >= 0:
                self.cpt.setCurrentIndex(index)
            else:
                self.cpt.setEditText(note.cpt_code)
            self.location.setEditText(note.location)
            self._clear_sections()
            prompts = {
                (f.key, f.label): f.prompt
                for t in self._services.notes.templates()
                for f in t.fields
            }
            for section in note.sections:
                label = QLabel(f"&{section.label}:")
                edit = BoundedTextEdit(self.room)
                edit.setPlainText(section.text)
                edit.setPlaceholderText(prompts.get((section.key, section.label), ""))
                edit.setAccessibleName(section.label)
                edit.setMinimumHeight(6 * edit.fontMetrics().lineSpacing())
                edit.textChanged.connect(self._changed)
                edit.refused.connect(self._refused)
                label.setBuddy(edit)
                self.sections.addWidget(label)
                self.sections.addWidget(edit)
                self.fields.append((section, edit))
            self.status.setText(f"Draft by {note.author_name}; it saves itself as you type.")
        finally:
            self._loading = False
        self._dirty = False
        if self.fields:
            self.fields[0][1].setFocus()

    def _clear_sections(self) -> None:
        while self.sections.count():
            item = self.sections.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.fields = []

    def room(self) -> int:
        return MAX_TEXT_CHARS - sum(len(e.toPlainText()) for _, e in self.fields)

    def current_sections(self) -> list[NoteSection]:
        return [NoteSection(s.key, s.label, e.toPlainText()) for s, e in self.fields]

    def current_start(self) -> NoteStart:
        assert self._note is not None
        local: datetime = self.when.dateTime().toPython()  # type: ignore[assignment]
        code = self.cpt.currentData() if self.cpt.currentIndex() >= 0 else None
        text = self.cpt.currentText()
        if code is None or not text.startswith(str(code)):
            code = text.split(" ")[0].strip()
        return NoteStart(
            local.astimezone(),
            self.minutes.value(),
            str(code),
            self.location.currentText().strip(),
            self._note.appointment_id,
        )

    def _save(self) -> None:
        if self._note is None:
            return
        self._note = self._services.notes.save_draft(
            self._note, self.current_sections(), self.current_start()
        )

    def sign(self) -> None:
        if self._note is None or not self.save_if_changed():
            return
        note = self._note
        dialog = SignDialog(
            self._services.events,
            "Sign the note",
            SIGN_INTRO,
            lambda password: self._services.notes.sign_note(note, password),
            self,
        )
        if dialog.exec() and isinstance(dialog.result_value, ProgressNote):
            self.unload()
            self.signed.emit(dialog.result_value)

    def discard(self) -> None:
        if self._note is None:
            return
        answer = QMessageBox.question(
            self,
            "Discard draft",
            "Discard this draft note? What it holds is deleted and cannot be brought back.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self._services.notes.discard_draft(self._note)
        except Exception as error:
            show_error(self, error)
            return
        self.unload()
        self.closed.emit()

    def close_editor(self) -> None:
        if self.save_if_changed():
            self.unload()
            self.closed.emit()

    def unload(self) -> None:
        self.stop()
        self._note = None
        self._loading = True
        self._clear_sections()
        self.title.clear()
        self._loading = False

    def clear(self) -> None:
        """On lock (after `session.locking` saved the draft): keep nothing."""
        self.unload()
