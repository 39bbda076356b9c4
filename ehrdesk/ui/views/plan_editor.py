"""The treatment-plan editor: problems, each with measurable goals (and their
objectives, with target dates) and interventions, in one tree; a review date that the
Today view reminds of. A draft autosaves; a signed plan is shown read-only and is
changed by revising it (a new draft that starts as a visible copy)."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ehrdesk.core.chart import PlanGoal, PlanObjective, PlanProblem, TreatmentPlan
from ehrdesk.core.errors import UserFacingError
from ehrdesk.services.registry import Services
from ehrdesk.ui.dialogs.sign_dialog import SignDialog
from ehrdesk.ui.views.autosave import AutosaveEditor
from ehrdesk.ui.widgets.card import heading

KIND = Qt.ItemDataRole.UserRole + 1
PROBLEM, GOAL, OBJECTIVE, INTERVENTION = "problem", "goal", "objective", "intervention"
LABELS = {PROBLEM: "Problem", GOAL: "Goal", OBJECTIVE: "Objective", INTERVENTION: "Intervention"}
SIGN_INTRO = (
    "Signing puts this plan in force under your name; it cannot be changed afterwards, "
    "only revised. Enter your password to sign."
)


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


class PlanEditor(AutosaveEditor):
    closed = Signal()
    signed = Signal(object)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(services.events, parent)
        self._services = services
        self._plan: TreatmentPlan | None = None
        self.title = heading("Treatment plan", scale=1.2)
        self.review = QDateEdit()
        self.review.setCalendarPopup(True)
        self.review.setAccessibleName("Review date")
        self.review.dateChanged.connect(self._changed)
        review_label = QLabel("&Review by:")
        review_label.setBuddy(self.review)
        dates = QFormLayout()
        dates.addRow(review_label, self.review)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Kind", "Description", "Target date (YYYY-MM-DD)"])
        self.tree.setAccessibleName("Problems, goals, objectives and interventions")
        self.tree.itemChanged.connect(self._changed)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.buttons: dict[str, QPushButton] = {}
        adders = QHBoxLayout()
        for kind, text in (
            (PROBLEM, "Add &problem"),
            (GOAL, "Add &goal"),
            (OBJECTIVE, "Add ob&jective"),
            (INTERVENTION, "Add &intervention"),
        ):
            push = QPushButton(text)
            push.setAccessibleName(text.replace("&", ""))
            push.clicked.connect(lambda _=False, k=kind: self.add(k))
            adders.addWidget(push)
            self.buttons[kind] = push
        remove = QPushButton("Re&move")
        remove.setAccessibleName("Remove the selected line")
        remove.clicked.connect(self.remove_selected)
        adders.addWidget(remove)
        self.buttons["remove"] = remove
        adders.addStretch(1)
        self.sign_button = QPushButton("&Sign…")
        self.sign_button.setAccessibleName("Sign the plan")
        self.sign_button.clicked.connect(self.sign)
        self.save_button = QPushButton("Sa&ve now")
        self.save_button.setAccessibleName("Save the plan now")
        self.save_button.clicked.connect(self.save_if_changed)
        self.revise_button = QPushButton("Re&vise…")
        self.revise_button.setAccessibleName("Revise the plan: a new draft from this one")
        self.revise_button.clicked.connect(self.revise)
        close = QPushButton("&Close")
        close.setAccessibleName("Close the plan")
        close.clicked.connect(self.close_editor)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        for b in (close, self.revise_button, self.save_button, self.sign_button):
            row.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(dates)
        layout.addLayout(adders)
        layout.addWidget(self.tree, 1)
        layout.addLayout(row)

    @property
    def plan(self) -> TreatmentPlan | None:
        return self._plan

    def load(self, plan: TreatmentPlan) -> None:
        me = self._services.session.current_user()
        editable = plan.signed_at is None and plan.author_id == me.id
        self._loading = True
        self._plan = plan
        self.review.setDate(_qdate(plan.review_date))
        self.review.setEnabled(editable)
        self.tree.clear()
        for problem in plan.problems:
            top = self._item(None, PROBLEM, problem.text, editable)
            for goal in problem.goals:
                g = self._item(top, GOAL, goal.text, editable)
                for objective in goal.objectives:
                    due = "" if objective.target_date is None else str(objective.target_date)
                    self._item(g, OBJECTIVE, objective.text, editable, due)
            for intervention in problem.interventions:
                self._item(top, INTERVENTION, intervention, editable)
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)
        self._loading = False
        self._dirty = False
        for push in (*self.buttons.values(), self.sign_button, self.save_button):
            push.setVisible(editable)
        self.revise_button.setVisible(plan.signed_at is not None)
        if plan.signed_at is not None:
            when = plan.signed_at.astimezone()
            self.status.setText(f"Signed by {plan.signed_by_name} on {when:%d %b %Y %H:%M}.")
        else:
            self.status.setText(f"Draft by {plan.author_name}.")

    def _item(
        self,
        parent: QTreeWidgetItem | None,
        kind: str,
        text: str,
        editable: bool,
        due: str = "",
    ) -> QTreeWidgetItem:
        item = QTreeWidgetItem([LABELS[kind], text, due])
        item.setData(0, KIND, kind)
        flags = item.flags() | Qt.ItemFlag.ItemIsSelectable
        if editable:
            flags |= Qt.ItemFlag.ItemIsEditable
        item.setFlags(flags)
        if parent is None:
            self.tree.addTopLevelItem(item)
        else:
            parent.addChild(item)
        return item

    def add(self, kind: str) -> None:
        """Add a line under the selected one where it belongs; edit it at once."""
        current = self.tree.currentItem()
        parent: QTreeWidgetItem | None = None
        if kind in (GOAL, INTERVENTION):
            parent = current
            while parent is not None and parent.data(0, KIND) != PROBLEM:
                parent = parent.parent()
            if parent is None:
                self.status.setText("Select a problem first.")
                return
        elif kind == OBJECTIVE:
            parent = current
            while parent is not None and parent.data(0, KIND) != GOAL:
                parent = parent.parent()
            if parent is None:
                self.status.setText("Select a goal first.")
                return
        item = self._item(parent, kind, "", True)
        if parent is not None:
            parent.setExpanded(True)
        self.tree.setCurrentItem(item)
        self.tree.editItem(item, 1)
        self._changed()

    def remove_selected(self) -> None:
        item = self.tree.currentItem()
        if item is None:
            return
        parent = item.parent()
        if parent is None:
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))
        else:
            parent.removeChild(item)
        self._changed()

    def problems(self) -> list[PlanProblem]:
        problems = []
        for top in _children(self.tree.invisibleRootItem()):
            goals, interventions = [], []
            for child in _children(top):
                if child.data(0, KIND) == GOAL:
                    objectives = tuple(
                        PlanObjective(o.text(1).strip(), _parse_day(o.text(2)))
                        for o in _children(child)
                    )
                    goals.append(PlanGoal(child.text(1).strip(), objectives))
                else:
                    interventions.append(child.text(1).strip())
            problems.append(PlanProblem(top.text(1).strip(), tuple(goals), tuple(interventions)))
        return problems

    def _save(self) -> None:
        if self._plan is not None:
            self._plan = self._services.plans.save_plan(
                self._plan, self.problems(), review_date=_pydate(self.review.date())
            )

    def sign(self) -> None:
        if self._plan is None or not self.save_if_changed():
            return
        plan = self._plan
        dialog = SignDialog(
            self._services.events,
            "Sign the treatment plan",
            SIGN_INTRO,
            lambda password: self._services.plans.sign_plan(plan, password),
            self,
        )
        if dialog.exec() and isinstance(dialog.result_value, TreatmentPlan):
            self.load(dialog.result_value)
            self.signed.emit(dialog.result_value)

    def revise(self) -> None:
        """A new draft that starts as a copy of the signed plan, in plain sight."""
        if self._plan is None:
            return
        review = self._services.clock.now().date() + timedelta(days=90)
        try:
            draft = self._services.plans.start_plan(self._plan.client_id, review, revise=True)
        except UserFacingError as error:
            self.status.setText(error.message)
            return
        self.load(draft)
        self.signed.emit(draft)  # the chart refreshes its timeline

    def close_editor(self) -> None:
        if self.save_if_changed():
            self.clear()
            self.closed.emit()

    def clear(self) -> None:
        self.stop()
        self._loading = True
        self.tree.clear()
        self._loading = False
        self._plan = None


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def _children(item: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    found = [item.child(i) for i in range(item.childCount())]
    return [c for c in found if c is not None]
