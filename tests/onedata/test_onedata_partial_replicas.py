"""Partial replicas: a provider may hold some blocks of a file (the distribution's `blocks`);
replicating to it moves only the missing bytes (reference 2.4: `bytesReplicated` counts bytes actually
transferred), and a partial replica is evicted as a complete one is, when a complete one stays."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from onedata_helpers import API, KRAKOW, LISBON, PARIS, SCENARIO_TEMPLATE, MiB, Onedata

from emulators.app import create_app
from emulators.core.errors import ScenarioError
from emulators.testing import Emulator

# Krakow holds the first and the last MiB of data/b.bin (2 MiB, complete on Lisbon); Paris holds
# half a MiB of data/a.bin in two touching blocks, which read back merged.
B_BLOCKS = f"{{{KRAKOW}: [[0, {MiB // 2}], [{MiB}, {MiB}]]}}"
A_BLOCKS = f"{{{PARIS}: [[0, 1024], [1024, {MiB // 2 - 1024}]]}}"
PARTIAL = SCENARIO_TEMPLATE.replace(
    f"          - {{path: data/c.bin, providers: [{KRAKOW}, {LISBON}]}}\n",
    f"          - {{path: data/c.bin, providers: [{KRAKOW}, {LISBON}]}}\n"
    f"          - {{path: data/b.bin, providers: [{LISBON}], blocks: {B_BLOCKS}}}\n"
    f"          - {{path: data/a.bin, providers: [{LISBON}], blocks: {A_BLOCKS}}}\n",
)


@pytest.fixture
def onedata(emulator_factory: Callable[..., Emulator]) -> Onedata:
    return Onedata(emulator_factory(scenario_text=PARTIAL))


def blocks(onedata: Onedata, path: str) -> dict[str, tuple[list[list[int]], int]]:
    response = onedata.client.get(
        f"{API}/data/{onedata.file_id(path)}/distribution", headers=onedata.headers()
    )
    assert response.status_code == 200, response.text
    out = {}
    for provider, entry in response.json()["distributionPerProvider"].items():
        [storage] = entry["distributionPerStorage"].values()
        out[provider] = (storage["blocks"], storage["physicalSize"])
    return out


def test_the_distribution_shows_partial_blocks(onedata: Onedata) -> None:
    assert blocks(onedata, "data/b.bin") == {
        KRAKOW: ([[0, MiB // 2], [MiB, MiB]], MiB + MiB // 2),
        LISBON: ([[0, 2 * MiB]], 2 * MiB),
        PARIS: ([], 0),
    }
    assert blocks(onedata, "data/a.bin")[PARIS] == ([[0, MiB // 2]], MiB // 2)


def test_a_directory_counts_partial_bytes_as_physical(onedata: Onedata) -> None:
    response = onedata.client.get(
        f"{API}/data/{onedata.file_id('data')}/distribution", headers=onedata.headers()
    )
    per = response.json()["distributionPerProvider"]
    [krakow] = per[KRAKOW]["distributionPerStorage"].values()
    assert krakow["physicalSize"] == MiB + MiB // 2 + 3 * MiB  # part of b.bin, all of c.bin


def test_replicating_moves_only_the_missing_bytes_and_completes_the_replica(onedata: Onedata) -> None:
    document = onedata.run_until_ended(onedata.create("data/b.bin"))
    assert document["transferStatus"] == "completed"
    assert (document["filesReplicated"], document["bytesReplicated"]) == (1, MiB // 2)
    assert sum(document["minHist"][LISBON]) == MiB // 2
    assert blocks(onedata, "data/b.bin")[KRAKOW] == ([[0, 2 * MiB]], 2 * MiB)


def test_a_partial_replica_is_evicted_when_a_complete_one_stays(onedata: Onedata) -> None:
    body = {"type": "eviction", "evictingProviderId": PARIS, "dataSourceType": "file"}
    response = onedata.post(body | {"fileId": onedata.file_id("data/a.bin")})
    assert response.status_code == 201, response.text
    document = onedata.run_until_ended(response.json()["transferId"])
    assert (document["transferStatus"], document["filesEvicted"]) == ("completed", 1)
    assert blocks(onedata, "data/a.bin")[PARIS] == ([], 0)
    assert blocks(onedata, "data/a.bin")[LISBON] == ([[0, MiB]], MiB)


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        (f"{{path: data, providers: [], blocks: {{{KRAKOW}: [[0, 1]]}}}}", "blocks need an explicit file"),
        (f"{{path: data/a.bin, providers: [{KRAKOW}], blocks: {{{KRAKOW}: [[0, 1]]}}}}", "complete replica"),
        (f"{{path: data/a.bin, blocks: {{{KRAKOW}: [[0, 0]]}}}}", "lengths > 0"),
        ("{path: data/a.bin, blocks: {nowhere: [[0, 1]]}}", "unknown providers"),
    ],
)
def test_bad_blocks_are_scenario_errors(rule: str, problem: str) -> None:
    text = SCENARIO_TEMPLATE.replace("        replicas:\n", f"        replicas:\n          - {rule}\n")
    with pytest.raises(ScenarioError) as raised:
        create_app(scenario_text=text, clock="manual")
    assert any(problem in p.message for p in raised.value.problems)
