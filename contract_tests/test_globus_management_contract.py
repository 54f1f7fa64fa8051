"""The Globus Transfer API emulator's other /v0.10 operations held to the project's research notes.

`specs/globus.yaml` also transcribes task management (update, cancel, remove, skipped errors, pause
info), endpoints (document, search, legacy activation) and file operations (ls, mkdir, rename,
stat) from the reference, marked `x-reference`. This module drives those operations the way
`test_globus_contract.py` drives submission and monitoring, shares its spec, scenario and helpers,
and records into the same coverage; its last tests check that every status these operations declare
was exercised, and that the spec describes exactly the routes the emulator serves under /v0.10.
Each test's docstring names the reference section ("Reference, 5.4") it enforces.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import test_globus_contract as submission
from contract import pointer
from test_globus_contract import (
    BAD_REQUEST,
    BASE,
    COLLEAGUE_TOKEN,
    CONTRACT,
    DELETE,
    LAB,
    MAINTENANCE,
    MAINTENANCE_SCENARIO,
    SCENARIO,
    SCRATCH,
    SHARED,
    START,
    STEP,
    TASK,
    TASK_LIST,
    TOKEN,
    TRANSFER,
    UNKNOWN_ID,
    conforms,
    delete_document,
    dir_item,
    error_of,
    get_task,
    new_submission_id,
    parse_time,
    run_until_done,
    scenario_text,
    submit,
    transfer_document,
)

from emulators.globus.routes import API_ROUTES
from emulators.testing import Emulator

CANCEL = "/task/{task_id}/cancel"
REMOVE = "/task/{task_id}/remove"
SKIPPED = "/task/{task_id}/skipped_errors"
PAUSE_INFO = "/task/{task_id}/pause_info"
ENDPOINT = "/endpoint/{endpoint_id}"
SEARCH = "/endpoint_search"
REQUIREMENTS = "/endpoint/{endpoint_id}/activation_requirements"
AUTOACTIVATE = "/endpoint/{endpoint_id}/autoactivate"
ACTIVATE = "/endpoint/{endpoint_id}/activate"
DEACTIVATE = "/endpoint/{endpoint_id}/deactivate"
LS = "/operation/endpoint/{endpoint_id}/ls"
MKDIR = "/operation/endpoint/{endpoint_id}/mkdir"
RENAME = "/operation/endpoint/{endpoint_id}/rename"
STAT = "/operation/endpoint/{endpoint_id}/stat"
MANAGER_TASKS = "/endpoint_manager/task_list"
OPERATIONS = [
    ("put", TASK),
    ("post", CANCEL),
    ("post", REMOVE),
    ("get", SKIPPED),
    ("get", PAUSE_INFO),
    ("get", ENDPOINT),
    ("get", SEARCH),
    ("get", REQUIREMENTS),
    ("post", AUTOACTIVATE),
    ("post", ACTIVATE),
    ("post", DEACTIVATE),
    ("get", LS),
    ("post", MKDIR),
    ("post", RENAME),
    ("get", STAT),
    ("get", MANAGER_TASKS),
]
CLOSED = {
    "Result",
    "SkippedErrors",
    "SkippedError",
    "PauseInfo",
    "PauseRuleLimited",
    "Server",
    "EndpointList",
    "ManagerTaskList",
    "ActivationRequirements",
    "ActivationRequirement",
    "ActivationResult",
    "FileList",
    "File",
}
# Reference, 6.1: "a filled activation_requirements doc" (nothing to fill on these endpoints).
FILLED_REQUIREMENTS: dict[str, Any] = {
    "DATA_TYPE": "activation_requirements",
    "activated": False,
    "expires_in": 0,
    "expire_time": None,
    "auto_activation_supported": True,
    "oauth_server": None,
    "length": 0,
    "DATA": [],
}

pytestmark = pytest.mark.emulator(scenario_text=SCENARIO)


@pytest.fixture(autouse=True)
def _track_coverage(request: pytest.FixtureRequest) -> Iterator[None]:
    yield from CONTRACT.tracking(request)


def call(
    emulator: Emulator,
    method: str,
    path: str,
    *,
    task_id: str = UNKNOWN_ID,
    endpoint_id: str = LAB,
    json: Any = None,
    params: Any = None,
    token: str | None = TOKEN,
) -> httpx.Response:
    url = BASE + path.format(task_id=task_id, endpoint_id=endpoint_id)
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    response: httpx.Response = emulator.client.request(
        method.upper(), url, json=json, params=params, headers=headers
    )
    return response


def ok(response: httpx.Response, method: str, path: str) -> Any:
    """A conforming 200 body."""
    assert response.status_code == 200, response.text
    return conforms(response, method, path)


def sample_request(path: str) -> dict[str, Any]:
    """A well-formed body and query for each operation, for the 401 and 503 sweeps."""
    samples: dict[str, dict[str, Any]] = {
        TASK: {"json": {"DATA_TYPE": "task", "label": "sweep"}},
        ACTIVATE: {"json": FILLED_REQUIREMENTS},
        LS: {"params": {"path": "/~/"}},
        MKDIR: {"json": {"DATA_TYPE": "mkdir", "path": "/~/sweep"}},
        RENAME: {"json": {"DATA_TYPE": "rename", "old_path": "/~/empty", "new_path": "/~/emptied"}},
        STAT: {"params": {"path": "/~/empty"}},
        MANAGER_TASKS: {"params": {"filter_status": "ACTIVE"}},
    }
    return samples.get(path, {})


def running_transfer(emulator: Emulator, **options: Any) -> str:
    document = transfer_document(new_submission_id(emulator), **options)
    task_id: str = submit(emulator, TRANSFER, document)["task_id"]
    return task_id


def finished_transfer(emulator: Emulator) -> str:
    task_id = running_transfer(emulator)
    assert run_until_done(emulator, task_id)["status"] == "SUCCEEDED"
    return task_id


def listed_task_ids(emulator: Emulator) -> list[str]:
    body = conforms(submission.api(emulator, "get", TASK_LIST, params={"limit": 1000}), "get", TASK_LIST)
    return [t["task_id"] for t in body["DATA"]]


# --- task management -----------------------------------------------------------------------------


def test_update_task_changes_label_and_deadline(emulator: Emulator) -> None:
    """Reference, 5.5: `PUT /task/{id}` with a partial task document changes `label` and `deadline`
    while the task runs, answering `{DATA_TYPE: result, code: Updated, ...}`."""
    task_id = running_transfer(emulator, label="before")
    deadline = START + timedelta(days=2)
    update = {"DATA_TYPE": "task", "label": "after, renamed", "deadline": deadline.isoformat()}
    body = ok(call(emulator, "put", TASK, task_id=task_id, json=update), "put", TASK)
    assert body["resource"] == f"/task/{task_id}"
    task = get_task(emulator, task_id)
    assert task["label"] == "after, renamed"
    assert parse_time(task["deadline"]) == deadline


def test_an_updated_deadline_is_enforced(emulator: Emulator) -> None:
    """Reference, 5.5 (the deadline can change while the task runs) with doc 2.2 on `deadline`: "If
    non-null, cancel the task if it's not complete at the specified time"; reference, 5: "FAILED
    covers failed, expired (deadline) and canceled", and 5.2 lists the EXPIRED event."""
    task_id = running_transfer(emulator)
    deadline = START + timedelta(seconds=2 * STEP)
    update = {"DATA_TYPE": "task", "deadline": deadline.isoformat()}
    ok(call(emulator, "put", TASK, task_id=task_id, json=update), "put", TASK)
    emulator.control.advance(3 * STEP)
    task = get_task(emulator, task_id)
    assert task["status"] == "FAILED", task
    assert parse_time(task["completion_time"]) <= deadline + timedelta(seconds=STEP)
    events = conforms(
        submission.api(emulator, "get", submission.EVENTS, task_id, params={"limit": 1000}),
        "get",
        submission.EVENTS,
    )["DATA"]
    assert "EXPIRED" in [e["code"] for e in events], events


