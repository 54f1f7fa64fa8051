"""Benchmark: what the core costs when time moves.

- settle: 1,000 due timers, each pushing a message to a subscriber, caught up and delivered by one
  `Host.settle` (the work a clock advance does before it answers); and 200 callbacks delivered to a
  real HTTP receiver on loopback, per callback;
- real clock: pushes due 1 s ahead reach their subscriber within one ticker tick (0.2 s) of their due
  time, with the app's own lifespan (the ticker) running;
- histograms: the four Onedata-shaped histograms (19 slots of 5 s, 62 of 1 min, 26 of 1 h, 32 of 1 day) of a
  1,000,000-file transfer mid-way, from the engine's labelled bytes (target ≤ 2 ms for all four).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from benchmarks.common import Report
from emulators.app import TICK_SECONDS, create_app
from emulators.core.engine import RateModel, Transfer, histogram
from emulators.core.outbox import OutgoingRequest
from emulators.core.storage import GeneratedSpec, Tree, TreeSpec
from emulators.core.types import Message
from emulators.server import ThreadedServer

NAME = "when time moves"
DUE_ACTIONS = 1_000
CALLBACKS = 200
REAL_PUSHES = 20
HISTOGRAMS = ((5, 19), (60, 62), (3600, 26), (86400, 32))
HISTOGRAM_TARGET_MS = 2.0


class Recorder:
    """A subscriber that notes when each push reached it (wall-clock seconds)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    async def deliver(self, message: object) -> None:
        self.times.append(time.perf_counter())


def settle_cost() -> float:
    """Milliseconds for one settle that runs 1,000 due timers and delivers their 1,000 pushes."""
    app = create_app(clock="manual")
    host = app.host
    world = host.world
    recorder = Recorder()
    world.subscribers.add("bench", recorder)
    start = world.clock.now()
    for i in range(DUE_ACTIONS):
        world.schedule(start + timedelta(seconds=i / 10), lambda at: world.publish("bench", {"at": at}, at))
    world.clock.advance(DUE_ACTIONS)

    async def run() -> float:
        began = time.perf_counter()
        await host.settle()
        return (time.perf_counter() - began) * 1000

    elapsed = asyncio.run(run())
    assert len(recorder.times) == DUE_ACTIONS
    return elapsed


def callback_cost() -> float:
    """Milliseconds per callback delivered (and journaled) to a real receiver on loopback."""
    received = 0

    async def receive(request: Request) -> Response:
        nonlocal received
        received += 1
        return Response(status_code=204)

    receiver = ThreadedServer(Starlette(routes=[Route("/cb", receive, methods=["POST"])])).start()
    try:
        app = create_app(clock="manual")
        world = app.host.world
        now = world.clock.now()
        for i in range(CALLBACKS):
            world.post(OutgoingRequest(None, "POST", f"{receiver.url}/cb", b'{"transferId":"%d"}' % i), now)

        async def run() -> float:
            began = time.perf_counter()
            await app.host.settle()
            return (time.perf_counter() - began) * 1000

        elapsed = asyncio.run(run())
    finally:
        receiver.stop()
    assert received == CALLBACKS
    return elapsed / CALLBACKS


async def _real_clock_lateness() -> list[float]:
    """How late (seconds) each push due 1 s ahead reached its subscriber, with the ticker running."""
    app = create_app(clock="real")
    world = app.host.world
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    lifespan = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, outbox.put)
    )
    assert (await outbox.get())["type"] == "lifespan.startup.complete"
    recorder = Recorder()
    world.subscribers.add("bench", recorder)
    due: list[float] = []
    for i in range(REAL_PUSHES):
        ahead = 1.0 + i * 0.05
        world.schedule(
            world.clock.now() + timedelta(seconds=ahead), lambda at: world.publish("bench", {}, at)
        )
        due.append(time.perf_counter() + ahead)
    while len(recorder.times) < REAL_PUSHES and time.perf_counter() < due[-1] + 5:
        await asyncio.sleep(0.05)
    await inbox.put({"type": "lifespan.shutdown"})
    await lifespan
    return [got - wanted for got, wanted in zip(recorder.times, sorted(due), strict=False)]


def histogram_cost() -> tuple[float, int]:
    """Median milliseconds for the four histograms of a 1,000,000-file transfer, and its size."""
    spec = TreeSpec(generate=[GeneratedSpec(count=1_000_000, per_directory=1000)])
    files = Tree(spec, 0, _START).files()
    runs = [(0, "provider-a"), (400_000, "provider-b"), (700_000, "provider-c")]
    transfer = Transfer(files, RateModel(), _START, labels=runs)
    at = _START + (transfer.natural_end - _START) / 2
    samples = []
    for _ in range(50):
        began = time.perf_counter()
        for step, slots in HISTOGRAMS:
            histogram(transfer, at, step, slots, "provider-b")
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples), len(files)


_START = datetime(2030, 1, 1, tzinfo=UTC)


def run() -> Report:
    report = Report(NAME)
    report.add("settle: 1,000 due timers + their pushes", settle_cost(), "ms")
    report.add("callback delivered to a loopback receiver", callback_cost(), "ms/callback", note="journaled")
    late = asyncio.run(_real_clock_lateness())
    worst = max(late) if late else None
    report.add(
        "real clock: push lateness, worst of 20",
        None if worst is None else worst * 1000,
        "ms",
        target=f"≤ one tick ({TICK_SECONDS * 1000:.0f} ms)",
        met=None if worst is None else len(late) == REAL_PUSHES and worst <= TICK_SECONDS,
        note=f"median {statistics.median(late) * 1000:.0f} ms" if late else "no push arrived",
    )
    cost, size = histogram_cost()
    report.add(
        f"four histograms of a {size:,}-file transfer",
        cost,
        "ms",
        target=f"≤ {HISTOGRAM_TARGET_MS:g} ms",
        met=cost <= HISTOGRAM_TARGET_MS,
    )
    return report
