"""What a service package hands the core: its name, scenario section, store, routes and error format.

The core assembles apps, Worlds and scenarios from a list of `Service`s and never imports a service
package itself (the list is made in `emulators.app`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from emulators.core.errors import BadRequestBody, ServiceError
from emulators.core.http import allowed_methods
from emulators.core.types import Receive, Scope, Send

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


class _ServiceApp(Starlette):
    """A service's sub-app. A request for its bare prefix (a hub at `/api/rm`, say) reaches the
    route `/`, which Starlette would not match: mounted, that path is empty."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan" and scope["path"] == scope.get("root_path", ""):
            scope = {**scope, "path": scope["path"] + "/"}
        await super().__call__(scope, receive, send)


def service_app(host: Host, routes: Sequence[BaseRoute], render: RenderError) -> Starlette:
    """A service's sub-app: its routes, every error through its one renderer, no slash redirects.

    The real services do not redirect `/jobs/` to `/jobs`, so neither do we; and 404, 405 and 500
    answer in the service's format like any other error.
    """

    async def on_service_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceError)
        answer = ErrorAnswer("service", exc.status, exc.message, exc.code, exc.headers, exc.details)
        return render(request, answer)

    async def on_bad_body(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BadRequestBody)
        return render(request, ErrorAnswer("bad_body", 400, exc.message))

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        kind: ErrorKind = _HTTP_KINDS.get(exc.status_code, "http")
        response = render(request, ErrorAnswer(kind, exc.status_code, exc.detail, None, exc.headers or {}))
        if exc.status_code == 405:
            # Starlette names only the first route's methods; a resource may have several routes.
            response.headers["Allow"] = ", ".join(allowed_methods(request))
        return response

    async def on_server_error(request: Request, exc: Exception) -> Response:
        return render(request, ErrorAnswer("server_error", 500, None))

    app = _ServiceApp(
        routes=list(routes),
        exception_handlers={
            ServiceError: on_service_error,
            BadRequestBody: on_bad_body,
            HTTPException: on_http_error,
            Exception: on_server_error,
        },
    )
    app.router.redirect_slashes = False
    app.state.host = host
    return app
