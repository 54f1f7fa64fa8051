"""Typed builders for HTTP fault rules.

Each builder returns the plain JSON document that `ControlClient.add_fault` (and a scenario's
`faults:` list) takes, so the wire format stays the one the README documents, while a type checker
and an editor know the field names and types. A builder leaves out what was not given and checks
nothing more: the server validates the rule (at most one trigger, header names, bounds) and answers
a bad one with its problems::

    control.add_fault(fault_rule(answer(503, retry_after=10), service="relativity", first=2))
    control.add_fault(fault_rule(drop_connection(), method="POST", window=time_window(end=60)))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TypeAlias

__all__ = ["JSON", "answer", "drop_connection", "fault_rule", "time_window"]

JSON: TypeAlias = bool | int | float | str | list["JSON"] | dict[str, "JSON"] | None


def _given(**fields: JSON) -> dict[str, JSON]:
    return {name: value for name, value in fields.items() if value is not None}


def answer(
    status: int | None = None,
    *,
    message: str | None = None,
    body: JSON = None,
    retry_after: int | None = None,
    headers: Mapping[str, str] | None = None,
    delay: float | None = None,
    delay_max: float | None = None,
    close_after: int | None = None,
    message_delay: float | None = None,
) -> dict[str, JSON]:
    """An action that answers: `status` with `message` in the matched service's own error format,
    or a literal JSON `body`; `Retry-After` and other `headers`; after `delay` seconds (real ones),
    or a seeded random time up to `delay_max`. On a WebSocket, `status` refuses the handshake;
    without one, `close_after` closes the connection after the server sent N messages and
    `message_delay` holds each of them (real seconds)."""
    return _given(
        status=status,
        message=message,
        body=body,
        retry_after=retry_after,
        headers=dict(headers) if headers is not None else None,
        delay=delay,
        delay_max=delay_max,
        close_after=close_after,
        message_delay=message_delay,
    )


def drop_connection(*, delay: float | None = None, delay_max: float | None = None) -> dict[str, JSON]:
    """An action that closes the connection without answering (in process, the client raises
    `httpx.RemoteProtocolError`, as on a socket), after an optional delay."""
    return {"drop": True, **_given(delay=delay, delay_max=delay_max)}


def time_window(
    start: float | datetime | None = None, end: float | datetime | None = None
) -> dict[str, JSON]:
    """When a rule may fire: each bound an instant, or seconds after the clock's start."""
    return _given(start=_bound(start), end=_bound(end))


def _bound(value: float | datetime | None) -> float | str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def fault_rule(
    action: dict[str, JSON],
    *,
    id: str | None = None,  # the rule document's own field name, though it shadows the builtin
    direction: str | None = None,
    service: str | None = None,
    method: str | Sequence[str] | None = None,
    path: str | None = None,
    headers: Mapping[str, str] | None = None,
    nth: int | None = None,
    first: int | None = None,
    probability: float | None = None,
    window: dict[str, JSON] | None = None,
) -> dict[str, JSON]:
    """A rule: which requests it matches (`direction`: "inbound", the default, or "outbound" for the
    emulator's own callbacks; `service`, `method`, a `path` glob, `headers` globs, a `window`), when
    it fires among them (`nth`, the `first` N, or a seeded `probability`; at most
    one), and its `action` (`answer(...)` or `drop_connection(...)`)."""
    return _given(
        id=id,
        direction=direction,
        service=service,
        method=method if method is None or isinstance(method, str) else list(method),
        path=path,
        headers=dict(headers) if headers is not None else None,
        nth=nth,
        first=first,
        probability=probability,
        window=window,
        action=action,
    )
