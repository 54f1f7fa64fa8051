"""The transfer state machine: a replication, eviction or migration as a function of time.

A `TransferJob` chains its stages on the engine's `Phases` (scheduled, enqueued, then the
replication transfer, then the eviction transfer) and derives every status from milestones computed
from them, so a status read is O(log n) and nothing is ticked. Reference 2.2 and 2.3:

- a subtask goes `scheduled → enqueued → active → completed`; a cancel while scheduled gives
  `cancelled` at once (finishTime stays 0), later it goes through `aborting` (`abort_delay` seconds)
  to `cancelled`;
- more than `failure_threshold` failed files, or a traverse that ends with failures, gives
  `aborting` then `failed`;
- a migration's eviction starts when its replication completes and mirrors its abort, cancel or
  failure; `transferStatus` combines both subtasks as reference 2.1 says.

Counters (reference 2.4): files a subtask only passes (already at the target, or with no other
complete replica to evict) are processed, neither replicated nor evicted, when the subtask becomes
active. This module imports no Starlette; it never does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from emulators.core.engine import Transfer, histogram
from emulators.core.phases import Phases

TransferType = Literal["replication", "eviction", "migration"]
TYPES: tuple[TransferType, ...] = ("replication", "eviction", "migration")
ENDED = frozenset({"completed", "cancelled", "failed", "skipped"})
# Reference 2.6: (field, slot seconds, slots).
HISTOGRAMS = (("minHist", 5, 19), ("hrHist", 60, 62), ("dyHist", 3600, 26), ("mthHist", 86400, 32))


@dataclass
class Plan:
    """One subtask's work: the engine transfer over the files it acts on, the files it only passes,
    the replica units it changes on success, and each source provider (a label) with the last plan
    position it is read for."""

    transfer: Transfer
    passed: int = 0
    failures: list[int] = field(default_factory=list)  # positions of the files that fail, in order
    units: list[str] = field(default_factory=list)
    sources: dict[Hashable, int] = field(default_factory=dict)
    runs: list[tuple[int, Hashable]] = field(default_factory=lambda: [(0, None)])  # the labels


@dataclass(frozen=True)
class Timing:
    schedule_delay: float
    enqueue_delay: float
    abort_delay: float
    failure_threshold: int


Milestones = list[tuple[datetime, str]]


@dataclass
class TransferJob:
    """One transfer: what the client asked for, its plans and its life over time."""

    id: str
    type: TransferType
    space_id: str
    user_id: str
    schedule_time: datetime
    timing: Timing
    replication: Plan | None
    eviction: Plan | None
    replicating_provider_id: str | None = None
    evicting_provider_id: str | None = None
    callback: str | None = None
    file_id: str | None = None
    file_path: str | None = None
    view_name: str | None = None
    query_view_params: dict[str, object] | None = None
    rerun_id: str | None = None
    cancelled_at: datetime | None = None
    phases: Phases = field(init=False)
    _failed_at: datetime | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._chain()

    def _chain(self) -> None:
        """Chain the stages on a new `Phases` (again after a plan changed, keeping a cancel)."""
        stages: list[tuple[str, float | Transfer]] = [
            ("scheduled", self.timing.schedule_delay),
            ("enqueued", self.timing.enqueue_delay),
        ]
        if self.replication is not None:
            stages.append(("replication", self.replication.transfer))
        if self.eviction is not None and not (self.type == "migration" and self._replication_fails):
            stages.append(("eviction", self.eviction.transfer))
        self.phases = Phases(self.schedule_time, stages)
        if self.replication is not None:
            self._failed_at = self._threshold_crossed(self.replication)
            if self._failed_at is not None:  # reference 2.2: past the threshold the transfer aborts
                self.replication.transfer.cancel(self._failed_at)
        if self.cancelled_at is not None:
            self.phases.cancel(self.cancelled_at)

    def lose_source(self, provider: Hashable, at: datetime) -> bool:
        """`provider` goes offline at `at`: the files the replication reads from it and has not
        finished by then fail. True if the plan changed (the caller re-follows `phases`)."""
        plan = self.replication
        if plan is None or provider not in plan.sources or self.status(at) in ENDED:
            return False
        return self._fail_unfinished(plan, at, "offline", lambda label: label == provider)

    def lose_space(self, provider: Hashable, at: datetime) -> bool:
        """The storage of `provider` fills up at `at`: when it is this replication's target, every
        file not finished by then fails (`enospc`). True if the plan changed."""
        plan = self.replication
        if plan is None or self.replicating_provider_id != provider or self.status(at) in ENDED:
            return False
        return self._fail_unfinished(plan, at, "enospc", lambda label: True)

    def _fail_unfinished(
        self, plan: Plan, at: datetime, code: str, reads: Callable[[Hashable], bool]
    ) -> bool:
        """Fail, with `code`, the files of `plan` not finished at `at` whose source run `reads`."""
        transfer = plan.transfer
        done = transfer.processed_by(at)
        bounds = [first for first, _ in plan.runs[1:]] + [transfer.total]
        lost = {
            i
            for (first, label), end in zip(plan.runs, bounds, strict=True)
            if reads(label)
            for i in range(max(first, done), end)
        }
        failures = sorted(lost.union(plan.failures))
        if failures == plan.failures:
            return False
        codes = dict.fromkeys(failures, code)
        plan.transfer = Transfer(transfer.files, transfer.rate, transfer.start, codes, plan.runs)
        plan.failures = failures
        self._chain()
        return True

    @property
    def _replication_fails(self) -> bool:
        return self.replication is not None and bool(self.replication.failures)

    def _threshold_crossed(self, plan: Plan) -> datetime | None:
        """When the failure count first exceeds the threshold (None if it never does)."""
        if len(plan.failures) <= self.timing.failure_threshold:
            return None
        return plan.transfer.finished_at(plan.failures[self.timing.failure_threshold])

    # -- milestones -------------------------------------------------------------------------------

    @property
    def enqueued_at(self) -> datetime:
        return self.schedule_time + timedelta(seconds=self.timing.schedule_delay)

    @property
    def active_at(self) -> datetime:
        return self.enqueued_at + timedelta(seconds=self.timing.enqueue_delay)

    def replication_milestones(self) -> Milestones:
        if self.replication is None:
            return [(self.schedule_time, "skipped")]
        transfer = self.replication.transfer
        failing = self._failed_at or (transfer.natural_end if self._replication_fails else None)
        return self._subtask(self.enqueued_at, self.active_at, transfer, failing)

    def eviction_milestones(self) -> Milestones:
        if self.eviction is None:
            return [(self.schedule_time, "skipped")]
        if self.type != "migration":
            return self._subtask(self.enqueued_at, self.active_at, self.eviction.transfer, None)
        replication = self.replication_milestones()
        end, outcome = replication[-1]
        if outcome != "completed":  # reference 2.2: the eviction mirrors an abort, cancel or failure
            mirrored = [(at, status) for at, status in replication if status in ("aborting", *ENDED)]
            return [(self.schedule_time, "scheduled"), *mirrored]
        return [(self.schedule_time, "scheduled"), *self._subtask(end, end, self.eviction.transfer, None)[1:]]

    def _subtask(
        self, enqueued: datetime, active: datetime, transfer: Transfer, failing: datetime | None
    ) -> Milestones:
        abort = timedelta(seconds=self.timing.abort_delay)
        cancel = self.cancelled_at
        steps: Milestones = [(self.schedule_time, "scheduled")]
        if cancel is not None and cancel < enqueued:
            return [*steps, (cancel, "cancelled")]
        steps.append((enqueued, "enqueued"))
        if cancel is not None and cancel < active:
            return [*steps, (cancel, "aborting"), (cancel + abort, "cancelled")]
        steps.append((active, "active"))
        end = failing or transfer.natural_end  # a cancel makes `transfer.end` the cancel itself
        if cancel is not None and cancel < end:
            return [*steps, (cancel, "aborting"), (cancel + abort, "cancelled")]
        if failing is not None:
            cancelled = cancel is not None and cancel < failing + abort
            return [*steps, (failing, "aborting"), (failing + abort, "cancelled" if cancelled else "failed")]
        return [*steps, (end, "completed")]

    # -- reading ----------------------------------------------------------------------------------

    def replication_status(self, at: datetime) -> str:
        return _at(self.replication_milestones(), at)

    def eviction_status(self, at: datetime) -> str:
        return _at(self.eviction_milestones(), at)

    def status(self, at: datetime) -> str:
        """`transferStatus` (reference 2.1), from both subtasks' statuses."""
        return transfer_status(self.type, self.replication_status(at), self.eviction_status(at))

    def ended_at(self) -> datetime | None:
        """When the transfer reaches a final status (None while a cancel may still change that)."""
        times = sorted({at for at, _ in self.replication_milestones() + self.eviction_milestones()})
        return next((at for at in times if self.status(at) in ENDED), None)

    def finish_time(self, at: datetime) -> datetime | None:
        """When it ended, if it has; a transfer cancelled while scheduled never gets one."""
        ended = self.ended_at()
        if ended is None or ended > at:
            return None
        if self.cancelled_at is not None and self.cancelled_at < self.enqueued_at:
            return None
        return ended

    def completed_at(self) -> datetime | None:
        """When it completes successfully (None if it is cancelled or fails)."""
        ended = self.ended_at()
        return ended if ended is not None and self.status(ended) == "completed" else None

    def cancel(self, at: datetime) -> None:
        """Reference 1.3: set the cancel flag; the statuses change through `aborting`."""
        if self.cancelled_at is None:
            self.cancelled_at = at
            self.phases.cancel(at)

    def counters(self, at: datetime) -> dict[str, int]:
        """filesToProcess, filesProcessed, filesReplicated, filesEvicted, filesFailed, bytesReplicated."""
        counts = dict.fromkeys(
            ("filesToProcess", "filesProcessed", "filesReplicated", "filesEvicted", "filesFailed"), 0
        )
        counts["bytesReplicated"] = 0
        for plan, name in ((self.replication, "replication"), (self.eviction, "eviction")):
            start = self.phases.start_of(name) if plan is not None and name in self._phase_names else None
            if plan is None or start is None or at < start:
                continue
            progress = plan.transfer.progress(at)
            counts["filesToProcess"] += plan.passed + plan.transfer.total
            counts["filesProcessed"] += plan.passed + progress.processed
            counts["filesFailed"] += progress.failed
            if name == "replication":
                counts["filesReplicated"] += progress.succeeded
                counts["bytesReplicated"] += round(plan.transfer.bytes_by(at))
            else:
                counts["filesEvicted"] += progress.succeeded
        return counts

    @property
    def _phase_names(self) -> set[str]:
        names = {"replication"} if self.replication is not None else set()
        if self.eviction is not None and not (self.type == "migration" and self._replication_fails):
            names.add("eviction")
        return names

    def histograms(self, at: datetime) -> dict[str, dict[str, list[int]]]:
        """Reference 2.6: bytes per slot per source provider, newest first, slot 0 being the slot of
        the last update; `{}` for an eviction or before the replication is active."""
        plan = self.replication
        start = self.phases.start_of("replication") if plan is not None else None
        hists: dict[str, dict[str, list[int]]] = {name: {} for name, _, _ in HISTOGRAMS}
        if plan is None or start is None or at < start:
            return hists
        for source, last in plan.sources.items():
            # Reference 2.6: arrays are not padded to now; slot 0 is the source's last update.
            end = min(at, plan.transfer.end, plan.transfer.finished_at(last))
            for name, step, slots in HISTOGRAMS:
                hists[name][str(source)] = histogram(plan.transfer, end, step, slots, source)
        return hists

    def last_update(self, at: datetime) -> datetime | None:
        """Reference 1.2: the later of the start and the last stats flush (None while scheduled)."""
        if at < self.enqueued_at or (self.cancelled_at is not None and self.cancelled_at < self.enqueued_at):
            return None
        latest = self.enqueued_at
        for plan, name in ((self.replication, "replication"), (self.eviction, "eviction")):
            start = self.phases.start_of(name) if plan is not None and name in self._phase_names else None
            if plan is not None and start is not None and at >= start:
                latest = max(latest, min(at, plan.transfer.end))
        return latest


def transfer_status(kind: TransferType, replication: str, eviction: str) -> str:
    """Reference 2.1, evaluated top-down."""
    if kind == "migration" and replication == "completed":
        return "evicting" if eviction in ("scheduled", "enqueued", "active") else eviction
    if replication == "skipped":
        return "evicting" if eviction == "active" else eviction
    if replication == "active":
        return "replicating"
    return replication


def _at(milestones: Milestones, at: datetime) -> str:
    status = milestones[0][1]
    for when, name in milestones:
        if when <= at:
            status = name
    return status
