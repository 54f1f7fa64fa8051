"""The Globus emulator's endpoint_manager task operations held to `specs/globus.yaml`.

Reference, section 2 maps globus-sdk's `endpoint_manager_*` methods to `/v0.10/endpoint_manager/...`;
the spec transcribes one task and its records as the manager sees them, and admin_cancel,
admin_pause and admin_resume, whose documents are marked `x-reading` (globus-sdk's request bodies
and its tests against the real service). This module drives them as the other two Globus contract
modules drive theirs, records into the same coverage, and lists which test exercises each status
they declare (`test_globus_management_contract` checks the three lists cover the spec).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_globus_contract import (
    BAD_REQUEST,
    COLLEAGUE_TOKEN,
    CONTRACT,
    MAINTENANCE,
    MAINTENANCE_SCENARIO,
    SCENARIO,
    SHARED,
    STEP,
    TRANSFER,
    UNKNOWN_ID,
    api,
    conforms,
    dir_item,
    error_of,
    new_submission_id,
    submit,
    transfer_document,
)

from emulators.testing import Emulator

MANAGED_TASK = "/endpoint_manager/task/{task_id}"
MANAGED_EVENTS = "/endpoint_manager/task/{task_id}/event_list"
MANAGED_SUCCESSFUL = "/endpoint_manager/task/{task_id}/successful_transfers"
MANAGED_SKIPPED = "/endpoint_manager/task/{task_id}/skipped_errors"
MANAGED_PAUSE_INFO = "/endpoint_manager/task/{task_id}/pause_info"
ADMIN_CANCEL = "/endpoint_manager/admin_cancel"
CANCEL_STATUS = "/endpoint_manager/admin_cancel/{admin_cancel_id}"
ADMIN_PAUSE = "/endpoint_manager/admin_pause"
ADMIN_RESUME = "/endpoint_manager/admin_resume"
TASK_READS = [MANAGED_TASK, MANAGED_EVENTS, MANAGED_SUCCESSFUL, MANAGED_SKIPPED, MANAGED_PAUSE_INFO]
ACTIONS = [ADMIN_CANCEL, ADMIN_PAUSE, ADMIN_RESUME]
OPERATIONS = [("get", p) for p in TASK_READS] + [("post", p) for p in ACTIONS] + [("get", CANCEL_STATUS)]
CLOSED = {"AdminCancel"}

pytestmark = pytest.mark.emulator(scenario_text=SCENARIO)


@pytest.fixture(autouse=True)
def _track_coverage(request: pytest.FixtureRequest) -> Iterator[None]:
    yield from CONTRACT.tracking(request)


def call(
    emulator: Emulator, method: str, path: str, *, json: Any = None, token: str | None = None, **ids: str
) -> httpx.Response:
    """`path` with its ids filled in (an unknown task by default)."""
    filled = path.format(**{"task_id": UNKNOWN_ID, "admin_cancel_id": "1", **ids})
    keyword: dict[str, Any] = {"token": token} if token is not None else {}
    return api(emulator, method, filled, json=json, **keyword)


def ok(response: httpx.Response, method: str, path: str) -> Any:
    assert response.status_code == 200, response.text
    return conforms(response, method, path)


def colleague_task(emulator: Emulator) -> str:
    """A transfer the colleague submits on Lab Storage Shared, a guest collection the researcher
    owns (on a host it owns): the researcher manages it, the colleague does not."""
    document = transfer_document(
        new_submission_id(emulator),
        dir_item("/public/", "/public-copy/"),
        source=SHARED,
        destination=SHARED,
    )
    task_id: str = submit(emulator, TRANSFER, document, token=COLLEAGUE_TOKEN)["task_id"]
    return task_id


def admin_document(*task_ids: str, message: str | None = "scheduled maintenance") -> dict[str, Any]:
    document: dict[str, Any] = {"task_id_list": list(task_ids)}
    if message is not None:
        document["message"] = message
    return document


def test_a_manager_reads_a_task_it_did_not_submit(emulator: Emulator) -> None:
    """Reference, 2 (`endpoint_manager_*` routes) and 5 (the endpoint_manager view's host fields):
    the manager reads the colleague's task, its events and records; the colleague, who submitted it
    but manages neither collection, is 403 PermissionDenied; an unknown task is 404."""
    task_id = colleague_task(emulator)
    emulator.control.advance(10 * STEP)
    document = ok(call(emulator, "get", MANAGED_TASK, task_id=task_id), "get", MANAGED_TASK)
    assert (document["owner_string"], document["source_host_endpoint_display_name"]) == (
        "colleague@example.org",
        "Lab Storage",
    )
    events = ok(call(emulator, "get", MANAGED_EVENTS, task_id=task_id), "get", MANAGED_EVENTS)
    assert events["DATA"][0]["code"] == "SUCCEEDED"
    records = ok(call(emulator, "get", MANAGED_SUCCESSFUL, task_id=task_id), "get", MANAGED_SUCCESSFUL)
    assert records["DATA"][0]["destination_path"].endswith("/public-copy/README.md")
    skipped = ok(call(emulator, "get", MANAGED_SKIPPED, task_id=task_id), "get", MANAGED_SKIPPED)
    assert skipped["DATA"] == []
    assert ok(call(emulator, "get", MANAGED_PAUSE_INFO, task_id=task_id), "get", MANAGED_PAUSE_INFO)
    for path in TASK_READS:
        denied = call(emulator, "get", path, task_id=task_id, token=COLLEAGUE_TOKEN)
        assert error_of(denied, "get", path, 403)["code"] == "PermissionDenied"
        assert error_of(call(emulator, "get", path), "get", path, 404)["code"] == "ClientError.NotFound"


def test_the_manager_event_list_keeps_errors_only_or_refuses(emulator: Emulator) -> None:
    """x-reading on filter_is_error: globus-sdk sends 1 (errors only) or 0, which it says the service
    does not support; 0 is a 400."""
    task_id = colleague_task(emulator)
    emulator.control.advance(10 * STEP)
    page = call(emulator, "get", MANAGED_EVENTS + "?filter_is_error=1", task_id=task_id)
    assert ok(page, "get", MANAGED_EVENTS)["DATA"] == []
    refused = call(emulator, "get", MANAGED_EVENTS + "?filter_is_error=0", task_id=task_id)
    assert error_of(refused, "get", MANAGED_EVENTS, 400)["code"] in BAD_REQUEST


def test_admin_cancel_then_its_status(emulator: Emulator) -> None:
    """x-reading, admin_cancel: an `admin_cancel` document with `id` and `done`, readable again by
    its id; the owner's task shows `canceled_by_admin` and the message (reference, 5: `null |
    "SOURCE" | "DESTINATION" | "BOTH"`)."""
    task_id = colleague_task(emulator)
    cancel = ok(call(emulator, "post", ADMIN_CANCEL, json=admin_document(task_id)), "post", ADMIN_CANCEL)
    assert (cancel["task_id_list"], cancel["message"]) == ([task_id], "scheduled maintenance")
    emulator.control.advance(STEP)
    status = call(emulator, "get", CANCEL_STATUS, admin_cancel_id=str(cancel["id"]))
    assert ok(status, "get", CANCEL_STATUS)["done"] is True
    task = get_task_as(emulator, task_id, COLLEAGUE_TOKEN)
    assert (task["status"], task["canceled_by_admin"]) == ("FAILED", "BOTH")
    unknown = call(emulator, "get", CANCEL_STATUS, admin_cancel_id="999")
    assert error_of(unknown, "get", CANCEL_STATUS, 404)["code"] == "ClientError.NotFound"


def get_task_as(emulator: Emulator, task_id: str, token: str) -> dict[str, Any]:
    response = api(emulator, "get", "/task/{task_id}", task_id, token=token)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = conforms(response, "get", "/task/{task_id}")
    return document


def test_admin_pause_and_resume(emulator: Emulator) -> None:
    """x-reading, admin_pause and admin_resume: `result` documents with PauseAccepted and
    ResumeAccepted; the task shows `is_paused` (reference, 5) meanwhile and makes no progress."""
    task_id = colleague_task(emulator)
    paused = ok(call(emulator, "post", ADMIN_PAUSE, json=admin_document(task_id)), "post", ADMIN_PAUSE)
    assert (paused["code"], paused["resource"]) == ("PauseAccepted", ADMIN_PAUSE)
    emulator.control.advance(10 * STEP)
    held = get_task_as(emulator, task_id, COLLEAGUE_TOKEN)
    assert (held["status"], held["is_paused"], held["bytes_transferred"]) == ("ACTIVE", True, 0)
    resume = call(emulator, "post", ADMIN_RESUME, json=admin_document(task_id, message=None))
    assert ok(resume, "post", ADMIN_RESUME)["code"] == "ResumeAccepted"
    emulator.control.advance(10 * STEP)
    assert get_task_as(emulator, task_id, COLLEAGUE_TOKEN)["status"] == "SUCCEEDED"


def test_admin_actions_refuse_bad_documents_foreign_and_unknown_tasks(emulator: Emulator) -> None:
    """x-reading: a document without task ids, with one that is no UUID, or without the message a
    cancel or pause needs is 400; a task the caller does not manage is 403 and an unknown one 404,
    and nothing named is changed."""
    task_id = colleague_task(emulator)
    for path in ACTIONS:
        for document in ({}, {"task_id_list": ["no-uuid"], "message": "m"}, {"task_id_list": [7]}):
            error = error_of(call(emulator, "post", path, json=document), "post", path, 400)
            assert error["code"] in BAD_REQUEST, error
        denied = call(emulator, "post", path, json=admin_document(task_id), token=COLLEAGUE_TOKEN)
        assert error_of(denied, "post", path, 403)["code"] == "PermissionDenied"
        unknown = call(emulator, "post", path, json=admin_document(task_id, str(uuid.UUID(UNKNOWN_ID))))
        assert error_of(unknown, "post", path, 404)["code"] == "ClientError.NotFound"
    without_message = call(emulator, "post", ADMIN_CANCEL, json=admin_document(task_id, message=None))
    assert error_of(without_message, "post", ADMIN_CANCEL, 400)["code"] in BAD_REQUEST
    task = get_task_as(emulator, task_id, COLLEAGUE_TOKEN)
    assert (task["is_paused"], task["canceled_by_admin"]) == (False, None)


def sample_request(path: str) -> dict[str, Any]:
    """A well-formed body for each action, for the 401 and 503 sweeps."""
    return {"json": admin_document(UNKNOWN_ID)} if path in ACTIONS else {}


@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["no-header", "unknown-token"])
def test_manager_calls_without_a_valid_token_are_refused(emulator: Emulator, token: str | None) -> None:
    """Reference, 1 and 8: 401 `ClientError.AuthenticationFailed` on every operation of this module."""
    for method, path in OPERATIONS:
        filled = path.format(task_id=UNKNOWN_ID, admin_cancel_id="1")
        response = api(emulator, method, filled, token=token, **sample_request(path))
        assert error_of(response, method, path, 401)["code"] == "ClientError.AuthenticationFailed"


@pytest.mark.emulator(scenario_text=MAINTENANCE_SCENARIO)
def test_manager_calls_during_maintenance_are_unavailable(emulator: Emulator) -> None:
    """Reference, 8: 503 `ServiceUnavailable` for any call during maintenance."""
    emulator.control.advance(MAINTENANCE[0])
    for method, path in OPERATIONS:
        response = call(emulator, method, path, **sample_request(path))
        assert error_of(response, method, path, 503)["code"] == "ServiceUnavailable"


AUTH_TEST = "test_manager_calls_without_a_valid_token_are_refused"
MAINTENANCE_TEST = "test_manager_calls_during_maintenance_are_unavailable"
READS_TEST = "test_a_manager_reads_a_task_it_did_not_submit"
REFUSALS_TEST = "test_admin_actions_refuse_bad_documents_foreign_and_unknown_tasks"
EXERCISES = {
    **{(m, p, "401"): AUTH_TEST for m, p in OPERATIONS},
    **{(m, p, "503"): MAINTENANCE_TEST for m, p in OPERATIONS},
    **{("get", p, status): READS_TEST for p in TASK_READS for status in ("200", "403", "404")},
    ("get", MANAGED_EVENTS, "400"): "test_the_manager_event_list_keeps_errors_only_or_refuses",
    **{("post", p, status): REFUSALS_TEST for p in ACTIONS for status in ("400", "403", "404")},
    ("post", ADMIN_CANCEL, "200"): "test_admin_cancel_then_its_status",
    ("get", CANCEL_STATUS, "200"): "test_admin_cancel_then_its_status",
    ("get", CANCEL_STATUS, "404"): "test_admin_cancel_then_its_status",
    ("post", ADMIN_PAUSE, "200"): "test_admin_pause_and_resume",
    ("post", ADMIN_RESUME, "200"): "test_admin_pause_and_resume",
}


@pytest.mark.parametrize(("method", "path", "status"), sorted(EXERCISES))
def test_every_documented_status_is_exercised(method: str, path: str, status: str) -> None:
    """Each status this module's operations declare is exercised by the named test (checked against
    what that test received, whenever it ran in this run)."""
    assert {s for s in CONTRACT.declared_statuses() if s[:2] in OPERATIONS} == set(EXERCISES)
    test_name = EXERCISES[(method, path, status)]
    assert callable(globals().get(test_name)), test_name
    if test_name in CONTRACT.coverage.ran:
        assert (test_name, method, path, status) in CONTRACT.coverage.exercised
