"""Tasks: lifecycle on the engine, the task document, cancel, update, events and per-file records."""

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
    # Bytes over the time since the request, queue included, as the real task captures show.
    assert done["effective_bytes_per_second"] == 20 * 1048576 // 25


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


def test_a_queued_task_is_canceled_during_the_call():
    task = submit(world()).task
    assert task.cancel(at(1), delay=3) == "Canceled"
    document = task.document(at(1))
    assert (document["status"], document["fatal_error"]["code"]) == ("FAILED", "CANCELED")
    assert document["completion_time"] == "2030-01-01T00:00:01+00:00"
    assert document["subtasks_canceled"] == document["subtasks_total"] == 1
    assert task.cancel(at(2), delay=3) == "TaskComplete"


def test_a_cancel_with_work_in_flight_is_accepted_and_takes_effect_later():
    task = submit(world()).task  # running from 5 s to 25 s
    assert task.cancel(at(12), delay=3) == "CancelAccepted"
    pending = task.document(at(14))
    assert (pending["status"], pending["fatal_error"]) == ("ACTIVE", None)
    assert pending["files_transferred"] > task.document(at(12))["files_transferred"], "work goes on"
    assert task.cancel(at(14), delay=3) == "CancelAccepted", "a second cancel does not move the first"
    done = task.document(at(15))
    assert (done["status"], done["fatal_error"]["code"]) == ("FAILED", "CANCELED")
    assert done["completion_time"] == "2030-01-01T00:00:15+00:00"
    assert task.document(at(100))["files_transferred"] == done["files_transferred"] < 20
    assert task.events(at(100))[0].code == "CANCELED"
    assert task.cancel(at(16), delay=3) == "TaskComplete"


def test_an_accepted_cancel_loses_to_a_task_that_finishes_first():
    task = submit(world()).task
    assert task.cancel(at(24), delay=5) == "CancelAccepted"
    document = task.document(at(30))
    assert (document["status"], document["fatal_error"], document["files_transferred"]) == (
        "SUCCEEDED",
        None,
        20,
    )
    assert task.events(at(30))[0].code == "SUCCEEDED"
    assert task.cancel(at(30), delay=5) == "TaskComplete"


def test_an_inactive_task_or_a_zero_delay_is_canceled_during_the_call():
    paused = submit(world()).task
    paused.pause(at(10))
    assert paused.cancel(at(12), delay=3) == "Canceled"
    assert paused.document(at(12))["status"] == "FAILED"
    immediate = submit(world()).task
    assert immediate.cancel(at(12), delay=0) == "Canceled"
    assert immediate.document(at(12))["fatal_error"]["code"] == "CANCELED"


RETRIED = """
version: 1
services:
  globus:
    data_faults:
      - {match: "*/big/part-005.dat", error: CONNECT_FAILED}
"""


