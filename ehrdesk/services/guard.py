"""Permission checks for service methods, and the audit of refusals.

Every public method of a service class is decorated with `@requires(Action.X)`; the
role × action test walks the service classes and fails on any public method without
it. A refused call writes a `permission_denied` audit event before raising.

An allowed action can still be refused for one record (a clinician opening another
clinician's client): the method raises `RecordRefused`, anywhere, even inside its
transaction; the guard audits `permission_denied` naming the record once that
transaction has rolled back, and raises `PermissionDenied`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

from ehrdesk.core.errors import PermissionDenied
from ehrdesk.core.permissions import Action, allowed
from ehrdesk.services.session import Session

F = TypeVar("F", bound=Callable[..., Any])
REQUIRED_ACTION = "__ehrdesk_action__"


class RecordRefused(Exception):
    """This record is not the signed-in person's to reach (see module docstring)."""

    def __init__(self, object_type: str, object_id: object) -> None:
        super().__init__(object_type)
        self.object_type = object_type
        self.object_id = str(object_id)


class HasSession(Protocol):
    _session: Session


def requires(action: Action) -> Callable[[F], F]:
    def decorate(method: F) -> F:
        @functools.wraps(method)
        def guarded(self: HasSession, *args: Any, **kwargs: Any) -> Any:
            user = self._session.current_user()
            if not allowed(user.role, action):
                with self._session.transaction() as tx:
                    tx.audit("permission_denied", object_type="action", object_id=action.value)
                raise PermissionDenied
            try:
                return method(self, *args, **kwargs)
            except RecordRefused as refused:
                with self._session.transaction() as tx:
                    tx.audit(
                        "permission_denied",
                        object_type=refused.object_type,
                        object_id=refused.object_id,
                    )
                raise PermissionDenied from None

        setattr(guarded, REQUIRED_ACTION, action)
        return cast(F, guarded)

    return decorate
