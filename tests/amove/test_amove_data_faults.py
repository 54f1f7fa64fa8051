"""World events a transfer meets (scenario keys and timeline actions of `services.amove`): revoked
credentials, a destination quota and provider outages, each seen in the Transfer record, the
failed-files CSV, the destination bucket and the hub's pushes; and data-fault rules matched only
where they can match.

The copy of amove-cancel underlies the scenarios: 100 objects of 10 MiB at 10 MiB/s, picked up 5 s
after the request, so object i is copied at 5 + (i + 1) s."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest
import yaml
from amove_helpers import WASABI, Amove, as_user, problem

from emulators.amove.store import AmoveStore
from emulators.amove.transfers import _failures, select
from emulators.core.datafaults import DataFault, DataFaults
from emulators.testing import Emulator

RUNNING, COMPLETED, ERROR = 2, 4, 16
RS = "\x1e"
SLOW = {"sourcePath": "/photos/slow/", "destinationPath": "/backup/"}
REVOKED = "InvalidAccessKeyId: the provider refused the credentials of cloud account 'Backup on Wasabi'"
QUOTA = "QuotaExceeded: bucket 'dest-bucket' of 'Backup on Wasabi' is over its quota of 500000000 bytes"
GAVE_UP = "ServiceUnavailable: Wasabi did not answer for 120 s; the copy gave up"


def _record(api: Amove, index: int = 0) -> dict[str, Any]:
    records = sorted(api.transfers()["data"], key=lambda r: str(r["requestDate"]))
    return records[index]


def _failed_rows(emulator: Emulator, api: Amove, transfer_id: object) -> list[list[str]]:
    link = api.post("/transfer/download_failed_files", {"id": transfer_id}).json()
    report = emulator.client.get(link)
    assert report.status_code == 200
    rows = list(csv.reader(io.StringIO(report.text)))
    assert rows[0] == ["Key", "Size", "Reason"]
    return rows[1:]


def _backup_names(api: Amove) -> list[str]:
    listing = api.objects(WASABI, "dest-bucket", "/backup/")
    return [item["name"] for item in listing["data"]]


def _counts(record: dict[str, Any]) -> tuple[int, int, int, int]:
    return record["transferStatus"], record["total"], record["transferred"], record["failed"]


def _amove_cancel_with(change: Callable[[dict[str, Any]], None]) -> str:
    """The amove-cancel scenario with a change to its `services.amove` section, as YAML."""
    text = resources.files("emulators.scenarios").joinpath("amove-cancel.yaml").read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    change(document["services"]["amove"])
    return yaml.safe_dump(document)


# -- revoked credentials --------------------------------------------------------------------------


@pytest.mark.emulator(scenario="amove-revoked-credentials")
def test_revoked_credentials_end_a_running_transfer_in_error(emulator: Emulator) -> None:
    api = as_user(emulator)
    api.transfer(**SLOW)
    emulator.advance(29)
    assert _counts(_record(api)) == (RUNNING, 100, 24, 0)
    emulator.advance(6)  # revoked at 30 s: 25 objects were copied by then
    record = _record(api)
    assert _counts(record) == (ERROR, 100, 25, 75)
    assert record["endDate"] == "2030-03-01T09:00:30Z" and record["percent"] == 100.0
    rows = _failed_rows(emulator, api, record["id"])
    assert [row[0] for row in rows] == [f"/photos/slow/part-{i:03d}.bin" for i in range(25, 100)]
    assert {row[2] for row in rows} == {REVOKED}
    bucket = emulator.world.store(AmoveStore).cloud_accounts[WASABI].buckets["dest-bucket"]
    assert len(bucket.objects.files("backup", emulator.world.clock.now())) == 25  # none after 30 s


@pytest.mark.emulator(scenario="amove-revoked-credentials")
def test_browsing_a_revoked_account_is_refused_until_restored(emulator: Emulator) -> None:
    api = as_user(emulator)
    emulator.advance(30)
    body = {"cloudAccountId": WASABI, "bucketName": "dest-bucket", "path": "/"}
    assert problem(api.post("/cloudaccount/list_objects", body)) == "SECURITY"
    refused = api.post("/cloudaccount/list_buckets", {"cloudAccountId": WASABI, "includeRegion": True})
    assert problem(refused) == "SECURITY"
    emulator.advance(60)
    assert api.post("/cloudaccount/list_objects", body).status_code == 200


@pytest.mark.emulator(scenario="amove-revoked-credentials")
def test_after_the_credentials_are_restored_a_retry_copies_the_refused_objects(emulator: Emulator) -> None:
    api = as_user(emulator)
    api.transfer(**SLOW)
    emulator.advance(60)
    original = _record(api)
    assert api.post("/transfer/retry_transfer", {"id": original["id"]}).status_code == 200
    emulator.advance(5)  # still refused at its pickup
    assert _counts(_record(api, 1)) == (ERROR, 75, 0, 75)
    emulator.advance(26)  # restored at 90 s
    assert api.post("/transfer/retry_transfer", {"id": original["id"]}).status_code == 200
    emulator.advance(200)
    retry = _record(api, 2)
    assert retry["retryBatchTransferID"] == original["id"]
    assert _counts(retry) == (COMPLETED, 75, 75, 0)
    assert len(_backup_names(api)) == 100


@pytest.mark.emulator(scenario="amove-revoked-credentials")
def test_a_transfer_requested_while_revoked_goes_ahead_if_restored_before_its_pickup(
    emulator: Emulator,
) -> None:
    api = as_user(emulator)
    emulator.advance(87)
    api.transfer(**SLOW)  # picked up at 92 s; the credentials come back at 90 s
    emulator.advance(200)
    assert _counts(_record(api)) == (COMPLETED, 100, 100, 0)


def test_credentials_revoked_from_the_start_fail_every_object_at_pickup(
    emulator_factory: Callable[..., Emulator],
) -> None:
    def revoke(section: dict[str, Any]) -> None:
        section["accounts"][0]["cloud_accounts"][1]["revoked"] = True

    emulator = emulator_factory(scenario=None, scenario_text=_amove_cancel_with(revoke))
    api = as_user(emulator)
    api.transfer(**SLOW)
    emulator.advance(5)
    record = _record(api)
    assert _counts(record) == (ERROR, 100, 0, 100)
    assert record["startDate"] == record["endDate"] == "2030-03-01T09:00:05Z"
    rows = _failed_rows(emulator, api, record["id"])
    assert len(rows) == 100 and {row[2] for row in rows} == {REVOKED}


@pytest.mark.emulator(scenario="amove-revoked-credentials")
def test_the_hub_pushes_the_error_when_the_credentials_are_revoked(emulator: Emulator) -> None:
    api = as_user(emulator)
    negotiated = emulator.client.post("/api/rm/negotiate?negotiateVersion=1", headers=api.headers).json()
    with emulator.websocket(f"/api/rm?id={negotiated['connectionToken']}", api.headers) as hub:
        hub.send_text('{"protocol":"json","version":1}' + RS)
        assert hub.receive_text() == "{}" + RS
        api.transfer(**SLOW)
        emulator.advance(30)
        pushed: list[dict[str, Any]] = []
        while not pushed or pushed[-1]["transferStatus"] != ERROR:
            messages = [json.loads(part) for part in hub.receive_text().split(RS) if part]
            pushed += [m["arguments"][0] for m in messages if m["type"] == 1]
    assert all(p["transferStatus"] == RUNNING for p in pushed[:-1])
    assert _counts(pushed[-1]) == (ERROR, 100, 25, 75)


# -- destination quota ----------------------------------------------------------------------------


@pytest.mark.emulator(scenario="amove-quota")
def test_a_full_destination_fails_the_remaining_objects(emulator: Emulator) -> None:
    api = as_user(emulator)
    api.transfer(**SLOW)
    emulator.advance(51)
    assert _counts(_record(api)) == (RUNNING, 100, 46, 0)
    emulator.advance(1)  # 47 objects of 10 MiB fit under 500,000,000 bytes; the 48th does not
    record = _record(api)
    assert _counts(record) == (ERROR, 100, 47, 53)
    assert record["transferredSize"] == 47 * 10485760
    rows = _failed_rows(emulator, api, record["id"])
    assert rows[0] == ["/photos/slow/part-047.bin", "10485760", QUOTA] and len(rows) == 53
    assert len(_backup_names(api)) == 47


@pytest.mark.emulator(scenario="amove-quota")
def test_a_transfer_into_a_full_bucket_fails_at_pickup(emulator: Emulator) -> None:
    api = as_user(emulator)
    api.transfer(**SLOW)
    emulator.advance(60)
    api.transfer(sourcePath="/photos/slow/part-000.bin", destinationPath="/again/")
    emulator.advance(5)
    assert _counts(_record(api, 1)) == (ERROR, 1, 0, 1)


@pytest.mark.emulator(scenario="amove-quota")
def test_room_is_claimed_in_the_order_transfers_are_requested(emulator: Emulator) -> None:
    api = as_user(emulator)
    api.transfer(sourcePath="/photos/slow/", destinationPath="/first/")
    api.transfer(sourcePath="/photos/slow/", destinationPath="/second/")  # copies side by side
    emulator.advance(200)
    first, second = _record(api), _record(api, 1)
    assert _counts(first) == (ERROR, 100, 47, 53)
    assert _counts(second) == (ERROR, 100, 0, 100)


# -- provider outages -----------------------------------------------------------------------------


@pytest.mark.emulator(scenario="amove-outage")
def test_a_short_outage_holds_the_transfer_which_then_finishes_late(emulator: Emulator) -> None:
    api = as_user(emulator)
    api.transfer(**SLOW)
    emulator.advance(60)  # Wasabi down since 30 s: still Running, nothing moves
    assert _counts(_record(api)) == (RUNNING, 100, 25, 0)
    emulator.advance(104)  # back at 90 s: the last object is copied at 105 + 60 s
    assert _counts(_record(api)) == (RUNNING, 100, 99, 0)
    emulator.advance(1)
    record = _record(api)
    assert _counts(record) == (COMPLETED, 100, 100, 0)
    assert record["endDate"] == "2030-03-01T09:02:45Z"


@pytest.mark.emulator(
    scenario="amove-outage",
    scenario_text="""
