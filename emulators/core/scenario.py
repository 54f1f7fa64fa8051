"""Scenarios: YAML files that say what an emulator instance starts with.

A scenario is `version: 1` YAML with core sections (seed, clock, journal, faults, timeline) and one
section per service under `services:`, each validated by the model that service declares. Several
files can be layered: mappings merge key by key and a later file wins for everything else. Loading
reports every problem at once as `file:line: key.path: message` (a `ScenarioError`); nothing else
leaves this module on bad input.

The core does not know the services' sections: `scenario_model(sections)` builds the full model from
whatever services the app was assembled with, and the JSON Schema comes from that same model.
"""

from __future__ import annotations

import difflib
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, runtime_checkable

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    ValidationError,
    create_model,
    field_validator,
)

from emulators.core.errors import Problem, ScenarioError
from emulators.core.faults import NEVER_OPENS, FaultRule, FaultRules
from emulators.core.journal import JournalSpec
from emulators.core.spec import Spec

Location = tuple[str, int]


def _not_a_number(value: object) -> object:
    if isinstance(value, int | float):
        raise ValueError("a time is a date and time, not a number")  # pydantic would read epoch seconds
    return value


def _as_utc(value: datetime) -> datetime:
    """A time without an offset is read as UTC, as YAML reads `2026-06-01 00:00:00`."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


Instant = Annotated[datetime, BeforeValidator(_not_a_number), AfterValidator(_as_utc)]
EARLIEST_START, LATEST_START = datetime(1970, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC)
# Seconds after the clock's start: finite, and small enough that the instant stays a datetime.
Offset = Annotated[float, Field(ge=0, le=10**10, allow_inf_nan=False)]


MAX_SPEED = 1_000_000  # fastest real-clock speed factor


class ClockSpec(Spec):
    """Where virtual time starts and how it moves (the command line may override mode and speed)."""

    start: Instant | None = Field(
        default=None, description="default: the wall-clock time at load; without an offset, UTC"
    )
    mode: Literal["real", "manual"] = "real"
    speed: float = Field(default=1.0, gt=0, le=MAX_SPEED, allow_inf_nan=False)

    @field_validator("start")
    @classmethod
    def _before_year_9000(cls, value: datetime | None) -> datetime | None:
        if value is not None and not datetime(1970, 1, 1, tzinfo=UTC) <= value < datetime(
            9000, 1, 1, tzinfo=UTC
        ):
            raise ValueError("the clock must start between 1970 and 9000, so it has room to run")
        return value


class TimelineEvent(Spec):
    """A scripted change at an instant: `at` seconds after the clock's start, or an absolute time."""

    at: Offset | Instant
    service: str
    action: str
    args: dict[str, Any] = Field(default_factory=dict)


class CoreScenario(Spec):
    """The sections every scenario has, whatever services it configures."""

    version: Literal[1]
    extends: str | list[str] | None = Field(default=None, description="scenarios this one starts from")
    name: str = ""
    description: str = ""
    seed: int = 0
    clock: ClockSpec = Field(default_factory=ClockSpec)
    journal: JournalSpec = Field(default_factory=JournalSpec)
    faults: list[FaultRule] = Field(default_factory=list)
    timeline: list[TimelineEvent] = Field(default_factory=list)


@runtime_checkable
class ChecksTimelineArgs(Protocol):
    """A service section that checks its timeline actions' `args` against the rest of the section.

    Returns (arg name, message) pairs; each is reported as a problem at `timeline.N.args.NAME`.
    """

    def timeline_problems(self, action: str, args: Mapping[str, Any]) -> list[tuple[str, str]]: ...


@dataclass(frozen=True)
class Scenario:
    """A validated scenario."""

    model: CoreScenario

    def section(self, service: str) -> BaseModel | None:
        services = getattr(self.model, "services", None)
        return getattr(services, service, None) if services is not None else None


def scenario_model(sections: Mapping[str, type[BaseModel]]) -> type[CoreScenario]:
    """The scenario model for an app built with these service sections."""
    services: type[BaseModel] = create_model(  # type: ignore[call-overload]  # dynamic fields
        "Services",
        __base__=Spec,
        **{name: (model | None, None) for name, model in sections.items()},
    )
    return create_model(
        "Scenario",
        __base__=CoreScenario,
        services=(services, Field(default_factory=services)),
    )