def test_a_step_being_retried_shows_its_error_in_nice_status_and_counts_a_fault(tmp_path):
    scenario = tmp_path / "retried.yaml"
    scenario.write_text(RETRIED)
    slow = default_scenario_path().parent / f"{SLOW}.yaml"
    w = World(
        load_scenario_files([slow, scenario]), SERVICES, start=START, clock_mode="manual", speed=1, seed=0
    )
    task = submit(w).task  # part-005 starts at 10 s and, retried, finishes at 11 s
    before, retrying, after = task.document(at(9.5)), task.document(at(10.5)), task.document(at(12))
    assert (before["nice_status"], before["is_ok"], before["faults"]) == ("OK", True, 0)
    assert (retrying["nice_status"], retrying["is_ok"], retrying["faults"]) == ("CONNECT_FAILED", False, 1)
    assert retrying["nice_status_short_description"] == "connect failed"
    assert (retrying["subtasks_retrying"], after["subtasks_retrying"]) == (1, 0)
    assert (after["nice_status"], after["is_ok"], after["faults"]) == ("OK", True, 1)
    [error] = [e for e in task.events(at(12)) if e.is_error]
    assert (error.code, error.time) == ("CONNECT_FAILED", at(10))
    assert task.document(at(60))["status"] == "SUCCEEDED"


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
        "source_base_path",
        "destination_base_path",
        "source_local_user",
        "source_local_user_status",
        "destination_local_user",
        "destination_local_user_status",
    }
    assert expected <= set(document)
    assert document["subtasks_total"] == document["subtasks_pending"] == 1, "queued: one subtask pending"
    assert (document["faults"], document["files"], document["recursive_symlinks"]) == (0, 0, "ignore")
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
def test_cancel_of_a_running_task_is_accepted_then_takes_effect(globus: Globus):
    task_id = globus.transfer(BIG)
    globus.advance(10)
    body = globus.ok(globus.post(f"/task/{task_id}/cancel"))
    assert (body["DATA_TYPE"], body["code"], body["resource"]) == (
        "result",
        "CancelAccepted",
        f"/task/{task_id}/cancel",
    )
    assert set(body) == {"DATA_TYPE", "code", "message", "request_id", "resource"}
    assert globus.task(task_id)["status"] == "ACTIVE"
    assert globus.ok(globus.post(f"/task/{task_id}/cancel"))["code"] == "CancelAccepted"
    globus.advance(1)  # the scenario's cancel_delay
    document = globus.task(task_id)
    assert document["status"] == "FAILED"
    assert document["fatal_error"] == {"code": "CANCELED", "description": "canceled"}
    assert document["completion_time"] == globus.now().replace(microsecond=0).isoformat()
    event = globus.events(task_id)[0]
    assert (event["code"], event["details"]) == ("CANCELED", "Canceled by the task owner")
    again = globus.ok(globus.post(f"/task/{task_id}/cancel"))
    assert again["code"] == "TaskComplete"


@pytest.mark.emulator(scenario=SLOW)
def test_cancel_of_a_queued_task_is_canceled_at_once(globus: Globus):
    task_id = globus.transfer(BIG)
    body = globus.ok(globus.post(f"/task/{task_id}/cancel"))
    assert (body["code"], body["message"]) == ("Canceled", "The task has been cancelled successfully.")
    document = globus.task(task_id)
    assert (document["status"], document["fatal_error"]["code"]) == ("FAILED", "CANCELED")
    assert document["files_transferred"] == document["bytes_transferred"] == 0


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
        {"deadline": "9999-12-31T23:59:59-05:00"},
        {"deadline": "0001-01-01T00:00:00+01:00"},
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
    copies = [f"/scratch/researcher/big-copy/part-{i:03d}.dat" for i in range(20)]
    assert [r["destination_path"] for r in rows] == copies, "/~/ expanded, as the records show it"
    assert rows[0]["source_path"] == "/home/researcher/big/part-000.dat" and rows[0]["size"] == 1048576


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
        ("FILE_NOT_FOUND", "/home/researcher/experiments/run-002/reads.fastq")
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


def test_a_missing_file_or_delete_path_is_not_counted_as_a_file(globus: Globus):
    transfer = globus.finish(globus.transfer(item("/~/nothing.txt", "/~/n.txt")))
    delete = globus.finish(globus.delete("/~/nothing.txt"))
    for document in (transfer, delete):
        assert (document["fatal_error"]["code"], document["files"]) == ("FILE_NOT_FOUND", 0)


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


def test_get_task_honours_fields(globus: Globus):
    task_id = globus.transfer()
    body = globus.ok(globus.get(f"/task/{task_id}", params={"fields": "status,label"}))
    assert body == {"DATA_TYPE": "task", "status": "ACTIVE", "label": None}


MANY_SKIPPED = """
version: 1
extends: globus-slow-transfers
services:
  globus:
    data_faults:
      - {match: "*/big/part-00[0-5].dat", error: FILE_NOT_FOUND}
"""


@pytest.mark.emulator(scenario_text=MANY_SKIPPED)
def test_skipped_errors_use_marker_paging(globus: Globus):
    task_id = globus.transfer(BIG, skip_source_errors=True)
    document = globus.finish(task_id)
    assert (document["status"], document["subtasks_skipped_errors"]) == ("SUCCEEDED", 6)
    first = globus.ok(globus.get(f"/task/{task_id}/skipped_errors"))
    assert (first["marker"], len(first["DATA"])) == (0, 4) and first["next_marker"] is not None
    second = globus.ok(globus.get(f"/task/{task_id}/skipped_errors", params={"marker": first["next_marker"]}))
    assert (len(second["DATA"]), second["next_marker"]) == (2, None)
    paths = [row["source_path"] for row in first["DATA"] + second["DATA"]]
    assert paths == [f"/home/researcher/big/part-{i:03d}.dat" for i in range(6)]
    assert document["files_transferred"] == 14