def test_update_task_refuses_a_bad_label(emulator: Emulator) -> None:
    """Reference, 5 (label: "max 128 chars") and 8 (400 `ClientError.BadRequest` for bad params): an
    update whose label is too long is refused and changes nothing."""
    task_id = running_transfer(emulator, label="kept")
    update = {"DATA_TYPE": "task", "label": "x" * 129}
    error = error_of(call(emulator, "put", TASK, task_id=task_id, json=update), "put", TASK, 400)
    assert error["code"] in BAD_REQUEST, error
    assert get_task(emulator, task_id)["label"] == "kept"


def test_update_of_a_completed_task_is_refused(emulator: Emulator) -> None:
    """Reference, 5.5: label and deadline change "only while the task is running". The reference
    names no status for the refusal ("**[unverified]**"), so the spec declares none: any 4xx with an
    error document (reference, 8) will do, and the task keeps its label."""
    task_id = finished_transfer(emulator)
    update = {"DATA_TYPE": "task", "label": "too late"}
    response = call(emulator, "put", TASK, task_id=task_id, json=update)
    assert 400 <= response.status_code < 500, response.text
    assert not CONTRACT.schema_errors(CONTRACT.component("ErrorDocument"), response.json())
    assert get_task(emulator, task_id)["label"] is None


