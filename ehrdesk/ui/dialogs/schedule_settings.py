"""The schedule's practice settings, a box on the Practice tab of Settings: the
practice's time zone (times are kept in UTC and shown and repeated in this zone) and
the late-cancel window."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QSpinBox, QVBoxLayout

from ehrdesk.core.front_desk import ScheduleSettings
from ehrdesk.services.registry import Services
from ehrdesk.services.schedule_rules import MAX_LATE_CANCEL_HOURS, known_zones


class ScheduleSettingsBox(QGroupBox):
    def __init__(self, services: Services) -> None:
        super().__init__("Schedule")
        self._services = services
        self._loaded: ScheduleSettings | None = None
        self.zone = QComboBox()
        self.zone.setEditable(True)
        self.zone.setAccessibleName("The practice's time zone")
        self.zone.addItems(known_zones())
        self.late = QSpinBox()
        self.late.setRange(0, MAX_LATE_CANCEL_HOURS)
        self.late.setSuffix(" hours")
        self.late.setAccessibleName("Late-cancel window in hours")
        form = QFormLayout()
        form.addRow("Time &zone:", self.zone)
        form.addRow("Late &cancel within:", self.late)
        layout = QVBoxLayout(self)
        note = QLabel(
            "Appointments are shown, and repeat, at this zone's wall-clock time. A client "
            "who cancels within the window is counted as a late cancellation."
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addLayout(form)

    def load(self) -> None:
        self._loaded = self._services.schedule.settings()
        self.zone.setCurrentText(self._loaded.time_zone)
        self.late.setValue(self._loaded.late_cancel_hours)

    def save(self) -> bool:
        """Save what changed; True if anything did."""
        if self._loaded is None:
            return False
        changed = False
        zone = self.zone.currentText().strip()
        if zone != self._loaded.time_zone:
            self._services.schedule.set_time_zone(zone)
            changed = True
        if self.late.value() != self._loaded.late_cancel_hours:
            self._services.schedule.set_late_cancel_hours(self.late.value())
            changed = True
        self._loaded = ScheduleSettings(zone, self.late.value())
        return changed
