"""Seeded ids and chance: the same seed gives the same ids, per-item chance ignores call order."""

from __future__ import annotations

import re
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from emulators.core.ids import Ids, seeded_stream, stable_fraction


def test_same_seed_gives_the_same_uuids_and_tokens() -> None:
    a, b = Ids(7), Ids(7)
    assert [a.uuid(), a.token(), a.uuid()] == [b.uuid(), b.token(), b.uuid()]


def test_another_seed_gives_other_ids() -> None:
    assert Ids(1).uuid() != Ids(2).uuid()
    assert Ids(1).token() != Ids(2).token()


def test_uuid_is_a_version_4_uuid() -> None:
    ids = Ids(0)
    values = [ids.uuid() for _ in range(50)]
    assert len(set(values)) == 50
    for value in values:
        parsed = uuid.UUID(value)
        assert parsed.version == 4
        assert str(parsed) == value


def test_token_is_hex_of_the_asked_length() -> None:
    ids = Ids(0)
    assert re.fullmatch(r"[0-9a-f]{48}", ids.token())
    assert re.fullmatch(r"[0-9a-f]{8}", ids.token(4))


@settings(derandomize=True, database=None)
@given(st.integers(), st.lists(st.one_of(st.integers(), st.text()), max_size=4))
def test_stable_fraction_is_in_the_unit_interval_and_repeatable(seed: int, parts: list[object]) -> None:
    value = stable_fraction(seed, *parts)
    assert 0 <= value < 1
    assert stable_fraction(seed, *parts) == value


def test_stable_fraction_does_not_depend_on_what_was_asked_before() -> None:
    alone = stable_fraction(3, "rule", 10)
    for i in range(10):
        stable_fraction(3, "rule", i)
    assert stable_fraction(3, "rule", 10) == alone


def test_stable_fraction_changes_with_seed_and_parts() -> None:
    base = stable_fraction(1, "a", 1)
    assert stable_fraction(2, "a", 1) != base
    assert stable_fraction(1, "b", 1) != base
    assert stable_fraction(1, "a", 2) != base


def test_stable_fraction_is_roughly_uniform() -> None:
    values = [stable_fraction(0, "file", i) for i in range(10_000)]
    below_half = sum(v < 0.5 for v in values)
    assert 4_700 < below_half < 5_300


def test_seeded_stream_is_fixed_by_seed_and_parts() -> None:
    first, again = seeded_stream(5, "sizes", 0), seeded_stream(5, "sizes", 0)
    drawn = [first.random() for _ in range(3)]
    assert drawn == [again.random() for _ in range(3)]
    assert len(set(drawn)) == 3
    assert seeded_stream(5, "sizes", 1).random() != seeded_stream(5, "sizes", 0).random()
    assert seeded_stream(6, "sizes", 0).random() != seeded_stream(5, "sizes", 0).random()
