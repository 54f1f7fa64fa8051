"""The virtual clock: the only source of "now" for every service.

Two modes:
- `ManualClock` stands still until told to move (`advance`, `set`); tests use it.
- `RealClock` follows the wall clock from a start time, optionally sped up by a factor.

Both count from a start instant fixed when the scenario is loaded, so a reset returns to it. Neither
moves backwards or past the year 9999 (such a move is a ValueError; a real clock stops at the end).
Nothing outside this module reads the wall clock (ruff's banned-api rule enforces it).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

ClockMode = Literal["real", "manual"]
END_OF_TIME = datetime.max.replace(tzinfo=UTC)
ADVANCE_LIMIT = "advance must be a finite number of seconds >= 0 that keeps the clock before the year 10000"


def wall_now() -> datetime:
    """The wall-clock time, truncated to whole seconds; used once to fix a scenario's start."""
    return datetime.now(UTC).replace(microsecond=0)


class Clock(Protocol):
    """What services may ask of the clock."""

    mode: ClockMode

    def now(self) -> datetime: ...

    def advance(self, seconds: float) -> datetime: ...

    def set(self, when: datetime) -> datetime: ...


class ManualClock:
    """A clock that moves only when told to."""

    mode: ClockMode = "manual"

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        self._now = _later(self._now, seconds)
        return self._now

    def set(self, when: datetime) -> datetime:
        if when < self._now:
            raise ValueError("the clock cannot go backwards")
        self._now = when
        return self._now


class RealClock:
    """Wall time from `start`, multiplied by `speed`; `advance` and `set` jump ahead."""

    mode: ClockMode = "real"

    def __init__(self, start: datetime, speed: float = 1.0) -> None:
        self.speed = speed
        self._start = start
        self._origin = time.monotonic()
        self._jump = 0.0

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._origin) * self.speed + self._jump
        try:
            return self._start + timedelta(seconds=elapsed)
        except OverflowError:
            return END_OF_TIME  # set close to the end of what a datetime holds, it stops there

    def advance(self, seconds: float) -> datetime:
        later = _later(self.now(), seconds)
        self._jump += seconds
        return later

    def set(self, when: datetime) -> datetime:
        return self.advance((when - self.now()).total_seconds())


def _later(now: datetime, seconds: float) -> datetime:
    """`now` plus `seconds`, or ValueError if that goes backwards or past what a datetime holds."""
    if seconds < 0:
        raise ValueError("the clock cannot go backwards")
    try:
        return now + timedelta(seconds=seconds)
    except (OverflowError, ValueError) as exc:  # too far, infinite or NaN
        raise ValueError(ADVANCE_LIMIT) from exc


def make_clock(mode: ClockMode, start: datetime, speed: float = 1.0) -> Clock:
    """Build the clock a scenario asks for."""
    if mode == "manual":
        return ManualClock(start)
    return RealClock(start, speed)
