"""Client search and week-view load times on a large synthetic practice.

Measures what the front desk waits for, through the service layer on the real
encrypted file: client search as typed (surname prefixes, first and last name
starts, parts of phone numbers, dates of birth in the three conventions), and the
week view for the busiest clinician and for the whole practice. SQLCipher's memory
security is switched on first, as it is for a real practice (it is process-wide).
Searches are timed twice: first (most need pages not yet decrypted into the cache,
like a morning's first searches) and again (warm).

The baseline, in the same run, is the same queries through the same repository code
on a plain-SQLite copy of the database, so the ratio is what encryption and the
service layer add. That copy is plaintext on disk: it is made only from a demo
vault (synthetic people), only inside a temporary folder that is deleted at the
end, and never from a real practice (the script refuses one).

The practice is generated with `ehrdesk.services.demo_data` (cached by
GENERATOR_VERSION, size and seed under --cache-dir) unless --data-dir names one.
Run: `.venv/bin/python -m bench.front_desk [--patients 100000 --years 10]`.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ehrdesk.core.recurrence import local_day_bounds, zone
from ehrdesk.core.search_terms import query_words
from ehrdesk.security import totp
from ehrdesk.security.workstation import MemoryKeyring
from ehrdesk.services import demo
from ehrdesk.services.demo_data import DEFAULT_SEED, GENERATOR_VERSION
from ehrdesk.services.registry import Services
from ehrdesk.storage.appointments import AppointmentRepository
from ehrdesk.storage.clients import ClientRepository
from ehrdesk.storage.database import Database


def practice_dir(args: argparse.Namespace) -> Path:
    if args.data_dir:
        return Path(args.data_dir)
    cache = Path(args.cache_dir).expanduser()
    folder = (
        cache / f"front-desk-g{GENERATOR_VERSION}-{args.patients}-{args.years:g}-{DEFAULT_SEED}"
    )
    if not (folder / "vault.json").exists():
        cache.mkdir(parents=True, exist_ok=True)
        services = Services.build(folder, keyring=MemoryKeyring())
        start = time.perf_counter()
        demo.create_demo_practice(services, patients=args.patients, years=args.years)
        print(json.dumps({"generated_in_s": round(time.perf_counter() - start, 1)}))
    return folder


def queries(conn: Any, count: int, seed: int) -> list[tuple[str, str]]:
    """What people type: (kind, text), drawn from real records of the practice."""
    rng = random.Random(seed)
    top = int(conn.execute("SELECT max(id) FROM client").fetchone()[0])
    typed: list[tuple[str, str]] = []
    while len(typed) < count:
        row = conn.execute(
            "SELECT legal_first_name, legal_last_name, date_of_birth, phone_mobile, phone_home "
            "FROM client WHERE id = ?",
            (rng.randint(1, top),),
        ).fetchone()
        first, last, born, mobile, home = row
        phone = "".join(ch for ch in (mobile or home) if ch.isdigit())
        y, m, d = (int(p) for p in born.split("-"))
        kind = rng.choice(("surname", "surname", "surname", "first last", "phone", "birth"))
        if kind == "surname":
            text = last[: rng.randint(1, 5)]
        elif kind == "first last":
            text = f"{first[: rng.randint(1, 3)]} {last[: rng.randint(2, 5)]}"
        elif kind == "phone":
            text = rng.choice((phone[-4:], phone[3:7], phone[:3], f"555-{phone[-4:]}"))
        else:
            text = rng.choice((born, f"{m:02d}/{d:02d}/{y}", f"{d}.{m}.{y}", f"{m}/{d}"))
        typed.append((kind, text))
    return typed


def timed(call: Callable[[], object], runs: int = 1) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(ordered[-1], 2),
    }


def busiest_week(conn: Any) -> tuple[date, int]:
    """The Monday of the current week, and the clinician with most appointments in it."""
    today = date.today()
    monday = today - timedelta(days=today.weekday())
    row = conn.execute(
        "SELECT clinician_id, count(*) FROM appointment WHERE starts_at >= ? AND starts_at < ? "
        "GROUP BY clinician_id ORDER BY 2 DESC LIMIT 1",
        (f"{monday}T00:00:00Z", f"{monday + timedelta(days=7)}T00:00:00Z"),
    ).fetchone()
    return monday, int(row[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", help="an existing demo practice")
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--years", type=float, default=10)
    parser.add_argument("--cache-dir", default="~/.cache/ehrdesk-bench")
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--week-runs", type=int, default=30)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    folder = practice_dir(args)
    services = Services.build(folder, keyring=MemoryKeyring())
    if not services.vaults.load().demo:
        raise SystemExit("bench.front_desk runs on a demo practice only (synthetic people).")
    # A code is accepted once: wait for a fresh 30-second step, in case one was used.
    time.sleep(30.5 - time.time() % 30)
    services.auth.sign_in(
        "desk", demo.PASSWORD, totp.current_code(demo.TOTP_SECRET, services.clock.now())
    )
    key = services.session.reauthenticate_key()
    # As for a real practice: memory security on (process-wide and sticky in SQLCipher).
    Database.open(services.vaults.store.database_path, key, memory_security=True).close()
    conn = services.session.database.conn
    sample = queries(conn, args.searches, seed=7)
    monday, clinician = busiest_week(conn)
    clients, schedule = services.clients, services.schedule

    for _, text in sample[:20]:  # warm the page cache as a morning's first searches do
        clients.search(text)
    search_ms = [timed(lambda t=text: clients.search(t))[0] for _, text in sample]
    # The same searches again: the pages they need are now decrypted in the cache (the
    # first pass is a morning's first searches; this one, later in the day).
    again_ms = [timed(lambda t=text: clients.search(t))[0] for _, text in sample]
    by_kind: dict[str, list[float]] = {}
    for (kind, _), ms in zip(sample, search_ms, strict=True):
        by_kind.setdefault(kind, []).append(ms)
    week_one = timed(lambda: schedule.days(monday, 7, clinician), args.week_runs)
    week_all = timed(lambda: schedule.days(monday, 7), max(5, args.week_runs // 2))
    repo = ClientRepository(conn)
    result: dict[str, Any] = {
        "practice": {
            "clients": repo.count(),
            "appointments": AppointmentRepository(conn).count(),
            "generator_version": GENERATOR_VERSION,
        },
        "search": summary(search_ms),
        "search_again_warm": summary(again_ms),
        "search_by_kind": {k: summary(v) for k, v in sorted(by_kind.items())},
        "week_busiest_clinician": summary(week_one)
        | {"appointments": len(schedule.days(monday, 7, clinician))},
        "week_whole_practice": summary(week_all) | {"appointments": len(schedule.days(monday, 7))},
        "plans": {
            "one_letter": repo.explain_search(query_words("s")),
            "rare_word": repo.explain_search(query_words("zimmer")),
            "two_words": repo.explain_search(query_words("ana lop")),
            "week_clinician": AppointmentRepository(conn).explain_entries(clinician),
            "week_practice": AppointmentRepository(conn).explain_entries(None),
        },
    }
    if not args.no_baseline:
        result["baseline_plain_sqlite"] = baseline(services, sample, monday, clinician, args)
        result["ratio_search_median"] = round(
            result["search"]["median_ms"] / result["baseline_plain_sqlite"]["search"]["median_ms"],
            1,
        )
    services.session.sign_out()
    print(json.dumps(result, indent=1))


def baseline(
    services: Services,
    sample: list[tuple[str, str]],
    monday: date,
    clinician: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """The same repository queries on a plaintext copy (synthetic data, temp folder)."""
    conn = services.session.database.conn
    with tempfile.TemporaryDirectory(prefix="ehrdesk-bench-plain-") as tmp:
        plain_path = Path(tmp) / "plain.sqlite"
        start = time.perf_counter()
        conn.execute("ATTACH DATABASE ? AS plaintext KEY ''", (str(plain_path),))
        conn.execute("SELECT sqlcipher_export('plaintext')")
        conn.execute("DETACH DATABASE plaintext")
        exported = time.perf_counter() - start
        plain = sqlite3.connect(plain_path)
        try:
            repo = ClientRepository(plain)
            appointments = AppointmentRepository(plain)
            tz = services.schedule.settings().time_zone
            start_utc, end_utc = local_day_bounds(monday, 7, zone(tz))
            for _, text in sample[:20]:
                repo.search(query_words(text))
            search_ms = [timed(lambda t=text: repo.search(query_words(t)))[0] for _, text in sample]
            week_one = timed(
                lambda: appointments.entries(start_utc, end_utc, clinician), args.week_runs
            )
            week_all = timed(
                lambda: appointments.entries(start_utc, end_utc), max(5, args.week_runs // 2)
            )
        finally:
            plain.close()
    return {
        "export_s": round(exported, 1),
        "search": summary(search_ms),
        "week_busiest_clinician": summary(week_one),
        "week_whole_practice": summary(week_all),
    }


if __name__ == "__main__":
    main()
