"""Scenario loading: validation, layering and `file:line: key.path: message` problems."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from pydantic import BaseModel, ConfigDict, Field

from emulators.core.errors import Problem, ScenarioError
from emulators.core.scenario import MAX_VALUES, json_schema, load_files, load_scenario, schema_text


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    files: int = 10


class Box(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    size: int = 0
    tags: list[str] = Field(default_factory=list)
    limits: Limits = Field(default_factory=Limits)


SECTIONS = {"box": Box}
ACTIONS = {"box": ["grow", "shrink"]}

GOOD = """\
version: 1
name: two boxes
seed: 42
clock:
  start: 2030-01-01T00:00:00Z
  mode: manual
services:
  box:
    name: first
    size: 3
    tags: [a, b]
    limits:
      files: 5
timeline:
  - at: 10
    service: box
    action: grow
    args: {by: 2}
"""


def problems(*sources: tuple[str, str]) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(sources, SECTIONS, ACTIONS)
    return [str(p) for p in caught.value.problems]


def test_a_valid_scenario_loads() -> None:
    scenario = load_scenario([("good.yaml", GOOD)], SECTIONS, ACTIONS)
    model = scenario.model
    assert (model.version, model.name, model.seed) == (1, "two boxes", 42)
    assert model.clock.start == datetime(2030, 1, 1, tzinfo=UTC)
    assert model.clock.mode == "manual"
    box = scenario.section("box")
    assert isinstance(box, Box)
    assert (box.name, box.size, box.tags, box.limits.files) == ("first", 3, ["a", "b"], 5)
    assert scenario.section("other") is None
    assert model.timeline[0].at == 10
    assert model.timeline[0].args == {"by": 2}


def test_a_minimal_scenario_takes_the_defaults() -> None:
    model = load_scenario([("min.yaml", "version: 1\n")], SECTIONS).model
    assert (model.seed, model.clock.mode, model.clock.speed) == (0, "real", 1.0)
    assert model.faults == []
    assert model.journal.size == 1000
    assert load_scenario([("min.yaml", "version: 1\n")], SECTIONS).section("box") is None


def test_a_timeline_event_may_be_at_an_absolute_time() -> None:
    text = "version: 1\ntimeline:\n  - {at: 2030-01-02T00:00:00Z, service: box, action: shrink}\n"
    event = load_scenario([("t.yaml", text)], SECTIONS, ACTIONS).model.timeline[0]
    assert event.at == datetime(2030, 1, 2, tzinfo=UTC)


def test_later_files_override_mapping_keys_and_replace_lists() -> None:
    overlay = "version: 1\nseed: 7\nservices:\n  box:\n    size: 9\n    tags: [z]\n    limits: {}\n"
    scenario = load_scenario([("base.yaml", GOOD), ("overlay.yaml", overlay)], SECTIONS, ACTIONS)
    box = scenario.section("box")
    assert isinstance(box, Box)
    assert (box.name, box.size, box.tags, box.limits.files) == ("first", 9, ["z"], 5)
    assert scenario.model.seed == 7
    assert scenario.model.name == "two boxes"


def test_a_problem_in_an_overlay_is_reported_in_the_overlay() -> None:
    base = "version: 1\nfaults:\n  - path: /x\n    action:\n      status: 500\n"
    overlay = "version: 1\nfaults:\n  - path: /y\n"
    assert problems(("base.yaml", base), ("overlay.yaml", overlay)) == [
        "overlay.yaml:3: faults.0.action: Field required"
    ]


def test_an_unknown_key_is_reported_at_its_line() -> None:
    text = "version: 1\nclock:\n  mode: manual\n  colour: red\n"
    assert problems(("s.yaml", text)) == ["s.yaml:4: clock.colour: unknown key"]


def test_an_unknown_key_in_a_service_section_is_reported_at_its_line() -> None:
    text = "version: 1\nservices:\n  box:\n    name: b\n    limits:\n      dirs: 3\n"
    assert problems(("s.yaml", text)) == ["s.yaml:6: services.box.limits.dirs: unknown key"]


def test_an_unknown_service_is_an_unknown_key() -> None:
    text = "version: 1\nservices:\n  crate: {}\n"
    assert problems(("s.yaml", text)) == ["s.yaml:3: services.crate: unknown key"]


def test_a_wrong_type_is_reported_at_its_line() -> None:
    text = "version: 1\nservices:\n  box:\n    name: b\n    size: lots\n"
    (problem,) = problems(("s.yaml", text))
    assert problem.startswith("s.yaml:5: services.box.size: ")
    assert "integer" in problem


def test_a_missing_required_key_is_reported_at_its_parent() -> None:
    text = "version: 1\nservices:\n  box:\n    size: 1\n"
    assert problems(("s.yaml", text)) == ["s.yaml:3: services.box.name: Field required"]


def test_a_missing_version_is_reported() -> None:
    assert problems(("s.yaml", "seed: 1\n")) == ["s.yaml:1: version: Field required"]


def test_a_wrong_version_is_reported_at_its_line() -> None:
    (problem,) = problems(("s.yaml", "# a scenario\nversion: 2\n"))
    assert problem.startswith("s.yaml:2: version: ")
    assert "1" in problem


def test_bad_yaml_is_reported_at_its_line() -> None:
    text = "version: 1\nclock:\n  mode: [manual\nseed: 1\n"
    (problem,) = problems(("s.yaml", text))
    assert problem.startswith("s.yaml:4: (top): not valid YAML: ")


def test_a_document_that_is_not_a_mapping_is_reported() -> None:
    assert problems(("s.yaml", "- version: 1\n")) == ["s.yaml:1: (top): a scenario must be a mapping"]


def test_an_unknown_timeline_service_is_reported_at_its_line() -> None:
    text = "version: 1\ntimeline:\n  - at: 5\n    service: crate\n    action: grow\n"
    assert problems(("s.yaml", text)) == ["s.yaml:4: timeline.0.service: unknown service 'crate'"]


def test_an_unknown_timeline_action_is_reported_at_its_line_with_the_known_ones() -> None:
    text = (
        "version: 1\n"
        "timeline:\n"
        "  - at: 5\n"
        "    service: box\n"
        "    action: grow\n"
        "  - at: 6\n"
        "    service: box\n"
        "    action: explode\n"
    )
    assert problems(("s.yaml", text)) == [
        "s.yaml:8: timeline.1.action: unknown action 'explode'; known: grow, shrink"
    ]


def test_every_timeline_action_is_unknown_without_a_list_of_actions() -> None:
    text = "version: 1\ntimeline:\n  - {at: 5, service: box, action: grow}\n"
    with pytest.raises(ScenarioError, match="unknown service 'box'"):
        load_scenario([("s.yaml", text)], SECTIONS)


def test_several_problems_are_reported_at_once() -> None:
    text = "version: 1\nseed: x\nclock:\n  speed: 0\nservices:\n  box:\n    bogus: 1\n"
    found = problems(("s.yaml", text))
    assert [p.split(": ", 2)[:2] for p in found] == [
        ["s.yaml:2", "seed"],
        ["s.yaml:4", "clock.speed"],
        ["s.yaml:6", "services.box.name"],
        ["s.yaml:7", "services.box.bogus"],
    ]


def test_yaml_problems_in_several_files_are_reported_together() -> None:
    found = problems(("a.yaml", "version: 1\nseed: [\n"), ("b.yaml", "version: 1\n"), ("c.yaml", "x: {\n"))
    assert [p.split(":", 1)[0] for p in found] == ["a.yaml", "c.yaml"]


def test_a_scenario_error_message_lists_every_problem() -> None:
    error = ScenarioError([Problem("a.yaml", 3, "seed", "bad"), Problem("b.yaml", 1, "", "worse")])
    assert str(error) == "a.yaml:3: seed: bad\nb.yaml:1: (top): worse"


def test_load_files_reads_each_file_in_order(tmp_path: Path) -> None:
    base, overlay = tmp_path / "base.yaml", tmp_path / "overlay.yaml"
    base.write_text(GOOD, encoding="utf-8")
    overlay.write_text("version: 1\nseed: 8\n", encoding="utf-8")
    assert load_files([base, overlay], SECTIONS, ACTIONS).model.seed == 8
    with pytest.raises(ScenarioError) as caught:
        load_files([tmp_path / "absent.yaml"], SECTIONS, ACTIONS)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == (str(tmp_path / "absent.yaml"), 0)
    assert "cannot read the file" in problem.message


def test_the_json_schema_accepts_a_good_document_and_rejects_a_bad_one() -> None:
    schema = json_schema(SECTIONS)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    good = {
        "version": 1,
        "clock": {"mode": "manual", "start": "2030-01-01T00:00:00Z"},
        "faults": [{"path": "/x/*", "nth": 2, "action": {"status": 503, "retry_after": 1}}],
        "services": {"box": {"name": "b", "tags": ["t"]}},
        "timeline": [{"at": 5, "service": "box", "action": "grow"}],
    }
    assert list(validator.iter_errors(good)) == []
    bad = {"version": 2, "services": {"box": {"size": "big", "extra": 1}}, "surprise": True}
    errors = {".".join(map(str, e.absolute_path)): e for e in validator.iter_errors(bad)}
    assert set(errors) == {"", "version", "services.box"}
    inner = {".".join(map(str, e.absolute_path)) for e in errors["services.box"].context}
    assert "services.box.size" in inner


def test_the_schema_text_is_the_sorted_json_schema() -> None:
    text = schema_text(SECTIONS)
    assert text.endswith("}\n")
    assert '"title": "transfer-emulators scenario"' in text
    assert '"box"' in text


def test_a_duplicate_key_is_a_problem_not_a_silent_override():
    with pytest.raises(ScenarioError) as caught:
        load_scenario([("dup.yaml", "version: 1\nseed: 1\nseed: 2\n")], {})
    assert [str(p) for p in caught.value.problems] == ["dup.yaml:3: seed: duplicate key"]


def test_a_time_without_an_offset_is_read_as_utc() -> None:
    text = (
        "version: 1\nclock: {start: 2026-06-01T00:00:00}\n"
        "timeline:\n  - {at: '2026-06-02 00:00:00', service: box, action: shrink}\n"
    )
    model = load_scenario([("t.yaml", text)], SECTIONS, ACTIONS).model
    assert model.clock.start == datetime(2026, 6, 1, tzinfo=UTC)
    assert model.timeline[0].at == datetime(2026, 6, 2, tzinfo=UTC)


@pytest.mark.parametrize("at", [".nan", ".inf", "1e300", "-5"])
def test_a_timeline_offset_must_be_a_finite_number_of_seconds_ahead(at: str) -> None:
    text = f"version: 1\ntimeline:\n  - {{at: {at}, service: box, action: shrink}}\n"
    assert any(p.startswith("t.yaml:3: timeline.0.at") for p in problems(("t.yaml", text)))


@pytest.mark.parametrize("start", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_the_clock_must_start_where_it_has_room_to_run(start: str) -> None:
    text = f"version: 1\nclock:\n  start: {start}\n"
    assert problems(("t.yaml", text)) == [
        "t.yaml:3: clock.start: the clock must start between 1970 and 9000, so it has room to run"
    ]


@pytest.mark.parametrize("extends", ["5", "true", "[default, 3]", "{a: b}"])
def test_extends_must_name_scenarios(extends: str) -> None:
    text = f"version: 1\nextends: {extends}\n"
    assert problems(("t.yaml", text)) == ["t.yaml:2: extends: must be a scenario name or a list of names"]


def test_a_document_nested_too_deeply_is_a_problem() -> None:
    text = "version: 1\nx: " + "[" * 5000 + "]" * 5000 + "\n"
    assert problems(("t.yaml", text)) == ["t.yaml:2: (top): nested more than 64 deep"]


def test_aliases_that_expand_a_small_file_beyond_reason_are_refused() -> None:
    lines = ["version: 1", "a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    (problem,) = problems(("bomb.yaml", "\n".join(lines) + "\n"))
    assert problem.startswith(f"bomb.yaml:2: (top): the document expands to more than {MAX_VALUES:,} values")


def test_a_few_aliases_are_fine() -> None:
    text = "version: 1\nservices:\n  box: {name: &n first, tags: [*n, *n]}\n"
    box = load_scenario([("t.yaml", text)], SECTIONS, ACTIONS).section("box")
    assert isinstance(box, Box) and box.tags == ["first", "first"]


def test_fault_rule_ids_are_unique() -> None:
    text = (
        "version: 1\nfaults:\n"
        "  - {id: slow, action: {status: 503}}\n"
        "  - {action: {status: 500}}\n"
        "  - {id: slow, action: {status: 429}}\n"
    )
    assert problems(("t.yaml", text)) == ["t.yaml:5: faults.2.id: the id 'slow' is already used"]


def window_rule(window: str, clock: str = "") -> str:
    return f"version: 1\n{clock}faults:\n  - action: {{status: 503}}\n    window: {window}\n"


@pytest.mark.parametrize(
    "window",
    ["{start: 60, end: 2030-01-01T00:00:30Z}", "{start: 2030-01-01T00:01:00Z, end: 30}"],
)
def test_a_window_mixing_a_time_and_seconds_must_end_after_it_starts_from_clock_start(window: str) -> None:
    text = window_rule(window, clock="clock: {start: 2030-01-01T00:00:00Z}\n")
    assert problems(("t.yaml", text)) == [
        "t.yaml:5: faults.0.window: the window's end must be after its start, or the rule can never fire"
    ]


def test_a_window_mixing_a_time_and_seconds_that_opens_from_clock_start_loads() -> None:
    clock = "clock: {start: 2030-01-01T00:00:00Z}\n"
    text = window_rule("{start: 60, end: 2030-01-01T00:02:00Z}", clock=clock)
    assert load_scenario([("t.yaml", text)], SECTIONS, ACTIONS).model.faults[0].window is not None


def test_a_window_mixing_a_time_and_seconds_is_refused_without_clock_start() -> None:
    text = window_rule("{start: 60, end: 2999-01-01T00:00:00Z}")
    assert problems(("t.yaml", text)) == [
        "t.yaml:4: faults.0.window: without clock.start the clock starts when the scenario loads, so a "
        "time and seconds after the start cannot be compared: write both bounds as times or both as "
        "seconds"
    ]


def test_a_window_with_one_bound_or_bounds_written_the_same_way_needs_no_clock_start() -> None:
    for window in ["{start: 60}", "{end: 2999-01-01T00:00:00Z}", "{start: 10, end: 20}"]:
        load_scenario([("t.yaml", window_rule(window))], SECTIONS, ACTIONS)
