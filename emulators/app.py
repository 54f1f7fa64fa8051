"""Assembly of the one ASGI app that serves every emulated service (see `EmulatorApp` for its order).

Usage::

    from emulators.app import create_app
    app = create_app(scenario_files=["scenarios/default.yaml"], clock="manual")
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import gc
from collections.abc import AsyncIterator, Sequence
from importlib import resources
from pathlib import Path

from starlette.datastructures import State
from starlette.responses import JSONResponse
from starlette.routing import Mount, Router

from emulators.amove.app import SERVICE as AMOVE
from emulators.core.clock import ClockMode
from emulators.core.control import control_app
from emulators.core.faults import apply_faults
from emulators.core.host import Host
from emulators.core.journal import record_request
from emulators.core.scenario import Scenario, load_files
from emulators.core.service import Service
from emulators.core.types import SERVICE_KEY, WORLD_KEY, ASGIApp, Receive, Scope, Send
from emulators.globus.app import SERVICE as GLOBUS
from emulators.onedata.app import SERVICE as ONEDATA
from emulators.relativity.app import SERVICE as RELATIVITY

__all__ = ["SERVICES", "EmulatorApp", "create_app", "default_scenario_path", "load_scenario_files"]

SERVICES: tuple[Service, ...] = (RELATIVITY, GLOBUS, ONEDATA, AMOVE)
TICK_SECONDS = 0.2
CONTROL_PREFIX = "/_emulator"
HEALTH = CONTROL_PREFIX + "/health"


def default_scenario_path() -> Path:
    """The bundled default scenario."""
    return Path(str(resources.files("emulators.scenarios").joinpath("default.yaml")))


def load_scenario_files(
    paths: Sequence[str | Path], services: Sequence[Service] = SERVICES, text: str | None = None
) -> Scenario:
    """Validate and layer scenario files for these services, then `text` over them if given (raises
    ScenarioError). `extends:` finds paths relative to each file, and the bundled scenarios by name."""
    return load_files(
        paths,
        {s.name: s.section for s in services},
        {s.name: list(s.actions) for s in services},
        default_scenario_path().parent,
        text,
    )


def create_app(
    scenario_files: Sequence[str | Path] | None = None,
    *,
    scenario_text: str | None = None,
    clock: ClockMode | None = None,
    speed: float | None = None,
    seed: int | None = None,
    control_token: str | None = None,
    trusted_clients: frozenset[str] = frozenset(),
    scenario_dirs: Sequence[str | Path] = (),
    allowed_hosts: Sequence[str] = (),
    services: Sequence[Service] = SERVICES,
    scenario: Scenario | None = None,
) -> EmulatorApp:
    """The emulator app. Scenario: `scenario` if given (already validated); else the files given,
    with `scenario_text` layered over them; either alone; or, with neither, the bundled default.

    A scenario loaded through the control API may extend the bundled scenarios and the files under
    `scenario_dirs`, nothing else: the caller of an HTTP API must not choose files to read. Without
    `control_token`, control calls must name the server in `Host`: its address, `localhost`, or one
    of `allowed_hosts` (e.g. the name a CI service reaches it by)."""
    if scenario is None:
        files = scenario_files or ([default_scenario_path()] if scenario_text is None else [])
        scenario = load_scenario_files(files, services, scenario_text)
    library = [*map(Path, scenario_dirs), default_scenario_path().parent]
    host = Host(services, scenario, clock_mode=clock, speed=speed, seed=seed, library=library)

    return EmulatorApp(host, control_app(host, control_token, trusted_clients, frozenset(allowed_hosts)))


class EmulatorApp:
    """The one ASGI app, in reading order:

        /_emulator/...   control API: outside the journal and the fault rules, so a fault can never
                         block its own removal
        a service prefix record_request → apply_faults → that service's sub-app (the journal sits
                         outside the faults so it notes which rule fired); HTTP and WebSocket alike.
                         Exact spellings first; then, for services whose prefixes ignore case
                         (ASP.NET hosts), the prefix in any case
        anything else    the same steps around an index (`GET /`) or a JSON 404 that names the
                         service prefixes

    A request that left effects behind (a callback to send, a push) starts a settle once it has been
    answered, so they go out without waiting for a clock change.

    A plain dispatcher rather than nested Starlette mounts: status reads are the hot path, and each
    Starlette layer (router, mount, error middleware) costs about as much as the read itself. Each
    service's sub-app is Starlette's router with the service's own error rendering (`ServiceApp`);
    lifespan is Starlette's. The fault rules' step is left out of a request no rule could match.
    """

    def __init__(self, host: Host, control: ASGIApp) -> None:
        self.state = State()
        self.state.host = host
        self.host = host
        self._control = control
        # The pipelines of each service (journal → faults → its sub-app), longest prefix first, and
        # those for paths no service serves, answered inside the journal so it records the 404.
        mounts = [route for route in host.routes if isinstance(route, Mount)]
        self._services = sorted(
            ((mount.path, host.service_for(mount.path), _Pipelines(mount.app, host)) for mount in mounts),
            key=lambda mounted: -len(mounted[0]),
        )
        # The same, found by a path's first segment (`/api` for `/api/v1`): one dict lookup, then
        # the few prefixes under that segment.
        self._by_segment: dict[str, list[tuple[str, str | None, _Pipelines]]] = {}
        for mounted in self._services:
            self._by_segment.setdefault(_first_segment(mounted[0]), []).append(mounted)
        # The prefixes of services whose prefixes match in any case, lower-cased, longest first.
        ignore_case = {service.name for service in host.services if service.prefixes_ignore_case}
        self._folded = [
            (prefix.lower(), service, pipelines)
            for prefix, service, pipelines in self._services
            if service in ignore_case
        ]
        self._index = {  # each service's path prefixes, for the index and for 404 hints
            service.name: sorted(prefix for prefix, owner, _ in self._services if owner == service.name)
            for service in host.services
        }
        self._not_found = _Pipelines(self._no_service, host)
        self._lifespan = Router(lifespan=self._run_ticker)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self  # as Starlette does: `request.app.state.host` works in every layer
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
        elif _under(scope["path"], CONTROL_PREFIX):
            _mount(scope, CONTROL_PREFIX)
            await self._control(scope, receive, send)
        else:
            found = self._find(scope["path"])
            if found is None:
                scope[SERVICE_KEY] = None
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1000})  # no such endpoint: refused
                    return
                await self._not_found.with_faults(scope, receive, send)
                return
            prefix, service, pipelines = found
            # Found once; the journal and the fault rules read the service from the scope.
            scope[SERVICE_KEY] = service
            world = scope[WORLD_KEY] = self.host.world
            _mount(scope, prefix)
            faults = world.faults
            method = scope.get("method", "GET")  # a WebSocket handshake is a GET
            pipeline = (
                pipelines.with_faults
                if faults.rules and faults.candidates("inbound", service, method)
                else pipelines.without_faults
            )
            try:
                await pipeline(scope, receive, send)
            finally:
                if self.host.world.has_effects:
                    self.host.kick()

    def _find(self, path: str) -> tuple[str, str | None, _Pipelines] | None:
        """The service prefix `path` is under, spelled as the path spells it, its service and its
        pipelines; None when no service serves the path."""
        for mounted in self._by_segment.get(_first_segment(path), ()):
            if _under(path, mounted[0]):
                return mounted
        for folded, service, pipelines in self._folded:  # tried only once no prefix matched exactly
            spelled = path[: len(folded)]
            if spelled.lower() == folded and _under(path, spelled):
                return spelled, service, pipelines
        return None

    async def _no_service(self, scope: Scope, receive: Receive, send: Send) -> None:
        """`GET /`: an index of the services and the control API. Any other path no service serves:
        a JSON 404 naming the service prefixes, and the nearest one when the path looks like a typo."""
        if scope["path"] == "/" and scope.get("method") in ("GET", "HEAD"):
            index = {"services": self._index, "control": CONTROL_PREFIX, "health": HEALTH}
            await JSONResponse(index)(scope, receive, send)
            return
        near = difflib.get_close_matches(scope["path"], [p for p, _, _ in self._services], n=1, cutoff=0.5)
        body = {
            "error": "no emulated service serves this path",
            "path": scope["path"],
            "services": self._index,
            "did_you_mean": near[0] if near else None,
        }
        await JSONResponse(body, status_code=404)(scope, receive, send)

    @contextlib.asynccontextmanager
    async def _run_ticker(self, app: object) -> AsyncIterator[None]:
        # Everything built so far (modules, the scenario, the first World) lives as long as the
        # server: keep it out of the garbage collector's full passes, which request load triggers.
        gc.freeze()
        freezing = self.host.freeze_survivors
        if freezing:
            gc.callbacks.append(_freeze_survivors)
        # With a real clock, settle regularly so timers fire, callbacks go out and pushes reach
        # subscribers within one tick of when they are due.
        ticker = asyncio.create_task(_tick(self.host))
        try:
            yield
        finally:
            ticker.cancel()
            if freezing:
                gc.callbacks.remove(_freeze_survivors)


def _freeze_survivors(phase: str, info: dict[str, int]) -> None:
    """What survives a full garbage collection is long-lived (a World's jobs, tasks and their plans):
    freeze it, so the next full pass scans only what is newer. Without this, a World holding
    millions of objects (200 pending 10,000-file Globus tasks) made every full pass stop the server
    for over a second. The Host unfreezes when it replaces the World, so the old one's cycles can go.
    Only for a process that only serves: see `Host.freeze_survivors`."""
    if phase == "stop" and info["generation"] == 2:
        gc.freeze()


class _Pipelines:
    """The steps every data-plane request takes, outermost first, ending in `app`: the journal, the
    fault rules, the app; and the same without the fault rules' step, for a request no rule of the
    World could match (by direction, service and method): the step would only pass it on."""

    def __init__(self, app: ASGIApp, host: Host) -> None:
        self.with_faults = record_request(apply_faults(app, host), host)
        self.without_faults = record_request(app, host)


def _first_segment(path: str) -> str:
    """`/api` of `/api/v1/transfers`; the whole path when it has one segment."""
    end = path.find("/", 1)
    return path if end < 0 else path[:end]


def _under(path: str, prefix: str) -> bool:
    return path == prefix or (path.startswith(prefix) and path[len(prefix)] == "/")


def _mount(scope: Scope, prefix: str) -> None:
    """What a Starlette Mount does to the scope: the prefix moves into root_path."""
    root_path = scope.get("root_path", "")
    scope.setdefault("app_root_path", root_path)
    scope["root_path"] = root_path + prefix


async def _tick(host: Host) -> None:
    while True:
        await asyncio.sleep(TICK_SECONDS)
        if host.world.clock.mode == "real":
            await host.settle()
