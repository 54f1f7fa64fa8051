"""What a service package hands the core: its name, scenario section, store, routes and error format.

The core assembles apps, Worlds and scenarios from a list of `Service`s and never imports a service
package itself (the list is made in `emulators.app`).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel
from starlette.datastructures import State
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Router

from emulators.core.errors import BadRequestBody, ServiceError
from emulators.core.http import allowed_methods
from emulators.core.types import STATUS_KEY, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from emulators.core.host import Host
    from emulators.core.world import World

TimelineAction = Callable[["World", Mapping[str, Any], datetime], None]


@dataclass(frozen=True)
class Service:
    """One emulated service, as the core sees it.

    - `section`: the model of its `services.<name>` scenario section.
    - `build_store`: makes the service's state for a new World (the section may be None).
    - `routes`: its mounts, each a sub-app under one of the service's real path prefixes.
    - `render_error`: the service's one error renderer: any `ErrorAnswer` (its own errors, bad bodies,
      404/405, unexpected exceptions, fault rules' answers) as a response in its format, given the
      request it answers (for the fields a service echoes, such as an id).
    - `actions`: timeline actions a scenario may schedule.
    - `summary`: what `GET /_emulator/state` shows of the store, given the `Page` of its main
      collection (jobs, tasks, transfers) to render: rendering costs O(page), not O(everything).
    - `describe`: lines printed at start-up (base URLs, tokens), given the store and the base URL.
    - `census`: its jobs (tasks, transfers) counted by state in the doc's words, for the metrics.
    - `prefixes_ignore_case`: its path prefixes match in any case, as an ASP.NET Core or IIS host's
      do (`/Transfer-Service/...`); the exact spelling is still tried first. Routes below a prefix
      are its sub-app's own to match.
    - `hostnames`: the host names the scenario gives clients to reach the service by (a TLS
      certificate of the emulator names them).
    - `progress`: where the dashboard finds each item's status and progress in that collection.
    """

    name: str
    section: type[BaseModel]
    build_store: Callable[[World, Any], object]
    routes: Callable[[Host], list[BaseRoute]]
    render_error: RenderError
    actions: Mapping[str, TimelineAction] = field(default_factory=dict)
    summary: Callable[[Any, Page], Any] = lambda store, page: None
    describe: Callable[[Any, str], list[str]] = lambda store, base: []
    census: Callable[[Any], Mapping[str, int]] | None = None
    prefixes_ignore_case: bool = False
    hostnames: Callable[[Any], list[str]] = lambda store: []
    progress: Progress | None = None


@dataclass(frozen=True)
class Progress:
    """Where the dashboard reads an item of a service's main collection (as `summary` renders it):
    dotted paths into the item's document for its `status`, the counts that make up what is `done`
    (summed) and the `total`, counted in `unit`."""

    status: str
    done: tuple[str, ...]
    total: str
    unit: str = "files"


@dataclass(frozen=True)
class Page:
    """A window on a service's main collection for `GET /_emulator/state`: `limit` items from
    `offset` on, in the order they were created."""

    limit: int = 100
    offset: int = 0

    def of(self, items: Mapping[K, V]) -> tuple[list[tuple[K, V]], dict[str, Any]]:
        """The page's items, and `{total, offset, next}` (`next` is the offset of the following page,
        or None on the last). Skipping to the offset walks keys only; only the page is rendered."""
        chosen = list(itertools.islice(items.items(), self.offset, self.offset + self.limit))
        following = self.offset + len(chosen)
        return chosen, {
            "total": len(items),
            "offset": self.offset,
            "next": following if following < len(items) else None,
        }


K = TypeVar("K")
V = TypeVar("V")


ErrorKind = Literal["service", "bad_body", "not_found", "method_not_allowed", "http", "server_error", "fault"]


@dataclass(frozen=True)
class ErrorAnswer:
    """What any error in a service comes down to, before the service words it.

    `kind` says where it came from: the service's own `ServiceError`, a body that is not the JSON
    expected, routing (`not_found`, `method_not_allowed`, other `http` errors), an unexpected
    exception (`server_error`, status 500) or a fault rule (`fault`). `code` is the service's own
    error code when its error carried one, and `details` its structured arguments, if any.
    """

    kind: ErrorKind
    status: int
    message: str | None
    code: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    details: Mapping[str, object] | None = None


RenderError = Callable[[Request, ErrorAnswer], Response]


_HTTP_KINDS: dict[int, ErrorKind] = {404: "not_found", 405: "method_not_allowed"}
_Handler = Callable[[Request, Exception], Awaitable[Response]]
Routes = Sequence[BaseRoute] | Callable[[], Sequence[BaseRoute]]
"""A sub-app's routes, or a function that returns them when the first request comes."""


