"""DELETE /transfers/{tid} and POST /transfers/{tid}/rerun (reference 1.3, 1.4, 2.2, 2.5)."""

from __future__ import annotations

from collections.abc import Callable

from onedata_helpers import Onedata


def test_cancel_while_scheduled_is_cancelled_at_once_without_finish_time(onedata: Onedata) -> None:
    transfer_id = onedata.create("data")
    response = onedata.cancel(transfer_id)
    assert (response.status_code, response.content) == (204, b"")
    document = onedata.status(transfer_id)
    assert (document["transferStatus"], document["replicationStatus"]) == ("cancelled", "cancelled")
    assert document["finishTime"] == 0


def test_cancel_while_enqueued_goes_through_aborting(onedata: Onedata) -> None:
    transfer_id = onedata.create("data")
    onedata.advance(1.5)
    assert onedata.cancel(transfer_id).status_code == 204
    assert onedata.status(transfer_id)["transferStatus"] == "aborting"
    assert onedata.cancel(transfer_id).status_code == 204  # reference 1.3: again while aborting
    onedata.advance(1)
    document = onedata.status(transfer_id)
    assert document["transferStatus"] == "cancelled" and document["finishTime"] > 0
    assert document["filesReplicated"] == 0


def test_cancel_while_active_freezes_progress(onedata: Onedata) -> None:
    transfer_id = onedata.create("data")
    onedata.advance(3.5)  # active from 2 s: a.bin (1 MiB) is done, b.bin half way
    assert onedata.cancel(transfer_id).status_code == 204
    assert onedata.status(transfer_id)["transferStatus"] == "aborting"
    onedata.advance(10)
    document = onedata.status(transfer_id)
    assert document["transferStatus"] == "cancelled"
    assert document["filesReplicated"] == 1 and document["bytesReplicated"] < 3 * 2**20


def test_cancelling_an_ended_transfer_is_transfer_already_ended(onedata: Onedata) -> None:
    transfer_id = onedata.create("data/a.bin")
    onedata.run_until_ended(transfer_id)
    response = onedata.cancel(transfer_id)
    assert response.status_code == 400
    assert response.json() == {
        "error": {"id": "transferAlreadyEnded", "description": "Specified transfer has already ended."}
    }


def test_cancel_needs_membership_for_the_creator_and_privileges_for_others(onedata: Onedata) -> None:
    transfer_id = onedata.create("data")
    assert onedata.cancel(transfer_id, token="viewer-token").status_code == 403
    assert onedata.cancel(transfer_id, token="outsider-token").status_code == 403
    assert onedata.client.delete(f"/api/v3/oneprovider/transfers/{transfer_id}").status_code == 401


def test_rerunning_an_ongoing_transfer_is_transfer_not_ended(onedata: Onedata) -> None:
    response = onedata.rerun(onedata.create("data"))
    assert response.status_code == 400
    assert response.json()["error"]["id"] == "transferNotEnded"


def test_a_failed_transfer_rerun_twice_follows_the_chain(onedata_with: Callable[..., Onedata]) -> None:
    # Reference 2.5: T -> R1 -> R2; T shows rerunId R1 and effectiveJobTransferId R2.
    onedata = onedata_with('    data_faults: [{match: "My Space 1/data/a.bin", error: eio}]\n')
    first = onedata.create("data", callback="http://receiver.test/done")
    assert onedata.run_until_ended(first)["transferStatus"] == "failed"
    response = onedata.rerun(first)
    assert response.status_code == 201
    second = response.json()["transferId"]
    assert response.headers["Location"].endswith(f"/transfers/{second}")
    onedata.run_until_ended(second)
    third = onedata.rerun(second).json()["transferId"]
    document = onedata.status(first)
    assert (document["rerunId"], document["effectiveJobTransferId"]) == (second, third)
    assert onedata.status(second)["rerunId"] == third
    assert onedata.status(third)["rerunId"] is None
    assert document["effectiveJobStatus"] == onedata.status(third)["transferStatus"] == "scheduled"
    rerun = onedata.status(third)
    assert (rerun["fileId"], rerun["callback"]) == (document["fileId"], "http://receiver.test/done")
    onedata.run_until_ended(third)
    assert onedata.status(first)["effectiveJobStatus"] == "failed"
