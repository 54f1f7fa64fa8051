"""Per-file records of a task: `successful_transfers` and `skipped_errors`, a page at a time.

Paths are shown as the service shows them, `/~/` expanded to the collection's home (reference 5.3:
a skipped error's `source_path` is `/home/<user>/...`), and a skipped error's `error_details` is the
endpoint's GridFTP reply. Both use marker paging: `marker` is where a page starts (0 for the first)
and `next_marker` where the next one does, null after the last page (the SDK's paginators stop
there). Only files actually copied are successful transfers: no directories, sync-skipped files or
skipped errors.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime
from typing import Any, TypeVar

from emulators.globus.endpoints import expand_home
from emulators.globus.events import gridftp_reply, iso
from emulators.globus.plan import Step
from emulators.globus.tasks import Task

T = TypeVar("T")


def _page(rows: Iterator[tuple[int, T]], size: int) -> tuple[list[T], int | None]:
    taken = list(itertools.islice(rows, size + 1))
    next_marker = taken[size][0] if len(taken) > size else None
    return [row for _, row in taken[:size]], next_marker


def _paths(task: Task, step: Step) -> dict[str, str]:
    destination = task.destination or task.source
    return {
        "source_path": expand_home(task.source, step.source_path),
        "destination_path": expand_home(destination, step.destination_path),
    }


def successful_transfers(task: Task, at: datetime, marker: int, size: int) -> dict[str, Any]:
    verified = bool(task.options.get("verify_checksum"))
    rows = (
        (
            position,
            {
                "DATA_TYPE": "successful_transfer",
                **_paths(task, step),
                # Checked files show their checksum: all with verify_checksum, or one given an
                # external_checksum (with its checksum_algorithm, reference 3: `add_item`).
                "checksum": step.entry.checksum if verified or step.checksum_algorithm else None,
                "checksum_algorithm": step.checksum_algorithm or ("MD5" if verified else None),
                "dynamic": False,
                "size": step.entry.size,
            },
        )
        for position, step in task.successful(at, marker)
    )
    data, next_marker = _page(rows, size)
    return {"DATA_TYPE": "successful_transfers", "marker": marker, "next_marker": next_marker, "DATA": data}


def skipped_errors(task: Task, at: datetime, marker: int, size: int) -> dict[str, Any]:
    rows = (
        (
            position,
            {
                "DATA_TYPE": "skipped_error",
                **_paths(task, step),
                "error_code": code,
                "error_details": gridftp_reply(code, _paths(task, step)["source_path"]),
                "error_time": iso(task.step_time(position)),
                "checksum_algorithm": None,
                "external_checksum": None,
                "is_delete_destination_extra": False,
                "is_directory": step.entry.kind == "dir",
                "is_symlink": step.entry.kind == "symlink",
            },
        )
        for position, step, code in task.skipped_errors(at, marker)
    )
    data, next_marker = _page(rows, size)
    return {"DATA_TYPE": "skipped_errors", "marker": marker, "next_marker": next_marker, "DATA": data}
