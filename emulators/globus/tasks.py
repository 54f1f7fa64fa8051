"""Transfer and delete tasks on the core engine: status, counters, events and per-file records.

A task's whole future is laid out when it is submitted: its plan runs on an engine `Transfer`
starting `behaviour.queue_delay` after the request, and the destination `FileSystem` is told to apply
each finished step, so files appear (or vanish) as the task progresses. Every read computes the task
at the instant asked (O(log n) for counters), nothing is ticked.

Lifecycle (task document `status` / `nice_status`):
    ACTIVE / Queued      before the engine starts
    ACTIVE / OK          running
    ACTIVE / <code>      retrying a step after a transient error (is_ok false, one subtask retrying)
    INACTIVE             an endpoint's activation expired (nice_status NO_CREDENTIALS)
    SUCCEEDED            every step done (skipped errors allowed)
    FAILED               fatal_error: CANCELED (cancel), EXPIRED (a client deadline passed, or the shown
                         deadline of a task without one passed while it was INACTIVE), or the code of
                         a fatal file error (FILE_NOT_FOUND, PERMISSION_DENIED, ...)
A cancel of a task with work in flight (started, not INACTIVE) is accepted and takes effect
`behaviour.cancel_delay` seconds later (`CancelAccepted`); a queued or INACTIVE task is canceled
during the call (`Canceled`). An endpoint manager may pause a task (`is_paused`, still ACTIVE,
nice_status PAUSED) and resume it; the engine's work clock stands still while the task is INACTIVE,
paused, or both. The events are computed in `events.py`.
"""

from __future__ import annotations

import bisect
import itertools
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from emulators.core.engine import Stop, Transfer
from emulators.core.filesystem import Change, FileSystem, Placement, Remove, Write
from emulators.core.storage import Entry, FileRange
from emulators.globus.events import NO_CREDENTIALS, Event, description, iso, task_events
from emulators.globus.plan import Chunked, Plan, Step
from emulators.globus.scenario import Identity
from emulators.globus.store import Collection, GlobusStore

TaskType = Literal["TRANSFER", "DELETE"]
CancelCode = Literal["Canceled", "CancelAccepted", "TaskComplete"]
AdminSide = Literal["SOURCE", "DESTINATION", "BOTH"]
PAUSED = "PAUSED"
LOST = "FILE_NOT_FOUND"  # a step whose folder was moved away mid-task


@dataclass
class Hold:
    """A stretch of time in which the task is held (INACTIVE, or paused by an endpoint manager)."""

    start: datetime
    end: datetime | None = None  # None: still held
    message: str = ""

    def covers(self, at: datetime) -> bool:
        return self.start <= at and (self.end is None or at < self.end)