def test_cancel_fails_the_task_then_reports_it_complete(emulator: Emulator) -> None:
    """Reference, 5.4: `POST /task/{id}/cancel` (no body) answers `Canceled` or `CancelAccepted`;
    the task ends FAILED with `fatal_error {"code":"CANCELED","description":"canceled"}` and a
    CANCELED event "Canceled by the task owner"; a later cancel answers `TaskComplete`."""
    task_id = running_transfer(emulator)
    first = ok(call(emulator, "post", CANCEL, task_id=task_id), "post", CANCEL)
    assert first["code"] in ("Canceled", "CancelAccepted")
    assert first["resource"] == f"/task/{task_id}/cancel"
    task = run_until_done(emulator, task_id)
    assert task["status"] == "FAILED"
    assert task["fatal_error"] == {"code": "CANCELED", "description": "canceled"}
    assert task["subtasks_canceled"] >= 1, task  # the canceled capture: subtasks_canceled 2 of 2
    events = conforms(
        submission.api(emulator, "get", submission.EVENTS, task_id, params={"limit": 1000}),
        "get",
        submission.EVENTS,
    )["DATA"]
    canceled = [e for e in events if e["code"] == "CANCELED"]
    assert [e["details"] for e in canceled] == ["Canceled by the task owner"], events
    again = ok(call(emulator, "post", CANCEL, task_id=task_id), "post", CANCEL)
    assert again["code"] == "TaskComplete"


def test_cancel_after_success_is_task_complete(emulator: Emulator) -> None:
    """Reference, 5.4: `TaskComplete`, "The task completed before the cancel request was processed";
    the task stays SUCCEEDED."""
    task_id = finished_transfer(emulator)
    body = ok(call(emulator, "post", CANCEL, task_id=task_id), "post", CANCEL)
    assert body["code"] == "TaskComplete"
    assert get_task(emulator, task_id)["status"] == "SUCCEEDED"


def test_remove_drops_a_completed_task_from_history(emulator: Emulator) -> None:
    """Reference, 5.5: "`POST /task/{id}/remove` ... removes a completed task from history": the task
    list no longer shows it, and the other tasks stay."""
    removed = finished_transfer(emulator)
    kept = finished_transfer(emulator)
    body = ok(call(emulator, "post", REMOVE, task_id=removed), "post", REMOVE)
    assert body["resource"] == f"/task/{removed}/remove"
    assert listed_task_ids(emulator) == [kept]


SKIPPED_SCENARIO = scenario_text(extends="globus-skipped-errors")


@pytest.mark.emulator(scenario_text=SKIPPED_SCENARIO)
def test_skipped_errors_page_by_marker(emulator: Emulator) -> None:
    """Reference, 5.3: `{DATA_TYPE: skipped_errors, marker, next_marker, DATA}` with items whose
    `error_code` is FILE_NOT_FOUND or PERMISSION_DENIED; following `next_marker` until null lists
    the files a skip_source_errors transfer skipped, and the task counts them."""
    task_id = running_transfer(
        emulator,
        DATA=[dir_item("/~/experiments/run-002/", "/~/copy/run-002/")],
        skip_source_errors=True,
    )
    task = run_until_done(emulator, task_id)
    assert task["status"] == "SUCCEEDED"
    marker: int | None = 0
    listed: list[dict[str, Any]] = []
    for _ in range(submission.MAX_STEPS):
        if marker is None:
            break
        page = ok(call(emulator, "get", SKIPPED, task_id=task_id, params={"marker": marker}), "get", SKIPPED)
        assert page["marker"] == marker
        listed += page["DATA"]
        marker = page["next_marker"]
    assert marker is None
    # Reference 5.3: `"source_path":"/home/u_anon_user/fake.txt"`, `"error_details":"550-GlobusError: ...`.
    assert [e["source_path"] for e in listed] == ["/home/researcher/experiments/run-002/reads.fastq"]
    assert listed[0]["error_code"] == "FILE_NOT_FOUND"
    assert listed[0]["error_details"].startswith("550-GlobusError: v=1 c=PATH_NOT_FOUND\r\n")
    assert task["subtasks_skipped_errors"] == len(listed)


def test_pause_info_with_no_rules_in_force(emulator: Emulator) -> None:
    """Reference, 5.6: `{DATA_TYPE: pause_info_limited, pause_rules, *_pause_message(_share)}`; "an
    empty result is fine: `pause_rules: []` with all messages null"."""
    task_id = running_transfer(emulator)
    body = ok(call(emulator, "get", PAUSE_INFO, task_id=task_id), "get", PAUSE_INFO)
    assert body["pause_rules"] == []
    assert body["source_pause_message"] is None


def test_unknown_task_is_not_found_for_every_task_operation(emulator: Emulator) -> None:
    """Reference, 8 ([real] capture): 404 `ClientError.NotFound` "No task found with id '<id>'" for
    a task id the caller does not have, on each task sub-resource."""
    for method, path in OPERATIONS[:5]:
        response = call(emulator, method, path, **sample_request(path))
        error = error_of(response, method, path, 404)
        assert error["code"] == "ClientError.NotFound"
        assert error["message"] == f"No task found with id '{UNKNOWN_ID}'"


# --- endpoints -----------------------------------------------------------------------------------


