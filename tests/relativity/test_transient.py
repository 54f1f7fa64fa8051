"""Doc, "Error codes": ER_99999 is an "Unknown/uncategorized non-transient error".

Azure's transient answers (reference, A7: ServerBusy 503, OperationTimedOut and InternalError 500) are
retried up to `behaviour.transient_retries` times; a file fails only when every attempt meets one.
A data-fault rule's probability is the chance of each attempt (a non-transient code is never retried,
so for it the chance is the file's). Each retry waits the Azure SDK's exponential back-off first.
"""

from __future__ import annotations

import pytest
from conftest import Relativity


def _scenario(error: str, probability: float, retries: int) -> str:
    return f"""
version: 1
extends: default
services:
  relativity:
    behaviour: {{transient_retries: {retries}}}
    azure:
      devstoreaccount1:
        containers:
          many:
            generate:
              - {{count: 2000, prefix: batch, size: {{distribution: fixed, value: 100}}}}
    data_faults:
      - {{match: "devstoreaccount1/many/*", error: {error}, probability: {probability}}}
"""


def _failed(relativity: Relativity) -> int:
    final = relativity.run_until_final(relativity.create("many"))
    relativity.advance(3600)
    codes = {row[3] for row in relativity.report(final["transferJobID"])[1:]}
    assert codes <= {"", "ER_99999", "ER_10002"}
    return final["transferStatistics"]["failedFiles"]


@pytest.mark.parametrize("error", ["ServerBusy", "OperationTimedOut", "InternalError"])
def test_a_transient_error_on_every_attempt_fails_with_er_99999(emulator_factory, error: str):
    relativity = Relativity(emulator_factory(scenario_text=_scenario(error, 1, 2)))
    assert _failed(relativity) == 2000


def test_a_transient_error_that_clears_on_a_retry_is_not_a_failure(emulator_factory):
    without = Relativity(emulator_factory(scenario_text=_scenario("ServerBusy", 0.5, 0)))
    assert 900 < _failed(without) < 1100  # one attempt: about half
    retried = Relativity(emulator_factory(scenario_text=_scenario("ServerBusy", 0.5, 3)))
    assert 80 < _failed(retried) < 170  # four attempts: about 1 in 16


def test_a_non_transient_error_is_never_retried(emulator_factory):
    relativity = Relativity(emulator_factory(scenario_text=_scenario("BlobImmutableDueToPolicy", 0.5, 3)))
    assert 900 < _failed(relativity) < 1100


@pytest.mark.parametrize(
    ("probability", "status", "error"), [(1, "failed", "ER_99999"), (0.01, "completed", "")]
)
def test_a_transient_listing_error_is_retried_too(
    emulator_factory, probability: float, status: str, error: str
):
    """A List Blobs page answered ServerBusy is asked again; the listing fails only if it stays busy
    (at 1 % a try, about 20 of the 2,000 names meet it once, none four times)."""
    text = _scenario("ServerBusy", probability, 3).replace("probability:", "stage: enumeration, probability:")
    relativity = Relativity(emulator_factory(scenario_text=text))
    enumeration = relativity.run_until_final(relativity.create("many"))["enumerationStatistics"]
    assert enumeration["status"] == status
    assert (enumeration["error"] or "").startswith(error)


def _timed(retries: int, stage: str = "transfer", error: str = "ServerBusy", figures: str = "") -> str:
    return f"""
version: 1
extends: default
services:
  relativity:
    behaviour: {{transient_retries: {retries}, statistics_interval: 0.2{figures}}}
    azure:
      devstoreaccount1:
        containers:
          few:
            entries:
              - {{path: a.txt, size: 100}}
              - {{path: b.txt, size: 100}}
              - {{path: c.txt, size: 100}}
    data_faults:
      - {{match: "devstoreaccount1/few/b.txt", error: {error}, stage: {stage}}}
"""


def _seconds_to_final(relativity: Relativity, container: str = "few") -> float:
    """Seconds from creation until a read shows the job Completed or Failed (reads every 0.2 s)."""
    created = relativity.now()
    relativity.run_until_final(relativity.create(container), step=0.2)
    return (relativity.now() - created).total_seconds()


@pytest.mark.parametrize("stage", ["transfer", "enumeration", "validation"])
def test_retries_take_the_back_off_time_of_the_stage_that_retried(emulator_factory, stage: str):
    """Azure SDK back-off: 10 s before the first retry, doubled, at most 15 s: 10 + 15 = 25 s more
    for two retries, whether the copy, the listing or the validation retried."""
    figures = ", transient_retry_delay: 10, transient_retry_max_delay: 15"
    once = Relativity(emulator_factory(scenario_text=_timed(0, stage, figures=figures)))
    twice = Relativity(emulator_factory(scenario_text=_timed(2, stage, figures=figures)))
    assert _seconds_to_final(twice) - _seconds_to_final(once) == pytest.approx(25, abs=0.21)


def test_the_default_back_off_is_the_azure_sdk_s(emulator_factory):
    """RetryOptions' defaults in the Azure SDK for .NET: Delay 0.8 s, doubled each retry: three
    retries wait 0.8 + 1.6 + 3.2 = 5.6 s."""
    once = Relativity(emulator_factory(scenario_text=_timed(0)))
    retried = Relativity(emulator_factory(scenario_text=_timed(3)))
    assert _seconds_to_final(retried) - _seconds_to_final(once) == pytest.approx(5.6, abs=0.21)


def test_a_non_transient_error_takes_no_retry_time(emulator_factory):
    once = Relativity(emulator_factory(scenario_text=_timed(0, error="BlobImmutableDueToPolicy")))
    retried = Relativity(emulator_factory(scenario_text=_timed(3, error="BlobImmutableDueToPolicy")))
    assert _seconds_to_final(retried) == _seconds_to_final(once)


def test_a_retry_that_clears_shows_as_a_later_end_in_the_statistics(emulator_factory):
    """relativity-file-failures: build.tmp (InternalError) and reply-01.msg retry 3 times and fail,
    reply-02.msg clears on its third retry and reply-03.msg on its first: 3 * 5.6 + 0.8 = 17.6 s of
    back-off in the copy."""
    base = "extends: relativity-file-failures\nservices: {relativity: {behaviour: {statistics_interval: 0.2"
    without = Relativity(emulator_factory(scenario_text=base + ", transient_retries: 0}}}"))
    retried = Relativity(emulator_factory(scenario_text=base + "}}}"))
    assert _seconds_to_final(retried, "mixed") - _seconds_to_final(without, "mixed") == pytest.approx(
        17.6, abs=0.21
    )
