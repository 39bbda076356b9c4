"""The audit screen's filters: period, user, action, and a record (object type + id).

`filter()` builds an `AuditFilter` from what is set; `show(filter)` sets the controls
from one (a flag on the Today view opens the screen this way). The client picker of
the front desk plugs in later by setting object type "client" and the id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QDateTime, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ehrdesk.core import audit_actions
from ehrdesk.core.audit_review import AuditFilter

ANY = "Any"
OBJECT_TYPES = ("client", "user", "incident", "setting", "document", "action", "sign_in_attempt")


def _labelled(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


class AuditFilterBar(QWidget):
    applied = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.zone = ZoneInfo("UTC")
        #: The services' clock, so the default period follows it (tests freeze it).
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._extra_actions: tuple[str, ...] = ()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)

        self.use_since = QCheckBox("&From")
        self.use_since.setAccessibleName("Filter from a time")
        self.since = self._time_edit("Events from")
        self.use_until = QCheckBox("&Before")
        self.use_until.setAccessibleName("Filter before a time")
        self.until = self._time_edit("Events before")
        self.use_since.toggled.connect(self.since.setEnabled)
        self.use_until.toggled.connect(self.until.setEnabled)
        grid.addWidget(self.use_since, 0, 0)
        grid.addWidget(self.since, 0, 1)
        grid.addWidget(self.use_until, 0, 2)
        grid.addWidget(self.until, 0, 3)

        self.user = QComboBox()
        self.user.setAccessibleName("User")
        grid.addWidget(_labelled("&User", self.user), 1, 0)
        grid.addWidget(self.user, 1, 1)
        self.action = QComboBox()
        self.action.setEditable(True)
        self.action.setAccessibleName("Action")
        self.action.addItem(ANY)
        self.action.addItems(audit_actions.KNOWN_ACTIONS)
        self.action.editTextChanged.connect(self._action_typed)
        grid.addWidget(_labelled("&Action", self.action), 1, 2)
        grid.addWidget(self.action, 1, 3)

        self.object_type = QComboBox()
        self.object_type.setEditable(True)
        self.object_type.setAccessibleName("Record type")
        self.object_type.addItem(ANY)
        self.object_type.addItems(OBJECT_TYPES)
        grid.addWidget(_labelled("&Record", self.object_type), 2, 0)
        grid.addWidget(self.object_type, 2, 1)
        self.object_id = QLineEdit()
        self.object_id.setAccessibleName("Record id")
        self.object_id.setPlaceholderText("id, e.g. a client number")
        grid.addWidget(_labelled("&Id", self.object_id), 2, 2)
        grid.addWidget(self.object_id, 2, 3)

        self.apply = QPushButton("A&pply filters")
        self.apply.setAccessibleName("Apply filters")
        self.apply.clicked.connect(self.applied.emit)
        self.reset = QPushButton("&Clear filters")
        self.reset.setAccessibleName("Clear filters")
        self.reset.clicked.connect(self.clear_filters)
        grid.addWidget(self.apply, 0, 4)
        grid.addWidget(self.reset, 1, 4)
        self.object_id.returnPressed.connect(self.applied.emit)
        self.clear_filters(emit=False)

    def _action_typed(self, text: str) -> None:
        if self._extra_actions and text != " or ".join(self._extra_actions):
            self._extra_actions = ()

    def _time_edit(self, name: str) -> QDateTimeEdit:
        edit = QDateTimeEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        edit.setAccessibleName(name)
        edit.setEnabled(False)
        return edit

    def set_users(self, users: list[tuple[int, str]]) -> None:
        current = self.user.currentData()
        self.user.clear()
        self.user.addItem(ANY, None)
        for user_id, name in users:
            self.user.addItem(name, user_id)
        index = self.user.findData(current)
        self.user.setCurrentIndex(max(0, index))

    def clear_filters(self, *, emit: bool = True) -> None:
        self._extra_actions = ()
        self.use_since.setChecked(False)
        self.use_until.setChecked(False)
        now = self.now()
        self._set_time(self.since, self.use_since, now - timedelta(days=7))
        self._set_time(self.until, self.use_until, now + timedelta(minutes=1))
        self.use_since.setChecked(False)
        self.use_until.setChecked(False)
        self.user.setCurrentIndex(0)
        self.action.setCurrentText(ANY)
        self.object_type.setCurrentText(ANY)
        self.object_id.clear()
        if emit:
            self.applied.emit()

    def _aware(self, edit: QDateTimeEdit) -> datetime:
        value = edit.dateTime()
        local = datetime(
            value.date().year(),
            value.date().month(),
            value.date().day(),
            value.time().hour(),
            value.time().minute(),
        )
        return local.replace(tzinfo=self.zone).astimezone(UTC)

    def filter(self) -> AuditFilter:
        """The filter the controls describe; InvalidInput if they contradict."""
        action = self.action.currentText().strip()
        actions = self._extra_actions or (() if action in ("", ANY) else (action,))
        object_type = self.object_type.currentText().strip()
        object_id = self.object_id.text().strip()
        return AuditFilter(
            since=self._aware(self.since) if self.use_since.isChecked() else None,
            until=self._aware(self.until) if self.use_until.isChecked() else None,
            user_id=self.user.currentData(),
            actions=actions,
            object_type=None if object_type in ("", ANY) else object_type,
            object_id=object_id or None,
        )

    def _set_time(self, edit: QDateTimeEdit, box: QCheckBox, moment: datetime | None) -> None:
        box.setChecked(moment is not None)
        if moment is not None:
            # Minutes are what the control shows: round the end up so nothing is cut off.
            local = moment.astimezone(self.zone)
            if edit is self.until and (local.second or local.microsecond):
                local = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
            elif edit is self.since:
                local = local.replace(second=0, microsecond=0)
            edit.setDateTime(
                QDateTime(
                    QDate(local.year, local.month, local.day), QTime(local.hour, local.minute)
                )
            )

    def show_filter(self, filt: AuditFilter) -> None:
        """Set the controls from `filt` (several actions are kept as they are)."""
        self.clear_filters(emit=False)
        self._set_time(self.since, self.use_since, filt.since)
        self._set_time(self.until, self.use_until, filt.until)
        index = self.user.findData(filt.user_id) if filt.user_id is not None else 0
        if index < 0:
            self.user.addItem(f"user #{filt.user_id}", filt.user_id)
            index = self.user.count() - 1
        self.user.setCurrentIndex(index)
        if len(filt.actions) == 1:
            self.action.setCurrentText(filt.actions[0])
        elif filt.actions:
            self.action.setCurrentText(" or ".join(filt.actions))
            self._extra_actions = filt.actions
        self.object_type.setCurrentText(filt.object_type or ANY)
        self.object_id.setText(filt.object_id or "")
