"""Opening a chart with 1,000 notes, and searching one's own notes, in a practice of
100,000 notes.

The practice: five clinicians and 1,000 clients; the measured client has 1,000 signed
notes (with realistic text), 1,000 appointments and a PHQ-9 and GAD-7 every fourth
session; every other client has about 100 notes, so the file holds over 100,000 notes
and the measured clinician's words fill about 20,000 of them. All synthetic and
seeded (services/chart_demo.py), so every run builds the same practice.

Measured, each as the median of `--runs` runs, with a baseline in the same run:
- open: `Charts.open_chart` (access check, header, first timeline page, the audit
  event and its anchor) for the 1,000-note client; baseline: the same for a client
  with 10 notes, and a trivial query on the same connection;
- gui: a `ChartView` shown offscreen, from `open()` to painted (`repaint()`), for both
  clients;
- search: `Charts.search_notes` (two words, the clinician's own notes of 100,000);
  baseline: the trivial query.
Key derivation uses the tests' fast profile (EHRDESK_TEST_FAST_KDF): it is not what
is measured here (bench/unlock.py measures it with the shipped parameters).
Run: `.venv/bin/python -m bench.chart [--runs N] [--notes N] [--keep DIR]`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ["EHRDESK_TEST_FAST_KDF"] = "1"
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from ehrdesk.core.clock import FrozenClock
from ehrdesk.core.models import Role
from ehrdesk.security.workstation import MemoryKeyring
from ehrdesk.services import chart_demo
from ehrdesk.services.registry import Services
from ehrdesk.storage.chart import utc_text
from ehrdesk.storage.notes import NoteRepository
from ehrdesk.storage.users import UserRepository

PASSWORD = "lantern orchard quietly 1987 tides"
NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
CLINICIANS = 5
CLIENTS = 1000


def median_ms(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 2)


def _client(conn: object, n: int, clinician: int) -> int:
    stamp = utc_text(NOW)
    cur = conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO client (legal_first_name, legal_last_name, date_of_birth, pronouns, "
        "assigned_clinician_id, sort_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (f"Client{n}", f"Synthetic{n:05d}", "1985-05-05", "she/her", clinician, f"s{n:05d}",
         stamp, stamp),
    )  # fmt: skip
    return int(cur.lastrowid)


def build(data_dir: Path, notes_per_client: int, target_notes: int) -> tuple[Services, int, int]:
    """The practice; returns the services (signed in as the measured clinician) and the
    ids of the 1,000-note client and of a 10-note client."""
    clock = FrozenClock(NOW)
    services = Services.build(data_dir, keyring=MemoryKeyring(), clock=clock)
    created = services.vaults.create(
        practice_name="Bench Practice", owner_username="owner",
        owner_full_name="Bench Owner", owner_password=PASSWORD, bind_workstation=False,
    )  # fmt: skip
    services.auth.sign_in("owner", PASSWORD, created.owner.recovery_codes[0])
    codes = {}
    for i in range(CLINICIANS):
        enrolment = services.users.add_user(f"clin{i}", f"Clinician {i}", Role.CLINICIAN, PASSWORD)
        codes[f"clin{i}"] = enrolment.recovery_codes[0]
    db = services.session.database
    with db.transaction() as conn:
        users = UserRepository(conn)
        ids = []
        for i in range(CLINICIANS):
            user = users.find(f"clin{i}")
            assert user is not None
            users.password_changed(user, NOW, must_change=False)
            ids.append(user.id)
        templates = NoteRepository(conn).templates()
    rng = random.Random(2026)
    start = time.perf_counter()
    target = small = 0
    for n in range(CLIENTS):
        with db.transaction() as conn:
            clinician = ids[0] if n < 2 else ids[n % CLINICIANS]
            client = _client(conn, n, clinician)
            count = target_notes if n == 0 else 10 if n == 1 else notes_per_client
            chart_demo.add_chart_history(
                conn, client_id=client, author_id=clinician, notes=count,
                until=NOW - timedelta(days=1), rng=rng, templates=templates,
            )  # fmt: skip
            if n in (0, 1):
                target, small = (client, small) if n == 0 else (target, client)
                _appointments(conn, client, clinician, count)
        if n % 100 == 99:
            print(f"  {n + 1} clients, {time.perf_counter() - start:.0f} s", flush=True)
    services.session.sign_out()
    services.auth.sign_in("clin0", PASSWORD, codes["clin0"])
    return services, target, small


def _appointments(conn: object, client: int, clinician: int, count: int) -> None:
    rows = []
    for i in range(count):
        at = NOW - timedelta(days=1 + 7 * (count - i))
        rows.append((clinician, client, "individual", utc_text(at),
                     utc_text(at + timedelta(minutes=50)), "completed", utc_text(NOW),
                     utc_text(NOW)))  # fmt: skip
    conn.executemany(  # type: ignore[attr-defined]
        "INSERT INTO appointment (clinician_id, client_id, type_code, starts_at, ends_at, "
        "status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def measure_gui(services: Services, clients: dict[str, int], runs: int) -> dict[str, float]:
    from PySide6.QtWidgets import QApplication  # noqa: PLC0415

    from ehrdesk.ui.application import make_application  # noqa: PLC0415
    from ehrdesk.ui.views.chart import ChartView  # noqa: PLC0415

    make_application()
    view = ChartView(services)
    view.resize(1400, 900)
    view.show()
    QApplication.processEvents()
    out = {}
    for name, client in clients.items():

        def shown(client: int = client) -> None:
            assert view.open(client)
            view.repaint()

        shown()  # warm: fonts, the first layout
        out[f"gui_open_{name}_median_ms"] = median_ms(shown, runs)
    view.clear()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--notes", type=int, default=100, help="notes of each other client")
    parser.add_argument("--keep", type=Path, help="build here (and keep) instead of a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = (args.keep or Path(tmp)) / "practice"
        started = time.perf_counter()
        services, target, small = build(data_dir, args.notes, 1000)
        built_s = time.perf_counter() - started
        conn = services.session.database.conn
        total_notes = int(conn.execute("SELECT count(*) FROM progress_note").fetchone()[0])
        own = int(
            conn.execute(
                "SELECT count(*) FROM progress_note WHERE author_id = ?",
                (services.session.current_user().id,),
            ).fetchone()[0]
        )
        charts = services.charts
        trivial = median_ms(lambda: conn.execute("SELECT count(*) FROM user").fetchone(), args.runs)
        charts.open_chart(target)  # warm the page cache
        result: dict[str, object] = {
            "runs": args.runs,
            "notes_in_file": total_notes,
            "notes_of_measured_client": 1000,
            "measured_clinicians_own_notes": own,
            "file_mb": round(data_dir.joinpath("practice.ehrdb").stat().st_size / 2**20),
            "build_s": round(built_s),
            "trivial_query_median_ms": trivial,
            "open_1000_notes_median_ms": median_ms(lambda: charts.open_chart(target), args.runs),
            "open_10_notes_median_ms": median_ms(lambda: charts.open_chart(small), args.runs),
            "search_two_words_median_ms": median_ms(
                lambda: charts.search_notes("panic breathing"), args.runs
            ),
            "search_rare_word_median_ms": median_ms(
                lambda: charts.search_notes("interoceptive"), args.runs
            ),
            "search_common_word_median_ms": median_ms(
                lambda: charts.search_notes("session"), args.runs
            ),
            "search_hits_two_words": len(charts.search_notes("panic breathing")),
        }
        result.update(measure_gui(services, {"1000_notes": target, "10_notes": small}, args.runs))
        services.session.sign_out()
        print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
