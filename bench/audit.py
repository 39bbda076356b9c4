"""Audit review at a million events: page latency under each filter, the query plans,
the unusual-activity flags, and a full chain verification (events per second, beside
a baseline measured in the same run: one HMAC-SHA256 over as many bytes as the chain
MACs, fed in 1 MiB pieces; the ratio is what verifying costs per byte beyond hashing).

Builds a practice whose audit log holds N events (default 1,000,000) spread over three
years, written straight into SQLCipher with a valid HMAC chain (a bench-only bulk path;
the app appends one event at a time), then times what the owner's screens do.
Exits with status 1, naming the figure, if verification is slower than issue 8's target
of 200,000 events per second.

Run: `.venv/bin/python -m bench.audit [--events N] [--runs R]`.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlcipher3

os.environ.setdefault("EHRDESK_TEST_FAST_KDF", "1")  # what is measured here is not the KDF

from ehrdesk.core import audit_actions as actions
from ehrdesk.core.audit_review import AuditFilter
from ehrdesk.core.clock import FrozenClock
from ehrdesk.security import totp
from ehrdesk.security.subkeys import audit_key
from ehrdesk.security.workstation import MemoryKeyring
from ehrdesk.services.registry import Services
from ehrdesk.storage.audit import _encode, format_time
from ehrdesk.storage.audit_review import AuditCursor, AuditQueries
from ehrdesk.storage.vault_file import AuditAnchor

PASSWORD = "lantern orchard quietly 1987 tides"
#: Issue 8: audit chain verification, at least this many events per second.
TARGET_EVENTS_PER_S = 200_000
NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
USERS = [(2, "carla", "clinician"), (3, "cody", "clinician"), (4, "frank", "front_desk")]
MIX = [
    (actions.CHART_OPENED, 30),
    (actions.CLIENT_VIEWED, 25),
    (actions.NOTE_VIEWED, 15),
    (actions.SIGN_IN, 8),
    ("lock", 8),
    (actions.UNLOCK, 6),
    ("sign_out", 4),
    (actions.RECORD_PRINTED, 2),
    (actions.SIGN_IN_FAILED, 1),
    (actions.EMERGENCY_ACCESS_GRANTED, 1),
]


def build(services: Services, key: bytes, count: int) -> int:
    """Append `count` events after the ones the vault already has, chained properly;
    returns how many bytes their MACs covered (previous MAC and encoded fields).

    The load uses a connection of its own without SQLCipher's memory wiping, which
    makes bulk inserts about four times slower and cannot be switched off on a
    connection that started with it; the timed queries run on the app's own
    connection, with it on."""
    db_key = services.session.reauthenticate_key()
    conn = sqlcipher3.connect(str(services.session.database.path), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{db_key.hex()}'\"")
    conn.execute("PRAGMA cipher_memory_security = OFF")
    conn.execute("PRAGMA cache_size = -400000")
    newest = services.session.audit_log().newest()
    assert newest is not None
    seq, prev = newest.seq, newest.mac
    mac = hmac.new(key, digestmod=hashlib.sha256)
    rng = random.Random(7)
    names = [a for a, w in MIX for _ in range(w)]
    start = NOW - timedelta(days=3 * 365)
    step = (NOW - start) / count
    batch = []
    hashed = 0
    conn.execute("BEGIN IMMEDIATE")
    for n in range(count):
        seq += 1
        uid, uname, role = USERS[rng.randrange(len(USERS))]
        action = names[rng.randrange(len(names))]
        client = action in actions.CLIENT_RECORD_VIEWS or action in (
            actions.RECORD_PRINTED,
            actions.EMERGENCY_ACCESS_GRANTED,
        )
        otype, oid = ("client", str(rng.randrange(1, 5001))) if client else (None, None)
        at = format_time(start + step * n)
        h = mac.copy()
        encoded = _encode(seq, at, uid, uname, role, action, otype, oid, None)
        h.update(prev)
        h.update(encoded)
        hashed += len(prev) + len(encoded)
        prev = h.digest()
        batch.append((seq, at, uid, uname, role, action, otype, oid, None, prev))
        if len(batch) == 50_000:
            conn.executemany("INSERT INTO audit_event VALUES (?,?,?,?,?,?,?,?,?,?)", batch)
            batch.clear()
    conn.executemany("INSERT INTO audit_event VALUES (?,?,?,?,?,?,?,?,?,?)", batch)
    conn.execute("COMMIT")
    conn.close()
    services.session.anchor(AuditAnchor(seq, prev))
    return hashed


def one_hmac_over(size: int, key: bytes) -> float:
    """Seconds for one HMAC-SHA256 over `size` bytes, fed in 1 MiB pieces."""
    piece = os.urandom(1 << 20)
    start = time.perf_counter()
    h = hmac.new(key, digestmod=hashlib.sha256)
    for _ in range(size >> 20):
        h.update(piece)
    h.update(piece[: size & ((1 << 20) - 1)])
    h.digest()
    return time.perf_counter() - start


def timed(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm the page cache
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return round(statistics.median(samples) * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clock = FrozenClock(NOW)
        services = Services.build(Path(tmp) / "practice", keyring=MemoryKeyring(), clock=clock)
        created = services.vaults.create(
            practice_name="Bench Practice",
            owner_username="owner",
            owner_full_name="Bench Owner",
            owner_password=PASSWORD,
        )
        clock.advance(30)
        services.auth.sign_in(
            "owner", PASSWORD, totp.current_code(created.owner.totp_secret, clock.now())
        )
        t = time.perf_counter()
        key = audit_key(services.session.reauthenticate_key())
        hashed = build(services, key, args.events)
        build_s = time.perf_counter() - t
        audit, queries = services.audit, AuditQueries(services.session.database.conn)
        week = NOW - timedelta(days=7)
        filters = {
            "none": AuditFilter(),
            "user": AuditFilter(user_id=2),
            "action": AuditFilter(actions=(actions.EMERGENCY_ACCESS_GRANTED,)),
            "actions (3)": AuditFilter(actions=tuple(sorted(actions.CLIENT_RECORD_VIEWS))),
            "object type": AuditFilter(object_type="client"),
            "client": AuditFilter.for_client(4321),
            "period (last week)": AuditFilter(since=week),
            "period (a day 2 years ago)": AuditFilter(
                since=NOW - timedelta(days=730), until=NOW - timedelta(days=729)
            ),
            "user + action": AuditFilter(user_id=3, actions=(actions.RECORD_PRINTED,)),
            "user + client + period": AuditFilter.for_client(
                4321, user_id=2, since=NOW - timedelta(days=400), until=NOW
            ),
        }
        pages = {}
        for name, filt in filters.items():
            first = audit.page(filt, limit=200)
            deep = first
            for _ in range(25):  # the 26th page: keyset cost does not grow with depth
                nxt = audit.page(filt, after=deep[-1], limit=200) if len(deep) == 200 else []
                if not nxt:
                    break
                deep = nxt
            pages[name] = {
                "first_page_ms": timed(lambda f=filt: audit.page(f, limit=200), args.runs),
                "page_26_ms": timed(
                    lambda f=filt, d=deep: audit.page(f, after=d[-1], limit=200), args.runs
                )
                if deep
                else None,
                "rows_on_first_page": len(first),
                "plan": queries.plan(filt, AuditCursor.after(deep[-1]) if deep else None),
            }
        flags_ms = timed(services.activity.flags, args.runs)
        flags = services.activity.flags()
        verify_runs, baseline_runs = [], []
        for _ in range(min(args.runs, 3)):  # each run reads the whole log
            baseline_runs.append(one_hmac_over(hashed, key))
            t = time.perf_counter()
            report = services.audit.start_chain_verification().run()
            verify_runs.append(time.perf_counter() - t)
        verify_s = statistics.median(verify_runs)
        baseline_s = statistics.median(baseline_runs)
        per_second = round(report.events_checked / verify_s)
        t = time.perf_counter()
        exported = services.audit.start_csv_export(AuditFilter(), Path(tmp) / "all.csv").run()
        csv_s = time.perf_counter() - t
        result = {
            "events": queries.total(),
            "build_s": round(build_s, 1),
            "pages_of_200": pages,
            "flags_7_days_ms": flags_ms,
            "flags_found": len(flags),
            "verify_chain_s": round(verify_s, 2),
            "verify_chain_runs_s": [round(r, 2) for r in verify_runs],
            "verify_events_per_s": per_second,
            "verify_target_events_per_s": TARGET_EVENTS_PER_S,
            "baseline_one_hmac_s": round(baseline_s, 3),
            "baseline_hmac_bytes": hashed,
            "verify_vs_one_hmac": round(verify_s / baseline_s, 1),
            "chain_ok": report.ok,
            "csv_export_all_s": round(csv_s, 1),
            "csv_rows": exported,
        }
        print(json.dumps(result, indent=1))
        services.session.sign_out()
    if per_second < TARGET_EVENTS_PER_S:
        print(
            f"bench.audit: chain verification {per_second:,} events/s misses the target "
            f"of {TARGET_EVENTS_PER_S:,}",
            file=sys.stderr,
        )
        raise SystemExit(1)


if __name__ == "__main__":
    main()
