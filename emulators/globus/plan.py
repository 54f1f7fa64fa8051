"""Turning a transfer or delete document into an engine plan: what moves, what is skipped, what fails.

A plan is an ordered list of steps, each an engine "file": directories to create come first, then
files and symlinks to write (or, for a delete, paths to remove, contents before their directory),
then destination extras to remove. Each step knows its destination path and what it does there, so
the destination `FileSystem` changes as the engine finishes steps.

Rules applied here, at the moment the service would discover them (doc sections in brackets):
- a missing source fails the task with FILE_NOT_FOUND, a file given as recursive with
  NOT_A_DIRECTORY, a directory given as a file with IS_A_DIRECTORY, a non-symlink given as a
  transfer_symlink_item with NOT_A_SYMLINK [3.2.1-3.2.3];
- sync_level 0-3 skips files that exist / have the same size / are not older / have the same checksum
  at the destination [2.3, sync_level]; filter_rules include or exclude names, first match wins;
- recursive_symlinks ignore / keep / copy, an invalid symlink with copy fails the task [2.3];
- delete_destination_extra removes what the source does not have [2.3];
- delete: recursive is needed for directories, ignore_missing, interpret_globs on the last path
  component with backslash escapes, dot files matched only by a literal dot [2.6];
- data-fault rules (`ENDPOINT_ID/path`): FILE_NOT_FOUND and PERMISSION_DENIED fail the task, or are
  skipped with skip_source_errors; quota errors fail it with fail_on_quota_errors; other codes are
  transient: an error event and a fault, then the retry succeeds.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from emulators.core.datafaults import DataFaults
from emulators.core.filesystem import FileSystem
from emulators.core.storage import Entry
from emulators.globus.endpoints import follow, resolve
from emulators.globus.models import DeleteDocument, FilterRule, TransferDocument
from emulators.globus.store import Collection

Action = Literal["mkdir", "write", "remove"]
SKIPPABLE = frozenset({"FILE_NOT_FOUND", "PERMISSION_DENIED"})
QUOTA = frozenset({"QUOTA_EXCEEDED", "NO_SPACE_LEFT"})
FATAL = SKIPPABLE | frozenset({"NOT_A_DIRECTORY", "IS_A_DIRECTORY", "NOT_A_SYMLINK", "INVALID_SYMLINK"})


@dataclass(frozen=True)
class Step:
    """One engine file: `entry` is what the source has (sizes drive the engine), `target` where it goes."""

    entry: Entry
    target: str
    action: Action
    source_path: str  # as the client named it, for successful_transfers and skipped_errors
    destination_path: str


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    fatal: dict[int, str] = field(default_factory=dict)  # position -> code: the task fails there
    skipped: dict[int, str] = field(default_factory=dict)  # position -> code (skip_source_errors)
    transient: dict[int, str] = field(default_factory=dict)  # position -> code (retried)
    sync_skipped: int = 0

    @property
    def failures(self) -> dict[int, str]:
        return {**self.fatal, **self.skipped}

    def count(self, *kinds: str, removals: bool = False) -> int:
        """Steps of these kinds: the ones written (a transfer) or the ones removed (a delete)."""
        return sum(1 for s in self.steps if s.entry.kind in kinds and (s.action == "remove") == removals)

    def add(self, step: Step, code: str | None = None, skip: bool = False) -> None:
        position = len(self.steps)
        self.steps.append(step)
        if code is not None:
            (self.skipped if skip and code in SKIPPABLE else self.fatal)[position] = code


def _abs(path: str) -> str:
    return "/" + path.strip("/")


def _join(base: str, rest: str) -> str:
    return base.rstrip("/") + "/" + rest if rest else base


def _missing(path: str) -> Entry:
    return Entry(path.strip("/"), "file", 0, datetime.min, "")


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
        self.dirs: list[Step] = []
        self.items: list[tuple[Step, str | None]] = []
        self.extras: list[Step] = []

    def build(self, at: datetime) -> Plan:
        for item in self.doc.items:
            src, dst = (
                resolve(self.source, item.source_path),
                resolve(self.destination, item.destination_path),
            )
            entry = self.source.fs.stat(src, at)
            if item.symlink:
                self._symlink_item(entry, src, dst, item.source_path, item.destination_path)
            elif item.recursive:
                self._directory(entry, src, dst, item.source_path, item.destination_path, at)
            else:
                self._file(entry, src, dst, item.source_path, item.destination_path, at)
        plan = Plan()
        for step in self.dirs:
            plan.add(step)
        for step, code in self.items:
            plan.add(step, code, self.doc.skip_source_errors)
        for step in self.extras:
            plan.add(step)
        self._judge(plan)
        plan.sync_skipped = self.sync_skipped
        return plan

    sync_skipped = 0

    def _fail(self, path: str, src_path: str, dst_path: str, code: str) -> None:
        self.items.append((Step(_missing(path), "", "write", src_path, dst_path), code))

    def _write(self, entry: Entry, target: str, src_path: str, dst_path: str, at: datetime) -> None:
        existing = self.destination.fs.stat(target, at)
        if not _needs_copy(self.doc.sync_level, entry, existing):
            self.sync_skipped += 1
            return
        self.items.append((Step(entry, target, "write", src_path, dst_path), None))

    def _symlink_item(self, entry: Entry | None, src: str, dst: str, src_path: str, dst_path: str) -> None:
        if entry is None:
            self._fail(src, src_path, dst_path, "FILE_NOT_FOUND")
        elif entry.kind != "symlink":
            self._fail(src, src_path, dst_path, "NOT_A_SYMLINK")
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
            self._fail(src, src_path, dst_path, "IS_A_DIRECTORY")
        else:
            self._write(entry, dst, src_path, dst_path, at)

    def _directory(
        self, entry: Entry | None, src: str, dst: str, src_path: str, dst_path: str, at: datetime
    ) -> None:
        if entry is not None and entry.kind == "symlink":
            followed = follow(self.source, entry, at)
            entry = followed
            src = followed.path if followed is not None else src
        if entry is None:
            return self._fail(src, src_path, dst_path, "FILE_NOT_FOUND")
        if entry.kind != "dir":
            return self._fail(src, src_path, dst_path, "NOT_A_DIRECTORY")
        fs, rules = self.source.fs, self.doc.filter_rules
        self.dirs.append(Step(entry, dst, "mkdir", src_path, dst_path))
        excluded: list[str] = []
        for path in fs.directories(src, at):
            rest = path[len(src) :].lstrip("/")
            sub = fs.stat(path, at) or entry
            if any(path.startswith(e + "/") for e in excluded) or _excluded(rules, sub):
                excluded.append(path)
                continue
            self.dirs.append(
                Step(sub, _join(dst, rest), "mkdir", _join(src_path, rest), _join(dst_path, rest))
            )
        wanted = set()
        for file in fs.files(src, at):
            rest = file.path[len(src) :].lstrip("/")
            if any(file.path.startswith(e + "/") for e in excluded) or _excluded(rules, file):
                continue
            if file.kind == "symlink" and self.doc.recursive_symlinks == "ignore":
                continue
            wanted.add(rest)
            self._link_or_file(file, _join(dst, rest), _join(src_path, rest), _join(dst_path, rest), at)
        if self.doc.delete_destination_extra:
            self._extras(dst, dst_path, wanted, at)

    def _link_or_file(self, file: Entry, target: str, src_path: str, dst_path: str, at: datetime) -> None:
        if file.kind == "symlink" and self.doc.recursive_symlinks == "copy":
            followed = follow(self.source, file, at)
            if followed is None:
                # Doc 2.3, copy: the task fails if a symlink is invalid.
                return self._fail(file.path, src_path, dst_path, "INVALID_SYMLINK")
            if followed.kind == "dir":
                return self._linked_directory(followed, target, src_path, dst_path, at)
            file = Entry(file.path, "file", followed.size, followed.mtime, followed.checksum)
        self._write(file, target, src_path, dst_path, at)

    def _linked_directory(
        self, directory: Entry, target: str, src_path: str, dst_path: str, at: datetime
    ) -> None:
        """Doc 2.3, copy: a link to a directory becomes a directory (links inside it are not followed)."""
        fs = self.source.fs
        self.dirs.append(Step(directory, target, "mkdir", src_path, dst_path))
        for path in fs.directories(directory.path, at):
            rest = path[len(directory.path) :].lstrip("/")
            sub = fs.stat(path, at) or directory
            self.dirs.append(
                Step(sub, _join(target, rest), "mkdir", _join(src_path, rest), _join(dst_path, rest))
            )
        for file in fs.files(directory.path, at):
            if file.kind == "file":
                rest = file.path[len(directory.path) :].lstrip("/")
                self._write(file, _join(target, rest), _join(src_path, rest), _join(dst_path, rest), at)

    def _extras(self, dst: str, dst_path: str, wanted: set[str], at: datetime) -> None:
        fs = self.destination.fs
        if fs.stat(dst, at) is None:
            return
        for existing in fs.files(dst, at):
            rest = existing.path[len(dst) :].lstrip("/")
            if rest not in wanted:
                step = Step(existing, existing.path, "remove", "", _join(dst_path, rest))
                self.extras.append(step)

    def _judge(self, plan: Plan) -> None:
        if not self.faults:
            return
        for position, step in enumerate(plan.steps):
            if step.action != "write" or position in plan.fatal or position in plan.skipped:
                continue
            fault = self.faults.outcome(f"{self.source.id}{_abs(step.entry.path)}")
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
) -> Plan:
    """The steps of a transfer task, judged against the trees as they are at `at`."""
    return _TransferPlanner(doc, source, destination, faults).build(at)


# -- delete ----------------------------------------------------------------------------------------

_GLOB_CHARS = re.compile(r"(?<!\\)[*?\[\]]")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def glob_pattern(component: str) -> re.Pattern[str]:
    """Doc 2.6, interpret_globs: a shell pattern for one path component, backslash escapes literal."""
    out, i = [], 0
    while i < len(component):
        c = component[i]
        if c == "\\" and i + 1 < len(component):
            out.append(re.escape(component[i + 1]))
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = component.find("]", i + 2)
            if end < 0:
                out.append(re.escape(c))
            else:
                body = component[i + 1 : end]
                negate = body.startswith("!")
                body = re.sub(r"([\\\]^])", r"\\\1", body[1:] if negate else body)
                out.append(f"[{'^' if negate else ''}{body}]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out))


def expand_globs(fs: FileSystem, collection: Collection, path: str, at: datetime) -> list[str] | None:
    """The file-system paths a delete_item path names with interpret_globs; None if it has no glob."""
    head, _, last = path.rstrip("/").rpartition("/")
    if not _GLOB_CHARS.search(last):
        return None
    parent = resolve(collection, _unescape(head) or "/")
    directory = fs.stat(parent, at)
    if directory is not None and directory.kind == "symlink":
        # Doc 2.6: the second-to-last component may be a symlink to a directory; it is followed.
        directory = follow(collection, directory, at)
        parent = directory.path if directory is not None else parent
    pattern = glob_pattern(last)
    literal_dot = last.startswith(".") or last.startswith("\\.")
    children = fs.listdir(parent, at) or []
    return [
        child.path
        for child in children
        if child.name not in (".", "..")
        and (literal_dot or not child.name.startswith("."))
        and pattern.fullmatch(child.name)
    ]


def delete_plan(doc: DeleteDocument, collection: Collection, faults: DataFaults, at: datetime) -> Plan:
    """The steps of a delete task: files first, then directories deepest first."""
    fs = collection.fs
    plan = Plan()
    removals: list[tuple[Step, str | None]] = []
    directories: list[Step] = []
    for path in doc.paths:
        expanded = expand_globs(fs, collection, path, at) if doc.interpret_globs else None
        literal = _unescape(path) if doc.interpret_globs else path
        targets = expanded if expanded is not None else [resolve(collection, literal)]
        if not targets and not doc.ignore_missing:
            removals.append((Step(_missing(path), "", "remove", path, ""), "FILE_NOT_FOUND"))
        for target in targets:
            entry = fs.stat(target, at)
            if entry is None:
                if not doc.ignore_missing:
                    removals.append((Step(_missing(target), "", "remove", path, ""), "FILE_NOT_FOUND"))
                continue
            if entry.kind != "dir":
                removals.append((Step(_zero(entry), target, "remove", path, ""), None))
                continue
            if not doc.recursive:
                removals.append((Step(_zero(entry), target, "remove", path, ""), "IS_A_DIRECTORY"))
                continue
            removals += [(Step(_zero(f), f.path, "remove", path, ""), None) for f in fs.files(target, at)]
            subdirs = [fs.stat(d, at) or entry for d in fs.directories(target, at)]
            directories += [Step(_zero(d), d.path, "remove", path, "") for d in reversed(subdirs)]
            directories.append(Step(_zero(entry), target, "remove", path, ""))
    for step, code in removals:
        plan.add(step, code)
    for step in directories:
        plan.add(step)
    for position, step in enumerate(plan.steps):
        fault = faults.outcome(f"{collection.id}{_abs(step.entry.path)}") if faults else None
        if fault is not None and position not in plan.fatal:
            (plan.fatal if fault.error in FATAL else plan.transient)[position] = fault.error
    return plan


def _zero(entry: Entry) -> Entry:
    """A delete moves no bytes: the engine times it by per-file overhead alone."""
    return Entry(entry.path, entry.kind, 0, entry.mtime, entry.checksum, entry.target)
