"""The transfer engine: progress as a pure function of time, checked against the documented formula."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from emulators.core.engine import RateModel, Stop, Transfer, histogram
from emulators.core.storage import FileRange, Tree, TreeSpec

START = datetime(2030, 1, 1, tzinfo=UTC)


def files(*sizes: int) -> FileRange:
    spec = TreeSpec.model_validate(
        {"entries": [{"path": f"f{i:04d}", "size": s} for i, s in enumerate(sizes)]}
    )
    return Tree(spec, 0, START).files()


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def finish_times(sizes: list[int], rate: RateModel) -> list[float]:
    """Seconds after start at which each file finishes, by the formula in the engine's docstring."""
    times = []
    for i in range(len(sizes)):
        enumerated = (i + 1) / rate.enumeration_rate
        copied = (i + 1) * rate.per_file + sum(sizes[: i + 1]) / rate.bandwidth
        times.append(max(enumerated, copied))
    return times


# 10 files of 100 bytes: enumerated every 0.1 s, copied every 1 s (bandwidth 100 B/s, no overhead).
SLOW = RateModel(bandwidth=100, per_file=0, enumeration_rate=10)


def test_rate_model_refuses_non_positive_rates() -> None:
    with pytest.raises(ValidationError):
        RateModel(bandwidth=0)
    with pytest.raises(ValidationError):
        RateModel(enumeration_rate=0)
    with pytest.raises(ValidationError):
        RateModel(per_file=-1)


def test_nothing_happens_before_the_start() -> None:
    transfer = Transfer(files(100, 100), SLOW, START)
    p = transfer.progress(at(-5))
    assert (p.enumerated, p.processed, p.succeeded_bytes, p.finished) == (0, 0, 0, False)


def test_progress_counts_files_and_bytes_at_an_instant() -> None:
    transfer = Transfer(files(*[100] * 10), SLOW, START)
    p = transfer.progress(at(3.5))
    assert p.total == 10
    assert p.enumerated == 10
    assert p.enumeration_done
    assert p.enumerated_bytes == 1000
    assert (p.processed, p.succeeded, p.failed) == (3, 3, 0)
    assert (p.succeeded_bytes, p.failed_bytes) == (300, 0)
    assert not p.finished
    assert transfer.progress(at(10)).finished
    assert transfer.progress(at(10)).succeeded == 10


def test_ends_follow_the_formula() -> None:
    transfer = Transfer(files(*[100] * 10), SLOW, START)
    assert transfer.enumeration_end == at(1)
    assert transfer.natural_end == at(10)
    assert transfer.end == at(10)
    assert transfer.total_bytes == 1000
    assert transfer.size(3) == 100


def test_slow_enumeration_holds_back_copying() -> None:
    rate = RateModel(bandwidth=10**9, per_file=0, enumeration_rate=2)
    transfer = Transfer(files(1, 1, 1, 1), rate, START)
    assert transfer.finished_after(3) == transfer.enumerated_after(3) == 2
    p = transfer.progress(at(1.25))
    assert (p.enumerated, p.processed) == (2, 2)


def test_an_empty_plan_ends_at_its_start() -> None:
    transfer = Transfer(files(), SLOW, START)
    assert transfer.natural_end == transfer.enumeration_end == transfer.end == START
    p = transfer.progress(START)
    assert p.finished
    assert (p.total, p.processed, p.enumeration_done) == (0, 0, True)


sizes_strategy = st.lists(st.integers(0, 5000), min_size=0, max_size=25)
rates = st.builds(
    RateModel,
    bandwidth=st.floats(100, 10_000),
    per_file=st.floats(0, 0.5),
    enumeration_rate=st.floats(1, 50),
)


@settings(derandomize=True, database=None, max_examples=80)
@given(sizes=sizes_strategy, rate=rates, times=st.lists(st.floats(-1, 200), min_size=1, max_size=10))
def test_counts_match_a_brute_force_recomputation(
    sizes: list[int], rate: RateModel, times: list[float]
) -> None:
    failures = {i: "BAD" for i in range(0, len(sizes), 3)}
    transfer = Transfer(files(*sizes), rate, START, failures)
    finish = finish_times(sizes, rate)
    for t in times:
        p = transfer.progress(at(t))
        done = [i for i in range(len(sizes)) if finish[i] <= (at(t) - START).total_seconds()]
        failed = [i for i in done if i in failures]
        enumerated = [i for i in range(len(sizes)) if (i + 1) / rate.enumeration_rate <= t]
        assert p.processed == len(done)
        assert p.enumerated == len(enumerated)
        assert p.failed == len(failed)
        assert p.succeeded == len(done) - len(failed)
        assert p.failed_bytes == sum(sizes[i] for i in failed)
        assert p.succeeded_bytes == sum(sizes[i] for i in done) - p.failed_bytes
        assert p.enumerated_bytes == sum(sizes[i] for i in enumerated)


