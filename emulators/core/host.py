"""The Host: the running emulator that holds the current World and can rebuild it.

The Host is made once per app. It knows the services, the loaded scenario and the settings given on
the command line (which win over the scenario's), and swaps in a new World on reset or when a new
scenario is loaded. Middleware and routes reach the current World through it, never through a global.

The Host also settles the World (`settle`): it catches up, then delivers every effect due — outgoing
requests and pushes to subscribers — in due-time order, and returns only then. The control API
settles after every clock change, the real-clock ticker on every tick, and a request that left
effects behind starts a settle once it has been answered (`kick`).
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import hmac
from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount

from emulators.core.clock import ClockMode, wall_now
from emulators.core.faults import FaultAction
from emulators.core.journal import JournalEntry
from emulators.core.metrics import Metrics
from emulators.core.outbox import OutgoingRequest, deliver, open_client
from emulators.core.scenario import MAX_SPEED, Scenario, load_scenario
from emulators.core.service import ErrorAnswer, Service
from emulators.core.types import WORLD_KEY
from emulators.core.world import World

if TYPE_CHECKING:
    import httpx


class Host:
    """The emulator instance behind one app."""

    def __init__(
        self,
        services: Sequence[Service],
        scenario: Scenario,
        *,
        clock_mode: ClockMode | None = None,
        speed: float | None = None,
        seed: int | None = None,
        library: Path | Sequence[Path] | None = None,
        public_url: str | None = None,
        link_secret: bytes | None = None,
    ) -> None:
        self.services = list(services)
        self.public_url = (public_url or DEFAULT_PUBLIC_URL).rstrip("/")
        self.metrics = Metrics()  # counts from the server's start, across resets
        # Set by a process that only serves (the `serve` command): what survives a full garbage
        # collection pass is frozen out of later passes. Off elsewhere: in a test process, tools
        # such as Hypothesis look objects' referrers up through the collector, which frozen
        # objects escape.
        self.freeze_survivors = False
        self._link_secret = link_secret
        self._generation = 0
        self.console: Callable[[JournalEntry], None] | None = None  # a line per request, when serving
        self.library = library
        self._by_name = {s.name: s for s in self.services}
        if speed is not None and not 0 < speed <= MAX_SPEED:
            raise ValueError(f"speed must be above 0 and at most {MAX_SPEED:,}, not {speed}")
        self.clock_mode = clock_mode
        self.speed = speed
        self.seed = seed
        self.routes = []
        prefixes = []
        for service in self.services:
            for route in service.routes(self):
                self.routes.append(route)
                if isinstance(route, Mount):
                    prefixes.append((route.path, service.name))
        self._prefixes = sorted(prefixes, key=lambda p: -len(p[0]))
        self.ready = False
        self._settling = asyncio.Lock()
        self._kicked: asyncio.Task[None] | None = None
        self.scenario = scenario
        self.start = self._start_of(scenario)
        self.world = self._build()
        self.ready = True

    @property
    def sections(self) -> dict[str, Any]:
        return {s.name: s.section for s in self.services}

    @property
    def actions(self) -> dict[str, list[str]]:
        return {s.name: list(s.actions) for s in self.services}

    def parse(self, sources: Sequence[tuple[str, str]]) -> Scenario:
        """Validate scenario texts for this app's services (raises ScenarioError)."""
        return load_scenario(sources, self.sections, self.actions, self.library)

    def load(self, scenario: Scenario) -> None:
        """Replace the scenario and start a World from it; if that fails, nothing changes."""
        previous = self.scenario, self.start
        self.scenario, self.start = scenario, self._start_of(scenario)
        try:
            self.world = self._build()
        except Exception:
            self.scenario, self.start = previous
            raise

    def use_link_secret(self, secret: bytes) -> None:
        """Sign links with keys derived from `secret` from now on (the World is rebuilt: links
        handed out before stop working, as after a reset)."""
        self._link_secret = secret
        self.world = self._build()

    def reset(self) -> None:
        """Back to the scenario's initial state: state, clock, fault rules and journal together."""
        self.world = self._build()

    async def settle(self) -> None:
        """Catch the World up, then deliver every effect due, in due-time order (an outgoing request
        whose service retries it comes back as a timer, delivered in this settle if it is due too)."""
        async with self._settling:
            world = self.world
            http: httpx.AsyncClient | None = None
            try:
                while True:
                    world.catch_up()
                    if not world.has_effects:
                        return
                    for due, effect in world.take_effects():
                        if isinstance(effect, OutgoingRequest):
                            if http is None:
                                http = open_client()
                            await self._send(world, effect, due, http)
                        else:
                            await _push(world, *effect)
            finally:
                if http is not None:
                    await http.aclose()

    async def _send(
        self, world: World, request: OutgoingRequest, due: datetime, http: httpx.AsyncClient
    ) -> None:
        delivery = await deliver(request, due, world.journal, world.faults, http, self.console)
        self.metrics.delivery(request.service, delivery.status, delivery.error)
        later = request.retry(delivery) if request.retry is not None and not delivery.ok else None
        if later is not None:
            again = replace(request, attempt=request.attempt + 1)
            world.schedule(due + timedelta(seconds=later), lambda at: world.post(again, at))

    def kick(self) -> None:
        """Settle soon, on the running event loop, unless a settle is already on its way."""
        if self._kicked is None or self._kicked.done():
            self._kicked = asyncio.get_running_loop().create_task(self.settle())

    def service_for(self, path: str) -> str | None:
        """The service that owns `path`, if any."""
        for prefix, name in self._prefixes:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return name
        return None

    def render_fault(self, service: str | None, action: FaultAction, request: Request) -> Response:
        """A fault rule's answer, in the service's own error format."""
        assert action.status is not None
        headers = dict(action.headers)
        if action.retry_after is not None:
            headers["Retry-After"] = str(action.retry_after)
        if action.body is not None:
            response: Response = JSONResponse(action.body, status_code=action.status)
        elif service is not None:
            answer = ErrorAnswer("fault", action.status, action.message)
            response = self._by_name[service].render_error(request, answer)
        else:
            response = JSONResponse({"message": action.message or "fault"}, status_code=action.status)
        response.headers.update(headers)
        return response

    def _start_of(self, scenario: Scenario) -> datetime:
        return scenario.model.clock.start or wall_now()

    def _build(self) -> World:
        if self.freeze_survivors:
            # The World being replaced may sit frozen out of the collector's reach: give its
            # reference cycles back to be collected.
            gc.unfreeze()
        model = self.scenario.model
        self._generation += 1
        secret = None
        if self._link_secret is not None:  # the operator's secret: each World signs with its own key
            secret = hmac.new(self._link_secret, str(self._generation).encode(), hashlib.sha256).digest()
        return World(
            self.scenario,
            self.services,
            start=self.start,
            clock_mode=self.clock_mode or model.clock.mode,
            speed=self.speed if self.speed is not None else model.clock.speed,
            seed=self.seed if self.seed is not None else model.seed,
            secret=secret,
        )


async def _push(world: World, topic: Hashable, message: object) -> None:
    for subscription in world.subscribers.of(topic):
        try:
            await subscription.subscriber.deliver(message)
        except Exception:  # a connection that cannot take a message is gone; the others go on
            subscription.cancel()


DEFAULT_PUBLIC_URL = "http://127.0.0.1:8700"


def public_url(connection: HTTPConnection) -> str:
    """The base URL links to this emulator are built from (the server's, not the request's Host)."""
    host: Host = connection.app.state.host
    return host.public_url


def world_of(connection: HTTPConnection) -> World:
    """The World a request or WebSocket started with (a reset meanwhile does not mix two Worlds)."""
    world = connection.scope.get(WORLD_KEY)
    if world is None:  # a sub-app called without the dispatcher (service sub-apps keep the Host)
        host: Host = connection.app.state.host
        return host.world
    assert isinstance(world, World)
    return world
