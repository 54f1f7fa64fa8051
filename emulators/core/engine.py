"""The transfer engine: a job's progress as a pure function of time.

A `Transfer` is an ordered plan of files (a `FileRange`), a `RateModel` and a start instant. File i
is enumerated at `(i + 1) / enumeration_rate` and copied once enumerated, at
`(i + 1) * per_file + bytes_before(i + 1) / bandwidth` (per-file overhead plus bytes over the
bandwidth); it finishes at the later of the two. A plan may add delays: seconds of work spent at a
position before its file finishes (retries' back-off, say), which every later file waits for too,
in the copy (`delays`) or in the enumeration (`enumeration_delays`). Both instants stay
non-decreasing in i, so "how many files have finished at t" is a binary search over i and a status
read costs O(log n), whatever the size of the plan (O(log n · log d) with d delayed positions).
Nothing is ticked.

Outcomes: each position may carry a failure code (opaque to the engine; services choose their own
vocabulary) decided when the plan is built, or added later for positions not finished yet (`fail`:
a condition the service learns of mid-transfer, e.g. a folder moved away). A transfer can be
cancelled (progress freezes) or aborted (every enumerated file not yet finished fails with the
abort's code) at an instant, and paused and resumed: a pause stops its work clock, so everything
after it happens that much later. Services use these operations and never write a transfer's
fields; each operation tells the transfer's watchers (e.g. a milestone timer, which re-plans itself).

Bytes over time: the bytes of file i flow at the bandwidth during the last part of its copy, up to
the instant it finishes (a file that fails moves no bytes). Each position can carry a label (runs of
positions, e.g. the provider a file is read from); `bytes_by(t, label)` is O(log n), and `histogram`
gives bytes per time slot, aligned to absolute time, newest first, in O(slots · log n).

A job of several stages (a queue, a copy, a validation, ...) chains them with `Phases`
(`emulators.core.phases`).
"""

from __future__ import annotations

import bisect
import itertools
import math
from array import array
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import ConfigDict, Field

from emulators.core.spec import Spec
from emulators.core.storage import FileRange


class RateModel(Spec):
    """How fast a transfer moves (from the scenario)."""

    model_config = ConfigDict(frozen=True)

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


