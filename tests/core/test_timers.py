"""Timers: planned, moved, cancelled, periodic, and following something whose timing changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from emulators.core.timers import MAX_BURST, Timers

START = datetime(2030, 1, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def run(timers: Timers, until: float) -> None:
    for timer, when in timers.due(at(until)):
        timer.action(when)


def test_a_timer_runs_once_with_its_own_instant() -> None:
    timers, seen = Timers(), []
    timers.at(at(5), seen.append)
    run(timers, 4)
    assert seen == []
    run(timers, 100)
    run(timers, 200)
    assert seen == [at(5)]
    assert len(timers) == 0


def test_a_moved_timer_runs_at_its_new_instant_only() -> None:
    timers, seen = Timers(), []
    timer = timers.at(at(5), seen.append)
    timer.move(at(50))
    run(timers, 10)
    assert seen == []
    assert timers.next_due() == at(50)
    run(timers, 60)
    assert seen == [at(50)]


def test_a_cancelled_timer_never_runs() -> None:
    timers, seen = Timers(), []
    timers.at(at(5), seen.append).cancel()
    run(timers, 60)
    assert seen == []
    assert timers.next_due() is None


def test_a_periodic_timer_runs_at_each_interval_until_cancelled() -> None:
    timers, seen = Timers(), []
    timer = timers.every(10, seen.append, at(0))
    run(timers, 35)
    assert seen == [at(0), at(10), at(20), at(30)]
    timer.cancel()
    run(timers, 100)
    assert len(seen) == 4
    with pytest.raises(ValueError, match="interval"):
        timers.every(0, seen.append, at(0))


def test_ties_run_in_the_order_they_were_planned_and_actions_may_plan_more() -> None:
    timers, seen = Timers(), []
    timers.at(at(5), lambda t: seen.append("a"))
    timers.at(at(5), lambda t: (seen.append("b"), timers.at(t, lambda u: seen.append("c"))))
    timers.at(at(4), lambda t: seen.append("first"))
    run(timers, 5)
    assert seen == ["first", "a", "b", "c"]


class Job:
    """A stand-in for an engine transfer: an end that changes, and watchers told when it does."""

    def __init__(self, end: datetime | None) -> None:
        self.end = end
        self.watchers: list[Callable[[], None]] = []

    def watch(self, callback: Callable[[], None]) -> None:
        self.watchers.append(callback)

    def change(self, end: datetime | None) -> None:
        self.end = end
        for callback in self.watchers:
            callback()


def test_a_following_timer_is_replanned_when_what_it_follows_changes() -> None:
    timers, seen, job = Timers(), [], Job(at(30))
    timers.follow(job, lambda: job.end, seen.append)
    job.change(at(40))  # paused for 10 s
    run(timers, 35)
    assert seen == []
    job.change(None)  # cancelled: nothing to wait for
    run(timers, 100)
    assert seen == []
    job.change(at(120))  # running again
    run(timers, 130)
    job.change(at(200))  # a change after it ran plans nothing more
    run(timers, 300)
    assert seen == [at(120)]


def test_a_periodic_timer_runs_at_most_a_burst_of_missed_ticks_after_a_jump() -> None:
    timers, seen = Timers(), []
    timers.every(1, seen.append, at(0))
    run(timers, 10**7)  # 115 days of one-second ticks
    assert len(seen) == MAX_BURST + 1  # the first tick, then the latest MAX_BURST ones
    assert seen[-1] == at(10**7) and seen[1] == at(10**7 - MAX_BURST + 1)
