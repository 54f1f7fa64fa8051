"""Doc, "Error codes": ER_99999 is an "Unknown/uncategorized non-transient error".

Azure's transient answers (reference, A7: ServerBusy 503, OperationTimedOut and InternalError 500) are
retried up to `behaviour.transient_retries` times; a file fails only when every attempt meets one.
A data-fault rule's probability is the chance of each attempt (a non-transient code is never retried,
so for it the chance is the file's).
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
