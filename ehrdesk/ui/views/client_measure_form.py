"""The questionnaire handed to the client: full screen, large type, nothing else of the
app reachable. Whatever ends it (submitting, Escape, closing the window) locks the
session, so the next person at the screen needs the clinician's password; the lock
screen is what the client sees when they are done."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.errors import UserFacingError
from ehrdesk.core.measures import Instrument
from ehrdesk.services.registry import Services
from ehrdesk.services.session import SessionState
from ehrdesk.ui.widgets.card import heading, message_label
from ehrdesk.ui.widgets.measure_questions import MeasureQuestions


class ClientMeasureForm(QWidget):
    finished = Signal()

    def __init__(
        self,
        services: Services,
        client_id: int,
        instrument: Instrument,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self._services = services
        self._client_id = client_id
        self._done = False
        self.setWindowTitle(f"{instrument.label} questionnaire")
        self.setAccessibleName(f"{instrument.label} questionnaire")
        self.questions = MeasureQuestions(instrument, show_band=False)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.questions)
        self.message = message_label("Questionnaire message")
        self.submit = QPushButton("I am &done")
        self.submit.setAccessibleName("Submit my answers")
        self.submit.clicked.connect(self.submit_answers)
        row = QHBoxLayout()
        row.addWidget(self.message, 1)
        row.addWidget(self.submit)
        intro = QLabel(
            "Please answer each question, then press “I am done”. Your answers go to your "
            "clinician."
        )
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(f"{instrument.label} questionnaire", scale=1.4))
        layout.addWidget(intro)
        layout.addWidget(scroll, 1)
        layout.addLayout(row)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        for widget in (self, *self.findChildren(QWidget)):
            widget.setFont(font)

    def submit_answers(self) -> None:
        answers = self.questions.answers()
        if answers is None:
            self.message.setText(f"Please answer all {len(self.questions.groups)} questions.")
            return
        try:
            self._services.measures.submit_client_form(
                self._client_id, self.questions.instrument, answers
            )
        except UserFacingError as error:
            self.message.setText(error.message)
            return
        self._finish()

    def _finish(self) -> None:
        """Lock (if not already locked) and go: the lock screen is what is left."""
        if self._done:
            return
        self._done = True
        session = self._services.session
        if session.state is SessionState.SIGNED_IN:
            session.lock(reason="client_form")
        self.finished.emit()
        self.close()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self._finish()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._finish()
        event.accept()
