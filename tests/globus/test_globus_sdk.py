"""Unmodified globus-sdk against the emulator on a real socket.

The client is built as a user would (`base_url` is the server root; the SDK adds `/v0.10`), with
retries off so a refused call fails at once. `task_wait` sleeps between polls; the tests hand that
sleep to the virtual clock, so waiting costs no wall time.
"""

from __future__ import annotations

import concurrent.futures
import types
from collections.abc import Iterator

import globus_sdk
import pytest
from globus_sdk.services.transfer import client as transfer_client

from emulators.testing import LiveEmulator

pytestmark = [pytest.mark.real_client, pytest.mark.live]
TOKEN = "globus-dev-token"
LAB = "aaaaaaaa-0000-4000-8000-000000000001"
SCRATCH = "bbbbbbbb-0000-4000-8000-000000000002"


@pytest.fixture
def tc(emulator_server: LiveEmulator) -> Iterator[globus_sdk.TransferClient]:
    client = globus_sdk.TransferClient(
        authorizer=globus_sdk.AccessTokenAuthorizer(TOKEN), base_url=emulator_server.url
    )
    client.retry_config.max_retries = 0
    yield client
    client.close()


@pytest.fixture
def virtual_sleep(emulator_server: LiveEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """`task_wait`'s sleeps advance the emulator's clock instead of the wall clock."""
    monkeypatch.setattr(transfer_client, "time", types.SimpleNamespace(sleep=emulator_server.control.advance))


def submit_run(tc: globus_sdk.TransferClient, label: str = "copy run 1") -> globus_sdk.TransferData:
    data = globus_sdk.TransferData(LAB, SCRATCH, label=label, verify_checksum=True)
    data.add_item("/~/experiments/run-001/", "/~/copied/", recursive=True)
    return data


def test_submission_id_submit_and_duplicate(tc: globus_sdk.TransferClient):
    assert tc.get_submission_id()["value"]
    data = submit_run(tc)
    first = tc.submit_transfer(data)
    assert (first.http_status, first["code"]) == (202, "Accepted")
    assert data["submission_id"], "the SDK fetched a submission id into the document"
    again = tc.submit_transfer(data)
    assert (again.http_status, again["code"], again["task_id"]) == (200, "Duplicate", first["task_id"])
    assert len(list(tc.task_list())) == 1


def test_task_wait_get_task_events_successful_transfers_and_ls(
    tc: globus_sdk.TransferClient, emulator_server: LiveEmulator, virtual_sleep: None
):
    task_id = tc.submit_transfer(submit_run(tc))["task_id"]
    assert tc.get_task(task_id)["status"] == "ACTIVE"
    before = emulator_server.control.now()
    assert tc.task_wait(task_id, timeout=60, polling_interval=1)
    assert (emulator_server.control.now() - before).total_seconds() >= 1, "the wait ran on virtual time"
    task = tc.get_task(task_id)
    assert task["status"] == "SUCCEEDED"
    assert (task["files"], task["directories"], task["files_transferred"]) == (3, 2, 3)
    assert task["bytes_transferred"] == 1048576 + 2048 + 512
    codes = [event["code"] for event in tc.task_event_list(task_id)]
    assert codes[0] == "SUCCEEDED" and codes[-1] == "STARTED"
    copied = sorted(row["destination_path"] for row in tc.task_successful_transfers(task_id))
    home = "/scratch/researcher/copied"  # the records show /~/ expanded (reference 5.3)
    assert copied == [f"{home}/notes/readme.txt", f"{home}/reads.fastq", f"{home}/summary.csv"]
    listing = tc.operation_ls(SCRATCH, path="/~/copied/")
    assert [(entry["name"], entry["type"]) for entry in listing] == [
        ("notes", "dir"),
        ("reads.fastq", "file"),
        ("summary.csv", "file"),
    ]


def test_task_wait_times_out_on_a_task_that_outlasts_it(
    tc: globus_sdk.TransferClient, emulator_server: LiveEmulator, virtual_sleep: None
):
    data = globus_sdk.TransferData(LAB, SCRATCH)
    data.add_item("/~/instrument/", "/~/frames/", recursive=True)  # 10,000 files, about a minute
    task_id = tc.submit_transfer(data)["task_id"]
    assert not tc.task_wait(task_id, timeout=5, polling_interval=1)
    assert tc.get_task(task_id)["status"] == "ACTIVE"


def test_submit_delete_with_globs(tc: globus_sdk.TransferClient, emulator_server: LiveEmulator):
    data = globus_sdk.DeleteData(endpoint=LAB, interpret_globs=True, label="cleanup")
    data.add_item("/~/experiments/run-001/*.csv")
    result = tc.submit_delete(data)
    assert (result.http_status, result["DATA_TYPE"]) == (202, "delete_result")
    emulator_server.control.advance(10)
    assert tc.get_task(result["task_id"])["status"] == "SUCCEEDED"
    names = [entry["name"] for entry in tc.operation_ls(LAB, path="/~/experiments/run-001/")]
    assert names == ["notes", "reads.fastq"]


def test_cancel_update_and_task_list_filters(tc: globus_sdk.TransferClient, emulator_server: LiveEmulator):
    data = globus_sdk.TransferData(LAB, SCRATCH, label="long one")
    data.add_item("/~/instrument/", "/~/frames/", recursive=True)
    task_id = tc.submit_transfer(data)["task_id"]
    other_id = tc.submit_transfer(submit_run(tc, label="short one"))["task_id"]
    updated = tc.update_task(task_id, {"DATA_TYPE": "task", "label": "renamed"})
    assert updated["code"] == "Updated"
    assert tc.get_task(task_id)["label"] == "renamed"
    emulator_server.control.advance(5)  # out of the queue: files are moving
    assert tc.get_task(task_id)["nice_status"] == "OK"
    cancelled = tc.cancel_task(task_id)
    assert cancelled["code"] == "CancelAccepted"
    emulator_server.control.advance(1)
    assert tc.get_task(task_id)["fatal_error"]["code"] == "CANCELED"
    assert tc.cancel_task(task_id)["code"] == "TaskComplete"
    failed = [t["task_id"] for t in tc.task_list(filter={"status": ["FAILED"], "type": "TRANSFER"})]
    assert failed == [task_id]
    labelled = [t["task_id"] for t in tc.task_list(filter="label:~short", orderby="request_time DESC")]
    assert labelled == [other_id]


def test_an_unknown_task_is_a_transfer_api_error(tc: globus_sdk.TransferClient):
    with pytest.raises(globus_sdk.TransferAPIError) as raised:
        tc.get_task("00000000-0000-4000-8000-000000000000")
    error = raised.value
    assert (error.http_status, error.code) == (404, "ClientError.NotFound")
    assert error.message == "No task found with id '00000000-0000-4000-8000-000000000000'"
    assert error.request_id


def test_mkdir_rename_stat_and_the_exists_error(tc: globus_sdk.TransferClient):
    assert tc.operation_mkdir(SCRATCH, "/~/made")["code"] == "DirectoryCreated"
    with pytest.raises(globus_sdk.TransferAPIError) as raised:
        tc.operation_mkdir(SCRATCH, "/~/made")
    assert (raised.value.http_status, raised.value.code) == (502, "ExternalError.MkdirFailed.Exists")
    assert tc.operation_rename(SCRATCH, "/~/made", "/~/renamed")["code"] == "FileRenamed"
    assert tc.operation_stat(SCRATCH, "/~/renamed")["type"] == "dir"
    assert tc.get_endpoint(SCRATCH)["display_name"] == "HPC Scratch"


def test_racing_resubmits_create_one_task(tc: globus_sdk.TransferClient):
    data = submit_run(tc)
    data["submission_id"] = tc.get_submission_id()["value"]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: tc.submit_transfer(data), range(4)))
    assert sorted(r["code"] for r in results) == ["Accepted", "Duplicate", "Duplicate", "Duplicate"]
    assert len({r["task_id"] for r in results}) == 1
    assert len(list(tc.task_list())) == 1


