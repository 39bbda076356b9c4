"""Unlock time with the shipped Argon2id parameters.

Measures what a person waits for after typing their password: Argon2id, unwrapping the
database key, opening SQLCipher and the first query. The baseline, measured in the same
run, is opening the same database with the key already in hand, so the ratio shows what
the key derivation costs. Run: `.venv/bin/python -m bench.unlock [--runs N]`.
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
        vault = services.vaults.load()
        assert not any(kdf.is_weak(s.params) for s in vault.slots)
        unlock, baseline = [], []
        for _ in range(runs):
            start = time.perf_counter()
            key = services.vaults.unseal_user(vault, "owner", password)
            db = services.vaults.open_database(key)
            db.conn.execute("SELECT count(*) FROM user").fetchone()
            unlock.append(time.perf_counter() - start)
            db.close()
            start = time.perf_counter()
            db = Database.open(services.vaults.store.database_path, key)
            db.conn.execute("SELECT count(*) FROM user").fetchone()
            baseline.append(time.perf_counter() - start)
            db.close()
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
