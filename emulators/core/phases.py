"""Phases: a job made of consecutive stages, each starting when the one before it ends.

A stage is a fixed number of seconds (a queue, a validation, a report being generated) or an engine
`Transfer` (a copy, an eviction), whose start the chain sets and moves when an earlier transfer is
paused or resumed. An abort still ends a transfer stage (with failures) and the next one starts; a
cancel ends the job in the stage it falls in, and the later stages never start. Watchers (e.g. a
milestone timer) hear every change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from emulators.core.engine import Transfer, Watcher


@dataclass
class _Phase:
    name: str
    seconds: float = 0.0
    transfer: Transfer | None = None
    start: datetime | None = None
    stopped: datetime | None = None  # a cancel ended the job in this phase

    @property
    def end(self) -> datetime | None:
        """When this phase ends (naturally, by an abort, or by a cancel); None if it never starts."""
        if self.start is None:
            return None
        if self.transfer is not None:
            return self.transfer.end
        natural = self.start + timedelta(seconds=self.seconds)
        return min(natural, self.stopped) if self.stopped is not None else natural

    @property
    def halted(self) -> bool:
        """Whether a cancel ended this phase early (so the phases after it never start)."""
        if self.transfer is not None:
            stop = self.transfer.stop
            return stop is not None and stop.code is None and stop.at < self.transfer.natural_end
        return (
            self.stopped is not None
            and self.start is not None
            and (self.stopped < self.start + timedelta(seconds=self.seconds))
        )


class Phases:
    """A job made of consecutive phases, each starting when the one before it ends.

    A phase is a fixed number of seconds (a queue, a validation) or an engine `Transfer`, whose start
    the chain sets (and moves when an earlier transfer is paused or resumed). A transfer that is
    aborted still ends (with failures) and the next phase starts; a cancel ends the job in the phase
    it falls in, and the later phases never start.
    """

    def __init__(self, start: datetime, phases: Sequence[tuple[str, float | Transfer]]) -> None:
        self.start = start
        self._phases = [
            _Phase(name, transfer=step) if isinstance(step, Transfer) else _Phase(name, seconds=float(step))
            for name, step in phases
        ]
        self._by_name = {phase.name: phase for phase in self._phases}
        self._watchers: list[Watcher] = []
        self._chaining = False
        for phase in self._phases:
            if phase.transfer is not None:
                phase.transfer.watch(self._chain)
        self._chain()

    def _chain(self) -> None:
        if self._chaining:  # a start moved below notifies us again; the loop already covers it
            return
        self._chaining = True
        try:
            at: datetime | None = self.start
            for phase in self._phases:
                phase.start = at
                if phase.transfer is not None and at is not None:
                    phase.transfer.move_start(at)
                at = None if at is None or phase.halted else phase.end
        finally:
            self._chaining = False
        for callback in list(self._watchers):
            callback()

    def watch(self, callback: Watcher) -> None:
        self._watchers.append(callback)

    def start_of(self, name: str) -> datetime | None:
        """When the phase starts (None if the job never gets there)."""
        return self._by_name[name].start

    def planned_end(self, name: str) -> datetime | None:
        """When the phase ends unless a cancel ends it sooner (None if the job never gets there)."""
        phase = self._by_name[name]
        if phase.start is None:
            return None
        if phase.transfer is not None:
            return phase.transfer.natural_end if phase.halted else phase.transfer.end
        return phase.start + timedelta(seconds=phase.seconds)

    def completed_at(self, name: str) -> datetime | None:
        """When the phase ends without a cancel (None if the job never gets there or is cancelled in it)."""
        phase = self._by_name[name]
        return None if phase.start is None or phase.halted else phase.end

    def phase_at(self, at: datetime) -> str | None:
        """The phase running at `at` (None before the start and once the job has ended)."""
        for phase in self._phases:
            end = phase.end
            if phase.start is None or end is None or at < phase.start:
                return None
            if at < end:
                return phase.name
            if phase.halted:
                return None
        return None

    @property
    def end(self) -> datetime:
        """When the job ends: the end of its last phase, or of the phase a cancel ended."""
        end = self.start
        for phase in self._phases:
            if phase.start is None or phase.end is None:
                break
            end = phase.end
        return end

    def cancel(self, at: datetime) -> None:
        """End the job at `at`, in the phase running then (nothing changes once it has ended)."""
        for phase in self._phases:
            end = phase.end
            if phase.start is None or end is None:
                return
            if at < end:
                if phase.transfer is not None:
                    phase.transfer.cancel(max(at, phase.start))
                else:
                    phase.stopped = max(at, phase.start)
                    self._chain()
                return
