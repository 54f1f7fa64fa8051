"""The bundled Onedata scenarios do what their comments say."""

from __future__ import annotations

from collections.abc import Callable

from onedata_helpers import Onedata

from emulators.testing import Emulator

KRAKOW = "5f8a2c4e9b1d3f7a6c0e2b4d8f1a3c5ech7d21"
LISBON = "9c3e1a7b5d2f4a6c8e0b1d3f5a7c9e2bch4b8e"
PARIS = "2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1cch93a0"
SPACE = "6ec1a5413b6f4e2b01a5c85a8fd797e2"


def onedata(factory: Callable[..., Emulator], scenario: str) -> Onedata:
    return Onedata(factory(scenario=scenario, clock="manual"), token="onedata-dev-token")


def space_of(calls: Onedata) -> object:
    return calls.emulator.world.store_named("onedata").spaces[SPACE]  # type: ignore[attr-defined]


def create(calls: Onedata, path: str, **fields: object) -> str:
    objectid = space_of(calls).objectid(path)  # type: ignore[attr-defined]
    body = {"type": "replication", "replicatingProviderId": KRAKOW, "dataSourceType": "file"}
    response = calls.post({**body, "fileId": objectid, **fields})
    assert response.status_code == 201, response.text
    return str(response.json()["transferId"])


def test_default_has_a_partly_replicated_space_a_view_and_three_kinds_of_user(
    emulator_factory: Callable[..., Emulator],
) -> None:
    calls = onedata(emulator_factory, "default")
    document = calls.run_until_ended(create(calls, "images"))
    # bird.png is on Krakow already; cat and dog come from Lisbon, the first online holder.
    assert (document["filesProcessed"], document["filesReplicated"]) == (3, 2)
    assert set(document["hrHist"]) == {LISBON}
    view = {"type": "replication", "replicatingProviderId": KRAKOW, "dataSourceType": "view"}
    assert calls.post({**view, "spaceId": SPACE, "viewName": "MyImages"}).status_code == 201
    assert calls.post({}, token="onedata-viewer-token").status_code == 400
    assert calls.get(create(calls, "images"), token="onedata-viewer-token").status_code == 200
    assert calls.get(create(calls, "images"), token="onedata-outsider-token").status_code == 403
    # Paris's support is read-only: it cannot be a replication target.
    response = calls.post({**view, "replicatingProviderId": PARIS, "spaceId": SPACE, "viewName": "MyImages"})
    assert response.status_code == 400


def test_failing_files_fail_at_the_end_or_past_the_threshold(
    emulator_factory: Callable[..., Emulator],
) -> None:
    calls = onedata(emulator_factory, "onedata-failing-files")
    images = calls.run_until_ended(create(calls, "images"))
    assert (images["transferStatus"], images["filesFailed"]) == ("failed", 1)
    archive = calls.run_until_ended(create(calls, "archive/run-00"), step=5)
    assert (archive["transferStatus"], archive["filesFailed"]) == ("failed", 11)
    assert archive["filesProcessed"] < archive["filesToProcess"] == 1000


def test_an_offline_provider_is_not_read_from(emulator_factory: Callable[..., Emulator]) -> None:
    calls = onedata(emulator_factory, "onedata-provider-offline")
    images = calls.run_until_ended(create(calls, "images/dog.png"))
    assert images["transferStatus"] == "completed" and set(images["minHist"]) == {LISBON}
    archive = calls.run_until_ended(create(calls, "archive/run-01"))
    assert (archive["transferStatus"], archive["filesFailed"]) == ("failed", 11)


def test_slow_transfers_can_be_cancelled_while_enqueued_or_active(
    emulator_factory: Callable[..., Emulator],
) -> None:
    calls = onedata(emulator_factory, "onedata-slow-transfers")
    enqueued, active = create(calls, "Dir2/file3.txt"), create(calls, "Dir2/file3.txt")
    calls.advance(15)
    assert calls.status(enqueued)["transferStatus"] == "enqueued"
    calls.cancel(enqueued)
    calls.advance(20)
    assert calls.status(active)["transferStatus"] == "replicating"
    calls.cancel(active)
    assert [calls.status(t)["transferStatus"] for t in (enqueued, active)] == ["cancelled", "aborting"]
    calls.advance(5)
    document = calls.status(active)
    assert document["transferStatus"] == "cancelled" and 0 < document["bytesReplicated"] < 10 * 2**20


def test_the_modern_release_drops_the_deprecated_keys(emulator_factory: Callable[..., Emulator]) -> None:
    calls = onedata(emulator_factory, "onedata-modern-release")
    document = calls.status(create(calls, "images"))
    assert not {"path", "replicaEvictionStatus", "fileReplicasEvicted", "failedFiles"} & set(document)
