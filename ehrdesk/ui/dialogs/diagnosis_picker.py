"""Diagnoses for one client: the ones recorded (with their history), and a search of
ICD-10-CM by code or words, the F chapter first, to add another. The code set is
loaded in the background the first time (a few seconds), then every keystroke searches
in milliseconds."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.chart import CodeMatch, Diagnosis, DiagnosisStatus
from ehrdesk.core.errors import UserFacingError
from ehrdesk.services.registry import Services
from ehrdesk.ui.dialogs import LockWatcher
from ehrdesk.ui.errors import show_error
from ehrdesk.ui.tasks import BackgroundTask, run_in_background
from ehrdesk.ui.widgets.card import heading, message_label

ROLE = Qt.ItemDataRole.UserRole + 1


class DiagnosisDialog(QDialog):
    def __init__(self, services: Services, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._client_id = client_id
        self.changed = False
        self._task: BackgroundTask | None = None
        self.setWindowTitle("Diagnoses")
        self.setAccessibleName("Diagnoses")
        self.current = QListWidget()
        self.current.setAccessibleName("Recorded diagnoses")
        self.current.currentItemChanged.connect(self._show_history)
        self.history = QLabel()
        self.history.setWordWrap(True)
        self.history.setAccessibleName("History of the selected diagnosis")
        resolve = QPushButton("Mark &resolved")
        resolve.clicked.connect(lambda: self._change(DiagnosisStatus.RESOLVED, False))
        error = QPushButton("Entered in &error")
        error.clicked.connect(lambda: self._change(DiagnosisStatus.ENTERED_IN_ERROR, False))
        primary = QPushButton("Make &primary")
        primary.clicked.connect(lambda: self._change(DiagnosisStatus.ACTIVE, True))
        for push, name in (
            (resolve, "Mark the selected diagnosis resolved"),
            (error, "Mark the selected diagnosis entered in error"),
            (primary, "Make the selected diagnosis primary"),
        ):
            push.setAccessibleName(name)
        changes = QHBoxLayout()
        for push in (resolve, error, primary):
            changes.addWidget(push)
        changes.addStretch(1)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Code or words, e.g. F41.1 or generalized anxiety")
        self.search.setAccessibleName("Search ICD-10-CM")
        self.search.textChanged.connect(self._search_soon)
        search_label = QLabel("&Search ICD-10-CM:")
        search_label.setBuddy(self.search)
        self.results = QListWidget()
        self.results.setAccessibleName("Matching codes")
        self.results.itemActivated.connect(lambda _: self.add())
        self.onset_known = QCheckBox("&Onset known:")
        self.onset = QDateEdit()
        self.onset.setCalendarPopup(True)
        today = services.clock.now().astimezone().date()
        self.onset.setMaximumDate(QDate(today.year, today.month, today.day))
        self.onset.setDate(QDate(today.year, today.month, today.day))
        self.onset.setAccessibleName("Onset date")
        self.primary = QCheckBox("Pri&mary diagnosis")
        add = QPushButton("&Add diagnosis")
        add.setAccessibleName("Add the selected code as a diagnosis")
        add.clicked.connect(self.add)
        adding = QHBoxLayout()
        for widget in (self.onset_known, self.onset, self.primary):
            adding.addWidget(widget)
        adding.addStretch(1)
        adding.addWidget(add)
        self.message = message_label("Diagnosis message")
        close = QPushButton("&Close")
        close.clicked.connect(self.accept)

        layout = QVBoxLayout(self)
        layout.addWidget(heading("Recorded", scale=1.1))
        layout.addWidget(self.current)
        layout.addLayout(changes)
        layout.addWidget(self.history)
        layout.addWidget(heading("Add a diagnosis", scale=1.1))
        layout.addWidget(search_label)
        layout.addWidget(self.search)
        layout.addWidget(self.results, 1)
        layout.addLayout(adding)
        layout.addWidget(self.message)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        em = self.fontMetrics().horizontalAdvance("M")
        self.resize(64 * em, 40 * self.fontMetrics().height())
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self._run_search)
        self._lock_watcher = LockWatcher(self, services.events)
        self.refresh()
        self.search.setFocus()
        codes = services.diagnoses.codes
        if not codes.ready:
            self.message.setText("Loading ICD-10-CM…")
            self._task = run_in_background(
                self, codes.warm, lambda _: self._loaded(), label="Loading ICD-10-CM…"
            )

    def _loaded(self) -> None:
        self.message.clear()
        self._run_search()

    def refresh(self) -> None:
        self.current.clear()
        for d in self._services.diagnoses.diagnoses(self._client_id):
            text = f"{d.code} {d.description} — {d.status.label}" + (
                " · primary" if d.primary else ""
            )
            if d.onset:
                text += f" · onset {d.onset:%d %b %Y}"
            item = QListWidgetItem(text)
            item.setData(ROLE, d)
            self.current.addItem(item)

    def _selected(self) -> Diagnosis | None:
        item = self.current.currentItem()
        found: Diagnosis | None = None if item is None else item.data(ROLE)
        return found

    def _show_history(self) -> None:
        diagnosis = self._selected()
        if diagnosis is None:
            self.history.clear()
            return
        lines = [
            f"{h.changed_at.astimezone():%d %b %Y %H:%M} {h.status.label}"
            + (" (primary)" if h.primary else "")
            + f" — {h.changed_by_name}"
            for h in self._services.diagnoses.history(diagnosis)
        ]
        self.history.setText("History: " + "; ".join(lines))

    def _change(self, status: DiagnosisStatus, primary: bool) -> None:
        diagnosis = self._selected()
        if diagnosis is None:
            self.message.setText("Select a recorded diagnosis first.")
            return
        try:
            self._services.diagnoses.change_diagnosis(diagnosis, status=status, primary=primary)
        except UserFacingError as error:
            self.message.setText(error.message)
            return
        self.changed = True
        self.message.clear()
        self.refresh()

    def _search_soon(self) -> None:
        self._timer.start()

    def _run_search(self) -> None:
        if not self._services.diagnoses.codes.ready:
            return
        self.results.clear()
        try:
            found = self._services.diagnoses.search_codes(self.search.text())
        except Exception as error:
            show_error(self, error)
            return
        for match in found:
            item = QListWidgetItem(f"{match.code}  {match.description}")
            item.setData(ROLE, match)
            self.results.addItem(item)
        if found:
            self.results.setCurrentRow(0)

    def add(self) -> None:
        item = self.results.currentItem()
        if item is None:
            self.message.setText("Search for a code and select it first.")
            return
        match: CodeMatch = item.data(ROLE)
        onset = None
        if self.onset_known.isChecked():
            q = self.onset.date()
            onset = date(q.year(), q.month(), q.day())
        try:
            self._services.diagnoses.add_diagnosis(
                self._client_id, match.code, onset=onset, primary=self.primary.isChecked()
            )
        except UserFacingError as error:
            self.message.setText(error.message)
            return
        self.changed = True
        self.message.setText(f"Added {match.code}.")
        self.refresh()
