"""Transfers (doc, "Transfer Endpoints"): the samples' flow, selection, roles, allowSkip,
keepSourceTree, the lifecycle as time moves, and objects appearing in the destination bucket."""

from __future__ import annotations

import pytest
from amove_helpers import ADMIN, EDITOR, S3, SAMPLE_PAYLOAD, VIEWER, WASABI, as_user, problem

from emulators.testing import Emulator

CREATED, RUNNING, COMPLETED, CANCELED, ERROR, CANCELING = 1, 2, 4, 8, 16, 32
MEMBER = ("member@example.com", "amove-member", 8)


def _keys(emulator: Emulator, path: str) -> list[str]:
    """Every object key under a folder of the Wasabi destination bucket, through list_objects."""
    api = as_user(emulator)
    found: list[str] = []
    folders = [path]
    while folders:
        listing = api.objects(WASABI, "dest-bucket", folders.pop())
        for item in listing["data"]:
            (folders if item["type"] == 2 else found).append(item["path"])
    return sorted(found)


def test_the_samples_flow_cost_then_transfer(emulator: Emulator) -> None:
    # Doc, "Sample Code > Calculate cost, then run a transfer", with only the base URL and JWT changed.
    api = as_user(emulator)
    cost = api.post("/transfer/calculate_cost", SAMPLE_PAYLOAD)
    assert cost.status_code == 200
    bucket = emulator.world.store_named("amove").cloud_accounts[S3].buckets["source-bucket"]
    photos = bucket.objects.files("photos", emulator.world.clock.now()).total_bytes  # what /photos/ selects
    assert cost.json() == round(photos / 1e9 * 0.09, 4)  # scenario prices: AWS 0.09 USD/GB
    response = api.post("/transfer/transfer", SAMPLE_PAYLOAD)
    assert (response.status_code, response.content) == (200, b"")


def test_a_transfer_is_hidden_while_created_then_runs_and_completes(emulator: Emulator) -> None:
    # Doc: "Created → Running → Completed"; Get All Transfers excludes "transfers still in the Created state".
    api = as_user(emulator)
    api.transfer()
    assert api.transfers()["total"] == 0
    emulator.advance(5)  # the scenario's pickup delay
    [running] = api.transfers()["data"]
    assert running["transferStatus"] == RUNNING and running["startDate"] is not None
    assert running["endDate"] is None and running["transferred"] < running["total"] == 204
    emulator.advance(600)
    [done] = api.transfers()["data"]
    assert done["transferStatus"] == COMPLETED
    assert (done["transferred"], done["failed"], done["percent"]) == (204, 0, 100.0)
    assert done["transferredSize"] == done["totalSize"] and done["endDate"] is not None
    assert done["transferredCost"] == round(done["totalSize"] / 1e9 * 0.09, 4)
    assert done["sourceCloudAccount"]["secretKey"] == "********"


def test_objects_appear_in_the_destination_as_the_transfer_progresses(emulator: Emulator) -> None:
    api = as_user(emulator)
    api.transfer()
    emulator.advance(6)
    partway = _keys(emulator, "/backup/photos/")
    emulator.advance(600)
    finished = _keys(emulator, "/backup/photos/")
    assert 0 < len(partway) < len(finished) == 204
    # keepSourceTree true: the structure under /photos/ is kept under destinationPath.
    assert "/backup/photos/2024/beach.jpg" in finished and "/backup/photos/shoot/IMG-00000.cr3" in finished


def test_an_exact_key_selects_one_object(emulator: Emulator) -> None:
    # Doc: "an exact key selects a single object".
    api = as_user(emulator)
    api.transfer(sourcePath="/photos/2025/forest.raw", destinationPath="/single/")
    emulator.advance(60)
    [record] = api.transfers()["data"]
    assert (record["total"], record["totalSize"]) == (1, 26214400)
    assert _keys(emulator, "/single/") == ["/single/forest.raw"]


def test_a_key_that_is_no_object_is_not_found_and_nothing_is_created(emulator: Emulator) -> None:
    api = as_user(emulator)
    response = api.post(
        "/transfer/transfer", {**SAMPLE_PAYLOAD, "sourcePath": "/photos"}
    )  # a folder without "/"
    assert problem(response) == "NOT_FOUND"
    emulator.advance(60)
    assert api.transfers()["total"] == 0


