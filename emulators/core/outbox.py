"""The outbox: requests the emulator itself sends (callbacks, webhooks), and how they go out.

A state change never does I/O. It queues an `OutgoingRequest` with the virtual instant it is due
(`World.post`); the Host delivers queued requests after catching up (`Host.settle`), in due-time
order, one at a time, with `httpx.AsyncClient`. Each delivery is journaled as an `outbound` entry
(target URL, body excerpt, status or error, the virtual time it was due). Outbound fault rules can
answer in the target's place, delay a delivery or drop it. An unreachable or failing target breaks
nothing: the service's `retry` policy decides whether to try again, and when (virtual seconds later).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from emulators.core.faults import FaultRules
from emulators.core.journal import Journal, JournalEntry

if TYPE_CHECKING:  # httpx is imported when the first request goes out: most runs send none
    import httpx

TIMEOUT_SECONDS = 5.0  # real seconds a target may take; a settle waits for each delivery in turn


def open_client() -> httpx.AsyncClient:
    """The HTTP client deliveries go out with (the caller closes it)."""
    import httpx

    return httpx.AsyncClient(timeout=TIMEOUT_SECONDS, trust_env=False)


@dataclass(frozen=True)
class Delivery:
    """How one attempt went: the target's status, or why there was none."""

    status: int | None
    error: str | None
    attempt: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


Retry = Callable[[Delivery], float | None]  # seconds (virtual) until the next attempt, or None: give up


@dataclass(frozen=True)
class OutgoingRequest:
    """A request a service wants sent once state has been caught up."""

    service: str | None
    method: str
    url: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    retry: Retry | None = None
    attempt: int = 1


async def deliver(
    request: OutgoingRequest,
    due: datetime,
    journal: Journal,
    faults: FaultRules,
    http: httpx.AsyncClient,
    console: Callable[[JournalEntry], None] | None = None,
) -> Delivery:
    """Send one request (or let an outbound fault rule stand in for the target) and journal it."""
    parts = urlsplit(request.url)
    headers = {name.lower(): value for name, value in request.headers.items()}
    raw_headers = [
        (name.encode("latin-1", "replace"), value.encode("latin-1", "replace"))
        for name, value in headers.items()
    ]
    entry = journal.outbound(due, request.service, request.method, request.url, raw_headers, request.body)
    active = faults.match(request.service, request.method, parts.path or "/", headers, due, "outbound")
    status: int | None = None
    error: str | None = None
    if active is not None:
        entry.fault = active.id
        wait = faults.delay(active)
        if wait:
            await asyncio.sleep(wait)
        if active.rule.action.drop:
            error = "dropped by a fault rule"
        elif active.rule.action.status is not None:
            status = active.rule.action.status
    if status is None and error is None:
        import httpx

        try:
            response = await http.request(request.method, request.url, content=request.body, headers=headers)
            status = response.status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        except ValueError as exc:  # a URL httpx cannot send to
            error = f"invalid target: {exc}"
    entry.status, entry.error = status, error
    if console is not None:
        console(entry)
    return Delivery(status, error, request.attempt)
