"""The safety copy taken before a migration, made while the migrating connection is open."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ehrdesk.core.clock import FrozenClock
from ehrdesk.security.workstation import MemoryKeyring
from ehrdesk.services.vault import Vaults
from ehrdesk.storage.database import Database
from ehrdesk.storage.migrations import runner
from ehrdesk.storage.vault_file import VaultStore
from tests.storage.test_database import held_by_someone

KEY = os.urandom(32)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="Linux's /proc")
def test_the_safety_copy_keeps_the_migrating_connection_s_locks(
    tmp_path: Path, clock: FrozenClock
) -> None:
    store = VaultStore(tmp_path / "practice")
    store.data_dir.mkdir()
    db = Database.open(store.database_path, KEY, create=True)
    runner.migrate(db, target=3)  # a vault of an older release
    store.vault_path.write_text('{"stand-in": "vault.json"}')
    vaults = Vaults(store, MemoryKeyring(), clock)

    assert vaults.migrate(db) == runner.LATEST_VERSION - 3
    assert held_by_someone(store.database_path)  # no other process may take the file

    [copy_dir] = (store.data_dir / "safety-copies").iterdir()
    assert copy_dir.name.startswith("before-schema-3-")
    assert (copy_dir / "vault.json").read_text() == '{"stand-in": "vault.json"}'
    copy = Database.open(copy_dir / "practice.ehrdb", KEY)
    try:
        assert copy.user_version() == 3
        assert copy.integrity_problems() == []
    finally:
        copy.close()
    db.close()