timeline:
  - {at: 30, service: amove, action: provider_down, args: {provider: Wasabi}}
  - {at: 400, service: amove, action: provider_up, args: {provider: Wasabi}}
""",
)
def test_a_long_outage_makes_the_transfer_give_up(emulator: Emulator) -> None:
    api = as_user(emulator)
    api.transfer(**SLOW)
    emulator.advance(149)
    assert _record(api)["transferStatus"] == RUNNING
    emulator.advance(1)  # 120 s of outage_retry after the outage began
    record = _record(api)
    assert _counts(record) == (ERROR, 100, 25, 75)
    assert {row[2] for row in _failed_rows(emulator, api, record["id"])} == {GAVE_UP}
    emulator.advance(400)  # the provider is back, but the transfer gave up
    assert _counts(_record(api)) == (ERROR, 100, 25, 75)


@pytest.mark.emulator(
    scenario="amove-outage",
    scenario_text="""
timeline:
  - {at: 30, service: amove, action: provider_down, args: {provider: Wasabi, region: eu-central-1}}
""",
)
def test_an_outage_of_another_region_touches_nothing(emulator: Emulator) -> None:
    api = as_user(emulator)
    api.transfer(**SLOW)  # dest-bucket is in us-east-1
    emulator.advance(105)
    assert _counts(_record(api)) == (COMPLETED, 100, 100, 0)


@pytest.mark.emulator(scenario="amove-outage")
def test_a_transfer_requested_during_an_outage_waits_from_its_pickup(emulator: Emulator) -> None:
    api = as_user(emulator)
    emulator.advance(40)
    api.transfer(**SLOW)  # picked up at 45 s, held until 90 s
    emulator.advance(50)
    assert _counts(_record(api)) == (RUNNING, 100, 0, 0)
    emulator.advance(100)
    assert _counts(_record(api)) == (COMPLETED, 100, 100, 0)


@pytest.mark.emulator(scenario="amove-cancel")
def test_timeline_arguments_name_declared_accounts_and_known_providers(emulator: Emulator) -> None:
    text = """
