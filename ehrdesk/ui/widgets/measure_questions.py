"""The questions of a PHQ-9 or GAD-7, each with its four answers as radio buttons
(arrow keys move between answers, Tab to the next question), and the total and band
as they stand. Used by the clinician's entry dialog and the client's full-screen form."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.measures import OPTIONS, STEM, Instrument, band_for


class MeasureQuestions(QWidget):
    answered = Signal()

    def __init__(
        self, instrument: Instrument, parent: QWidget | None = None, *, show_band: bool = True
    ) -> None:
        super().__init__(parent)
        self.instrument = instrument
        self._show_band = show_band
        self.groups: list[QButtonGroup] = []
        layout = QVBoxLayout(self)
        stem = QLabel(STEM)
        stem.setWordWrap(True)
        stem.setAccessibleName("Question")
        layout.addWidget(stem)
        for number, item in enumerate(instrument.items, start=1):
            box = QGroupBox(f"{number}. {item}")
            box.setAccessibleName(f"Question {number}: {item}")
            row = QHBoxLayout(box)
            group = QButtonGroup(self)
            for value, option in enumerate(OPTIONS):
                radio = QRadioButton(option)
                radio.setAccessibleName(f"{option} ({value})")
                group.addButton(radio, value)
                row.addWidget(radio)
            row.addStretch(1)
            group.idToggled.connect(lambda *_: self.answered.emit())
            self.groups.append(group)
            layout.addWidget(box)
        totals = QGridLayout()
        self.total = QLabel()
        self.total.setAccessibleName("Total score")
        totals.addWidget(self.total, 0, 0)
        layout.addLayout(totals)
        self.answered.connect(self._show_total)
        self._show_total()

    def answers(self) -> list[int] | None:
        values = [g.checkedId() for g in self.groups]
        return None if any(v < 0 for v in values) else values

    def _show_total(self) -> None:
        values = [g.checkedId() for g in self.groups]
        done = sum(1 for v in values if v >= 0)
        total = sum(v for v in values if v >= 0)
        if done < len(values) or not self._show_band:
            self.total.setText(f"{done} of {len(values)} answered")
        else:
            self.total.setText(
                f"{self.instrument.label} total {total}: {band_for(self.instrument, total)}"
            )

    def set_answers(self, answers: list[int]) -> None:
        for group, value in zip(self.groups, answers, strict=True):
            button = group.button(value)
            if button is not None:
                button.setChecked(True)
