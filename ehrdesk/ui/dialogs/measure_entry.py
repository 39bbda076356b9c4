"""Entering a PHQ-9 or GAD-7 for a client: the clinician picks the answers the client
gave; the total and band show as they go; saving scores it with the published bands."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.chart import MeasureResult
from ehrdesk.core.errors import UserFacingError
from ehrdesk.core.measures import Instrument
from ehrdesk.services.registry import Services
from ehrdesk.ui.dialogs import LockWatcher
from ehrdesk.ui.widgets.card import message_label
from ehrdesk.ui.widgets.measure_questions import MeasureQuestions


class MeasureEntryDialog(QDialog):
    def __init__(
        self,
        services: Services,
        client_id: int,
        instrument: Instrument,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._client_id = client_id
        self.result_value: MeasureResult | None = None
        self.setWindowTitle(f"Enter a {instrument.label}")
        self.setAccessibleName(f"Enter a {instrument.label}")
        self.questions = MeasureQuestions(instrument)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.questions)
        self.message = message_label("Measure message")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        em = self.fontMetrics().horizontalAdvance("M")
        self.resize(52 * em, 44 * self.fontMetrics().height())
        self._lock_watcher = LockWatcher(self, services.events)

    def accept(self) -> None:
        answers = self.questions.answers()
        if answers is None:
            self.message.setText(f"Please answer all {len(self.questions.groups)} questions.")
            return
        try:
            self.result_value = self._services.measures.record_measure(
                self._client_id, self.questions.instrument, answers
            )
        except UserFacingError as error:
            self.message.setText(error.message)
            return
        super().accept()
