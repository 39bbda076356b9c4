"""The synthetic practices the suite measures: built once through the same generator as
`ehrdesk demo` (services/demo_data.py), cached, and copied afresh for every run.

A practice is cached under `bench/cache/` (git-ignored) by generator version, size and
seed; the "now" it is generated at is fixed (NOW), so a cache is the same practice on
every machine. It is built in a scratch folder beside the cache and renamed into place
only when whole, so a cancelled or failed generation never leaves a half practice that
looks cached. Every run measures a working copy (`working_copy`), so the cached
practice never gains the audit events, backups and records that measuring adds, and
every run starts from the same file.

Only demo vaults are made here (synthetic people, published credentials); the suite
refuses anything else. They are made with the shipped Argon2id parameters, so the
unlock figure is the real one.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ehrdesk.core.clock import FrozenClock
from ehrdesk.core.errors import UserCancelled
from ehrdesk.security import kdf
from ehrdesk.security.workstation import MemoryKeyring
from ehrdesk.services import demo
from ehrdesk.services.demo_data import DEFAULT_SEED, GENERATOR_VERSION
from ehrdesk.services.registry import Services
from ehrdesk.storage.database import Database
from ehrdesk.storage.migrations import runner

#: When every practice is generated: a Monday afternoon, so "this week" is a full one.
NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
#: When it is measured: later the same afternoon (every sign-in moves the clock on).
MEASURED_AT = NOW + timedelta(minutes=30)
#: The chart the suite opens: one long-term client of the demo clinician.
LONG_CHART_NOTES = 1000
#: Where practices are cached (bench/cache/, git-ignored; EHRDESK_BENCH_CACHE elsewhere).
CACHE_SETTING = "EHRDESK_BENCH_CACHE"


def cache_root() -> Path:
    configured = os.environ.get(CACHE_SETTING)
    return Path(configured) if configured else Path(__file__).resolve().parent / "cache"


@dataclass(frozen=True)
class Size:
    name: str
    patients: int
    years: float

    @property
    def label(self) -> str:
        return f"{self.name} ({self.patients:,} clients, {self.years:g} years)"


SIZES = {
    s.name: s
    for s in (
        # Not one of issue 8's sizes: the suite's own test (tests/bench/) runs on it.
        Size("tiny", 40, 0.25),
        Size("small", 500, 2),
        Size("large", 20_000, 10),
        Size("huge", 100_000, 10),
    )
}


def cache_folder(size: Size, seed: int = DEFAULT_SEED) -> Path:
    """Keyed by generator version, size and seed; a practice made with the tests'
    cheap key derivation (EHRDESK_TEST_FAST_KDF) is kept apart from the real ones."""
    weak = "-test-kdf" if os.environ.get(kdf.TEST_SETTING) else ""
    name = f"practice-g{GENERATOR_VERSION}-{size.name}-{size.patients}-{size.years:g}-{seed}"
    return cache_root() / (name + weak)


class _Progress:
    """One line of progress on stderr; Ctrl+C asks the generator to stop at a week."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.cancel = threading.Event()
        self.start = time.monotonic()
        self.last = 0.0

    def __call__(self, done: int, total: int, label: str) -> None:
        now = time.monotonic()
        if now - self.last < 2 and done < total:
            return
        self.last = now
        sys.stderr.write(
            f"\r  generating {self.name}: week {done:,} of {total:,}, {label}, "
            f"{now - self.start:.0f} s\033[K"
        )
        sys.stderr.flush()


