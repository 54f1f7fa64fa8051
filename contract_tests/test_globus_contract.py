"""The Globus Transfer API emulator held to the service's "Transfer and Delete Submission" page.

The page, and the task-monitoring documents clients rely on, are transcribed into `specs/globus.yaml`
(OpenAPI 3.1). Every response a test receives is checked against what its operation declares for
that status: an undeclared status fails, a declared body must validate against its schema (closed
where the full field list is known). Each test's docstring names the doc section ("Doc, 3.2.4") or
the section of the project's research notes on the service ("Reference, 5.1") it enforces. Time is
the emulator's manual clock, started at a fixed instant; transfers are slowed to 64 KiB/s so a task
can be watched while it runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import yaml
from contract import Contract
from jsonschema import Draft202012Validator

from emulators.testing import Emulator

# --- the spec ------------------------------------------------------------------------------------

CONTRACT = Contract("globus")
SPEC = CONTRACT.spec
SPEC_TEXT = CONTRACT.text
BASE = SPEC["servers"][0]["url"]
SUBMISSION_ID = "/submission_id"
TRANSFER = "/transfer"
DELETE = "/delete"
TASK = "/task/{task_id}"
EVENTS = "/task/{task_id}/event_list"
SUCCESSFUL = "/task/{task_id}/successful_transfers"
TASK_LIST = "/task_list"
OPERATIONS = [
    ("get", SUBMISSION_ID),
    ("post", TRANSFER),
    ("post", DELETE),
    ("get", TASK),
    ("get", EVENTS),
    ("get", SUCCESSFUL),
    ("get", TASK_LIST),
]

SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
RESPONSES: dict[str, Any] = SPEC["components"]["responses"]
schema_errors = CONTRACT.schema_errors
component = CONTRACT.component
operation = CONTRACT.operation
declared = CONTRACT.declared
declared_statuses = CONTRACT.declared_statuses
COVERAGE = CONTRACT.coverage


def documented_codes(response_name: str) -> list[str]:
    """The `code` enum a components/responses entry declares (its first enum)."""
    schema = RESPONSES[response_name]["content"]["application/json"]["schema"]
    code = schema["allOf"][1]["properties"]["code"]
    enum: list[str] = code["enum"] if "enum" in code else code["anyOf"][0]["enum"]
    return enum


@pytest.fixture(autouse=True)
def _track_coverage(request: pytest.FixtureRequest) -> Iterator[None]:
    yield from CONTRACT.tracking(request)


def conforms(response: httpx.Response, method: str, path: str) -> Any:
    """Check a response against the spec's declaration for its status; return its JSON body."""
    return CONTRACT.conforms(response, method, path)


def error_of(response: httpx.Response, method: str, path: str, status: int) -> dict[str, Any]:
    """A conforming error document with the expected status."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = conforms(response, method, path)
    return body


def refused(emulator: Emulator, path: str, document: dict[str, Any], status: int) -> dict[str, Any]:
    """POST `document` to `path`: the conforming error document with the expected status."""
    return error_of(api(emulator, "post", path, json=document), "post", path, status)


# --- scenarios -----------------------------------------------------------------------------------

START = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
LAB = "aaaaaaaa-0000-4000-8000-000000000001"
SCRATCH = "bbbbbbbb-0000-4000-8000-000000000002"
SHARED = "cccccccc-0000-4000-8000-000000000003"
RESEARCHER = "researcher@example.org"
COLLEAGUE = "colleague@example.org"
PAGE_SIZE = 2
BEHAVIOUR: dict[str, Any] = {
    "queue_delay": 2,
    "progress_interval": 5,
    "page_size": PAGE_SIZE,
    "rate": {"bandwidth": 65536, "per_file": 0},
}


def scenario_text(extends: str = "default", globus: dict[str, Any] | None = None, **top: Any) -> str:
    """A small scenario on top of a bundled one: fixed start, slow transfers, two-row pages."""
    document = {
        "version": 1,
        "extends": extends,
        "clock": {"start": START.isoformat()},
        "services": {"globus": {"behaviour": BEHAVIOUR, **(globus or {})}},
        **top,
    }
    return yaml.safe_dump(document, sort_keys=False)


SCENARIO = scenario_text()
pytestmark = pytest.mark.emulator(scenario_text=SCENARIO)

# The HPC Scratch activation expires 10 s after the start (as in globus-credential-expiry).
EXPIRY_AT = 10
EXPIRY_SCENARIO = scenario_text(
    timeline=[
        {"at": EXPIRY_AT, "service": "globus", "action": "expire_activation", "args": {"endpoint": SCRATCH}}
    ]
)
# The Lab Storage host endpoint is deleted; Lab Storage Shared is a guest collection on it.
HOST_DELETED_SCENARIO = scenario_text(
    globus={
        "endpoints": [
            {
                "id": LAB,
                "display_name": "Lab Storage",
                "owner": RESEARCHER,
                "home": "/home/researcher",
                "deleted": True,
                "tree": {"entries": [{"path": "share/public/README.md", "size": 1200}]},
            },
            {
                "id": SCRATCH,
                "display_name": "HPC Scratch",
                "owner": RESEARCHER,
                "home": "/scratch/researcher",
                "tree": {"entries": [{"path": "scratch/researcher/previous/result.h5", "size": 4194304}]},
            },
            {
                "id": SHARED,
                "display_name": "Lab Storage Shared",
                "entity_type": "GCSv5_guest_collection",
                "host_endpoint": LAB,
                "host_path": "/share/",
                "owner": RESEARCHER,
            },
        ]
    }
)
# globus-maintenance: every call answers 503 from 30 s to 300 s after the start.
MAINTENANCE_SCENARIO = scenario_text(extends="globus-maintenance")
MAINTENANCE = (30, 300)

# --- talking to the emulator ---------------------------------------------------------------------

TOKEN = "globus-dev-token"
COLLEAGUE_TOKEN = "globus-colleague-token"
UNKNOWN_ID = "0d5e7a9c-1b2f-4c3d-8e4f-5a6b7c8d9e0f"
STEP = 5
MAX_STEPS = 60
DEFAULT_DEADLINE = timedelta(hours=24)  # reference, 5: "request_time + 24h when the client gave none"
RUN_001_FILES = {
    "/~/experiments/run-001/reads.fastq",
    "/~/experiments/run-001/summary.csv",
    "/~/experiments/run-001/notes/readme.txt",
}


def api(
    emulator: Emulator,
    method: str,
    path: str,
    task_id: str | None = None,
    *,
    json: Any = None,
    params: dict[str, Any] | None = None,
    token: str | None = TOKEN,
) -> httpx.Response:
    url = BASE + (path.format(task_id=task_id) if task_id is not None else path)
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return emulator.client.request(method.upper(), url, json=json, params=params, headers=headers)


def new_submission_id(emulator: Emulator) -> str:
    response = api(emulator, "get", SUBMISSION_ID)
    assert response.status_code == 200, response.text
    body = conforms(response, "get", SUBMISSION_ID)
    return str(body["value"])


def dir_item(source: str, destination: str) -> dict[str, Any]:
    return {
        "DATA_TYPE": "transfer_item",
        "source_path": source,
        "destination_path": destination,
        "recursive": True,
    }


def file_item(source: str, destination: str) -> dict[str, Any]:
    return {
        "DATA_TYPE": "transfer_item",
        "source_path": source,
        "destination_path": destination,
        "recursive": False,
    }


def transfer_document(
    submission_id: str, *items: dict[str, Any], source: str = LAB, destination: str = SCRATCH, **options: Any
) -> dict[str, Any]:
    """A transfer document (doc 2.2-2.4) with the default scenario's endpoints."""
    return {
        "DATA_TYPE": "transfer",
        "submission_id": submission_id,
        "source_endpoint": source,
        "destination_endpoint": destination,
        "DATA": list(items) or [dir_item("/~/experiments/run-001/", "/~/copy/")],
        **options,
    }


