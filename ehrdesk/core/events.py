"""A tiny publish/subscribe bus. Core and services tell; the UI listens.

Subscribers are held by weak reference, so a closed window that forgot to unsubscribe
does not stay alive or receive events. Handlers run synchronously on the publishing
thread; the UI's adapter moves them to the GUI thread.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

Handler = Callable[..., None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: dict[str, list[weakref.ref[Any]]] = {}

    def subscribe(self, topic: str, handler: Handler) -> None:
        ref: weakref.ref[Any]
        if hasattr(handler, "__self__") and hasattr(handler, "__func__"):
            ref = weakref.WeakMethod(handler)
        else:
            ref = weakref.ref(handler)
        self._subscribers.setdefault(topic, []).append(ref)

    def unsubscribe(self, topic: str, handler: Handler) -> None:
        self._subscribers[topic] = [
            r for r in self._subscribers.get(topic, []) if r() not in (None, handler)
        ]

    def publish(self, topic: str, **payload: Any) -> None:
        """Call every live handler. One failing handler does not stop the others (a
        lock must reach every view); the first failure is raised after all ran."""
        alive = []
        failure: BaseException | None = None
        for ref in list(self._subscribers.get(topic, [])):
            handler = ref()
            if handler is None:
                continue
            alive.append(ref)
            try:
                handler(**payload)
            except Exception as error:
                failure = failure or error
        self._subscribers[topic] = alive
        if failure is not None:
            raise failure
