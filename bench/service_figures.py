"""The figures measured through the services, in this process, on a working copy with
SQLCipher's memory security on (as a real practice runs): client search as typed, the
week view, the Today view, opening the 1,000-note chart, the audit screen's pages,
full-text search over a clinician's notes, and verifying the whole audit chain.

Each query figure's baseline is the same repository code on an unencrypted copy, in a
process of its own (bench/plain.py). The practice's people are the demo's: "demo" (the
owner), "clinician" (whose clients include the long chart) and "desk".
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.figures import TARGETS, Figure, figure, timed_ms
from bench.plain import export_plain, run_baseline
from bench.practices import Practice, memory_security_on
from ehrdesk.core.audit_review import AuditFilter
from ehrdesk.core.models import Role
from ehrdesk.core.recurrence import zone
from ehrdesk.services.charting import REVIEW_WINDOW_DAYS
from ehrdesk.storage.users import UserRepository

#: Full-text queries a clinician types: two words, rare words, common ones.
FTS_QUERIES = (
    "panic breathing",
    "interoceptive exposure",
    "sleep",
    "grief",
    "motorway",
    "safety plan",
    "rumination evenings",
    "thought record",
    "canteen",
    "medication review",
)
SEARCHES = 300


def typed_searches(conn: Any, count: int, seed: int = 7) -> list[str]:
    """What the front desk types, keystroke by keystroke, for clients of the practice:
    a surname letter by letter (1 to 6 letters), or part of a phone number (3 and then
    4 digits of it, or the exchange and the number: "555-01")."""
    rng = random.Random(seed)
    top = int(conn.execute("SELECT max(id) FROM client").fetchone()[0])
    typed: list[str] = []
    while len(typed) < count:
        last, mobile, home = conn.execute(
            "SELECT legal_last_name, phone_mobile, phone_home FROM client WHERE id = ?",
            (rng.randint(1, top),),
        ).fetchone()
        if rng.random() < 2 / 3:
            typed += [last[:n] for n in range(1, min(6, len(last)) + 1)]
        else:
            digits = "".join(ch for ch in (mobile or home) if ch.isdigit())
            run = rng.choice((digits[-4:], digits[3:7], digits[-7:-3]))
            typed += [run[:3], run] if rng.random() < 0.7 else [f"555-{digits[-4:-2]}"]
    return typed[:count]


def _people(practice: Practice) -> dict[str, int]:
    services = practice.services
    users = {u.username: u for u in UserRepository(services.session.database.conn).all()}
    return {name: users[name].id for name in ("demo", "clinician", "desk")}


def _long_chart_client(conn: Any, clinician_id: int) -> tuple[int, int]:
    """The clinician's client with the most notes (the long chart) and one with few."""
    rows = conn.execute(
        "SELECT client_id, count(*) FROM progress_note WHERE author_id = ? "
        "GROUP BY client_id ORDER BY 2 DESC",
        (clinician_id,),
    ).fetchall()
    short = next((c for c, n in reversed(rows) if n >= 3), rows[-1][0])
    return int(rows[0][0]), int(short)


def _busiest_clinician(conn: Any, practice: Practice) -> tuple[int, int]:
    monday = practice.monday
    row = conn.execute(
        "SELECT clinician_id, count(*) FROM appointment WHERE starts_at >= ? AND starts_at < ? "
        "AND status != 'cancelled' GROUP BY clinician_id ORDER BY 2 DESC LIMIT 1",
        (f"{monday}T00:00:00Z", f"{monday + timedelta(days=7)}T00:00:00Z"),
    ).fetchone()
    return int(row[0]), int(row[1])


def _audit_filters(practice: Practice, people: dict[str, int], client: int) -> list[AuditFilter]:
    now = practice.clock.now()
    return [
        AuditFilter(user_id=people["clinician"]),
        AuditFilter(actions=("note_signed",)),
        AuditFilter(actions=("emergency_access_granted",)),
        AuditFilter.for_client(client),
        AuditFilter(since=now - timedelta(days=7)),
        AuditFilter(user_id=people["desk"], actions=("appointment_cancelled",)),
    ]