def ensure(size: Size, *, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """The cached practice of `size` (generated now if missing); returns its meta data
    (counts, generation time, the long chart's client).

    Generation holds a lock beside the cache folder, so a second suite started
    meanwhile waits for the practice instead of wiping the first one's scratch folder;
    a scratch folder found with nobody holding the lock is a stopped build's, and is
    started afresh."""
    folder = cache_folder(size, seed)
    meta_file = folder / "meta.json"
    if not meta_file.exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        with open(folder.with_name(folder.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not meta_file.exists():
                _generate(size, seed, folder)
    meta = dict(json.loads(meta_file.read_text()))
    if meta.get("schema", 0) < runner.LATEST_VERSION:
        meta = _migrate(folder / "practice", meta)
        meta_file.write_text(json.dumps(meta, indent=1))
    return meta


def _generate(size: Size, seed: int, folder: Path) -> None:
    scratch = folder.with_name(folder.name + ".partial")
    shutil.rmtree(scratch, ignore_errors=True)
    clock = FrozenClock(NOW)
    services = Services.build(scratch / "practice", keyring=MemoryKeyring(), clock=clock)
    progress = _Progress(size.name)
    previous = signal.signal(signal.SIGINT, lambda *_: progress.cancel.set())
    started = time.perf_counter()
    try:
        report = demo.create_demo_practice(
            services,
            patients=size.patients,
            years=size.years,
            progress=progress,
            cancelled=progress.cancel.is_set,
            long_chart_notes=LONG_CHART_NOTES,
        )
    except UserCancelled:
        shutil.rmtree(scratch, ignore_errors=True)
        raise SystemExit("\nbench: generation stopped; nothing was cached.") from None
    finally:
        signal.signal(signal.SIGINT, previous)
    seconds = time.perf_counter() - started
    sys.stderr.write("\n")
    meta = {
        "size": size.name,
        "patients": size.patients,
        "years": size.years,
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
        "generated_at_clock": NOW.isoformat(),
        "generation_s": round(seconds, 1),
        "report": report.__dict__,
        "file_mb": round((scratch / "practice" / "practice.ehrdb").stat().st_size / 2**20),
        "schema": runner.LATEST_VERSION,
    }
    (scratch / "meta.json").write_text(json.dumps(meta, indent=1))
    scratch.rename(folder)


def _migrate(practice: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Bring a cached practice to the current schema in place, as signing in to it
    would (without the safety copy: a cache can be generated again), once."""
    services = Services.build(practice, keyring=MemoryKeyring(), clock=FrozenClock(NOW))
    vault = services.vaults.load()
    key = services.vaults.unseal_user(vault, demo.USERS[0].username, demo.PASSWORD)
    db = Database.open(services.vaults.store.database_path, key, memory_security=False)
    try:
        before = db.user_version()
        started = time.perf_counter()
        runner.migrate(db)
        db.checkpoint()
    finally:
        db.close()
    seconds = round(time.perf_counter() - started, 1)
    sys.stderr.write(
        f"  migrated the cached {meta['size']} practice: schema {before} to "
        f"{runner.LATEST_VERSION} in {seconds} s\n"
    )
    migrations = [*meta.get("migrations", []), {"from": before, "seconds": seconds}]
    return {**meta, "schema": runner.LATEST_VERSION, "migrations": migrations}


def working_copy(size: Size, *, seed: int = DEFAULT_SEED) -> Path:
    """A fresh copy of the cached practice to measure (replacing the last run's)."""
    source = cache_folder(size, seed) / "practice"
    target = cache_root() / f"work-{size.name}"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    return target


def discard(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


class Practice:
    """A working copy opened through the services with a frozen clock that moves on
    30 seconds before every sign-in (each second-factor code is accepted once)."""

    def __init__(self, folder: Path, size: Size) -> None:
        self.folder = folder
        self.size = size
        self.clock = FrozenClock(MEASURED_AT)
        self.services = Services.build(folder, keyring=MemoryKeyring(), clock=self.clock)
        if not self.services.vaults.load().demo:
            raise SystemExit("bench: the suite measures demo practices only (synthetic people).")

    def sign_in(self, username: str) -> Services:
        services = self.services
        if services.session.state.value != "signed_out":
            services.session.sign_out()
        self.clock.advance(30)
        services.auth.sign_in(username, demo.PASSWORD, demo.current_code(services))
        return services

    @property
    def monday(self) -> date:
        today = MEASURED_AT.date()
        return today - timedelta(days=today.weekday())


def memory_security_on(services: Services) -> bool:
    """Turn SQLCipher's memory security on for this process, as a real practice does
    (a demo vault asks for it off; it is process-wide and, once on, stays on), and
    report whether the session's connection now runs with it."""
    key = services.session.reauthenticate_key()
    Database.open(services.session.database.path, key, memory_security=True).close()
    row = services.session.database.conn.execute("PRAGMA cipher_memory_security").fetchone()
    return str(row[0]) == "1"
