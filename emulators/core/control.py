"""The control API under `/_emulator`: how tests and scripts drive an emulator.

Resources (JSON in and out; errors are `{"error": {"status", "message"}}`, with `problems` for
scenario errors):

    GET    /health             ready?, services, seed, clock, scenario name
    POST   /reset              back to the scenario's initial state (the one action path)
    POST   /scenario           load YAML text (body); invalid -> 400 and the old scenario stays
    GET    /state              every service's state, summarised (`service`, and a page of each
                               service's jobs/tasks: `limit` (100), `offset`; O(page), not O(all))
    GET    /clock              now, mode, speed
    POST   /clock              {"advance": seconds} or {"set": iso-time}; returns once everything due
                               up to the new time has happened: timers ran, callbacks were
                               delivered (or failed and were journaled), pushes were sent
    GET    /faults             rules in force
    POST   /faults             add a rule (201; 409 if its id is in use)
    DELETE /faults             remove every rule
    DELETE /faults/{id}        remove one rule
    GET    /requests           the journal; filters service, method, path (prefix), status, limit;
                               format=har answers it as an HTTP Archive (HAR 1.2)
    DELETE /requests           clear the journal
    GET    /metrics            Prometheus text format: requests, faults fired, callbacks, jobs by state
    GET    /openapi/{service}.json  the service's OpenAPI document (its contract spec), servers here
    GET    /ui                 the dashboard, a page that shows and drives all of the above
                               (emulators.core.dashboard; `?token=` there stands in for the header)

Only loopback clients may call it, unless the app was started with a control token, in which case
every call needs `Authorization: Bearer <token>` instead. Without a token, a web page the user visits
must not drive it either (CSRF, DNS rebinding): a call must name this server in `Host` (its address,
`localhost`, or a host the user allowed), carry no foreign `Origin`, and send its body as JSON (YAML
too for `/scenario`), which no page can do without a CORS preflight this API never answers. Bodies
are capped before they are read. It is mounted outside the journal and the fault rules, so a fault
can never block its own removal.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import Field, ValidationError, model_validator
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulators.core import dashboard, openapi
from emulators.core.errors import ControlError, ScenarioError
from emulators.core.faults import NEVER_OPENS, FaultRule
from emulators.core.har import har_document
from emulators.core.host import Host
from emulators.core.http import allowed_methods, holds_lone_surrogate, host_name, is_loopback, media_type
from emulators.core.metrics import CONTENT_TYPE as METRICS_TYPE
from emulators.core.metrics import render as render_metrics
from emulators.core.scenario import MAX_DEPTH, MAX_SCENARIO_BYTES
from emulators.core.service import Page
from emulators.core.spec import Spec

Handler = Callable[[Request], Awaitable[Response]]
MAX_CONTROL_BODY_BYTES = 1 * 2**20  # a clock change or a fault rule (whose answer body may be large)
JSON_TYPES = frozenset({"application/json"})
YAML_TYPES = JSON_TYPES | {"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"}
# The calls that take a body: its media types and its size cap. Any other call may carry none but JSON.
BODIES = {
    ("POST", "/scenario"): (YAML_TYPES, MAX_SCENARIO_BYTES),
    ("POST", "/clock"): (JSON_TYPES, MAX_CONTROL_BODY_BYTES),
    ("POST", "/faults"): (JSON_TYPES, MAX_CONTROL_BODY_BYTES),
}


class ClockChange(Spec):
    """Body of `POST /clock`: exactly one of advance (seconds) and set (an instant; without an
    offset, UTC, as in scenarios and fault rule windows)."""

    advance: float | None = Field(default=None, allow_inf_nan=False)
    set: datetime | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ClockChange:
        if (self.advance is None) == (self.set is None):
            raise ValueError("give exactly one of 'advance' and 'set'")
        if self.set is not None:
            self.set = _utc(self.set)
        return self


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    try:
        return when.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("'set' must be a time between the years 1 and 9999 in UTC") from exc


def _host(request: Request) -> Host:
    host: Host = request.app.state.host
    return host


async def _json(request: Request) -> Any:
    """The body as JSON (already capped in size), refusing nesting no control document needs."""
    body = await request.body()
    try:
        document = json.loads(body)
    except RecursionError as exc:
        raise ControlError(400, f"the body is nested more than {MAX_DEPTH} deep") from exc
    except ValueError as exc:
        raise ControlError(400, "the body is not JSON") from exc
    if holds_lone_surrogate(body, document):
        raise ControlError(400, "the body is not JSON: it holds a lone UTF-16 surrogate")
    if _deeper_than(document, MAX_DEPTH):
        raise ControlError(400, f"the body is nested more than {MAX_DEPTH} deep")
    return document


def _deeper_than(document: Any, limit: int) -> bool:
    """Whether JSON data nests more than `limit` arrays and objects, without recursing."""
    level: list[Any] = [document]
    for _ in range(limit):
        level = [
            child
            for value in level
            if isinstance(value, dict | list)
            for child in (value.values() if isinstance(value, dict) else value)
        ]
    return any(isinstance(value, dict | list) for value in level)


def _clock(host: Host) -> dict[str, Any]:
    clock = host.world.clock
    return {"now": clock.now().isoformat(), "mode": clock.mode, "speed": getattr(clock, "speed", None)}


async def health(request: Request) -> Response:
    host = _host(request)
    return JSONResponse(
        {
            "status": "ready" if host.ready else "starting",
            "services": [s.name for s in host.services],
            "seed": host.world.seed,
            "clock": _clock(host),
            "scenario": host.scenario.model.name,
        },
        status_code=200 if host.ready else 503,
    )


async def reset(request: Request) -> Response:
    host = _host(request)
    host.reset()
    await host.settle()  # what the scenario has due at its start
    return JSONResponse({"reset": True, "clock": _clock(host)})


async def load_scenario(request: Request) -> Response:
    host = _host(request)
    body = await request.body()  # capped by check_control_body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ControlError(400, "the scenario is not UTF-8 text") from exc
    # Parsing is bounded (size, values, depth) but can take a few tenths of a second: off the event
    # loop, so the services keep answering meanwhile.
    scenario = await run_in_threadpool(host.parse, [("<request>", text)])
    host.load(scenario)
    await host.settle()
    return JSONResponse({"loaded": scenario.model.name, "clock": _clock(host)})


async def state(request: Request) -> Response:
    host = _host(request)
    query = request.query_params
    try:
        page = Page(int(query.get("limit", "100")), int(query.get("offset", "0")))
    except ValueError as exc:
        raise ControlError(400, "limit and offset must be integers") from exc
    if not (1 <= page.limit <= 10_000 and page.offset >= 0):
        raise ControlError(400, "limit must be 1 to 10000 and offset at least 0")
    wanted = query.get("service")
    chosen = [s for s in host.services if wanted is None or s.name == wanted]
    if not chosen:
        raise ControlError(400, f"unknown service {wanted!r}")
    world = host.world
    now = world.catch_up()
    services = {s.name: s.summary(world.store_named(s.name), page) for s in chosen}
    return JSONResponse(
        {
            "clock": {**_clock(host), "now": now.isoformat()},
            "pending_events": world.pending_events,
            "services": services,
        }
    )


async def metrics(request: Request) -> Response:
    host = _host(request)
    host.world.catch_up()  # the census counts states as of now
    return Response(await run_in_threadpool(render_metrics, host), media_type=METRICS_TYPE)


async def openapi_document(request: Request) -> Response:
    host = _host(request)
    name = request.path_params["service"]
    served = {service.name for service in host.services}
    body = await run_in_threadpool(openapi.document, name, host.public_url) if name in served else None
    if body is None:
        raise ControlError(
            404, f"no OpenAPI document for {name!r}; there are: {', '.join(openapi.available())}"
        )
    return Response(body, media_type="application/json")


async def read_clock(request: Request) -> Response:
    host = _host(request)
    host.world.catch_up()
    return JSONResponse(_clock(host))


async def change_clock(request: Request) -> Response:
    host = _host(request)
    try:
        change = ClockChange.model_validate(await _json(request))
    except ValidationError as exc:
        raise ControlError(400, _problems(exc)) from exc
    world = host.world
    await host.settle()
    try:
        if change.advance is not None:
            world.clock.advance(change.advance)
        elif change.set is not None:
            world.clock.set(change.set)
    except ValueError as exc:
        raise ControlError(400, str(exc)) from exc
    await host.settle()
    return JSONResponse(_clock(host))


async def list_faults(request: Request) -> Response:
    return JSONResponse([r.as_dict() for r in _host(request).world.faults.rules])


async def add_fault(request: Request) -> Response:
    host = _host(request)
    try:
        rule = FaultRule.model_validate(await _json(request))
    except ValidationError as exc:
        raise ControlError(400, _problems(exc)) from exc
    faults = host.world.faults
    if rule.service is not None and rule.service not in {s.name for s in host.services}:
        raise ControlError(400, f"unknown service {rule.service!r}")
    if rule.window is not None and not faults.opens(rule.window):
        raise ControlError(400, f"window: {NEVER_OPENS}")
    if rule.id in faults:
        raise ControlError(409, f"a fault rule with id {rule.id!r} is in force; remove it first")
    return JSONResponse(faults.add(rule).as_dict(), status_code=201)


async def clear_faults(request: Request) -> Response:
    _host(request).world.faults.clear()
    return Response(status_code=204)


async def remove_fault(request: Request) -> Response:
    if not _host(request).world.faults.remove(request.path_params["rule_id"]):
        raise ControlError(404, "no such fault rule")
    return Response(status_code=204)


async def list_requests(request: Request) -> Response:
    q = request.query_params
    try:
        status = int(q["status"]) if "status" in q else None
        limit = int(q["limit"]) if "limit" in q else None
    except ValueError as exc:
        raise ControlError(400, "status and limit must be integers") from exc
    if q.get("format", "json") not in ("json", "har"):
        raise ControlError(400, "format must be json or har")
    host = _host(request)
    entries = host.world.journal.select(q.get("service"), q.get("method"), q.get("path"), status)
    if limit is not None:
        entries = entries[-limit:] if limit > 0 else []
    if q.get("format") == "har":
        return JSONResponse(har_document(entries, host.public_url))
    return JSONResponse([e.as_dict() for e in entries])


async def clear_requests(request: Request) -> Response:
    _host(request).world.journal.clear()
    return Response(status_code=204)


def _problems(exc: ValidationError) -> str:
    """Every problem pydantic found, as `key.path: message` joined by `; `."""
    return "; ".join(_problem(err["loc"], err["msg"]) for err in exc.errors())


def _problem(loc: tuple[int | str, ...], message: str) -> str:
    where = ".".join(map(str, loc))
    return f"{where}: {message}" if where else message


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message, **extra}}, status_code=status)


async def _on_control_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ControlError)
    return _error(exc.status, exc.message)


async def _on_scenario_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ScenarioError)
    problems = [{"file": p.file, "line": p.line, "key": p.key, "message": p.message} for p in exc.problems]
    return _error(400, "invalid scenario", problems=problems)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    response = _error(exc.status_code, exc.detail)
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(allowed_methods(request))
    return response


class require_trusted_client:  # a pipeline step, named as a verb
    """ASGI middleware: loopback clients only, or a bearer control token when one is set."""

    def __init__(self, app: Any, token: str | None, trusted: frozenset[str]) -> None:
        self.app = app
        self.token = token
        self.trusted = trusted

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not self._allowed(scope):
            status, message = (
                (401, "a control token is required")
                if self.token
                else (403, "the control API answers loopback clients only")
            )
            await _error(status, message)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope: Any) -> bool:
        if self.token is not None:
            headers = dict(scope["headers"])
            # Bytes, not str: compare_digest refuses a str that is not ASCII.
            given: bytes = headers.get(b"authorization", b"")
            return hmac.compare_digest(given, f"Bearer {self.token}".encode())
        client = scope.get("client")
        host = client[0] if client else ""
        return host in self.trusted or is_loopback(host)


class refuse_web_pages:  # a pipeline step, named as a verb
    """ASGI middleware: without a control token, only calls that name this server in `Host` and
    come from no other web origin. A browser page can reach loopback, and a rebinding domain makes
    its own name resolve there; it cannot forge `Host`, `Origin`, or a JSON body without a
    preflight. With a token the caller proved it is no page, whatever Host it used.
    """

    def __init__(self, app: Any, token: str | None, allowed_hosts: frozenset[str]) -> None:
        self.app = app
        self.token = token
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        reason = self._foreign(scope) if scope["type"] == "http" and self.token is None else None
        if reason is not None:
            await _error(403, reason)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _foreign(self, scope: Any) -> str | None:
        headers = Headers(scope=scope)
        given = headers.get("host")
        if given is not None and not self._ours(host_name(given), scope):
            return (
                f"the control API does not answer for host {given!r}: call it at its address or "
                "localhost, or start the server with --allowed-host"
            )
        origin = headers.get("origin")
        if origin is not None and (given is None or origin.lower() != f"{scope['scheme']}://{given}".lower()):
            return f"the control API does not answer web pages from other origins ({origin!r})"
        return None

    def _ours(self, name: str, scope: Any) -> bool:
        server = scope.get("server")
        return (
            name == "localhost"
            or name in self.allowed_hosts
            or (server is not None and name == str(server[0]).lower())
            or is_loopback(name)
        )


class check_control_body:  # a pipeline step, named as a verb
    """ASGI middleware: a body of the call's media type, no larger than its cap, refused (415 or
    413) before the handler reads it; a body sent in chunks is counted as it arrives."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path = scope["path"].removeprefix(scope.get("root_path", ""))
        types, limit = BODIES.get((scope["method"], path), (JSON_TYPES, MAX_CONTROL_BODY_BYTES))
        takes_body = (scope["method"], path) in BODIES
        declared = headers.get("content-length")
        has_body = takes_body or "transfer-encoding" in headers or declared not in (None, "0")
        kind = media_type(headers.get("content-type", ""))
        if has_body and kind not in types:
            expected = " or ".join(sorted(types))
            await _error(415, f"the body must be {expected}, not {kind or 'untyped'}")(scope, receive, send)
        elif declared is not None and declared.isdigit() and int(declared) > limit:
            await _error(413, _too_large(limit))(scope, receive, send)
        else:
            await self.app(scope, _capped(receive, limit), send)