@settings(derandomize=True, database=None, max_examples=80)
@given(sizes=sizes_strategy, rate=rates, times=st.lists(st.floats(-10, 300), min_size=2, max_size=12))
def test_progress_is_monotonic_in_time(sizes: list[int], rate: RateModel, times: list[float]) -> None:
    transfer = Transfer(files(*sizes), rate, START, {0: "X"} if sizes else None)
    previous = None
    for t in sorted(times):
        p = transfer.progress(at(t))
        assert p.processed <= p.enumerated <= p.total
        if previous is not None:
            assert p.enumerated >= previous.enumerated
            assert p.processed >= previous.processed
            assert p.succeeded >= previous.succeeded
            assert p.failed >= previous.failed
            assert p.succeeded_bytes >= previous.succeeded_bytes
            assert p.finished >= previous.finished
        previous = p


def test_failures_are_counted_with_their_bytes() -> None:
    transfer = Transfer(files(100, 200, 300, 400), SLOW, START, {1: "E1", 3: "E3"})
    end = transfer.progress(transfer.natural_end)
    assert (end.succeeded, end.failed) == (2, 2)
    assert (end.succeeded_bytes, end.failed_bytes) == (400, 600)
    middle = transfer.progress(at(3))
    assert (middle.processed, middle.failed, middle.failed_bytes) == (2, 1, 200)


def test_cancel_freezes_progress() -> None:
    transfer = Transfer(files(*[100] * 10), SLOW, START)
    transfer.cancel(at(4.5))
    assert transfer.end == at(4.5)
    frozen = transfer.progress(at(100))
    assert (frozen.processed, frozen.succeeded, frozen.failed) == (4, 4, 0)
    assert frozen.finished
    assert transfer.progress(at(4.5)).processed == 4
    assert transfer.progress(at(2)).processed == 2
    assert not transfer.progress(at(2)).finished


def test_cancel_after_the_natural_end_changes_nothing() -> None:
    transfer = Transfer(files(100, 100), SLOW, START)
    transfer.cancel(at(50))
    assert transfer.end == transfer.natural_end == at(2)
    assert transfer.progress(at(60)).succeeded == 2


def test_cancel_before_the_start_ends_at_the_start() -> None:
    transfer = Transfer(files(100, 100), SLOW, START)
    transfer.cancel(at(-5))
    assert transfer.end == START
    assert transfer.progress(at(10)).processed == 0


def test_abort_fails_the_enumerated_unfinished_files_with_its_code() -> None:
    transfer = Transfer(files(*[100] * 10), SLOW, START, {1: "PLANNED"})
    transfer.abort(at(0.55), "ABORTED")
    assert transfer.end == at(0.55)
    before = transfer.progress(at(0.5))
    assert (before.enumerated, before.processed, before.failed) == (5, 0, 0)
    after = transfer.progress(at(100))
    assert after.enumerated == 5
    assert after.processed == 5
    assert (after.succeeded, after.failed) == (0, 5)
    assert (after.succeeded_bytes, after.failed_bytes) == (0, 500)
    assert after.finished


def test_abort_counts_at_its_own_instant() -> None:
    transfer = Transfer(files(*[100] * 10), SLOW, START)
    transfer.abort(at(3.5), "ABORTED")
    p = transfer.progress(at(3.5))
    assert p.finished
    assert p.processed == p.enumerated == 10
    assert (p.succeeded, p.failed) == (3, 7)
    assert [code for _, _, code in transfer.outcomes(at(3.5))] == [None] * 3 + ["ABORTED"] * 7


