"""Scenario parsing is bounded: sizes, value counts and depth are checked while the text is read,
and a document that holds itself is a problem, not a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from emulators.core import scenario as scenario_module
from emulators.core.errors import ScenarioError
from emulators.core.scenario import MAX_DEPTH, MAX_PROBLEMS, MAX_SCENARIO_BYTES, MAX_VALUES, load_scenario


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario([("t.yaml", text)], {})
    return [str(p) for p in caught.value.problems]


@pytest.fixture
def no_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building the node tree fails the test: the limit must be found before it."""

    def compose(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the document was composed before its limits were checked")

    monkeypatch.setattr(scenario_module.yaml, "compose", compose)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("version: 1\nseed: &a [*a]\n", 2),
        ("version: 1\nseed: &a {x: [1, *a]}\n", 2),
        ("version: 1\nservices:\n  box: &b\n    - 1\n    - *b\n", 5),
    ],
    ids=["list", "mapping", "block"],
)
def test_an_alias_inside_the_collection_it_names_is_a_problem(text: str, line: int, no_tree: None) -> None:
    [problem] = problems(text)
    assert problem.startswith(f"t.yaml:{line}: (top): the alias *")
    assert problem.endswith("refers to a collection that contains it")


def test_an_alias_to_a_finished_collection_is_fine() -> None:
    model = load_scenario([("t.yaml", "version: 1\nseed: 4\ntimeline: &a []\nfaults: *a\n")], {}).model
    assert (model.seed, model.faults) == (4, [])


def test_a_long_list_is_refused_while_it_is_read(no_tree: None) -> None:
    text = "version: 1\ntimeline:\n" + "- 1\n" * (MAX_VALUES + 10)
    assert len(text) <= MAX_SCENARIO_BYTES
    [problem] = problems(text)
    # Five values (the mapping, two keys, 1 and the list) come before the item on line 3.
    assert problem == f"t.yaml:{MAX_VALUES - 5 + 3}: (top): more than {MAX_VALUES:,} values"


def test_deep_nesting_is_refused_while_it_is_read(no_tree: None) -> None:
    text = "version: 1\nseed:\n" + "".join(f"{'  ' * i}- \n" for i in range(1, MAX_DEPTH + 5))
    [problem] = problems(text)
    assert problem.endswith(f"(top): nested more than {MAX_DEPTH} deep")


def test_a_text_larger_than_a_scenario_may_be_is_refused_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    def parse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the text was parsed")

    monkeypatch.setattr(scenario_module.yaml, "parse", parse)
    assert problems("version: 1\n" + "#" * MAX_SCENARIO_BYTES) == ["t.yaml:0: (top): larger than 4 MiB"]


def test_a_timestamp_no_calendar_has_is_a_problem() -> None:
    assert problems("version: 1\nname: 2026-13-01\n") == [
        "t.yaml:0: (top): not valid YAML: month must be in 1..12"
    ]


def test_the_data_is_what_yaml_reads() -> None:
    text = "version: 1\nseed: 0x10\nname: &n 'a'\ndescription: *n\n"
    model = load_scenario([("t.yaml", text)], {}).model
    assert (model.seed, model.name, model.description) == (16, "a", "a")
    assert yaml.safe_load(text)["seed"] == 16


def test_a_problem_per_value_is_reported_as_the_first_hundred_and_a_count() -> None:
    found = problems("version: 1\ntimeline:\n" + "- 1\n" * 500)
    assert len(found) == MAX_PROBLEMS + 1
    assert found[0] == "t.yaml:3: timeline.0: Input should be a valid dictionary or instance of TimelineEvent"
    assert found[-1] == f"t.yaml:{3 + MAX_PROBLEMS}: (top): and up to {500 - MAX_PROBLEMS:,} more problems"


@pytest.mark.parametrize(
    "text",
    ["version: 1\n? [a, b]\n: 1\n", "version: 1\nk: &k {a: 1}\nm:\n  ? *k\n  : 2\n"],
    ids=["list", "aliased-mapping"],
)
def test_a_key_that_is_a_collection_is_refused_without_being_spelled_out(text: str) -> None:
    [problem] = problems(text)
    assert problem.endswith("(top): a key must be a plain value, not a list or a mapping")


def test_a_large_collection_used_as_many_keys_is_refused() -> None:
    # 1,000 values used as 3,000 keys: spelling each key out would cost 3,000,000 values.
    text = "version: 1\nk: &k [" + ", ".join(["1"] * 1000) + "]\nm:\n" + "  ? *k\n  : 1\n" * 3000
    assert problems(text) == ["t.yaml:2: (top): a key must be a plain value, not a list or a mapping"]


@pytest.mark.parametrize(
    "tagged", ["!!timestamp soon", "!!binary '*'", "!!python/object:os.system x", "!!str 5"]
)
def test_a_tagged_value_is_a_problem_not_a_crash(tagged: str) -> None:
    [problem] = problems(f"version: 1\nname: {tagged}\n")
    assert problem.startswith("t.yaml:2: (top): YAML tags (")
    assert problem.endswith(") have no place in a scenario")


@pytest.mark.parametrize("name", ["x" * 5000, "a\\0b"], ids=["too-long", "nul"])
def test_extends_naming_what_no_file_can_be_called_is_not_found(tmp_path: Path, name: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario([("t.yaml", f'version: 1\nextends: "{name}"\n')], {}, library=[tmp_path])
    [problem] = caught.value.problems
    assert problem.message.startswith("cannot find scenario")
