"""The practice's hours and the unusual-activity thresholds (owner)."""

from __future__ import annotations

from datetime import time
from zoneinfo import available_timezones

from PySide6.QtCore import QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QSpinBox,
    QTimeEdit,
    QWidget,
)

from ehrdesk.core.audit_review import ActivityThresholds, PracticeHours
from ehrdesk.services.registry import Services
from ehrdesk.ui.errors import show_error

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_FIELDS = (
    ("lookback_days", "Look back (days)", 1, 90),
    ("records_opened", "Client records opened by one person…", 2, 10_000),
    ("records_window_minutes", "…within (minutes)", 1, 1440),
    ("failed_sign_ins", "Failed sign-ins for one account…", 1, 1000),
    ("failed_window_minutes", "…within (minutes)", 1, 1440),
    ("exports", "Records printed or exported by one person…", 1, 10_000),
    ("exports_window_hours", "…within (hours)", 1, 720),
    ("outside_hours_events", "Events outside practice hours", 1, 10_000),
)


class ActivitySettingsDialog(QDialog):
    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.setWindowTitle("Practice hours and unusual activity")
        self.setAccessibleName("Practice hours and unusual activity")
        hours = services.activity.practice_hours()
        limits = services.activity.thresholds()
        form = QFormLayout(self)
        self.zone = QComboBox()
        self.zone.setEditable(True)
        self.zone.setAccessibleName("Time zone")
        self.zone.addItems(sorted(available_timezones()))
        self.zone.setCurrentText(hours.time_zone)
        form.addRow("&Time zone", self.zone)
        days = QHBoxLayout()
        self.days = []
        for n, name in enumerate(_DAYS):
            box = QCheckBox(name)
            box.setAccessibleName(f"Open on {name}")
            box.setChecked(n in hours.days)
            self.days.append(box)
            days.addWidget(box)
        form.addRow("Open on", days)
        self.opens, self.closes = QTimeEdit(), QTimeEdit()
        for edit, value, label in (
            (self.opens, hours.opens, "&Opens"),
            (self.closes, hours.closes, "&Closes"),
        ):
            edit.setDisplayFormat("HH:mm")
            edit.setTime(QTime(value.hour, value.minute))
            edit.setAccessibleName(label.replace("&", ""))
            form.addRow(label, edit)
        self.spins: dict[str, QSpinBox] = {}
        for name, label, low, high in _FIELDS:
            spin = QSpinBox()
            spin.setRange(low, high)
            spin.setValue(int(getattr(limits, name)))
            spin.setAccessibleName(label)
            self.spins[name] = spin
            form.addRow(label, spin)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def save(self) -> None:
        try:
            hours = PracticeHours(
                time_zone=self.zone.currentText().strip(),
                days=tuple(n for n, box in enumerate(self.days) if box.isChecked()),
                opens=time(self.opens.time().hour(), self.opens.time().minute()),
                closes=time(self.closes.time().hour(), self.closes.time().minute()),
            )
            limits = ActivityThresholds(**{n: s.value() for n, s in self.spins.items()})
            self._services.activity.set_practice_hours(hours)
            self._services.activity.set_thresholds(limits)
        except Exception as error:
            show_error(self, error)
            return
        self.accept()