def _filter_spec(f: AuditFilter) -> dict[str, Any]:
    return {
        "since": f.since.isoformat() if f.since else None,
        "until": f.until.isoformat() if f.until else None,
        "user_id": f.user_id,
        "actions": list(f.actions),
        "object_type": f.object_type,
        "object_id": f.object_id,
    }


def measure(practice: Practice, only: set[str], runs: dict[str, int]) -> list[Figure]:
    """Every in-process figure in `only` for this practice."""
    size = practice.size.name
    services = practice.sign_in("demo")
    if not memory_security_on(services):
        raise SystemExit("bench: SQLCipher's memory security did not come on")
    conn = services.session.database.conn
    people = _people(practice)
    long_client, short_client = _long_chart_client(conn, people["clinician"])
    clinician, booked = _busiest_clinician(conn, practice)
    tz = services.schedule.settings().time_zone
    typed = typed_searches(conn, runs["search"])
    warm = typed_searches(conn, 20, seed=3)
    figures: list[Figure] = []
    spec: dict[str, Any] = {}
    ours: dict[str, list[float]] = {}
    facts: dict[str, Any] = {}

    if "search" in only:
        services = practice.sign_in("desk")
        clients = services.clients
        for text in warm:  # a morning's first searches, before the measured ones
            clients.search(text)
        ours["search"] = [timed_ms(lambda t=text: clients.search(t), 1)[0] for text in typed]
        spec["search"], spec["warm"] = typed, warm
    if "week" in only:
        services = practice.sign_in("desk")
        schedule = services.schedule
        schedule.days(practice.monday, 7, clinician)
        ours["week_clinician"] = timed_ms(
            lambda: schedule.days(practice.monday, 7, clinician), runs["week"]
        )
        ours["week_practice"] = timed_ms(lambda: schedule.days(practice.monday, 7), runs["week"])
        facts["week"] = {
            "clinician_appointments": booked,
            "practice_appointments": len(schedule.days(practice.monday, 7)),
        }
        spec["week"] = {
            "monday": practice.monday.isoformat(),
            "clinician": clinician,
            "zone": tz,
            "runs": runs["week"],
        }
    if "today" in only or "chart" in only or "fts" in only:
        services = practice.sign_in("clinician")
        charts = services.charts
        if "today" in only:

            def today() -> None:
                _todays_appointments(services)
                charts.unsigned_notes()
                charts.plan_reviews_due()

            today()
            ours["today"] = timed_ms(today, runs["today"])
            facts["today"] = {
                "unsigned_notes": len(charts.unsigned_notes()),
                "appointments": len(services.schedule.today()),
            }
            by = (practice.clock.now() + timedelta(days=REVIEW_WINDOW_DAYS)).date()
            day = practice.clock.now().astimezone(zone(tz)).date()
            spec["today"] = {
                "author": people["clinician"],
                "by": by.isoformat(),
                "day": day.isoformat(),
                "zone": tz,
                "runs": runs["today"],
            }
        if "chart" in only:
            charts.open_chart(long_client)
            charts.open_chart(short_client)
            ours["chart_open"] = timed_ms(lambda: charts.open_chart(long_client), runs["chart"])
            ours["chart_short"] = timed_ms(lambda: charts.open_chart(short_client), runs["chart"])
        if "fts" in only:
            for text in FTS_QUERIES:
                charts.search_notes(text)
            ours["fts"] = [
                ms
                for _ in range(runs["fts"])
                for text in FTS_QUERIES
                for ms in timed_ms(lambda t=text: charts.search_notes(t), 1)
            ]
            own = conn_count(services, people["clinician"])
            facts["fts"] = {"clinicians_notes": own[0], "notes_in_file": own[1]}
            spec["fts"] = {
                "queries": FTS_QUERIES,
                "owner": people["clinician"],
                "rounds": runs["fts"],
            }
    if "today" in only:
        services = practice.sign_in("demo")
        workspace_today = _owner_today(services)
        workspace_today()
        ours["today_owner"] = timed_ms(workspace_today, runs["today"])
        facts["today_owner"] = {
            "flags": len(services.activity.flags()),
            "appointments": len(services.schedule.today()),
        }
        spec["today_owner"] = {
            "author": people["demo"],
            "by": spec["today"]["by"],
            "day": spec["today"]["day"],
            "zone": tz,
            "now": practice.clock.now().isoformat(),
            "runs": runs["today"],
        }
    if "audit" in only:
        services = practice.sign_in("demo")
        audit = services.audit
        first = AuditFilter()
        audit.page(first, limit=200)
        ours["audit_first_page"] = timed_ms(lambda: audit.page(first, limit=200), runs["audit"])
        filters = _audit_filters(practice, people, long_client)
        for f in filters:
            audit.page(f, limit=200)
        ours["audit_filtered_page"] = [
            ms for f in filters for ms in timed_ms(lambda f=f: audit.page(f, limit=200), 10)
        ]
        spec["audit"] = {"runs": runs["audit"], "filters": [_filter_spec(f) for f in filters]}

    baseline: dict[str, list[float]] = {}
    if spec:
        services = practice.sign_in("demo")
        with tempfile.TemporaryDirectory(prefix="ehrdesk-bench-plain-") as tmp:
            plain = Path(tmp) / "plain.sqlite"
            facts["plain_export_s"] = round(export_plain(services.session.database.conn, plain), 1)
            services.session.sign_out()
            baseline = run_baseline(plain, spec)

    plain_label = "plain SQLite, unencrypted copy"
    if "search" in ours:
        figures.append(
            figure(
                "search",
                size,
                "client search as typed (surname prefix, phone digits)",
                "ms",
                ours["search"],
                baseline=baseline["search"],
                baseline_label=plain_label,
                targets=TARGETS["search"],
                searches=len(ours["search"]),
            )
        )
    if "week_clinician" in ours:
        week = facts["week"]
        figures.append(
            figure(
                "week_clinician",
                size,
                f"week view, busiest clinician ({week['clinician_appointments']} appointments)",
                "ms",
                ours["week_clinician"],
                baseline=baseline["week_clinician"],
                baseline_label=plain_label,
                targets=TARGETS["week_clinician"],
            )
        )
        figures.append(
            figure(
                "week_practice",
                size,
                f"week view, whole practice ({week['practice_appointments']:,} appointments)",
                "ms",
                ours["week_practice"],
                baseline=baseline["week_practice"],
                baseline_label=plain_label,
            )
        )
    if "today" in ours:
        figures.append(
            figure(
                "today",
                size,
                f"Today view, clinician ({facts['today']['appointments']} appointments, "
                f"{facts['today']['unsigned_notes']} unsigned notes)",
                "ms",
                ours["today"],
                baseline=baseline["today"],
                baseline_label=plain_label,
            )
        )
    if "today_owner" in ours:
        figures.append(
            figure(
                "today_owner",
                size,
                f"Today view, owner ({facts['today_owner']['appointments']} appointments in "
                "the practice; unusual-activity flags over the last week's events, "
                f"{facts['today_owner']['flags']} found)",
                "ms",
                ours["today_owner"],
                baseline=baseline["today_owner"],
                baseline_label=plain_label,
            )
        )
    if "chart_open" in ours:
        figures.append(
            figure(
                "chart_open",
                size,
                "open a chart with 1,000 notes (service)",
                "ms",
                ours["chart_open"],
                baseline=ours["chart_short"],
                baseline_label="a chart with a few notes",
                targets=TARGETS["chart_open"],
                note="header, first page of the timeline, and the audit event with its anchor",
            )
        )
    if "audit_first_page" in ours:
        figures.append(
            figure(
                "audit_first_page",
                size,
                "audit screen, first page of 200",
                "ms",
                ours["audit_first_page"],
                baseline=baseline["audit_first_page"],
                baseline_label=plain_label,
                targets=TARGETS["audit_first_page"],
            )
        )
        figures.append(
            figure(
                "audit_filtered_page",
                size,
                "audit screen, first page of 200, filtered (6 filters)",
                "ms",
                ours["audit_filtered_page"],
                baseline=baseline["audit_filtered_page"],
                baseline_label=plain_label,
                targets=TARGETS["audit_filtered_page"],
            )
        )
    if "fts" in ours:
        fts = facts["fts"]
        figures.append(
            figure(
                "fts",
                size,
                f"full-text search, a clinician's {fts['clinicians_notes']:,} notes "
                f"of {fts['notes_in_file']:,}",
                "ms",
                ours["fts"],
                baseline=baseline["fts"],
                baseline_label=plain_label,
                targets=TARGETS["fts"],
            )
        )
    if "audit_verify" in only:
        figures.append(verify_chain(practice, runs["audit_verify"]))
    if services.session.state.value != "signed_out":
        services.session.sign_out()
    for shown in figures:
        if shown.baseline_label == plain_label:
            shown.extra["plain_export_s"] = facts["plain_export_s"]
    return figures


