"""Phases: a job's stages chained on the engine, moved by pauses, ended by a cancel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from emulators.core.engine import RateModel, Transfer
from emulators.core.phases import Phases
from emulators.core.storage import FileRange, Tree, TreeSpec

START = datetime(2030, 1, 1, tzinfo=UTC)
SLOW = RateModel(bandwidth=100, per_file=0, enumeration_rate=10)  # 100-byte files: 1 s each


def files(*sizes: int) -> FileRange:
    spec = TreeSpec.model_validate(
        {"entries": [{"path": f"f{i:04d}", "size": s} for i, s in enumerate(sizes)]}
    )
    return Tree(spec, 0, START).files()


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def test_phases_start_one_after_the_other() -> None:
    copy = Transfer(files(100, 100), SLOW, START)
    job = Phases(START, [("queue", 5), ("copy", copy), ("validation", 3)])
    assert copy.start == at(5)
    assert (job.start_of("validation"), job.completed_at("validation"), job.end) == (at(7), at(10), at(10))
    assert [job.phase_at(at(t)) for t in (0, 5, 7, 9.9, 10)] == [
        "queue",
        "copy",
        "validation",
        "validation",
        None,
    ]


def test_a_pause_in_a_transfer_phase_moves_the_later_phases() -> None:
    copy = Transfer(files(100, 100), SLOW, START)
    job = Phases(START, [("copy", copy), ("validation", 3)])
    seen: list[datetime] = []
    job.watch(lambda: seen.append(job.end))
    copy.pause(at(1))
    copy.resume(at(11))
    assert job.start_of("validation") == at(12) and seen[-1] == at(15)


def test_a_cancel_ends_the_job_in_its_phase() -> None:
    copy = Transfer(files(100, 100), SLOW, START)
    job = Phases(START, [("queue", 5), ("copy", copy), ("validation", 3)])
    job.cancel(at(6))
    assert (job.completed_at("queue"), job.completed_at("copy"), job.start_of("validation")) == (
        at(5),
        None,
        None,
    )
    assert job.end == at(6) and job.phase_at(at(6)) is None


def test_a_cancel_in_a_timed_phase_and_an_abort_that_lets_the_job_go_on() -> None:
    copy = Transfer(files(100, 100), SLOW, START)
    job = Phases(START, [("copy", copy), ("validation", 3), ("report", 1)])
    copy.abort(at(1), "E")
    assert job.completed_at("copy") == at(1) and job.start_of("validation") == at(1)
    job.cancel(at(2))
    assert (job.completed_at("validation"), job.start_of("report"), job.end) == (None, None, at(2))
    assert (job.planned_end("copy"), job.planned_end("validation"), job.planned_end("report")) == (
        at(1),
        at(4),
        None,
    )
    job.cancel(at(3))  # after the end: nothing changes
    assert job.end == at(2)