@pytest.mark.emulator(scenario="globus-slow-transfers")
def test_the_sdk_paginators_walk_every_page(tc: globus_sdk.TransferClient, emulator_server: LiveEmulator):
    data = globus_sdk.TransferData(LAB, SCRATCH, skip_source_errors=True)
    data.add_item("/~/big/", "/~/big-copy/", recursive=True)
    task_id = tc.submit_transfer(data)["task_id"]
    emulator_server.control.advance(60)
    rows = list(tc.paginated.task_successful_transfers(task_id).items())
    assert len(rows) == 20, "five pages of four, followed through next_marker"
    assert list(tc.paginated.task_skipped_errors(task_id).items()) == []
    events = list(tc.paginated.task_event_list(task_id).items())
    assert events[0]["code"] == "SUCCEEDED"
    found = list(tc.paginated.endpoint_search("storage", limit=1).items())
    assert [e["id"] for e in found] == [LAB], "has_next_page ends the walk"
    assert tc.task_pause_info(task_id)["pause_rules"] == []


def test_the_endpoint_manager_task_list_pages_by_last_key(tc: globus_sdk.TransferClient):
    """globus-sdk's LastKeyPaginator follows `last_key` until `has_next_page` is false."""
    submitted = [tc.submit_transfer(submit_run(tc, label=f"run {n}"))["task_id"] for n in range(3)]
    pages = tc.paginated.endpoint_manager_task_list(filter_status="ACTIVE", query_params={"limit": 2})
    assert [t["task_id"] for t in pages.items()] == submitted[::-1]