FLEXIBLE = f"""
extends: {SLOW}
services:
  globus:
    behaviour: {{default_deadline: 10}}
"""


@pytest.mark.emulator(scenario_text=FLEXIBLE)
def test_without_a_client_deadline_a_task_runs_past_the_deadline_it_shows(globus: Globus):
    task_id = globus.transfer(BIG)
    shown = globus.task(task_id)["deadline"]
    globus.advance(15)
    assert globus.task(task_id)["status"] == "ACTIVE", "still making progress after the shown deadline"
    document = globus.finish(task_id, step=1)
    assert (document["status"], document["files_transferred"], document["deadline"]) == (
        "SUCCEEDED",
        20,
        shown,
    )


@pytest.mark.emulator(scenario="globus-deadline")
def test_the_deadline_scenario_expires_a_task_mid_way(globus: Globus):
    task_id = globus.transfer(BIG, deadline="2030-01-01T00:00:10Z")
    globus.advance(9)
    assert globus.task(task_id)["status"] == "ACTIVE"
    globus.advance(1)
    document = globus.task(task_id)
    assert (document["status"], document["fatal_error"]["code"]) == ("FAILED", "EXPIRED")
    assert (document["completion_time"], document["deadline"]) == ("2030-01-01T00:00:10+00:00",) * 2
    assert 0 < document["files_transferred"] < 20 and document["subtasks_expired"] > 0
    event = globus.events(task_id)[0]
    assert (event["code"], event["is_error"]) == ("EXPIRED", True)


def test_subtask_counts_of_a_task_failed_by_a_file_error_add_up(globus: Globus):
    """Reference 5, subtask arithmetic: the counts add up to the total once a file error has failed
    the task, the subtasks it left undone counted as failed; the error is one fault."""
    items = [item("/~/experiments/run-001/summary.csv", "/~/a.csv"), item("/~/missing.csv", "/~/b.csv")]
    items.append(item("/~/experiments/run-001/reads.fastq", "/~/c.fastq"))
    document = globus.finish(globus.transfer(*items))
    assert (document["status"], document["fatal_error"]["code"]) == ("FAILED", "FILE_NOT_FOUND")
    parts = [
        document[f"subtasks_{k}"]
        for k in ("succeeded", "failed", "canceled", "expired", "pending", "retrying", "skipped_errors")
    ]
    assert sum(parts) == document["subtasks_total"] == 4, document
    assert (document["subtasks_failed"], document["faults"]) == (2, 1)


def test_error_events_carry_the_endpoint_s_error_in_the_real_shape(globus: Globus):
    """Reference 5.2: an error event's details read `Error (make directories)\\nEndpoint: ...
    \\nFile: /foo/\\nCommand: MKD /foo\\n...`, and 5.3: the reply is `550-GlobusError: v=1 c=...`."""
    task_id = globus.transfer(item("/~/missing.csv", "/~/b.csv"))
    globus.finish(task_id)
    details = globus.events(task_id)[0]["details"]
    path = "/home/researcher/missing.csv"
    assert details.startswith(
        f"Error (transfer)\nEndpoint: Lab Storage ({LAB})\nFile: {path}\nCommand: RETR {path}\n"
    )
    assert "Details: 550-GlobusError: v=1 c=PATH_NOT_FOUND\r\n" in details
    assert f"550-GridFTP-Path: {path}\r\n550 End.\r\n" in details
    globus.transfer(item("/~/experiments/run-001/summary.csv", "/~/taken"))
    globus.advance(60)
    task_id = globus.transfer(item("/~/experiments/run-001/", "/~/taken/"))
    globus.finish(task_id)
    details = globus.events(task_id)[0]["details"]
    assert details.startswith(f"Error (make directories)\nEndpoint: HPC Scratch ({SCRATCH})\nFile: /scratch/")
    assert "Command: MKD /scratch/researcher/taken/\n" in details and "c=NOT_A_DIRECTORY" in details
