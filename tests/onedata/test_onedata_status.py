"""GET /transfers/{tid}: the status document's keys, the state machines, counters and histograms
(reference 1.2, 2.1-2.6; the get-transfer-status doc)."""

from __future__ import annotations

from collections.abc import Callable

from onedata_helpers import KRAKOW, LISBON, PARIS, MiB, Onedata

# Reference 1.2: the exact key set, plus the legacy keys the doc's example still shows.
KEYS = {
    "type", "dataSourceType", "userId", "rerunId", "spaceId", "callback",
    "replicatingProviderId", "evictingProviderId",
    "transferStatus", "replicationStatus", "evictionStatus",
    "effectiveJobStatus", "effectiveJobTransferId",
    "filesToProcess", "filesProcessed", "filesReplicated", "bytesReplicated", "filesEvicted", "filesFailed",
    "scheduleTime", "startTime", "finishTime", "lastUpdate", "minHist", "hrHist", "dyHist", "mthHist",
    "fileId", "filePath",
}  # fmt: skip
LEGACY = {"path", "replicaEvictionStatus", "fileReplicasEvicted", "failedFiles"}


def test_the_status_has_every_key_of_the_doc(onedata: Onedata) -> None:
    document = onedata.status(onedata.create("data/a.bin"))
    assert set(document) == KEYS | LEGACY
    assert document["path"] == document["filePath"] == "/My Space 1/data/a.bin"


def test_a_scenario_switch_drops_the_deprecated_keys(onedata_with: Callable[..., Onedata]) -> None:
    onedata = onedata_with(behaviour="\n      legacy_fields: false")
    assert set(onedata.status(onedata.create("data/a.bin"))) == KEYS


def test_a_replication_walks_scheduled_enqueued_replicating_completed(onedata: Onedata) -> None:
    transfer_id = onedata.create("data")
    seen = []
    for _ in range(10):
        document = onedata.status(transfer_id)
        seen.append((document["transferStatus"], document["replicationStatus"], document["evictionStatus"]))
        onedata.advance(1)
    assert list(dict.fromkeys(seen)) == [
        ("scheduled", "scheduled", "skipped"),
        ("enqueued", "enqueued", "skipped"),
        ("replicating", "active", "skipped"),
        ("completed", "completed", "skipped"),
    ]


def test_times_are_zero_until_they_happen(onedata: Onedata) -> None:
    # Reference 1.2: startTime 0 until enqueued, finishTime 0 until ended, lastUpdate 0 while scheduled.
    transfer_id = onedata.create("data")
    document = onedata.status(transfer_id)
    schedule = document["scheduleTime"]
    assert (document["startTime"], document["finishTime"], document["lastUpdate"]) == (0, 0, 0)
    document = onedata.run_until_ended(transfer_id)
    assert schedule < document["startTime"] < document["finishTime"] == document["lastUpdate"]


def test_counters_and_histograms_match_the_bytes_moved(onedata: Onedata) -> None:
    # data/: a.bin and b.bin come from Lisbon; c.bin is already on Krakow (processed, not replicated).
    document = onedata.run_until_ended(onedata.create("data"))
    assert document["filesToProcess"] == document["filesProcessed"] == 3
    assert (document["filesReplicated"], document["filesFailed"]) == (2, 0)
    assert document["bytesReplicated"] == 3 * MiB
    for name, slots in (("minHist", 19), ("hrHist", 62), ("dyHist", 26), ("mthHist", 32)):
        assert set(document[name]) == {LISBON}  # keyed by the source provider, reference 2.6
        assert len(document[name][LISBON]) == slots
        assert sum(document[name][LISBON]) == document["bytesReplicated"]
    # Slots are aligned to absolute time: the transfer ran from 2 s to 5 s past a slot boundary,
    # so slot 1 (0-5 s) holds everything and slot 0 (from 5 s, its end) nothing.
    assert document["minHist"][LISBON][:3] == [0, 3 * MiB, 0]


def test_histograms_have_one_key_per_source_provider(onedata: Onedata) -> None:
    document = onedata.run_until_ended(onedata.create("", replicatingProviderId=KRAKOW), limit=100)
    assert set(document["hrHist"]) == {LISBON, PARIS}
    assert sum(document["hrHist"][PARIS]) == 10 * MiB
    assert sum(sum(v) for v in document["hrHist"].values()) == document["bytesReplicated"]


def test_each_source_histogram_ends_at_that_sources_last_update(onedata: Onedata) -> None:
    # Reference 2.6: arrays are not padded to the current time; slot 0 is the provider's last update.
    # Paris's one file moves from 2 s to 12 s; Lisbon's files follow until about 15 s.
    document = onedata.run_until_ended(onedata.create("", replicatingProviderId=KRAKOW), limit=100)
    assert document["minHist"][PARIS][:4] == [2 * MiB, 5 * MiB, 3 * MiB, 0]
    assert document["minHist"][LISBON][0] > 0 and document["minHist"][LISBON][1] > 0