@pytest.mark.emulator(scenario="globus-slow-transfers")
def test_the_endpoint_manager_task_methods(tc: globus_sdk.TransferClient, emulator_server: LiveEmulator):
    """globus-sdk's endpoint_manager_* task methods, unmodified, on tasks of collections the caller
    manages (it owns both): one task, its records walked by the paginators, pause, resume, cancel."""
    data = globus_sdk.TransferData(LAB, SCRATCH)
    data.add_item("/~/big/", "/~/big-copy/", recursive=True)  # 20 s of copying after 5 s queued
    done_id = tc.submit_transfer(data)["task_id"]
    emulator_server.control.advance(30)
    data["submission_id"] = tc.get_submission_id()["value"]
    running_id = tc.submit_transfer(data)["task_id"]
    assert tc.endpoint_manager_get_task(done_id)["owner_string"] == "researcher@example.org"
    copied = list(tc.paginated.endpoint_manager_task_successful_transfers(done_id).items())
    assert len(copied) == 20, "pages of four, followed through next_marker"
    assert list(tc.paginated.endpoint_manager_task_skipped_errors(done_id).items()) == []
    events = list(tc.paginated.endpoint_manager_task_event_list(done_id).items())
    assert events[0]["code"] == "SUCCEEDED" and events[-1]["code"] == "STARTED"
    assert list(tc.endpoint_manager_task_event_list(done_id, filter_is_error=True)) == []
    assert tc.endpoint_manager_task_pause_info(done_id)["pause_rules"] == []

    paused = tc.endpoint_manager_pause_tasks([running_id], "disk swap")
    assert (paused["DATA_TYPE"], paused["code"]) == ("result", "PauseAccepted")
    assert tc.get_task(running_id)["is_paused"] is True
    resumed = tc.endpoint_manager_resume_tasks([running_id])
    assert (resumed["DATA_TYPE"], resumed["code"]) == ("result", "ResumeAccepted")
    assert tc.get_task(running_id)["is_paused"] is False
    emulator_server.control.advance(6)  # copying: a cancel takes effect cancel_delay later
    cancel = tc.endpoint_manager_cancel_tasks([running_id], "maintenance")
    assert (cancel["DATA_TYPE"], cancel["done"]) == ("admin_cancel", False)
    emulator_server.control.advance(1)  # the scenario's cancel_delay
    assert tc.endpoint_manager_cancel_status(cancel["id"])["done"] is True
    task = tc.get_task(running_id)
    assert (task["canceled_by_admin"], task["canceled_by_admin_message"]) == ("BOTH", "maintenance")
