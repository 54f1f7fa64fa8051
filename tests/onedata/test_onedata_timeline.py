"""Timeline actions: a provider going offline mid-transfer fails the files still to be read from it
(and only those), and comes back for later transfers."""

from __future__ import annotations

from collections.abc import Callable

from onedata_helpers import KRAKOW, LISBON, PARIS, SCENARIO, MiB, Onedata

from emulators.testing import Emulator


def with_timeline(factory: Callable[..., Emulator], events: str) -> Onedata:
    return Onedata(factory(scenario_text=SCENARIO + "timeline:\n" + events))


def test_a_source_going_offline_fails_the_files_not_yet_read_from_it(
    emulator_factory: Callable[..., Emulator],
) -> None:
    # data/: a.bin (1 MiB) then b.bin (2 MiB) from Lisbon, active from 2 s: a.bin is done at 3 s.
    onedata = with_timeline(
        emulator_factory,
        f"  - {{at: 4, service: onedata, action: provider_offline, args: {{provider: {LISBON}}}}}\n",
    )
    transfer_id = onedata.create("data")
    paris = onedata.create("Dir2")  # read from Paris: not affected
    document = onedata.run_until_ended(transfer_id, step=0.5)
    assert document["transferStatus"] == "failed"
    assert (document["filesReplicated"], document["filesFailed"], document["filesProcessed"]) == (1, 1, 3)
    assert document["bytesReplicated"] == MiB
    assert onedata.run_until_ended(paris)["transferStatus"] == "completed"
    # A transfer created while Lisbon is offline cannot read a.bin from anywhere.
    later = onedata.run_until_ended(onedata.create("data/a.bin"))
    assert (later["transferStatus"], later["filesFailed"]) == ("failed", 1)


def test_a_waiting_transfer_loses_every_file_of_the_offline_source(
    emulator_factory: Callable[..., Emulator],
) -> None:
    onedata = with_timeline(
        emulator_factory,
        f"  - {{at: 1, service: onedata, action: provider_offline, args: {{provider: {PARIS}}}}}\n"
        f"  - {{at: 30, service: onedata, action: provider_online, args: {{provider: {PARIS}}}}}\n",
    )
    transfer_id = onedata.create("Dir2", callback="http://receiver.invalid/never")
    document = onedata.run_until_ended(transfer_id)
    assert (document["transferStatus"], document["filesFailed"], document["bytesReplicated"]) == (
        "failed",
        1,
        0,
    )
    assert onedata.space().holders["Dir2/file3.txt"] == {PARIS}  # nothing moved
    onedata.advance(30)
    assert onedata.run_until_ended(onedata.create("Dir2"))["transferStatus"] == "completed"
    outbound = [e for e in onedata.emulator.control.requests() if e["direction"] == "outbound"]
    assert outbound == []  # a failed transfer sends no callback


def test_past_the_threshold_an_offline_source_aborts_the_transfer(
    emulator_factory: Callable[..., Emulator],
) -> None:
    # many/: 15 files of 1 KiB from Lisbon; offline before they start: all 15 would fail, so the
    # transfer aborts when the 11th does.
    onedata = with_timeline(
        emulator_factory,
        f"  - {{at: 1, service: onedata, action: provider_offline, args: {{provider: {LISBON}}}}}\n",
    )
    document = onedata.run_until_ended(onedata.create("many"), step=0.25)
    assert (document["transferStatus"], document["filesFailed"]) == ("failed", 11)


def test_the_target_storage_filling_up_fails_the_files_not_yet_written(
    emulator_factory: Callable[..., Emulator],
) -> None:
    # Issue: "a storage filling up mid-transfer (timeline actions) fails the remaining files".
    # data/: a.bin (1 MiB) then b.bin (2 MiB) to Krakow, active from 2 s: a.bin is done at 3 s.
    onedata = with_timeline(
        emulator_factory,
        f"  - {{at: 4, service: onedata, action: storage_full, args: {{provider: {KRAKOW}}}}}\n"
        f"  - {{at: 60, service: onedata, action: storage_freed, args: {{provider: {KRAKOW}}}}}\n",
    )
    transfer_id = onedata.create("data")
    document = onedata.run_until_ended(transfer_id, step=0.5)
    assert document["transferStatus"] == "failed"
    assert (document["filesReplicated"], document["filesFailed"], document["bytesReplicated"]) == (1, 1, MiB)
    # While the storage is full a new replication to it is refused at once, as the create step does.
    refused = onedata.post(
        {
            "type": "replication",
            "replicatingProviderId": KRAKOW,
            "dataSourceType": "file",
            "fileId": onedata.file_id("data/a.bin"),
        }
    )
    assert (refused.status_code, refused.json()["error"]["details"]) == (400, {"errno": "enospc"})
    onedata.advance(60)
    assert onedata.run_until_ended(onedata.create("data/a.bin"))["transferStatus"] == "completed"


def test_a_full_storage_elsewhere_changes_nothing(emulator_factory: Callable[..., Emulator]) -> None:
    onedata = with_timeline(
        emulator_factory,
        f"  - {{at: 4, service: onedata, action: storage_full, args: {{provider: {PARIS}}}}}\n",
    )
    assert onedata.run_until_ended(onedata.create("data"), step=0.5)["transferStatus"] == "completed"
