"""No name, password or secret is readable in any file of the data folder.

The marker test: a practice whose names are unusual strings is created and used (sign
in, add a user, lock, unlock, sign out), and every file in its data folder is searched
for each marker, and for every password and secret, in the encodings a careless write
would leave them in. The search runs at each step, so the write-ahead log and its index
are searched while the session is open, as well as the files left after it closes.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ehrdesk.core.clock import FrozenClock
from ehrdesk.core.errors import AuthenticationFailed
from ehrdesk.core.models import Role
from ehrdesk.security import recovery, totp
from ehrdesk.security.workstation import MemoryKeyring, keyring_username
from ehrdesk.services.registry import Services

PRACTICE = "Zqxmarkerpractice"
OWNER = "zqxmarkerowner"
OWNER_FULL_NAME = "Zqxmarker Fullname"
CLINICIAN = "ærøzqxmarkclin"
CLINICIAN_FULL_NAME = "Ærøzqxmark Ølzqxclinician"
OWNER_PASSWORD = "lantern orchard quietly 1987 tides"
CLINICIAN_PASSWORD = "meadow copper violin 2024 rain"
TYPED_USERNAME = "zqxtypedbysomeone"
TYPED_PASSWORD = "zqxtyped wrong password 31"

MARKERS = (PRACTICE, OWNER, OWNER_FULL_NAME, CLINICIAN, CLINICIAN_FULL_NAME)
SQLITE_HEADER = b"SQLite format 3\x00"
#: Shorter needles could turn up in random ciphertext by chance.
MIN_NEEDLE = 6


# Needles ------------------------------------------------------------------------


def _base64_forms(data: bytes) -> Iterator[tuple[str, bytes]]:
    """The part of `data`'s base64 that is the same wherever `data` starts in a stream:
    one form for each of the three byte alignments, standard and URL-safe alphabets."""
    for shift in range(3):
        chunk = data[shift:]
        chunk = chunk[: len(chunk) // 3 * 3]
        if chunk:
            encoded = base64.b64encode(chunk)
            yield f"base64@{shift}", encoded
            yield f"urlsafe-base64@{shift}", base64.urlsafe_b64encode(chunk)


def byte_needles(data: bytes) -> Iterator[tuple[str, bytes]]:
    yield "raw", data
    yield "hex", data.hex().encode("ascii")
    yield "HEX", data.hex().upper().encode("ascii")
    yield from _base64_forms(data)


def text_needles(text: str) -> Iterator[tuple[str, bytes]]:
    variants = {text, text.lower(), text.upper(), text.casefold()}
    variants |= {unicodedata.normalize(form, v) for v in variants for form in ("NFC", "NFD")}
    for variant in sorted(variants):
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            for how, needle in byte_needles(variant.encode(encoding)):
                yield f"{variant!r} {encoding} {how}", needle


@dataclass
class Needles:
    """Everything that must not be found, each with a label saying what and how."""

    items: list[tuple[str, bytes]] = field(default_factory=list)

    def add_text(self, what: str, text: str) -> None:
        self.items += [(f"{what}: {how}", n) for how, n in text_needles(text)]

    def add_bytes(self, what: str, data: bytes) -> None:
        self.items += [(f"{what}: {how}", n) for how, n in byte_needles(data)]

    def scan(self, folder: Path) -> list[str]:
        """'file: label' for every needle found in any file under `folder`."""
        found = []
        for path in files_under(folder):
            data = path.read_bytes()
            found += [
                f"{path.relative_to(folder)}: {label}"
                for label, needle in self.items
                if len(needle) >= MIN_NEEDLE and needle in data
            ]
        return found


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


# The practice -------------------------------------------------------------------------


@pytest.fixture
def owner_only_umask() -> Iterator[None]:
    """The umask app.main sets before anything else."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


@dataclass
class MarkedPractice:
    services: Services
    clock: FrozenClock
    keyring: MemoryKeyring
    data_dir: Path
    needles: Needles
    secrets: dict[str, str]
    recovery_key: str = ""

    def code(self, username: str) -> str:
        self.clock.advance(30)
        return totp.current_code(self.secrets[username], self.clock.now())

    def check(self, when: str) -> None:
        """Nothing readable, and nothing readable by others, at this moment."""
        found = self.needles.scan(self.data_dir)
        assert found == [], f"{when}: found in plain sight: {found[:10]}"
        modes = {
            str(p.relative_to(self.data_dir)): stat.S_IMODE(p.stat().st_mode)
            for p in [self.data_dir, *self.data_dir.rglob("*")]
        }
        expected = {name: 0o700 if (self.data_dir / name).is_dir() else 0o600 for name in modes}
        assert modes == expected, f"{when}: {[(n, oct(m)) for n, m in modes.items()]}"


@pytest.fixture
def marked(tmp_path: Path, owner_only_umask: None) -> MarkedPractice:
    clock = FrozenClock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
    ring = MemoryKeyring()
    data_dir = tmp_path / "practice"
    services = Services.build(data_dir, keyring=ring, clock=clock)
    created = services.vaults.create(
        practice_name=PRACTICE,
        owner_username=OWNER,
        owner_full_name=OWNER_FULL_NAME,
        owner_password=OWNER_PASSWORD,
    )
    assert created.workstation_bound  # so the workstation secret is there to look for
    needles = Needles()
    for marker in MARKERS:
        needles.add_text("marker", marker)
        for word in marker.split():
            needles.add_text("marker word", word)
    needles.add_text("owner password", OWNER_PASSWORD)
    needles.add_text("clinician password", CLINICIAN_PASSWORD)
    needles.add_text("recovery key", created.recovery_key)
    needles.add_text("recovery key", recovery.normalise(created.recovery_key))
    add_second_factor(needles, "owner", created.owner.totp_secret, created.owner.recovery_codes)
    stored = ring.entries[keyring_username(created.vault_id)]
    needles.add_bytes("workstation secret", base64.b64decode(stored))
    return MarkedPractice(
        services,
        clock,
        ring,
        data_dir,
        needles,
        {OWNER: created.owner.totp_secret},
        created.recovery_key,
    )


