"""The chart's header: who the client is (name, age, pronouns, assigned clinician),
their active diagnoses, risk flags in plain words, and the score chart."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from ehrdesk.core.chart import ChartHeader
from ehrdesk.core.clock import Clock
from ehrdesk.ui.widgets.card import heading
from ehrdesk.ui.widgets.score_chart import ScoreChart


def _label(name: str) -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
    label.setAccessibleName(name)
    return label


class ChartHeaderWidget(QWidget):
    def __init__(self, clock: Clock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self.name = heading("", scale=1.4)
        self.name.setTextFormat(Qt.TextFormat.PlainText)
        self.name.setAccessibleName("Client")
        self.facts = _label("Age, pronouns and clinician")
        self.diagnoses = _label("Active diagnoses")
        self.risks = _label("Risk flags")
        self.risks.setObjectName("risk")
        self.scores = ScoreChart()
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        for widget in (self.name, self.facts, self.diagnoses, self.risks):
            left.addWidget(widget)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addLayout(left, 0, 0)
        grid.addWidget(self.scores, 0, 1, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(0, 1)

    def show_header(self, header: ChartHeader) -> None:
        today = self._clock.now().astimezone().date()
        self.name.setText(header.display_name)
        facts = [f"{header.age_on(today)} years (born {header.date_of_birth:%d %b %Y})"]
        if header.pronouns:
            facts.append(header.pronouns)
        facts.append(f"Clinician: {header.assigned_clinician_name or 'none assigned'}")
        self.facts.setText(" · ".join(facts))
        if header.active_diagnoses:
            self.diagnoses.setText(
                "Diagnoses: "
                + "; ".join(
                    f"{d.code} {d.description}" + (" (primary)" if d.primary else "")
                    for d in header.active_diagnoses
                )
            )
        else:
            self.diagnoses.setText("Diagnoses: none recorded")
        self.risks.setText("\n".join(f"⚠ {flag}" for flag in header.risk_flags))
        self.risks.setVisible(bool(header.risk_flags))
        self.scores.set_points(header.scores)

    def clear(self) -> None:
        for label in (self.name, self.facts, self.diagnoses, self.risks):
            label.clear()
        self.scores.set_points(())