def test_endpoint_documents_a_mapped_and_a_guest_collection(emulator: Emulator) -> None:
    """Reference, 6: `GET /endpoint/{id}` gives `DATA_TYPE: endpoint` with id, display_name and
    entity_type; a guest collection names its host (`host_endpoint_id`, `host_path`)."""
    lab = ok(call(emulator, "get", ENDPOINT, endpoint_id=LAB), "get", ENDPOINT)
    assert (lab["id"], lab["display_name"]) == (LAB, "Lab Storage")
    assert lab["host_endpoint_id"] is None
    shared = ok(call(emulator, "get", ENDPOINT, endpoint_id=SHARED), "get", ENDPOINT)
    assert shared["entity_type"] == "GCSv5_guest_collection"
    assert (shared["host_endpoint_id"], shared["host_path"]) == (LAB, "/share/")


def test_unknown_endpoint_is_endpoint_not_found_everywhere(emulator: Emulator) -> None:
    """Reference, 6 and 8 ([real]): 404 `EndpointNotFound` "No such endpoint '<id>'" for the endpoint
    document, the activation operations and the file operations."""
    for method, path in OPERATIONS:
        if "{endpoint_id}" not in path:
            continue
        response = call(emulator, method, path, endpoint_id=UNKNOWN_ID, **sample_request(path))
        error = error_of(response, method, path, 404)
        assert error["code"] == "EndpointNotFound", (path, error)
        assert error["message"] == f"No such endpoint '{UNKNOWN_ID}'"


def test_endpoint_search_pages_with_has_next_page(emulator: Emulator) -> None:
    """Reference, 6: `GET /endpoint_search?filter_fulltext=&filter_scope=` gives `{DATA_TYPE:
    endpoint_list, limit, offset, has_next_page, DATA: [<endpoint + _rank>]}`; paging by offset until
    `has_next_page` is false lists each match once."""
    params = {"filter_fulltext": "Lab", "filter_scope": "my-endpoints"}
    everything = ok(call(emulator, "get", SEARCH, params=params), "get", SEARCH)
    assert {e["id"] for e in everything["DATA"]} == {LAB, SHARED}
    assert everything["has_next_page"] is False
    seen: list[str] = []
    for offset in range(3):
        page = ok(
            call(emulator, "get", SEARCH, params={**params, "limit": 1, "offset": offset}), "get", SEARCH
        )
        seen += [e["id"] for e in page["DATA"]]
        if not page["has_next_page"]:
            break
    assert sorted(seen) == sorted([LAB, SHARED])


def test_endpoint_search_scopes(emulator: Emulator) -> None:
    """Reference, 6: `filter_scope` "scopes include `my-endpoints`, `shared-by-me`": the researcher
    owns all three collections and shares one (the guest collection); the colleague owns none."""
    mine = ok(call(emulator, "get", SEARCH, params={"filter_scope": "my-endpoints"}), "get", SEARCH)
    assert {e["id"] for e in mine["DATA"]} == {LAB, SCRATCH, SHARED}
    shared = ok(call(emulator, "get", SEARCH, params={"filter_scope": "shared-by-me"}), "get", SEARCH)
    assert [e["id"] for e in shared["DATA"]] == [SHARED]
    response = call(emulator, "get", SEARCH, params={"filter_scope": "my-endpoints"}, token=COLLEAGUE_TOKEN)
    assert ok(response, "get", SEARCH)["DATA"] == []


def test_endpoint_search_refuses_what_globus_sdk_says_it_refuses(emulator: Emulator) -> None:
    """Reference, 8 (400 for "bad params"), with the refusals globus-sdk's `endpoint_search`
    documents: scope `all` without filter_fulltext, filter_owner_id with scope my-endpoints."""
    for params in ({}, {"filter_scope": "my-endpoints", "filter_owner_id": "x"}):
        error = error_of(call(emulator, "get", SEARCH, params=params), "get", SEARCH, 400)
        assert error["code"] in BAD_REQUEST, error


def test_endpoint_manager_task_list_pages_by_last_key(emulator: Emulator) -> None:
    """Reference, 2: "task_list uses `last_key` paging": following `last_key` while `has_next_page`
    lists each running task once, newest first; a filter mix globus-sdk documents as refused is a
    400 (reference, 8)."""
    submitted = [running_transfer(emulator) for _ in range(3)]
    seen: list[str] = []
    params: dict[str, Any] = {"filter_status": "ACTIVE", "limit": 2}
    for _ in range(3):
        page = ok(call(emulator, "get", MANAGER_TASKS, params=params), "get", MANAGER_TASKS)
        seen += [t["task_id"] for t in page["DATA"]]
        if not page["has_next_page"]:
            break
        params["last_key"] = page["last_key"]
    assert seen == submitted[::-1]
    refused = call(emulator, "get", MANAGER_TASKS, params={"filter_status": "SUCCEEDED"})
    assert error_of(refused, "get", MANAGER_TASKS, 400)["code"] in BAD_REQUEST


