"""The baseline of the query figures: the same repository code, the same queries in
the same order, on an unencrypted copy of the practice, in a process of its own.

The copy is made by `export_plain` with `sqlcipher_export` from a demo vault only
(synthetic people), into a temporary folder the suite deletes when the size is done.
It is opened with the same SQLite library as the vault (sqlcipher3's, without a key,
so no page is encrypted and SQLCipher's memory security stays off: it is process-wide,
which is why this runs apart from the measuring process) and the same page cache, so
the ratio of a figure to its baseline is what encryption, with memory security on,
costs. Run by the suite: `python -m bench.plain DB SPEC.json` prints one JSON object.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlcipher3

from ehrdesk.core.audit_review import AuditFilter
from ehrdesk.core.recurrence import local_day_bounds, zone
from ehrdesk.core.search_terms import query_words
from ehrdesk.services.activity import compute_flags, practice_hours, thresholds
from ehrdesk.services.schedule_rules import clinicians
from ehrdesk.storage.appointments import AppointmentRepository
from ehrdesk.storage.assessments import TreatmentPlanRepository
from ehrdesk.storage.audit_review import AuditQueries
from ehrdesk.storage.clients import ClientRepository
from ehrdesk.storage.database import CACHE_KIB, Connection
from ehrdesk.storage.emergency import EmergencyAccessRepository
from ehrdesk.storage.notes import NoteRepository


def export_plain(conn: Connection, target: Path) -> float:
    """Write an unencrypted copy of the open vault to `target`; seconds taken."""
    start = time.perf_counter()
    conn.execute("ATTACH DATABASE ? AS plaintext KEY ''", (str(target),))
    try:
        conn.execute("SELECT sqlcipher_export('plaintext')")
    finally:
        conn.execute("DETACH DATABASE plaintext")
    return time.perf_counter() - start


def run_baseline(plain: Path, spec: dict[str, Any]) -> dict[str, list[float]]:
    """Run `python -m bench.plain` on `plain` with `spec`; its samples by figure."""
    spec_file = plain.with_suffix(".spec.json")
    spec_file.write_text(json.dumps(spec))
    done = subprocess.run(
        [sys.executable, "-m", "bench.plain", str(plain), str(spec_file)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(done.stdout))


def _timed(work: Callable[[], object], runs: int = 1) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _filter(spec: dict[str, Any]) -> AuditFilter:
    values = dict(spec)
    for key in ("since", "until"):
        if values.get(key):
            values[key] = datetime.fromisoformat(values[key])
    values["actions"] = tuple(values.get("actions", ()))
    return AuditFilter(**values)


def _day(spec: dict[str, Any], conn: Connection) -> Callable[[int | None], object]:
    """Today's appointments (one clinician's, or None: everyone's) and the clinicians'
    names, as the Today view asks for them."""
    start, end = local_day_bounds(date.fromisoformat(spec["day"]), 1, zone(spec["zone"]))
    appointments = AppointmentRepository(conn)

    def day(clinician: int | None) -> object:
        clinicians(conn)
        return appointments.entries(start, end, clinician)

    return day


def measure(conn: Connection, spec: dict[str, Any]) -> dict[str, list[float]]:
    """The figures' queries as the services run them, minus permission checks and
    audit events (those write; the baseline only reads)."""
    out: dict[str, list[float]] = {}
    if "search" in spec:
        clients = ClientRepository(conn)
        searches = spec["search"]
        for text in spec.get("warm", []):
            clients.search(query_words(text))
        out["search"] = [_timed(lambda t=t: clients.search(query_words(t)))[0] for t in searches]
    if "week" in spec:
        week = spec["week"]
        start, end = local_day_bounds(date.fromisoformat(week["monday"]), 7, zone(week["zone"]))
        appointments = AppointmentRepository(conn)
        appointments.entries(start, end, week["clinician"])
        out["week_clinician"] = _timed(
            lambda: appointments.entries(start, end, week["clinician"]), week["runs"]
        )
        out["week_practice"] = _timed(lambda: appointments.entries(start, end), week["runs"])
    if "today" in spec:
        today = spec["today"]
        notes, plans = NoteRepository(conn), TreatmentPlanRepository(conn)
        by = date.fromisoformat(today["by"])

        day = _day(today, conn)

        def lists() -> None:
            day(today["author"])
            notes.unsigned(today["author"])
            plans.reviews_due(by, today["author"])

        lists()
        out["today"] = _timed(lists, today["runs"])
    if "today_owner" in spec:
        owner = spec["today_owner"]
        notes, plans = NoteRepository(conn), TreatmentPlanRepository(conn)
        waiting = EmergencyAccessRepository(conn)
        by, now = date.fromisoformat(owner["by"]), datetime.fromisoformat(owner["now"])

        owner_day = _day(owner, conn)

        def owner_lists() -> None:
            owner_day(None)
            notes.unsigned(owner["author"])
            plans.reviews_due(by, owner["author"])
            waiting.waiting()
            compute_flags(conn, now, thresholds(conn), practice_hours(conn))

        owner_lists()
        out["today_owner"] = _timed(owner_lists, owner["runs"])
    if "audit" in spec:
        queries = AuditQueries(conn)
        audit = spec["audit"]
        first = AuditFilter()
        queries.page(first, limit=200)
        out["audit_first_page"] = _timed(lambda: queries.page(first, limit=200), audit["runs"])
        filters = [_filter(f) for f in audit["filters"]]
        for f in filters:
            queries.page(f, limit=200)
        out["audit_filtered_page"] = [
            ms for f in filters for ms in _timed(lambda f=f: queries.page(f, limit=200), 10)
        ]
    if "fts" in spec:
        fts = spec["fts"]
        notes = NoteRepository(conn)
        for text in fts["queries"]:
            notes.search(text, fts["owner"], 50)
        out["fts"] = [
            ms
            for _ in range(fts["rounds"])
            for text in fts["queries"]
            for ms in _timed(lambda t=text: notes.search(t, fts["owner"], 50))
        ]
    return out


def main() -> None:
    plain, spec_file = Path(sys.argv[1]), Path(sys.argv[2])
    spec = json.loads(spec_file.read_text())
    conn = sqlcipher3.connect(str(plain), isolation_level=None)
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    try:
        print(json.dumps(measure(conn, spec)))
    finally:
        conn.close()


if __name__ == "__main__":
    main()
