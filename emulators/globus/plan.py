"""Turning a transfer document into an engine plan: what moves, what is skipped, what fails.

The plan's shape is shared with delete tasks, which `deletion.py` plans.

A plan is an ordered list of steps, each an engine "file": directories to create come first, then
files and symlinks to write (or, for a delete, paths to remove, contents before their directory),
then destination extras to remove. Each step knows its destination path and what it does there, so
the destination `FileSystem` changes as the engine finishes steps.

Rules applied here, at the moment the service would discover them (doc sections in brackets):
- a missing source fails the task with FILE_NOT_FOUND, a file given as recursive with
  NOT_A_DIRECTORY, a directory given as a file with IS_A_DIRECTORY, a non-symlink given as a
  transfer_symlink_item with NOT_A_SYMLINK [3.2.1-3.2.3]; an item without `recursive` is copied as
  what its source is (a directory recursively);
- the destination's types are never changed: a file onto a directory fails with IS_A_DIRECTORY, a
  directory onto a file, or anything below a file, with NOT_A_DIRECTORY (these are not source
  errors, so skip_source_errors does not skip them), judged against the destination as the tasks
  still running there and the task's own earlier steps will have left it [3.2, transfer_item];
- sync_level 0-3 skips files that exist / have the same size / are not older / have the same checksum
  at the destination [2.3, sync_level]; filter_rules include or exclude names, first match wins;
- recursive_symlinks ignore / keep / copy, an invalid symlink with copy fails the task [2.3];
- delete_destination_extra removes the files, symlinks and directories the source does not have,
  for recursive items only [2.3];
- data-fault rules (`ENDPOINT_ID/path`): FILE_NOT_FOUND and PERMISSION_DENIED fail the task, or are
  skipped with skip_source_errors; quota errors fail it with fail_on_quota_errors; other codes are
  transient: an error event and a fault, then the retry succeeds. A rule of stage `enumeration`
  names a source directory whose listing fails, with the same outcomes (a skipped directory is not
  copied, and delete_destination_extra leaves its destination copy alone).
"""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import Generator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal, TypeVar

from emulators.core.datafaults import DataFaults
from emulators.core.storage import Entry
from emulators.globus.endpoints import follow, resolve
from emulators.globus.models import FilterRule, TransferDocument
from emulators.globus.store import Collection

Action = Literal["mkdir", "write", "remove"]
SKIPPABLE = frozenset({"FILE_NOT_FOUND", "PERMISSION_DENIED"})
QUOTA = frozenset({"QUOTA_EXCEEDED", "NO_SPACE_LEFT"})
FATAL = SKIPPABLE | frozenset({"NOT_A_DIRECTORY", "IS_A_DIRECTORY", "NOT_A_SYMLINK", "INVALID_SYMLINK"})
CHUNK = 500  # paths judged between two pauses of a long planning

T = TypeVar("T")
# Work that pauses (yields) between chunks so that a server can answer other requests meanwhile.
Chunked = Generator[None, None, T]


def _chunk(work: Chunked[T]) -> list[T]:
    """Run one chunk of `work`: `[its result]` once it has finished, else `[]`."""
    try:
        next(work)
    except StopIteration as done:
        return [done.value]
    return []


def complete(work: Chunked[T]) -> T:
    """Run chunked work to its end at once (one instant, no other request in between)."""
    while not (finished := _chunk(work)):
        pass
    return finished[0]


async def in_chunks(work: Chunked[T]) -> T:
    """Run chunked work on the event loop, letting other tasks run between its chunks. Work that is
    given up (the awaiting task is cancelled) is closed at once, so it can take back what it began."""
    try:
        while not (finished := _chunk(work)):
            await asyncio.sleep(0)
        return finished[0]
    finally:
        work.close()