def _too_large(limit: int) -> str:
    return f"the body is larger than {limit // 2**20} MiB"


def _capped(receive: Any, limit: int) -> Any:
    received = 0

    async def capped_receive() -> Any:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise ControlError(413, _too_large(limit))
        return message

    return capped_receive


def control_app(
    host: Host,
    token: str | None = None,
    trusted: frozenset[str] = frozenset(),
    allowed_hosts: frozenset[str] = frozenset(),
) -> Starlette:
    """The control API as an ASGI app (mount it at `/_emulator`)."""
    app = Starlette(
        routes=[
            Route("/health", health, methods=["GET"], name="health"),
            Route("/reset", reset, methods=["POST"], name="reset"),
            Route("/scenario", load_scenario, methods=["POST"], name="load_scenario"),
            Route("/state", state, methods=["GET"], name="state"),
            Route("/clock", read_clock, methods=["GET"], name="read_clock"),
            Route("/clock", change_clock, methods=["POST"], name="change_clock"),
            Route("/faults", list_faults, methods=["GET"], name="list_faults"),
            Route("/faults", add_fault, methods=["POST"], name="add_fault"),
            Route("/faults", clear_faults, methods=["DELETE"], name="clear_faults"),
            Route("/faults/{rule_id}", remove_fault, methods=["DELETE"], name="remove_fault"),
            Route("/requests", list_requests, methods=["GET"], name="list_requests"),
            Route("/requests", clear_requests, methods=["DELETE"], name="clear_requests"),
            Route("/metrics", metrics, methods=["GET"], name="metrics"),
            Route("/openapi/{service}.json", openapi_document, methods=["GET"], name="openapi"),
            *dashboard.routes(),
        ],
        middleware=[
            Middleware(dashboard.take_token_from_query),
            Middleware(require_trusted_client, token=token, trusted=trusted),
            Middleware(refuse_web_pages, token=token, allowed_hosts=allowed_hosts),
            # Innermost: a body too large raises while the handler reads it, and the exception
            # handlers below render that 413.
            Middleware(check_control_body),
        ],
        exception_handlers={
            ControlError: _on_control_error,
            ScenarioError: _on_scenario_error,
            HTTPException: _on_http_error,
        },
    )
    app.router.redirect_slashes = False  # one rule on every surface: no redirects, a slash is another path
    app.state.host = host
    return app