def json_schema(sections: Mapping[str, type[BaseModel]]) -> dict[str, Any]:
    """The JSON Schema of scenario files for these services."""
    schema = scenario_model(sections).model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "transfer-emulators scenario"
    return schema


def load_scenario(
    sources: Iterable[tuple[str, str]],
    sections: Mapping[str, type[BaseModel]],
    actions: Mapping[str, Iterable[str]] | None = None,
    library: Path | Sequence[Path] | None = None,
    *,
    any_file: bool = False,
) -> Scenario:
    """Validate and merge (name, YAML text) pairs, later ones overriding earlier ones.

    A document may start from others with `extends: NAME` (or a list), loaded first: the name of a
    scenario in `library` (the bundled scenarios, and any directories the server was given), or,
    for a document read from a file, a path relative to that file. Texts come from untrusted callers
    by default (the control API), so their chain may only reach files inside `library`; `any_file`
    lifts that for files and texts the user named on the command line or in code.
    `actions` maps a service to the timeline actions it understands; events naming others are errors.
    """
    sources = list(sources)
    folders = [library] if isinstance(library, Path) else list(library or [])
    confine = None if any_file else _Confinement(folders)
    merged: dict[str, Any] = {}
    where: dict[tuple[str | int, ...], Location] = {}
    problems: list[Problem] = []
    for name, text in sources:
        for doc_name, data, lines in _expand(name, text, folders, confine, problems, ()):
            _forget(where, merged, data)
            _merge(merged, data)
            where.update({path: (doc_name, line) for path, line in lines.items()})
    if problems:
        raise ScenarioError(problems)
    merged.pop("extends", None)
    model_cls = scenario_model(sections)
    first = sources[0][0] if sources else "<scenario>"
    try:
        model = model_cls.model_validate(merged)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        raise ScenarioError(_problems(errors, where, first, model_cls)) from exc
    problems = _check_timeline(model, sections, actions or {}, where, first)
    problems += _check_fault_ids(model, where, first)
    problems += _check_fault_windows(model, where, first)
    if problems:
        raise ScenarioError(_at_most(problems))
    return Scenario(model)


def load_files(
    paths: Iterable[str | Path],
    sections: Mapping[str, type[BaseModel]],
    actions: Mapping[str, Iterable[str]] | None = None,
    library: Path | Sequence[Path] | None = None,
    text: str | None = None,
) -> Scenario:
    """`load_scenario` on files, then on `text` (named `<scenario>`) over them if given; an
    unreadable file is a problem like any other. The caller chose the files, so their `extends`
    may name any file."""
    sources = []
    for path in paths:
        try:
            sources.append((str(path), _read_file(Path(path))))
        except _Unreadable as exc:
            raise ScenarioError([Problem(str(path), 0, "", f"cannot read the file: {exc}")]) from exc
    if text is not None:
        sources.append(("<scenario>", text))
    return load_scenario(sources, sections, actions, library, any_file=True)


class _Unreadable(Exception):
    """A scenario file that cannot be read as text of at most `MAX_SCENARIO_BYTES` (never leaves
    this module: it becomes a Problem)."""