Watcher = Callable[[], None]
Label = Hashable
ALL_LABELS: Label = object()  # "whatever their label": every file counts
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Transfer:
    """One job's plan and its progress over time."""

    def __init__(
        self,
        files: FileRange,
        rate: RateModel,
        start: datetime,
        failures: Mapping[int, str] | None = None,
        labels: Sequence[tuple[int, Label]] | None = None,
        delays: Mapping[int, float] | None = None,
        enumeration_delays: Mapping[int, float] | None = None,
    ) -> None:
        self.files = files
        self.rate = rate
        self._start = start
        self.total = len(files)
        self._cum = files.cumulative()
        self._label_runs = labels or [(0, None)]
        # bytes_by at an instant is fixed until the plan changes: histograms, whose slot bounds are
        # aligned to absolute time, ask for the same past instants on every status read.
        self._moved: dict[tuple[datetime, Label], float] = {}
        self._set_failures(dict(failures or {}))
        self._stop: Stop | None = None
        self._pauses: list[tuple[datetime, datetime | None, float]] = []  # (from, to, work seconds at from)
        self._ends: tuple[datetime, datetime] | None = None  # (enumeration end, natural end), cached
        self._watchers: list[Watcher] = []
        # None without delays: status reads evaluate these O(log n) times, so skip them then.
        self._delays = _Delays(delays) if delays else None
        self._enumeration_delays = _Delays(enumeration_delays) if enumeration_delays else None
        # The binary searches' key: without delays, the rates bound in one closure (a histogram
        # evaluates it a few thousand times per status read).
        self._work_finished: Callable[[int], float] = (
            self._work_finished_delayed if delays or enumeration_delays else _plain_work(rate, self._cum)
        )

    def _set_failures(self, failures: dict[int, str]) -> None:
        self._failures = failures
        self._fail_pos = array("q", sorted(failures))
        self._fail_codes = [failures[i] for i in self._fail_pos]
        self._fail_cum = array(
            "q", itertools.accumulate(itertools.chain([0], map(self.size, self._fail_pos)))
        )
        self._labels = _Labels(self._label_runs, self.total, self._cum, self._fail_pos, self.size)

    # -- timing -------------------------------------------------------------------------------

    @property
    def start(self) -> datetime:
        return self._start

    @property
    def stop(self) -> Stop | None:
        """The planned cancel or abort, if any (change it with the operations below)."""
        return self._stop

    @property
    def pauses(self) -> list[tuple[datetime, datetime | None, float]]:
        """(from, to or None while paused, work seconds done at from), in time order."""
        return list(self._pauses)

    def size(self, i: int) -> int:
        return self._cum[i + 1] - self._cum[i]

    def enumerated_after(self, i: int) -> float:
        """Seconds from start until file i is enumerated."""
        listed = (i + 1) / self.rate.enumeration_rate
        if self._enumeration_delays is not None:
            listed += self._enumeration_delays.through(i)
        return self._shift(listed)

    def finished_after(self, i: int) -> float:
        """Seconds from start until file i has been copied (or has failed)."""
        return self._shift(self._work_finished(i))

    def _work_finished_delayed(self, i: int) -> float:
        """Seconds of work until file i has been copied (or has failed): pauses not counted."""
        listed = (i + 1) / self.rate.enumeration_rate
        copied = (i + 1) * self.rate.per_file + self._cum[i + 1] / self.rate.bandwidth
        if self._enumeration_delays is not None:
            listed += self._enumeration_delays.through(i)
        if self._delays is not None:
            copied += self._delays.through(i)
        return max(listed, copied)

    def finished_at(self, i: int) -> datetime:
        """The instant file i finishes if nothing stops the transfer first."""
        return self._start + timedelta(seconds=self.finished_after(i))

    def processed_by(self, at: datetime) -> int:
        """How many files have finished (copied or failed on their own) by `at`, stops included."""
        t = at if self._stop is None or at <= self._stop.at else self._stop.at
        return self._count((t - self._start).total_seconds(), self.finished_after)

    def _shift(self, work: float) -> float:
        """Seconds from start at which `work` seconds of work are done, pauses counted."""
        shifted = work
        for begin, end, at_work in self._pauses:
            if work > at_work:
                shifted += (end - begin).total_seconds() if end is not None else _OPEN
        return shifted

    def work_seconds(self, at: datetime) -> float:
        """Seconds of work done by `at`: time since the start, less the pauses before `at`."""
        seconds = (at - self._start).total_seconds()
        for begin, end, at_work in self._pauses:
            if at <= begin:
                break
            if end is None or at < end:
                return at_work
            seconds -= (end - begin).total_seconds()
        return seconds

    def _timeline(self) -> tuple[datetime, datetime]:
        if self._ends is None:
            last = self.total - 1
            enumerated = self.enumerated_after(last) if self.total else 0
            finished = self.finished_after(last) if self.total else 0
            self._ends = (_plus(self._start, enumerated), _plus(self._start, finished))
        return self._ends

    @property
    def enumeration_end(self) -> datetime:
        return self._timeline()[0]

    @property
    def natural_end(self) -> datetime:
        """When the last file would finish if nothing stopped the transfer."""
        return self._timeline()[1]

    @property
    def end(self) -> datetime:
        """When the transfer finishes: its natural end or the instant it was stopped."""
        if self._stop is not None and self._stop.at < self.natural_end:
            return max(self._stop.at, self._start)
        return self.natural_end

    def _count(self, seconds: float, key: Callable[[int], float]) -> int:
        """How many files have `key(i) <= seconds` (key is non-decreasing in i)."""
        if seconds < 0:
            return 0
        return bisect.bisect_right(range(self.total), seconds, key=key)

    # -- control ------------------------------------------------------------------------------

    def watch(self, callback: Watcher) -> None:
        """Call `callback()` after every change to the transfer's timing (stops, pauses, start)."""
        self._watchers.append(callback)

    def _changed(self) -> None:
        self._ends = None
        self._moved.clear()
        for callback in list(self._watchers):
            callback()

    def cancel(self, at: datetime) -> None:
        """Freeze progress at `at` (an earlier cancel or abort stands)."""
        if self._stop is None or at < self._stop.at:
            self.stop_at(Stop(at, None))

    def abort(self, at: datetime, code: str) -> None:
        """From `at`, every enumerated file not yet finished fails with `code`."""
        if self._stop is None or at < self._stop.at:
            self.stop_at(Stop(at, code))

    def stop_at(self, stop: Stop | None) -> None:
        """Replace the planned stop, whatever it was (None: run to the natural end). For a service
        whose stop depends on several things (a cancel, a deadline, a fatal file) that it re-weighs."""
        if stop != self._stop:
            self._stop = stop
            self._changed()

    def fail(self, at: datetime, failures: Mapping[int, str]) -> None:
        """From `at` on, these positions fail with their codes (a position that already fails keeps
        its code). They must not have finished by `at`: what was read before stays true. O(f log f)
        for the f failures in all."""
        added = {i: code for i, code in failures.items() if i not in self._failures}
        if not added:
            return
        if any(not 0 <= i < self.total for i in added):
            raise ValueError("a failure's position is outside the plan")
        if self.processed_by(at) > min(added):
            raise ValueError("a position that finished by `at` cannot fail any more")
        self._set_failures({**self._failures, **added})
        self._changed()

    def failure(self, i: int) -> str | None:
        """The code file i fails with, if it fails on its own (not through a stop)."""
        return self._failures.get(i)

    def pause(self, at: datetime) -> None:
        """Stop the work clock at `at` until `resume` (a paused transfer stays paused)."""
        if not self.paused(at):
            self._pauses.append((at, None, self.work_seconds(at)))
            self._changed()

    def resume(self, at: datetime) -> None:
        """Start the work clock again at `at` (no effect unless paused)."""
        if self._pauses and self._pauses[-1][1] is None:
            begin, _, at_work = self._pauses[-1]
            self._pauses[-1] = (begin, max(at, begin), at_work)
            self._changed()

    def paused(self, at: datetime) -> bool:
        return any(begin <= at and (end is None or at < end) for begin, end, _ in self._pauses)

    def move_start(self, start: datetime) -> None:
        """Start at another instant (a phase whose predecessor ends earlier or later)."""
        if start != self._start:
            self._start = start
            self._changed()

    # -- reading ------------------------------------------------------------------------------

    def progress(self, at: datetime) -> Progress:
        """Counters at `at` (O(log n))."""
        t = at
        if self._stop is not None and self._stop.at < t:
            t = self._stop.at
        seconds = (t - self._start).total_seconds()
        enumerated = self._count(seconds, self.enumerated_after)
        done = self._count(seconds, self.finished_after)
        failed = bisect.bisect_left(self._fail_pos, done)
        failed_bytes = self._fail_cum[failed]
        if self._stop is not None and self._stop.code is not None and self._stop.at <= at:
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
        until = (min(at, self.end) - self._start).total_seconds()
        finished_normally = self._count(until, self.finished_after)
        failures = self._failures
        abort_code = self._stop.code if self._stop is not None else None
        cum = self._cum
        paths = self.files.paths(start=first)
        for i, path in enumerate(itertools.islice(paths, max(0, limit - first)), first):
            code = failures.get(i)
            if code is None and i >= finished_normally:
                code = abort_code
            yield path, cum[i + 1] - cum[i], code

    @property
    def total_bytes(self) -> int:
        return self._cum[-1]

    def bytes_by(self, at: datetime, label: Label = ALL_LABELS) -> float:
        """Bytes moved by `at` (of files carrying `label`, or of all files): files finished whole,
        plus the part of the file being copied. Failed files move nothing; a stop freezes the flow."""
        known = self._moved.get((at, label))
        if known is not None:
            return known
        moved = self._bytes_by(at, label)
        if len(self._moved) >= _MOVED_MEMO:
            self._moved.clear()
        self._moved[(at, label)] = moved
        return moved

    def _bytes_by(self, at: datetime, label: Label) -> float:
        if self._stop is not None and self._stop.at < at:
            at = self._stop.at
        work = self.work_seconds(at)
        if work <= 0:
            return 0
        k = self._count(work, self._work_finished)  # files finished by then
        moved: float = self._labels.bytes_before(k, label)
        if k < self.total and self._labels.carries(k, label) and k not in self._failures:
            moved += self._partial(k, work)
        return moved

    def _partial(self, i: int, work: float) -> float:
        """Bytes of file i moved after `work` seconds: its bytes flow at the bandwidth up to the
        instant it finishes, never before the file before it finished."""
        finish = self._work_finished(i)
        previous = self._work_finished(i - 1) if i else 0.0
        size = self.size(i)
        flowing = min(size / self.rate.bandwidth, finish - previous)
        if flowing <= 0:
            return 0
        return size * min(max((work - (finish - flowing)) / flowing, 0.0), 1.0)

    def bytes_between(self, since: datetime, until: datetime, label: Label = ALL_LABELS) -> float:
        """Bytes moved after `since` up to `until` (of files carrying `label`, or of all)."""
        return self.bytes_by(until, label) - self.bytes_by(since, label)


