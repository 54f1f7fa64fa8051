"""The Transfer API v0.10 endpoints clients call, and the Auth token endpoint.

Each handler: check the bearer token → read the document → `world.catch_up()` →
call the state machine → render. Errors are raised (`GlobusError`) and rendered once, in `app.py`.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulators.core.host import world_of
from emulators.core.http import read_json_object
from emulators.core.tokens import ClientCredentials, token_endpoint
from emulators.globus import activation, auth, endpoints, files, management, queries, records
from emulators.globus.errors import (
    GlobusError,
    permission_denied,
    resource_of,
    service_unavailable,
    task_not_found,
)
from emulators.globus.models import (
    parse_admin_tasks,
    parse_delete,
    parse_mkdir,
    parse_rename,
    parse_task_update,
    parse_transfer,
)
from emulators.globus.scenario import Identity
from emulators.globus.store import Collection, GlobusStore
from emulators.globus.submission import (
    accept,
    delete_submission,
    new_submission_id,
    result_document,
    transfer_submission,
)
from emulators.globus.tasks import Task

CANCEL_MESSAGES = {
    "Canceled": "The task has been cancelled successfully.",
    "CancelAccepted": "The cancel request has been accepted; the task will be cancelled shortly.",
    "TaskComplete": "The task completed before the cancel request was processed.",
}


@dataclass
class Call:
    """What every API handler starts from."""

    store: GlobusStore
    identity: Identity
    now: datetime
    resource: str

    def request_id(self) -> str:
        return self.store.world.ids.token(6)

    def result(self, data_type: str, code: str, message: str, status: int = 200) -> JSONResponse:
        body = {
            "DATA_TYPE": data_type,
            "code": code,
            "message": message,
            "request_id": self.request_id(),
            "resource": self.resource,
        }
        return JSONResponse(body, status_code=status)


def _call(request: Request) -> Call:
    store = world_of(request).store(GlobusStore)
    now = store.world.catch_up()
    maintenance = store.maintenance_window(now)
    if maintenance is not None:
        end, message = maintenance
        raise service_unavailable(message, math.ceil((end - now).total_seconds()))
    identity = auth.authenticate(store, request.headers.get("authorization"), now)
    return Call(store, identity, now, resource_of(request))


def _task(call: Call, request: Request) -> Task:
    task_id = str(request.path_params["task_id"]).lower()
    task = call.store.tasks.get(task_id)
    if task is None or task.removed or task.owner.id != call.identity.id:
        raise task_not_found(request.path_params["task_id"])
    return task


def _collection(call: Call, request: Request, write: bool, path: str = "") -> Collection:
    collection = endpoints.find(call.store, request.path_params["endpoint_id"])
    endpoints.check_file_access(collection, call.identity, path, write)
    return collection


# -- submission -------------------------------------------------------------------------------------


async def get_submission_id(request: Request) -> Response:
    """GET /submission_id (doc 3.1)."""
    call = _call(request)
    return JSONResponse({"value": new_submission_id(call.store), "DATA_TYPE": "submission_id"})


async def submit_transfer_task(request: Request) -> Response:
    """POST /transfer (doc 3.2): 202 Accepted, or 200 Duplicate with the original task id."""
    call = _call(request)
    document = parse_transfer(await read_json_object(request))
    submitted = await accept(
        call.store, lambda now: transfer_submission(call.store, document, call.identity, now)
    )
    body = result_document(submitted, call.resource, call.request_id())
    return JSONResponse(body, status_code=200 if submitted.duplicate else 202)


async def submit_delete_task(request: Request) -> Response:
    """POST /delete (doc 3.3): same result codes as transfer."""
    call = _call(request)
    document = parse_delete(await read_json_object(request))
    submitted = await accept(
        call.store, lambda now: delete_submission(call.store, document, call.identity, now)
    )
    body = result_document(submitted, call.resource, call.request_id())
    return JSONResponse(body, status_code=200 if submitted.duplicate else 202)


# -- task monitoring ------------------------------------------------------------------------------


async def task_list(request: Request) -> Response:
    """GET /task_list: the caller's tasks, filtered, ordered and paged (limit/offset/total).

    In request-time order with at most a type filter (what clients ask by default), the page is a
    slice of the caller's history: only its own tasks are judged. Other filters and orders judge
    every task of the caller.
    """
    call = _call(request)
    params = request.query_params
    limit = queries.integer(params, "limit", 10, 1, queries.TASK_LIST_MAX)
    offset = queries.integer(params, "offset", 0, 0, 10**9)
    keep = queries.task_filter(params.get("filter"))
    orders = queries.ordering(params.get("orderby"), queries.TASK_FIELDS_ORDERABLE, "request_time DESC")
    kinds = queries.task_types(params.get("filter"))
    if kinds is not None and [o.field for o in orders] == ["request_time"]:
        history = call.store.history(call.identity.id, kinds) if kinds else []
        total = len(history)
        if orders[0].descending:  # ties (same instant): the latest submitted first
            chosen = history[max(total - offset - limit, 0) : max(total - offset, 0)][::-1]
        else:
            chosen = history[offset : offset + limit]
        docs = [t.document(call.now) for t in chosen]
    else:
        mine = call.store.history(call.identity.id, queries.TASK_TYPES)[:]
        if orders[0].descending:
            mine.reverse()  # ties (same instant) keep submission order in the requested direction
        docs = queries.sort_documents([d for d in (t.document(call.now) for t in mine) if keep(d)], orders)
        total = len(docs)
        docs = docs[offset : offset + limit]
    page = [queries.project(d, params.get("fields")) for d in docs]
    return JSONResponse(
        {
            "DATA_TYPE": "task_list",
            "DATA": page,
            "length": len(page),
            "limit": limit,
            "offset": offset,
            "total": total,
        }
    )


async def endpoint_manager_task_list(request: Request) -> Response:
    """GET /endpoint_manager/task_list: tasks on the collections the caller administers, last_key paging."""
    call = _call(request)
    listing = management.task_list(call.store, call.identity, request.query_params, call.now)
    return JSONResponse(_project_data(listing, request.query_params.get("fields")))


async def get_task(request: Request) -> Response:
    """GET /task/{task_id}: the task document."""
    call = _call(request)
    document = _task(call, request).document(call.now)
    return JSONResponse(queries.project(document, request.query_params.get("fields")))


async def update_task(request: Request) -> Response:
    """PUT /task/{task_id}: label and deadline, while the task runs."""
    call = _call(request)
    task = _task(call, request)
    update = parse_task_update(await read_json_object(request))
    if task.is_complete(call.now):
        raise GlobusError(409, "Conflict", f"Task '{task.task_id}' is complete and can no longer be updated")
    if update.deadline is not None and update.deadline <= call.now:
        raise GlobusError(
            400, "ClientError.BadRequest", "Invalid value for 'deadline': must be in the future"
        )
    task.update(update.label, update.label_given, update.deadline)
    return call.result("result", "Updated", "Updated task successfully")


async def cancel_task(request: Request) -> Response:
    """POST /task/{task_id}/cancel: `Canceled`, `CancelAccepted` (work in flight) or `TaskComplete`."""
    call = _call(request)
    code = _task(call, request).cancel(call.now, call.store.behaviour.cancel_delay)
    return call.result("result", code, CANCEL_MESSAGES[code])


async def remove_task(request: Request) -> Response:
    """POST /task/{task_id}/remove: drop a completed task from the caller's history."""
    call = _call(request)
    task = _task(call, request)
    if not task.is_complete(call.now):
        raise GlobusError(409, "Conflict", f"Task '{task.task_id}' is still active; cancel it first")
    call.store.forget(task)
    return call.result("result", "Removed", "The task has been removed")