@pytest.mark.emulator(scenario="amove-flat")
def test_keep_source_tree_false_flattens(emulator: Emulator) -> None:
    # Doc: "when false, objects are flattened".
    api = as_user(emulator)
    api.transfer(sourcePath="/photos/", destinationPath="/flat/", keepSourceTree=False)
    emulator.advance(600)
    keys = _keys(emulator, "/flat/")
    assert "/flat/beach.jpg" in keys and "/flat/forest.raw" in keys and "/flat/IMG-00000.cr3" in keys
    assert all(key.count("/") == 2 for key in keys)


@pytest.mark.emulator(scenario="amove-roles")
@pytest.mark.parametrize("user", [VIEWER, MEMBER], ids=["DesktopStandardUser", "AccountUser"])
def test_roles_that_cannot_initiate_get_the_refusal_and_nothing_is_created(
    emulator: Emulator, user: tuple[str, str, int]
) -> None:
    # Doc, "Transfer": "Regular AccountUser and DesktopStandardUser cannot initiate transfers."
    refused = as_user(emulator, user)
    assert problem(refused.post("/transfer/transfer", SAMPLE_PAYLOAD)) == "ACCESS"
    emulator.advance(60)
    assert as_user(emulator).transfers()["total"] == 0
    assert emulator.control.state()["services"]["amove"]["transfers_page"]["total"] == 0
    assert (
        refused.post("/transfer/calculate_cost", SAMPLE_PAYLOAD).status_code == 200
    )  # estimating is allowed


def test_every_user_of_the_account_sees_its_transfers(emulator: Emulator) -> None:
    # Doc, "Get All Transfers": "every transfer initiated by any user in the current account".
    as_user(emulator, EDITOR).transfer()
    emulator.advance(10)
    assert as_user(emulator, ADMIN).transfers()["total"] == 1
    assert as_user(emulator, VIEWER).transfers()["total"] == 1


def test_an_invisible_cloud_account_is_not_found(emulator: Emulator) -> None:
    # Doc: "Both must be visible to the caller."
    api = as_user(emulator)
    body = {**SAMPLE_PAYLOAD, "destinationCloudAccountId": "7f000000-0000-4000-8000-000000000000"}
    assert problem(api.post("/transfer/transfer", body)) == "NOT_FOUND"
    assert problem(api.post("/transfer/calculate_cost", body)) == "NOT_FOUND"


@pytest.mark.emulator(scenario="amove-allow-skip")
def test_allow_skip_leaves_out_objects_with_a_newer_copy(emulator: Emulator) -> None:
    # Doc: "allowSkip — when true, the transfer skips objects whose newer copy already exists".
    api = as_user(emulator)
    assert api.post("/transfer/calculate_cost", SAMPLE_PAYLOAD).json() == round(2 * 0.09, 4)
    no_skip = {**SAMPLE_PAYLOAD, "allowSkip": False}
    assert api.post("/transfer/calculate_cost", no_skip).json() == round(4 * 0.09, 4)
    api.transfer()
    emulator.advance(600)
    [record] = api.transfers()["data"]
    assert (record["total"], record["skipped"], record["transferred"]) == (4, 2, 2)
    assert record["skippedSize"] == 2_000_000_000 and record["transferStatus"] == COMPLETED


@pytest.mark.emulator(scenario="amove-cancel")
def test_cancel_goes_through_canceling_to_canceled(emulator: Emulator) -> None:
    # Doc, "Cancel Transfer": "The transfer transitions through Canceling and ends in Canceled."
    api = as_user(emulator)
    api.transfer(sourcePath="/photos/slow/", destinationPath="/slow/")
    [transfer_id] = list(emulator.world.store_named("amove").transfers)
    assert problem(api.post("/transfer/cancel_transfer", {"id": transfer_id})) == "TRANSFER"  # still Created
    emulator.advance(5 + 30)
    assert api.transfers()["data"][0]["transferStatus"] == RUNNING
    response = api.post("/transfer/cancel_transfer", {"id": transfer_id})
    assert (response.status_code, response.content) == (200, b"")
    assert api.transfers()["data"][0]["transferStatus"] == CANCELING
    emulator.advance(2)
    [canceled] = api.transfers()["data"]
    assert canceled["transferStatus"] == CANCELED and canceled["endDate"] is not None
    copied = canceled["transferred"]
    assert 0 < copied < 100
    emulator.advance(600)
    assert api.transfers()["data"][0]["transferred"] == copied
    assert len(_keys(emulator, "/slow/")) == copied
    assert problem(api.post("/transfer/cancel_transfer", {"id": transfer_id})) == "TRANSFER"