def _read_file(path: Path) -> str:
    """The file's text, refusing one larger than `MAX_SCENARIO_BYTES` without reading it all."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_SCENARIO_BYTES + 1)
    except OSError as exc:
        raise _Unreadable(exc.strerror or str(exc)) from exc
    if len(data) > MAX_SCENARIO_BYTES:
        raise _Unreadable(f"larger than {MAX_SCENARIO_BYTES // 2**20} MiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Unreadable(f"not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start})") from exc


class _Confinement:
    """The directories an untrusted chain of `extends` may read from, resolved once (symlinks too)."""

    def __init__(self, folders: Sequence[Path]) -> None:
        self.roots = [folder.resolve() for folder in folders]

    def allows(self, path: Path) -> bool:
        resolved = path.resolve()
        return any(resolved.is_relative_to(root) for root in self.roots)


_Document = tuple[str, dict[str, Any], dict[tuple[str | int, ...], int]]


def _expand(
    name: str,
    text: str,
    folders: Sequence[Path],
    confine: _Confinement | None,
    problems: list[Problem],
    seen: tuple[str, ...],
) -> list[_Document]:
    """The document and, before it, every document it extends (depth first).

    A document reached through `extends` must look like a scenario (a mapping with `version: 1`)
    before anything in it is reported: otherwise the problems would echo lines of whatever file
    the name pointed at.
    """
    base_of = bool(seen)
    try:
        data, lines = _parse(name, text)
    except ScenarioError as exc:
        problems.extend(_without_content(exc.problems) if base_of else exc.problems)
        return []
    if not isinstance(data, dict) or (base_of and data.get("version") != 1):
        what = "a scenario must be a mapping" if not base_of else "not a scenario (no `version: 1` mapping)"
        problems.append(Problem(name, 1, "", what))
        return []
    bases = data.get("extends") or []
    bases = [bases] if isinstance(bases, str) else bases
    documents: list[_Document] = []
    line = lines.get(("extends",), 1)
    if not isinstance(bases, list) or not all(isinstance(base, str) for base in bases):
        problems.append(Problem(name, line, "extends", "must be a scenario name or a list of names"))
        return [(name, data, lines)]
    for base in bases:
        path = _resolve(str(base), name, folders, confine)
        if path is None or str(path) in seen or str(path) == name:
            reason = "extends itself" if path is not None else _not_found(base, confine, folders)
            problems.append(Problem(name, line, "extends", reason))
            continue
        try:
            base_text = _read_file(path)
        except _Unreadable as exc:
            problems.append(Problem(name, line, "extends", f"cannot read {base!r}: {exc}"))
            continue
        documents += _expand(str(path), base_text, folders, confine, problems, (*seen, name))
    return [*documents, (name, data, lines)]


def _without_content(problems: list[Problem]) -> list[Problem]:
    """Parse problems of an extended file, keeping where they are but not what the file says there."""
    return [Problem(p.file, p.line, "", "not a valid scenario (YAML problem here)") for p in problems]


def _not_found(base: str, confine: _Confinement | None, folders: Sequence[Path] = ()) -> str:
    names = [p.stem for folder in folders if folder.is_dir() for p in folder.glob("*.yaml")]
    if confine is None:
        return f"cannot find scenario {base!r}" + _did_you_mean(base, names)
    return (
        f"cannot find scenario {base!r} (loaded through the control API, a scenario may extend the "
        "bundled scenarios and files in the server's scenario directories only)"
    )


def _resolve(base: str, including: str, folders: Sequence[Path], confine: _Confinement | None) -> Path | None:
    own = [Path(including).parent] if _is_file(Path(including)) else []
    candidates = [folder / name for folder in [*own, *folders] for name in (base, f"{base}.yaml")]
    return next(
        (c for c in candidates if _is_file(c) and (confine is None or confine.allows(c))),
        None,
    )


def _is_file(path: Path) -> bool:
    """Path.is_file, false for names no file can have (too long, a NUL byte) rather than raising."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


MAX_SCENARIO_BYTES = 4 * 2**20  # a scenario text or file; bundled ones are a few KiB
MAX_DEPTH = 64  # nesting of collections: scenarios need a few levels, and each level is recursion


def _parse(name: str, text: str) -> tuple[Any, dict[tuple[str | int, ...], int]]:
    """The document's data and the line of every key path, with the parse work bounded.

    The text is scanned as a stream of YAML events first, counting values and depth and refusing
    aliases to a collection they sit inside, so no limit is checked only after a long parse. libyaml
    then builds the node tree once, and the data is constructed from that same tree.
    """
    if len(text) > MAX_SCENARIO_BYTES:
        raise ScenarioError([Problem(name, 0, "", f"larger than {MAX_SCENARIO_BYTES // 2**20} MiB")])
    try:
        _scan(text)
        node = yaml.compose(text, Loader=_LOADER)
        lines: dict[tuple[str | int, ...], int] = {}
        duplicates: list[Problem] = []
        if node is not None:
            _locate(
                node,
                (),
                lines,
                lambda key, line: duplicates.append(Problem(name, line, key, "duplicate key")),
                itertools.count(),
            )
        if duplicates:
            raise ScenarioError(duplicates)
        data = yaml.SafeLoader("").construct_document(node) if node is not None else None
    except _Refused as exc:
        raise ScenarioError([Problem(name, exc.line, "", exc.reason)]) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        column = f" (column {mark.column + 1})" if mark else ""
        raise ScenarioError([Problem(name, line, "", f"not valid YAML: {exc.problem}{column}")]) from exc
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(name, 0, "", "not valid YAML")]) from exc
    except (ValueError, OverflowError) as exc:  # e.g. a timestamp such as 2026-13-01
        raise ScenarioError([Problem(name, 0, "", f"not valid YAML: {exc}")]) from exc
    return data, lines


