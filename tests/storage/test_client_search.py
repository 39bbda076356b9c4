"""The client search's query shapes on a real SQLCipher file: a rare word drives from
the term index, common words walk the list, and a common surname prefix whose
clients sit far down the list still finds them (the walk's fallback)."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ehrdesk.core.front_desk import ClientDraft, ClientStatus
from ehrdesk.core.search_terms import query_words
from ehrdesk.storage import clients as clients_module
from ehrdesk.storage.clients import ClientRepository
from ehrdesk.storage.database import Database
from ehrdesk.storage.migrations import runner

FIRST = ("Ana", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hal")
LAST = ("Adams", "Baker", "Clark", "Diaz", "Evans", "Walker", "Ward", "Watson")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ClientRepository:
    db = Database.open(tmp_path / "p.ehrdb", os.urandom(32), create=True)
    runner.migrate(db)
    now = datetime(2026, 3, 2, tzinfo=UTC)
    rows = [
        (
            i,
            ClientDraft(
                legal_first_name=FIRST[i % len(FIRST)],
                legal_last_name=LAST[(i // 7) % len(LAST)] if i % 50 else "Zimmerman",
                date_of_birth=date(1950, 1, 1).replace(year=1950 + i % 60),
                phone_mobile=f"(312) 555-{i:04d}",
                status=ClientStatus.ACTIVE if i % 3 else ClientStatus.INACTIVE,
            ),
            now,
        )
        for i in range(1, 801)
    ]
    with db.transaction() as conn:
        ClientRepository(conn).add_many(rows)
    # Small thresholds, so 800 clients show the shapes 100,000 would.
    monkeypatch.setattr(clients_module, "DRIVE_UP_TO", 40)
    monkeypatch.setattr(clients_module, "WALK_WINDOW", 60)
    return ClientRepository(db.conn)


def _everything(repo: ClientRepository, query: str, **filters: object) -> list[str]:
    """Every page, in order, by keyset paging."""
    seen, after = [], None
    while True:
        page = repo.search(query_words(query), after=after, limit=25, **filters)  # type: ignore[arg-type]
        seen.extend(r.sort_key for r in page)
        if len(page) < 25:
            return seen
        after = page[-1].sort_key


def _expected(repo: ClientRepository, query: str) -> list[str]:
    words = query_words(query)
    rows = repo._conn.execute("SELECT id, sort_key FROM client ORDER BY sort_key").fetchall()
    keep = []
    for cid, key in rows:
        terms = {
            t
            for (t,) in repo._conn.execute(
                "SELECT term FROM client_search_term WHERE client_id = ?", (cid,)
            )
        }
        if all(any(t.startswith(w) for t in terms) for w in words):
            keep.append(key)
    return keep


@pytest.mark.parametrize("query", ["zim", "a", "wa", "ana wa", "555", "0147", "1984", "hal ward"])
def test_every_shape_returns_exactly_the_matches_in_order(
    repo: ClientRepository, query: str
) -> None:
    assert _everything(repo, query) == _expected(repo, query)


def test_a_rare_word_drives_from_the_term_index(repo: ClientRepository) -> None:
    plan = repo.explain_search(query_words("zimmer"))["drive"]
    assert plan[0] == "SEARCH m USING PRIMARY KEY (term>? AND term<?)"
    assert any("COVERING INDEX client_keyset" in p for p in plan)
    assert not any(p.startswith("SCAN") for p in plan)


def test_a_common_word_walks_the_list_then_falls_back(repo: ClientRepository) -> None:
    plans = repo.explain_search(query_words("wa"))
    assert any("client_sort" in p for p in plans["walk"])
    assert not any("TEMP B-TREE" in p for p in plans["walk"])  # the window is in order
    assert any("client_keyset" in p for p in plans["drive"])
    # "Wa…" surnames sit at the end of the list: the first window holds none of them,
    # yet the first page is full.
    page = repo.search(query_words("wa"), limit=25)
    assert len(page) == 25 and all(r.display_name.startswith("Wa") for r in page)


def test_filters_apply_in_both_shapes(repo: ClientRepository) -> None:
    for query in ("zim", "a"):
        rows = repo.search(query_words(query), status=ClientStatus.INACTIVE, limit=200)
        assert rows and all(r.status is ClientStatus.INACTIVE for r in rows)