def test_legacy_activation_round_trip(emulator: Emulator) -> None:
    """Reference, 6.1: activation_requirements; `autoactivate` answers `AlreadyActivated` while
    active; after `deactivate` the endpoint is not activated (reference, 6: `expires_in` 0 = not
    activated) and a submission is 409 `NoCredException` (doc 3.2.5); `autoactivate` then answers an
    `AutoActivated.*` code, and `activate` with the filled requirements activates it again."""
    requirements = ok(call(emulator, "get", REQUIREMENTS), "get", REQUIREMENTS)
    assert requirements["activated"] is True
    auto = ok(call(emulator, "post", AUTOACTIVATE), "post", AUTOACTIVATE)
    # "make autoactivate return `{"code":"AlreadyActivated",...,"activated":true,"expires_in":-1}`"
    assert (auto["code"], auto["activated"], auto["expires_in"]) == ("AlreadyActivated", True, -1)

    ok(call(emulator, "post", DEACTIVATE), "post", DEACTIVATE)
    endpoint = ok(call(emulator, "get", ENDPOINT), "get", ENDPOINT)
    assert (endpoint["activated"], endpoint["expires_in"]) == (False, 0)
    document = delete_document(new_submission_id(emulator))
    error = error_of(submission.api(emulator, "post", DELETE, json=document), "post", DELETE, 409)
    assert error["code"] == "NoCredException"

    auto = ok(call(emulator, "post", AUTOACTIVATE), "post", AUTOACTIVATE)
    assert auto["code"].startswith("AutoActivated."), auto
    assert auto["activated"] is True

    ok(call(emulator, "post", DEACTIVATE), "post", DEACTIVATE)
    filled = ok(call(emulator, "get", REQUIREMENTS), "get", REQUIREMENTS)
    assert filled["activated"] is False
    ok(call(emulator, "post", ACTIVATE, json=filled), "post", ACTIVATE)
    assert ok(call(emulator, "get", ENDPOINT), "get", ENDPOINT)["activated"] is True


# --- file operations -----------------------------------------------------------------------------


def test_ls_lists_a_directory(emulator: Emulator) -> None:
    """Reference, 7: `{DATA_TYPE: file_list, endpoint, path, ..., DATA: [file]}`, `path` "normalized
    with a trailing slash"; `show_hidden=0` hides dot files; "Repeated `filter` params are OR'ed"."""
    listing = ok(call(emulator, "get", LS, params={"path": "/~/experiments"}), "get", LS)
    assert (listing["endpoint"], listing["path"]) == (LAB, "/~/experiments/")
    names = {f["name"] for f in listing["DATA"]}
    assert {"run-001", "run-002", ".cache"} <= names
    assert listing["length"] == len(listing["DATA"])
    visible = ok(call(emulator, "get", LS, params={"path": "/~/experiments/", "show_hidden": "0"}), "get", LS)
    assert {f["name"] for f in visible["DATA"]} == names - {".cache"}
    query = [("path", "/~/experiments/run-001/"), ("filter", "type:dir"), ("filter", "name:~*.csv")]
    either = ok(call(emulator, "get", LS, params=query), "get", LS)
    assert sorted((f["name"], f["type"]) for f in either["DATA"]) == [
        ("notes", "dir"),
        ("summary.csv", "file"),
    ]


def test_ls_orders_pages_and_filters_by_name(emulator: Emulator) -> None:
    """Reference, 7: `orderby` (`name`, `type`, `size`..., optional ` ASC|DESC`), `limit`/`offset`
    against `total`, and the name filter's prefixes `=` (exact), `~` (glob), `!` (not equal) and
    `!~` (not glob)."""
    where = {"path": "/~/experiments/run-001/"}
    ordered = ok(call(emulator, "get", LS, params={**where, "orderby": "name DESC"}), "get", LS)
    names = [f["name"] for f in ordered["DATA"]]
    assert names == sorted(["notes", "reads.fastq", "summary.csv"], reverse=True)
    page = ok(
        call(emulator, "get", LS, params={**where, "orderby": "name", "limit": 1, "offset": 1}), "get", LS
    )
    assert [f["name"] for f in page["DATA"]] == ["reads.fastq"]
    assert (page["length"], page["total"]) == (1, 3)
    for pattern, expected in [
        ("=summary.csv", ["summary.csv"]),
        ("~*.fastq", ["reads.fastq"]),
        ("!summary.csv", ["notes", "reads.fastq"]),
        ("!~*.*", ["notes"]),
    ]:
        listing = ok(call(emulator, "get", LS, params={**where, "filter": f"name:{pattern}"}), "get", LS)
        assert sorted(f["name"] for f in listing["DATA"]) == expected, pattern


