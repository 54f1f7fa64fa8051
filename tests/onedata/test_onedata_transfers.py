"""The transfer state machine without HTTP: transferStatus from both subtasks (reference 2.1) and
the milestones of cancels and failures (reference 2.2, 2.3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emulators.core.engine import RateModel, Transfer
from emulators.core.storage import EntrySpec, Tree, TreeSpec
from emulators.onedata.transfers import Plan, Timing, TransferJob, transfer_status

T0 = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "replication", "eviction", "expected"),
    [
        ("migration", "completed", "scheduled", "evicting"),
        ("migration", "completed", "active", "evicting"),
        ("migration", "completed", "failed", "failed"),
        ("eviction", "skipped", "enqueued", "enqueued"),
        ("eviction", "skipped", "active", "evicting"),
        ("replication", "active", "skipped", "replicating"),
        ("replication", "aborting", "skipped", "aborting"),
        ("migration", "active", "scheduled", "replicating"),
    ],
)
def test_transfer_status_combines_the_subtasks(
    kind: str, replication: str, eviction: str, expected: str
) -> None:
    assert transfer_status(kind, replication, eviction) == expected  # type: ignore[arg-type]


def job(files: int = 4, failures: list[int] | None = None, threshold: int = 10) -> TransferJob:
    tree = Tree(TreeSpec(entries=[EntrySpec(path=f"f{i}", size=100) for i in range(files)]), 0, T0)
    rate = RateModel(bandwidth=100, per_file=0, enumeration_rate=1000)
    transfer = Transfer(tree.files(), rate, T0, dict.fromkeys(failures or [], "eio"), [(0, "src")])
    plan = Plan(transfer, 0, sorted(failures or []), [], {"src": files - 1})
    timing = Timing(schedule_delay=1, enqueue_delay=1, abort_delay=1, failure_threshold=threshold)
    return TransferJob("t", "replication", "s", "u", T0, timing, plan, None, replicating_provider_id="p")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_clean_run_completes_when_the_last_file_arrives() -> None:
    j = job()
    assert [j.status(at(s)) for s in (0, 1, 2, 5.9, 6)] == [
        "scheduled",
        "enqueued",
        "replicating",
        "replicating",
        "completed",
    ]
    assert j.finish_time(at(10)) == at(6) and j.completed_at() == at(6)


def test_a_cancel_while_active_aborts_then_cancels_and_freezes_the_counters() -> None:
    j = job()
    j.cancel(at(3.5))
    assert [j.status(at(s)) for s in (3, 3.5, 4.4, 4.5)] == [
        "replicating",
        "aborting",
        "aborting",
        "cancelled",
    ]
    assert j.counters(at(100))["filesReplicated"] == 1
    assert j.completed_at() is None


def test_a_failure_under_the_threshold_fails_the_transfer_after_its_traverse() -> None:
    j = job(failures=[1])
    assert [j.status(at(s)) for s in (5.9, 6, 7)] == ["replicating", "aborting", "failed"]


def test_crossing_the_threshold_aborts_at_once() -> None:
    j = job(files=6, failures=[0, 1, 2], threshold=1)
    # File 1 (the second failure) finishes at 2 s + 2 s: the transfer aborts there.
    assert [j.status(at(s)) for s in (3.9, 4, 5)] == ["replicating", "aborting", "failed"]
    assert j.counters(at(100))["filesFailed"] == 2
