"""The intake assessment as a structured form: presenting problem, history, mental
status examination, risk assessment (suicide, self-harm, violence) and a safety plan.
A draft autosaves and saves when the session locks; a signed intake, or one written by
someone else, is shown read-only."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.chart import MAX_TEXT_CHARS, Intake, IntakeRisk, RiskLevel
from ehrdesk.core.intake_questions import INTAKE_SECTIONS, SAFETY_PLAN_STEPS
from ehrdesk.services.registry import Services
from ehrdesk.ui.dialogs.sign_dialog import SignDialog
from ehrdesk.ui.views.autosave import AutosaveEditor, BoundedTextEdit
from ehrdesk.ui.widgets.card import heading

SIGN_INTRO = (
    "Signing locks this intake under your name; it cannot be changed afterwards. "
    "Enter your password to sign."
)


class IntakeForm(AutosaveEditor):
    closed = Signal()
    signed = Signal(object)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(services.events, parent)
        self._services = services
        self._intake: Intake | None = None
        self.answers: dict[str, BoundedTextEdit] = {}
        self.plan: dict[str, BoundedTextEdit] = {}
        self.risk: dict[str, QComboBox] = {}
        body = QWidget()
        form = QVBoxLayout(body)
        for title, fields in INTAKE_SECTIONS:
            form.addWidget(heading(title, scale=1.1))
            rows = QFormLayout()
            for key, label, prompt in fields:
                rows.addRow(*self._text(self.answers, key, label, prompt))
            if title == "Risk assessment":
                for key, label in (
                    ("suicide", "&Suicide risk:"),
                    ("self_harm", "Self-&harm risk:"),
                    ("violence", "&Violence risk:"),
                ):
                    combo = QComboBox()
                    for level in RiskLevel:
                        combo.addItem(level.label, level.value)
                    combo.setAccessibleName(label.replace("&", "").rstrip(":"))
                    combo.currentIndexChanged.connect(self._changed)
                    buddy = QLabel(label)
                    buddy.setBuddy(combo)
                    rows.insertRow(len(self.risk), buddy, combo)
                    self.risk[key] = combo
            form.addLayout(rows)
        form.addWidget(heading("Safety plan", scale=1.1))
        rows = QFormLayout()
        for key, label in SAFETY_PLAN_STEPS:
            rows.addRow(*self._text(self.plan, key, label, ""))
        form.addLayout(rows)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        self.title = heading("Intake assessment", scale=1.2)
        self.sign_button = QPushButton("&Sign…")
        self.sign_button.setAccessibleName("Sign the intake")
        self.sign_button.clicked.connect(self.sign)
        self.save_button = QPushButton("Sa&ve now")
        self.save_button.setAccessibleName("Save the intake now")
        self.save_button.clicked.connect(self.save_if_changed)
        close = QPushButton("&Close")
        close.setAccessibleName("Close the intake")
        close.clicked.connect(self.close_editor)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        for b in (close, self.save_button, self.sign_button):
            row.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(scroll, 1)
        layout.addLayout(row)

    def _text(
        self, into: dict[str, BoundedTextEdit], key: str, label: str, prompt: str
    ) -> tuple[QLabel, BoundedTextEdit]:
        edit = BoundedTextEdit(self.room)
        edit.setPlaceholderText(prompt)
        edit.setAccessibleName(label)
        edit.setMinimumHeight(3 * edit.fontMetrics().lineSpacing())
        edit.setMaximumHeight(6 * edit.fontMetrics().lineSpacing())
        edit.textChanged.connect(self._changed)
        edit.refused.connect(self._refused)
        buddy = QLabel(f"{label}:")
        buddy.setBuddy(edit)
        buddy.setWordWrap(True)
        into[key] = edit
        return buddy, edit

    @property
    def intake(self) -> Intake | None:
        return self._intake

    def load(self, intake: Intake) -> None:
        me = self._services.session.current_user()
        editable = intake.signed_at is None and intake.author_id == me.id
        self._loading = True
        self._intake = intake
        for key, edit in self.answers.items():
            edit.setPlainText(intake.answers.get(key, ""))
            edit.setReadOnly(not editable)
        for key, edit in self.plan.items():
            edit.setPlainText(intake.safety_plan.get(key, ""))
            edit.setReadOnly(not editable)
        levels = {
            "suicide": intake.risk.suicide,
            "self_harm": intake.risk.self_harm,
            "violence": intake.risk.violence,
        }
        for key, combo in self.risk.items():
            combo.setCurrentIndex(combo.findData(levels[key].value))
            combo.setEnabled(editable)
        self._loading = False
        self._dirty = False
        self.sign_button.setVisible(editable)
        self.save_button.setVisible(editable)
        if intake.signed_at is not None:
            when = intake.signed_at.astimezone()
            self.status.setText(f"Signed by {intake.signed_by_name} on {when:%d %b %Y %H:%M}.")
        else:
            self.status.setText(f"Draft by {intake.author_name}.")

    def room(self) -> int:
        used = sum(len(e.toPlainText()) for e in (*self.answers.values(), *self.plan.values()))
        return MAX_TEXT_CHARS - used

    def _values(self) -> tuple[dict[str, str], IntakeRisk, dict[str, str]]:
        answers = {k: e.toPlainText() for k, e in self.answers.items() if e.toPlainText()}
        plan = {k: e.toPlainText() for k, e in self.plan.items() if e.toPlainText()}
        risk = IntakeRisk(
            RiskLevel(self.risk["suicide"].currentData()),
            RiskLevel(self.risk["self_harm"].currentData()),
            RiskLevel(self.risk["violence"].currentData()),
        )
        return answers, risk, plan

    def _save(self) -> None:
        if self._intake is not None:
            answers, risk, plan = self._values()
            self._intake = self._services.intakes.save_intake(self._intake, answers, risk, plan)

    def sign(self) -> None:
        if self._intake is None or not self.save_if_changed():
            return
        intake = self._intake
        dialog = SignDialog(
            self._services.events,
            "Sign the intake",
            SIGN_INTRO,
            lambda password: self._services.intakes.sign_intake(intake, password),
            self,
        )
        if dialog.exec() and isinstance(dialog.result_value, Intake):
            self.load(dialog.result_value)
            self.signed.emit(dialog.result_value)

    def close_editor(self) -> None:
        if self.save_if_changed():
            self.clear()
            self.closed.emit()

    def clear(self) -> None:
        self.stop()
        self._loading = True
        for edit in (*self.answers.values(), *self.plan.values()):
            edit.clear()
        self._loading = False
        self._intake = None