@dataclass(frozen=True)
class Step:
    """One engine file: `entry` is what the source has (sizes drive the engine), `target` where it goes."""

    entry: Entry
    target: str
    action: Action
    source_path: str  # as the client named it, for successful_transfers and skipped_errors
    destination_path: str
    found: bool = True  # False: the path does not exist (the step fails; counters leave it out)
    checksum_algorithm: str | None = None  # a file item's, when it gave an external_checksum


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    fatal: dict[int, str] = field(default_factory=dict)  # position -> code: the task fails there
    skipped: dict[int, str] = field(default_factory=dict)  # position -> code (skip_source_errors)
    transient: dict[int, str] = field(default_factory=dict)  # position -> code (retried)
    sync_skipped: int = 0
    # Failed positions whose error is the destination's though its code reads as a source's
    # (FILE_NOT_FOUND: a destination folder moved away mid-task).
    destination_errors: set[int] = field(default_factory=set)

    @property
    def failures(self) -> dict[int, str]:
        return {**self.fatal, **self.skipped}

    def count(self, *kinds: str, removals: bool = False) -> int:
        """Steps of these kinds: the ones written (a transfer) or the ones removed (a delete)."""
        return sum(
            1 for s in self.steps if s.found and s.entry.kind in kinds and (s.action == "remove") == removals
        )

    def add(self, step: Step, code: str | None = None, skip: bool = False) -> None:
        position = len(self.steps)
        self.steps.append(step)
        if code is not None:
            (self.skipped if skip and code in SKIPPABLE else self.fatal)[position] = code


def location(collection: Collection, path: str) -> str:
    """Where data-fault rules look: `ENDPOINT_ID/path` (the file-system path)."""
    return f"{collection.id}/{path.strip('/')}"


def _join(base: str, rest: str) -> str:
    return base.rstrip("/") + "/" + rest if rest else base


def missing(path: str) -> Entry:
    """The stand-in entry of a path that does not exist (a step that fails)."""
    return Entry(path.strip("/"), "file", 0, datetime.min, "")


def weightless(entry: Entry) -> Entry:
    """A removal moves no bytes: the engine times it by per-file overhead alone."""
    return Entry(entry.path, entry.kind, 0, entry.mtime, entry.checksum, entry.target)


def _parents(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:n]) for n in range(1, len(parts))]


def _is_dir(collection: Collection, entry: Entry | None, at: datetime) -> bool:
    if entry is not None and entry.kind == "symlink":
        entry = follow(collection, entry, at)
    return entry is not None and entry.kind == "dir"


def _excluded(rules: tuple[FilterRule, ...] | None, entry: Entry) -> bool:
    for rule in rules or ():
        if rule.type is not None and rule.type != ("dir" if entry.kind == "dir" else "file"):
            continue
        if fnmatch.fnmatchcase(entry.name, rule.name):
            return rule.method == "exclude"
    return False


def _needs_copy(level: int | None, source: Entry, existing: Entry | None) -> bool:
    """Doc 2.3, sync_level: higher levels include the checks of the lower ones."""
    if level is None or existing is None or existing.kind != source.kind:
        return True
    if level >= 1 and existing.size != source.size:
        return True
    if level >= 2 and existing.mtime < source.mtime:
        return True
    return level >= 3 and existing.checksum != source.checksum


