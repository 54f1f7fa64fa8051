"""The endpoint manager's task routes beyond task_list (globus-sdk's `endpoint_manager_*` methods):
one task, its events and per-file records, and admin_cancel, admin_pause and admin_resume.

Reference 2 maps `endpoint_manager_*` to `/v0.10/endpoint_manager/...`; the documents are those
globus-sdk sends, and the answers those its tests against the real service check: an
`admin_cancel` document with `id` and `done`, `canceled_by_admin` "SOURCE" on the owner's task,
`PauseAccepted` / `ResumeAccepted` with `is_paused`, and 403 PermissionDenied to a caller who does
not manage the task's collections, even its owner.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from globus_helpers import COLLEAGUE_TOKEN, LAB, SCRATCH, Globus, globus, item

__all__ = ["globus"]
OTHER = "dddddddd-0000-4000-8000-000000000004"
BIG = item("/~/big/", "/~/big-copy/")
# globus-slow-transfers (20 files of 1 MiB at 1 MiB/s after 5 s queued, cancel_delay 1 s, pages of
# 4 records), with a collection the colleague owns: the researcher manages Lab and Scratch only.
MANAGED = pytest.mark.emulator(
    scenario_text=f"""
extends: globus-slow-transfers
services:
  globus:
    endpoints:
      - id: {LAB}
        display_name: Lab Storage
        owner: researcher@example.org
        acl: {{colleague@example.org: r}}
        home: /home/researcher
        tree:
          entries:
            - {{path: home/researcher/small.txt, size: 10}}
          generate:
            - count: 20
              prefix: home/researcher/big
              name: part-{{index:03d}}{{ext}}
              extensions: [.dat]
              size: {{distribution: fixed, value: 1048576}}
      - id: {SCRATCH}
        display_name: HPC Scratch
        owner: researcher@example.org
        acl: {{colleague@example.org: rw}}
        home: /scratch/researcher
      - id: {OTHER}
        display_name: Colleague Disk
        owner: colleague@example.org
        home: /home/colleague
        tree:
          entries:
            - {{path: home/colleague/data.bin, size: 20971520}}
