"""The endpoint manager's view of tasks: the task list (GET /endpoint_manager/task_list), one task
and its records (GET /endpoint_manager/task/{id}/...), and admin_cancel, admin_pause and
admin_resume: tasks on collections the caller administers, whoever submitted them.

The caller administers a collection it owns, and a guest collection whose host it owns. The filters
and their rules are those globus-sdk's `endpoint_manager_task_list` documents: `filter_task_id`
(at most 50 ids) combines with no other filter; unless `filter_status` asks for running tasks only
(ACTIVE, INACTIVE), `filter_task_id` or `filter_endpoint` is required, and `filter_owner_id` needs
`filter_endpoint`; `filter_endpoint_use` (source or destination) needs `filter_endpoint`.
Tasks come newest first; `last_key` is the id of the last task of the page before.

A task the caller administers neither side of is 403 PermissionDenied, even to its owner (as the
real service answers, reference: globus-sdk's tests against it); an admin_cancel is an `admin_cancel`
document whose `done` says whether every task named has ended, readable again by its id; a pause
and a resume answer `PauseAccepted` and `ResumeAccepted`. Cancels and pauses take the task owner's
paths: a cancel with work in flight takes effect `behaviour.cancel_delay` seconds later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulators.globus import queries
from emulators.globus.endpoints import canonical_name
from emulators.globus.errors import GlobusError, bad_request, not_found, task_not_found
from emulators.globus.models import AdminTasks
from emulators.globus.scenario import GUEST_TYPES, Identity
from emulators.globus.store import Collection, GlobusStore
from emulators.globus.tasks import AdminSide, Task

TASK_IDS_MAX = 50
STATUSES = frozenset({"ACTIVE", "INACTIVE", "SUCCEEDED", "FAILED"})
RUNNING = frozenset({"ACTIVE", "INACTIVE"})


def administers(identity: Identity, collection: Collection) -> bool:
    return identity.username in (
        collection.spec.owner,
        collection.host.spec.owner if collection.host else None,
    )


def _collections(task: Task) -> list[tuple[str, Collection]]:
    sides = [("source", task.source)]
    return sides + ([("destination", task.destination)] if task.destination is not None else [])


def _side(store: GlobusStore, side: str, collection: Collection | None) -> dict[str, Any]:
    """The host and mapped-collection fields the manager's view adds (reference 5, task fields)."""
    host = collection.host if collection is not None else None
    guest = collection is not None and collection.spec.entity_type in GUEST_TYPES
    return {
        f"{side}_host_endpoint": canonical_name(store, host) if host else None,
        f"{side}_host_endpoint_id": host.id if host else None,
        f"{side}_host_endpoint_display_name": host.spec.display_name if host else None,
        f"{side}_host_path": collection.spec.host_path if guest and collection is not None else None,
        f"{side}_mapped_collection_id": host.id if host else None,
        f"{side}_mapped_collection_display_name": host.spec.display_name if host else None,
    }


def manager_document(store: GlobusStore, task: Task, at: datetime) -> dict[str, Any]:
    """A task as the endpoint manager sees it: the task document, its owner and the hosts."""
    return {
        **task.document(at),
        "owner_string": task.owner.username,
        "history_deleted": task.removed,
        **_side(store, "source", task.source),
        **_side(store, "destination", task.destination),
    }


def _values(params: Mapping[str, str], name: str) -> list[str]:
    return [v for v in (params.get(name) or "").split(",") if v]


def _check(params: Mapping[str, str], statuses: set[str], task_ids: list[str]) -> None:
    """The combinations globus-sdk's `endpoint_manager_task_list` documents as refused (400)."""
    given = {name for name, value in params.items() if name.startswith("filter_") and value}
    if statuses - STATUSES:
        raise bad_request(f"Invalid filter_status: statuses are {', '.join(sorted(STATUSES))}")
    if task_ids and given - {"filter_task_id"}:
        raise bad_request("filter_task_id cannot be combined with any other filter")
    if len(task_ids) > TASK_IDS_MAX:
        raise bad_request(f"filter_task_id takes at most {TASK_IDS_MAX} task ids")
    running_only = bool(statuses) and statuses <= RUNNING
    if not running_only and not task_ids and "filter_endpoint" not in given:
        raise bad_request(
            "filter_task_id or filter_endpoint is required unless filter_status is ACTIVE,INACTIVE"
        )
    if "filter_endpoint_use" in given and "filter_endpoint" not in given:
        raise bad_request("filter_endpoint_use needs filter_endpoint")
    if params.get("filter_endpoint_use") not in (None, "", "source", "destination"):
        raise bad_request("Invalid filter_endpoint_use: 'source' or 'destination'")


