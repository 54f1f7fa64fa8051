"""The World: all state of one emulator instance.

A World is built from a scenario and owns the clock, the seeded ids, the journal, the fault rules,
each service's store, its timers (`timers`), its live subscribers and the effects waiting to be
delivered. Before a service reads or changes anything it calls `catch_up()`, which runs every timer
that is due, in time order, and returns "now". State is therefore a pure function of the scenario,
the requests and the clock. A reset builds a new World.

Effects are what the World wants done outside itself once it has caught up: requests to send
(`post`, the outbox) and messages for subscribers (`publish`). Each is queued with the virtual
instant it is due and taken out in that order by `take_effects`, which the Host calls when it
settles; nothing here does I/O.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from emulators.core.clock import Clock, ClockMode, make_clock
from emulators.core.downloads import LinkSigner
from emulators.core.faults import FaultRules
from emulators.core.ids import Ids, fresh_secret
from emulators.core.journal import Journal
from emulators.core.outbox import OutgoingRequest
from emulators.core.scenario import Scenario
from emulators.core.service import Service
from emulators.core.subscribers import Subscribers
from emulators.core.timers import Action, Timer, Timers

T = TypeVar("T")
Effect = OutgoingRequest | tuple[Hashable, object]  # a request to send, or (topic, message) to push


class World:
    """One emulator instance's whole state."""

    def __init__(
        self,
        scenario: Scenario,
        services: Sequence[Service],
        *,
        start: datetime,
        clock_mode: ClockMode,
        speed: float,
        seed: int,
        secret: bytes | None = None,
    ) -> None:
        model = scenario.model
        self.scenario = scenario
        self.seed = seed
        self.start = start
        self.clock: Clock = make_clock(clock_mode, start, speed)
        self.ids = Ids(seed)
        self.links = LinkSigner(secret or fresh_secret())  # never from the seed: links can't be forged
        self.journal = Journal(model.journal)
        self.faults = FaultRules(seed, start)
        for rule in model.faults:
            self.faults.add(rule)
        self.timers = Timers()
        self.subscribers = Subscribers()
        self._effects: list[tuple[datetime, int, Effect]] = []
        self._effect_seq = itertools.count()
        self._effects_lock = threading.Lock()
        self._stores: dict[type, object] = {}
        self._by_name: dict[str, object] = {}
        for service in services:
            store = service.build_store(self, scenario.section(service.name))
            self._stores[type(store)] = store
            self._by_name[service.name] = store
        actions = {s.name: s.actions for s in services}
        for event in model.timeline:
            at = event.at if isinstance(event.at, datetime) else start + timedelta(seconds=event.at)
            self.schedule(at, _bind(actions[event.service][event.action], self, event.args))

    def store(self, kind: type[T]) -> T:
        """The store of the service whose store class is `kind`."""
        store = self._stores[kind]
        assert isinstance(store, kind)
        return store

    def store_named(self, service: str) -> object:
        return self._by_name[service]

    def schedule(self, at: datetime, action: Action) -> Timer:
        """Run `action(at)` when the clock reaches `at` (at the next catch-up after it)."""
        return self.timers.at(at, action)

    def catch_up(self) -> datetime:
        """Run every due timer in time order; return the current time."""
        now = self.clock.now()
        if self.timers.due_by(now):
            for timer, at in self.timers.due(now):
                timer.action(at)
        return now

    @property
    def pending_events(self) -> int:
        return len(self.timers)

    # -- effects --------------------------------------------------------------------------------

    def post(self, request: OutgoingRequest, due: datetime) -> None:
        """Send `request` once state has been caught up (the Host delivers it when it settles)."""
        self._queue(due, request)

    def publish(self, topic: Hashable, message: object, due: datetime) -> None:
        """Push `message` to every subscriber of `topic` when the Host settles."""
        self._queue(due, (topic, message))

    def _queue(self, due: datetime, effect: Effect) -> None:
        with self._effects_lock:
            heapq.heappush(self._effects, (due, next(self._effect_seq), effect))

    @property
    def has_effects(self) -> bool:
        return bool(self._effects)

    def take_effects(self) -> list[tuple[datetime, Effect]]:
        """Every queued effect, in due-time order (ties in the order they were queued)."""
        with self._effects_lock:
            taken = [heapq.heappop(self._effects) for _ in range(len(self._effects))]
        return [(due, effect) for due, _, effect in taken]


def _bind(
    action: Callable[[World, Mapping[str, Any], datetime], None], world: World, args: Mapping[str, Any]
) -> Action:
    return lambda at: action(world, args, at)