"""
)


def _colleague_transfer(globus: Globus, source: str, destination: str, *items: dict[str, Any]) -> str:
    document = globus.transfer_document(*items, source=source, destination=destination)
    return str(globus.ok(globus.post("/transfer", document, token=COLLEAGUE_TOKEN), 202)["task_id"])


def _admin(globus: Globus, action: str, task_ids: list[str], token: str | None = None, **body: Any) -> Any:
    return globus.post(f"/endpoint_manager/{action}", {"task_id_list": task_ids, **body}, token=token)


@MANAGED
def test_a_manager_reads_a_task_it_did_not_submit_and_its_owner_may_not(globus: Globus):
    theirs = _colleague_transfer(globus, LAB, SCRATCH, item("/~/small.txt", "/~/small.txt"))
    document = globus.ok(globus.get(f"/endpoint_manager/task/{theirs}"))
    assert (document["task_id"], document["owner_string"]) == (theirs, "colleague@example.org")
    assert document["source_endpoint_id"] == LAB and "source_host_endpoint_id" in document
    fields = globus.ok(globus.get(f"/endpoint_manager/task/{theirs}", params={"fields": "task_id,status"}))
    assert set(fields) == {"DATA_TYPE", "task_id", "status"}
    for path in ("", "/event_list", "/successful_transfers", "/skipped_errors", "/pause_info"):
        response = globus.get(f"/endpoint_manager/task/{theirs}{path}", token=COLLEAGUE_TOKEN)
        globus.error(response, 403, "PermissionDenied")
    # The colleague manages the collection it owns: its task from Lab to there is theirs to read.
    to_theirs = _colleague_transfer(globus, LAB, OTHER, item("/~/small.txt", "/~/small.txt"))
    assert (
        globus.ok(globus.get(f"/endpoint_manager/task/{to_theirs}", token=COLLEAGUE_TOKEN))["task_id"]
        == to_theirs
    )
    unknown = globus.get(f"/endpoint_manager/task/{uuid.uuid4()}")
    globus.error(unknown, 404, "ClientError.NotFound")


@MANAGED
def test_the_manager_s_records_are_the_owner_s_with_the_same_paging(globus: Globus):
    theirs = _colleague_transfer(globus, LAB, SCRATCH, BIG)
    globus.advance(60)
    assert globus.ok(globus.get(f"/endpoint_manager/task/{theirs}"))["status"] == "SUCCEEDED"
    events = globus.ok(globus.get(f"/endpoint_manager/task/{theirs}/event_list", params={"limit": 2}))
    assert (events["DATA_TYPE"], events["length"], events["limit"], events["offset"]) == (
        "event_list",
        2,
        2,
        0,
    )
    assert events["DATA"][0]["code"] == "SUCCEEDED" and events["total"] > 2
    errors = globus.get(f"/endpoint_manager/task/{theirs}/event_list", params={"filter_is_error": 1})
    assert globus.ok(errors)["DATA"] == []
    refused = globus.get(f"/endpoint_manager/task/{theirs}/event_list", params={"filter_is_error": 0})
    globus.error(refused, 400, "ClientError.BadRequest")
    first = globus.ok(globus.get(f"/endpoint_manager/task/{theirs}/successful_transfers"))
    owners = globus.ok(globus.get(f"/task/{theirs}/successful_transfers", token=COLLEAGUE_TOKEN))
    assert first == owners and len(first["DATA"]) == 4
    marker = first["next_marker"]
    following = globus.get(f"/endpoint_manager/task/{theirs}/successful_transfers", params={"marker": marker})
    assert globus.ok(following)["DATA"][0]["destination_path"].endswith("part-004.dat")
    skipped = globus.ok(globus.get(f"/endpoint_manager/task/{theirs}/skipped_errors"))
    assert (skipped["DATA_TYPE"], skipped["DATA"], skipped["next_marker"]) == ("skipped_errors", [], None)


@MANAGED
@pytest.mark.parametrize(
    ("source", "destination", "side"),
    [(LAB, SCRATCH, "BOTH"), (LAB, OTHER, "SOURCE"), (OTHER, SCRATCH, "DESTINATION")],
)
def test_admin_cancel_cancels_and_names_the_manager_s_side(
    globus: Globus, source: str, destination: str, side: str
):
    copy = item("/~/big/", "/~/copy/") if source == LAB else item("/~/data.bin", "/~/copy.bin")
    theirs = _colleague_transfer(globus, source, destination, copy)
    globus.advance(6)  # running: the cancel takes effect cancel_delay (1 s) later
    cancel = globus.ok(_admin(globus, "admin_cancel", [theirs.upper()], message="maintenance tonight"))
    assert cancel == {
        "DATA_TYPE": "admin_cancel",
        "id": cancel["id"],
        "message": "maintenance tonight",
        "task_id_list": [theirs],
        "done": False,
    }
    globus.advance(1)
    assert globus.ok(globus.get(f"/endpoint_manager/admin_cancel/{cancel['id']}"))["done"] is True
    owners = globus.ok(globus.get(f"/task/{theirs}", token=COLLEAGUE_TOKEN))
    assert (owners["status"], owners["fatal_error"]["code"]) == ("FAILED", "CANCELED")
    assert (owners["canceled_by_admin"], owners["canceled_by_admin_message"]) == (side, "maintenance tonight")
    event = globus.ok(globus.get(f"/task/{theirs}/event_list", token=COLLEAGUE_TOKEN))["DATA"][0]
    assert (event["code"], event["details"]) == (
        "CANCELED",
        "Canceled by an endpoint manager: maintenance tonight",
    )


@MANAGED
def test_admin_cancel_is_refused_whole_to_a_caller_who_does_not_manage_every_task(globus: Globus):
    mine = globus.transfer(BIG)
    refused = _admin(globus, "admin_cancel", [mine], token=COLLEAGUE_TOKEN, message="no")
    globus.error(refused, 403, "PermissionDenied")
    unknown = _admin(globus, "admin_cancel", [mine, str(uuid.uuid4())], message="no")
    globus.error(unknown, 404, "ClientError.NotFound")
    assert globus.task(mine)["status"] == "ACTIVE" and globus.task(mine)["canceled_by_admin"] is None
    cancel = globus.ok(_admin(globus, "admin_cancel", [mine], message="yes"))
    status = globus.get(f"/endpoint_manager/admin_cancel/{cancel['id']}", token=COLLEAGUE_TOKEN)
    globus.error(status, 404, "ClientError.NotFound")
    globus.error(globus.get("/endpoint_manager/admin_cancel/nine"), 404, "ClientError.NotFound")


@MANAGED
def test_admin_pause_stops_progress_and_admin_resume_goes_on(globus: Globus):
    task_id = _colleague_transfer(globus, LAB, SCRATCH, BIG)
    globus.advance(8)  # 3 s of copying: 3 files
    body = globus.ok(_admin(globus, "admin_pause", [task_id], message="disk swap"))
    assert (body["DATA_TYPE"], body["code"]) == ("result", "PauseAccepted")
    paused = (
        globus.task(task_id) if False else globus.ok(globus.get(f"/task/{task_id}", token=COLLEAGUE_TOKEN))
    )
    assert (paused["status"], paused["is_paused"], paused["nice_status"], paused["is_ok"]) == (
        "ACTIVE",
        True,
        "PAUSED",
        False,
    )
    globus.advance(100)
    still = globus.ok(globus.get(f"/task/{task_id}", token=COLLEAGUE_TOKEN))
    assert still["bytes_transferred"] == paused["bytes_transferred"] == 3 * 1048576
    body = globus.ok(_admin(globus, "admin_resume", [task_id]))
    assert (body["DATA_TYPE"], body["code"]) == ("result", "ResumeAccepted")
    assert globus.ok(globus.get(f"/task/{task_id}", token=COLLEAGUE_TOKEN))["is_paused"] is False
    globus.advance(16)
    assert globus.ok(globus.get(f"/task/{task_id}", token=COLLEAGUE_TOKEN))["status"] == "ACTIVE", "17 s left"
    globus.advance(1)
    done = globus.ok(globus.get(f"/task/{task_id}", token=COLLEAGUE_TOKEN))
    assert (done["status"], done["is_paused"]) == ("SUCCEEDED", False)
    codes = [
        e["code"]
        for e in globus.ok(
            globus.get(f"/task/{task_id}/event_list", token=COLLEAGUE_TOKEN, params={"limit": 100})
        )["DATA"]
    ]
    assert codes.index("SUCCEEDED") < codes.index("UNPAUSED") < codes.index("PAUSED") < codes.index("STARTED")


@MANAGED
def test_an_admin_pause_and_an_expired_activation_hold_the_task_until_both_are_lifted(globus: Globus):
    task_id = globus.transfer(BIG)
    globus.advance(8)
    globus.ok(_admin(globus, "admin_pause", [task_id], message="hold"))
    globus.ok(globus.post(f"/endpoint/{SCRATCH}/deactivate"))
    assert (globus.task(task_id)["status"], globus.task(task_id)["is_paused"]) == ("INACTIVE", True)
    globus.ok(_admin(globus, "admin_resume", [task_id]))
    globus.advance(30)
    held = globus.task(task_id)
    assert (held["status"], held["is_paused"], held["bytes_transferred"]) == ("INACTIVE", False, 3 * 1048576)
    globus.ok(globus.post(f"/endpoint/{SCRATCH}/autoactivate"))
    globus.advance(17)
    assert globus.task(task_id)["status"] == "SUCCEEDED"


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("admin_cancel", {"message": "m"}),
        ("admin_cancel", {"task_id_list": [], "message": "m"}),
        ("admin_cancel", {"task_id_list": ["not-a-uuid"], "message": "m"}),
        ("admin_cancel", {"task_id_list": [7], "message": "m"}),
        ("admin_cancel", {"task_id_list": [str(uuid.uuid4())]}),
        ("admin_cancel", {"DATA_TYPE": "admin_pause", "task_id_list": [str(uuid.uuid4())], "message": "m"}),
        ("admin_pause", {"task_id_list": [str(uuid.uuid4())], "message": ""}),
        ("admin_resume", {"task_id_list": "one"}),
    ],
)
def test_admin_documents_with_a_problem_are_400(globus: Globus, action: str, body: dict[str, Any]):
    globus.error(globus.post(f"/endpoint_manager/{action}", body), 400, "ClientError.BadRequest")
