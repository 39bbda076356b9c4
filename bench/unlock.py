"""Unlock time with the shipped Argon2id parameters.

Measures what a person waits for after typing their password: Argon2id, unwrapping the
database key, opening SQLCipher and the first query. The baseline, measured in the same
run, is opening the same database with the key already in hand, so the ratio shows what
the key derivation costs. The suite (`python -m bench`) measures it on its practices
with `unlock_samples`; on its own this script makes an empty practice.
Run: `.venv/bin/python -m bench.unlock [--runs N]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from ehrdesk.security import kdf
from ehrdesk.security.workstation import MemoryKeyring
from ehrdesk.services.registry import Services
from ehrdesk.storage.database import Database


def unlock_samples(
    services: Services, username: str, password: str, runs: int
) -> tuple[list[float], list[float]]:
    """Seconds of `runs` unlocks of `username`, and of as many opens with the key in
    hand; refuses a vault whose key slots use the tests' cheap key derivation."""
    vault = services.vaults.load()
    if any(kdf.is_weak(s.params) for s in vault.slots):
        raise SystemExit("bench.unlock: this vault's key slots use test-only key derivation")
    unlock, baseline = [], []
    for _ in range(runs):
        start = time.perf_counter()
        key = services.vaults.unseal_user(vault, username, password)
        db = services.vaults.open_database(key)
        db.conn.execute("SELECT count(*) FROM user").fetchone()
        unlock.append(time.perf_counter() - start)
        db.close()
        start = time.perf_counter()
        db = Database.open(services.vaults.store.database_path, key)
        db.conn.execute("SELECT count(*) FROM user").fetchone()
        baseline.append(time.perf_counter() - start)
        db.close()
    return unlock, baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    os.environ.pop(kdf.TEST_SETTING, None)  # the shipped parameters, always
    with tempfile.TemporaryDirectory() as tmp:
        services = Services.build(Path(tmp) / "practice", keyring=MemoryKeyring())
        password = "lantern orchard quietly 1987 tides"
        services.vaults.create(
            practice_name="Bench Practice",
            owner_username="owner",
            owner_full_name="Bench Owner",
            owner_password=password,
        )
        unlock, baseline = unlock_samples(services, "owner", password, runs)
    result = {
        "argon2id": kdf.SHIPPED.to_json(),
        "runs": runs,
        "unlock_median_s": round(statistics.median(unlock), 4),
        "unlock_max_s": round(max(unlock), 4),
        "open_with_key_median_s": round(statistics.median(baseline), 4),
        "ratio": round(statistics.median(unlock) / statistics.median(baseline), 1),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
