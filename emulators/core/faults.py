"""HTTP fault rules: make a matching request fail, wait or lose its connection.

A `FaultRule` matches on service, method, path glob, headers, a time window and a trigger (the nth
matching call, the first N, or a seeded probability); the first rule that fires wins. Its action
answers with a status and a body in the matched service's own error format (the service renders it;
no body for 204, 304 or a HEAD request), optionally with `Retry-After`; waits a fixed or random time
first; or drops the connection without a response. `apply_faults` is the ASGI middleware; it puts
the rule's id in the `emulator.fault` scope key for the journal.

Rules are checked when they are made, so a rule in force never breaks a request it matches: its
window's bounds are finite and ordered, its status and headers can be sent over HTTP.

Rules come from the scenario (`faults:`) or the control API, and live in the World, so a reset
restores the scenario's rules and clears their counters.
"""

from __future__ import annotations

import asyncio
import fnmatch
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Discriminator, Field, Tag, model_validator
from starlette.requests import Request

from emulators.core.ids import stable_fraction
from emulators.core.spec import Spec
from emulators.core.types import FAULT_KEY, SERVICE_KEY, WORLD_KEY, ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from emulators.core.host import Host

TRANSPORT_KEY = "emulator.transport"  # the connection's transport, put in scope by our server
BODILESS_STATUSES = frozenset({204, 304})  # HTTP forbids a body in these answers
# RFC 9110 section 5.6.2 (a name is a token) and 5.5 (a value is Latin-1 text with no control
# character but a tab inside, and no whitespace around it).
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"(?:[\x21-\x7e\x80-\xff]+(?:[ \t]+[\x21-\x7e\x80-\xff]+)*)?")
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})  # the server frames the body
NEVER_OPENS = "the window's end must be after its start, or the rule can never fire"
MAX_OFFSET = 10**10  # seconds (about 317 years): the instant stays a datetime from any clock start


def _valid_headers(headers: dict[str, str]) -> dict[str, str]:
    for name, value in headers.items():
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(f"header name {name!r} is not an HTTP token")
        if name.lower() in _FRAMING_HEADERS:
            raise ValueError(f"header {name!r} is set by the server")
        if not _HEADER_VALUE.fullmatch(value):
            raise ValueError(
                f"the value of header {name!r} must be Latin-1 text without control characters or "
                "whitespace around it"
            )
    return headers


class FaultAction(Spec):
    """What a fired rule does."""

    status: int | None = Field(
        default=None, ge=200, le=599, description="answer with this status (204 and 304 have no body)"
    )
    message: str | None = Field(default=None, description="error message in the service's format")
    body: Any = Field(default=None, description="a literal body (JSON) instead of the service's error")
    headers: Annotated[dict[str, str], AfterValidator(_valid_headers)] = Field(
        default_factory=dict, description="extra response headers (HTTP tokens and Latin-1 values)"
    )
    retry_after: int | None = Field(default=None, ge=0)
    delay: float = Field(default=0, ge=0, le=600, description="seconds to wait first")
    delay_max: float | None = Field(default=None, ge=0, le=600, description="wait a seeded random time")
    drop: bool = Field(default=False, description="close the connection without a response")
    close_after: int | None = Field(
        default=None, ge=0, description="WebSocket: close the connection after the server sent N messages"
    )
    message_delay: float | None = Field(
        default=None, ge=0, le=600, description="WebSocket: seconds each message from the server waits"
    )

    @model_validator(mode="after")
    def _does_something(self) -> FaultAction:
        effects = (self.status is not None, self.drop, self.delay, self.delay_max is not None)
        if not any((*effects, self.close_after is not None, self.message_delay)):
            raise ValueError(
                "an action needs a status, a delay or drop (on a WebSocket: or close_after, message_delay)"
            )
        if self.delay_max is not None and self.delay_max < self.delay:
            raise ValueError("delay_max must not be below delay")
        return self


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _bound_kind(value: object) -> str:
    # A number is an offset, never epoch seconds (which pydantic would read into a datetime).
    return "seconds" if isinstance(value, int | float) else "time"


