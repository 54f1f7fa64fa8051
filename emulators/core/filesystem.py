"""A mutable file system over a storage `Tree`: what services list, write into and delete from.

A `FileSystem` shows one `Tree` (never changed) through an overlay of changes: entries written or
created (`write`, `mkdir`), subtrees removed (`remove`) and moves (`rename`). Directories are explicit
(`mkdir`) or implicit: any path with something under it is a directory. Listing a directory returns
its immediate children only; a generated set is listed a group (sub-directory) at a time, so listing
the top of a million-file tree costs a few hundred entries, not a million.

Engine transfers can be attached (`attach`): each file a transfer finishes becomes a change (a write
or a removal, chosen by the service) at the instant the engine says it finished. Nothing is ticked:
every read at time t first applies the attached changes due by t, in time order, from the engine's
own schedule (so the cost over a transfer's life is one change per file, however often it is read).
Time given to reads and changes must not go backwards, as with the World's clock.

What attached transfers have yet to write is indexed (`promised`, `promised_below`): a service that
judges new work against the tree as it will be asks the index, never the transfers one by one. The
index is kept per directory, so that no single table holds every pending write of every transfer
(growing one of millions of entries stops everything while it is copied). Attaching a big transfer
is long work: `attaching` does it a chunk of positions at a time, for a caller that lets other work
run in between.

Reads are cheap however many transfers are attached: at an instant already settled nothing is
looked at again (a caller judging thousands of paths at one instant pays for the attachments once),
and at a later instant an attachment with nothing due costs one finish-time lookup. This relies on
one rule for whoever changes an attached transfer at t (stops, pauses, resumes): it may move files
that had not finished by t later, or make them never finish, but never make one finish by t.

Conventions: paths are '/'-separated and relative to the tree's root, without leading or trailing
slashes ("" is the root), as in `emulators.core.storage`. The module knows no service's vocabulary.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeVar

from emulators.core.engine import Transfer
from emulators.core.storage import Entry, FileRange, GeneratedFiles, Tree

__all__ = ["Change", "FileSystem", "Placement", "Remove", "Write", "normalize"]

_AFTER_SLASH = chr(ord("/") + 1)
ATTACH_CHUNK = 1000  # positions of a transfer promised between two pauses of `attaching`
K = TypeVar("K")


def normalize(path: str) -> str:
    """A path in the module's convention: no leading or trailing slash, no empty components."""
    if not path.startswith("/") and not path.endswith("/") and "//" not in path:
        return path  # already so (the common case: paths the module handed out itself)
    return "/".join(part for part in path.split("/") if part)


def _prefix(directory: str) -> str:
    return directory + "/" if directory else ""


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def _ancestors(path: str) -> Iterator[str]:
    """Every proper ancestor of `path`, nearest first, ending with the root ""."""
    while path:
        path = _parent(path)
        yield path


def _count(counts: dict[K, int], key: K, delta: int) -> None:
    left = counts.get(key, 0) + delta
    if left:
        counts[key] = left
    else:
        counts.pop(key, None)


@dataclass(frozen=True)
class Write:
    """Put `entry` at `entry.path` (a file, a symlink or a directory), replacing what was there."""

    entry: Entry


@dataclass(frozen=True)
class Remove:
    """Remove `path` and everything under it."""

    path: str


Change = Write | Remove
Placement = Callable[[int, Entry, datetime], Change | None]  # (position, entry, finished at)


@dataclass
class _Attachment:
    transfer: Transfer
    place: Placement
    failures: Mapping[int, str]
    applied: int = 0


