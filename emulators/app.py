"""Assembly of the one ASGI app that serves every emulated service (see `EmulatorApp` for its order).

Usage::

    from emulators.app import create_app
    app = create_app(scenario_files=["scenarios/default.yaml"], clock="manual")
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Sequence
from importlib import resources
from pathlib import Path

from starlette.datastructures import State
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Router

from emulators.core.clock import ClockMode
from emulators.core.control import control_app
from emulators.core.faults import apply_faults
from emulators.core.host import Host
from emulators.core.journal import record_request
from emulators.core.scenario import Scenario, load_files, load_scenario
from emulators.core.service import Service
from emulators.core.types import SERVICE_KEY, ASGIApp, Receive, Scope, Send
from emulators.globus.app import SERVICE as GLOBUS
from emulators.relativity.app import SERVICE as RELATIVITY

__all__ = ["SERVICES", "EmulatorApp", "create_app", "default_scenario_path", "load_scenario_files"]

SERVICES: tuple[Service, ...] = (RELATIVITY, GLOBUS)
TICK_SECONDS = 0.2
CONTROL_PREFIX = "/_emulator"
MOUNT_KEY = "emulator.mount"  # (prefix, service name, sub-app) found for a data-plane request


def default_scenario_path() -> Path:
    """The bundled default scenario."""
    return Path(str(resources.files("emulators.scenarios").joinpath("default.yaml")))


def load_scenario_files(paths: Sequence[str | Path], services: Sequence[Service] = SERVICES) -> Scenario:
    """Validate and layer scenario files for these services (raises ScenarioError)."""
    return load_files(
        paths, {s.name: s.section for s in services}, {s.name: list(s.actions) for s in services}
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
    services: Sequence[Service] = SERVICES,
) -> EmulatorApp:
    """The emulator app. Scenario: the files given, else `scenario_text`, else the bundled default."""
    if scenario_text is not None and not scenario_files:
        scenario = load_scenario(
            [("<scenario>", scenario_text)],
            {s.name: s.section for s in services},
            {s.name: list(s.actions) for s in services},
            default_scenario_path().parent,
        )
    else:
        scenario = load_scenario_files(scenario_files or [default_scenario_path()], services)
    host = Host(
        services, scenario, clock_mode=clock, speed=speed, seed=seed, library=default_scenario_path().parent
    )

    return EmulatorApp(host, control_app(host, control_token, trusted_clients))


class EmulatorApp:
    """The one ASGI app, in reading order:

        /_emulator/...   control API: outside the journal and the fault rules, so a fault can never
                         block its own removal
        everything else  record_request → apply_faults → the sub-app of the service whose prefix
                         matches (the journal sits outside the faults so it notes which rule fired)

    A plain dispatcher rather than nested Starlette mounts: status reads are the hot path, and each
    Starlette layer (router, mount, error middleware) costs about as much as the read itself. Each
    service's sub-app is a Starlette app that renders its own errors; lifespan is Starlette's.
    """

    def __init__(self, host: Host, control: ASGIApp) -> None:
        self.state = State()
        self.state.host = host
        self.host = host
        self._control = control
        mounts = [
            (route.path, host.service_for(route.path), route.app)
            for route in host.routes
            if isinstance(route, Mount)
        ]
        self._mounts = sorted(mounts, key=lambda mount: -len(mount[0]))
        self._data_plane = record_request(apply_faults(self._to_service, host), host)
        self._lifespan = Router(lifespan=self._run_ticker)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self  # as Starlette does: `request.app.state.host` works in every layer
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
        elif _under(scope["path"], CONTROL_PREFIX):
            _mount(scope, CONTROL_PREFIX)
            await self._control(scope, receive, send)
        else:
            # Find the service once; the journal, the fault rules and the dispatch all need it.
            mount = next((m for m in self._mounts if _under(scope["path"], m[0])), None)
            scope[SERVICE_KEY] = mount[1] if mount is not None else None
            scope[MOUNT_KEY] = mount
            await self._data_plane(scope, receive, send)

    async def _to_service(self, scope: Scope, receive: Receive, send: Send) -> None:
        mount = scope.get(MOUNT_KEY)
        if mount is None:
            # Answered inside the journal, so the journal records the 404 the client got.
            await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
            return
        prefix, _, app = mount
        _mount(scope, prefix)
        await app(scope, receive, send)

    @contextlib.asynccontextmanager
    async def _run_ticker(self, app: object) -> AsyncIterator[None]:
        # Everything built so far (modules, the scenario, the first World) lives as long as the
        # server: keep it out of the garbage collector's full passes, which request load triggers.
        gc.freeze()
        # With a real clock, catch up regularly so timed events (and pushes) happen on time.
        ticker = asyncio.create_task(_tick(self.host))
        try:
            yield
        finally:
            ticker.cancel()


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
            host.world.catch_up()
