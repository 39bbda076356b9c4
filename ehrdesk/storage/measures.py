"""PHQ-9 and GAD-7 results: inserted scored, never changed; one entered in error is
voided (the schema refuses any other update, and every delete)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ehrdesk.core.chart import MeasureResult, ScorePoint
from ehrdesk.core.errors import ConcurrentEditError, NotFound
from ehrdesk.core.measures import Instrument, Score
from ehrdesk.storage.chart import parse_utc, utc_text
from ehrdesk.storage.database import Connection, limit_sql

_COLUMNS = (
    "m.id, m.client_id, m.instrument, m.answers, m.total, m.band, m.risk_flag, "
    "m.administered_at, u.full_name, m.by_client, m.voided_at, m.row_version"
)


@dataclass(frozen=True, slots=True)
class HistoricalMeasure:
    """A result entered by the clinician in the session (bulk path)."""

    id: int
    client_id: int
    scored: Score
    administered_at: datetime
    entered_by: int


def _result(row: tuple[object, ...]) -> MeasureResult:
    mid, client, instrument, answers, total, band, risk, at, by, by_client, voided, ver = row
    return MeasureResult(
        id=int(str(mid)),
        client_id=int(str(client)),
        instrument=Instrument(str(instrument)),
        answers=tuple(int(a) for a in str(answers).split(",")),
        total=int(str(total)),
        band=str(band),
        risk_flag=bool(risk),
        administered_at=parse_utc(str(at)),
        entered_by_name=str(by),
        by_client=bool(by_client),
        voided=voided is not None,
        row_version=int(str(ver)),
    )


class MeasureRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(
        self,
        client_id: int,
        scored: Score,
        *,
        administered_at: datetime,
        entered_by: int,
        by_client: bool,
        now: datetime,
    ) -> MeasureResult:
        cur = self._conn.execute(
            "INSERT INTO measure_result (client_id, instrument, answers, total, band, "
            "risk_flag, administered_at, entered_by, by_client, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                client_id,
                scored.instrument.value,
                ",".join(str(a) for a in scored.answers),
                scored.total,
                scored.band,
                int(scored.risk_flag),
                utc_text(administered_at),
                entered_by,
                int(by_client),
                utc_text(now),
            ),
        )
        return self.get(int(cur.lastrowid))

    def add_many(self, rows: list[HistoricalMeasure]) -> None:
        """Bulk-insert results entered in the past, with the ids they carry (the
        synthetic practices' generator): the rows `add` writes."""
        self._conn.executemany(
            "INSERT INTO measure_result (id, client_id, instrument, answers, total, band, "
            "risk_flag, administered_at, entered_by, by_client, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
            [
                (
                    r.id,
                    r.client_id,
                    r.scored.instrument.value,
                    ",".join(str(a) for a in r.scored.answers),
                    r.scored.total,
                    r.scored.band,
                    int(r.scored.risk_flag),
                    utc_text(r.administered_at),
                    r.entered_by,
                    utc_text(r.administered_at),
                )
                for r in rows
            ],
        )

    def get(self, measure_id: int) -> MeasureResult:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM measure_result m JOIN user u ON u.id = m.entered_by "  # noqa: S608 - constants
            "WHERE m.id = ?",
            (measure_id,),
        ).fetchone()
        if row is None:
            raise NotFound("That measure does not exist.")
        return _result(row)

    def void(self, result: MeasureResult, user_id: int, now: datetime) -> MeasureResult:
        cur = self._conn.execute(
            "UPDATE measure_result SET voided_at = ?, voided_by = ?, "
            "row_version = row_version + 1 WHERE id = ? AND row_version = ? AND voided_at IS NULL",
            (utc_text(now), user_id, result.id, result.row_version),
        )
        if cur.rowcount != 1:
            raise ConcurrentEditError
        return self.get(result.id)

    def for_client(self, client_id: int, limit: int = 200) -> list[MeasureResult]:
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM measure_result m JOIN user u ON u.id = m.entered_by "  # noqa: S608 - constants
            f"WHERE m.client_id = ? ORDER BY m.administered_at DESC, m.id DESC {limit_sql(limit)}",
            (client_id,),
        )
        return [_result(r) for r in rows]

    def recent_scores(self, client_id: int, per_instrument: int = 12) -> list[ScorePoint]:
        """The newest valid totals of each instrument, oldest first (the header chart)."""
        points: list[ScorePoint] = []
        for instrument in Instrument:
            rows = self._conn.execute(
                "SELECT administered_at, total FROM measure_result "  # noqa: S608 - a number
                "WHERE client_id = ? AND instrument = ? AND voided_at IS NULL "
                f"ORDER BY administered_at DESC, id DESC {limit_sql(per_instrument)}",
                (client_id, instrument.value),
            ).fetchall()
            points += [ScorePoint(instrument, parse_utc(at), int(t)) for at, t in reversed(rows)]
        return points

    def latest_phq9_flag(self, client_id: int) -> datetime | None:
        """When the newest valid PHQ-9 had item 9 above zero; None if it did not."""
        row = self._conn.execute(
            "SELECT administered_at, risk_flag FROM measure_result "
            "WHERE client_id = ? AND instrument = 'phq9' AND voided_at IS NULL "
            "ORDER BY administered_at DESC, id DESC LIMIT 1",
            (client_id,),
        ).fetchone()
        return parse_utc(row[0]) if row is not None and row[1] else None
