"""The event bus: weak subscribers, and one failing handler does not stop the rest."""

from __future__ import annotations

import pytest

from ehrdesk.core.events import EventBus


class Listener:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def on(self, reason: str) -> None:
        self.seen.append(reason)


def test_handlers_are_weak() -> None:
    bus = EventBus()
    listener = Listener()
    bus.subscribe("t", listener.on)
    bus.publish("t", reason="a")
    del listener
    bus.publish("t", reason="b")  # no error, nobody left


def test_a_failing_handler_does_not_stop_the_others() -> None:
    bus = EventBus()
    first, last = Listener(), Listener()

    def broken(reason: str) -> None:
        raise RuntimeError("boom")

    bus.subscribe("lock", first.on)
    bus.subscribe("lock", broken)
    bus.subscribe("lock", last.on)
    with pytest.raises(RuntimeError):
        bus.publish("lock", reason="idle")
    assert first.seen == ["idle"] and last.seen == ["idle"]
