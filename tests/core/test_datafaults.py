"""Data-level fault rules: which files of a transfer fail, with which code, at which stage."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from emulators.core.datafaults import DataFault, DataFaults


def test_no_rules_fail_nothing() -> None:
    faults = DataFaults([], seed=0)
    assert not faults
    assert faults.outcome("acct/box/file.bin") is None


def test_a_glob_star_crosses_directories() -> None:
    rule = DataFault(match="acct/box/*.tmp", error="E_TMP")
    faults = DataFaults([rule], seed=0)
    assert faults
    assert faults.outcome("acct/box/a.tmp") is rule
    assert faults.outcome("acct/box/deep/er/b.tmp") is rule
    assert faults.outcome("acct/box/a.tmp.bak") is None
    assert faults.outcome("acct/other/a.tmp") is None
    assert faults.outcome("ACCT/BOX/A.TMP") is None


def test_the_first_matching_rule_decides() -> None:
    specific = DataFault(match="*/locked/*", error="E_LOCKED", stage="enumeration")
    general = DataFault(match="*", error="E_ANY", stage="validation")
    faults = DataFaults([specific, general], seed=0)
    assert faults.outcome("a/locked/f") is specific
    assert faults.outcome("a/open/f") is general
    assert (specific.stage, general.stage, DataFault(match="*", error="E").stage) == (
        "enumeration",
        "validation",
        "transfer",
    )


def test_probability_is_seeded_per_file_and_ignores_the_order_of_questions() -> None:
    rule = DataFault(match="*", error="E", probability=0.3)
    names = [f"box/f{i}" for i in range(1000)]
    forward = [DataFaults([rule], seed=5).outcome(n) is not None for n in names]
    faults = DataFaults([rule], seed=5)
    backward = [faults.outcome(n) is not None for n in reversed(names)]
    assert forward == backward[::-1]
    assert 250 < sum(forward) < 350
    other_seed = [DataFaults([rule], seed=6).outcome(n) is not None for n in names]
    assert forward != other_seed


def test_a_file_spared_by_a_chance_rule_falls_through_to_the_next() -> None:
    never = DataFault(match="*", error="NEVER", probability=0)
    always = DataFault(match="*", error="ALWAYS")
    assert DataFaults([never, always], seed=0).outcome("f") is always


@settings(derandomize=True, database=None)
@given(seed=st.integers(), location=st.text(min_size=1, max_size=30))
def test_probability_zero_never_fails_and_one_always_does(seed: int, location: str) -> None:
    assert DataFaults([DataFault(match="*", error="E", probability=0)], seed).outcome(location) is None
    assert DataFaults([DataFault(match="*", error="E", probability=1)], seed).outcome(location) is not None


def test_a_rule_needs_an_error_code_and_a_probability_in_range() -> None:
    with pytest.raises(ValidationError):
        DataFault(match="*", error="")
    with pytest.raises(ValidationError):
        DataFault(match="*", error="E", probability=1.5)
    with pytest.raises(ValidationError):
        DataFault.model_validate({"match": "*", "error": "E", "stage": "upload"})
    with pytest.raises(ValidationError):
        DataFault.model_validate({"match": "*", "error": "E", "colour": "red"})


def test_each_attempt_draws_its_own_chance() -> None:
    """A service that retries asks once per attempt; the first draw is the one rules always made."""
    faults = DataFaults([DataFault(match="*", error="ServerBusy", probability=0.5)], seed=7)
    first = [faults.outcome(f"f{i}") is not None for i in range(1000)]
    again = [faults.outcome(f"f{i}", attempt=0) is not None for i in range(1000)]
    retry = [faults.outcome(f"f{i}", attempt=1) is not None for i in range(1000)]
    assert first == again, "attempt 0 is the draw rules without retries have always made"
    both = sum(a and b for a, b in zip(first, retry, strict=True))
    assert 200 < both < 300