# Seconds after the clock's start (finite, and small enough that the instant stays a datetime), or
# an absolute time (one without an offset is read as UTC, as scenario times are).
_Bound = Annotated[
    Annotated[float, Field(ge=-MAX_OFFSET, le=MAX_OFFSET, allow_inf_nan=False), Tag("seconds")]
    | Annotated[datetime, AfterValidator(_as_utc), Tag("time")],
    Discriminator(_bound_kind),
]
_WINDOW_BOUND = "seconds after the clock's start (|s| <= 1e10), or a time (without an offset, UTC)"


class TimeWindow(Spec):
    """Instants (absolute, or seconds after the clock's start) between which a rule may fire."""

    start: _Bound | None = Field(default=None, description=f"opens at: {_WINDOW_BOUND}")
    end: _Bound | None = Field(default=None, description=f"closes at, after start: {_WINDOW_BOUND}")

    @model_validator(mode="after")
    def _end_after_start(self) -> TimeWindow:
        start, end = self.start, self.end
        # A time and an offset are compared once the clock's start is known (`FaultRules.opens`).
        if isinstance(start, float) and isinstance(end, float) and end <= start:
            raise ValueError(NEVER_OPENS)
        if isinstance(start, datetime) and isinstance(end, datetime) and end <= start:
            raise ValueError(NEVER_OPENS)
        return self


class FaultRule(Spec):
    """One HTTP fault rule."""

    id: str | None = None
    direction: Literal["inbound", "outbound"] | None = Field(
        default=None, description="inbound (the default): requests to the emulator; outbound: its callbacks"
    )
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
    _rules: list[ActiveRule] = field(default_factory=list)
    _counter: int = 0
    # (direction, service, METHOD) -> the rules that can match such a request, in order: a rule that
    # cannot match costs nothing (the cache is dropped whenever the rules change).
    _candidates: dict[tuple[str, str | None, str], list[ActiveRule]] = field(default_factory=dict)

    @property
    def rules(self) -> list[ActiveRule]:
        return self._rules

    @rules.setter
    def rules(self, rules: list[ActiveRule]) -> None:
        self._rules = rules
        self._candidates = {}

    def candidates(self, direction: str, service: str | None, method: str) -> list[ActiveRule]:
        """The rules whose direction, service and method allow a request like this one."""
        key = (direction, service, method)
        found = self._candidates.get(key)
        if found is None:
            upper = method.upper()
            found = [r for r in self._rules if _allows(r.rule, direction, service, upper)]
            self._candidates[key] = found
        return found

    def add(self, rule: FaultRule) -> ActiveRule:
        """Add a rule at the end; without an id it gets the next `fault-N` not in use.

        A rule whose id is in use replaces that rule (the control API refuses such a rule first).
        """
        active = ActiveRule(rule.id or self._next_id(), rule)
        self.rules = [r for r in self.rules if r.id != active.id] + [active]
        return active

    def _next_id(self) -> str:
        while True:
            self._counter += 1
            if f"fault-{self._counter}" not in self:
                return f"fault-{self._counter}"

    def __contains__(self, rule_id: object) -> bool:
        return any(r.id == rule_id for r in self.rules)

    def opens(self, window: TimeWindow) -> bool:
        """Whether the window's end comes after its start, with offsets counted from the clock's start."""
        return (
            window.start is None
            or window.end is None
            or self._instant(window.start) < self._instant(window.end)
        )

    def remove(self, rule_id: str) -> bool:
        kept = [r for r in self.rules if r.id != rule_id]
        found = len(kept) != len(self.rules)
        self.rules = kept
        return found

    def clear(self) -> None:
        self.rules = []

    def match(
        self,
        service: str | None,
        method: str,
        path: str,
        headers: dict[str, str],
        now: datetime,
        direction: str = "inbound",
    ) -> ActiveRule | None:
        """The first rule that fires for this request (counting the call against every matching rule)."""
        winner = None
        for active in self.candidates(direction, service, method):
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
        """Whether a candidate rule (its direction, service and method allow the request) matches."""
        if rule.path is not None and not fnmatch.fnmatchcase(path, rule.path):
            return False
        for name, pattern in rule.headers.items():
            value = headers.get(name.lower())
            if value is None or not fnmatch.fnmatchcase(value, pattern):
                return False
        return rule.window is None or self._in_window(rule.window, now)

    def _in_window(self, window: TimeWindow, now: datetime) -> bool:
        if window.start is not None and now < self._instant(window.start):
            return False
        return window.end is None or now < self._instant(window.end)

    def _instant(self, value: datetime | float) -> datetime:
        if isinstance(value, datetime):
            return value
        return self.clock_start + timedelta(seconds=value)

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