def test_ls_without_a_path_lists_the_default_directory(emulator: Emulator) -> None:
    """Reference, 7: the `path` query defaults to "the endpoint's default_directory or `/~/`"
    (reference, 6: "`default_directory` (null → clients use `/~/`)")."""
    endpoint = ok(call(emulator, "get", ENDPOINT), "get", ENDPOINT)
    listing = ok(call(emulator, "get", LS), "get", LS)
    assert listing["path"] == (endpoint["default_directory"] or "/~/")
    assert {"experiments", "empty"} <= {f["name"] for f in listing["DATA"]}


def test_ls_fills_the_link_fields_of_a_symlink(emulator: Emulator) -> None:
    """Reference, 7: "For a symlink, `link_*` and `link_target` are filled" (Lab Storage's
    `experiments/latest` links to `run-002`); other entries leave them null."""
    listing = ok(call(emulator, "get", LS, params={"path": "/~/experiments/"}), "get", LS)
    entries = {f["name"]: f for f in listing["DATA"]}
    assert entries["latest"]["link_target"] is not None, entries["latest"]
    assert entries["latest"]["link_target"].rstrip("/").endswith("run-002"), entries["latest"]
    assert entries["run-001"]["link_target"] is None


def test_ls_errors(emulator: Emulator) -> None:
    """Reference, 7: a missing path is 404 `ClientError.NotFound`, listing a file is 502
    `ExternalError.DirListingFailed.NotDirectory`, and a path the caller may not read is 403
    `EndpointPermissionDenied` (the colleague has no access to HPC Scratch)."""
    missing = error_of(call(emulator, "get", LS, params={"path": "/~/nowhere/"}), "get", LS, 404)
    assert missing["code"] == "ClientError.NotFound"
    response = call(emulator, "get", LS, params={"path": "/~/experiments/run-001/summary.csv"})
    assert error_of(response, "get", LS, 502)["code"] == "ExternalError.DirListingFailed.NotDirectory"
    response = call(emulator, "get", LS, endpoint_id=SCRATCH, params={"path": "/~/"}, token=COLLEAGUE_TOKEN)
    assert error_of(response, "get", LS, 403)["code"] == "EndpointPermissionDenied"


def test_ls_refuses_filters_it_cannot_read(emulator: Emulator) -> None:
    """Reference, 8: 400 `ClientError.BadRequest` for "bad params": an unknown filter field, and
    more filter terms than the emulator takes (100; the docs set no limit)."""
    unknown = call(emulator, "get", LS, params={"path": "/~/", "filter": "colour:red"})
    assert error_of(unknown, "get", LS, 400)["code"] in BAD_REQUEST
    names = ",".join(f"name-{n}" for n in range(101))
    too_many = call(emulator, "get", LS, params={"path": "/~/", "filter": f"name:{names}"})
    assert error_of(too_many, "get", LS, 400)["code"] in BAD_REQUEST


def test_stat_one_file_and_its_errors(emulator: Emulator) -> None:
    """Reference, 7: `GET .../stat?path=` "returns a single `file` doc" (`last_modified` with a space
    separator); "Not found is 404 `NotFound`"; "denied is 403 `EndpointPermissionDenied`"."""
    path = "/~/experiments/run-001/summary.csv"
    entry = ok(call(emulator, "get", STAT, params={"path": path}), "get", STAT)
    assert (entry["name"], entry["type"], entry["size"]) == ("summary.csv", "file", 2048)
    error = error_of(call(emulator, "get", STAT, params={"path": "/~/nowhere"}), "get", STAT, 404)
    assert error["code"] == "NotFound"
    assert error["message"].startswith("Path not found")
    response = call(emulator, "get", STAT, endpoint_id=SCRATCH, params={"path": "/~/"}, token=COLLEAGUE_TOKEN)
    assert error_of(response, "get", STAT, 403)["code"] == "EndpointPermissionDenied"


def test_mkdir_creates_once(emulator: Emulator) -> None:
    """Reference, 7: mkdir answers `{DATA_TYPE: mkdir_result, code: DirectoryCreated}` and the
    directory is there; "If the directory exists: **502** `ExternalError.MkdirFailed.Exists`"; the
    colleague, who may only read Lab Storage, is 403 `EndpointPermissionDenied`."""
    document = {"DATA_TYPE": "mkdir", "path": "/~/made"}
    body = ok(call(emulator, "post", MKDIR, json=document), "post", MKDIR)
    assert body["resource"] == f"/operation/endpoint/{LAB}/mkdir"
    made = ok(call(emulator, "get", STAT, params={"path": "/~/made"}), "get", STAT)
    assert made["type"] == "dir"
    error = error_of(call(emulator, "post", MKDIR, json=document), "post", MKDIR, 502)
    assert error["code"] == "ExternalError.MkdirFailed.Exists"
    other = {"DATA_TYPE": "mkdir", "path": "/~/theirs"}
    response = call(emulator, "post", MKDIR, json=other, token=COLLEAGUE_TOKEN)
    assert error_of(response, "post", MKDIR, 403)["code"] == "EndpointPermissionDenied"


