"""Virtual storage: file trees that services list, copy from and copy to.

A tree is built from a `TreeSpec`: explicit entries (files, directories, symlinks) and any number of
generated sets of files. A generated set is described, never materialised: the name, size, mtime and
checksum of file i are computed from the set's seed and i, so a container of a million files costs a
few hundred bytes until something lists or copies it. Copying needs byte offsets, so a `FileRange`
builds one array of cumulative sizes (8 bytes per file) the first time it is asked.

Conventions: paths are relative, '/'-separated, without a leading or trailing slash. A prefix is ""
(the whole tree) or ends in "/". Generated names must sort in index order within their set; the
scenario validator checks this. Entry `attrs` are opaque to the core (a service may give them
meaning, e.g. an access tier).
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import math
import re
import string
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import Field, model_validator

from emulators.core.ids import seeded_stream
from emulators.core.spec import Spec

EntryKind = Literal["file", "dir", "symlink"]
_MASK = (1 << 64) - 1
_BLOCK = 4096  # generated sizes are drawn a block at a time from one seeded stream per block
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


class EntrySpec(Spec):
    """One explicit entry of a tree."""

    path: str = Field(min_length=1)
    type: EntryKind = "file"
    size: int = Field(default=0, ge=0)
    mtime: datetime | None = None
    checksum: str | None = None
    target: str | None = None
    attrs: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _symlink_has_target(self) -> EntrySpec:
        if (self.type == "symlink") != (self.target is not None):
            raise ValueError("a symlink needs a target and only a symlink has one")
        return self


class SizeSpec(Spec):
    """How generated file sizes are distributed (bytes)."""

    distribution: Literal["fixed", "uniform", "lognormal"] = "lognormal"
    value: int = Field(default=1024, ge=0, description="the size, for 'fixed'")
    min: int = Field(default=0, ge=0)
    max: int = Field(default=1 << 40, ge=0)
    median: int = Field(default=65536, ge=1, description="for 'lognormal'")
    sigma: float = Field(default=1.0, ge=0, le=10)


class GeneratedSpec(Spec):
    """A set of files described by a pattern and a seed, materialised only when read."""

    count: int = Field(ge=0, le=100_000_000)
    prefix: str = Field(default="", description="directory the files go under")
    per_directory: int | None = Field(default=None, ge=1, description="files per sub-directory")
    directory: str = Field(default="dir{group:05d}", description="sub-directory name; {group}")
    name: str = Field(default="file{index:08d}{ext}", description="file name; {index} and {ext}")
    extensions: list[str] = Field(default_factory=lambda: [".bin"], min_length=1)
    size: SizeSpec = Field(default_factory=SizeSpec)
    mtime_start: datetime = _EPOCH
    mtime_spread_days: float = Field(default=365.0, ge=0)
    seed: int | None = Field(default=None, description="default: the scenario seed")
    attrs: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _names_sort_in_index_order(self) -> GeneratedSpec:
        _check_pattern(self.name, "name", {"index", "ext"})
        _check_pattern(self.directory, "directory", {"group"})
        # Listing by prefix is a binary search over indices, so names must sort as indices do
        # (zero-padded numbers: {index:08d}, not {index}).
        files = GeneratedFiles(self, 0)
        points = sorted(_sample_indices(self))
        try:
            names = [files.path(i) for i in points]
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"the name pattern cannot be formatted: {exc}") from None
        for (i, a), (j, b) in itertools.pairwise(zip(points, names, strict=True)):
            if not a < b:
                raise ValueError(
                    f"generated names must sort in index order, but file {j} ({b!r}) "
                    f"does not sort after file {i} ({a!r}); pad the numbers"
                )
        return self


MAX_PATTERN_WIDTH = 255


def _check_pattern(pattern: str, what: str, fields: set[str]) -> None:
    """A name pattern may use only its own fields, as they are (`{index:08d}`, not `{index.real}`),
    with widths up to MAX_PATTERN_WIDTH: formatting a width of a billion would hold the server."""
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise ValueError(f"the {what} pattern cannot be formatted: {exc}") from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in fields or conversion is not None or "{" in (spec or ""):
            allowed = ", ".join(f"{{{field}}}" for field in sorted(fields))
            raise ValueError(f"the {what} pattern cannot be formatted: it may use {allowed} only")
        if any(int(number) > MAX_PATTERN_WIDTH for number in re.findall(r"\d+", spec or "")):
            raise ValueError(f"the {what} pattern cannot be formatted: widths go up to {MAX_PATTERN_WIDTH}")


def _sample_indices(spec: GeneratedSpec) -> set[int]:
    """Indices where a name pattern most likely breaks index order: digit-count and group changes."""
    n = spec.count
    points = {0, 1, n - 2, n - 1}
    points |= {10**k + d for k in range(1, 10) for d in (-1, 0)}
    if spec.per_directory:
        points |= {spec.per_directory * 10**k + d for k in range(0, 10) for d in (-1, 0)}
        points |= {(n // spec.per_directory) * spec.per_directory + d for d in (-1, 0)}
    return {i for i in points if 0 <= i < n}


class TreeSpec(Spec):
    """A tree: explicit entries plus generated sets."""

    entries: list[EntrySpec] = Field(default_factory=list)
    generate: list[GeneratedSpec] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Entry:
    """A file, directory or symlink as listed."""

    path: str
    kind: EntryKind
    size: int
    mtime: datetime
    checksum: str
    target: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def _mix(x: int) -> int:
    """splitmix64 finaliser: a cheap, well-spread hash of a 64-bit integer."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _checksum(*parts: object) -> str:
    return hashlib.md5("\x1f".join(map(str, parts)).encode(), usedforsecurity=False).hexdigest()