def delete_document(submission_id: str, *paths: str, endpoint: str = LAB, **options: Any) -> dict[str, Any]:
    """A delete document (doc 2.2, 2.6, 2.7)."""
    return {
        "DATA_TYPE": "delete",
        "submission_id": submission_id,
        "endpoint": endpoint,
        "DATA": [{"DATA_TYPE": "delete_item", "path": p} for p in paths or ("/~/experiments/.cache",)],
        **options,
    }


def submit(emulator: Emulator, path: str, document: dict[str, Any], token: str = TOKEN) -> dict[str, Any]:
    """POST a document that meets the spec; it must be Accepted (202)."""
    schema = "TransferDocument" if path == TRANSFER else "DeleteDocument"
    assert not schema_errors(component(schema), document)
    response = api(emulator, "post", path, json=document, token=token)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = conforms(response, "post", path)
    return body


def get_task(emulator: Emulator, task_id: str) -> dict[str, Any]:
    response = api(emulator, "get", TASK, task_id)
    assert response.status_code == 200, response.text
    task: dict[str, Any] = conforms(response, "get", TASK)
    check_task_rules(task)
    return task


def run_until_done(emulator: Emulator, task_id: str) -> dict[str, Any]:
    for _ in range(MAX_STEPS):
        task = get_task(emulator, task_id)
        if task["status"] in ("SUCCEEDED", "FAILED"):
            return task
        emulator.control.advance(STEP)
    pytest.fail(f"task {task_id} did not finish within {MAX_STEPS * STEP} virtual seconds")


def task_count(emulator: Emulator) -> int:
    response = api(emulator, "get", TASK_LIST)
    body = conforms(response, "get", TASK_LIST)
    return int(body["total"])


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def check_task_rules(task: dict[str, Any]) -> None:
    """Reference, 5: the rules between a task document's fields that its notes column states."""
    status = task["status"]
    running = status in ("ACTIVE", "INACTIVE")
    # "completion_time: null while ACTIVE/INACTIVE"
    assert (task["completion_time"] is None) == running, task
    # "fatal_error: set when FAILED"
    assert (task["fatal_error"] is not None) == (status == "FAILED"), task
    if status == "ACTIVE" and task["is_ok"]:
        # "'OK' or 'Queued' while healthy and ACTIVE"; "-1 while ACTIVE and OK"
        assert task["nice_status"] in ("OK", "Queued"), task
        assert task["nice_status_expires_in"] == -1, task
    if not running:
        # "nice_status: null once complete"; "is_ok: null once complete"; "null once done"
        assert task["nice_status"] is None, task
        assert task["is_ok"] is None, task
        assert task["nice_status_expires_in"] is None, task
    if task["type"] == "DELETE":
        # "destination_endpoint / _id / _display_name: null for DELETE"
        destination = ("destination_endpoint", "destination_endpoint_id", "destination_endpoint_display_name")
        assert [task[k] for k in destination] == [None, None, None], task
    # "keep it plausible (succeeded+failed+canceled+expired+pending+retrying <= total)"
    parts = ("succeeded", "failed", "canceled", "expired", "pending", "retrying")
    assert sum(task[f"subtasks_{p}"] for p in parts) <= task["subtasks_total"], task


# --- the spec itself -----------------------------------------------------------------------------

CLOSED = {
    "SubmissionId",
    "SubmissionResult",
    "TaskLink",
    "ErrorDocument",
    "Task",
    "TaskFields",
    "FatalError",
    "TaskList",
    "EventList",
    "Event",
    "SuccessfulTransfers",
    "SuccessfulTransfer",
}
OPEN_REQUESTS = {
    "TransferDocument",
    "TransferItem",
    "TransferSymlinkItem",
    "FilterRule",
    "DeleteDocument",
    "DeleteItem",
}


