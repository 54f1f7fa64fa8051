"""Tasks: lifecycle on the engine, the task document, cancel, update, events, per-file records, task_list."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from globus_helpers import LAB, SCRATCH, Globus, globus, item

from emulators.app import SERVICES, default_scenario_path, load_scenario_files
from emulators.core.world import World
from emulators.globus.models import parse_transfer
from emulators.globus.store import GlobusStore
from emulators.globus.submission import submit_transfer

__all__ = ["globus"]
SLOW = "globus-slow-transfers"
START = datetime(2030, 1, 1, tzinfo=UTC)
BIG = item("/~/big/", "/~/big-copy/")


# -- the state machine, without HTTP ----------------------------------------------------------------


def world(scenario: str = SLOW) -> World:
    path = default_scenario_path().parent / f"{scenario}.yaml"
    return World(load_scenario_files([path]), SERVICES, start=START, clock_mode="manual", speed=1, seed=0)


def submit(w: World, **options: Any):
    store = w.store(GlobusStore)
    document = {
        "DATA_TYPE": "transfer",
        "submission_id": str(uuid.uuid4()),
        "source_endpoint": LAB,
        "destination_endpoint": SCRATCH,
        "DATA": [BIG],
        **options,
    }
    return submit_transfer(store, parse_transfer(document), store.identities["researcher@example.org"], START)


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def test_a_task_is_queued_then_ok_then_succeeded_as_time_passes():
    task = submit(world()).task
    queued, running, done = task.document(at(1)), task.document(at(10)), task.document(at(60))
    assert (queued["status"], queued["nice_status"], queued["is_ok"]) == ("ACTIVE", "Queued", True)
    assert (running["status"], running["nice_status"], running["nice_status_expires_in"]) == (
        "ACTIVE",
        "OK",
        -1,
    )
    assert 0 < running["files_transferred"] < 20
    assert (done["status"], done["nice_status"], done["is_ok"], done["fatal_error"]) == (
        "SUCCEEDED",
        None,
        None,
        None,
    )
    assert done["files"] == done["files_transferred"] == 20
    assert done["bytes_transferred"] == 20 * 1048576
    assert done["completion_time"] == "2030-01-01T00:00:25+00:00"
    assert done["effective_bytes_per_second"] == 1048576


def test_the_default_deadline_is_the_request_time_plus_24_hours():
    document = submit(world()).task.document(START)
    assert document["request_time"] == "2030-01-01T00:00:00+00:00"
    assert document["deadline"] == "2030-01-02T00:00:00+00:00"


def test_subtask_counts_add_up_at_every_instant():
    task = submit(world()).task
    for seconds in range(0, 40, 3):
        d = task.document(at(seconds))
        parts = [
            d[f"subtasks_{k}"]
            for k in ("succeeded", "failed", "canceled", "expired", "pending", "retrying", "skipped_errors")
        ]
        assert sum(parts) == d["subtasks_total"], (seconds, d)


def test_a_deadline_in_the_middle_expires_the_task():
    task = submit(world(), deadline="2030-01-01T00:00:10Z").task
    document = task.document(at(30))
    assert document["status"] == "FAILED"
    assert document["fatal_error"] == {"code": "EXPIRED", "description": "expired"}
    assert document["completion_time"] == "2030-01-01T00:00:10+00:00"
    assert document["subtasks_expired"] > 0
    assert task.events(at(30))[0].code == "EXPIRED"


def test_cancel_freezes_the_task_and_a_second_cancel_says_task_complete():
    task = submit(world()).task
    assert task.cancel(at(12)) == "Canceled"
    frozen = task.document(at(12))
    assert frozen["status"] == "FAILED" and frozen["fatal_error"]["code"] == "CANCELED"
    assert task.document(at(100))["files_transferred"] == frozen["files_transferred"] < 20
    assert task.cancel(at(13)) == "TaskComplete"


# -- over HTTP --------------------------------------------------------------------------------------


def test_get_task_has_every_field_of_the_task_document(globus: Globus):
    document = globus.task(globus.transfer(label="run 1"))
    expected = {
        "DATA_TYPE",
        "task_id",
        "type",
        "status",
        "label",
        "owner_id",
        "username",
        "request_time",
        "completion_time",
        "deadline",
        "fatal_error",
        "nice_status",
        "nice_status_short_description",
        "nice_status_details",
        "nice_status_expires_in",
        "is_ok",
        "is_paused",
        "canceled_by_admin",
        "canceled_by_admin_message",
        "history_deleted",
        "command",
        "source_endpoint",
        "source_endpoint_id",
        "source_endpoint_display_name",
        "destination_endpoint",
        "destination_endpoint_id",
        "destination_endpoint_display_name",
        "sync_level",
        "encrypt_data",
        "verify_checksum",
        "preserve_timestamp",
        "delete_destination_extra",
        "recursive_symlinks",
        "filter_rules",
        "skip_source_errors",
        "fail_on_quota_errors",
        "faults",
        "files",
        "directories",
        "symlinks",
        "files_skipped",
        "files_transferred",
        "subtasks_total",
        "subtasks_pending",
        "subtasks_retrying",
        "subtasks_succeeded",
        "subtasks_expired",
        "subtasks_canceled",
        "subtasks_failed",
        "subtasks_skipped_errors",
        "bytes_transferred",
        "bytes_checksummed",
        "effective_bytes_per_second",
        "total_estimated_bytes",
    }
    assert expected <= set(document)
    assert (document["type"], document["command"], document["label"]) == ("TRANSFER", "API 0.10", "run 1")
    assert document["source_endpoint_display_name"] == "Lab Storage"


def test_an_unknown_task_is_404_client_error_not_found(globus: Globus):
    missing = str(uuid.uuid4())
    body = globus.error(globus.get(f"/task/{missing}"), 404, "ClientError.NotFound")
    assert body["message"] == f"No task found with id '{missing}'"
    assert body["resource"] == f"/task/{missing}"


def test_another_identity_cannot_see_the_task(globus: Globus):
    task_id = globus.transfer()
    globus.error(globus.get(f"/task/{task_id}", token="globus-colleague-token"), 404, "ClientError.NotFound")


@pytest.mark.emulator(scenario=SLOW)
def test_files_appear_in_the_destination_as_the_task_progresses(globus: Globus):
    task_id = globus.transfer(BIG)
    assert globus.get(f"/operation/endpoint/{SCRATCH}/ls", params={"path": "/~/big-copy/"}).status_code == 404
    globus.advance(10)
    partial = globus.ls("/~/big-copy/")
    assert 0 < len(partial) < 20
    globus.advance(30)
    assert globus.task(task_id)["status"] == "SUCCEEDED"
    assert globus.ls("/~/big-copy/") == [f"part-{i:03d}.dat" for i in range(20)]


@pytest.mark.emulator(scenario=SLOW)
def test_cancel_on_a_running_task_then_task_complete(globus: Globus):
    task_id = globus.transfer(BIG)
    globus.advance(10)
    body = globus.ok(globus.post(f"/task/{task_id}/cancel"))
    assert (body["DATA_TYPE"], body["code"], body["resource"]) == (
        "result",
        "Canceled",
        f"/task/{task_id}/cancel",
    )
    document = globus.task(task_id)
    assert document["status"] == "FAILED"
    assert document["fatal_error"] == {"code": "CANCELED", "description": "canceled"}
    assert globus.events(task_id)[0]["code"] == "CANCELED"
    again = globus.ok(globus.post(f"/task/{task_id}/cancel"))
    assert again["code"] == "TaskComplete"


@pytest.mark.emulator(scenario=SLOW)
def test_update_changes_the_label_and_the_deadline_while_running(globus: Globus):
    task_id = globus.transfer(BIG, label="before")
    deadline = (globus.now() + timedelta(seconds=12)).isoformat()
    body = globus.ok(
        globus.put(f"/task/{task_id}", {"DATA_TYPE": "task", "label": "after", "deadline": deadline})
    )
    assert body["code"] == "Updated"
    assert globus.task(task_id)["label"] == "after"
    globus.advance(60)
    assert globus.task(task_id)["fatal_error"]["code"] == "EXPIRED"
    refused = globus.put(f"/task/{task_id}", {"DATA_TYPE": "task", "label": "late"})
    globus.error(refused, 409, "Conflict")


@pytest.mark.parametrize(
    "body",
    [
        {"DATA_TYPE": "task", "status": "SUCCEEDED"},
        {"label": "bad;label"},
        {"deadline": "soon"},
        {"deadline": "2001-01-01T00:00:00Z"},
        {"DATA_TYPE": "x"},
    ],
)
def test_update_refuses_fields_it_cannot_change_and_bad_values(globus: Globus, body):
    task_id = globus.transfer()
    globus.error(globus.put(f"/task/{task_id}", body), 400, "ClientError.BadRequest")


@pytest.mark.emulator(scenario=SLOW)
def test_event_list_is_newest_first_with_filters_and_paging(globus: Globus):
    task_id = globus.transfer(BIG)
    globus.advance(40)
    body = globus.ok(globus.get(f"/task/{task_id}/event_list", params={"limit": 2}))
    assert (body["DATA_TYPE"], body["limit"], body["offset"], body["length"]) == ("event_list", 2, 0, 2)
    everything = globus.events(task_id, limit=100)
    assert body["total"] == len(everything)
    assert [e["code"] for e in everything] == ["SUCCEEDED", "PROGRESS", "PROGRESS", "PROGRESS", "STARTED"]
    assert [e["time"] for e in everything] == sorted((e["time"] for e in everything), reverse=True)
    assert globus.events(task_id, filter="is_error:1") == []
    assert globus.events(task_id, offset=4, limit=10)[0]["code"] == "STARTED"
    globus.error(
        globus.get(f"/task/{task_id}/event_list", params={"filter": "code:X"}), 400, "ClientError.BadRequest"
    )


@pytest.mark.emulator(scenario=SLOW)
def test_successful_transfers_use_marker_paging(globus: Globus):
    task_id = globus.transfer(BIG)
    globus.advance(40)
    rows, marker, pages = [], None, 0
    while True:
        params = {"marker": marker} if marker is not None else {}
        page = globus.ok(globus.get(f"/task/{task_id}/successful_transfers", params=params))
        assert page["DATA_TYPE"] == "successful_transfers"
        rows += page["DATA"]
        pages += 1
        marker = page["next_marker"]
        if marker is None:
            break
    assert pages == 5, "20 files, page_size 4"
    assert [r["destination_path"] for r in rows] == [f"/~/big-copy/part-{i:03d}.dat" for i in range(20)]
    assert rows[0]["source_path"] == "/~/big/part-000.dat" and rows[0]["size"] == 1048576


@pytest.mark.emulator(scenario="globus-skipped-errors")
def test_a_missing_file_fails_the_task_with_file_not_found(globus: Globus):
    task_id = globus.transfer(item("/~/experiments/run-002/", "/~/r2/"))
    document = globus.finish(task_id)
    assert document["status"] == "FAILED"
    assert document["fatal_error"]["code"] == "FILE_NOT_FOUND"
    assert document["subtasks_failed"] == 1 and document["faults"] >= 1
    assert globus.events(task_id, filter="is_error:1")[0]["code"] == "FILE_NOT_FOUND"


@pytest.mark.emulator(scenario="globus-skipped-errors")
def test_skip_source_errors_skips_and_lists_the_missing_file(globus: Globus):
    task_id = globus.transfer(item("/~/experiments/run-002/", "/~/r2/"), skip_source_errors=True)
    document = globus.finish(task_id)
    assert (document["status"], document["subtasks_skipped_errors"]) == ("SUCCEEDED", 1)
    skipped = globus.ok(globus.get(f"/task/{task_id}/skipped_errors"))
    assert skipped["next_marker"] is None
    assert [(s["error_code"], s["source_path"]) for s in skipped["DATA"]] == [
        ("FILE_NOT_FOUND", "/~/experiments/run-002/reads.fastq")
    ]
    assert "reads.fastq" not in globus.ls("/~/r2/")


@pytest.mark.emulator(scenario="globus-skipped-errors")
def test_a_transient_error_is_an_event_and_a_fault_and_the_retry_succeeds(globus: Globus):
    task_id = globus.transfer(item("/~/experiments/run-001/", "/~/r1/"))
    document = globus.finish(task_id)
    assert (document["status"], document["faults"]) == ("SUCCEEDED", 1)
    assert [e["code"] for e in globus.events(task_id, filter="is_error:1")] == ["CONNECT_FAILED"]
    assert "summary.csv" in globus.ls("/~/r1/")


def test_a_missing_source_fails_and_kind_mismatches_fail(globus: Globus):
    missing = globus.transfer(item("/~/nothing/", "/~/x/"))
    as_dir = globus.transfer(item("/~/experiments/run-001/summary.csv/", "/~/y/"))
    as_file = globus.transfer(item("/~/experiments/run-001", "/~/z"))
    codes = [globus.finish(t)["fatal_error"]["code"] for t in (missing, as_dir, as_file)]
    assert codes == ["FILE_NOT_FOUND", "NOT_A_DIRECTORY", "IS_A_DIRECTORY"]


def test_task_list_filters_orders_and_pages(globus: Globus):
    first = globus.transfer(label="alpha one")
    globus.advance(1)
    second = globus.transfer(label="beta two")
    globus.advance(1)
    deleted = globus.delete("/~/experiments/run-001/summary.csv", label="cleanup")

    def ids(**params: Any) -> list[str]:
        body = globus.ok(globus.get("/task_list", params=params))
        assert body["DATA_TYPE"] == "task_list" and body["total"] >= body["length"]
        return [t["task_id"] for t in body["DATA"]]

    assert ids() == [deleted, second, first], "request_time DESC by default"
    assert ids(orderby="request_time ASC") == [first, second, deleted]
    assert ids(filter="type:TRANSFER") == [second, first]
    assert ids(filter="type:DELETE/label:cleanup") == [deleted]
    assert ids(filter="label:~alpha") == [first]
    assert ids(filter="label:!~*o*") == [deleted]
    assert ids(filter="label:!alpha one", orderby="label ASC") == [second, deleted]
    assert ids(filter=f"task_id:{first},{deleted}") == [deleted, first]
    assert ids(filter="status:ACTIVE,INACTIVE") == [deleted, second, first]
    globus.advance(60)
    assert ids(filter="status:SUCCEEDED/type:TRANSFER") == [second, first]
    started = (globus.now() - timedelta(seconds=61)).strftime("%Y-%m-%d %H:%M:%S")
    assert ids(filter=f"request_time:{started},") == [deleted, second]
    page = globus.ok(globus.get("/task_list", params={"limit": 1, "offset": 1}))
    assert (page["length"], page["total"], page["DATA"][0]["task_id"]) == (1, 3, second)
    fields = globus.ok(globus.get("/task_list", params={"fields": "task_id"}))["DATA"][0]
    assert set(fields) == {"DATA_TYPE", "task_id"}


@pytest.mark.parametrize(
    "params",
    [
        {"filter": "color:red"},
        {"limit": 0},
        {"limit": 1001},
        {"offset": -1},
        {"orderby": "size"},
        {"orderby": "label SIDEWAYS"},
        {"filter": "request_time:yesterday,"},
        {"limit": "ten"},
    ],
)
def test_task_list_refuses_bad_parameters(globus: Globus, params):
    globus.error(globus.get("/task_list", params=params), 400, "ClientError.BadRequest")


def test_remove_hides_a_completed_task_and_refuses_an_active_one(globus: Globus):
    task_id = globus.transfer()
    globus.error(globus.post(f"/task/{task_id}/remove"), 409, "Conflict")
    globus.finish(task_id)
    assert globus.ok(globus.post(f"/task/{task_id}/remove"))["code"] == "Removed"
    globus.error(globus.get(f"/task/{task_id}"), 404, "ClientError.NotFound")


def test_pause_info_has_no_rules(globus: Globus):
    body = globus.ok(globus.get(f"/task/{globus.transfer()}/pause_info"))
    assert (body["DATA_TYPE"], body["pause_rules"], body["source_pause_message"]) == (
        "pause_info_limited",
        [],
        None,
    )


@pytest.mark.emulator(scenario="globus-duplicate-submission")
def test_a_resubmit_while_queued_gets_the_same_task(globus: Globus):
    document = globus.transfer_document()
    first = globus.ok(globus.post("/transfer", document), 202)
    globus.advance(30)
    assert globus.task(first["task_id"])["nice_status"] == "Queued"
    again = globus.ok(globus.post("/transfer", document), 200)
    assert (again["code"], again["task_id"]) == ("Duplicate", first["task_id"])
    assert len(globus.emulator.world.store(GlobusStore).tasks) == 1


QUOTA = """
extends: default
services:
  globus:
    data_faults:
      - {match: "*/reads.fastq", error: QUOTA_EXCEEDED}
      - {match: "*/summary.csv", error: PERMISSION_DENIED}