_OPEN = 100 * 365 * 86400.0  # seconds: an open pause lasts until it is resumed (later files wait)
_MOVED_MEMO = 1024  # instants remembered per transfer: a status read asks for about 140 per source


def _plus(start: datetime, seconds: float) -> datetime:
    try:
        return start + timedelta(seconds=seconds)
    except OverflowError:
        return datetime.max.replace(tzinfo=start.tzinfo)


class _Delays:
    """Seconds of delay at some positions, summed up to any position in O(log d)."""

    def __init__(self, delays: Mapping[int, float]) -> None:
        if any(seconds < 0 or not math.isfinite(seconds) for seconds in delays.values()):
            raise ValueError("delays must be finite and not negative")
        self._positions = sorted(delays)
        self._sums = list(itertools.accumulate((delays[i] for i in self._positions), initial=0.0))

    def through(self, i: int) -> float:
        """The delays at positions up to and including i."""
        return self._sums[bisect.bisect_right(self._positions, i)]


class _Labels:
    """Which label each position carries, as runs of positions, and bytes per label in O(log n)."""

    def __init__(
        self,
        runs: Sequence[tuple[int, Label]],
        total: int,
        cum: array[int],
        failures: array[int],
        size: Callable[[int], int],
    ) -> None:
        runs = sorted(runs, key=lambda run: run[0])
        if not runs or runs[0][0] != 0:
            raise ValueError("label runs must start at position 0")
        self._starts = [first for first, _ in runs]
        self._labels = [label for _, label in runs]
        self._cum = cum
        bounds = [*self._starts[1:], total]
        # Per label: its runs' first positions, ends, and bytes in its runs before each run.
        self._runs: dict[Label, tuple[list[int], list[int], list[int]]] = {}
        for (first, label), end in zip(runs, bounds, strict=True):
            first, end = min(first, total), min(end, total)  # runs past the last file are empty
            firsts, ends, before = self._runs.setdefault(label, ([], [], [0]))
            firsts.append(first)
            ends.append(end)
            before.append(before[-1] + cum[end] - cum[first])
        # Per label: failed positions and their cumulative bytes (failed files move nothing).
        self._failed: dict[Label, tuple[list[int], list[int]]] = {}
        for position in failures:
            positions, sizes = self._failed.setdefault(self.label_at(position), ([], [0]))
            positions.append(position)
            sizes.append(sizes[-1] + size(position))
        self._all_failed = (list(failures), list(itertools.accumulate(map(size, failures), initial=0)))

    def label_at(self, position: int) -> Label:
        return self._labels[bisect.bisect_right(self._starts, position) - 1]

    def carries(self, position: int, label: Label) -> bool:
        return label is ALL_LABELS or self.label_at(position) == label

    def bytes_before(self, k: int, label: Label) -> int:
        """Bytes of the label's files (every file for ALL_LABELS) at positions below k that do not fail."""
        if label is ALL_LABELS:
            positions, sizes = self._all_failed
            return self._cum[k] - sizes[bisect.bisect_left(positions, k)]
        if label not in self._runs:
            return 0
        firsts, ends, before = self._runs[label]
        j = bisect.bisect_left(firsts, k)  # runs that start below k
        total = before[j]
        if j and ends[j - 1] > k:  # k falls inside the last of them: count only its part below k
            total -= self._cum[ends[j - 1]] - self._cum[k]
        positions, sizes = self._failed.get(label, ([], [0]))
        return total - sizes[bisect.bisect_left(positions, k)]


