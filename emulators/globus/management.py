"""The endpoint manager's task list (GET /endpoint_manager/task_list): tasks on collections the
caller administers, whoever submitted them, a page at a time with `last_key` paging.

The caller administers a collection it owns, and a guest collection whose host it owns. The filters
and their rules are those globus-sdk's `endpoint_manager_task_list` documents: `filter_task_id`
(at most 50 ids) combines with no other filter; unless `filter_status` asks for running tasks only
(ACTIVE, INACTIVE), `filter_task_id` or `filter_endpoint` is required, and `filter_owner_id` needs
`filter_endpoint`; `filter_endpoint_use` (source or destination) needs `filter_endpoint`.
Tasks come newest first; `last_key` is the id of the last task of the page before.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from emulators.globus import queries
from emulators.globus.endpoints import canonical_name
from emulators.globus.errors import bad_request
from emulators.globus.scenario import GUEST_TYPES, Identity
from emulators.globus.store import Collection, GlobusStore
from emulators.globus.tasks import Task

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
