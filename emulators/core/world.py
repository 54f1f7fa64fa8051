"""The World: all state of one emulator instance.

A World is built from a scenario and owns the clock, the seeded ids, the journal, the fault rules,
each service's store and a queue of timed events. Before a service reads or changes anything it calls
`catch_up()`, which applies every event that is due, in time order, and returns "now". State is
therefore a pure function of the scenario, the requests and the clock. A reset builds a new World.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from emulators.core.clock import Clock, ClockMode, make_clock
from emulators.core.faults import FaultRules
from emulators.core.ids import Ids
from emulators.core.journal import Journal
from emulators.core.scenario import Scenario
from emulators.core.service import Service

T = TypeVar("T")
Action = Callable[[datetime], None]


@dataclass(order=True)
class _Event:
    at: datetime
    seq: int
    action: Action = field(compare=False)


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
    ) -> None:
        model = scenario.model
        self.scenario = scenario
        self.seed = seed
        self.start = start
        self.clock: Clock = make_clock(clock_mode, start, speed)
        self.ids = Ids(seed)
        self.journal = Journal(model.journal)
        self.faults = FaultRules(seed, start)
        for rule in model.faults:
            self.faults.add(rule)
        self._events: list[_Event] = []
        self._seq = itertools.count()
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

    def schedule(self, at: datetime, action: Action) -> None:
        """Run `action(at)` when the clock reaches `at` (at the next catch-up after it)."""
        heapq.heappush(self._events, _Event(at, next(self._seq), action))

    def catch_up(self) -> datetime:
        """Apply every due event in time order; return the current time."""
        now = self.clock.now()
        while self._events and self._events[0].at <= now:
            event = heapq.heappop(self._events)
            event.action(event.at)
        return now

    @property
    def pending_events(self) -> int:
        return len(self._events)


def _bind(
    action: Callable[[World, Mapping[str, Any], datetime], None], world: World, args: Mapping[str, Any]
) -> Action:
    return lambda at: action(world, args, at)