def test_a_file_already_at_the_target_is_processed_not_replicated(onedata: Onedata) -> None:
    document = onedata.run_until_ended(onedata.create("data/c.bin"))
    assert (document["filesProcessed"], document["filesReplicated"], document["bytesReplicated"]) == (1, 0, 0)
    assert document["transferStatus"] == "completed"


def test_an_eviction_walks_to_evicting_and_has_empty_histograms(onedata: Onedata) -> None:
    transfer_id = onedata.create("data/c.bin", type="eviction", evictingProviderId=LISBON)
    statuses = [onedata.status(transfer_id)["transferStatus"]]
    for step in (1, 1, 0.005, 1):  # active at 2 s; one file takes 0.01 s to evict
        onedata.advance(step)
        statuses.append(onedata.status(transfer_id)["transferStatus"])
    assert statuses == ["scheduled", "enqueued", "evicting", "evicting", "completed"]
    document = onedata.run_until_ended(transfer_id)
    assert (document["replicationStatus"], document["evictionStatus"]) == ("skipped", "completed")
    assert (document["filesEvicted"], document["bytesReplicated"]) == (1, 0)
    assert document["minHist"] == document["hrHist"] == document["dyHist"] == document["mthHist"] == {}


def test_evicting_the_only_complete_replica_does_not_lose_it(onedata: Onedata) -> None:
    # Reference 2.4: a file with no other complete replica is processed, not evicted.
    transfer_id = onedata.create("data", type="eviction", evictingProviderId=LISBON)
    document = onedata.run_until_ended(transfer_id)
    assert (document["filesProcessed"], document["filesEvicted"]) == (3, 1)  # only c.bin is also on Krakow
    assert LISBON in onedata.space().holders["data/a.bin"]
    assert onedata.space().holders["data/c.bin"] == {KRAKOW}


def test_a_migration_replicates_then_evicts_and_counts_each_file_twice(onedata: Onedata) -> None:
    transfer_id = onedata.create("data/a.bin", type="migration", evictingProviderId=LISBON)
    statuses = []
    for _ in range(10):
        document = onedata.status(transfer_id)
        statuses.append(
            (document["transferStatus"], document["replicationStatus"], document["evictionStatus"])
        )
        onedata.advance(0.5)
    assert ("replicating", "active", "scheduled") in statuses
    assert statuses[-1] == ("completed", "completed", "completed")
    document = onedata.status(transfer_id)
    # Reference 2.4: one migrated file ends with toProcess 2, processed 2, replicated 1, evicted 1.
    counts = [document[k] for k in ("filesToProcess", "filesProcessed", "filesReplicated", "filesEvicted")]
    assert counts == [2, 2, 1, 1]
    assert onedata.space().holders["data/a.bin"] == {KRAKOW}  # the source replica is evicted


def test_past_the_failure_threshold_a_transfer_aborts_then_fails(
    onedata_with: Callable[..., Onedata],
) -> None:
    # Reference 2.2: more than 10 failed files (of the 15 generated ones): aborting, then failed.
    onedata = onedata_with('    data_faults: [{match: "My Space 1/many/*", error: eio}]\n')
    transfer_id = onedata.create("many")
    statuses = []
    for _ in range(40):
        document = onedata.status(transfer_id)
        statuses.append(document["transferStatus"])
        onedata.advance(0.125)
    assert list(dict.fromkeys(statuses)) == ["scheduled", "enqueued", "replicating", "aborting", "failed"]
    document = onedata.status(transfer_id)
    assert (document["filesFailed"], document["filesToProcess"]) == (11, 15)
    assert document["finishTime"] > 0


def test_failures_under_the_threshold_fail_the_transfer_at_its_end(
    onedata_with: Callable[..., Onedata],
) -> None:
    onedata = onedata_with('    data_faults: [{match: "My Space 1/data/a.bin", error: eio}]\n')
    document = onedata.run_until_ended(onedata.create("data"))
    assert document["transferStatus"] == "failed"
    assert (document["filesFailed"], document["filesReplicated"], document["filesProcessed"]) == (1, 1, 3)


def test_unknown_transfers_are_not_found_and_need_a_token_first(onedata: Onedata) -> None:
    assert onedata.get("nope").status_code == 404
    assert onedata.client.get("/api/v3/oneprovider/transfers/nope").status_code == 401


def test_reading_a_status_needs_space_view_transfers(onedata: Onedata) -> None:
    transfer_id = onedata.create("data/a.bin")
    assert onedata.get(transfer_id, token="viewer-token").status_code == 200
    assert onedata.get(transfer_id, token="outsider-token").status_code == 403
