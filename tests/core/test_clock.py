"""The virtual clock: manual time stands still, real time runs (sped up), neither goes backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulators.core import clock as clock_module
from emulators.core.clock import END_OF_TIME, ManualClock, RealClock, make_clock, wall_now

START = datetime(2030, 1, 1, tzinfo=UTC)


def test_manual_clock_stands_still() -> None:
    clock = ManualClock(START)
    assert clock.mode == "manual"
    assert clock.now() == START
    assert clock.now() == START


def test_manual_clock_advances_by_seconds() -> None:
    clock = ManualClock(START)
    assert clock.advance(1.5) == START + timedelta(seconds=1.5)
    assert clock.advance(0) == START + timedelta(seconds=1.5)
    assert clock.now() == START + timedelta(seconds=1.5)


def test_manual_clock_sets_to_a_later_instant() -> None:
    clock = ManualClock(START)
    later = START + timedelta(days=3)
    assert clock.set(later) == later
    assert clock.set(later) == later
    assert clock.now() == later


def test_manual_clock_refuses_to_go_backwards() -> None:
    clock = ManualClock(START + timedelta(seconds=10))
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="backwards"):
        clock.set(START)
    assert clock.now() == START + timedelta(seconds=10)


@settings(derandomize=True, database=None)
@given(st.lists(st.floats(min_value=0, max_value=1e6), max_size=20))
def test_manual_clock_is_the_sum_of_its_steps(steps: list[float]) -> None:
    clock = ManualClock(START)
    previous = clock.now()
    for step in steps:
        now = clock.advance(step)
        assert now >= previous
        previous = now
    assert abs((clock.now() - START).total_seconds() - sum(steps)) < 1e-3


@pytest.mark.parametrize("seconds", [1e12, 1e300, float("inf"), float("nan")])
def test_a_clock_refuses_to_move_past_the_year_9999_and_stays(seconds: float) -> None:
    for clock in (ManualClock(START), RealClock(START, speed=0)):
        with pytest.raises(ValueError, match="before the year 10000"):
            clock.advance(seconds)
        assert clock.now() == START


def test_a_clock_set_to_its_last_second_cannot_advance_further() -> None:
    last = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    clock = ManualClock(START)
    clock.set(last)
    with pytest.raises(ValueError, match="before the year 10000"):
        clock.advance(1)
    assert clock.advance(0.5) == last + timedelta(seconds=0.5)


def test_a_real_clock_that_runs_into_the_year_10000_stops_there(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter([0.0, 0.0, 0.0, 2.0])
    monkeypatch.setattr(clock_module, "time", SimpleNamespace(monotonic=lambda: next(ticks)))
    clock = RealClock(START)
    clock.set(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC))
    assert clock.now() == END_OF_TIME


def test_real_clock_runs_forward_from_its_start() -> None:
    clock = RealClock(START)
    assert clock.mode == "real"
    first = clock.now()
    second = clock.now()
    assert START <= first <= second


def test_real_clock_advance_jumps_ahead() -> None:
    clock = RealClock(START)
    assert clock.advance(3600) >= START + timedelta(hours=1)
    assert clock.now() >= START + timedelta(hours=1)


def test_real_clock_set_jumps_to_a_later_instant_and_refuses_an_earlier_one() -> None:
    clock = RealClock(START)
    later = START + timedelta(days=2)
    assert clock.set(later) >= later
    with pytest.raises(ValueError, match="backwards"):
        clock.set(START)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-0.5)
    assert clock.now() >= later


def test_real_clock_multiplies_elapsed_time_by_its_speed(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter([100.0, 102.0, 105.0])
    monkeypatch.setattr(clock_module, "time", SimpleNamespace(monotonic=lambda: next(ticks)))
    clock = RealClock(START, speed=60)
    assert clock.now() == START + timedelta(minutes=2)
    assert clock.advance(30) == START + timedelta(minutes=5, seconds=30)


def test_make_clock_builds_the_mode_asked_for() -> None:
    manual = make_clock("manual", START)
    real = make_clock("real", START, speed=10)
    assert isinstance(manual, ManualClock)
    assert isinstance(real, RealClock)
    assert real.speed == 10


def test_wall_now_is_aware_and_whole_seconds() -> None:
    now = wall_now()
    assert now.tzinfo is UTC
    assert now.microsecond == 0