class ServiceApp:
    """A service's sub-app: Starlette's router, with every error answered by the service's renderer
    and no slash redirects.

    The real services do not redirect `/jobs/` to `/jobs`, so neither do we; and 404, 405 and 500
    answer in the service's format like any other error. An error an endpoint raises is answered
    inside its route (Starlette's `request_response` finds the handlers in the scope); routing's own
    errors (404, 405) and anything unexpected, here.

    A Starlette app would do this with two middlewares around the router, each wrapping `send` once
    more; status reads are the hot path, so this does it in one step. As Starlette's does, an
    unexpected exception is answered with a 500 and raised on, for the server to log. The status it
    answers with is noted in the scope (`STATUS_KEY`), so the journal around it needs no `send`
    wrapper of its own.
    """

    notes_status = True  # see `record_request`

    def __init__(self, host: Host, routes: Routes, render: RenderError) -> None:
        self._routes = routes
        self._router = None if callable(routes) else Router(list(routes), redirect_slashes=False)
        self.state = State()
        self.state.host = host
        self._render = render
        self._by_class: dict[type[Exception], _Handler] = {
            ServiceError: self._on_service_error,
            BadRequestBody: self._on_bad_body,
            HTTPException: self._on_http_error,
        }
        # What Starlette's routes look up: handlers by exception class, and by status (none).
        self._handlers: tuple[dict[type[Exception], _Handler], dict[int, _Handler]] = (self._by_class, {})

    @property
    def router(self) -> Router:
        """The router, made on first use when the routes were given as a function."""
        if self._router is None:
            assert callable(self._routes)
            self._router = Router(list(self._routes()), redirect_slashes=False)
        return self._router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        router = self._router or self.router
        noted = scope  # where the status is noted: the scope the caller holds
        if scope["path"] == scope.get("root_path", ""):
            # A request for the bare prefix (a hub at `/api/rm`) reaches the route `/`.
            scope = {**scope, "path": scope["path"] + "/"}
        scope["app"] = self
        scope["starlette.exception_handlers"] = self._handlers

        sending = noting_status(send, noted)
        try:
            try:
                await router(scope, receive, sending)
            except Exception as exc:
                handler = next((self._by_class[c] for c in type(exc).__mro__ if c in self._by_class), None)
                if handler is None or scope["type"] != "http":
                    raise
                if STATUS_KEY in noted:
                    raise RuntimeError("Caught handled exception, but response already started.") from exc
                await (await handler(Request(scope, receive, send), exc))(scope, receive, sending)
                exc.__traceback__ = None  # a reused exception would collect tracebacks
        except Exception:
            if scope["type"] == "http" and STATUS_KEY not in noted:
                answer = self._render(Request(scope), ErrorAnswer("server_error", 500, None))
                await answer(scope, receive, sending)
            raise

    async def _on_service_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceError)
        return self._render(
            request, ErrorAnswer("service", exc.status, exc.message, exc.code, exc.headers, exc.details)
        )

    async def _on_bad_body(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BadRequestBody)
        return self._render(request, ErrorAnswer("bad_body", 400, exc.message))

    async def _on_http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        kind: ErrorKind = _HTTP_KINDS.get(exc.status_code, "http")
        answer = ErrorAnswer(kind, exc.status_code, exc.detail, None, exc.headers or {})
        response = self._render(request, answer)
        if exc.status_code == 405:
            # Starlette names only the first route's methods; a resource may have several routes.
            response.headers["Allow"] = ", ".join(allowed_methods(request))
        return response


def noting_status(send: Send, scope: Scope) -> Send:
    """`send`, noting the status it sends in `scope` (`STATUS_KEY`) as the response starts."""

    async def send_and_note(message: Message) -> None:
        if message["type"] == "http.response.start":
            scope[STATUS_KEY] = message["status"]
        await send(message)

    return send_and_note


def service_app(host: Host, routes: Routes, render: RenderError) -> ServiceApp:
    """A service's sub-app: its routes, every error through its one renderer (see `ServiceApp`).

    `routes` may be a function that returns them: it is called on the sub-app's first request, so a
    service can leave importing its HTTP side (routes, request documents) out of start-up."""
    return ServiceApp(host, routes, render)


def lazy_mounts(
    host: Host, prefixes: Sequence[str], routes_at: Callable[[str], Sequence[BaseRoute]], render: RenderError
) -> list[BaseRoute]:
    """A service's sub-apps, one mounted at each prefix, whose routes `routes_at(prefix)` gives on
    the prefix's first request: the service imports its HTTP side there, not at start-up."""
    return [
        Mount(prefix, app=service_app(host, functools.partial(routes_at, prefix), render))
        for prefix in prefixes
    ]