"""


@pytest.mark.emulator(scenario_text=QUOTA)
def test_quota_errors_are_retried_unless_fail_on_quota_errors(globus: Globus):
    retried = globus.finish(globus.transfer(item("/~/experiments/run-001/reads.fastq", "/~/q1")))
    assert (retried["status"], retried["faults"]) == ("SUCCEEDED", 1)
    failed = globus.finish(
        globus.transfer(item("/~/experiments/run-001/reads.fastq", "/~/q2"), fail_on_quota_errors=True)
    )
    assert (failed["status"], failed["fatal_error"]["code"]) == ("FAILED", "QUOTA_EXCEEDED")


@pytest.mark.emulator(scenario_text=QUOTA)
def test_permission_denied_is_fatal_or_skipped(globus: Globus):
    source = item("/~/experiments/run-001/summary.csv", "/~/p")
    assert globus.finish(globus.transfer(source))["fatal_error"]["code"] == "PERMISSION_DENIED"
    skipped = globus.finish(globus.transfer(source, skip_source_errors=True))
    assert (skipped["status"], skipped["subtasks_skipped_errors"]) == ("SUCCEEDED", 1)


def test_task_list_completion_time_ranges(globus: Globus):
    done = globus.transfer()
    globus.advance(30)
    running = globus.transfer(item("/~/instrument/", "/~/frames/"))
    assert globus.task(done)["status"] == "SUCCEEDED"
    after = (globus.now() - timedelta(seconds=60)).isoformat()
    body = globus.ok(globus.get("/task_list", params={"filter": f"completion_time:{after},"}))
    assert [t["task_id"] for t in body["DATA"]] == [done], "a running task has no completion time"
    assert globus.task(running)["completion_time"] is None