def test_the_earliest_abort_wins() -> None:
    transfer = Transfer(files(*[100] * 10), SLOW, START)
    transfer.abort(at(5.5), "LATE")
    transfer.abort(at(2.5), "EARLY")
    transfer.abort(at(8.5), "LATER")
    assert transfer.end == at(2.5)
    codes = [code for _, _, code in transfer.outcomes(at(100))]
    assert codes == [None, None] + ["EARLY"] * 8


def test_outcomes_list_processed_files_with_their_codes() -> None:
    transfer = Transfer(files(100, 200, 300, 400), SLOW, START, {1: "E1"})
    assert list(transfer.outcomes(at(0))) == []
    assert list(transfer.outcomes(at(3))) == [("f0000", 100, None), ("f0001", 200, "E1")]
    assert [code for _, _, code in transfer.outcomes(transfer.natural_end)] == [None, "E1", None, None]


@pytest.mark.parametrize("first", [0, 1, 3, 4, 9])
def test_outcomes_from_an_index_are_the_tail_of_all_outcomes(first: int) -> None:
    transfer = Transfer(files(100, 200, 300, 400, 500), SLOW, START, {1: "E1", 3: "E3"})
    transfer.abort(at(3.5), "ABORTED")
    for moment in (at(2), at(9)):
        assert list(transfer.outcomes(moment, first)) == list(transfer.outcomes(moment))[first:]


def test_outcomes_after_an_abort_keep_planned_codes_and_add_the_abort_code() -> None:
    transfer = Transfer(files(100, 100, 100, 100), SLOW, START, {3: "PLANNED"})
    transfer.abort(at(1.5), "ABORTED")
    outcomes = list(transfer.outcomes(at(9)))
    assert [code for _, _, code in outcomes] == [None, "ABORTED", "ABORTED", "PLANNED"]
    p = transfer.progress(at(9))
    assert p.failed == sum(code is not None for _, _, code in outcomes)


def test_outcomes_after_a_cancel_stop_at_the_cancel() -> None:
    transfer = Transfer(files(100, 100, 100), SLOW, START)
    transfer.cancel(at(2.5))
    assert list(transfer.outcomes(at(9))) == [("f0000", 100, None), ("f0001", 100, None)]


def test_a_generated_plan_of_a_million_files_reads_quickly() -> None:
    spec = TreeSpec.model_validate({"generate": [{"count": 1_000_000, "size": {"distribution": "fixed"}}]})
    transfer = Transfer(Tree(spec, 0, START).files(), RateModel(per_file=0.001), START)
    p = transfer.progress(at(10))
    assert 0 < p.processed < 1_000_000
    assert p.succeeded_bytes == p.processed * 1024


# -- pauses, stops and watchers ------------------------------------------------------------------


def test_a_pause_moves_every_later_finish_by_its_length() -> None:
    transfer = Transfer(files(*[100] * 10), SLOW, START)
    transfer.pause(at(3.5))
    transfer.resume(at(13.5))
    assert transfer.progress(at(13.5)).processed == 3
    assert transfer.finished_at(3) == at(14)
    assert transfer.natural_end == at(20)
    assert transfer.processed_by(at(9)) == 3


def test_an_open_pause_holds_every_later_file() -> None:
    transfer = Transfer(files(*[100] * 10), SLOW, START)
    transfer.pause(at(2.5))
    assert transfer.paused(at(1000)) and not transfer.paused(at(2))
    assert transfer.progress(at(10**6)).processed == 2


def test_every_operation_tells_the_watchers() -> None:
    transfer = Transfer(files(100, 100), SLOW, START)
    ends: list[datetime] = []
    transfer.watch(lambda: ends.append(transfer.end))
    transfer.pause(at(1))
    transfer.resume(at(3))
    transfer.stop_at(Stop(at(3.5), "X"))
    transfer.stop_at(None)
    transfer.cancel(at(2.5))
    assert ends[1:] == [at(4), at(3.5), at(4), at(2.5)]  # an open pause: the end waits


def test_replacing_the_stop_can_move_it_later_or_remove_it() -> None:
    transfer = Transfer(files(*[100] * 10), SLOW, START)
    transfer.stop_at(Stop(at(2), None))
    transfer.stop_at(Stop(at(5), None))
    assert transfer.progress(at(100)).processed == 5
    transfer.stop_at(None)
    assert transfer.progress(at(100)).finished and transfer.end == at(10)


# -- bytes over time and histograms ----------------------------------------------------------------


