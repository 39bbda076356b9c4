"""Record or update an incident: what happened, when, the four-factor risk
assessment of the HIPAA breach rule, decisions, status and notification."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QDateTime, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.compliance import (
    Incident,
    IncidentDraft,
    IncidentStatus,
    RiskAssessment,
    RiskConclusion,
)


def _text_box(name: str, lines: int = 3) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setAccessibleName(name)
    box.setTabChangesFocus(True)
    box.setFixedHeight(box.fontMetrics().lineSpacing() * lines + 14)
    return box


def _label(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


def _moment_edit(name: str) -> QDateTimeEdit:
    edit = QDateTimeEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd HH:mm")
    edit.setAccessibleName(name)
    return edit


class IncidentDialog(QDialog):
    def __init__(
        self,
        zone: ZoneInfo,
        now: datetime,
        incident: Incident | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._zone = zone
        self.setWindowTitle("Incident" if incident is None else f"Incident #{incident.id}")
        self.setAccessibleName("Incident")
        form = QFormLayout()
        self.title = QLineEdit()
        self.title.setAccessibleName("Title")
        form.addRow("&Title", self.title)
        self.what = _text_box("What happened", 4)
        form.addRow("&What happened", self.what)
        self.has_start = QCheckBox("known")
        self.has_start.setAccessibleName("Start is known")
        self.started = _moment_edit("Happened from")
        self.has_end = QCheckBox("known")
        self.has_end.setAccessibleName("End is known")
        self.ended = _moment_edit("Happened until")
        for box, edit, label in (
            (self.has_start, self.started, "Happened &from"),
            (self.has_end, self.ended, "Happened &until"),
        ):
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            row.addWidget(box)
            box.toggled.connect(edit.setEnabled)
            form.addRow(_label(label, edit), row)
        self.discovered = _moment_edit("Discovered")
        form.addRow("&Discovered", self.discovered)
        self.nature = _text_box("Nature and extent of the PHI")
        form.addRow("1. &Nature and extent of the PHI", self.nature)
        self.person = _text_box("The unauthorised person")
        form.addRow("2. The unauthorised &person", self.person)
        self.viewed = _text_box("Whether the PHI was acquired or viewed")
        form.addRow("3. PHI actually &acquired or viewed?", self.viewed)
        self.mitigation = _text_box("How far the risk was mitigated")
        form.addRow("4. Risk &mitigated", self.mitigation)
        self.conclusion = QComboBox()
        self.conclusion.setAccessibleName("Conclusion")
        for value in RiskConclusion:
            self.conclusion.addItem(value.label, value)
        form.addRow("&Conclusion", self.conclusion)
        self.decisions = _text_box("Decisions", 4)
        form.addRow("D&ecisions", self.decisions)
        self.status = QComboBox()
        self.status.setAccessibleName("Status")
        for status in IncidentStatus:
            self.status.addItem(status.label, status)
        form.addRow("&Status", self.status)
        self.has_notified = QCheckBox("done")
        self.has_notified.setAccessibleName("Notification done")
        self.notified = QDateEdit()
        self.notified.setCalendarPopup(True)
        self.notified.setDisplayFormat("yyyy-MM-dd")
        self.notified.setAccessibleName("Notified on")
        self.has_notified.toggled.connect(self.notified.setEnabled)
        row = QHBoxLayout()
        row.addWidget(self.notified, 1)
        row.addWidget(self.has_notified)
        form.addRow(_label("N&otified on", self.notified), row)

        inner = QWidget()
        inner.setLayout(form)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        layout.addWidget(buttons)
        em = self.fontMetrics().horizontalAdvance("M")
        self.resize(52 * em, 44 * self.fontMetrics().height())
        self._fill(incident, now)

    def _set(self, edit: QDateTimeEdit, moment: datetime) -> None:
        local = moment.astimezone(self._zone)
        edit.setDateTime(
            QDateTime(QDate(local.year, local.month, local.day), QTime(local.hour, local.minute))
        )

    def _get(self, edit: QDateTimeEdit) -> datetime:
        d, t = edit.dateTime().date(), edit.dateTime().time()
        local = datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=self._zone)
        return local.astimezone(UTC)

    def _fill(self, incident: Incident | None, now: datetime) -> None:
        for edit in (self.started, self.ended, self.discovered):
            self._set(edit, now)
        self.notified.setDate(QDate.currentDate())
        for box, edit in (
            (self.has_start, self.started),
            (self.has_end, self.ended),
            (self.has_notified, self.notified),
        ):
            box.setChecked(False)
            edit.setEnabled(False)
        if incident is None:
            return
        self.title.setText(incident.title)
        self.what.setPlainText(incident.what_happened)
        if incident.occurred_from:
            self.has_start.setChecked(True)
            self._set(self.started, incident.occurred_from)
        if incident.occurred_until:
            self.has_end.setChecked(True)
            self._set(self.ended, incident.occurred_until)
        self._set(self.discovered, incident.discovered_at)
        risk = incident.risk
        self.nature.setPlainText(risk.nature_and_extent)
        self.person.setPlainText(risk.unauthorized_person)
        self.viewed.setPlainText(risk.acquired_or_viewed)
        self.mitigation.setPlainText(risk.mitigation)
        self.conclusion.setCurrentIndex(self.conclusion.findData(risk.conclusion))
        self.decisions.setPlainText(incident.decisions)
        self.status.setCurrentIndex(self.status.findData(incident.status))
        if incident.notified_on:
            self.has_notified.setChecked(True)
            n = incident.notified_on
            self.notified.setDate(QDate(n.year, n.month, n.day))

    def draft(self) -> IncidentDraft:
        notified = None
        if self.has_notified.isChecked():
            q = self.notified.date()
            notified = date(q.year(), q.month(), q.day())
        return IncidentDraft(
            title=self.title.text().strip(),
            what_happened=self.what.toPlainText(),
            discovered_at=self._get(self.discovered),
            occurred_from=self._get(self.started) if self.has_start.isChecked() else None,
            occurred_until=self._get(self.ended) if self.has_end.isChecked() else None,
            risk=RiskAssessment(
                self.nature.toPlainText(),
                self.person.toPlainText(),
                self.viewed.toPlainText(),
                self.mitigation.toPlainText(),
                self.conclusion.currentData(),
            ),
            decisions=self.decisions.toPlainText(),
            status=self.status.currentData(),
            notified_on=notified,
        )