@dataclass
class FileSystem:
    """A tree plus the changes made to it since the World started."""

    tree: Tree
    created: datetime
    _overlay: dict[str, Entry] = field(default_factory=dict)
    _keys: list[str] = field(default_factory=list)  # the overlay's paths, sorted
    _hidden: list[str] = field(default_factory=list)  # removed base paths (whole subtrees), sorted
    _attachments: list[_Attachment] = field(default_factory=list)
    _settled: datetime | None = None
    _attached_since: bool = False  # an attachment came after the last settle
    # directory -> (path of a child, kind) -> pending writes
    _promised: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict)
    _promised_under: dict[str, int] = field(default_factory=dict)  # directory -> pending writes below it

    # -- reading --------------------------------------------------------------------------------

    def stat(self, path: str, at: datetime) -> Entry | None:
        """The entry at `path` at `at`, or None. The root is always a directory."""
        self.settle(at)
        return self._stat(normalize(path))

    def listdir(self, path: str, at: datetime) -> list[Entry] | None:
        """The immediate children of the directory `path`, sorted by name; None unless it is a directory."""
        self.settle(at)
        return self._listdir(normalize(path), dirs_only=False)

    def _listdir(self, path: str, dirs_only: bool) -> list[Entry] | None:
        entry = self._stat(path)
        if entry is None or entry.kind != "dir":
            return None
        children: dict[str, Entry] = {}
        if not self._base_hidden(path):
            for child in self._base_children(path, dirs_only):
                if not self._base_hidden(child.path) and child.path not in self._overlay:
                    children[child.name] = child
        prefix = _prefix(path)
        keys = self._overlay_under(path)
        i = 0
        while i < len(keys):
            name = keys[i][len(prefix) :].split("/", 1)[0]
            child_path = prefix + name
            found = self._overlay.get(child_path) or children.get(name)
            children[name] = found or self._implicit_dir(child_path)
            i = bisect.bisect_left(keys, child_path + _AFTER_SLASH, lo=i + 1)
        return [children[name] for name in sorted(children)]

    def files(self, path: str, at: datetime) -> FileRange:
        """Files and symlinks under the directory `path` (recursively), in the engine's plan format."""
        self.settle(at)
        path = normalize(path)
        prefix = _prefix(path)
        base = self.tree.files(prefix) if not self._base_hidden(path) else FileRange([], [])
        touched = [k for k in self._overlay_under(path)] + [h for h in self._hidden if h.startswith(prefix)]
        if not touched:
            return base
        explicit = [e for e in base.explicit if self._base_visible(e.path)]
        kept: list[tuple[GeneratedFiles, int, int]] = []
        for gen, lo, hi in base.generated:
            first, last = gen.path(lo), gen.path(hi - 1)
            if any(first <= t <= last or last.startswith(t + "/") for t in touched):
                explicit += [e for e in map(gen.entry, range(lo, hi)) if self._base_visible(e.path)]
            else:
                kept.append((gen, lo, hi))
        explicit += [self._overlay[k] for k in self._overlay_under(path) if self._overlay[k].kind != "dir"]
        explicit.sort(key=lambda e: e.path)
        return FileRange(explicit, kept)

    def promised(self, path: str, at: datetime) -> frozenset[str]:
        """The kinds of entry that attached transfers have yet to write at `path`, as of `at`."""
        self.settle(at)
        path = normalize(path)
        pending = self._promised.get(_parent(path), {})
        return frozenset(kind for kind in ("file", "symlink", "dir") if (path, kind) in pending)

    def promised_below(self, path: str, at: datetime) -> bool:
        """Whether attached transfers have yet to write anything under `path`, as of `at`."""
        self.settle(at)
        return normalize(path) in self._promised_under

    def directories(self, path: str, at: datetime) -> list[str]:
        """Every directory under `path` (not `path` itself), parents before children."""
        self.settle(at)
        found: list[str] = []
        stack = [normalize(path)]
        while stack:
            children = self._listdir(stack.pop(), dirs_only=True) or []
            dirs = [c.path for c in children if c.kind == "dir"]
            found += dirs
            stack += reversed(dirs)
        return sorted(found)

    # -- changing -------------------------------------------------------------------------------

    def write(self, entry: Entry, at: datetime) -> None:
        """Put an entry in place (its parents become directories)."""
        self.settle(at)
        self._apply(Write(replace(entry, path=normalize(entry.path))))

    def mkdir(self, path: str, at: datetime) -> Entry:
        """Create a directory and its missing parents (an existing directory is kept)."""
        self.settle(at)
        path = normalize(path)
        existing = self._stat(path)
        if existing is not None and existing.kind == "dir":
            return existing
        entry = Entry(path, "dir", 0, at, "")
        self._apply(Write(entry))
        return entry

    def remove(self, path: str, at: datetime) -> bool:
        """Remove `path` and everything under it; False if nothing was there."""
        self.settle(at)
        path = normalize(path)
        if not path or self._stat(path) is None:
            return False
        self._apply(Remove(path))
        return True

    def rename(self, old: str, new: str, at: datetime) -> None:
        """Move `old` (and everything under it) to `new`. The caller checks both paths first."""
        self.settle(at)
        old, new = normalize(old), normalize(new)
        entry = self._stat(old)
        if entry is None:
            raise FileNotFoundError(old)
        moved = [entry]
        if entry.kind == "dir":
            moved += [self._stat(d) or entry for d in self.directories(old, at)]
            moved += list(self.files(old, at))
        self._apply(Remove(old))
        for item in moved:
            self._apply(Write(replace(item, path=new + item.path[len(old) :])))

    def attach(self, transfer: Transfer, place: Placement, failures: Mapping[int, str] | None = None) -> None:
        """Apply `place(position, entry, finished_at)` for every file of `transfer` that finishes.

        `failures` are the positions the engine was told fail; files stopped by an abort never
        finish, and a cancel freezes the transfer, so neither is placed.
        """
        for _ in self.attaching(transfer, place, failures):
            pass

    def attaching(
        self, transfer: Transfer, place: Placement, failures: Mapping[int, str] | None = None
    ) -> Generator[None, None, None]:
        """`attach`, pausing (yielding) after every `ATTACH_CHUNK` positions it has promised.

        The transfer is attached when the generator is exhausted; until then only its promises are
        indexed, and they are taken back if the generator is closed before its end.
        """
        attachment = _Attachment(transfer, place, failures or {})
        promised = 0
        try:
            while promised < transfer.total:
                chunk = range(promised, min(promised + ATTACH_CHUNK, transfer.total))
                self._promise_all(attachment, chunk, +1)
                promised = chunk.stop
                if promised < transfer.total:
                    yield
        except GeneratorExit:
            self._promise_all(attachment, range(promised), -1)
            raise
        self._attachments.append(attachment)
        self._attached_since = True

    def fail(self, transfer: Transfer, at: datetime, failures: Mapping[int, str]) -> None:
        """Positions of an attached transfer, not finished by `at`, fail from then on (`Transfer.fail`):
        they will write nothing, and no longer count as promised."""
        self.settle(at)
        transfer.fail(at, failures)
        for attachment in self._attachments:
            if attachment.transfer is transfer:
                added = {i: code for i, code in failures.items() if i not in attachment.failures}
                for position in added:  # uncounted before they join the failures, which count nothing
                    if position >= attachment.applied:
                        self._promise(attachment, position, -1)
                attachment.failures = {**attachment.failures, **added}

    def settle(self, at: datetime) -> None:
        """Apply every attached change due by `at`, in time order."""
        if self._settled is not None and at <= self._settled:
            if not self._attached_since:
                return  # settled already (see the module docstring for why nothing can be new)
            at = self._settled
        self._settled, self._attached_since = at, False
        due: list[tuple[datetime, int, int, Change]] = []
        for n, attachment in enumerate(self._attachments):
            if self._next_finish(attachment) <= at:
                due += self._due(n, attachment, at)
        due.sort(key=lambda d: d[:3])
        for *_, change in due:
            self._apply(change)
        self._attachments = [a for a in self._attachments if a.applied < a.transfer.total]

    # -- internals ------------------------------------------------------------------------------

    @staticmethod
    def _next_finish(attachment: _Attachment) -> datetime:
        """When the first file not yet applied finishes (its stop, if any, is judged in `_due`)."""
        transfer = attachment.transfer
        if attachment.applied >= transfer.total:
            return datetime.min.replace(tzinfo=transfer.start.tzinfo)  # due now: `_due` drops it
        finish = transfer.start + timedelta(seconds=transfer.finished_after(attachment.applied))
        return finish if transfer.stop is None else min(finish, transfer.stop.at)

    def _promise(self, attachment: _Attachment, position: int, delta: int) -> None:
        """Count (+1) or uncount (-1) the write a position of an attachment will make, if any."""
        self._promise_all(attachment, (position,), delta)

    def _promise_all(self, attachment: _Attachment, positions: Iterable[int], delta: int) -> None:
        """`_promise` for many positions; each directory's ancestors are counted once for them all."""
        transfer, failures, place = attachment.transfer, attachment.failures, attachment.place
        below: dict[str, int] = {}  # directory -> writes promised right inside it
        for position in positions:
            if position in failures:
                continue
            finished = transfer.start + timedelta(seconds=transfer.finished_after(position))
            change = place(position, transfer.files[position], finished)
            if not isinstance(change, Write):
                continue
            path = normalize(change.entry.path)
            parent = _parent(path)
            pending = self._promised.setdefault(parent, {})
            _count(pending, (path, change.entry.kind), delta)
            if not pending:
                del self._promised[parent]
            below[parent] = below.get(parent, 0) + delta
        for directory, count in below.items():
            _count(self._promised_under, directory, count)
            for ancestor in _ancestors(directory):
                _count(self._promised_under, ancestor, count)

    def _due(self, n: int, attachment: _Attachment, at: datetime) -> list[tuple[datetime, int, int, Change]]:
        transfer = attachment.transfer
        processed = transfer.progress(at).processed
        stop = transfer.stop
        due = []
        for i in range(attachment.applied, processed):
            self._promise(attachment, i, -1)
            finished = transfer.start + timedelta(seconds=transfer.finished_after(i))
            if i in attachment.failures or (stop is not None and stop.at < finished):
                continue
            change = attachment.place(i, transfer.files[i], finished)
            if change is not None:
                due.append((finished, n, i, change))
        attachment.applied = max(attachment.applied, processed)
        if stop is not None and stop.at <= at:
            for i in range(attachment.applied, transfer.total):
                self._promise(attachment, i, -1)
            attachment.applied = transfer.total  # stopped: nothing more will finish
        return due

    def _apply(self, change: Change) -> None:
        if isinstance(change, Remove):
            path = normalize(change.path)
            lo = bisect.bisect_left(self._keys, path)
            hi = bisect.bisect_left(self._keys, path + _AFTER_SLASH)
            for key in self._keys[lo:hi]:
                if key == path or key.startswith(path + "/"):
                    del self._overlay[key]
            self._keys[lo:hi] = [k for k in self._keys[lo:hi] if k != path and not k.startswith(path + "/")]
            if not self._base_hidden(path):
                bisect.insort(self._hidden, path)
            return
        entry = change.entry
        existing = self._stat(entry.path)
        if existing is not None and existing.kind == "dir" and entry.kind == "dir":
            return  # a directory written over a directory keeps its contents
        if existing is not None:
            self._apply(Remove(entry.path))
        for ancestor in _ancestors(entry.path):
            if not ancestor or self._stat(ancestor) is not None:
                break
            self._put(Entry(ancestor, "dir", 0, entry.mtime, ""))
        self._put(entry)

    def _put(self, entry: Entry) -> None:
        if entry.path not in self._overlay:
            bisect.insort(self._keys, entry.path)
        self._overlay[entry.path] = entry

    def _overlay_under(self, path: str) -> list[str]:
        prefix = _prefix(path)
        lo = bisect.bisect_left(self._keys, prefix)
        hi = bisect.bisect_left(self._keys, prefix[:-1] + _AFTER_SLASH) if prefix else len(self._keys)
        return self._keys[lo:hi]

    def _base_hidden(self, path: str) -> bool:
        """Whether `path` lies in a removed subtree of the base tree."""
        if not self._hidden:
            return False
        for candidate in itertools.chain([path], _ancestors(path)):
            if not candidate:
                return False
            i = bisect.bisect_left(self._hidden, candidate)
            if i < len(self._hidden) and self._hidden[i] == candidate:
                return True
        return False

    def _base_visible(self, path: str) -> bool:
        return path not in self._overlay and not self._base_hidden(path)

    def _stat(self, path: str) -> Entry | None:
        if not path:
            return Entry("", "dir", 0, self.created, "")
        if path in self._overlay:
            return self._overlay[path]
        if not self._base_hidden(path):
            entry = self._base_stat(path)
            if entry is not None:
                return entry
        if self._overlay_under(path):
            return self._implicit_dir(path)
        return None

    def _implicit_dir(self, path: str) -> Entry:
        return Entry(path, "dir", 0, self.created, "")

    def _base_stat(self, path: str) -> Entry | None:
        explicit = self.tree.explicit
        i = bisect.bisect_left(explicit, path, key=lambda e: e.path)
        if i < len(explicit) and explicit[i].path == path:
            return explicit[i]
        if i < len(explicit) and explicit[i].path.startswith(path + "/"):
            return self._implicit_dir(path)
        for gen in self.tree.generated:
            if not gen.count:
                continue
            if gen.prefix.startswith(path + "/"):
                return self._implicit_dir(path)
            if not path.startswith(gen.prefix):
                continue
            k = bisect.bisect_left(range(gen.count), path, key=gen.path)
            if k < gen.count and gen.path(k) == path:
                return gen.entry(k)
            if k < gen.count and gen.path(k).startswith(path + "/"):
                return self._implicit_dir(path)
        return None

    def _base_children(self, path: str, dirs_only: bool = False) -> Iterator[Entry]:
        """Immediate children of a base directory, without walking whole generated sets."""
        prefix = _prefix(path)
        explicit = self.tree.explicit
        i = bisect.bisect_left(explicit, prefix, key=lambda e: e.path)
        while i < len(explicit) and explicit[i].path.startswith(prefix):
            rest = explicit[i].path[len(prefix) :]
            if "/" not in rest:
                yield explicit[i]
                i += 1
                continue
            name = rest.split("/", 1)[0]
            yield self._implicit_dir(prefix + name)
            i = bisect.bisect_left(explicit, prefix + name + _AFTER_SLASH, key=lambda e: e.path)
        for gen in self.tree.generated:
            yield from self._generated_children(gen, prefix, dirs_only)

    def _generated_children(self, gen: GeneratedFiles, prefix: str, dirs_only: bool) -> Iterator[Entry]:
        if not gen.count:
            return
        if gen.prefix != prefix and gen.prefix.startswith(prefix):
            yield self._implicit_dir(prefix + gen.prefix[len(prefix) :].split("/", 1)[0])
            return
        lo, hi = gen.index_range(prefix)
        if hi <= lo:
            return
        per = gen.spec.per_directory
        if per and prefix == gen.prefix:
            for group in range(lo // per, (hi - 1) // per + 1):
                yield self._implicit_dir(prefix + gen.spec.directory.format(group=group))
            return
        if dirs_only:
            return  # generated files are never directories
        for k in range(lo, hi):
            rest = gen.path(k)[len(prefix) :]
            if "/" not in rest:
                yield gen.entry(k)