def test_bytes_flow_at_the_bandwidth_and_failed_files_move_none() -> None:
    transfer = Transfer(files(100, 100, 100), SLOW, START, failures={1: "E"})
    assert [transfer.bytes_by(at(t)) for t in (0, 0.5, 1, 1.5, 2, 2.5, 3)] == [0, 50, 100, 100, 100, 150, 200]
    assert transfer.bytes_between(at(0.5), at(2.5)) == 100


def test_bytes_by_label_follow_the_runs_of_positions() -> None:
    transfer = Transfer(files(*[100] * 6), SLOW, START, labels=[(0, "p1"), (2, "p2"), (4, "p1")])
    assert transfer.bytes_by(at(6), "p1") == 400 and transfer.bytes_by(at(6), "p2") == 200
    assert transfer.bytes_by(at(2.5), "p2") == 50 and transfer.bytes_by(at(2.5), "p1") == 200
    assert transfer.bytes_by(at(6), "elsewhere") == 0


def test_a_stop_and_a_pause_freeze_the_flow() -> None:
    transfer = Transfer(files(100, 100), SLOW, START)
    transfer.pause(at(0.5))
    transfer.resume(at(10.5))
    assert transfer.bytes_by(at(5)) == 50
    transfer.cancel(at(11))
    assert transfer.bytes_by(at(100)) == 100


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 500), min_size=1, max_size=30),
    runs=st.lists(st.integers(1, 29), max_size=5, unique=True),
    end=st.floats(0, 200),
)
def test_the_labels_add_up_to_all_files(sizes: list[int], runs: list[int], end: float) -> None:
    labels = [(0, "a"), *((first, "b" if k % 2 == 0 else "a") for k, first in enumerate(sorted(runs)))]
    transfer = Transfer(files(*sizes), SLOW, START, failures={0: "E"}, labels=labels)
    whole = transfer.bytes_by(at(end))
    assert transfer.bytes_by(at(end), "a") + transfer.bytes_by(at(end), "b") == pytest.approx(whole)
    assert whole <= transfer.progress(at(end)).succeeded_bytes + max(sizes)


def test_a_histogram_is_aligned_newest_first_and_sums_to_the_bytes_moved() -> None:
    start = datetime(2030, 1, 1, 0, 0, 2, tzinfo=UTC)  # 2 s into a 5 s slot
    transfer = Transfer(files(*[100] * 10), SLOW, start)
    end = start + timedelta(seconds=10)
    slots = histogram(transfer, end, 5, 4)
    assert slots == [200, 500, 300, 0]  # [10, 12], [5, 10), [0, 5): aligned to absolute time
    assert sum(slots) == transfer.bytes_by(end)
    assert histogram(transfer, end, 5, 4, label="other") == [0, 0, 0, 0]


def test_a_delay_at_a_position_holds_back_that_file_and_every_later_one() -> None:
    # SLOW copies a file a second; 2.5 s of delay at position 3 (a retried file's back-off, say).
    transfer = Transfer(files(*[100] * 10), SLOW, START, delays={3: 2.5})
    assert [transfer.finished_after(i) for i in range(10)] == [1, 2, 3, 6.5, 7.5, 8.5, 9.5, 10.5, 11.5, 12.5]
    assert transfer.natural_end == at(12.5)
    assert transfer.enumeration_end == at(1), "a copy delay leaves the listing alone"
    assert transfer.progress(at(6)).processed == 3
    # The bytes of the delayed file flow in its last second, after its back-off.
    assert (transfer.bytes_by(at(5.5)), transfer.bytes_by(at(6)), transfer.bytes_by(at(6.5))) == (
        300,
        350,
        400,
    )


def test_delays_add_up_and_leave_failures_where_they_were() -> None:
    transfer = Transfer(files(*[100] * 4), SLOW, START, {1: "E"}, delays={0: 1, 1: 2, 3: 0.5})
    assert [transfer.finished_after(i) for i in range(4)] == [2, 5, 6, 7.5]
    p = transfer.progress(at(5))
    assert (p.processed, p.succeeded, p.failed, p.failed_bytes) == (2, 1, 1, 100)