def _plain_work(rate: RateModel, cum: Sequence[int]) -> Callable[[int], float]:
    """Seconds of work until file i has been copied (or has failed), for a plan without delays."""
    enumeration_rate, per_file, bandwidth = rate.enumeration_rate, rate.per_file, rate.bandwidth

    def work(i: int) -> float:
        return max((i + 1) / enumeration_rate, (i + 1) * per_file + cum[i + 1] / bandwidth)

    return work


def histogram(
    transfer: Transfer, end: datetime, step: float, slots: int, label: Label = ALL_LABELS
) -> list[int]:
    """Bytes moved per slot of `step` seconds, newest first: slot 0 runs from the start of the slot
    that holds `end` (slots are aligned to absolute time, multiples of `step` since the epoch) up to
    `end`; slot k is the k-th whole slot before it. O(slots · log n); slots before the transfer
    started or after it ended cost nothing."""
    seconds = (end - _EPOCH).total_seconds()
    aligned = _EPOCH + timedelta(seconds=math.floor(seconds / step) * step)
    bounds = [end] + [aligned - timedelta(seconds=step * k) for k in range(slots)]
    first, last = transfer.start, transfer.end
    finished = transfer.bytes_by(last, label)

    def moved(at: datetime) -> float:
        if at <= first:
            return 0
        return finished if at >= last else transfer.bytes_by(at, label)

    totals = [moved(at) for at in bounds]
    return [round(totals[k]) - round(totals[k + 1]) for k in range(slots)]