async def task_event_list(request: Request) -> Response:
    """GET /task/{task_id}/event_list: newest first, `filter=is_error:1|0`, limit/offset/total."""
    call = _call(request)
    task = _task(call, request)
    keep = queries.event_filter(request.query_params.get("filter"))
    return JSONResponse(_event_page(task, call.now, request.query_params, keep))


def _event_page(
    task: Task, now: datetime, params: Mapping[str, str], keep: Callable[[bool], bool]
) -> dict[str, Any]:
    limit = queries.integer(params, "limit", 10, 1, 1000)
    offset = queries.integer(params, "offset", 0, 0, 10**9)
    events = [e.document() for e in task.events(now) if keep(e.is_error)]
    page = events[offset : offset + limit]
    return {
        "DATA_TYPE": "event_list",
        "DATA": page,
        "length": len(page),
        "limit": limit,
        "offset": offset,
        "total": len(events),
    }


def _project_data(listing: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """The `fields` common query parameter on a list: each document in DATA cut down, as in task_list."""
    return {**listing, "DATA": [queries.project(d, fields) for d in listing["DATA"]]}


def _marker(request: Request) -> int:
    return queries.integer(request.query_params, "marker", 0, 0, 2**62)


Endpoint = Callable[[Request], Awaitable[Response]]
Records = Callable[[Task, datetime, int, int], dict[str, Any]]


def _records_of(lookup: Callable[[Call, Request], Task], page: Records) -> Endpoint:
    """GET …/task/{task_id}/<records>: one marker-paged page of the task `lookup` finds (the
    owner's view or the endpoint manager's)."""

    async def endpoint(request: Request) -> Response:
        call = _call(request)
        task = lookup(call, request)
        return JSONResponse(page(task, call.now, _marker(request), call.store.behaviour.page_size))

    return endpoint


def _pause_info_of(lookup: Callable[[Call, Request], Task]) -> Endpoint:
    """GET …/task/{task_id}/pause_info: no pause rules are ever in force here."""

    async def endpoint(request: Request) -> Response:
        lookup(_call(request), request)
        return JSONResponse(PAUSE_INFO)

    return endpoint


task_successful_transfers = _records_of(_task, records.successful_transfers)  # files copied so far
task_skipped_errors = _records_of(_task, records.skipped_errors)  # skipped with skip_source_errors
task_pause_info = _pause_info_of(_task)


PAUSE_INFO: dict[str, Any] = {
    "DATA_TYPE": "pause_info_limited",
    "pause_rules": [],
    "source_pause_message": None,
    "destination_pause_message": None,
    "source_pause_message_share": None,
    "destination_pause_message_share": None,
}


# -- the endpoint manager's tasks -----------------------------------------------------------------


def _managed_task(call: Call, request: Request) -> Task:
    return management.managed_task(call.store, call.identity, str(request.path_params["task_id"]))


async def endpoint_manager_get_task(request: Request) -> Response:
    """GET /endpoint_manager/task/{task_id}: the task as its collections' manager sees it."""
    call = _call(request)
    document = management.manager_document(call.store, _managed_task(call, request), call.now)
    return JSONResponse(queries.project(document, request.query_params.get("fields")))


async def endpoint_manager_task_event_list(request: Request) -> Response:
    """GET /endpoint_manager/task/{task_id}/event_list: `filter_is_error=1` keeps the errors."""
    call = _call(request)
    task = _managed_task(call, request)
    errors_only = request.query_params.get("filter_is_error")
    if errors_only not in (None, "", "1"):
        raise GlobusError(400, "ClientError.BadRequest", "filter_is_error takes only 1: errors only")
    keep = (lambda is_error: is_error) if errors_only == "1" else (lambda is_error: True)
    return JSONResponse(_event_page(task, call.now, request.query_params, keep))


endpoint_manager_task_successful_transfers = _records_of(_managed_task, records.successful_transfers)
endpoint_manager_task_skipped_errors = _records_of(_managed_task, records.skipped_errors)
endpoint_manager_task_pause_info = _pause_info_of(_managed_task)


async def endpoint_manager_cancel_tasks(request: Request) -> Response:
    """POST /endpoint_manager/admin_cancel: an `admin_cancel` document with its id and `done`."""
    call = _call(request)
    document = parse_admin_tasks(await read_json_object(request), "admin_cancel", message=True)
    cancel = management.admin_cancel(call.store, call.identity, document, call.now)
    return JSONResponse(cancel.document(call.now))


async def endpoint_manager_cancel_status(request: Request) -> Response:
    """GET /endpoint_manager/admin_cancel/{admin_cancel_id}: the cancel, `done` as of now."""
    call = _call(request)
    cancel_id = str(request.path_params["admin_cancel_id"])
    return JSONResponse(management.cancel_status(call.store, call.identity, cancel_id).document(call.now))


async def endpoint_manager_pause_tasks(request: Request) -> Response:
    """POST /endpoint_manager/admin_pause: `PauseAccepted`."""
    call = _call(request)
    document = parse_admin_tasks(await read_json_object(request), "admin_pause", message=True)
    management.admin_pause(call.store, call.identity, document, call.now)
    return call.result("result", "PauseAccepted", "The tasks have been paused")


async def endpoint_manager_resume_tasks(request: Request) -> Response:
    """POST /endpoint_manager/admin_resume: `ResumeAccepted`."""
    call = _call(request)
    document = parse_admin_tasks(await read_json_object(request), "admin_resume", message=False)
    management.admin_resume(call.store, call.identity, document, call.now)
    return call.result("result", "ResumeAccepted", "The tasks have been resumed")


# -- endpoints and files --------------------------------------------------------------------------


async def get_endpoint(request: Request) -> Response:
    """GET /endpoint/{endpoint_id}."""
    call = _call(request)
    collection = endpoints.find(call.store, request.path_params["endpoint_id"])
    document = endpoints.document(call.store, collection, call.identity, call.now)
    return JSONResponse(queries.project(document, request.query_params.get("fields")))


async def endpoint_search(request: Request) -> Response:
    """GET /endpoint_search: fulltext, scope and the owner, host, entity type and non-functional
    filters; offset/limit with has_next_page."""
    call = _call(request)
    params = request.query_params
    limit = queries.integer(params, "limit", 25, 1, 100)
    offset = queries.integer(params, "offset", 0, 0, endpoints.SEARCH_MAX)
    text, scope = params.get("filter_fulltext", ""), params.get("filter_scope") or "all"
    owner, host = params.get("filter_owner_id"), params.get("filter_host_endpoint")
    filters = endpoints.SearchFilters(
        owner_id=owner.lower() if owner else None,
        host_endpoint=host.lower() if host else None,
        non_functional=queries.boolean(params, "filter_non_functional", False)
        if params.get("filter_non_functional")
        else None,
        entity_type=params.get("filter_entity_type") or None,
    )
    found = endpoints.search(call.store, call.identity, text, scope, (offset, limit), call.now, filters)
    return JSONResponse(_project_data(found, params.get("fields")))


async def endpoint_activation_requirements(request: Request) -> Response:
    """GET /endpoint/{endpoint_id}/activation_requirements (legacy activation, for older scripts)."""
    call = _call(request)
    return JSONResponse(
        activation.requirements(endpoints.find(call.store, request.path_params["endpoint_id"]))
    )


async def endpoint_autoactivate(request: Request) -> Response:
    """POST /endpoint/{endpoint_id}/autoactivate (legacy): `AlreadyActivated` or `AutoActivated.*`."""
    call = _call(request)
    collection = endpoints.find(call.store, request.path_params["endpoint_id"])
    code, message = activation.autoactivate(call.store, collection, call.now)
    body = {
        **activation.requirements(collection),
        "code": code,
        "message": message,
        "resource": call.resource,
        "request_id": call.request_id(),
        "DATA_TYPE": "activation_result",
    }
    return JSONResponse(body)


async def endpoint_activate(request: Request) -> Response:
    """POST /endpoint/{endpoint_id}/activate (legacy): the filled requirements are not checked."""
    call = _call(request)
    collection = endpoints.find(call.store, request.path_params["endpoint_id"])
    activation.activate(call.store, collection, call.now)
    body = {
        **activation.requirements(collection),
        "code": "Activated.BrowserCredential",
        "message": "Endpoint activated successfully",
        "resource": call.resource,
        "request_id": call.request_id(),
        "DATA_TYPE": "activation_result",
    }
    return JSONResponse(body)


async def endpoint_deactivate(request: Request) -> Response:
    """POST /endpoint/{endpoint_id}/deactivate (legacy): running tasks on it go INACTIVE."""
    call = _call(request)
    collection = endpoints.find(call.store, request.path_params["endpoint_id"])
    if "w" not in endpoints.access(collection, call.identity):
        raise permission_denied(collection.id)
    activation.deactivate(call.store, collection, call.now)
    return call.result("result", "Deactivated", "Endpoint deactivated successfully")


async def operation_ls(request: Request) -> Response:
    """GET /operation/endpoint/{endpoint_id}/ls."""
    call = _call(request)
    path = request.query_params.get("path", "")
    collection = _collection(call, request, False, path)
    filters = request.query_params.getlist("filter")
    listing = files.ls(collection, request.query_params, filters, call.store.data_faults, call.now)
    return JSONResponse(_project_data(listing, request.query_params.get("fields")))


async def operation_mkdir(request: Request) -> Response:
    """POST /operation/endpoint/{endpoint_id}/mkdir: 502 ExternalError.MkdirFailed.Exists if present."""
    call = _call(request)
    path = parse_mkdir(await read_json_object(request))
    files.mkdir(_collection(call, request, True, path), path, call.store.world.catch_up())
    return call.result("mkdir_result", "DirectoryCreated", "The directory was created successfully")


async def operation_rename(request: Request) -> Response:
    """POST /operation/endpoint/{endpoint_id}/rename."""
    call = _call(request)
    old, new = parse_rename(await read_json_object(request))
    files.rename(call.store, _collection(call, request, True, old), old, new, call.store.world.catch_up())
    return call.result("result", "FileRenamed", "File or directory renamed successfully")


async def operation_stat(request: Request) -> Response:
    """GET /operation/endpoint/{endpoint_id}/stat?path=."""
    call = _call(request)
    path = request.query_params.get("path") or "/~/"
    document = files.stat(_collection(call, request, False, path), path, call.now)
    return JSONResponse(queries.project(document, request.query_params.get("fields")))


# -- auth -----------------------------------------------------------------------------------------


def _issue_token(request: Request, credentials: ClientCredentials) -> dict[str, Any]:
    """POST /v2/oauth2/token: client credentials (HTTP Basic or form), as globus-cli sends them."""
    store = world_of(request).store(GlobusStore)
    return auth.issue_token(store, credentials, store.world.catch_up())


_TASK = "/task/{task_id}"
_MANAGED = "/endpoint_manager/task/{task_id}"
_ENDPOINT = "/endpoint/{endpoint_id}"
_OPERATION = "/operation/endpoint/{endpoint_id}"
API_ROUTES = [
    Route("/submission_id", get_submission_id, methods=["GET"], name="get_submission_id"),
    Route("/transfer", submit_transfer_task, methods=["POST"], name="submit_transfer"),
    Route("/delete", submit_delete_task, methods=["POST"], name="submit_delete"),
    Route("/task_list", task_list, methods=["GET"], name="task_list"),
    Route(
        "/endpoint_manager/task_list",
        endpoint_manager_task_list,
        methods=["GET"],
        name="endpoint_manager_task_list",
    ),
    Route(_MANAGED, endpoint_manager_get_task, methods=["GET"], name="endpoint_manager_get_task"),
    Route(
        f"{_MANAGED}/event_list",
        endpoint_manager_task_event_list,
        methods=["GET"],
        name="endpoint_manager_task_event_list",
    ),
    Route(
        f"{_MANAGED}/successful_transfers",
        endpoint_manager_task_successful_transfers,
        methods=["GET"],
        name="endpoint_manager_task_successful_transfers",
    ),
    Route(
        f"{_MANAGED}/skipped_errors",
        endpoint_manager_task_skipped_errors,
        methods=["GET"],
        name="endpoint_manager_task_skipped_errors",
    ),
    Route(
        f"{_MANAGED}/pause_info",
        endpoint_manager_task_pause_info,
        methods=["GET"],
        name="endpoint_manager_task_pause_info",
    ),
    Route(
        "/endpoint_manager/admin_cancel",
        endpoint_manager_cancel_tasks,
        methods=["POST"],
        name="endpoint_manager_cancel_tasks",
    ),
    Route(
        "/endpoint_manager/admin_cancel/{admin_cancel_id}",
        endpoint_manager_cancel_status,
        methods=["GET"],
        name="endpoint_manager_cancel_status",
    ),
    Route(
        "/endpoint_manager/admin_pause",
        endpoint_manager_pause_tasks,
        methods=["POST"],
        name="endpoint_manager_pause_tasks",
    ),
    Route(
        "/endpoint_manager/admin_resume",
        endpoint_manager_resume_tasks,
        methods=["POST"],
        name="endpoint_manager_resume_tasks",
    ),
    Route(_TASK, get_task, methods=["GET"], name="get_task"),
    Route(_TASK, update_task, methods=["PUT"], name="update_task"),
    Route(f"{_TASK}/cancel", cancel_task, methods=["POST"], name="cancel_task"),
    Route(f"{_TASK}/remove", remove_task, methods=["POST"], name="remove_task"),
    Route(f"{_TASK}/event_list", task_event_list, methods=["GET"], name="task_event_list"),
    Route(
        f"{_TASK}/successful_transfers",
        task_successful_transfers,
        methods=["GET"],
        name="task_successful_transfers",
    ),
    Route(f"{_TASK}/skipped_errors", task_skipped_errors, methods=["GET"], name="task_skipped_errors"),
    Route(f"{_TASK}/pause_info", task_pause_info, methods=["GET"], name="task_pause_info"),
    Route("/endpoint/{endpoint_id}", get_endpoint, methods=["GET"], name="get_endpoint"),
    Route("/endpoint_search", endpoint_search, methods=["GET"], name="endpoint_search"),
    Route(
        f"{_ENDPOINT}/activation_requirements",
        endpoint_activation_requirements,
        methods=["GET"],
        name="endpoint_activation_requirements",
    ),
    Route(f"{_ENDPOINT}/autoactivate", endpoint_autoactivate, methods=["POST"], name="endpoint_autoactivate"),
    Route(f"{_ENDPOINT}/activate", endpoint_activate, methods=["POST"], name="endpoint_activate"),
    Route(f"{_ENDPOINT}/deactivate", endpoint_deactivate, methods=["POST"], name="endpoint_deactivate"),
    Route(f"{_OPERATION}/ls", operation_ls, methods=["GET"], name="operation_ls"),
    Route(f"{_OPERATION}/mkdir", operation_mkdir, methods=["POST"], name="operation_mkdir"),
    Route(f"{_OPERATION}/rename", operation_rename, methods=["POST"], name="operation_rename"),
    Route(f"{_OPERATION}/stat", operation_stat, methods=["GET"], name="operation_stat"),
]
AUTH_ROUTES = [Route("/token", token_endpoint(_issue_token), methods=["POST"], name="oauth2_token")]