@dataclass
class Task:
    """One transfer or delete task."""

    task_id: str
    type: TaskType
    owner: Identity
    submission_id: str
    label: str | None
    request_time: datetime
    deadline: datetime
    flexible: bool  # no client deadline: shown as request_time + 24 h, expires only while INACTIVE (doc 2.2)
    source: Collection
    destination: Collection | None
    options: dict[str, Any]
    plan: Plan
    transfer: Transfer
    progress_interval: float
    canceled_at: datetime | None = None
    canceled_by_admin: AdminSide | None = None
    canceled_by_admin_message: str | None = None
    removed: bool = False
    inactive: list[Hold] = field(default_factory=list)  # an endpoint's activation expired
    admin_pauses: list[Hold] = field(default_factory=list)  # paused by an endpoint manager
    _ok_files: array[int] = field(default_factory=lambda: array("q"))  # files copied before position i

    def __post_init__(self) -> None:
        self._count_ok_files()
        self.apply_stops()

    def _count_ok_files(self) -> None:
        ok = (s.entry.kind == "file" and s.action == "write" for s in self.plan.steps)
        failed = self.plan.failures
        flags = (int(f and i not in failed) for i, f in enumerate(ok))
        self._ok_files = array("q", itertools.accumulate(itertools.chain([0], flags)))

    # -- timing ---------------------------------------------------------------------------------

    @property
    def start(self) -> datetime:
        return self.transfer.start

    def step_time(self, position: int) -> datetime:
        """When step `position` finishes (copied, removed, skipped or failed), pauses included."""
        return self.start + timedelta(seconds=self.transfer.finished_after(position))

    def error_time(self, position: int) -> datetime:
        """When a transient error hits step `position`: as its work begins (its retry then succeeds)."""
        return self.step_time(position - 1) if position > 0 else self.start

    @property
    def fatal(self) -> tuple[datetime, str] | None:
        """When and with which code the first fatal step fails, if one does."""
        if not self.plan.fatal:
            return None
        position = min(self.plan.fatal)
        return self.step_time(position), self.plan.fatal[position]

    @property
    def expiry(self) -> datetime | None:
        """When the deadline expires the task, if it does.

        A client deadline expires it when it passes. Without one the deadline is flexible (doc 2.2):
        the task runs on past the deadline it shows as long as it makes progress, and expires at the
        first instant from that deadline on at which it is INACTIVE.
        """
        if not self.flexible:
            return self.deadline
        for hold in self.inactive:  # in time order
            if hold.end is None or hold.end > self.deadline:
                return max(hold.start, self.deadline)
        return None

    def stop(self) -> tuple[datetime, str] | None:
        """The earliest of cancel, deadline and fatal error that comes before the natural end."""
        candidates = []
        if self.canceled_at is not None:
            candidates.append((self.canceled_at, "CANCELED"))
        expiry = self.expiry
        if expiry is not None:
            candidates.append((expiry, "EXPIRED"))
        if self.fatal is not None:
            candidates.append(self.fatal)
        if not candidates:
            return None
        first = min(candidates, key=lambda c: c[0])
        return first if first[0] < self.transfer.natural_end or first[1] != "EXPIRED" else None

    def apply_stops(self) -> None:
        """Tell the engine when the task stops (called again after a cancel, a pause or a deadline change)."""
        stop = self.stop()
        if stop is None:
            self.transfer.stop_at(None)
        elif stop[1] in ("CANCELED", "EXPIRED"):
            self.transfer.stop_at(Stop(stop[0], None))
        else:
            self.transfer.stop_at(Stop(stop[0], stop[1]))

    @property
    def completion(self) -> datetime:
        stop = self.stop()
        return min(stop[0], self.transfer.natural_end) if stop else self.transfer.natural_end

    def is_complete(self, at: datetime) -> bool:
        return at >= self.completion

    def limit(self, at: datetime) -> datetime:
        """`at`, or the instant the task stopped if that came first."""
        stop = self.stop()
        return min(at, stop[0]) if stop else at

    def done_steps(self, at: datetime) -> int:
        """Steps that finished (copied, skipped or failed on their own) by `at`."""
        seconds = (self.limit(at) - self.start).total_seconds()
        if seconds < 0:
            return 0
        return bisect.bisect_right(range(self.transfer.total), seconds, key=self.transfer.finished_after)

    def retrying(self, at: datetime) -> str | None:
        """The code of the transient error whose step is being retried at `at`, if any."""
        if self.is_complete(at) or self.transfer.paused(at):
            return None
        for position, code in self.plan.transient.items():
            if self.error_time(position) <= at < self.step_time(position):
                return code
        return None

    # -- status ---------------------------------------------------------------------------------

    def status(self, at: datetime) -> tuple[str, str | None]:
        """(status, fatal error code) at `at`."""
        if not self.is_complete(at):
            return ("INACTIVE" if _held(self.inactive, at) else "ACTIVE"), None
        stop = self.stop()
        if stop is not None and stop[0] <= self.transfer.natural_end:
            return "FAILED", stop[1]
        return "SUCCEEDED", None

    def cancel(self, at: datetime, delay: float) -> CancelCode:
        """POST /task/{id}/cancel: one of the three documented result codes.

        `TaskComplete` if the task finished first; `CancelAccepted` if work is in flight, the cancel
        taking effect `delay` seconds later (the task may still succeed before then); otherwise
        `Canceled`, FAILED with CANCELED at once.
        """
        if self.is_complete(at):
            return "TaskComplete"
        if self.canceled_at is not None:
            return "CancelAccepted"  # an accepted cancel that has not taken effect yet
        in_flight = at >= self.start and not self.transfer.paused(at)
        if in_flight and delay > 0:
            self.canceled_at = at + timedelta(seconds=delay)
            self.apply_stops()
            return "CancelAccepted"
        self.canceled_at = at
        self.apply_stops()
        return "Canceled"

    def pause(self, at: datetime) -> None:
        """An endpoint's activation expired: INACTIVE until it is activated again."""
        self._hold(self.inactive, at, "")

    def resume(self, at: datetime) -> None:
        self._release(self.inactive, self.admin_pauses, at)

    def admin_pause(self, at: datetime, message: str) -> None:
        """An endpoint manager pauses the task: no progress until it is resumed."""
        self._hold(self.admin_pauses, at, message)

    def admin_resume(self, at: datetime) -> None:
        self._release(self.admin_pauses, self.inactive, at)

    def is_paused(self, at: datetime) -> bool:
        return _held(self.admin_pauses, at)

    def _hold(self, holds: list[Hold], at: datetime, message: str) -> None:
        if not _held(holds, at):
            holds.append(Hold(at, None, message))
        self.transfer.pause(at)
        self.apply_stops()

    def _release(self, holds: list[Hold], others: list[Hold], at: datetime) -> None:
        """End the open hold of one kind; the work clock runs again unless one of the other is open."""
        if holds and holds[-1].end is None:
            holds[-1].end = max(at, holds[-1].start)
        if not (others and others[-1].end is None):
            self.transfer.resume(at)
        self.apply_stops()

    def lose(self, fs: FileSystem, path: str, at: datetime) -> None:
        """`path` on `fs` was moved away at `at` (a rename). Each step of a transfer not done by then
        that would read below it at the source, or write below it at the destination, fails with
        FILE_NOT_FOUND: the endpoint answers "No such file or directory", and nothing recreates the
        folders. A source's failure is skipped under skip_source_errors; a destination's is not
        a source error, so it fails the task. O(steps)."""
        if self.type != "TRANSFER" or self.is_complete(at):
            return
        plan, prefix = self.plan, path + "/"
        reads = self.source.fs is fs
        writes = self.destination is not None and self.destination.fs is fs
        failed = plan.failures
        lost: dict[int, str] = {}
        for position in range(self.done_steps(at), len(plan.steps)):
            step = plan.steps[position]
            if position in failed or step.action == "remove":
                continue
            if writes and step.target.startswith(prefix):
                plan.fatal[position] = LOST
                plan.destination_errors.add(position)
            elif reads and step.action == "write" and step.entry.path.startswith(prefix):
                (plan.skipped if self.options.get("skip_source_errors") else plan.fatal)[position] = LOST
            else:
                continue
            lost[position] = LOST
            if self.error_time(position) > at:  # a transient error still to come never comes
                plan.transient.pop(position, None)
        if lost:
            (self.destination or self.source).fs.fail(self.transfer, at, lost)
            self._count_ok_files()
            self.apply_stops()

    def update(self, label: str | None, label_given: bool, deadline: datetime | None) -> None:
        if label_given:
            self.label = label
        if deadline is not None:
            self.deadline, self.flexible = deadline, False
            self.apply_stops()

    # -- reading --------------------------------------------------------------------------------

    def counters(self, at: datetime) -> dict[str, int]:
        plan, started = self.plan, at >= self.start
        done = self.done_steps(at)
        status, fatal = self.status(at)
        progress = self.transfer.progress(at)
        steps = len(plan.steps)
        skipped = sum(1 for p in plan.skipped if p < done)
        failed_steps = sum(1 for p in plan.fatal if p < done)
        limit = self.limit(at)
        transient = sum(1 for p in plan.transient if self.error_time(p) <= limit)
        retrying = 1 if self.retrying(at) is not None else 0
        total = 1 + (steps if started else 0)
        succeeded = (1 if started else 0) + done - skipped - failed_steps
        file_error = fatal not in (None, "CANCELED", "EXPIRED")
        remaining = total - succeeded - skipped - failed_steps
        # A file error ends the task: the subtasks it leaves undone fail with it, so the counts add
        # up to the total as they do for a cancel or an expiry (reference 5, subtask arithmetic).
        failed = failed_steps + remaining if file_error else 0
        remaining = 0 if file_error else remaining
        # Both real task captures divide the bytes by the time since the request (queue included).
        elapsed = max((min(at, self.completion) - self.request_time).total_seconds(), 0)
        moved = progress.succeeded_bytes if self.type == "TRANSFER" else 0
        removals = self.type == "DELETE"
        return {
            "files": plan.count("file", removals=removals) if started else 0,
            "directories": plan.count("dir", removals=removals) if started else 0,
            "symlinks": plan.count("symlink", removals=removals) if started else 0,
            "files_skipped": plan.sync_skipped if started else 0,
            "files_transferred": self._ok_files[done] if self.type == "TRANSFER" else 0,
            "faults": transient + (1 if file_error else 0),
            "subtasks_total": total,
            "subtasks_succeeded": succeeded,
            "subtasks_skipped_errors": skipped,
            "subtasks_failed": failed,
            "subtasks_canceled": remaining if fatal == "CANCELED" else 0,
            "subtasks_expired": remaining if fatal == "EXPIRED" else 0,
            "subtasks_pending": remaining - retrying if status in ("ACTIVE", "INACTIVE") else 0,
            "subtasks_retrying": retrying,
            "bytes_transferred": moved,
            "bytes_checksummed": moved if self.options.get("verify_checksum") else 0,
            "effective_bytes_per_second": int(moved / elapsed) if elapsed else 0,
            "total_estimated_bytes": self.transfer.total_bytes if self.type == "TRANSFER" else 0,
        }

    def document(self, at: datetime) -> dict[str, Any]:
        """The task document (GET /task/{id}, items of task_list) as of `at`."""
        status, fatal = self.status(at)
        active = status in ("ACTIVE", "INACTIVE")
        retrying = self.retrying(at)
        nice = ("Queued" if at < self.start else retrying or "OK") if status == "ACTIVE" else None
        nice = PAUSED if status == "ACTIVE" and self.is_paused(at) else nice
        nice = NO_CREDENTIALS if status == "INACTIVE" else nice
        source, destination = self.source, self.destination
        return {
            "DATA_TYPE": "task",
            "task_id": self.task_id,
            "type": self.type,
            "status": status,
            "label": self.label,
            "owner_id": self.owner.id,
            "username": self.owner.username,
            "request_time": iso(self.request_time),
            "completion_time": None if active else iso(self.completion),
            "deadline": iso(self.deadline),
            "fatal_error": {"code": fatal, "description": description(fatal)} if fatal else None,
            "nice_status": nice,
            "nice_status_short_description": nice if nice in (None, "OK", "Queued") else description(nice),
            "nice_status_details": None,
            "nice_status_expires_in": -1 if active else None,
            "is_ok": nice in ("OK", "Queued") if active else None,
            "is_paused": self.is_paused(at),
            "canceled_by_admin": self.canceled_by_admin,
            "canceled_by_admin_message": self.canceled_by_admin_message,
            "history_deleted": False,
            "command": "API 0.10",
            "source_endpoint": f"{source.spec.owner}#{source.id}",
            "source_endpoint_id": source.id,
            "source_endpoint_display_name": source.spec.display_name,
            "destination_endpoint": f"{destination.spec.owner}#{destination.id}" if destination else None,
            "destination_endpoint_id": destination.id if destination else None,
            "destination_endpoint_display_name": destination.spec.display_name if destination else None,
            "source_base_path": None,
            "destination_base_path": None,
            "source_local_user": None,
            "source_local_user_status": None,
            "destination_local_user": None,
            "destination_local_user_status": None,
            **self.options,
            **self.counters(at),
        }

    def events(self, at: datetime) -> list[Event]:
        """Every event that has happened by `at`, newest first."""
        return task_events(self, at)

    def successful(self, at: datetime, marker: int) -> Iterator[tuple[int, Step]]:
        """(position, step) of each file copied by `at`, from position `marker` on."""
        if self.type != "TRANSFER":
            return
        done = self.done_steps(at)
        failed = self.plan.failures
        for position in range(marker, done):
            step = self.plan.steps[position]
            if step.action == "write" and step.entry.kind == "file" and position not in failed:
                yield position, step

    def skipped_errors(self, at: datetime, marker: int) -> Iterator[tuple[int, Step, str]]:
        done = self.done_steps(at)
        for position, code in sorted(self.plan.skipped.items()):
            if marker <= position < done:
                yield position, self.plan.steps[position], code