version: 1
extends: amove-cancel
timeline:
  - at: 1
    service: amove
    action: revoke_credentials
    args: {cloud_account: 22222222-2222-2222-2222-222222222222}
  - {at: 2, service: amove, action: provider_down, args: {provider: Atlantis}}
"""
    refused = emulator.client.post(
        "/_emulator/scenario", content=text, headers={"Content-Type": "application/yaml"}
    )
    assert refused.status_code == 400
    assert "timeline.0.args.cloud_account" in refused.text and "timeline.1.args.provider" in refused.text


# -- data faults, matched where they can match ----------------------------------------------------


@pytest.mark.emulator(scenario="amove-retry")
def test_data_faults_are_looked_for_only_under_their_rules_heads(emulator: Emulator) -> None:
    store = emulator.world.store(AmoveStore)
    user = next(u for u in store.users.values() if u.username == "admin@example.com")
    archive = select(store, user, _request(sourceBucket="archive", sourcePath="/"), emulator.world.start)
    assert len(archive.files) == 1_000_000
    assert _failures(store, archive) == {}  # no rule can match in this bucket: nothing is listed
    photos = select(store, user, _request(), emulator.world.start)
    assert _failures(store, photos) == _every_file_tried(store.faults, photos)


def test_indexed_matching_agrees_with_trying_every_file_on_a_generated_set(
    emulator_factory: Callable[..., Emulator],
) -> None:
    rules = [
        {"match": "Media on S3/archive/footage/reel-0003/clip-0000312*", "error": "E1"},
        {"match": "Media on S3/archive/footage/reel-0007/*.mxf", "error": "E2", "probability": 0.5},
        {"match": "Media on S3/archive/footage/reel-0007/clip-000070??.*", "error": "E3"},
        {"match": "Media on S3/source-bucket/*", "error": "E4"},
    ]
    emulator = emulator_factory(
        scenario="default", scenario_text=yaml.safe_dump({"services": {"amove": {"data_faults": rules}}})
    )
    store = emulator.world.store(AmoveStore)
    user = next(u for u in store.users.values() if u.username == "admin@example.com")
    selection = select(
        store, user, _request(sourceBucket="archive", sourcePath="/footage/reel-0007/"), emulator.world.start
    )
    failures = _failures(store, selection)
    assert failures == _every_file_tried(store.faults, selection)
    assert {"E2", "E3"} == set(failures.values()) and 100 <= len(failures) < 1000
    reels = select(
        store, user, _request(sourceBucket="archive", sourcePath="/footage/reel-0003/"), emulator.world.start
    )
    assert sorted(_failures(store, reels).values()) == ["E1"] * 10  # clip-00003120 .. 00003129


def _every_file_tried(faults: DataFaults, selection: Any) -> dict[int, str]:
    location = f"{selection.source.name}/{selection.source_bucket.name}/"
    found = {}
    for position, path in enumerate(selection.files.paths()):
        rule = faults.outcome(location + path)
        if rule is not None:
            found[position] = rule.error
    return found


def _request(**changes: Any) -> Any:
    from amove_helpers import SAMPLE_PAYLOAD

    from emulators.amove.models import TransferRequest

    return TransferRequest.parse({**SAMPLE_PAYLOAD, **changes})


def test_within_keeps_each_rules_own_draws() -> None:
    rules = [
        DataFault(match="a/x/*", error="E_X", probability=0.5),
        DataFault(match="b/*", error="E_B", probability=0.5),
        DataFault(match="*", error="E_ALL", probability=0.5),
    ]
    faults = DataFaults(rules, seed=7)
    under_b = faults.within("b/")
    assert [r.error for r in under_b.rules] == ["E_B", "E_ALL"] and under_b.heads() == ["b/", ""]
    for i in range(200):
        location = f"b/file{i}"
        assert under_b.outcome(location) is faults.outcome(location)
    assert [r.error for r in faults.within("c/").rules] == ["E_ALL"]  # only the catch-all can match


# -- hub documents, built once per instant ---------------------------------------------------------


@pytest.mark.emulator(scenario="amove-cancel")
def test_a_pushed_document_is_shared_until_what_it_shows_changes(emulator: Emulator) -> None:
    from emulators.amove import progress

    api = as_user(emulator)
    api.transfer(**SLOW)
    emulator.advance(10)
    store = emulator.world.store(AmoveStore)
    [transfer] = store.transfers.values()
    now = emulator.world.clock.now()
    running = progress.payload(store, transfer, now)
    assert progress.payload(store, transfer, now) is running  # every connection gets the same one
    assert api.post("/transfer/cancel_transfer", {"id": transfer.id}).status_code == 200  # same instant
    canceling = progress.payload(store, transfer, now)
    assert (running["transferStatus"], canceling["transferStatus"]) == (RUNNING, 32)
    shared = api.emulator.client.put(
        "/api/v1/cloudaccount/manage_share", json={"id": WASABI, "shared": True}, headers=api.headers
    )
    assert shared.status_code == 200
    now_shared = progress.payload(store, transfer, now)
    assert now_shared["destinationCloudAccount"]["shared"] is True
    assert canceling["destinationCloudAccount"]["shared"] is False
