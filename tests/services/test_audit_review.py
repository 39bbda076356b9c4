"""The audit screen's service: filters, keyset paging, CSV and PDF export (each one
audited), and chain verification on a connection of its own naming the first broken
row. The million-event figures are in bench/audit.py; these stay fast."""

from __future__ import annotations

import csv
import io
import stat
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ehrdesk.core import audit_actions as actions
from ehrdesk.core.audit_review import AuditFilter
from ehrdesk.core.errors import InvalidInput
from ehrdesk.core.models import AuditEvent, Role
from ehrdesk.services.documents import Purpose
from ehrdesk.services.registry import Services
from ehrdesk.storage.audit_review import AuditQueries
from tests.compliance_support import log, pdf_page_png, pdf_pages, pdf_words, user
from tests.conftest import Practice

START = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)


def _fill(services: Services) -> None:
    """About 600 events: three people, clients 1-20, several at the very same instant
    (so the keyset's tie-break on seq is exercised)."""
    people = [user(services, n) for n in ("owner", "carla", "frank")]
    with services.session.transaction() as tx:
        for n in range(600):
            who = people[n % 3]
            action = [actions.CHART_OPENED, actions.CLIENT_VIEWED, "lock", "sign_in"][n % 4]
            client = str((n // 4) % 20 + 1) if action in actions.CLIENT_RECORD_VIEWS else None
            tx.audit(
                action,
                at=START + timedelta(minutes=(n // 3) * 7),  # three events per instant
                user=who,
                object_type="client" if client else None,
                object_id=client,
            )


@pytest.fixture
def filled(practice: Practice, add_user: Callable[..., None]) -> Practice:
    add_user("carla", Role.CLINICIAN)
    add_user("frank", Role.FRONT_DESK)
    practice.sign_in()
    _fill(practice.services)
    return practice


def _reference(services: Services, filt: AuditFilter) -> list[int]:
    """What the filter should give, computed in Python over every event."""
    events = services.audit.events(limit=100_000)

    def keep(e: AuditEvent) -> bool:
        return (
            (filt.since is None or e.at >= filt.since)
            and (filt.until is None or e.at < filt.until)
            and (filt.user_id is None or e.user_id == filt.user_id)
            and (not filt.actions or e.action in filt.actions)
            and (filt.object_type is None or e.object_type == filt.object_type)
            and (filt.object_id is None or e.object_id == filt.object_id)
        )

    chosen = sorted((e for e in events if keep(e)), key=lambda e: (e.at, e.seq), reverse=True)
    return [e.seq for e in chosen]


def _paged(services: Services, filt: AuditFilter, size: int) -> list[int]:
    seqs: list[int] = []
    last = None
    while True:
        page = services.audit.page(filt, after=last, limit=size)
        seqs += [e.seq for e in page]
        if len(page) < size:
            return seqs
        last = page[-1]


def _filters(services: Services) -> list[AuditFilter]:
    carla = user(services, "carla").id
    mid = START + timedelta(hours=3)
    return [
        AuditFilter(),
        AuditFilter(user_id=carla),
        AuditFilter(actions=(actions.CHART_OPENED,)),
        AuditFilter(actions=tuple(sorted(actions.CLIENT_RECORD_VIEWS))),
        AuditFilter(object_type="client"),
        AuditFilter.for_client(7),
        AuditFilter(since=mid),
        AuditFilter(since=START + timedelta(hours=1), until=mid),
        AuditFilter(since=mid, user_id=carla, actions=(actions.CHART_OPENED,)),
        AuditFilter.for_client(7, user_id=carla, since=START, until=mid),
    ]


def test_every_filter_pages_to_exactly_its_events_newest_first(filled: Practice) -> None:
    services = filled.services
    for filt in _filters(services):
        expected = _reference(services, filt)
        assert expected, filt.describe()
        assert _paged(services, filt, 37) == expected, filt.describe()


def test_who_opened_this_chart_is_a_filter(filled: Practice) -> None:
    events = filled.services.audit.page(AuditFilter.for_client(7), limit=1000)
    assert events and {(e.object_type, e.object_id) for e in events} == {("client", "7")}
    assert {e.action for e in events} <= actions.CLIENT_RECORD_VIEWS


def test_filters_are_checked() -> None:
    with pytest.raises(InvalidInput):
        AuditFilter(since=START, until=START)
    with pytest.raises(InvalidInput):
        AuditFilter(object_id="7")


def test_every_page_query_is_an_index_range_without_a_sort(filled: Practice) -> None:
    queries = AuditQueries(filled.services.session.database.conn)
    last = filled.services.audit.page(AuditFilter(), limit=1)[0]
    from ehrdesk.storage.audit_review import AuditCursor

    for filt in _filters(filled.services):
        for after in (None, AuditCursor.after(last)):
            plan = " ".join(queries.plan(filt, after))
            assert "USING INDEX" in plan, (filt.describe(), plan)
            assert "TEMP B-TREE" not in plan, (filt.describe(), plan)


def _export(services: Services, filt: AuditFilter, path: Path) -> int:
    job = services.audit.start_csv_export(filt, path)
    result: list[int] = []
    worker = threading.Thread(target=lambda: result.append(job.run()))
    worker.start()  # off the thread that owns the session's connection, as the GUI does
    worker.join()
    return result[0]


def test_csv_export_holds_the_filtered_view_and_is_audited(
    filled: Practice, tmp_path: Path
) -> None:
    services = filled.services
    carla = user(services, "carla")
    filt = AuditFilter(user_id=carla.id, actions=(actions.CHART_OPENED,))
    (tmp_path / "out").mkdir()
    path = tmp_path / "out" / "audit.csv"
    count = _export(services, filt, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8"))))
    assert rows[0] == [
        "seq",
        "time_utc",
        "user_id",
        "username",
        "role",
        "action",
        "object_type",
        "object_id",
        "reason",
    ]
    assert count == len(rows) - 1 == len(_reference(services, filt))
    assert [int(r[0]) for r in rows[1:]] == _reference(services, filt)
    assert {(r[3], r[5], r[6]) for r in rows[1:]} == {("carla", "chart_opened", "client")}
    newest = services.audit.page(AuditFilter(actions=(actions.AUDIT_LOG_EXPORTED,)), limit=5)
    assert [(e.username, e.reason) for e in newest] == [("owner", "csv, filtered by user, action")]
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_csv_cells_never_start_a_formula(practice: Practice, tmp_path: Path) -> None:
    practice.sign_in()
    services = practice.services
    log(services, "sign_in", START, user(services, "owner"), object_type="=cmd|'/c calc'!A1")
    _export(services, AuditFilter(object_type="=cmd|'/c calc'!A1"), tmp_path / "x.csv")
    rows = list(csv.reader((tmp_path / "x.csv").open(encoding="utf-8")))
    assert rows[1][6] == "'=cmd|'/c calc'!A1"


def test_pdf_report_of_the_filtered_view(filled: Practice, tmp_path: Path) -> None:
    services = filled.services
    filt = AuditFilter.for_client(7)
    document = services.audit.audit_report(filt, Purpose.PRINT)
    data = document.render()
    words = pdf_words(data, tmp_path)
    expected = _reference(services, filt)
    for phrase in [
        "Audit report",
        "Riverside Counselling",
        "client 7",
        "Confidential",
        f"Number of events {len(expected)}",
        "chart opened",
        "not verified yet",
        "Page 1 of",
    ]:
        assert phrase.lower() in words.lower(), phrase
    pdf_page_png(data, tmp_path, "audit-report")
    printed = services.audit.page(AuditFilter(actions=(actions.AUDIT_REPORT_PRINTED,)), limit=5)
    assert [e.reason for e in printed] == ["pdf, filtered by object"]
    whole = services.audit.audit_report(AuditFilter(), Purpose.SAVE).render()
    assert pdf_pages(whole, tmp_path) > 5


def test_verify_names_the_first_broken_row_after_tampering(filled: Practice) -> None:
    services = filled.services
    conn = services.session.database.conn
    conn.execute("DROP TRIGGER audit_event_never_updated")
    conn.execute("UPDATE audit_event SET object_id = '8' WHERE seq = 123")
    conn.execute("UPDATE audit_event SET object_id = '9' WHERE seq = 456")
    job = services.audit.start_chain_verification()
    reports = []
    seen: list[tuple[int, int]] = []
    worker = threading.Thread(
        target=lambda: reports.append(job.run(lambda d, t: seen.append((d, t))))
    )
    worker.start()
    worker.join()
    [report] = reports
    assert (report.first_bad_seq, report.events_checked) == (123, 122)
    assert "changed" in (report.why or "")
    services.audit.record_chain_verification(report)
    [event] = services.audit.page(AuditFilter(actions=("audit_chain_verified",)), limit=1)
    assert event.reason == "broken at 123"


def test_an_intact_chain_verifies_with_progress(filled: Practice) -> None:
    seen: list[tuple[int, int]] = []
    report = filled.services.audit.start_chain_verification().run(lambda d, t: seen.append((d, t)))
    assert report.ok and report.events_checked == seen[-1][0] == seen[-1][1]


def test_a_job_runs_once(filled: Practice) -> None:
    from ehrdesk.core.errors import SessionLocked

    job = filled.services.audit.start_chain_verification()
    job.run()
    with pytest.raises(SessionLocked):
        job.run()
