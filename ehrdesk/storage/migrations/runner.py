"""Applies the numbered `.sql` migrations in order, tracked by `PRAGMA user_version`.

Each step and its version bump run in one transaction, so a crash leaves the database
at a whole version. A database newer than this code is refused before anything is
touched, and the caller gets a chance (`before_first_step`) to copy the vault aside
before the first step runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

from ehrdesk.core.errors import VaultTooNew
from ehrdesk.storage.database import Database

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def all_migrations() -> list[Migration]:
    found = []
    for entry in resources.files(__package__ or "ehrdesk.storage.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeError("migrations must be numbered 0001, 0002, … without gaps")
    return found


LATEST_VERSION = len(all_migrations())


def check_not_newer(db: Database) -> int:
    version = db.user_version()
    if version > LATEST_VERSION:
        raise VaultTooNew
    return version


def migrate(
    db: Database,
    *,
    before_first_step: Callable[[int, int], None] | None = None,
    target: int = LATEST_VERSION,
) -> int:
    """Bring the schema up to `target`; returns the number of steps applied."""
    current = check_not_newer(db)
    steps = [m for m in all_migrations() if current < m.version <= target]
    if steps and before_first_step is not None and current > 0:
        before_first_step(current, target)
    conn = db.conn
    for step in steps:
        script = f"BEGIN IMMEDIATE;\n{step.sql}\nPRAGMA user_version = {step.version};\nCOMMIT;"
        with db.write_lock:
            try:
                conn.executescript(script)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
    return len(steps)