def _allows(rule: FaultRule, direction: str, service: str | None, method: str) -> bool:
    methods = [rule.method] if isinstance(rule.method, str) else rule.method
    return (
        (rule.direction or "inbound") == direction
        and (rule.service is None or rule.service == service)
        and (methods is None or method in {m.upper() for m in methods})
    )


class ConnectionDropped(Exception):
    """Raised in-process where there is no connection to drop; a real server closes the socket."""


class apply_faults:  # a pipeline step, named as a verb like the other steps
    """ASGI middleware: let the World's fault rules answer, delay or drop a request."""

    def __init__(self, app: ASGIApp, host: Host) -> None:
        self.app = app
        self.host = host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        world = scope.get(WORLD_KEY) or self.host.world
        if scope["type"] not in _FAULTABLE or not world.faults.rules:
            await self.app(scope, receive, send)
            return
        service = scope[SERVICE_KEY] if SERVICE_KEY in scope else self.host.service_for(scope["path"])
        method = scope.get("method", "GET")  # a WebSocket handshake is a GET
        if not world.faults.candidates("inbound", service, method):  # rules for other requests: free
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        active = world.faults.match(service, method, scope["path"], headers, world.clock.now())
        if active is None:
            await self.app(scope, receive, send)
            return
        scope[FAULT_KEY] = active.id
        action = active.rule.action
        wait = world.faults.delay(active)
        if wait:
            await asyncio.sleep(wait)
        if scope["type"] == "websocket":
            await _websocket_fault(self.app, self.host, service, action, scope, receive, send)
            return
        if action.drop:
            await _drop(scope)
            return
        if action.status is None:
            await self.app(scope, receive, send)
            return
        response = self.host.render_fault(service, action, Request(scope))
        if action.status in BODILESS_STATUSES or scope["method"] == "HEAD":
            send = _without_body(send)
        await response(scope, receive, send)


_FAULTABLE = frozenset({"http", "websocket"})
_DENIAL = "websocket.http.response"  # the ASGI extension that lets a handshake be refused with a status
_GOING_AWAY = 1001


async def _websocket_fault(
    app: ASGIApp,
    host: Host,
    service: str | None,
    action: FaultAction,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """A fired rule on a WebSocket: refuse the handshake (status, or drop: closed unanswered), or let
    it through with its server messages delayed and the connection closed after `close_after`."""
    if action.drop or (action.status is not None and _DENIAL not in scope.get("extensions", {})):
        await send({"type": "websocket.close", "code": 1000})  # before accept: the client gets 403
        return
    if action.status is not None:
        response = host.render_fault(service, action, Request({**scope, "type": "http", "method": "GET"}))
        start = {"type": "websocket.http.response.start", "status": action.status}
        await send({**start, "headers": response.raw_headers})
        await send({"type": "websocket.http.response.body", "body": response.body})
        return
    sent = 0
    closed = False

    async def send_faulty(message: Message) -> None:
        # Once the rule has closed the connection, the app learns it from `receive` (a disconnect);
        # what it still sends goes nowhere, as on a socket the peer has closed.
        nonlocal sent, closed
        if closed:
            return
        if message["type"] == "websocket.send":
            if action.close_after is not None and sent >= action.close_after:
                closed = True
                message = {"type": "websocket.close", "code": _GOING_AWAY, "reason": "fault rule"}
            elif action.message_delay:
                await asyncio.sleep(action.message_delay)
            sent += 1
        await send(message)

    await app(scope, receive, send_faulty)


def _without_body(send: Send) -> Send:
    """`send` for an answer that must have no body: the rendered headers, then an empty body."""

    async def send_headers_only(message: Message) -> None:
        if message["type"] != "http.response.body":
            await send(message)
        elif not message.get("more_body", False):
            await send({"type": "http.response.body", "body": b""})

    return send_headers_only


async def _drop(scope: Scope) -> None:
    transport = scope.get("extensions", {}).get(TRANSPORT_KEY)
    if transport is None:
        raise ConnectionDropped("fault rule dropped the connection")
    transport.abort()
    # Let the server see the connection is gone before it tries to answer on it.
    await asyncio.sleep(0)
