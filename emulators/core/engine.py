"""The transfer engine: a job's progress as a pure function of time.

A `Transfer` is an ordered plan of files (a `FileRange`), a `RateModel` and a start instant. File i
is enumerated at `(i + 1) / enumeration_rate` and copied once enumerated, at
`(i + 1) * per_file + bytes_before(i + 1) / bandwidth` (per-file overhead plus bytes over the
bandwidth); it finishes at the later of the two. Both are non-decreasing in i, so "how many files
have finished at t" is a binary search over i and a status read costs O(log n), whatever the size of
the plan. Nothing is ticked.

Outcomes: each position may carry a failure code (opaque to the engine; services choose their own
vocabulary) decided when the plan is built. A transfer can be cancelled (progress freezes) or aborted
(every enumerated file not yet finished fails with the abort's code) at an instant.
"""

from __future__ import annotations

import bisect
import functools
import itertools
from array import array
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from emulators.core.storage import FileRange


class RateModel(BaseModel):
    """How fast a transfer moves (from the scenario)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bandwidth: float = Field(default=100 * 2**20, gt=0, description="bytes per second")
    per_file: float = Field(default=0.005, ge=0, description="seconds of overhead per file")
    enumeration_rate: float = Field(default=500, gt=0, description="files enumerated per second")


@dataclass(frozen=True)
class Progress:
    """What a transfer has done at one instant."""

    at: datetime
    total: int
    enumerated: int
    processed: int
    succeeded: int
    failed: int
    succeeded_bytes: int
    failed_bytes: int
    enumerated_bytes: int
    finished: bool

    @property
    def enumeration_done(self) -> bool:
        return self.enumerated == self.total


@dataclass(frozen=True)
class Stop:
    """A cancel (code None) or an abort (code given) at an instant."""

    at: datetime
    code: str | None


class Transfer:
    """One job's plan and its progress over time."""

    def __init__(
        self,
        files: FileRange,
        rate: RateModel,
        start: datetime,
        failures: Mapping[int, str] | None = None,
    ) -> None:
        self.files = files
        self.rate = rate
        self.start = start
        self.total = len(files)
        self._cum = files.cumulative()
        failures = failures or {}
        self._fail_pos = array("q", sorted(failures))
        self._fail_codes = [failures[i] for i in self._fail_pos]
        self._fail_cum = array(
            "q", itertools.accumulate(itertools.chain([0], map(self.size, self._fail_pos)))
        )
        self.stop: Stop | None = None

    # -- timing -------------------------------------------------------------------------------

    def size(self, i: int) -> int:
        return self._cum[i + 1] - self._cum[i]

    def enumerated_after(self, i: int) -> float:
        """Seconds from start until file i is enumerated."""
        return (i + 1) / self.rate.enumeration_rate

    def finished_after(self, i: int) -> float:
        """Seconds from start until file i has been copied (or has failed)."""
        copied = (i + 1) * self.rate.per_file + self._cum[i + 1] / self.rate.bandwidth
        return max(self.enumerated_after(i), copied)

    @functools.cached_property
    def enumeration_end(self) -> datetime:
        return self.start + timedelta(seconds=self.enumerated_after(self.total - 1) if self.total else 0)

    @functools.cached_property
    def natural_end(self) -> datetime:
        """When the last file would finish if nothing stopped the transfer."""
        return self.start + timedelta(seconds=self.finished_after(self.total - 1) if self.total else 0)

    @property
    def end(self) -> datetime:
        """When the transfer finishes: its natural end or the instant it was stopped."""
        if self.stop is not None and self.stop.at < self.natural_end:
            return max(self.stop.at, self.start)
        return self.natural_end

    def _count(self, seconds: float, key: Callable[[int], float]) -> int:
        """How many files have `key(i) <= seconds` (key is non-decreasing in i)."""
        if seconds < 0:
            return 0
        return bisect.bisect_right(range(self.total), seconds, key=key)

    # -- control ------------------------------------------------------------------------------

    def cancel(self, at: datetime) -> None:
        """Freeze progress at `at` (an earlier cancel or abort stands)."""
        if self.stop is None or at < self.stop.at:
            self.stop = Stop(at, None)

    def abort(self, at: datetime, code: str) -> None:
        """From `at`, every enumerated file not yet finished fails with `code`."""
        if self.stop is None or at < self.stop.at:
            self.stop = Stop(at, code)

    # -- reading ------------------------------------------------------------------------------

    def progress(self, at: datetime) -> Progress:
        """Counters at `at` (O(log n))."""
        t = at
        if self.stop is not None and self.stop.at < t:
            t = self.stop.at
        seconds = (t - self.start).total_seconds()
        enumerated = self._count(seconds, self.enumerated_after)
        done = self._count(seconds, self.finished_after)
        failed = bisect.bisect_left(self._fail_pos, done)
        failed_bytes = self._fail_cum[failed]
        if self.stop is not None and self.stop.code is not None and self.stop.at <= at:
            extra = enumerated - done
            failed += extra
            failed_bytes += self._cum[enumerated] - self._cum[done]
            done = enumerated
        return Progress(
            at=at,
            total=self.total,
            enumerated=enumerated,
            processed=done,
            succeeded=done - failed,
            failed=failed,
            succeeded_bytes=self._cum[done] - failed_bytes,
            failed_bytes=failed_bytes,
            enumerated_bytes=self._cum[enumerated],
            finished=at >= self.end,
        )

    def outcomes(self, at: datetime, first: int = 0) -> Iterator[tuple[str, int, str | None]]:
        """(path, size, failure code or None) of every file processed by `at`, in plan order, from
        the file at index `first` on."""
        progress = self.progress(at)
        limit = progress.processed
        finished_normally = self._count((min(at, self.end) - self.start).total_seconds(), self.finished_after)
        failures = dict(zip(self._fail_pos, self._fail_codes, strict=True))
        abort_code = self.stop.code if self.stop is not None else None
        files = self.files.paths_and_sizes(start=first)
        for i, (path, size) in enumerate(itertools.islice(files, max(0, limit - first)), first):
            code = failures.get(i)
            if code is None and i >= finished_normally:
                code = abort_code
            yield path, size, code

    @property
    def total_bytes(self) -> int:
        return self._cum[-1]
