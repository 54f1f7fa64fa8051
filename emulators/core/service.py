"""What a service package hands the core: its name, scenario section, store, routes and error format.

The core assembles apps, Worlds and scenarios from a list of `Service`s and never imports a service
package itself (the list is made in `emulators.app`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from emulators.core.errors import BadRequestBody
from emulators.core.http import allowed_methods

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
    - `render_error`: a response in the service's own error format for a fault rule's status and
      message, given the request it answers (for the fields a service echoes, such as an id).
    - `actions`: timeline actions a scenario may schedule.
    - `summary`: what `GET /_emulator/state` shows of the store.
    - `describe`: lines printed at start-up (base URLs, tokens), given the store and the base URL.
    """

    name: str
    section: type[BaseModel]
    build_store: Callable[[World, Any], object]
    routes: Callable[[Host], list[BaseRoute]]
    render_error: Callable[[Request, int, str | None], Response]
    actions: Mapping[str, TimelineAction] = field(default_factory=dict)
    summary: Callable[[Any], Any] = lambda store: None
    describe: Callable[[Any, str], list[str]] = lambda store, base: []


ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


@dataclass(frozen=True)
class ErrorRenderers:
    """How one service answers each kind of error, in its own format."""

    service_error: tuple[type[Exception], ErrorHandler]
    bad_body: ErrorHandler
    http_error: ErrorHandler
    server_error: ErrorHandler


def service_app(host: Host, routes: Sequence[BaseRoute], errors: ErrorRenderers) -> Starlette:
    """A service's sub-app: its routes, every error in its own format, no slash redirects.

    The real services do not redirect `/jobs/` to `/jobs`, so neither do we; and 404, 405 and 500
    answer in the service's format like any other error.
    """
    error_class, on_service_error = errors.service_error

    async def on_http_error(request: Request, exc: Exception) -> Response:
        response = await errors.http_error(request, exc)
        if isinstance(exc, HTTPException) and exc.status_code == 405:
            # Starlette names only the first route's methods; a resource may have several routes.
            response.headers["Allow"] = ", ".join(allowed_methods(request))
        return response

    app = Starlette(
        routes=list(routes),
        exception_handlers={
            error_class: on_service_error,
            BadRequestBody: errors.bad_body,
            HTTPException: on_http_error,
            Exception: errors.server_error,
        },
    )
    app.router.redirect_slashes = False
    app.state.host = host
    return app