_LOADER = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader


def _scan(text: str) -> None:
    """Raise _Refused for a document with too many values, nested too deep, holding itself, or
    with explicit tags."""
    depth, count, open_anchors = 0, 0, []
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.NodeEvent):
            count += 1
            if count > MAX_VALUES:
                raise _Refused(event, f"more than {MAX_VALUES:,} values")
            if isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent) and event.tag is not None:
                # PyYAML's constructors for tagged values (!!binary, !!timestamp, !!set...) fail in
                # ways of their own on odd input; a scenario needs none of them.
                raise _Refused(event, f"YAML tags ({event.tag}) have no place in a scenario")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(event, f"nested more than {MAX_DEPTH} deep")
            open_anchors.append(event.anchor)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            open_anchors.pop()
        elif isinstance(event, yaml.AliasEvent) and event.anchor in open_anchors:
            raise _Refused(event, f"the alias *{event.anchor} refers to a collection that contains it")


# Values a document may expand to (aliases can make a small file huge): the bundled scenarios hold a
# few hundred, and parsing and validating this many takes about a second.
MAX_VALUES = 50_000


class _Refused(Exception):
    """A document refused before it is built, past a parse limit or holding what no scenario can,
    noticed at `line` (0: not known)."""

    def __init__(self, at: yaml.Event | yaml.Node | None, reason: str) -> None:
        super().__init__(reason)
        self.line = at.start_mark.line + 1 if at is not None and at.start_mark is not None else 0
        self.reason = reason


