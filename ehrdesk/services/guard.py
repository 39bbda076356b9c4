"""Permission checks for service methods, and the audit of refusals.

Every public method of a service class is decorated with `@requires(Action.X)`; the
role × action test walks the service classes and fails on any public method without
it. A refused call writes a `permission_denied` audit event before raising.
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
            return method(self, *args, **kwargs)

        setattr(guarded, REQUIRED_ACTION, action)
        return cast(F, guarded)

    return decorate