def _todays_appointments(services: Any) -> None:
    """Today's appointments as the Today view lists them (ui/views/today.py:
    refresh_appointments): one's own, or the whole practice's for the owner."""
    services.schedule.today()
    services.schedule.settings()
    services.schedule.clinicians()


def _owner_today(services: Any) -> Any:
    """What Today asks for when the owner signs in or comes back to it
    (ui/views/workspace.py: refresh_today)."""

    def today() -> None:
        services.backups.reminder()
        _todays_appointments(services)
        services.charts.unsigned_notes()
        services.charts.plan_reviews_due()
        services.emergency.notices()
        services.incidents.countdowns()
        services.activity.flags()

    return today


def conn_count(services: Any, author: int) -> tuple[int, int]:
    conn = services.session.database.conn
    own = int(
        conn.execute(
            "SELECT count(*) FROM progress_note WHERE author_id = ?", (author,)
        ).fetchone()[0]
    )
    total = int(conn.execute("SELECT count(*) FROM progress_note").fetchone()[0])
    return own, total


def verify_chain(practice: Practice, runs: int) -> Figure:
    """The whole chain, as the audit screen's Verify runs it (a job on its own
    connection); baseline: reading every event with the same query, without the HMAC."""
    services = practice.sign_in("demo")
    assert services.session.current_user().role is Role.OWNER
    rates, reads = [], []
    events = 0
    for _ in range(runs):
        job = services.audit.start_chain_verification()
        start = time.perf_counter()
        report = job.run()
        rates.append(report.events_checked / (time.perf_counter() - start))
        if not report.ok:
            raise SystemExit(f"bench: the audit chain did not verify ({report.why})")
        events = report.events_checked
        conn = services.session.database.conn
        start = time.perf_counter()
        cursor = conn.execute(
            "SELECT seq, at, user_id, username, role, action, object_type, object_id, reason, "
            "mac FROM audit_event ORDER BY seq"
        )
        read = 0
        while rows := cursor.fetchmany(4096):
            read += len(rows)
        reads.append(read / (time.perf_counter() - start))
    services.session.sign_out()
    return figure(
        "audit_verify",
        practice.size.name,
        f"audit chain verification, {events:,} events",
        "events/s",
        rates,
        baseline=reads,
        baseline_label="reading every event, no HMAC",
        targets=TARGETS["audit_verify"],
        higher_is_better=True,
    )