def _held(holds: list[Hold], at: datetime) -> bool:
    return any(hold.covers(at) for hold in holds)


def placement(plan: Plan, preserve_timestamp: bool) -> Placement:
    """What each finished step does to the destination file system."""
    steps = plan.steps

    def place(position: int, entry: Entry, finished: datetime) -> Change | None:
        step = steps[position]
        if step.action == "remove":
            return Remove(step.target)
        if step.action == "mkdir":
            return Write(Entry(step.target, "dir", 0, finished, ""))
        mtime = entry.mtime if preserve_timestamp else finished
        return Write(Entry(step.target, entry.kind, entry.size, mtime, entry.checksum, entry.target))

    return place


def create_task(
    store: GlobusStore,
    *,
    kind: TaskType,
    owner: Identity,
    submission_id: str,
    label: str | None,
    deadline: datetime | None,
    source: Collection,
    destination: Collection | None,
    options: dict[str, Any],
    plan: Plan,
    now: datetime,
) -> Chunked[Task]:
    """Put a task on the engine, attach it to the file system it changes, then register it.

    Attaching a big plan pauses between chunks; the task exists (gets its id, is listed) only once
    it is attached, at no pause.
    """
    behaviour = store.behaviour
    files = FileRange([s.entry for s in plan.steps], [])
    start = now + timedelta(seconds=behaviour.queue_delay)
    transfer = Transfer(files, behaviour.rate, start, plan.failures)
    target = destination or source
    place = placement(plan, bool(options.get("preserve_timestamp")))
    yield from target.fs.attaching(transfer, place, plan.failures)
    task = Task(
        task_id=store.world.ids.uuid(),
        type=kind,
        owner=owner,
        submission_id=submission_id,
        label=label,
        request_time=now,
        deadline=deadline or now + timedelta(seconds=behaviour.default_deadline),
        flexible=deadline is None,
        source=source,
        destination=destination,
        options=options,
        plan=plan,
        transfer=transfer,
        progress_interval=behaviour.progress_interval,
    )
    store.record(task)
    return task