def test_mkdir_without_a_parent_is_an_external_error(emulator: Emulator) -> None:
    """Reference, 7: "A missing parent gives `ExternalError.MkdirFailed.PermissionDenied` / a message
    with "No such file or directory"" (502, as every `ExternalError`, reference 8)."""
    document = {"DATA_TYPE": "mkdir", "path": "/~/no/such/parent/made"}
    error = error_of(call(emulator, "post", MKDIR, json=document), "post", MKDIR, 502)
    assert error["code"].startswith("ExternalError.MkdirFailed"), error
    assert "No such file or directory" in error["message"], error


def test_file_operations_refuse_a_document_with_a_problem(emulator: Emulator) -> None:
    """Doc, 3.2.5: 400 `ClientError.BadRequest`, "There is some problem in the request document":
    mkdir and rename without a body, and rename without its paths."""
    for path in (MKDIR, RENAME):
        error = error_of(call(emulator, "post", path), "post", path, 400)
        assert error["code"].startswith("ClientError.BadRequest"), error
    error = error_of(call(emulator, "post", RENAME, json={"DATA_TYPE": "rename"}), "post", RENAME, 400)
    assert error["code"].startswith("ClientError.BadRequest"), error


def test_rename_moves_a_directory(emulator: Emulator) -> None:
    """Reference, 7: rename answers `{DATA_TYPE: result, code: FileRenamed}`; afterwards the old path
    is 404 `NotFound` to stat and the new one is there; the read-only colleague is 403."""
    document = {
        "DATA_TYPE": "rename",
        "old_path": "/~/experiments/run-002",
        "new_path": "/~/experiments/run-two",
    }
    body = ok(call(emulator, "post", RENAME, json=document), "post", RENAME)
    assert body["resource"] == f"/operation/endpoint/{LAB}/rename"
    assert error_of(call(emulator, "get", STAT, params={"path": "/~/experiments/run-002"}), "get", STAT, 404)
    moved = ok(call(emulator, "get", STAT, params={"path": "/~/experiments/run-two"}), "get", STAT)
    assert (moved["name"], moved["type"]) == ("run-two", "dir")
    back = {"DATA_TYPE": "rename", "old_path": "/~/experiments/run-two", "new_path": "/~/experiments/run-2"}
    response = call(emulator, "post", RENAME, json=back, token=COLLEAGUE_TOKEN)
    assert error_of(response, "post", RENAME, 403)["code"] == "EndpointPermissionDenied"


# --- every operation: authentication and maintenance ---------------------------------------------


@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["no-header", "unknown-token"])
def test_management_calls_without_a_valid_token_are_refused(emulator: Emulator, token: str | None) -> None:
    """Reference, 1 ("Authorization: Bearer <token>") and 8: 401 `ClientError.AuthenticationFailed`
    for a missing or bad token, on every operation of this module; nothing changes."""
    task_id = running_transfer(emulator, label="untouched")
    for method, path in OPERATIONS:
        response = call(emulator, method, path, task_id=task_id, token=token, **sample_request(path))
        error = error_of(response, method, path, 401)
        assert error["code"] == "ClientError.AuthenticationFailed"
    task = get_task(emulator, task_id)
    assert (task["label"], task["status"]) == ("untouched", "ACTIVE")


@pytest.mark.emulator(scenario_text=MAINTENANCE_SCENARIO)
def test_management_calls_during_maintenance_are_unavailable(emulator: Emulator) -> None:
    """Reference, 8: 503 `ServiceUnavailable` "for any call during maintenance", on every operation of
    this module; after the window the same calls work."""
    task_id = running_transfer(emulator)
    emulator.control.advance(MAINTENANCE[0])
    for method, path in OPERATIONS:
        response = call(emulator, method, path, task_id=task_id, **sample_request(path))
        assert error_of(response, method, path, 503)["code"] == "ServiceUnavailable"
    emulator.control.advance(MAINTENANCE[1] - MAINTENANCE[0] + STEP)
    ok(call(emulator, "get", PAUSE_INFO, task_id=task_id), "get", PAUSE_INFO)


# --- the spec and coverage -----------------------------------------------------------------------


def test_spec_describes_every_route_the_emulator_serves() -> None:
    """Reference, 2 (SDK method → route table) and 12 (routes under /v0.10): the spec's operations are
    exactly the emulator's /v0.10 routes, split between the two Globus contract modules; the
    documents the reference gives in full are closed."""
    served = {
        (method.lower(), route.path)
        for route in API_ROUTES
        for method in route.methods or ()
        if method != "HEAD"
    }
    import test_globus_manager_contract as manager  # it imports this module's neighbours, not this one

    described = {(m, p) for m, p, _ in CONTRACT.declared_statuses()}
    assert described == served
    assert described == set(submission.OPERATIONS) | set(OPERATIONS) | set(manager.OPERATIONS)
    for method, path in OPERATIONS:  # the sweeps' bodies meet the spec, so only the token is wrong
        body = sample_request(path).get("json")
        if body is not None:
            at = pointer("paths", path, method, "requestBody", "content", "application/json", "schema")
            assert not CONTRACT.schema_errors(at, body), (method, path)
    schemas = CONTRACT.spec["components"]["schemas"]
    closed = {n for n, s in schemas.items() if s.get("additionalProperties") is False}
    assert closed == submission.CLOSED | CLOSED | manager.CLOSED