def _nullable(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return (
        kind == "null"
        or (isinstance(kind, list) and "null" in kind)
        or None in schema.get("enum", [])
        or any(s.get("type") == "null" for s in schema.get("anyOf", []))
    )


def test_spec_is_a_faithful_transcription() -> None:
    """Doc, 3.1-3.3 (three operations under /v0.10) and reference, 5-5.3 (four monitoring ones); doc
    3.2.5 error table per status; response documents closed, request documents open; the doc's own
    examples (3.1, 3.2, 3.3) validate against the schemas they illustrate."""
    assert SPEC["openapi"].startswith("3.1")
    assert BASE == "/v0.10"
    assert SPEC["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    # The spec's other operations are held by test_globus_management_contract.py.
    assert {(m, p) for m, p, _ in declared_statuses()} >= set(OPERATIONS)
    for name, schema in SCHEMAS.items():
        Draft202012Validator.check_schema(schema)
        for example in schema.get("examples", []):
            assert not schema_errors(component(name), example), (name, example)
    assert {n for n, s in SCHEMAS.items() if s.get("additionalProperties") is False} >= CLOSED
    assert set(SCHEMAS) >= OPEN_REQUESTS
    for name in CLOSED:
        schema = SCHEMAS[name]
        assert set(schema["required"]) <= set(schema["properties"]), name
    task = SCHEMAS["Task"]
    for prop in ("completion_time", "fatal_error", "label", "nice_status", "is_ok", "sync_level"):
        assert _nullable(task["properties"][prop]), prop
    for prop in ("destination_endpoint", "destination_endpoint_id", "destination_endpoint_display_name"):
        assert _nullable(task["properties"][prop]), prop  # "null for DELETE"
    for prop in ("task_id", "status", "request_time", "deadline", "source_endpoint_id", "is_paused"):
        assert not _nullable(task["properties"][prop]), prop
    for path in (TRANSFER, DELETE):  # doc 3.2.4: Accepted 202, Duplicate 200
        for status, code in (("202", "Accepted"), ("200", "Duplicate")):
            schema = declared("post", path, status)["content"]["application/json"]["schema"]
            assert schema["allOf"][1]["properties"]["code"] == {"const": code}
    assert documented_codes("BadRequest") == [
        "ClientError.BadRequest",
        "BadRequest",
        "ClientError.BadRequest.NoTransferItems",
    ]
    assert documented_codes("PermissionDenied")[0] == "PermissionDenied"
    assert documented_codes("Conflict") == ["NoCredException", "Conflict"]
    assert documented_codes("ServiceUnavailable") == ["ServiceUnavailable"]
    # Doc 3.3: "Response and error codes are the same as for transfer submission."
    transfer, delete = operation("post", TRANSFER)["responses"], operation("post", DELETE)["responses"]
    assert set(transfer) == set(delete)
    assert {s: r for s, r in transfer.items() if "$ref" in r} == {
        s: r for s, r in delete.items() if "$ref" in r
    }


# --- submission ----------------------------------------------------------------------------------


def test_submission_id_is_fresh_and_not_a_task_id(emulator: Emulator) -> None:
    """Doc, 3.1 "Get a submission id" (`{"value": ..., "DATA_TYPE": "submission_id"}`) and 1
    "Overview": "The submission id and task id are not the same"."""
    first, second = new_submission_id(emulator), new_submission_id(emulator)
    assert first != second
    result = submit(emulator, TRANSFER, transfer_document(first))
    assert result["submission_id"] == first
    assert result["task_id"] not in (first, second)


def test_transfer_is_accepted_then_a_resubmit_is_a_duplicate(emulator: Emulator) -> None:
    """Doc, 2.2-2.5 (every documented field, all three kinds of item), 3.2 (response body) and 3.2.4
    "Result codes": 202 Accepted, then 200 Duplicate with the same task id for the same submission id
    ("the task id in the response can be used"); reference, 4: `resource` without `/v0.10`, and
    `task_link` to the task."""
    submission_id = new_submission_id(emulator)
    document = transfer_document(
        submission_id,
        dir_item("/~/experiments/run-001/", "/~/copy/run-001/"),
        file_item("/~/experiments/run-002/reads.fastq", "/~/copy/run-002/reads.fastq"),
        {
            "DATA_TYPE": "transfer_symlink_item",
            "source_path": "/~/experiments/latest",
            "destination_path": "/~/copy/latest",
        },
        label="Contract run-1, all options",
        notify_on_succeeded=False,
        notify_on_failed=False,
        notify_on_inactive=False,
        deadline="2030-01-05T00:00:00+00:00",
        encrypt_data=True,
        sync_level=3,
        verify_checksum=True,
        preserve_timestamp=True,
        delete_destination_extra=True,
        recursive_symlinks="keep",
        skip_source_errors=False,
        fail_on_quota_errors=False,
        filter_rules=[{"DATA_TYPE": "filter_rule", "method": "exclude", "name": "*.tmp", "type": "file"}],
    )
    accepted = submit(emulator, TRANSFER, document)
    assert accepted["code"] == "Accepted"
    assert accepted["submission_id"] == submission_id
    assert accepted["resource"] == "/transfer"
    assert accepted["task_link"]["href"] == f"task/{accepted['task_id']}?format=json"

    again = api(emulator, "post", TRANSFER, json=document)
    duplicate = conforms(again, "post", TRANSFER)
    assert again.status_code == 200
    assert duplicate["code"] == "Duplicate"
    assert (duplicate["task_id"], duplicate["submission_id"]) == (accepted["task_id"], submission_id)
    assert task_count(emulator) == 1, "a duplicate must not create a second task"

    task = get_task(emulator, accepted["task_id"])
    assert task["label"] == document["label"]
    assert parse_time(task["deadline"]) == parse_time(document["deadline"])
    for option in ("sync_level", "encrypt_data", "verify_checksum", "preserve_timestamp"):
        assert task[option] == document[option], option
    assert task["delete_destination_extra"] is True
    assert task["recursive_symlinks"] == "keep"


def test_transfer_accepts_an_endpoint_canonical_name(emulator: Emulator) -> None:
    """Doc, 2.1.1 "Endpoint Format": "for backward compatibility the endpoint canonical_name is also
    accepted" (the emulator's endpoint document gives it)."""
    endpoint = api(emulator, "get", f"/endpoint/{LAB}")
    assert endpoint.status_code == 200, endpoint.text
    canonical = endpoint.json()["canonical_name"]
    assert canonical != LAB
    document = transfer_document(new_submission_id(emulator), source=canonical)
    task = get_task(emulator, submit(emulator, TRANSFER, document)["task_id"])
    assert task["source_endpoint_id"] == LAB


def test_delete_is_accepted_then_a_resubmit_is_a_duplicate(emulator: Emulator) -> None:
    """Doc, 2.6-2.7 (every delete field) and 3.3 "Submit a delete task": the `delete_result` body,
    "Response and error codes are the same as for transfer submission" (202 Accepted, 200 Duplicate)."""
    submission_id = new_submission_id(emulator)
    document = delete_document(
        submission_id,
        "/~/experiments/run-001/notes",
        "/~/experiments/run-00[12]/summary.csv",
        label="Contract delete",
        deadline="2030-01-03 03:04:05+00:00",  # reference, 3: the SDK's space-separated form
        recursive=True,
        ignore_missing=True,
        interpret_globs=True,
    )
    accepted = submit(emulator, DELETE, document)
    assert (accepted["code"], accepted["resource"]) == ("Accepted", "/delete")
    again = api(emulator, "post", DELETE, json=document)
    duplicate = conforms(again, "post", DELETE)
    assert again.status_code == 200
    assert (duplicate["code"], duplicate["task_id"]) == ("Duplicate", accepted["task_id"])
    assert task_count(emulator) == 1


# --- submission errors ---------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]
# Doc 3.2.5: "ClientError.BadRequest or BadRequest", one code in two spellings.
BAD_REQUEST = frozenset({"ClientError.BadRequest", "BadRequest"})
NO_TRANSFER_ITEMS = frozenset({"ClientError.BadRequest.NoTransferItems"})


def _set(name: str, value: Any) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        document[name] = value

    return mutate


def _drop(name: str) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        del document[name]

    return mutate


def _item(**fields: Any) -> Mutation:
    """Change the first item; a field given as None is removed."""

    def mutate(document: dict[str, Any]) -> None:
        item = document["DATA"][0]
        item.update(fields)
        for name in [k for k, v in fields.items() if v is None]:
            del item[name]

    return mutate


TRANSFER_CASES = [
    pytest.param(_set("DATA", []), NO_TRANSFER_ITEMS, "One or more items to transfer.", id="no-items"),
    pytest.param(_drop("DATA"), NO_TRANSFER_ITEMS, "One or more items to transfer.", id="no-DATA"),
    pytest.param(_drop("submission_id"), BAD_REQUEST, "require a submission_id", id="no-submission-id"),
    pytest.param(_set("DATA_TYPE", "delete"), BAD_REQUEST, 'Either "transfer" or "delete"', id="data-type"),
    pytest.param(
        _drop("destination_endpoint"), BAD_REQUEST, "Id of the endpoint to transfer data to.", id="no-dest"
    ),
    pytest.param(
        _set("label", "x" * 129), BAD_REQUEST, "The maximum length is 128 characters.", id="label-129-chars"
    ),
    pytest.param(
        _set("label", "run #1"), BAD_REQUEST, "The allowed characters are", id="label-disallowed-character"
    ),
    pytest.param(
        _set("sync_level", 4), BAD_REQUEST, "The level must be an integer in the 0-3 range", id="sync-4"
    ),
    pytest.param(
        _set("recursive_symlinks", "follow"), BAD_REQUEST, "Valid values are", id="recursive-symlinks"
    ),
    pytest.param(
        _set("encrypt_data", "yes"), BAD_REQUEST, "encrypt_data: {type: boolean", id="not-a-boolean"
    ),
    pytest.param(_set("deadline", "next tuesday"), BAD_REQUEST, "ISO 8601 datetime string.", id="deadline"),
    pytest.param(
        _item(DATA_TYPE="delete_item"), BAD_REQUEST, "DATA_TYPE: {const: transfer_item}", id="item-data-type"
    ),
    pytest.param(
        _item(source_path="/~/experiments/run-001", destination_path="/~/copy"),
        BAD_REQUEST,
        'The source_path and destination_path must end with slash ("/").',
        id="directory-without-slash",
    ),
    pytest.param(
        _item(recursive=False),
        BAD_REQUEST,
        'The source_path and destination_path must not end with slash ("/").',
        id="file-with-slash",
    ),
    pytest.param(
        _item(DATA_TYPE="transfer_symlink_item", source_path="/~/experiments/latest/", recursive=None),
        BAD_REQUEST,
        "use a transfer_symlink_item",
        id="symlink-with-slash",
    ),
]


@pytest.mark.parametrize(("mutate", "codes", "cites"), TRANSFER_CASES)
def test_transfer_refuses_a_bad_document(
    emulator: Emulator, mutate: Mutation, codes: frozenset[str], cites: str
) -> None:
    """Doc, 3.2.5 "Errors": 400 "There is some problem in the request document" for a document that
    breaks a rule of 2.2-2.5 or 3.2.1-3.2.3 (`cites` is the rule as the spec records it); reference,
    8: `ClientError.BadRequest.NoTransferItems` for a transfer without items. Nothing is queued."""
    assert cites in SPEC_TEXT
    document = transfer_document(new_submission_id(emulator))
    mutate(document)
    assert schema_errors(component("TransferDocument"), document), "the spec accepts this document"
    error = refused(emulator, TRANSFER, document, 400)
    assert error["code"] in codes, error
    assert error["resource"] == "/transfer"
    assert task_count(emulator) == 0, "a refused document must queue nothing"


DELETE_CASES = [
    pytest.param(_drop("submission_id"), BAD_REQUEST, "require a submission_id", id="no-submission-id"),
    pytest.param(_drop("endpoint"), BAD_REQUEST, "Id of the endpoint to delete data on.", id="no-endpoint"),
    pytest.param(_set("DATA_TYPE", "transfer"), BAD_REQUEST, 'Either "transfer" or "delete"', id="data-type"),
    pytest.param(
        _item(DATA_TYPE="transfer_item"), BAD_REQUEST, "DATA_TYPE: {const: delete_item}", id="item-type"
    ),
    pytest.param(_set("recursive", "yes"), BAD_REQUEST, "Required if any delete_item", id="recursive"),
    pytest.param(_set("label", "a\tb"), BAD_REQUEST, "The allowed characters are", id="label-tab"),
]


@pytest.mark.parametrize(("mutate", "codes", "cites"), DELETE_CASES)
def test_delete_refuses_a_bad_document(
    emulator: Emulator, mutate: Mutation, codes: frozenset[str], cites: str
) -> None:
    """Doc, 3.3: "Response and error codes are the same as for transfer submission": 400 with
    "ClientError.BadRequest or BadRequest" for a document that breaks a rule of 2.2, 2.6 or 2.7."""
    assert cites in SPEC_TEXT
    document = delete_document(new_submission_id(emulator))
    mutate(document)
    assert schema_errors(component("DeleteDocument"), document), "the spec accepts this document"
    error = refused(emulator, DELETE, document, 400)
    assert error["code"] in codes, error
    assert error["resource"] == "/delete"
    assert task_count(emulator) == 0


def test_delete_without_items_is_a_bad_request(emulator: Emulator) -> None:
    """Doc, 2.6 ("List of delete_item documents containing paths to delete") does not say a delete
    needs an item, nor (3.3) which code an empty one gets. The emulator refuses it with 400 and a
    sub-code of ClientError.BadRequest, which the spec reads as that documented code."""
    document = delete_document(new_submission_id(emulator))
    document["DATA"] = []
    assert not schema_errors(component("DeleteDocument"), document)
    error = refused(emulator, DELETE, document, 400)
    assert error["code"].startswith("ClientError.BadRequest"), error
    assert task_count(emulator) == 0


def test_each_documented_400_code_has_a_document_that_produces_it() -> None:
    """Doc, 3.2.5 "Errors" (ClientError.BadRequest or BadRequest) and reference, 8 (NoTransferItems):
    every documented 400 code is what some refused-document case above expects (the doc's two
    spellings of one code count as one)."""
    documented = {BAD_REQUEST, NO_TRANSFER_ITEMS}
    assert frozenset().union(*documented) == set(documented_codes("BadRequest"))
    expected = {case.values[1] for case in [*TRANSFER_CASES, *DELETE_CASES]}
    assert expected == documented


def test_unknown_endpoint_is_endpoint_not_found(emulator: Emulator) -> None:
    """Reference, 8 ([real] capture): 404 `EndpointNotFound` "No such endpoint '<id>'" with resource
    `/transfer`; doc 3.3 gives delete the same codes."""
    document = transfer_document(new_submission_id(emulator), destination=UNKNOWN_ID)
    error = refused(emulator, TRANSFER, document, 404)
    assert (error["code"], error["resource"]) == ("EndpointNotFound", "/transfer")
    assert error["message"] == f"No such endpoint '{UNKNOWN_ID}'"
    document = delete_document(new_submission_id(emulator), endpoint=UNKNOWN_ID)
    error = refused(emulator, DELETE, document, 404)
    assert (error["code"], error["resource"]) == ("EndpointNotFound", "/delete")
    assert task_count(emulator) == 0


def test_unknown_task_is_not_found(emulator: Emulator) -> None:
    """Reference, 8 ([real] capture): 404 `ClientError.NotFound` "No task found with id '<id>'",
    resource `/task/<id>`; the task's sub-resources answer the same for an unknown task."""
    for path in (TASK, EVENTS, SUCCESSFUL):
        error = error_of(api(emulator, "get", path, UNKNOWN_ID), "get", path, 404)
        assert error["code"] == "ClientError.NotFound"
        assert error["resource"] == path.format(task_id=UNKNOWN_ID)
        assert error["message"] == f"No task found with id '{UNKNOWN_ID}'"


def _call(emulator: Emulator, method: str, path: str, token: str | None) -> httpx.Response:
    task_id = UNKNOWN_ID if "{task_id}" in path else None
    document: dict[str, Any] | None = None
    if path == TRANSFER:
        document = transfer_document(str(uuid.UUID(int=1)))
    elif path == DELETE:
        document = delete_document(str(uuid.UUID(int=2)))
    return api(emulator, method, path, task_id, json=document, token=token)


@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["no-header", "unknown-token"])
def test_requests_without_a_valid_token_are_refused(emulator: Emulator, token: str | None) -> None:
    """Reference, 1 ("Authorization: Bearer <token>") and 8: 401 `ClientError.AuthenticationFailed`
    for a missing or bad token, on every operation."""
    for method, path in OPERATIONS:
        error = error_of(_call(emulator, method, path, token), method, path, 401)
        assert error["code"] == "ClientError.AuthenticationFailed"
    assert task_count(emulator) == 0


def test_an_endpoint_the_caller_may_not_use_is_permission_denied(emulator: Emulator) -> None:
    """Doc, 3.2.5: 403 `PermissionDenied`, "The user does not have permission to use one of the
    endpoints in the request". The default scenario lets the colleague read Lab Storage, read and
    write Lab Storage Shared, and gives no access to HPC Scratch."""
    refused = [
        (TRANSFER, transfer_document(new_submission_id(emulator), destination=LAB)),  # read only
        (TRANSFER, transfer_document(new_submission_id(emulator), destination=SCRATCH)),  # no access
        (DELETE, delete_document(new_submission_id(emulator), endpoint=LAB)),  # read only
    ]
    for path, document in refused:
        response = api(emulator, "post", path, json=document, token=COLLEAGUE_TOKEN)
        error = error_of(response, "post", path, 403)
        assert error["code"] == "PermissionDenied", error
    allowed = transfer_document(
        new_submission_id(emulator),
        file_item("/~/experiments/run-001/summary.csv", "/summary.csv"),
        destination=SHARED,  # read and write
    )
    submit(emulator, TRANSFER, allowed, token=COLLEAGUE_TOKEN)


@pytest.mark.emulator(scenario_text=EXPIRY_SCENARIO)
def test_an_expired_activation_is_no_cred_exception(emulator: Emulator) -> None:
    """Doc, 1 ("the source (and destination for transfers) must be "activated"") and 3.2.5: 409
    `NoCredException`, "One or more endpoints in the request are not activated or have expired
    activation", for transfer and delete; reference, 5: a task running when the activation expires
    is INACTIVE ("suspended, needs intervention (credential expiry)")."""
    running = submit(emulator, TRANSFER, transfer_document(new_submission_id(emulator)))["task_id"]
    assert get_task(emulator, running)["status"] == "ACTIVE"
    emulator.control.advance(EXPIRY_AT + 2)
    inactive = get_task(emulator, running)
    assert inactive["status"] == "INACTIVE"
    assert inactive["completion_time"] is None

    document = transfer_document(new_submission_id(emulator))
    error = refused(emulator, TRANSFER, document, 409)
    assert error["code"] == "NoCredException"
    document = delete_document(new_submission_id(emulator), "/~/previous/result.h5", endpoint=SCRATCH)
    error = refused(emulator, DELETE, document, 409)
    assert error["code"] == "NoCredException"
    assert task_count(emulator) == 1


@pytest.mark.emulator(scenario_text=HOST_DELETED_SCENARIO)
def test_a_guest_collection_whose_host_was_deleted_is_conflict(emulator: Emulator) -> None:
    """Doc, 3.2.5: 409 `Conflict`, "The source or destination endpoint in the request is a shared
    endpoint and its host endpoint has been deleted", for transfer and delete."""
    document = transfer_document(
        new_submission_id(emulator),
        file_item("/~/previous/result.h5", "/result.h5"),
        source=SCRATCH,
        destination=SHARED,
    )
    error = refused(emulator, TRANSFER, document, 409)
    assert error["code"] == "Conflict"
    document = delete_document(new_submission_id(emulator), "/public/README.md", endpoint=SHARED)
    error = refused(emulator, DELETE, document, 409)
    assert error["code"] == "Conflict"
    assert task_count(emulator) == 0


@pytest.mark.emulator(scenario_text=MAINTENANCE_SCENARIO)
def test_a_maintenance_window_is_service_unavailable(emulator: Emulator) -> None:
    """Doc, 3.2.5: 503 `ServiceUnavailable`, "The service is down for maintenance"; reference, 8: the
    same for any call during maintenance. Before and after the window the same calls work."""
    task_id = submit(emulator, TRANSFER, transfer_document(new_submission_id(emulator)))["task_id"]
    emulator.control.advance(MAINTENANCE[0])
    for method, path in OPERATIONS:
        task = task_id if "{task_id}" in path else None
        document: dict[str, Any] | None = None
        if path == TRANSFER:
            document = transfer_document(str(uuid.UUID(int=3)))
        elif path == DELETE:
            document = delete_document(str(uuid.UUID(int=4)))
        response = api(emulator, method, path, task, json=document)
        error = error_of(response, method, path, 503)
        assert error["code"] == "ServiceUnavailable"
    emulator.control.advance(MAINTENANCE[1] - MAINTENANCE[0])
    assert get_task(emulator, task_id)["task_id"] == task_id
    assert task_count(emulator) == 1


# --- task monitoring -----------------------------------------------------------------------------


def test_task_document_while_active_and_after_success(emulator: Emulator) -> None:
    """Reference, 5 "Task document": the closed document while ACTIVE (nice_status "Queued", then
    "OK"; completion_time null; deadline request_time + 24 h when none was given) and once SUCCEEDED
    (completion_time set; nice_status, is_ok and nice_status_expires_in null)."""
    result = submit(emulator, TRANSFER, transfer_document(new_submission_id(emulator), label="watch me"))
    queued = get_task(emulator, result["task_id"])
    assert (queued["status"], queued["nice_status"], queued["type"]) == ("ACTIVE", "Queued", "TRANSFER")
    assert (queued["task_id"], queued["label"]) == (result["task_id"], "watch me")
    assert parse_time(queued["request_time"]) == START
    assert parse_time(queued["deadline"]) == START + DEFAULT_DEADLINE
    assert (queued["source_endpoint_id"], queued["destination_endpoint_id"]) == (LAB, SCRATCH)

    emulator.control.advance(STEP)
    running = get_task(emulator, result["task_id"])
    assert (running["status"], running["nice_status"], running["is_ok"]) == ("ACTIVE", "OK", True)

    done = run_until_done(emulator, result["task_id"])
    assert done["status"] == "SUCCEEDED"
    assert parse_time(done["completion_time"]) >= parse_time(done["request_time"])
    assert done["files_transferred"] == len(RUN_001_FILES)
    assert done["subtasks_pending"] == 0


def test_delete_task_document_has_no_destination(emulator: Emulator) -> None:
    """Reference, 5: a DELETE task's destination_endpoint, _id and _display_name are null; it
    conforms while ACTIVE and once SUCCEEDED."""
    result = submit(emulator, DELETE, delete_document(new_submission_id(emulator), "/~/experiments/.cache"))
    task = get_task(emulator, result["task_id"])
    assert (task["type"], task["status"]) == ("DELETE", "ACTIVE")
    assert run_until_done(emulator, result["task_id"])["status"] == "SUCCEEDED"


def _finished_transfer(emulator: Emulator) -> dict[str, Any]:
    result = submit(emulator, TRANSFER, transfer_document(new_submission_id(emulator)))
    task = run_until_done(emulator, result["task_id"])
    assert task["status"] == "SUCCEEDED"
    return task


def test_event_list_is_newest_first_and_pages_by_offset(emulator: Emulator) -> None:
    """Reference, 5.2: `{DATA_TYPE: event_list, length, limit, offset, total, DATA}`, events newest
    first, from STARTED to SUCCEEDED; limit/offset paging against `total`; `filter=is_error:0`."""
    task = _finished_transfer(emulator)
    response = api(emulator, "get", EVENTS, task["task_id"], params={"limit": 1000})
    everything = conforms(response, "get", EVENTS)
    events = everything["DATA"]
    assert everything["total"] == everything["length"] == len(events) >= 2
    assert (events[0]["code"], events[-1]["code"]) == ("SUCCEEDED", "STARTED")
    times = [parse_time(e["time"]) for e in events]
    assert times == sorted(times, reverse=True)

    response = api(emulator, "get", EVENTS, task["task_id"], params={"limit": 2, "offset": 1})
    page = conforms(response, "get", EVENTS)
    assert (page["limit"], page["offset"], page["total"]) == (2, 1, everything["total"])
    assert page["DATA"] == events[1:3]
    assert page["length"] == len(page["DATA"])

    response = api(emulator, "get", EVENTS, task["task_id"], params={"limit": 1000, "filter": "is_error:0"})
    successes = conforms(response, "get", EVENTS)
    assert successes["DATA"] == [e for e in events if not e["is_error"]]


def test_successful_transfers_page_by_marker(emulator: Emulator) -> None:
    """Reference, 5.3: `{DATA_TYPE: successful_transfers, marker, next_marker, DATA}`; following
    `next_marker` until it is null lists each transferred file once, and only files."""
    task = _finished_transfer(emulator)
    marker: int | None = 0
    pages, listed = 0, []
    while marker is not None:
        response = api(emulator, "get", SUCCESSFUL, task["task_id"], params={"marker": marker})
        page = conforms(response, "get", SUCCESSFUL)
        assert page["marker"] == marker
        assert len(page["DATA"]) <= PAGE_SIZE
        listed += page["DATA"]
        marker = page["next_marker"]
        pages += 1
        assert pages <= MAX_STEPS
    assert pages >= 2, "the scenario's two-row pages should need a second page"
    # Reference 5.3: the records show paths expanded (`"source_path":"/home/u_anon_user/fake.txt"`).
    expanded = sorted(path.replace("/~/", "/home/researcher/") for path in RUN_001_FILES)
    assert sorted(t["source_path"] for t in listed) == expanded
    assert len(listed) == task["files_transferred"]
    assert all(t["destination_path"].startswith("/scratch/researcher/copy/") for t in listed)


def test_task_list_pages_filters_and_orders(emulator: Emulator) -> None:
    """Reference, 5.1: `{DATA_TYPE: task_list, DATA: [<task>...], length, limit, offset, total}`; the
    CLI's `limit=1000&orderby=request_time DESC&filter=type:TRANSFER,DELETE`; offset paging against
    `total`; `filter=type:DELETE`."""
    submitted = []
    for kind in ("transfer", "delete", "transfer"):
        if kind == "transfer":
            result = submit(emulator, TRANSFER, transfer_document(new_submission_id(emulator)))
        else:
            result = submit(emulator, DELETE, delete_document(new_submission_id(emulator)))
        submitted.append(result["task_id"])
        emulator.control.advance(1)

    params = {"limit": 1000, "orderby": "request_time DESC", "filter": "type:TRANSFER,DELETE"}
    everything = conforms(api(emulator, "get", TASK_LIST, params=params), "get", TASK_LIST)
    assert everything["total"] == everything["length"] == 3
    assert [t["task_id"] for t in everything["DATA"]] == submitted[::-1]
    for task in everything["DATA"]:
        assert not schema_errors(component("Task"), task), "without `fields`, full task documents"
        check_task_rules(task)

    page = conforms(
        api(emulator, "get", TASK_LIST, params={**params, "limit": 1, "offset": 1}), "get", TASK_LIST
    )
    assert (page["limit"], page["offset"], page["total"], page["length"]) == (1, 1, 3, 1)
    assert page["DATA"][0]["task_id"] == submitted[1]

    deletes = conforms(api(emulator, "get", TASK_LIST, params={"filter": "type:DELETE"}), "get", TASK_LIST)
    assert [t["task_id"] for t in deletes["DATA"]] == [submitted[1]]
    assert deletes["total"] == 1


def test_task_list_fields_keeps_only_the_fields_named(emulator: Emulator) -> None:
    """Reference, 5.1 and 5.4: `fields` (common query param) cuts each task document down to the fields
    named; `globus task cancel --all` lists `type:TRANSFER,DELETE/status:ACTIVE,INACTIVE` that way."""
    running = submit(emulator, TRANSFER, transfer_document(new_submission_id(emulator)))["task_id"]
    params = {
        "limit": 1000,
        "orderby": "request_time DESC",
        "filter": "type:TRANSFER,DELETE/status:ACTIVE,INACTIVE",
        "fields": "task_id,status",
    }
    body = conforms(api(emulator, "get", TASK_LIST, params=params), "get", TASK_LIST)
    assert body["total"] == body["length"] == 1
    (task,) = body["DATA"]
    assert {k: v for k, v in task.items() if k != "DATA_TYPE"} == {"task_id": running, "status": "ACTIVE"}


@pytest.mark.parametrize(
    "params",
    [
        {"filter": "colour:blue"},
        {"filter": "type"},
        {"orderby": "colour DESC"},
        {"orderby": "request_time UP"},
    ],
    ids=["unknown-filter-field", "filter-without-value", "unknown-orderby-field", "bad-direction"],
)
def test_task_list_refuses_a_filter_or_orderby_it_cannot_read(
    emulator: Emulator, params: dict[str, str]
) -> None:
    """Reference, 5.1 (filter syntax `field:value[,value...]`, `orderby` e.g. `request_time DESC`) and
    8 (400 `ClientError.BadRequest` for bad params): a filter or orderby outside that syntax is 400."""
    submit(emulator, TRANSFER, transfer_document(new_submission_id(emulator)))
    error = error_of(api(emulator, "get", TASK_LIST, params=params), "get", TASK_LIST, 400)
    assert error["code"] in BAD_REQUEST, error


# --- every documented status, exercised ---------------------------------------------------------

AUTH_TEST = "test_requests_without_a_valid_token_are_refused"
MAINTENANCE_TEST = "test_a_maintenance_window_is_service_unavailable"
EXERCISES = {
    ("get", SUBMISSION_ID, "200"): "test_submission_id_is_fresh_and_not_a_task_id",
    ("get", SUBMISSION_ID, "401"): AUTH_TEST,
    ("get", SUBMISSION_ID, "503"): MAINTENANCE_TEST,
    ("post", TRANSFER, "202"): "test_transfer_is_accepted_then_a_resubmit_is_a_duplicate",
    ("post", TRANSFER, "200"): "test_transfer_is_accepted_then_a_resubmit_is_a_duplicate",
    ("post", TRANSFER, "400"): "test_transfer_refuses_a_bad_document",
    ("post", TRANSFER, "401"): AUTH_TEST,
    ("post", TRANSFER, "403"): "test_an_endpoint_the_caller_may_not_use_is_permission_denied",
    ("post", TRANSFER, "404"): "test_unknown_endpoint_is_endpoint_not_found",
    ("post", TRANSFER, "409"): "test_an_expired_activation_is_no_cred_exception",
    ("post", TRANSFER, "503"): MAINTENANCE_TEST,
    ("post", DELETE, "202"): "test_delete_is_accepted_then_a_resubmit_is_a_duplicate",
    ("post", DELETE, "200"): "test_delete_is_accepted_then_a_resubmit_is_a_duplicate",
    ("post", DELETE, "400"): "test_delete_refuses_a_bad_document",
    ("post", DELETE, "401"): AUTH_TEST,
    ("post", DELETE, "403"): "test_an_endpoint_the_caller_may_not_use_is_permission_denied",
    ("post", DELETE, "404"): "test_unknown_endpoint_is_endpoint_not_found",
    ("post", DELETE, "409"): "test_a_guest_collection_whose_host_was_deleted_is_conflict",
    ("post", DELETE, "503"): MAINTENANCE_TEST,
    ("get", TASK, "200"): "test_task_document_while_active_and_after_success",
    ("get", TASK, "401"): AUTH_TEST,
    ("get", TASK, "404"): "test_unknown_task_is_not_found",
    ("get", TASK, "503"): MAINTENANCE_TEST,
    ("get", EVENTS, "200"): "test_event_list_is_newest_first_and_pages_by_offset",
    ("get", EVENTS, "401"): AUTH_TEST,
    ("get", EVENTS, "404"): "test_unknown_task_is_not_found",
    ("get", EVENTS, "503"): MAINTENANCE_TEST,
    ("get", SUCCESSFUL, "200"): "test_successful_transfers_page_by_marker",
    ("get", SUCCESSFUL, "401"): AUTH_TEST,
    ("get", SUCCESSFUL, "404"): "test_unknown_task_is_not_found",
    ("get", SUCCESSFUL, "503"): MAINTENANCE_TEST,
    ("get", TASK_LIST, "200"): "test_task_list_pages_filters_and_orders",
    ("get", TASK_LIST, "400"): "test_task_list_refuses_a_filter_or_orderby_it_cannot_read",
    ("get", TASK_LIST, "401"): AUTH_TEST,
    ("get", TASK_LIST, "503"): MAINTENANCE_TEST,
}


@pytest.mark.parametrize(("method", "path", "status"), sorted(EXERCISES))
def test_every_documented_status_is_exercised(method: str, path: str, status: str) -> None:
    """Doc, 3.2.4-3.2.5 and reference, 5 and 8: each status each operation declares is exercised by
    the named test above (checked against what that test actually received, whenever it ran in this
    run), and the list mirrors the spec exactly."""
    assert set(EXERCISES) == {s for s in declared_statuses() if s[:2] in OPERATIONS}
    test_name = EXERCISES[(method, path, status)]
    assert callable(globals().get(test_name)), test_name
    if test_name in COVERAGE.ran:
        assert (test_name, method, path, status) in COVERAGE.exercised, (test_name, method, path, status)