def add_second_factor(needles: Needles, who: str, secret: str, codes: tuple[str, ...]) -> None:
    needles.add_text(f"{who} TOTP secret", secret)
    needles.add_bytes(f"{who} TOTP key", base64.b32decode(secret))
    for code in codes:
        needles.add_text(f"{who} recovery code", code)
        needles.add_text(f"{who} recovery code", totp.normalise_recovery_code(code))


# Tests -------------------------------------------------------------------------------


def test_no_name_password_or_secret_in_any_file(marked: MarkedPractice) -> None:
    services, data_dir = marked.services, marked.data_dir
    marked.check("after setup")

    # Failed sign-ins wait in vault.json until the next good one: by keyed tag, never
    # by the name that was typed.
    marked.needles.add_text("typed username", TYPED_USERNAME)
    marked.needles.add_text("typed password", TYPED_PASSWORD)
    for username in (TYPED_USERNAME, OWNER):
        with pytest.raises(AuthenticationFailed):
            services.auth.sign_in(username, TYPED_PASSWORD, marked.code(OWNER))
    assert len(json.loads((data_dir / "vault.json").read_bytes())["pending_failures"]) == 2
    marked.check("after failed sign-ins")

    services.auth.sign_in(OWNER, OWNER_PASSWORD, marked.code(OWNER))
    enrolment = services.users.add_user(
        CLINICIAN, CLINICIAN_FULL_NAME, Role.CLINICIAN, CLINICIAN_PASSWORD
    )
    marked.secrets[CLINICIAN] = enrolment.totp_secret
    add_second_factor(marked.needles, "clinician", enrolment.totp_secret, enrolment.recovery_codes)
    # The names really are in the database (so the search below can fail)…
    listed = {u.username: u.full_name for u, _ in services.users.list_users()}
    assert listed == {OWNER: OWNER_FULL_NAME, CLINICIAN: CLINICIAN_FULL_NAME}
    assert services.vaults.practice_name(services.session.database) == PRACTICE
    # …and the newest of them are still in the write-ahead log, not yet checkpointed.
    assert (data_dir / "practice.ehrdb-wal").stat().st_size > 0
    assert (data_dir / "practice.ehrdb-shm").exists()
    marked.check("signed in, after adding a user")

    services.session.lock()
    marked.check("locked")
    services.auth.unlock(OWNER_PASSWORD)
    marked.check("unlocked")
    services.session.sign_out()
    marked.check("signed out")

    signed_in = services.auth.sign_in(CLINICIAN, CLINICIAN_PASSWORD, marked.code(CLINICIAN))
    assert signed_in.user.full_name == CLINICIAN_FULL_NAME
    assert (data_dir / "practice.ehrdb-wal").exists()
    marked.check("signed in as the clinician")
    services.session.sign_out()
    marked.check("signed out again")

    names = {str(p.relative_to(data_dir)) for p in files_under(data_dir)}
    assert {"practice.ehrdb", "vault.json"} <= names


def test_the_database_is_not_sqlite_without_the_key(marked: MarkedPractice) -> None:
    services = marked.services
    services.auth.sign_in(OWNER, OWNER_PASSWORD, marked.code(OWNER))
    services.session.sign_out()
    database = marked.data_dir / "practice.ehrdb"

    with database.open("rb") as f:
        assert f.read(len(SQLITE_HEADER)) != SQLITE_HEADER
    conn = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
    try:
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute("SELECT * FROM sqlite_master").fetchall()
    finally:
        conn.close()
    marked.check("after the stdlib sqlite3 tried to read it")


def test_files_are_owner_only(marked: MarkedPractice) -> None:
    for name in ("vault.json", "practice.ehrdb"):
        assert stat.S_IMODE((marked.data_dir / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE(marked.data_dir.stat().st_mode) == 0o700


# The search itself must be able to fail -------------------------------------------


def _planted_forms() -> list[tuple[str, bytes]]:
    marker = CLINICIAN_FULL_NAME
    utf8 = marker.encode("utf-8")
    forms = [
        ("utf-8", utf8),
        ("utf-16-le", marker.encode("utf-16-le")),
        ("utf-16-be", marker.upper().encode("utf-16-be")),
        ("lower case", marker.lower().encode("utf-8")),
        ("upper case", marker.upper().encode("utf-8")),
        ("NFD", unicodedata.normalize("NFD", marker).encode("utf-8")),
        ("hex", utf8.hex().encode()),
        ("HEX", utf8.hex().upper().encode()),
    ]
    for prefix in range(3):
        forms.append((f"base64 after {prefix} bytes", base64.b64encode(b"\x01" * prefix + utf8)))
    return forms


@pytest.mark.parametrize(("how", "planted"), _planted_forms(), ids=lambda v: str(v)[:20])
def test_the_search_finds_a_planted_marker(tmp_path: Path, how: str, planted: bytes) -> None:
    needles = Needles()
    needles.add_text("marker", CLINICIAN_FULL_NAME)
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "file").write_bytes(os.urandom(100) + planted + os.urandom(7))
    (tmp_path / "clean").write_bytes(os.urandom(4096))

    found = needles.scan(tmp_path)

    assert found, how
    assert all(line.startswith("deep/er/file: ") for line in found)