def test_an_enumeration_delay_holds_back_the_listing_and_so_the_copy() -> None:
    # Listing alone is slow here: 1 file a second, copies take no time.
    rate = RateModel(bandwidth=10**9, per_file=0, enumeration_rate=1)
    transfer = Transfer(files(*[100] * 4), rate, START, enumeration_delays={1: 3})
    assert [transfer.enumerated_after(i) for i in range(4)] == [1, 5, 6, 7]
    assert transfer.progress(at(4.5)).enumerated == 1
    assert transfer.enumeration_end == at(7) and transfer.finished_after(3) == pytest.approx(7)


def test_delays_move_with_pauses() -> None:
    transfer = Transfer(files(*[100] * 3), SLOW, START, delays={1: 1})
    transfer.pause(at(0.5))
    transfer.resume(at(2.5))
    assert [transfer.finished_after(i) for i in range(3)] == [3, 5, 6]


@pytest.mark.parametrize("seconds", [-1, float("inf"), float("nan")])
def test_a_delay_must_be_finite_and_not_negative(seconds: float) -> None:
    with pytest.raises(ValueError, match="delays"):
        Transfer(files(100), SLOW, START, delays={0: seconds})


def test_failures_added_mid_transfer_count_from_then_on() -> None:
    # SLOW: file i finishes at i + 1 s. At 3.5 s three files are done; files 5 and 7 then fail.
    transfer = Transfer(files(*[100] * 10), SLOW, START, {8: "E0"}, labels=[(0, "a"), (6, "b")])
    before = transfer.progress(at(3.5))
    changes: list[str] = []
    transfer.watch(lambda: changes.append("changed"))
    transfer.fail(at(3.5), {5: "GONE", 7: "GONE", 8: "ignored: fails already"})
    assert changes == ["changed"]
    assert transfer.progress(at(3.5)) == before, "what was read before stays true"
    end = transfer.progress(at(10))
    assert (end.succeeded, end.failed, end.failed_bytes, end.succeeded_bytes) == (7, 3, 300, 700)
    assert [transfer.failure(i) for i in (4, 5, 7, 8)] == [None, "GONE", "GONE", "E0"]
    codes = [code for _, _, code in transfer.outcomes(at(10))]
    assert codes == [None] * 5 + ["GONE", None, "GONE", "E0", None]
    # Failed files move no bytes, per label too.
    assert (transfer.bytes_by(at(10), "a"), transfer.bytes_by(at(10), "b")) == (500, 200)
    assert transfer.bytes_by(at(6), "a") == 500


def test_a_finished_file_cannot_fail_afterwards() -> None:
    transfer = Transfer(files(*[100] * 5), SLOW, START)
    with pytest.raises(ValueError, match="finished"):
        transfer.fail(at(2), {1: "LATE"})
    with pytest.raises(ValueError, match="outside"):
        transfer.fail(at(2), {9: "NOWHERE"})
    transfer.fail(at(2), {})  # nothing to add: nothing happens
    assert transfer.progress(at(5)).failed == 0


@given(
    st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40),
    st.floats(min_value=1, max_value=1e12),
    st.floats(min_value=0, max_value=10),
    st.floats(min_value=1e-3, max_value=1e9),
)
def test_a_plan_without_delays_finishes_its_files_when_the_general_formula_says(
    sizes: list[int], bandwidth: float, per_file: float, enumeration_rate: float
) -> None:
    rate = RateModel(bandwidth=bandwidth, per_file=per_file, enumeration_rate=enumeration_rate)
    plain = Transfer(files(*sizes), rate, START)
    delayed = Transfer(files(*sizes), rate, START, delays={len(sizes) - 1: 0.0})
    assert [plain.finished_after(i) for i in range(len(sizes))] == [
        delayed.finished_after(i) for i in range(len(sizes))
    ]


def test_bytes_moved_at_an_instant_are_remembered_until_the_plan_changes() -> None:
    transfer = Transfer(files(*[100] * 10), SLOW, START)
    assert transfer.bytes_by(at(4.5)) == 450
    transfer.fail(at(5), {7: "eio"})  # a later failure: what was moved by 4.5 s stays
    assert transfer.bytes_by(at(4.5)) == 450
    assert transfer.bytes_by(at(10)) == 900
    transfer.pause(at(2))  # the plan changed before 4.5 s: the remembered figure is not reused
    assert transfer.bytes_by(at(4.5)) == 200
    transfer.resume(at(3))
    assert transfer.bytes_by(at(4.5)) == 350
