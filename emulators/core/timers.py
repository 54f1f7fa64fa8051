"""Timers: what a World does when its clock reaches an instant.

One mechanism serves timeline events, job milestones and periodic pushes. A `Timer` runs its action
with the instant it was due (never "now": an action applied late still sees its own time), and a
service can move or cancel it. `Timers.every` re-arms after each run (after a clock jump it runs at most
`MAX_BURST` missed ticks, the latest ones); `Timers.follow` keeps a timer
on an instant that a `Watchable` (an engine transfer, a job's phases) works out, and re-plans it
whenever that thing changes (a cancel, a pause, a resume), so a cancelled job's milestone never fires.

Timers never do I/O: an action changes state and may queue effects (outgoing requests, pushes) that
the Host delivers after catching up (see `World.settle_steps`).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

Action = Callable[[datetime], None]


class Watchable(Protocol):
    """Something whose timing can change, and that says so to its watchers."""

    def watch(self, callback: Callable[[], None]) -> None: ...


@dataclass(eq=False)
class Timer:
    """One planned action. `at` is None while it is not planned (cancelled, or nothing to wait for)."""

    action: Action
    at: datetime | None
    every: timedelta | None = None
    _timers: Timers | None = field(default=None, repr=False)
    _version: int = 0  # heap entries of older versions are stale and skipped
    fired: int = 0

    def move(self, at: datetime | None) -> None:
        """Plan the action at `at` instead (None: not at all, until moved again)."""
        self.at = at
        self._version += 1
        if at is not None and self._timers is not None:
            self._timers._push(self)

    def cancel(self) -> None:
        """Never run (again)."""
        self.every = None
        self.move(None)

    @property
    def pending(self) -> bool:
        return self.at is not None


MAX_BURST = 10_000  # ticks a periodic timer runs to catch up with one clock move


def _next_tick(at: datetime, every: timedelta, now: datetime) -> datetime:
    """The tick after `at`; after a clock jump of more than MAX_BURST ticks, the first of the last
    MAX_BURST ticks up to `now` (on the same grid), so a jump of years does not run billions."""
    following = at + every
    behind = (now - following) // every
    if behind >= MAX_BURST:
        following += every * (behind - MAX_BURST + 1)
    return following


class Timers:
    """A World's timers, applied in time order (ties in the order they were planned)."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, int, Timer]] = []
        self._seq = itertools.count()

    def at(self, when: datetime, action: Action) -> Timer:
        """Run `action(when)` once the clock reaches `when`."""
        timer = Timer(action, None, _timers=self)
        timer.move(when)
        return timer

    def every(self, interval: float, action: Action, first: datetime) -> Timer:
        """Run `action(t)` at `first`, `first + interval`, ... until the timer is cancelled."""
        if not interval > 0:
            raise ValueError("a periodic timer needs an interval above 0 seconds")
        timer = Timer(action, None, timedelta(seconds=interval), _timers=self)
        timer.move(first)
        return timer

    def follow(self, source: Watchable, when: Callable[[], datetime | None], action: Action) -> Timer:
        """Run `action` at `when()`, worked out again each time `source` changes (None: not at all).

        A timer that already ran is not planned again.
        """
        timer = Timer(action, None, _timers=self)

        def replan() -> None:
            if not timer.fired:
                timer.move(when())

        source.watch(replan)
        replan()
        return timer

    def _push(self, timer: Timer) -> None:
        assert timer.at is not None
        heapq.heappush(self._heap, (timer.at, next(self._seq), timer._version, timer))

    def due_by(self, now: datetime) -> bool:
        """Whether some timer (perhaps a stale one) is due by `now`: the cheap check before `due`."""
        return bool(self._heap) and self._heap[0][0] <= now

    def next_due(self) -> datetime | None:
        """When the earliest planned timer is due."""
        self._drop_stale()
        return self._heap[0][0] if self._heap else None

    def due(self, now: datetime) -> Iterator[tuple[Timer, datetime]]:
        """Pop each timer due by `now`, in time order, as the caller runs them (an action may plan
        more timers, which are popped too if due)."""
        while True:
            self._drop_stale()
            if not self._heap or self._heap[0][0] > now:
                return
            at, _, _, timer = heapq.heappop(self._heap)
            timer.fired += 1
            timer.at = None
            if timer.every is not None:
                timer.move(_next_tick(at, timer.every, now))
            yield timer, at

    def _drop_stale(self) -> None:
        heap = self._heap
        while heap and heap[0][2] != heap[0][3]._version:
            heapq.heappop(heap)

    def __len__(self) -> int:
        return sum(1 for _, _, version, timer in self._heap if version == timer._version)
