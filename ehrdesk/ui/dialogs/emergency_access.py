"""Emergency access: the chart of a client who is not yours, for a stated reason and a
limited time. Says plainly that it is logged and that the owner is told."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.chart import EmergencyGrant, ReasonCategory
from ehrdesk.core.errors import UserFacingError
from ehrdesk.services.registry import Services
from ehrdesk.ui.dialogs import LockWatcher
from ehrdesk.ui.widgets.card import message_label

INTRO = (
    "This client is not assigned to you. You can open the chart in an emergency: say "
    "why, and for how long. The opening is logged, a banner stays on the chart while it "
    "is open, and the practice owner is told."
)


class EmergencyAccessDialog(QDialog):
    def __init__(self, services: Services, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._client_id = client_id
        self.grant: EmergencyGrant | None = None
        self.setWindowTitle("Emergency access")
        self.setAccessibleName("Emergency access")
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.category = QComboBox()
        for category in ReasonCategory:
            self.category.addItem(category.label, category.value)
        self.category.setAccessibleName("Kind of reason")
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        self.reason.setAccessibleName("Reason")
        self.reason.setPlaceholderText("Why you need this chart now")
        self.minutes = QSpinBox()
        self.minutes.setRange(15, 240)
        self.minutes.setSingleStep(15)
        self.minutes.setValue(60)
        self.minutes.setSuffix(" minutes")
        self.minutes.setAccessibleName("For how long")
        form = QFormLayout()
        for caption, widget in (
            ("&Kind of reason:", self.category),
            ("&Reason:", self.reason),
            ("&For:", self.minutes),
        ):
            buddy = QLabel(caption)
            buddy.setBuddy(widget)
            form.addRow(buddy, widget)
        self.message = message_label("Emergency access message")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("&Open the chart")
        ok.setAccessibleName("Open the chart with emergency access")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 70)
        self._lock_watcher = LockWatcher(self, services.events)
        self.reason.setFocus()

    def accept(self) -> None:
        try:
            self.grant = self._services.emergency.request_access(
                self._client_id,
                ReasonCategory(self.category.currentData()),
                self.reason.toPlainText(),
                minutes=self.minutes.value(),
            )
        except UserFacingError as error:
            self.message.setText(error.message)
            return
        super().accept()

    def done(self, result: int) -> None:
        self.reason.clear()
        super().done(result)