class _TransferPlanner:
    def __init__(
        self, doc: TransferDocument, source: Collection, destination: Collection, faults: DataFaults
    ) -> None:
        self.doc, self.source, self.destination, self.faults = doc, source, destination, faults
        self.dirs: list[tuple[Step, str | None]] = []  # with a transient listing error's code
        self.items: list[tuple[Step, str | None]] = []
        self.extras: list[Step] = []
        self.judged = 0

    def _tick(self) -> Chunked[None]:
        """Count one judged path; pause after every CHUNK of them."""
        self.judged += 1
        if self.judged % CHUNK == 0:
            yield

    def build(self, at: datetime) -> Chunked[Plan]:
        for item in self.doc.items:
            yield from self._tick()
            src, dst = (
                resolve(self.source, item.source_path),
                resolve(self.destination, item.destination_path),
            )
            entry = self.source.fs.stat(src, at)
            recursive = item.recursive
            if recursive is None:
                recursive = _is_dir(self.source, entry, at)
            blocked = self._blocked_parent(dst, at)
            if blocked is not None:
                self._fail(src, item.source_path, item.destination_path, blocked, entry)
            elif item.symlink:
                self._symlink_item(entry, src, dst, item.source_path, item.destination_path, at)
            elif recursive:
                yield from self._directory(entry, src, dst, item.source_path, item.destination_path, at)
            else:
                copied = len(self.items)
                self._file(entry, src, dst, item.source_path, item.destination_path, at)
                self._check_external(item.external_checksum, item.checksum_algorithm, copied)
        plan = Plan()
        for step, code in self.dirs:
            if code is not None:
                plan.transient[len(plan.steps)] = code
            plan.add(step)
        for step, code in self.items:
            plan.add(step, code, self.doc.skip_source_errors)
        for step in self.extras:
            plan.add(step)
        yield from self._judge_layout(plan)
        self._judge(plan)
        plan.sync_skipped = self.sync_skipped
        return plan

    sync_skipped = 0

    def _fail(self, path: str, src_path: str, dst_path: str, code: str, entry: Entry | None = None) -> None:
        """A step that fails with `code`; `entry` is the source's, if it exists (a directory's step
        makes directories, so its error reads as the real one does)."""
        action: Action = "mkdir" if entry is not None and entry.kind == "dir" else "write"
        step = Step(entry or missing(path), "", action, src_path, dst_path, found=entry is not None)
        self.items.append((step, code))

    def _check_external(self, expected: str | None, algorithm: str | None, position: int) -> None:
        """A file item's `external_checksum`: the copy is checked against it, and a file whose
        checksum differs fails with EXTERNAL_CHECKSUM_MISMATCH (an event code, reference 5.2)."""
        if expected is None or position >= len(self.items):
            return
        step, code = self.items[position]
        step = replace(step, checksum_algorithm=algorithm or "MD5")
        if code is None and step.entry.checksum.lower() != expected.lower():
            code = "EXTERNAL_CHECKSUM_MISMATCH"
        self.items[position] = (step, code)

    def _blocked_parent(self, target: str, at: datetime) -> str | None:
        """NOT_A_DIRECTORY if a parent of a destination path is, or will be, something else."""
        for parent in _parents(target):
            if self._not_a_directory(parent, at):
                return "NOT_A_DIRECTORY"
        return None

    def _will_be_file(self, target: str, at: datetime) -> bool:
        """Whether a task still running on the destination will write something else than a
        directory at `target` (its later steps come before ours: it was submitted first)."""
        return bool(self.destination.fs.promised(target, at) - {"dir"})

    def _is_directory(self, target: str, existing: Entry | None, at: datetime) -> bool:
        """Whether `target` is (`existing` is what is there now), or a task still running on the
        destination will make it, a directory."""
        if existing is not None:
            return existing.kind == "dir"
        fs = self.destination.fs
        return "dir" in fs.promised(target, at) or fs.promised_below(target, at)

    def _write(self, entry: Entry, target: str, src_path: str, dst_path: str, at: datetime) -> None:
        existing = self.destination.fs.stat(target, at)
        if self._is_directory(target, existing, at):
            return self._fail(entry.path, src_path, dst_path, "IS_A_DIRECTORY", entry)
        if not _needs_copy(self.doc.sync_level, entry, existing):
            self.sync_skipped += 1
            return
        self.items.append((Step(entry, target, "write", src_path, dst_path), None))

    def _symlink_item(
        self, entry: Entry | None, src: str, dst: str, src_path: str, dst_path: str, at: datetime
    ) -> None:
        if entry is None:
            self._fail(src, src_path, dst_path, "FILE_NOT_FOUND")
        elif entry.kind != "symlink":
            self._fail(src, src_path, dst_path, "NOT_A_SYMLINK", entry)
        elif self._is_directory(dst, self.destination.fs.stat(dst, at), at):
            self._fail(src, src_path, dst_path, "IS_A_DIRECTORY", entry)
        else:
            self.items.append((Step(entry, dst, "write", src_path, dst_path), None))

    def _file(
        self, entry: Entry | None, src: str, dst: str, src_path: str, dst_path: str, at: datetime
    ) -> None:
        if entry is not None and entry.kind == "symlink":
            entry = follow(self.source, entry, at)
        if entry is None:
            self._fail(src, src_path, dst_path, "FILE_NOT_FOUND")
        elif entry.kind == "dir":
            self._fail(src, src_path, dst_path, "IS_A_DIRECTORY", entry)
        else:
            self._write(entry, dst, src_path, dst_path, at)

    def _directory(
        self, entry: Entry | None, src: str, dst: str, src_path: str, dst_path: str, at: datetime
    ) -> Chunked[None]:
        if entry is not None and entry.kind == "symlink":
            followed = follow(self.source, entry, at)
            entry = followed
            src = followed.path if followed is not None else src
        if entry is None:
            return self._fail(src, src_path, dst_path, "FILE_NOT_FOUND")
        if entry.kind != "dir":
            return self._fail(src, src_path, dst_path, "NOT_A_DIRECTORY", entry)
        refused = self._not_a_directory(dst, at) or self._unlistable(src)
        if refused in FATAL:
            return self._fail(src, src_path, dst_path, refused, entry)
        fs, rules = self.source.fs, self.doc.filter_rules
        self.dirs.append((Step(entry, dst, "mkdir", src_path, dst_path), refused))
        excluded: list[str] = []
        wanted, unlisted = set(), []
        for path in fs.directories(src, at):
            yield from self._tick()
            rest = path[len(src) :].lstrip("/")
            sub = fs.stat(path, at) or entry
            if any(path.startswith(e + "/") for e in excluded) or _excluded(rules, sub):
                excluded.append(path)
                continue
            wanted.add(rest)
            refused = self._not_a_directory(_join(dst, rest), at) or self._unlistable(path)
            if refused in FATAL:
                excluded.append(path)
                unlisted.append(rest)
                self._fail(path, _join(src_path, rest), _join(dst_path, rest), refused or "", sub)
                continue
            step = Step(sub, _join(dst, rest), "mkdir", _join(src_path, rest), _join(dst_path, rest))
            self.dirs.append((step, refused))
        for file in fs.files(src, at):
            yield from self._tick()
            rest = file.path[len(src) :].lstrip("/")
            if any(file.path.startswith(e + "/") for e in excluded) or _excluded(rules, file):
                continue
            if file.kind == "symlink" and self.doc.recursive_symlinks == "ignore":
                continue
            wanted.add(rest)
            target, src_rest, dst_rest = _join(dst, rest), _join(src_path, rest), _join(dst_path, rest)
            yield from self._link_or_file(file, target, src_rest, dst_rest, at)
        if self.doc.delete_destination_extra:
            yield from self._extras(dst, dst_path, wanted, unlisted, at)

    def _not_a_directory(self, target: str, at: datetime) -> str | None:
        """NOT_A_DIRECTORY if a directory's destination exists, or will exist, as something else."""
        existing = self.destination.fs.stat(target, at)
        if existing is None:
            return "NOT_A_DIRECTORY" if self._will_be_file(target, at) else None
        return None if _is_dir(self.destination, existing, at) else "NOT_A_DIRECTORY"

    def _unlistable(self, path: str) -> str | None:
        """The code of an `enumeration` data fault on a source directory: listing it fails."""
        fault = self.faults.outcome(location(self.source, path)) if self.faults else None
        return fault.error if fault is not None and fault.stage == "enumeration" else None

    def _link_or_file(
        self, file: Entry, target: str, src_path: str, dst_path: str, at: datetime
    ) -> Chunked[None]:
        if file.kind == "symlink" and self.doc.recursive_symlinks == "copy":
            followed = follow(self.source, file, at)
            if followed is None:
                # Doc 2.3, copy: the task fails if a symlink is invalid.
                return self._fail(file.path, src_path, dst_path, "INVALID_SYMLINK", file)
            if followed.kind == "dir":
                return (yield from self._linked_directory(followed, target, src_path, dst_path, at))
            file = Entry(file.path, "file", followed.size, followed.mtime, followed.checksum)
        self._write(file, target, src_path, dst_path, at)

    def _linked_directory(
        self, directory: Entry, target: str, src_path: str, dst_path: str, at: datetime
    ) -> Chunked[None]:
        """Doc 2.3, copy: a link to a directory becomes a directory (links inside it are not followed)."""
        fs = self.source.fs
        self.dirs.append((Step(directory, target, "mkdir", src_path, dst_path), None))
        for path in fs.directories(directory.path, at):
            yield from self._tick()
            rest = path[len(directory.path) :].lstrip("/")
            sub = fs.stat(path, at) or directory
            step = Step(sub, _join(target, rest), "mkdir", _join(src_path, rest), _join(dst_path, rest))
            self.dirs.append((step, None))
        for file in fs.files(directory.path, at):
            yield from self._tick()
            if file.kind == "file":
                rest = file.path[len(directory.path) :].lstrip("/")
                self._write(file, _join(target, rest), _join(src_path, rest), _join(dst_path, rest), at)

    def _extras(
        self, dst: str, dst_path: str, wanted: set[str], unlisted: list[str], at: datetime
    ) -> Chunked[None]:
        """Doc 2.3, delete_destination_extra: files, symlinks and directories the source lacks.

        What lies under a source directory that could not be listed is left alone.
        """
        fs = self.destination.fs
        if fs.stat(dst, at) is None:
            return
        kept = wanted | {parent for path in wanted for parent in _parents(path)}
        for existing in fs.files(dst, at):
            yield from self._tick()
            rest = existing.path[len(dst) :].lstrip("/")
            if rest not in wanted and not any(rest.startswith(u + "/") for u in unlisted):
                step = Step(weightless(existing), existing.path, "remove", "", _join(dst_path, rest))
                self.extras.append(step)
        removed: list[str] = []
        for path in fs.directories(dst, at):
            yield from self._tick()
            rest = path[len(dst) :].lstrip("/")
            if rest in kept or any(rest.startswith(r + "/") for r in removed):
                continue
            if any(rest.startswith(w + "/") for w in wanted):
                continue  # inside a directory a copied symlink became
            removed.append(rest)
            entry = fs.stat(path, at) or Entry(path, "dir", 0, at, "")
            self.extras.append(Step(weightless(entry), path, "remove", "", _join(dst_path, rest) + "/"))

    def _judge_layout(self, plan: Plan) -> Chunked[None]:
        """Each step against the destination as the task's earlier steps will have left it.

        Doc 3.2, transfer_item: "all parent directories are created automatically", which a file
        this task wrote earlier at a parent's path prevents (NOT_A_DIRECTORY); a file cannot be
        written where this task made a directory (IS_A_DIRECTORY).
        """
        made: dict[str, bool] = {}  # target of an earlier step -> whether it is a directory
        parents_made: set[str] = set()
        for position, step in enumerate(plan.steps):
            yield from self._tick()
            if step.action == "remove" or position in plan.fatal or position in plan.skipped:
                continue
            parents = _parents(step.target)
            directory = step.action == "mkdir"
            if any(made.get(parent) is False for parent in parents) or (
                directory and made.get(step.target) is False
            ):
                plan.fatal[position] = "NOT_A_DIRECTORY"
            elif not directory and (made.get(step.target) or step.target in parents_made):
                plan.fatal[position] = "IS_A_DIRECTORY"
            else:
                made[step.target] = directory
                parents_made.update(parents)

    def _judge(self, plan: Plan) -> None:
        if not self.faults:
            return
        for position, step in enumerate(plan.steps):
            if step.action != "write" or position in plan.fatal or position in plan.skipped:
                continue
            fault = self.faults.outcome(location(self.source, step.entry.path))
            if fault is None:
                continue
            code = fault.error
            if code in FATAL or (code in QUOTA and self.doc.fail_on_quota_errors):
                target = plan.skipped if self.doc.skip_source_errors and code in SKIPPABLE else plan.fatal
                target[position] = code
            else:
                plan.transient[position] = code


def transfer_plan(
    doc: TransferDocument, source: Collection, destination: Collection, faults: DataFaults, at: datetime
) -> Chunked[Plan]:
    """The steps of a transfer task, judged against the trees as they are at `at`."""
    return _TransferPlanner(doc, source, destination, faults).build(at)
