"""HTTP fault rules: make a matching request fail, wait or lose its connection.

A `FaultRule` matches on service, method, path glob, headers, a time window and a trigger (the nth
matching call, the first N, or a seeded probability); the first rule that fires wins. Its action
answers with a status and a body in the matched service's own error format (the service renders it),
optionally with `Retry-After`; waits a fixed or random time first; or drops the connection without
a response. `apply_faults` is the ASGI middleware; it puts the rule's id in the `emulator.fault` scope
key for the journal.

Rules come from the scenario (`faults:`) or the control API, and live in the World, so a reset
restores the scenario's rules and clears their counters.
"""

from __future__ import annotations

import asyncio
import fnmatch
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.requests import Request

from emulators.core.ids import stable_fraction
from emulators.core.types import FAULT_KEY, SERVICE_KEY, ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from emulators.core.host import Host

TRANSPORT_KEY = "emulator.transport"  # the connection's transport, put in scope by our server


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FaultAction(_Spec):
    """What a fired rule does."""

    status: int | None = Field(default=None, ge=100, le=599)
    message: str | None = Field(default=None, description="error message in the service's format")
    body: Any = Field(default=None, description="a literal body (JSON) instead of the service's error")
    headers: dict[str, str] = Field(default_factory=dict)
    retry_after: int | None = Field(default=None, ge=0)
    delay: float = Field(default=0, ge=0, le=600, description="seconds to wait first")
    delay_max: float | None = Field(default=None, ge=0, le=600, description="wait a seeded random time")
    drop: bool = Field(default=False, description="close the connection without a response")

    @model_validator(mode="after")
    def _does_something(self) -> FaultAction:
        if self.status is None and not self.drop and not self.delay and self.delay_max is None:
            raise ValueError("an action needs a status, a delay or drop")
        if self.delay_max is not None and self.delay_max < self.delay:
            raise ValueError("delay_max must not be below delay")
        return self


class TimeWindow(_Spec):
    """Instants (absolute, or seconds after the clock's start) between which a rule may fire."""

    start: datetime | float | None = None
    end: datetime | float | None = None


class FaultRule(_Spec):
    """One HTTP fault rule."""

    id: str | None = None
    service: str | None = None
    method: str | list[str] | None = None
    path: str | None = Field(default=None, description="glob over the request path, e.g. /a/*/b")
    headers: dict[str, str] = Field(default_factory=dict, description="header name -> glob over its value")
    nth: int | None = Field(default=None, ge=1, description="fire on the nth matching call only")
    first: int | None = Field(default=None, ge=1, description="fire on the first N matching calls")
    probability: float | None = Field(default=None, ge=0, le=1, description="seeded chance per call")
    window: TimeWindow | None = None
    action: FaultAction

    @model_validator(mode="after")
    def _one_trigger(self) -> FaultRule:
        if sum(x is not None for x in (self.nth, self.first, self.probability)) > 1:
            raise ValueError("use at most one of nth, first and probability")
        return self


@dataclass
class ActiveRule:
    """A rule in force, with its id and how many calls it has matched so far."""

    id: str
    rule: FaultRule
    matched: int = 0
    fired: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "matched": self.matched,
            "fired": self.fired,
            **self.rule.model_dump(mode="json", exclude_none=True, exclude={"id"}),
        }


@dataclass
class FaultRules:
    """The rules of one World, in order."""

    seed: int
    clock_start: datetime
    rules: list[ActiveRule] = field(default_factory=list)
    _counter: int = 0

    def add(self, rule: FaultRule) -> ActiveRule:
        self._counter += 1
        active = ActiveRule(rule.id or f"fault-{self._counter}", rule)
        self.rules = [r for r in self.rules if r.id != active.id] + [active]
        return active

    def remove(self, rule_id: str) -> bool:
        kept = [r for r in self.rules if r.id != rule_id]
        found = len(kept) != len(self.rules)
        self.rules = kept
        return found

    def clear(self) -> None:
        self.rules = []

    def match(
        self, service: str | None, method: str, path: str, headers: dict[str, str], now: datetime
    ) -> ActiveRule | None:
        """The first rule that fires for this request (counting the call against every matching rule)."""
        winner = None
        for active in self.rules:
            if not self._matches(active.rule, service, method, path, headers, now):
                continue
            active.matched += 1
            if winner is None and self._triggers(active):
                active.fired += 1
                winner = active
        return winner

    def _matches(
        self,
        rule: FaultRule,
        service: str | None,
        method: str,
        path: str,
        headers: dict[str, str],
        now: datetime,
    ) -> bool:
        methods = [rule.method] if isinstance(rule.method, str) else rule.method
        if rule.service is not None and rule.service != service:
            return False
        if methods is not None and method.upper() not in {m.upper() for m in methods}:
            return False
        if rule.path is not None and not fnmatch.fnmatchcase(path, rule.path):
            return False
        for name, pattern in rule.headers.items():
            value = headers.get(name.lower())
            if value is None or not fnmatch.fnmatchcase(value, pattern):
                return False
        return rule.window is None or self._in_window(rule.window, now)

    def _in_window(self, window: TimeWindow, now: datetime) -> bool:
        def instant(value: datetime | float) -> datetime:
            if isinstance(value, datetime):
                return value
            return self.clock_start + timedelta(seconds=value)

        if window.start is not None and now < instant(window.start):
            return False
        return window.end is None or now < instant(window.end)

    def _triggers(self, active: ActiveRule) -> bool:
        rule, n = active.rule, active.matched
        if rule.nth is not None:
            return n == rule.nth
        if rule.first is not None:
            return n <= rule.first
        if rule.probability is not None:
            return stable_fraction(self.seed, active.id, n) < rule.probability
        return True

    def delay(self, active: ActiveRule) -> float:
        action = active.rule.action
        if action.delay_max is None:
            return action.delay
        u = stable_fraction(self.seed, active.id, "delay", active.fired)
        return action.delay + u * (action.delay_max - action.delay)


class ConnectionDropped(Exception):
    """Raised in-process where there is no connection to drop; a real server closes the socket."""


class apply_faults:  # a pipeline step, named as a verb like the other steps
    """ASGI middleware: let the World's fault rules answer, delay or drop a request."""

    def __init__(self, app: ASGIApp, host: Host) -> None:
        self.app = app
        self.host = host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.host.world.faults.rules:
            await self.app(scope, receive, send)
            return
        world = self.host.world
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        service = scope[SERVICE_KEY] if SERVICE_KEY in scope else self.host.service_for(scope["path"])
        active = world.faults.match(service, scope["method"], scope["path"], headers, world.clock.now())
        if active is None:
            await self.app(scope, receive, send)
            return
        scope[FAULT_KEY] = active.id
        action = active.rule.action
        wait = world.faults.delay(active)
        if wait:
            await asyncio.sleep(wait)
        if action.drop:
            await _drop(scope)
            return
        if action.status is None:
            await self.app(scope, receive, send)
            return
        response = self.host.render_fault(service, action, Request(scope))
        await response(scope, receive, send)


async def _drop(scope: Scope) -> None:
    transport = scope.get("extensions", {}).get(TRANSPORT_KEY)
    if transport is None:
        raise ConnectionDropped("fault rule dropped the connection")
    transport.abort()
    # Let the server see the connection is gone before it tries to answer on it.
    await asyncio.sleep(0)
