"""Unlock time with the shipped Argon2id parameters.

Measures what a person waits for after typing their password: Argon2id, unwrapping the
database key, opening SQLCipher and the first query. The baseline, measured in the same
run, is opening the same database with the key already in hand, so the ratio shows what
the key derivation costs; and Argon2id alone with the same slot's parameters, the
floor no unlock can go below on this machine (the 2-core machine is shared, and
Argon2id's four lanes feel every other process). The suite (`python -m bench`)
measures it on its practices with `unlock_samples`; on its own this script makes an
empty practice.
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

from ehrdesk.security import kdf, keyslots
from ehrdesk.security.workstation import MemoryKeyring
from ehrdesk.services.registry import Services
from ehrdesk.storage.database import Database


def unlock_samples(
    services: Services, username: str, password: str, runs: int
) -> tuple[list[float], list[float], list[float]]:
    """Seconds of `runs` unlocks of `username`, of as many opens with the key in hand,
    and of as many Argon2id derivations alone with the slot's parameters; refuses a
    vault whose key slots use the tests' cheap key derivation."""
    vault = services.vaults.load()
    if any(kdf.is_weak(s.params) for s in vault.slots):
        raise SystemExit("bench.unlock: this vault's key slots use test-only key derivation")
    slot = vault.user_slot(keyslots.user_tag(vault.tag_key, username))
    assert slot is not None
    params = slot.params
    unlock, baseline, argon2 = [], [], []
    for _ in range(runs):
        start = time.perf_counter()
        kdf.derive_key(kdf.password_bytes(password), bytes(16), params)
        argon2.append(time.perf_counter() - start)
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
    return unlock, baseline, argon2


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
        unlock, baseline, argon2 = unlock_samples(services, "owner", password, runs)
    result = {
        "argon2id": kdf.SHIPPED.to_json(),
        "runs": runs,
        "unlock_median_s": round(statistics.median(unlock), 4),
        "unlock_max_s": round(max(unlock), 4),
        "open_with_key_median_s": round(statistics.median(baseline), 4),
        "ratio": round(statistics.median(unlock) / statistics.median(baseline), 1),
        "argon2id_alone_median_s": round(statistics.median(argon2), 4),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
