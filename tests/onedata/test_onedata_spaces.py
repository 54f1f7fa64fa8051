"""Spaces and plans without HTTP: file ids both ways, replica holders by longest match, and what a
replication or eviction acts on (reference 2.4, 5.1)."""

from __future__ import annotations

from datetime import UTC, datetime

from emulators.core.datafaults import DataFault, DataFaults
from emulators.core.engine import RateModel
from emulators.onedata.file_id import parse_file_objectid, space_root_objectid
from emulators.onedata.plans import eviction_plan, replication_plan
from emulators.onedata.scenario import Space
from emulators.onedata.spaces import SpaceState

T0 = datetime(2030, 1, 1, tzinfo=UTC)
SPACE = Space.model_validate(
    {
        "id": "s1",
        "name": "Lab",
        "supports": {"A": {}, "B": {}, "C": {}},
        "tree": {
            "entries": [{"path": "d/x", "size": 10}, {"path": "d/y", "size": 20}, {"path": "z", "size": 5}],
            "generate": [{"count": 1000, "prefix": "gen", "per_directory": 100}],
        },
        "replicas": [{"path": "d", "providers": ["B"]}, {"path": "d/y", "providers": ["A", "B"]}],
    }
)


def space() -> SpaceState:
    return SpaceState.build(SPACE, 1, T0)


def test_ids_name_the_same_files_both_ways() -> None:
    state = space()
    assert state.objectid("") == space_root_objectid("s1")
    for path in ("d", "d/x", "gen", state.tree.generated[0].path(537)):
        objectid = state.objectid(path)
        assert objectid is not None
        guid = parse_file_objectid(objectid)
        assert guid.space_id == "s1"
        node = state.node(guid.uuid)
        assert node is not None and node.path == path
    assert state.objectid("d/nothing") is None
    assert space().objectid("d/x") == state.objectid("d/x")  # stable across worlds


def test_holders_come_from_the_longest_matching_rule_else_the_origin() -> None:
    holders = space().holders
    assert holders["d/x"] == {"B"} and holders["d/y"] == {"A", "B"}
    assert holders["z"] == {"A"} and holders["set:0"] == {"A"}


def test_a_replication_passes_what_the_target_has_and_reads_the_rest_from_a_holder() -> None:
    state = space()
    files = state.tree.files()
    plan = replication_plan(state, files, "A", frozenset("ABC"), DataFaults([], 1), RateModel(), T0)
    assert plan.passed == 1 + 1 + 1000  # d/y, z and the generated set are on A already
    assert plan.transfer.total == 1 and plan.sources == {"B": 0} and plan.units == ["d/x"]


def test_files_no_online_provider_holds_or_a_fault_names_fail() -> None:
    state = space()
    faults = DataFaults([DataFault(match="Lab/z", error="eio")], 1)
    plan = replication_plan(state, state.tree.files(), "C", frozenset("AC"), faults, RateModel(), T0)
    # d/x is only on B (offline), z is faulted; d/y comes from A and the set from A.
    assert [plan.transfer.files[i].path for i in plan.failures] == ["d/x", "z"]
    assert plan.units == ["d/y", "set:0"]


def test_an_eviction_keeps_the_only_complete_replica() -> None:
    state = space()
    plan = eviction_plan(state, state.tree.files(), "B", None, RateModel(), T0)
    assert plan.units == ["d/y"] and plan.passed == 1 + 1 + 1000
    migration = eviction_plan(state, state.tree.files(), "B", "C", RateModel(), T0)
    assert migration.units == ["d/x", "d/y"]


def test_a_generated_sub_directory_has_an_id_and_its_transfer_leaves_the_set_holders_alone() -> None:
    state = space()
    objectid = state.objectid("gen/dir00003")
    assert objectid is not None
    node = state.node(parse_file_objectid(objectid).uuid)
    assert node is not None and node.kind == "DIR"
    files = state.files(node)
    assert len(files) == 100
    plan = replication_plan(state, files, "B", frozenset("AB"), DataFaults([], 1), RateModel(), T0)
    assert plan.transfer.total == 100 and plan.units == []  # replicas are kept per whole set
