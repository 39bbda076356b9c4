"""Hashing and flushing beside age: the same digest as hashlib, and no thread left."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ehrdesk.storage import streams
from ehrdesk.storage.streams import BackgroundFlush, BackgroundSha256


def ours() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name in ("ehrdesk-sha256", "ehrdesk-flush")]


@settings(max_examples=50, deadline=None)
@given(pieces=st.lists(st.binary(max_size=3000), max_size=30), piece=st.integers(1, 5000))
def test_the_digest_is_hashlib_s_however_the_bytes_come(pieces: list[bytes], piece: int) -> None:
    background = BackgroundSha256(piece=piece)
    for data in pieces:
        background.update(memoryview(data))  # a view of a buffer the caller reuses
    assert background.hexdigest() == hashlib.sha256(b"".join(pieces)).hexdigest()
    assert background.hexdigest() == hashlib.sha256(b"".join(pieces)).hexdigest()  # again
    assert ours() == []


def test_a_reused_buffer_is_hashed_as_it_was_when_given() -> None:
    background = BackgroundSha256(piece=4)
    buffer = bytearray(b"abcdefgh")
    background.update(memoryview(buffer))
    buffer[:] = b"XXXXXXXX"  # age reuses its buffers
    background.update(memoryview(buffer)[:2])
    assert background.hexdigest() == hashlib.sha256(b"abcdefghXX").hexdigest()


def test_close_part_way_ends_the_thread() -> None:
    background = BackgroundSha256(piece=16)
    for _ in range(100):
        background.update(os.urandom(64))
    background.close()
    background.close()  # twice is fine
    assert ours() == []


def test_a_flush_runs_while_writing_and_the_last_one_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    monkeypatch.setattr(streams, "fsync_file", synced.append)
    fd = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        flush = BackgroundFlush(fd, every=100)
        for _ in range(10):
            os.write(fd, b"x" * 50)
            flush.wrote(50)
        flush.finish()
    finally:
        os.close(fd)
    assert 1 <= len(synced) <= 6  # some while writing (every 100 bytes, coalesced) …
    assert synced[-1] == fd  # … and one at the end, after the thread has gone
    assert ours() == []


def test_a_failed_flush_is_reported_by_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(streams, "fsync_file", failing)
    flush = BackgroundFlush(0, every=1)
    flush.wrote(1)
    with pytest.raises(OSError, match="Input/output"):
        flush.finish()
    assert ours() == []


def test_close_without_finishing_does_not_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    monkeypatch.setattr(streams, "fsync_file", synced.append)
    flush = BackgroundFlush(0, every=10**9)
    flush.close()
    assert synced == [] and ours() == []