def _locate(
    node: yaml.Node,
    path: tuple[str | int, ...],
    lines: dict[tuple[str | int, ...], int],
    duplicate: Callable[[str, int], None],
    counted: Iterator[int],
) -> None:
    if next(counted) >= MAX_VALUES:
        raise _Refused(
            node, f"the document expands to more than {MAX_VALUES:,} values (through YAML aliases)"
        )
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                # No scenario has one, and naming it would mean printing (maybe expanding) it.
                raise _Refused(key, "a key must be a plain value, not a list or a mapping")
            child = (*path, str(key.value))
            if child in seen:
                # YAML loaders keep the last value silently; a scenario author means one of them.
                duplicate(".".join(map(str, child)), key.start_mark.line + 1)
            seen.add(child)
            _locate(value, child, lines, duplicate, counted)
            lines[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _locate(item, (*path, i), lines, duplicate, counted)


def _forget(
    where: dict[tuple[str | int, ...], Location],
    into: Mapping[str, Any],
    new: Mapping[str, Any],
    path: tuple[str | int, ...] = (),
) -> None:
    # Drop the locations of whatever `new` replaces (rather than merges), so an error in a later
    # file is not reported at the line of the value it replaced in an earlier one.
    for key, value in new.items():
        child = (*path, str(key))
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _forget(where, into[key], value, child)
        elif key in into:  # a new key has nothing to forget, and scanning for it costs per key
            for stale in [p for p in where if p[: len(child)] == child]:
                del where[stale]


def _merge(into: dict[str, Any], new: Mapping[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _problems(
    errors: list[Any],
    where: Mapping[tuple[str | int, ...], Location],
    default: str,
    model_cls: type[BaseModel],
) -> list[Problem]:
    problems: dict[tuple[str, int, str], Problem] = {}
    for err in errors:
        loc = tuple(err["loc"])
        n = next(n for n in range(len(loc), -1, -1) if n == 0 or loc[:n] in where)
        file, line = where.get(loc[:n], (default, 0))
        # Past the deepest key present in the file, only a missing key is worth naming; the rest are
        # the validator's own labels (e.g. the branches of a union).
        key = loc[: n + 1] if err["type"] == "missing" and n < len(loc) else loc[:n]
        if err["type"] == "extra_forbidden":
            message = "unknown key" + _did_you_mean(str(loc[-1]), _known_keys(model_cls, loc[:-1]))
        else:
            message = err["msg"].removeprefix("Value error, ")
        problem = Problem(file, line, ".".join(map(str, key)), message)
        problems.setdefault((file, line, problem.key), problem)
        if len(problems) > MAX_PROBLEMS:
            break
    return _at_most(sorted(problems.values(), key=lambda p: (p.file, p.line)), len(errors))


def _did_you_mean(given: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(given, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _known_keys(model: Any, path: tuple[str | int, ...]) -> list[str]:
    """The keys a mapping at `path` of the scenario model may hold (none if it is not a model)."""
    for part in path:
        model = _inner_model(model, part)
        if model is None:
            return []
    return list(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []


def _inner_model(model: Any, part: str | int) -> Any:
    """The model of `part` inside `model`, looking through lists, dicts and unions of models."""
    if isinstance(model, type) and issubclass(model, BaseModel):
        field = model.model_fields.get(str(part))
        return None if field is None else _model_in(field.annotation)
    return None if isinstance(part, str) else model  # a list position: the element's model


def _model_in(annotation: Any) -> Any:
    """The pydantic model an annotation holds, through lists, dicts and optional unions."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


MAX_PROBLEMS = 100  # reported at once; a generated file can hold a problem per value


def _at_most(problems: list[Problem], found: int | None = None) -> list[Problem]:
    """The first MAX_PROBLEMS problems, then one saying how many more there may be (validation errors
    at the same key and line count once when shown)."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    more = (found if found is not None else len(problems)) - MAX_PROBLEMS
    last = problems[MAX_PROBLEMS]
    return [*problems[:MAX_PROBLEMS], Problem(last.file, last.line, "", f"and up to {more:,} more problems")]


def _check_timeline(
    model: CoreScenario,
    sections: Mapping[str, type[BaseModel]],
    actions: Mapping[str, Iterable[str]],
    where: Mapping[tuple[str | int, ...], Location],
    default: str,
) -> list[Problem]:
    problems = []
    for i, event in enumerate(model.timeline):
        item = where.get(("timeline", i), (default, 0))
        known = set(actions.get(event.service, ()))
        if event.service not in actions:
            file, line = where.get(("timeline", i, "service"), item)
            problems.append(
                Problem(file, line, f"timeline.{i}.service", f"unknown service {event.service!r}")
            )
        elif event.action not in known:
            file, line = where.get(("timeline", i, "action"), item)
            message = f"unknown action {event.action!r}; known: {', '.join(sorted(known)) or 'none'}"
            problems.append(Problem(file, line, f"timeline.{i}.action", message))
        else:
            # An absent section is the service's defaults (model_construct needs no required field).
            section = Scenario(model).section(event.service) or sections[event.service].model_construct()
            if isinstance(section, ChecksTimelineArgs):
                args = where.get(("timeline", i, "args"), item)
                for name, message in section.timeline_problems(event.action, event.args):
                    file, line = where.get(("timeline", i, "args", name), args)
                    problems.append(Problem(file, line, f"timeline.{i}.args.{name}", message))
    return problems


def _check_fault_ids(
    model: CoreScenario, where: Mapping[tuple[str | int, ...], Location], default: str
) -> list[Problem]:
    """Fault rule ids are unique: a later rule must not silently replace an earlier one."""
    problems, seen = [], set()
    for i, rule in enumerate(model.faults):
        if rule.id is not None and rule.id in seen:
            file, line = where.get(("faults", i, "id"), (default, 0))
            problems.append(Problem(file, line, f"faults.{i}.id", f"the id {rule.id!r} is already used"))
        seen.add(rule.id)
    return problems


_MIXED_BOUNDS = (
    "without clock.start the clock starts when the scenario loads, so a time and seconds after the "
    "start cannot be compared: write both bounds as times or both as seconds"
)


def _check_fault_windows(
    model: CoreScenario, where: Mapping[tuple[str | int, ...], Location], default: str
) -> list[Problem]:
    """A window with one bound a time and the other seconds after the start must open.

    The model compares bounds written the same way; a mixed pair is compared from `clock.start`, and
    refused without one (a wall-clock start would make the answer depend on when the scenario loads).
    """
    problems = []
    start = model.clock.start
    for i, rule in enumerate(model.faults):
        window = rule.window
        if window is None or window.start is None or window.end is None:
            continue
        if isinstance(window.start, datetime) == isinstance(window.end, datetime):
            continue
        if start is not None and FaultRules(model.seed, start).opens(window):
            continue
        file, line = where.get(("faults", i, "window"), (default, 0))
        message = NEVER_OPENS if start is not None else _MIXED_BOUNDS
        problems.append(Problem(file, line, f"faults.{i}.window", message))
    return problems


def schema_text(sections: Mapping[str, type[BaseModel]]) -> str:
    """The JSON Schema as the text shipped with the package."""
    return json.dumps(json_schema(sections), indent=2, sort_keys=True) + "\n"
