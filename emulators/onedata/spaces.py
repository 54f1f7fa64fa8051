"""Spaces as the emulated Oneprovider sees them: their trees, file ids, and who holds which replica.

A space's files live on the core's lazy `Tree` (paths relative to the space root). Replicas are kept
per *unit*: an explicit file, or a whole generated set, so a set of a million files costs one entry.
Each unit starts with the providers its longest-matching `replicas` rule names (default: the space's
first supporting provider) and changes when a transfer completes.

File uuids are datastore keys derived from the space and path, so they stay the same across resets:
an explicit file or directory gets a hash of its path (indexed both ways), a generated file encodes
its set and index (`ffff` + set + index), so its id is decoded rather than stored.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from emulators.core.storage import FileRange, GeneratedFiles, Tree
from emulators.onedata.file_id import FileIdError, file_objectid, parse_file_objectid, space_root_uuid
from emulators.onedata.scenario import Space

Unit = str  # an explicit file's path, or "set:<k>" for generated set k
_GENERATED = re.compile(r"ffff([0-9a-f]{4})([0-9a-f]{24})ch[0-9a-f]{4}")


@dataclass(frozen=True)
class Node:
    """A file or directory of a space: its path below the space root ("" for the root) and kind."""

    path: str
    kind: str  # "REG" or "DIR"
    size: int = 0


@dataclass
class SpaceState:
    """One space's tree, ids and replica holders."""

    spec: Space
    tree: Tree
    _by_uuid: dict[str, Node] = field(default_factory=dict)
    _uuid_of: dict[str, str] = field(default_factory=dict)
    holders: dict[Unit, frozenset[str]] = field(default_factory=dict)
    # Partial replicas of explicit files: path -> provider -> sorted, merged [offset, end) blocks.
    partial: dict[str, dict[str, list[tuple[int, int]]]] = field(default_factory=dict)

    @classmethod
    def build(cls, spec: Space, seed: int, mtime: datetime) -> SpaceState:
        state = cls(spec, Tree(spec.tree, seed, mtime))
        state._index(Node("", "DIR"), space_root_uuid(spec.id))
        for entry in state.tree.explicit:
            state._index_parents(entry.path)
            kind = "DIR" if entry.kind == "dir" else "REG"
            state._index(Node(entry.path, kind, entry.size), state._hashed(entry.path))
        for gen in state.tree.generated:
            if gen.prefix:
                state._index_parents(gen.prefix.rstrip("/") + "/x")
            step = gen.spec.per_directory
            for first in range(0, gen.count, step) if step else ():  # its sub-directories
                state._index_parents(gen.path(first))
        for entry in state.tree.explicit:
            if entry.kind != "dir":
                state.holders[entry.path] = state._initial_holders(entry.path)
        for k, gen in enumerate(state.tree.generated):
            state.holders[f"set:{k}"] = state._initial_holders(gen.prefix.rstrip("/"))
        sizes = {e.path: e.size for e in state.tree.explicit if e.kind != "dir"}
        for rule in spec.replicas:
            path = rule.path.strip("/")
            for provider, blocks in rule.blocks.items():
                merged = _merge((offset, min(offset + length, sizes[path])) for offset, length in blocks)
                if merged:
                    state.partial.setdefault(path, {})[provider] = merged
        return state

    def blocks(self, path: str, provider: str, size: int) -> list[tuple[int, int]]:
        """The [offset, end) blocks of the file at `path` that `provider` holds."""
        if provider in self.holders.get(path, frozenset()):
            return [(0, size)] if size else []
        return self.partial.get(path, {}).get(provider, [])

    def held_bytes(self, path: str, provider: str, size: int) -> int:
        return sum(end - offset for offset, end in self.blocks(path, provider, size))

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def origin(self) -> str | None:
        return next(iter(self.spec.supports), None)

    def _hashed(self, path: str) -> str:
        digest = hashlib.sha256(f"{self.spec.id}/{path}".encode()).hexdigest()
        return f"{digest[:32]}ch{digest[32:36]}"

    def _index(self, node: Node, uuid: str) -> None:
        self._by_uuid[uuid] = node
        self._uuid_of[node.path] = uuid

    def _index_parents(self, path: str) -> None:
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            parent = "/".join(parts[:depth])
            if parent not in self._uuid_of:
                self._index(Node(parent, "DIR"), self._hashed(parent))

    def _initial_holders(self, path: str) -> frozenset[str]:
        best: tuple[int, list[str]] | None = None
        for rule in self.spec.replicas:
            prefix = rule.path.strip("/")
            matches = prefix == "" or path == prefix or path.startswith(prefix + "/")
            if matches and (best is None or len(prefix) >= best[0]):
                best = (len(prefix), rule.providers)
        if best is not None:
            return frozenset(best[1])
        return frozenset([self.origin]) if self.origin else frozenset()

    # -- ids --------------------------------------------------------------------------------------

    def objectid(self, path: str) -> str | None:
        """The objectid of the file or directory at `path` (None if there is none)."""
        uuid = self._uuid_of.get(path)
        if uuid is None:
            uuid = self._generated_uuid(path)
        return None if uuid is None else file_objectid(uuid, self.spec.id)

    def _generated_uuid(self, path: str) -> str | None:
        for k, gen in enumerate(self.tree.generated):
            lo, hi = _exact(gen, path)
            if hi > lo:
                tag = hashlib.sha256(self.spec.id.encode()).hexdigest()[:4]
                return f"ffff{k:04x}{lo:024x}ch{tag}"
        return None

    def node(self, uuid: str) -> Node | None:
        """The file or directory a uuid names in this space."""
        node = self._by_uuid.get(uuid)
        if node is not None:
            return node
        match = _GENERATED.fullmatch(uuid)
        if match is None:
            return None
        k, index = int(match.group(1), 16), int(match.group(2), 16)
        if k >= len(self.tree.generated) or index >= self.tree.generated[k].count:
            return None
        gen = self.tree.generated[k]
        return Node(gen.path(index), "REG", gen.size(index))

    # -- files and replicas -----------------------------------------------------------------------

    def files(self, node: Node) -> FileRange:
        """The regular files a transfer of `node` covers, in plan order."""
        if node.kind == "REG":
            if node.path in self.holders:
                return FileRange([e for e in self.tree.explicit if e.path == node.path], [])
            for gen in self.tree.generated:
                lo, hi = _exact(gen, node.path)
                if hi > lo:
                    return FileRange([], [(gen, lo, hi)])
            return FileRange([], [])
        return self.tree.files(node.path + "/" if node.path else "")

    def files_of(self, paths: list[str]) -> FileRange:
        """The regular files among `paths` (a view's results), in that order; others are ignored."""
        by_path = {e.path: e for e in self.tree.explicit if e.kind != "dir"}
        return FileRange([by_path[p.strip("/")] for p in paths if p.strip("/") in by_path], [])

    def unit_of(self, gen: GeneratedFiles | None, path: str) -> Unit:
        if gen is None:
            return path
        return f"set:{self.tree.generated.index(gen)}"

    def children(self, node: Node) -> tuple[list[Node], list[tuple[GeneratedFiles, int, int]]]:
        """A directory's children: its named entries (explicit ones and directories) sorted by path,
        then the generated files directly in it, as index ranges (never materialised)."""
        named = sorted(
            (
                self._by_uuid[uuid]
                for path, uuid in self._uuid_of.items()
                if path and _parent(path) == node.path
            ),
            key=lambda n: n.path,
        )
        prefix = node.path + "/" if node.path else ""
        ranges = []
        for gen in self.tree.generated:
            lo, hi = gen.index_range(prefix)
            if hi > lo and _parent(gen.path(lo)) == node.path:
                ranges.append((gen, lo, hi))
        return named, ranges

    def path_of(self, path: str) -> str:
        """The logical path clients see: the space name, then the path."""
        return f"/{self.spec.name}/{path}" if path else f"/{self.spec.name}"


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def _exact(gen: GeneratedFiles, path: str) -> tuple[int, int]:
    """The index range of the generated file at `path` (empty if the set has no such file)."""
    i = bisect.bisect_left(range(gen.count), path, key=gen.path)
    return (i, i + 1) if i < gen.count and gen.path(i) == path else (i, i)


def parse_objectid(objectid: str) -> tuple[str, str] | None:
    """(space id, uuid) an objectid names, or None if it is not a (non-share) file objectid."""
    try:
        guid = parse_file_objectid(objectid)
    except FileIdError:
        return None
    if guid.share_id is not None:
        return None
    return guid.space_id, guid.uuid


def _merge(blocks: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """[offset, end) blocks sorted, with overlapping or touching ones joined (empty ones dropped)."""
    merged: list[tuple[int, int]] = []
    for offset, end in sorted(b for b in blocks if b[1] > b[0]):
        if merged and offset <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((offset, end))
    return merged
