"""Intake assessments and treatment plans: structured documents, drafts until signed,
locked once signed (the schema's triggers refuse any change or delete after that).

An intake keeps its risk levels as columns, so the chart header reads them without
parsing; the rest of its answers and the safety plan are JSON. A plan keeps its
problems, goals, objectives and interventions as one JSON document and its review
date as a column, so "reviews due" is an index range.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ehrdesk.core.chart import (
    Intake,
    IntakeRisk,
    NoteStatus,
    PlanGoal,
    PlanObjective,
    PlanProblem,
    PlanReviewDue,
    RiskLevel,
    TreatmentPlan,
)
from ehrdesk.core.errors import ConcurrentEditError, NotFound
from ehrdesk.storage.chart import parse_date, parse_utc, utc_text
from ehrdesk.storage.clients import CLIENT_NAME_SQL
from ehrdesk.storage.database import Connection, limit_sql

_INTAKE_COLUMNS = (
    "i.id, i.client_id, i.author_id, a.full_name, i.answers, i.suicide_risk, "
    "i.self_harm_risk, i.violence_risk, i.safety_plan, i.status, s.full_name, i.signed_at, "
    "i.created_at, i.row_version"
)
_PLAN_COLUMNS = (
    "p.id, p.client_id, p.author_id, a.full_name, p.problems, p.target_date, p.review_date, "
    "p.status, s.full_name, p.signed_at, p.created_at, p.row_version"
)


def _intake(row: tuple[object, ...]) -> Intake:
    iid, client, author, author_name, answers, suicide, self_harm = row[:7]
    violence, plan, status, signer, signed_at, created, version = row[7:]
    return Intake(
        id=int(str(iid)),
        client_id=int(str(client)),
        author_id=int(str(author)),
        author_name=str(author_name),
        answers=json.loads(str(answers)),
        risk=IntakeRisk(
            RiskLevel(str(suicide)), RiskLevel(str(self_harm)), RiskLevel(str(violence))
        ),
        safety_plan=json.loads(str(plan)),
        status=NoteStatus(str(status)),
        signed_by_name=None if signer is None else str(signer),
        signed_at=None if signed_at is None else parse_utc(str(signed_at)),
        created_at=parse_utc(str(created)),
        row_version=int(str(version)),
    )


def problems_json(problems: tuple[PlanProblem, ...]) -> str:
    return json.dumps(
        [
            {
                "text": p.text,
                "interventions": list(p.interventions),
                "goals": [
                    {
                        "text": g.text,
                        "objectives": [
                            {
                                "text": o.text,
                                "target_date": None
                                if o.target_date is None
                                else str(o.target_date),
                            }
                            for o in g.objectives
                        ],
                    }
                    for g in p.goals
                ],
            }
            for p in problems
        ],
        ensure_ascii=False,
    )


def _problems(raw: str) -> tuple[PlanProblem, ...]:
    data: list[dict[str, Any]] = json.loads(raw)
    return tuple(
        PlanProblem(
            p["text"],
            tuple(
                PlanGoal(
                    g["text"],
                    tuple(
                        PlanObjective(o["text"], parse_date(o.get("target_date")))
                        for o in g["objectives"]
                    ),
                )
                for g in p["goals"]
            ),
            tuple(p["interventions"]),
        )
        for p in data
    )


def _plan(row: tuple[object, ...]) -> TreatmentPlan:
    pid, client, author, author_name, problems, target, review = row[:7]
    status, signer, signed_at, created, version = row[7:]
    review_date = parse_date(str(review))
    assert review_date is not None
    return TreatmentPlan(
        id=int(str(pid)),
        client_id=int(str(client)),
        author_id=int(str(author)),
        author_name=str(author_name),
        problems=_problems(str(problems)),
        target_date=parse_date(None if target is None else str(target)),
        review_date=review_date,
        status=NoteStatus(str(status)),
        signed_by_name=None if signer is None else str(signer),
        signed_at=None if signed_at is None else parse_utc(str(signed_at)),
        created_at=parse_utc(str(created)),
        row_version=int(str(version)),
    )


class IntakeRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, client_id: int, author_id: int, now: datetime) -> Intake:
        stamp = utc_text(now)
        cur = self._conn.execute(
            "INSERT INTO intake_assessment (client_id, author_id, answers, safety_plan, "
            "created_at, updated_at) VALUES (?, ?, '{}', '{}', ?, ?)",
            (client_id, author_id, stamp, stamp),
        )
        return self.get(int(cur.lastrowid))

    def get(self, intake_id: int) -> Intake:
        row = self._conn.execute(
            f"SELECT {_INTAKE_COLUMNS} FROM intake_assessment i "  # noqa: S608 - constants
            "JOIN user a ON a.id = i.author_id LEFT JOIN user s ON s.id = i.signed_by "
            "WHERE i.id = ?",
            (intake_id,),
        ).fetchone()
        if row is None:
            raise NotFound("That intake assessment does not exist.")
        return _intake(row)

    def latest(self, client_id: int) -> Intake | None:
        row = self._conn.execute(
            "SELECT id FROM intake_assessment WHERE client_id = ? "
            "ORDER BY created_at DESC, id DESC LIMIT 1",
            (client_id,),
        ).fetchone()
        return None if row is None else self.get(int(row[0]))

    def signed_for_client(self, client_id: int) -> list[Intake]:
        """The client's signed intakes, oldest first; drafts never."""
        rows = self._conn.execute(
            f"SELECT {_INTAKE_COLUMNS} FROM intake_assessment i "  # noqa: S608 - constants
            "JOIN user a ON a.id = i.author_id LEFT JOIN user s ON s.id = i.signed_by "
            "WHERE i.client_id = ? AND i.status = 'signed' ORDER BY i.created_at, i.id",
            (client_id,),
        )
        return [_intake(r) for r in rows]

    def save(
        self,
        intake: Intake,
        answers: Mapping[str, str],
        risk: IntakeRisk,
        safety_plan: Mapping[str, str],
        now: datetime,
    ) -> Intake:
        cur = self._conn.execute(
            "UPDATE intake_assessment SET answers = ?, suicide_risk = ?, self_harm_risk = ?, "
            "violence_risk = ?, safety_plan = ?, updated_at = ?, row_version = row_version + 1 "
            "WHERE id = ? AND row_version = ? AND status = 'draft'",
            (
                json.dumps(dict(answers), ensure_ascii=False),
                risk.suicide.value,
                risk.self_harm.value,
                risk.violence.value,
                json.dumps(dict(safety_plan), ensure_ascii=False),
                utc_text(now),
                intake.id,
                intake.row_version,
            ),
        )
        if cur.rowcount != 1:
            raise ConcurrentEditError
        return self.get(intake.id)

    def sign(self, intake: Intake, signer_id: int, now: datetime) -> Intake:
        stamp = utc_text(now)
        cur = self._conn.execute(
            "UPDATE intake_assessment SET status = 'signed', signed_by = ?, signed_at = ?, "
            "updated_at = ?, row_version = row_version + 1 "
            "WHERE id = ? AND row_version = ? AND status = 'draft'",
            (signer_id, stamp, stamp, intake.id, intake.row_version),
        )
        if cur.rowcount != 1:
            raise ConcurrentEditError
        return self.get(intake.id)


class TreatmentPlanRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(
        self,
        client_id: int,
        author_id: int,
        problems: tuple[PlanProblem, ...],
        target_date: date | None,
        review_date: date,
        now: datetime,
    ) -> TreatmentPlan:
        stamp = utc_text(now)
        cur = self._conn.execute(
            "INSERT INTO treatment_plan (client_id, author_id, problems, target_date, "
            "review_date, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                client_id,
                author_id,
                problems_json(problems),
                None if target_date is None else target_date.isoformat(),
                review_date.isoformat(),
                stamp,
                stamp,
            ),
        )
        return self.get(int(cur.lastrowid))

    def get(self, plan_id: int) -> TreatmentPlan:
        row = self._conn.execute(
            f"SELECT {_PLAN_COLUMNS} FROM treatment_plan p "  # noqa: S608 - constants
            "JOIN user a ON a.id = p.author_id LEFT JOIN user s ON s.id = p.signed_by "
            "WHERE p.id = ?",
            (plan_id,),
        ).fetchone()
        if row is None:
            raise NotFound("That treatment plan does not exist.")
        return _plan(row)

    def latest(self, client_id: int, *, signed_only: bool = False) -> TreatmentPlan | None:
        row = self._conn.execute(
            "SELECT id FROM treatment_plan WHERE client_id = ? AND (status = 'signed' OR NOT ?) "
            "ORDER BY created_at DESC, id DESC LIMIT 1",
            (client_id, int(signed_only)),
        ).fetchone()
        return None if row is None else self.get(int(row[0]))

    def signed_for_client(self, client_id: int) -> list[TreatmentPlan]:
        """The client's signed plans, oldest first (the newest is the one in force)."""
        rows = self._conn.execute(
            f"SELECT {_PLAN_COLUMNS} FROM treatment_plan p "  # noqa: S608 - constants
            "JOIN user a ON a.id = p.author_id LEFT JOIN user s ON s.id = p.signed_by "
            "WHERE p.client_id = ? AND p.status = 'signed' ORDER BY p.created_at, p.id",
            (client_id,),
        )
        return [_plan(r) for r in rows]

    def save(
        self,
        plan: TreatmentPlan,
        problems: tuple[PlanProblem, ...],
        target_date: date | None,
        review_date: date,
        now: datetime,
    ) -> TreatmentPlan:
        cur = self._conn.execute(
            "UPDATE treatment_plan SET problems = ?, target_date = ?, review_date = ?, "
            "updated_at = ?, row_version = row_version + 1 "
            "WHERE id = ? AND row_version = ? AND status = 'draft'",
            (
                problems_json(problems),
                None if target_date is None else target_date.isoformat(),
                review_date.isoformat(),
                utc_text(now),
                plan.id,
                plan.row_version,
            ),
        )
        if cur.rowcount != 1:
            raise ConcurrentEditError
        return self.get(plan.id)

    def sign(self, plan: TreatmentPlan, signer_id: int, now: datetime) -> TreatmentPlan:
        stamp = utc_text(now)
        cur = self._conn.execute(
            "UPDATE treatment_plan SET status = 'signed', signed_by = ?, signed_at = ?, "
            "updated_at = ?, row_version = row_version + 1 "
            "WHERE id = ? AND row_version = ? AND status = 'draft'",
            (signer_id, stamp, stamp, plan.id, plan.row_version),
        )
        if cur.rowcount != 1:
            raise ConcurrentEditError
        return self.get(plan.id)

    def reviews_due(
        self, by: date, clinician_id: int | None, limit: int = 100
    ) -> list[PlanReviewDue]:
        """Plans in force (the newest signed plan of each client) whose review date is
        on or before `by`; for one clinician's clients, or every client (None)."""
        rows = self._conn.execute(
            f"SELECT p.id, p.client_id, {CLIENT_NAME_SQL}, p.review_date "  # noqa: S608 - constants
            "FROM treatment_plan p JOIN client c ON c.id = p.client_id "
            "WHERE p.status = 'signed' AND p.review_date <= ? "
            "AND (? IS NULL OR c.assigned_clinician_id = ?) "
            "AND NOT EXISTS (SELECT 1 FROM treatment_plan q WHERE q.client_id = p.client_id "
            "  AND q.status = 'signed' AND (q.created_at, q.id) > (p.created_at, p.id)) "
            f"ORDER BY p.review_date {limit_sql(limit)}",
            (by.isoformat(), clinician_id, clinician_id),
        )
        return [
            PlanReviewDue(int(i), int(c), str(n), date.fromisoformat(str(r))) for i, c, n, r in rows
        ]
