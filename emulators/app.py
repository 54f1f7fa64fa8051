"""Assembly of the one ASGI app that serves every emulated service, in reading order.

    /_emulator/...            control API (outside the journal and fault rules, so a fault can
                              never block its own removal)
    everything else           data plane: record_request → apply_faults → the service's sub-app
                              (the journal sits outside the faults so it can note which rule fired)

Usage::

    from emulators.app import create_app
    app = create_app(scenario_files=["scenarios/default.yaml"], clock="manual")
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from importlib import resources
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Router

from emulators.core.clock import ClockMode
from emulators.core.control import control_app
from emulators.core.faults import apply_faults
from emulators.core.host import Host
from emulators.core.journal import record_request
from emulators.core.scenario import Scenario, load_files, load_scenario
from emulators.core.service import Service
from emulators.core.types import Receive, Scope, Send
from emulators.relativity.app import SERVICE as RELATIVITY

__all__ = ["SERVICES", "create_app", "default_scenario_path", "load_scenario_files"]

SERVICES: tuple[Service, ...] = (RELATIVITY,)
TICK_SECONDS = 0.2


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
) -> Starlette:
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

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # With a real clock, catch up regularly so timed events (and pushes) happen on time.
        ticker = asyncio.create_task(_tick(host))
        try:
            yield
        finally:
            ticker.cancel()

    app = Starlette(
        routes=[
            Mount("/_emulator", app=control_app(host, control_token, trusted_clients)),
            Mount(
                "",
                app=Router(host.routes, default=_not_found),
                middleware=[Middleware(record_request, host=host), Middleware(apply_faults, host=host)],
            ),
        ],
        lifespan=lifespan,
    )
    app.state.host = host
    return app


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    # Answer an unknown path inside the journal, so the journal records the 404 the client got.
    await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)


async def _tick(host: Host) -> None:
    while True:
        await asyncio.sleep(TICK_SECONDS)
        if host.world.clock.mode == "real":
            host.world.catch_up()