def task_list(
    store: GlobusStore, identity: Identity, params: Mapping[str, str], at: datetime
) -> dict[str, Any]:
    """GET /endpoint_manager/task_list."""
    statuses = {s.upper() for s in _values(params, "filter_status")}
    task_ids = [t.lower() for t in _values(params, "filter_task_id")]
    _check(params, statuses, task_ids)
    limit = queries.integer(params, "limit", queries.TASK_LIST_MAX, 1, queries.TASK_LIST_MAX)
    min_faults = queries.integer(params, "filter_min_faults", 0, 0, 2**31)
    endpoint = (params.get("filter_endpoint") or "").lower()
    use, owner = params.get("filter_endpoint_use") or None, (params.get("filter_owner_id") or "").lower()

    def kept(task: Task) -> bool:
        sides = _collections(task)
        if not any(administers(identity, c) for _, c in sides):
            return False
        if task_ids and task.task_id not in task_ids:
            return False
        if endpoint and not any(
            endpoint in (c.id, c.host.id if c.host else None) and use in (None, side) for side, c in sides
        ):
            return False
        if owner and task.owner.id != owner:
            return False
        if statuses and task.status(at)[0] not in statuses:
            return False
        return not min_faults or task.counters(at)["faults"] >= min_faults

    newest_first = list(reversed(store.tasks.values()))
    start = 0
    last_key = params.get("last_key")
    if last_key:
        start = next((n + 1 for n, task in enumerate(newest_first) if task.task_id == last_key), -1)
        if start < 0:
            raise bad_request(f"Invalid last_key '{last_key[:64]}'")
    page: list[Task] = []
    more = False
    for task in newest_first[start:]:
        if kept(task):
            if len(page) == limit:
                more = True
                break
            page.append(task)
    return {
        "DATA_TYPE": "task_list",
        "DATA": [manager_document(store, task, at) for task in page],
        "has_next_page": more,
        "last_key": page[-1].task_id if page else None,
    }


def managed_task(store: GlobusStore, identity: Identity, task_id: str) -> Task:
    """A task the caller administers a side of (404 if there is none, 403 if it is not theirs to
    manage, whoever submitted it)."""
    task = store.tasks.get(task_id.lower())
    if task is None:
        raise task_not_found(task_id)
    if not any(administers(identity, c) for _, c in _collections(task)):
        raise GlobusError(403, "PermissionDenied", f"No permission to manage task '{task.task_id}'")
    return task


def _managed(store: GlobusStore, identity: Identity, request: AdminTasks) -> list[Task]:
    """Every task named, all checked before any is changed."""
    return [managed_task(store, identity, task_id) for task_id in request.task_ids]


def _admin_side(identity: Identity, task: Task) -> AdminSide:
    """Which side of the task the caller's role covers (the task's `canceled_by_admin`)."""
    source = administers(identity, task.source)
    destination = task.destination is not None and administers(identity, task.destination)
    return "BOTH" if source and destination else "SOURCE" if source else "DESTINATION"


@dataclass
class AdminCancel:
    """One admin_cancel: its id, who asked and which tasks."""

    id: int
    identity: Identity
    message: str
    tasks: list[Task]

    def document(self, at: datetime) -> dict[str, Any]:
        return {
            "DATA_TYPE": "admin_cancel",
            "id": self.id,
            "message": self.message,
            "task_id_list": [task.task_id for task in self.tasks],
            "done": all(task.is_complete(at) for task in self.tasks),
        }


def admin_cancel(store: GlobusStore, identity: Identity, request: AdminTasks, at: datetime) -> AdminCancel:
    """POST /endpoint_manager/admin_cancel: cancel each task still running, as its owner's cancel
    would, noting the manager's side and message on it."""
    tasks = _managed(store, identity, request)
    message = request.message or ""
    for task in tasks:
        if not task.is_complete(at) and task.canceled_at is None:  # else: canceled already
            task.canceled_by_admin, task.canceled_by_admin_message = _admin_side(identity, task), message
            task.cancel(at, store.behaviour.cancel_delay)
    cancel = AdminCancel(len(store.admin_cancels) + 1, identity, message, tasks)
    store.admin_cancels[cancel.id] = cancel
    return cancel


def cancel_status(store: GlobusStore, identity: Identity, cancel_id: str) -> AdminCancel:
    """GET /endpoint_manager/admin_cancel/{id}: an admin_cancel the caller made."""
    cancel = store.admin_cancels.get(int(cancel_id)) if cancel_id.isdigit() else None
    if cancel is None or cancel.identity.id != identity.id:
        raise not_found(f"No admin_cancel found with id '{cancel_id[:64]}'")
    return cancel


def admin_pause(store: GlobusStore, identity: Identity, request: AdminTasks, at: datetime) -> None:
    """POST /endpoint_manager/admin_pause: each running task stops making progress."""
    for task in _managed(store, identity, request):
        if not task.is_complete(at):
            task.admin_pause(at, request.message or "")


def admin_resume(store: GlobusStore, identity: Identity, request: AdminTasks, at: datetime) -> None:
    """POST /endpoint_manager/admin_resume: each paused task goes on where it stopped."""
    for task in _managed(store, identity, request):
        if not task.is_complete(at):
            task.admin_resume(at)