def _after(prefix: str) -> str:
    """The smallest string above every path under `prefix` (which ends in '/')."""
    return prefix[:-1] + chr(ord("/") + 1)


class _NormalTable:
    """Inverse normal CDF by table look-up: 4,096 quantiles, so sizing a million files is cheap."""

    size = 4096

    def __init__(self) -> None:
        from statistics import NormalDist  # with its fractions and decimal: only once sizes are drawn

        dist = NormalDist()
        self.z = [dist.inv_cdf((k + 0.5) / self.size) for k in range(self.size)]

    def __call__(self, u: float) -> float:
        return self.z[int(u * self.size)]


_normal_table: _NormalTable | None = None


def _inverse_normal(u: float) -> float:
    global _normal_table
    if _normal_table is None:
        _normal_table = _NormalTable()
    return _normal_table(u)


class GeneratedFiles:
    """File i of a generated set, computed on demand."""

    def __init__(self, spec: GeneratedSpec, seed: int) -> None:
        self.spec = spec
        self.seed = spec.seed if spec.seed is not None else seed
        self.count = spec.count
        self.prefix = spec.prefix.strip("/") + "/" if spec.prefix.strip("/") else ""

    def _uniform(self, i: int, salt: int) -> float:
        return (_mix((self.seed * 0x100000001B3) ^ (i * 4 + salt)) >> 11) / float(1 << 53)

    def path(self, i: int) -> str:
        spec = self.spec
        ext = spec.extensions[_mix(self.seed ^ i) % len(spec.extensions)]
        name = spec.name.format(index=i, ext=ext)
        if spec.per_directory:
            name = spec.directory.format(group=i // spec.per_directory) + "/" + name
        return self.prefix + name

    def paths(self, lo: int, hi: int) -> Iterator[str]:
        """Paths of files lo..hi-1, as `path` gives them, much faster in a run: each directory name is
        made once, and one extension needs no hashing."""
        spec, prefix, seed = self.spec, self.prefix, self.seed
        extensions, name = spec.extensions, spec.name.format
        single = extensions[0] if len(extensions) == 1 else None
        per = spec.per_directory
        group, head = -1, prefix
        for i in range(lo, hi):
            if per and i // per != group:
                group = i // per
                head = prefix + spec.directory.format(group=group) + "/"
            ext = single if single is not None else extensions[_mix(seed ^ i) % len(extensions)]
            yield head + name(index=i, ext=ext)

    def size(self, i: int) -> int:
        if self.spec.size.distribution == "fixed":
            return self.spec.size.value
        block, offset = divmod(i, _BLOCK)
        return self._sizes(block)[offset]

    def sizes(self, lo: int, hi: int) -> Iterator[int]:
        """Sizes of files lo..hi-1, a block at a time (much faster than `size` per file)."""
        if self.spec.size.distribution == "fixed":
            yield from itertools.repeat(self.spec.size.value, hi - lo)
            return
        for block in range(lo // _BLOCK, (hi - 1) // _BLOCK + 1 if hi > lo else 0):
            start = block * _BLOCK
            yield from self._sizes(block)[max(lo - start, 0) : hi - start]

    @functools.lru_cache(maxsize=4)  # noqa: B019  # a handful of blocks per set; sets live as long as the World
    def _sizes(self, block: int) -> list[int]:
        s = self.spec.size
        stream = seeded_stream(self.seed, "sizes", block)
        n = min(_BLOCK, self.count - block * _BLOCK)
        if s.distribution == "uniform":
            return [stream.randint(s.min, max(s.min, s.max)) for _ in range(n)]
        sizes = (int(s.median * math.exp(s.sigma * _inverse_normal(stream.random()))) for _ in range(n))
        return [min(max(v, s.min), s.max) for v in sizes]

    def entry(self, i: int) -> Entry:
        spec = self.spec
        mtime = spec.mtime_start + timedelta(days=spec.mtime_spread_days * self._uniform(i, 2))
        size = self.size(i)
        return Entry(
            self.path(i),
            "file",
            size,
            mtime.replace(microsecond=0),
            _checksum(self.seed, i, size),
            None,
            spec.attrs,
        )

    def index_range(self, prefix: str) -> tuple[int, int]:
        """The indices of the files under `prefix` ("" or ending in "/")."""
        if self.prefix.startswith(prefix):
            return 0, self.count
        if not prefix.startswith(self.prefix):
            return 0, 0
        lo = bisect.bisect_left(range(self.count), prefix, key=self.path)
        hi = bisect.bisect_left(range(self.count), _after(prefix), lo=lo, key=self.path)
        return lo, hi


class Tree:
    """One storage tree (a container, a share, an endpoint's file system)."""

    def __init__(self, spec: TreeSpec, seed: int, default_mtime: datetime) -> None:
        entries = []
        for e in spec.entries:
            path = e.path.strip("/")
            checksum = e.checksum or _checksum(path, e.size)
            entries.append(
                Entry(path, e.type, e.size, e.mtime or default_mtime, checksum, e.target, dict(e.attrs))
            )
        entries.sort(key=lambda e: e.path)
        self.explicit: list[Entry] = entries
        self._explicit_paths = [e.path for e in entries]
        self.generated = [GeneratedFiles(g, seed) for g in spec.generate]
        self._ranges: dict[str, FileRange] = {}

    def files(self, prefix: str = "") -> FileRange:
        """Files and symlinks under `prefix`, explicit ones first (sorted), then each generated set.

        Ranges are shared: every job over the same folder reuses one range and its byte offsets.
        """
        if prefix not in self._ranges:
            self._ranges[prefix] = self._files(prefix)
        return self._ranges[prefix]

    def _files(self, prefix: str) -> FileRange:
        lo = bisect.bisect_left(self._explicit_paths, prefix)
        hi = bisect.bisect_left(self._explicit_paths, _after(prefix)) if prefix else len(self.explicit)
        explicit = [e for e in self.explicit[lo:hi] if e.kind != "dir"]
        ranges = [(g, *g.index_range(prefix)) for g in self.generated]
        return FileRange(explicit, [r for r in ranges if r[2] > r[1]])

    def empty_directories(self, prefix: str = "") -> list[str]:
        """Explicit directories under `prefix` that hold nothing (not even an empty directory)."""
        dirs = [e.path for e in self.explicit if e.kind == "dir" and e.path.startswith(prefix)]
        return [d for d in dirs if not self._holds_anything(d + "/")]

    def _holds_anything(self, folder: str) -> bool:
        first = bisect.bisect_left(self._explicit_paths, folder)
        explicit = first < len(self._explicit_paths) and self._explicit_paths[first].startswith(folder)
        return explicit or any(hi > lo for lo, hi in (g.index_range(folder) for g in self.generated))


class FileRange(Sequence[Entry]):
    """An ordered, lazily computed sequence of files with cumulative byte offsets."""

    def __init__(self, explicit: list[Entry], generated: list[tuple[GeneratedFiles, int, int]]) -> None:
        self.explicit = explicit
        self.generated = generated
        starts = [len(explicit)]
        for _, lo, hi in generated:
            starts.append(starts[-1] + hi - lo)
        self._starts = starts
        self._cumulative: array[int] | None = None

    def __len__(self) -> int:
        return self._starts[-1]

    def __getitem__(self, i: int) -> Entry:  # type: ignore[override]  # slices are not offered
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        if i < len(self.explicit):
            return self.explicit[i]
        k = bisect.bisect_right(self._starts, i) - 1
        gen, lo, _ = self.generated[k]
        return gen.entry(lo + i - self._starts[k])

    def __iter__(self) -> Iterator[Entry]:
        yield from self.explicit
        for gen, lo, hi in self.generated:
            for i in range(lo, hi):
                yield gen.entry(i)

    def segments(self) -> Iterator[tuple[int, GeneratedFiles | None, int, int]]:
        """(first position, generated set or None for explicit, lo, hi) of each part of the range."""
        yield 0, None, 0, len(self.explicit)
        for k, (gen, lo, hi) in enumerate(self.generated):
            yield self._starts[k], gen, lo, hi

    def cumulative(self) -> array[int]:
        """`c[i]` = bytes in files before position i; built once, 8 bytes per file."""
        if self._cumulative is None:
            sizes = itertools.chain([0], (size for _, size in self.paths_and_sizes(with_paths=False)))
            self._cumulative = array("q", itertools.accumulate(sizes))
        return self._cumulative

    def paths_and_sizes(self, with_paths: bool = True, start: int = 0) -> Iterator[tuple[str, int]]:
        """(path, size) of every file in order from index `start`; much cheaper than full entries."""
        for e in self.explicit[start:]:
            yield e.path, e.size
        skip = max(0, start - len(self.explicit))
        for gen, lo, hi in self.generated:
            if skip >= hi - lo:
                skip -= hi - lo
                continue
            lo, skip = lo + skip, 0
            paths = gen.paths(lo, hi) if with_paths else itertools.repeat("")
            yield from zip(paths, gen.sizes(lo, hi), strict=False)

    def paths(self, start: int = 0) -> Iterator[str]:
        """The path of every file in order from index `start` (sizes are in `cumulative()`)."""
        yield from (e.path for e in self.explicit[start:])
        skip = max(0, start - len(self.explicit))
        for gen, lo, hi in self.generated:
            if skip >= hi - lo:
                skip -= hi - lo
                continue
            yield from gen.paths(lo + skip, hi)
            skip = 0

    @property
    def total_bytes(self) -> int:
        return self.cumulative()[-1]