AUTH_TEST = "test_management_calls_without_a_valid_token_are_refused"
MAINTENANCE_TEST = "test_management_calls_during_maintenance_are_unavailable"
UNKNOWN_TASK_TEST = "test_unknown_task_is_not_found_for_every_task_operation"
UNKNOWN_ENDPOINT_TEST = "test_unknown_endpoint_is_endpoint_not_found_everywhere"
EXERCISES = {
    **{(m, p, "401"): AUTH_TEST for m, p in OPERATIONS},
    **{(m, p, "503"): MAINTENANCE_TEST for m, p in OPERATIONS},
    **{(m, p, "404"): UNKNOWN_TASK_TEST for m, p in OPERATIONS[:5]},
    **{(m, p, "404"): UNKNOWN_ENDPOINT_TEST for m, p in OPERATIONS if "{endpoint_id}" in p},
    ("put", TASK, "200"): "test_update_task_changes_label_and_deadline",
    ("put", TASK, "400"): "test_update_task_refuses_a_bad_label",
    ("post", CANCEL, "200"): "test_cancel_fails_the_task_then_reports_it_complete",
    ("post", REMOVE, "200"): "test_remove_drops_a_completed_task_from_history",
    ("get", SKIPPED, "200"): "test_skipped_errors_page_by_marker",
    ("get", PAUSE_INFO, "200"): "test_pause_info_with_no_rules_in_force",
    ("get", ENDPOINT, "200"): "test_endpoint_documents_a_mapped_and_a_guest_collection",
    ("get", SEARCH, "200"): "test_endpoint_search_pages_with_has_next_page",
    ("get", SEARCH, "400"): "test_endpoint_search_refuses_what_globus_sdk_says_it_refuses",
    ("get", MANAGER_TASKS, "200"): "test_endpoint_manager_task_list_pages_by_last_key",
    ("get", MANAGER_TASKS, "400"): "test_endpoint_manager_task_list_pages_by_last_key",
    ("get", REQUIREMENTS, "200"): "test_legacy_activation_round_trip",
    ("post", AUTOACTIVATE, "200"): "test_legacy_activation_round_trip",
    ("post", ACTIVATE, "200"): "test_legacy_activation_round_trip",
    ("post", DEACTIVATE, "200"): "test_legacy_activation_round_trip",
    ("get", LS, "200"): "test_ls_lists_a_directory",
    ("get", LS, "400"): "test_ls_refuses_filters_it_cannot_read",
    ("get", LS, "403"): "test_ls_errors",
    ("get", LS, "404"): "test_ls_errors",
    ("get", LS, "502"): "test_ls_errors",
    ("post", MKDIR, "200"): "test_mkdir_creates_once",
    ("post", MKDIR, "400"): "test_file_operations_refuse_a_document_with_a_problem",
    ("post", MKDIR, "403"): "test_mkdir_creates_once",
    ("post", MKDIR, "502"): "test_mkdir_creates_once",
    ("post", RENAME, "200"): "test_rename_moves_a_directory",
    ("post", RENAME, "400"): "test_file_operations_refuse_a_document_with_a_problem",
    ("post", RENAME, "403"): "test_rename_moves_a_directory",
    ("get", STAT, "200"): "test_stat_one_file_and_its_errors",
    ("get", STAT, "403"): "test_stat_one_file_and_its_errors",
    ("get", STAT, "404"): "test_stat_one_file_and_its_errors",
}


@pytest.mark.parametrize(("method", "path", "status"), sorted(EXERCISES))
def test_every_documented_status_is_exercised(method: str, path: str, status: str) -> None:
    """Reference, 5.3-8: each status each of this module's operations declares is exercised by the
    named test above (checked against what that test received, whenever it ran in this run); with
    the submission module's list, the lists mirror the spec exactly."""
    import test_globus_manager_contract as manager

    assert set(EXERCISES) | set(submission.EXERCISES) | set(manager.EXERCISES) == CONTRACT.declared_statuses()
    assert not set(EXERCISES) & (set(submission.EXERCISES) | set(manager.EXERCISES))
    test_name = EXERCISES[(method, path, status)]
    assert callable(globals().get(test_name)), test_name
    if test_name in CONTRACT.coverage.ran:
        exercised = (test_name, method, path, status)
        assert exercised in CONTRACT.coverage.exercised, exercised
