"""The World: timed events applied by `catch_up`, in time order, never before their time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict
from starlette.responses import PlainTextResponse

from emulators.core.clock import ManualClock
from emulators.core.scenario import CoreScenario, Scenario, load_scenario
from emulators.core.service import Service
from emulators.core.world import World

START = datetime(2030, 1, 1, tzinfo=UTC)


def world(scenario: Scenario | None = None, services: list[Service] | None = None, seed: int = 0) -> World:
    return World(
        scenario or Scenario(CoreScenario(version=1)),
        services or [],
        start=START,
        clock_mode="manual",
        speed=1.0,
        seed=seed,
    )


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def test_a_world_has_a_manual_clock_at_its_start() -> None:
    w = world()
    assert isinstance(w.clock, ManualClock)
    assert w.catch_up() == START
    assert w.pending_events == 0


def test_nothing_happens_before_its_time() -> None:
    w = world()
    seen: list[datetime] = []
    w.schedule(at(10), seen.append)
    w.clock.advance(9.999)
    w.catch_up()
    assert seen == []
    assert w.pending_events == 1
    w.clock.advance(0.001)
    assert w.catch_up() == at(10)
    assert seen == [at(10)]
    assert w.pending_events == 0


def test_events_are_applied_with_their_own_instant_not_now() -> None:
    w = world()
    seen: list[datetime] = []
    w.schedule(at(3), seen.append)
    w.clock.advance(100)
    assert w.catch_up() == at(100)
    assert seen == [at(3)]


def test_due_events_are_applied_in_time_order_and_ties_in_scheduling_order() -> None:
    w = world()
    seen: list[str] = []
    for name, seconds in [("c", 30), ("a", 10), ("b1", 20), ("b2", 20), ("late", 99)]:
        w.schedule(at(seconds), lambda when, name=name: seen.append(name))
    w.clock.advance(50)
    w.catch_up()
    assert seen == ["a", "b1", "b2", "c"]
    assert w.pending_events == 1


def test_events_may_schedule_events() -> None:
    w = world()
    seen: list[tuple[str, datetime]] = []

    def first(when: datetime) -> None:
        seen.append(("first", when))
        w.schedule(when + timedelta(seconds=2), lambda t: seen.append(("follow-up", t)))
        w.schedule(when + timedelta(seconds=50), lambda t: seen.append(("much later", t)))
        w.schedule(when - timedelta(seconds=1), lambda t: seen.append(("overdue", t)))

    w.schedule(at(5), first)
    w.schedule(at(8), lambda t: seen.append(("other", t)))
    w.clock.advance(10)
    w.catch_up()
    assert seen == [("first", at(5)), ("overdue", at(4)), ("follow-up", at(7)), ("other", at(8))]
    assert w.pending_events == 1
    w.clock.advance(45)
    w.catch_up()
    assert seen[-1] == ("much later", at(55))


@settings(derandomize=True, database=None)
@given(
    offsets=st.lists(st.integers(0, 100), max_size=20),
    steps=st.lists(st.integers(0, 40), min_size=1, max_size=8),
)
def test_catch_up_applies_each_event_once_in_time_order(offsets: list[int], steps: list[int]) -> None:
    w = world()
    applied: list[tuple[datetime, int, datetime]] = []
    for k, seconds in enumerate(offsets):
        w.schedule(at(seconds), lambda when, k=k: applied.append((when, k, w.clock.now())))
    for step in steps:
        w.clock.advance(step)
        now = w.catch_up()
        assert all(when <= seen_at for when, _, seen_at in applied)
        due = sorted((at(s), k) for k, s in enumerate(offsets) if at(s) <= now)
        assert [(when, k) for when, k, _ in applied] == due
        assert w.pending_events == len(offsets) - len(due)


class BoxSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    size: int = 0


class BoxStore:
    def __init__(self, section: BoxSection | None) -> None:
        self.size = section.size if section else -1
        self.log: list[tuple[int, datetime]] = []


def grow(world: World, args: Mapping[str, Any], when: datetime) -> None:
    store = world.store(BoxStore)
    store.size += int(args["by"])
    store.log.append((store.size, when))


BOX = Service(
    name="box",
    section=BoxSection,
    build_store=lambda w, section: BoxStore(section),
    routes=lambda host: [],
    render_error=lambda request, status, message: PlainTextResponse(message or "", status),
    actions={"grow": grow},
)

SCENARIO = """\
version: 1
seed: 11
journal: {size: 5}
faults:
  - {id: slow, path: /box/*, action: {delay: 1}}
services:
  box: {size: 1}
timeline:
  - {at: 20, service: box, action: grow, args: {by: 10}}
  - {at: 2030-01-01T00:00:05Z, service: box, action: grow, args: {by: 100}}
"""


def test_a_world_is_built_from_its_scenario() -> None:
    scenario = load_scenario([("box.yaml", SCENARIO)], {"box": BoxSection}, {"box": ["grow"]})
    w = world(scenario, [BOX], seed=11)
    store = w.store(BoxStore)
    assert w.store_named("box") is store
    assert store.size == 1
    assert w.journal.spec.size == 5
    assert [r.id for r in w.faults.rules] == ["slow"]
    assert w.pending_events == 2
    w.clock.advance(30)
    w.catch_up()
    assert store.log == [(101, at(5)), (111, at(20))]


def test_a_service_without_a_section_gets_none() -> None:
    w = world(services=[BOX])
    assert w.store(BoxStore).size == -1


def test_worlds_of_the_same_seed_make_the_same_ids() -> None:
    assert world(seed=3).ids.uuid() == world(seed=3).ids.uuid()
    assert world(seed=3).ids.uuid() != world(seed=4).ids.uuid()
