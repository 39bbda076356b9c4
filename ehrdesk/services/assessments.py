"""The intake assessment and the treatment plan: structured documents, saved as drafts,
signed with the password like a note and locked once signed.

An intake records the presenting problem, history, mental status examination, the
risk assessment (suicide, self-harm, violence: not assessed, none, low, moderate,
high) and a safety plan; moderate or high risk shows on the chart's header. A
treatment plan lists problems with measurable goals, their objectives (with target
dates) and the interventions, with a review date that the Today view reminds of.
Revising a signed plan starts a new draft from it, openly: the person sees it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date

from ehrdesk.core.chart import (
    Intake,
    IntakeRisk,
    PlanProblem,
    TreatmentPlan,
)
from ehrdesk.core.errors import InvalidInput, PermissionDenied
from ehrdesk.core.intake_questions import INTAKE_KEYS, SAFETY_PLAN_KEYS
from ehrdesk.core.permissions import Action
from ehrdesk.services.chart_access import ChartServiceBase, check_length
from ehrdesk.services.guard import requires
from ehrdesk.storage.assessments import IntakeRepository, TreatmentPlanRepository

NOT_YOURS = "Only the clinician who wrote this can change or sign it."


class Intakes(ChartServiceBase):
    @requires(Action.WRITE_NOTES)
    def start_intake(self, client_id: int) -> Intake:
        self._require_chart(client_id)
        with self._session.transaction() as tx:
            intake = IntakeRepository(tx.conn).add(client_id, self._me().id, self._clock.now())
            tx.audit("intake_created", object_type="intake", object_id=str(intake.id))
        return intake

    @requires(Action.VIEW_CHART)
    def latest_intake(self, client_id: int) -> Intake | None:
        self._require_chart(client_id)
        return IntakeRepository(self._session.database.conn).latest(client_id)

    @requires(Action.VIEW_CHART)
    def intake(self, intake_id: int) -> Intake:
        intake = IntakeRepository(self._session.database.conn).get(intake_id)
        self._require_chart(intake.client_id)
        return intake

    @requires(Action.WRITE_NOTES)
    def save_intake(
        self,
        intake: Intake,
        answers: Mapping[str, str],
        risk: IntakeRisk,
        safety_plan: Mapping[str, str],
    ) -> Intake:
        if set(answers) - INTAKE_KEYS or set(safety_plan) - SAFETY_PLAN_KEYS:
            raise InvalidInput("The intake has a question this version does not know.")
        check_length(*answers.values(), *safety_plan.values())
        stored = self._own(intake)
        with self._session.transaction() as tx:
            saved = IntakeRepository(tx.conn).save(
                dataclasses.replace(stored, row_version=intake.row_version),
                answers,
                risk,
                safety_plan,
                self._clock.now(),
            )
            self._audit_edit(tx, "intake_saved", "intake", intake.id)
        return saved

    @requires(Action.SIGN_NOTES)
    def sign_intake(self, intake: Intake, password: str) -> Intake:
        stored = self._own(intake)
        if not any(v.strip() for v in stored.answers.values()):
            raise InvalidInput("An empty intake cannot be signed.")
        self._confirm_signature(password)
        with self._session.transaction() as tx:
            signed = IntakeRepository(tx.conn).sign(
                dataclasses.replace(stored, row_version=intake.row_version),
                self._me().id,
                self._clock.now(),
            )
            tx.audit("intake_signed", object_type="intake", object_id=str(intake.id))
        return signed

    def _own(self, intake: Intake) -> Intake:
        stored = IntakeRepository(self._session.database.conn).get(intake.id)
        self._require_chart(stored.client_id)
        if stored.author_id != self._me().id:
            raise PermissionDenied(NOT_YOURS)
        if stored.signed_at is not None:
            raise InvalidInput("A signed intake cannot be changed.")
        return stored


class TreatmentPlans(ChartServiceBase):
    @requires(Action.MANAGE_TREATMENT_PLANS)
    def start_plan(
        self, client_id: int, review_date: date, *, revise: bool = False
    ) -> TreatmentPlan:
        """A new draft; with `revise`, a copy of the plan in force to change openly."""
        self._check_review(review_date)
        self._require_chart(client_id)
        with self._session.transaction() as tx:
            plans = TreatmentPlanRepository(tx.conn)
            problems: tuple[PlanProblem, ...] = ()
            target = None
            if revise:
                current = plans.latest(client_id, signed_only=True)
                if current is None:
                    raise InvalidInput("There is no signed plan to revise.")
                problems, target = current.problems, current.target_date
            plan = plans.add(
                client_id, self._me().id, problems, target, review_date, self._clock.now()
            )
            tx.audit("treatment_plan_created", object_type="treatment_plan", object_id=str(plan.id))
        return plan

    @requires(Action.VIEW_CHART)
    def current_plan(self, client_id: int) -> TreatmentPlan | None:
        """The newest plan, draft or signed."""
        self._require_chart(client_id)
        return TreatmentPlanRepository(self._session.database.conn).latest(client_id)

    @requires(Action.VIEW_CHART)
    def plan(self, plan_id: int) -> TreatmentPlan:
        plan = TreatmentPlanRepository(self._session.database.conn).get(plan_id)
        self._require_chart(plan.client_id)
        return plan

    @requires(Action.MANAGE_TREATMENT_PLANS)
    def save_plan(
        self,
        plan: TreatmentPlan,
        problems: list[PlanProblem],
        *,
        review_date: date,
        target_date: date | None = None,
    ) -> TreatmentPlan:
        self._check_review(review_date)
        check_length(*_plan_texts(problems))
        if any(not p.text.strip() for p in problems):
            raise InvalidInput("Each problem needs a description.")
        stored = self._own(plan)
        with self._session.transaction() as tx:
            saved = TreatmentPlanRepository(tx.conn).save(
                dataclasses.replace(stored, row_version=plan.row_version),
                tuple(problems),
                target_date,
                review_date,
                self._clock.now(),
            )
            self._audit_edit(tx, "treatment_plan_saved", "treatment_plan", plan.id)
        return saved

    @requires(Action.SIGN_NOTES)
    def sign_plan(self, plan: TreatmentPlan, password: str) -> TreatmentPlan:
        stored = self._own(plan)
        if not stored.problems or not any(p.goals for p in stored.problems):
            raise InvalidInput("A plan needs at least one problem with a goal before signing.")
        self._confirm_signature(password)
        with self._session.transaction() as tx:
            signed = TreatmentPlanRepository(tx.conn).sign(
                dataclasses.replace(stored, row_version=plan.row_version),
                self._me().id,
                self._clock.now(),
            )
            tx.audit("treatment_plan_signed", object_type="treatment_plan", object_id=str(plan.id))
        return signed

    def _own(self, plan: TreatmentPlan) -> TreatmentPlan:
        stored = TreatmentPlanRepository(self._session.database.conn).get(plan.id)
        self._require_chart(stored.client_id)
        if stored.author_id != self._me().id:
            raise PermissionDenied(NOT_YOURS)
        if stored.signed_at is not None:
            raise InvalidInput("A signed plan cannot be changed; revise it instead.")
        return stored

    def _check_review(self, review_date: date) -> None:
        if review_date < self._clock.now().date():
            raise InvalidInput("The review date cannot be in the past.")


def _plan_texts(problems: list[PlanProblem]) -> list[str]:
    texts = []
    for p in problems:
        texts += [p.text, *p.interventions]
        for g in p.goals:
            texts += [g.text, *(o.text for o in g.objectives)]
    return texts
