"""Type aliases shared across the package."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Scope keys the data-plane steps share (namespaced, like Starlette's own).
SERVICE_KEY = "emulator.service"  # the name of the service whose prefix the path is under, or None
FAULT_KEY = "emulator.fault"  # the id of the fault rule that answered, delayed or dropped the request
WORLD_KEY = "emulator.world"  # the World the request started with; it finishes with the same one
STATUS_KEY = "emulator.status"  # the status a service's sub-app answered with, once it has answered
