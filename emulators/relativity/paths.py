"""Which files of a job's source cannot have a path of their own on the destination fileshare.

Azure Blob storage is a flat namespace: `x/report` and `x/report/page1.pdf` can both be blobs. A
fileshare cannot hold a file and a folder at one path, so one of the two cannot be written as listed.
Doc, "Job stages": during data validation "we will verify only unique file paths"; our reading is that
a file whose path is also a folder of the job (of another file or of an empty directory) fails there.

Only names are compared (the fileshare is case-sensitive, so `A.txt` and `a.txt` are distinct). The
check costs one look-up per folder of the job, never one per generated file: a generated set alone
cannot collide with itself, since its files all sit one level below its folders.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from emulators.core.storage import FileRange, GeneratedFiles


def files_named_like_folders(files: FileRange, empty_directories: Iterable[str]) -> list[int]:
    """Positions in `files` (in order) of the files whose path is also a folder of the job."""
    explicit = [entry.path for entry in files.explicit]
    segments = [(start, generated, lo, hi) for start, generated, lo, hi in files.segments() if generated]
    directories = list(empty_directories)
    if not explicit and not directories and len(segments) < 2:
        return []
    folders = _folders(explicit, segments, directories)
    clashes = [i for i, path in enumerate(explicit) if path in folders]
    for start, generated, lo, hi in segments:
        for folder in sorted(folders):
            index = _index_of(generated, folder, lo, hi)
            if index is not None:
                clashes.append(start + index - lo)
    return sorted(clashes)


def _folders(
    explicit: list[str], segments: list[tuple[int, GeneratedFiles, int, int]], directories: list[str]
) -> set[str]:
    """Every folder some file or empty directory of the job sits in, and the empty directories."""
    folders = set(directories)
    for path in (*explicit, *directories):
        folders.update(_ancestors(path))
    for _, generated, lo, hi in segments:
        step = generated.spec.per_directory or hi - lo
        for i in range(lo, hi, step):
            folders.update(_ancestors(generated.path(i)))
        folders.update(_ancestors(generated.path(hi - 1)))
    return folders


def _ancestors(path: str) -> Iterable[str]:
    parts = path.split("/")
    return ("/".join(parts[:n]) for n in range(1, len(parts)))


def _index_of(generated: GeneratedFiles, path: str, lo: int, hi: int) -> int | None:
    """The index in [lo, hi) of the generated file named `path` (names sort in index order)."""
    index = bisect.bisect_left(range(lo, hi), path, key=generated.path) + lo
    return index if index < hi and generated.path(index) == path else None
