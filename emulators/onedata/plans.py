"""Plans: which files a replication or eviction acts on, reads from, or only passes.

Reference 2.4 and the create-transfer doc: a replication copies each file the target lacks from a
provider that holds a complete replica (the first online one in support order, which labels its
bytes for the histograms); a file already complete at the target is processed, not replicated; a
file no online provider holds, or that a data-fault rule names, fails. Eviction is safe: a file
whose only complete replica is the evicting provider's is processed, not evicted. Replicas change per
unit (an explicit file or a whole generated set), so a plan lists the units it completes.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import replace
from datetime import datetime

from emulators.core.datafaults import DataFaults
from emulators.core.engine import RateModel, Transfer
from emulators.core.storage import Entry, FileRange, GeneratedFiles
from emulators.onedata.spaces import SpaceState
from emulators.onedata.transfers import Plan

NO_SOURCE = "enoent"  # the failure code of a file no online provider holds


def replication_plan(
    space: SpaceState,
    files: FileRange,
    target: str,
    online: frozenset[str],
    faults: DataFaults,
    rate: RateModel,
    start: datetime,
) -> Plan:
    explicit: list[Entry] = []
    generated: list[tuple[GeneratedFiles, int, int]] = []
    runs: list[tuple[int, Hashable]] = []
    failures: list[int] = []
    units: list[str] = []
    passed = 0
    for _, gen, lo, hi in files.segments():
        parts = [(space.unit_of(None, e.path), [e], lo) for e in files.explicit] if gen is None else []
        if gen is not None:
            parts = [(space.unit_of(gen, ""), [], lo)]
        for unit, entries, first in parts:
            holders = space.holders.get(unit, frozenset())
            count = len(entries) if gen is None else hi - lo
            if target in holders:
                passed += count
                continue
            if gen is None:  # only the blocks the target lacks are copied (reference 2.4)
                entries = [
                    replace(e, size=e.size - space.held_bytes(e.path, target, e.size)) for e in entries
                ]
                if all(e.size == 0 for e in entries) and any(space.partial.get(e.path) for e in entries):
                    passed += count
                    continue
            position = len(explicit) + sum(h - low for _, low, h in generated)
            source = next((p for p in space.spec.supports if p in holders and p in online), None)
            runs.append((position, source))
            if gen is None:
                explicit.extend(entries)
                paths = [e.path for e in entries]
            else:
                generated.append((gen, first, hi))
                paths = [gen.path(i) for i in range(first, hi)] if faults or source is None else []
            bad = [
                position + k
                for k, path in enumerate(paths)
                if source is None or faults.outcome(f"{space.spec.name}/{path}") is not None
            ]
            failures.extend(bad)
            if not bad and _whole(gen, first, hi):
                units.append(unit)
    transfer = Transfer(
        _range(files, explicit, generated),
        rate,
        start,
        dict.fromkeys(failures, NO_SOURCE),
        runs or [(0, None)],
    )
    last = _last_positions(runs, transfer.total)
    return Plan(transfer, passed, sorted(failures), units, last, runs or [(0, None)])


def eviction_plan(
    space: SpaceState,
    files: FileRange,
    evicting: str,
    also_holding: str | None,
    rate: RateModel,
    start: datetime,
) -> Plan:
    """`also_holding`: a provider that will hold every file by then (a migration's target)."""
    explicit: list[Entry] = []
    generated: list[tuple[GeneratedFiles, int, int]] = []
    units: list[str] = []
    passed = 0
    for _, gen, lo, hi in files.segments():
        if gen is None:
            for entry in files.explicit:
                unit = space.unit_of(None, entry.path)
                holders = space.holders.get(unit, frozenset())
                if evicting in space.partial.get(entry.path, {}):
                    holders |= {evicting}  # a partial replica is evicted like a complete one
                if _evictable(holders, evicting, also_holding):
                    explicit.append(entry)
                    units.append(unit)
                else:
                    passed += 1
        else:
            unit = space.unit_of(gen, "")
            if _evictable(space.holders.get(unit, frozenset()), evicting, also_holding):
                generated.append((gen, lo, hi))
                units += [unit] if _whole(gen, lo, hi) else []
            else:
                passed += hi - lo
    transfer = Transfer(_range(files, explicit, generated), rate, start)
    return Plan(transfer, passed, [], units, {})


def _last_positions(runs: list[tuple[int, Hashable]], total: int) -> dict[Hashable, int]:
    """Each source provider's last position in the plan (runs are in position order)."""
    last: dict[Hashable, int] = {}
    if not runs:
        return last
    bounds = [first for first, _ in runs[1:]] + [total]
    for (first, source), end in zip(runs, bounds, strict=True):
        if source is not None and end > first:
            last[source] = end - 1
    return last


def _range(
    files: FileRange, explicit: list[Entry], generated: list[tuple[GeneratedFiles, int, int]]
) -> FileRange:
    """The plan's files: the range itself when the plan takes all of it, so a million files' byte
    offsets are built once for the tree, not once per plan."""
    if explicit == files.explicit and generated == files.generated:
        return files
    return FileRange(explicit, generated)


def _whole(gen: GeneratedFiles | None, lo: int, hi: int) -> bool:
    """Whether a segment is an explicit file or a whole generated set: replicas are kept per set, so
    a transfer of part of a set leaves the set's holders as they were."""
    return gen is None or (lo, hi) == (0, gen.count)


def _evictable(holders: frozenset[str], evicting: str, also_holding: str | None) -> bool:
    others = (holders | {also_holding} if also_holding else holders) - {evicting}
    return evicting in holders and bool(others)
