"""Submitting transfer and delete tasks (doc section 3): checks against the World, then the task.

Order of the checks: the document (models.py), then a used submission id (a `Duplicate` that creates
nothing, doc 3.2.4), then each endpoint: found (404 EndpointNotFound), usable by the caller (403
PermissionDenied), its host not deleted (409 Conflict), activated (409 NoCredException).

Planning a big directory, and attaching its task to the file system it changes, is long work, so a
submission is chunked (`plan.Chunked`): the server runs it a chunk at a time (`accept`), answering
other requests in between. Submissions run one at a time (the store's `submitting` lock), so the
check for a used submission id and the task it guards are never split by another submission, and
concurrent resubmits of one id make one task. A rename made between two chunks reaches the task once
it exists, as it reaches the tasks already running (`Task.lose`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulators.globus import endpoints
from emulators.globus.deletion import delete_plan
from emulators.globus.errors import bad_request
from emulators.globus.models import Common, DeleteDocument, TransferDocument
from emulators.globus.plan import Chunked, complete, in_chunks, transfer_plan
from emulators.globus.scenario import Identity
from emulators.globus.store import Collection, GlobusStore
from emulators.globus.tasks import Task, create_task

ACCEPTED_MESSAGES = {
    "TRANSFER": "The transfer has been accepted and a task has been created and queued for execution",
    "DELETE": "The delete has been accepted and a task has been created and queued for execution",
}
DUPLICATE_MESSAGE = "A transfer or delete submission with the same submission id has already been accepted"


@dataclass(frozen=True)
class Submitted:
    task: Task
    duplicate: bool


def new_submission_id(store: GlobusStore) -> str:
    """GET /submission_id: a fresh id (doc 3.1); it is used up by the first submission that names it."""
    return store.world.ids.uuid()


def _duplicate(store: GlobusStore, common: Common, identity: Identity) -> Submitted | None:
    """Doc 3.2.4: the caller's own earlier submission with this id (another identity's does not count)."""
    task_id = store.submitted(identity.id, common.submission_id)
    return Submitted(store.tasks[task_id], True) if task_id is not None else None


def _check_deadline(common: Common, now: datetime) -> None:
    if common.deadline is not None and common.deadline <= now:
        raise bad_request("Invalid value for 'deadline': must be in the future")


def _check_not_root(doc: DeleteDocument, collection: Collection) -> None:
    """A recursive delete of the collection's root would empty it: refused (the docs are silent)."""
    for n, path in enumerate(doc.paths):
        if doc.recursive and endpoints.resolve(collection, path) == collection.root:
            raise bad_request(f"Invalid value for 'DATA[{n}].path': the collection root cannot be deleted")


def _encrypted(requested: bool, *collections: Collection) -> bool:
    """Doc 2.3, encrypt_data: forced by either endpoint or, for shared endpoints, by its host."""
    hosts = [c.host for c in collections if c.host is not None]
    return requested or any(c.spec.force_encryption for c in (*collections, *hosts))


def transfer_submission(
    store: GlobusStore, doc: TransferDocument, identity: Identity, now: datetime
) -> Chunked[Submitted]:
    """POST /transfer (doc 3.2)."""
    duplicate = _duplicate(store, doc.common, identity)
    if duplicate is not None:
        return duplicate
    _check_deadline(doc.common, now)
    source = endpoints.find(store, doc.source_endpoint)
    destination = endpoints.find(store, doc.destination_endpoint)
    endpoints.check_usable(source, identity, write=False)
    endpoints.check_usable(destination, identity, write=True)
    renames_before = len(store.renames)
    plan = yield from transfer_plan(doc, source, destination, store.data_faults, now)
    options: dict[str, Any] = {
        "sync_level": doc.sync_level,
        "encrypt_data": _encrypted(doc.encrypt_data, source, destination),
        "verify_checksum": doc.verify_checksum,
        "preserve_timestamp": doc.preserve_timestamp,
        "delete_destination_extra": doc.delete_destination_extra,
        "recursive_symlinks": doc.recursive_symlinks,
        "filter_rules": _filter_rules(doc),
        "skip_source_errors": doc.skip_source_errors,
        "fail_on_quota_errors": doc.fail_on_quota_errors,
        **_local_users(doc.common),
    }
    task = yield from create_task(
        store,
        kind="TRANSFER",
        owner=identity,
        submission_id=doc.common.submission_id,
        label=doc.common.label,
        deadline=doc.common.deadline,
        source=source,
        destination=destination,
        options=options,
        plan=plan,
        now=now,
    )
    for fs, path, at in store.renames[renames_before:]:  # made between two chunks of this submission
        task.lose(fs, path, at)
    return Submitted(task, False)


def _local_users(common: Common) -> dict[str, str | None]:
    """Reference 5, task document: `*_local_user` as submitted, `*_local_user_status` "OK" then
    (every identity may act as any local account here)."""
    return {
        f"{side}_local_user{suffix}": (user if suffix == "" else "OK") if user is not None else None
        for side, user in (
            ("source", common.source_local_user),
            ("destination", common.destination_local_user),
        )
        for suffix in ("", "_status")
    }


def _filter_rules(doc: TransferDocument) -> list[dict[str, Any]] | None:
    if doc.filter_rules is None:
        return None
    return [
        {"DATA_TYPE": "filter_rule", "method": r.method, "name": r.name, "type": r.type}
        for r in doc.filter_rules
    ]


def delete_submission(
    store: GlobusStore, doc: DeleteDocument, identity: Identity, now: datetime
) -> Chunked[Submitted]:
    """POST /delete (doc 3.3)."""
    duplicate = _duplicate(store, doc.common, identity)
    if duplicate is not None:
        return duplicate
    _check_deadline(doc.common, now)
    collection = endpoints.find(store, doc.endpoint)
    endpoints.check_usable(collection, identity, write=True)
    _check_not_root(doc, collection)
    plan = yield from delete_plan(doc, collection, store.data_faults, now)
    options: dict[str, Any] = {
        "sync_level": None,
        "encrypt_data": False,
        "verify_checksum": False,
        "preserve_timestamp": False,
        "delete_destination_extra": False,
        "recursive_symlinks": None,
        "filter_rules": None,
        "skip_source_errors": False,
        "fail_on_quota_errors": False,
        **_local_users(doc.common),
    }
    task = yield from create_task(
        store,
        kind="DELETE",
        owner=identity,
        submission_id=doc.common.submission_id,
        label=doc.common.label,
        deadline=doc.common.deadline,
        source=collection,
        destination=None,
        options=options,
        plan=plan,
        now=now,
    )
    return Submitted(task, False)


def submit_transfer(
    store: GlobusStore, doc: TransferDocument, identity: Identity, now: datetime
) -> Submitted:
    """A whole transfer submission at the instant `now`, without pauses."""
    return complete(transfer_submission(store, doc, identity, now))


def submit_delete(store: GlobusStore, doc: DeleteDocument, identity: Identity, now: datetime) -> Submitted:
    """A whole delete submission at the instant `now`, without pauses."""
    return complete(delete_submission(store, doc, identity, now))


async def accept(store: GlobusStore, submission: Callable[[datetime], Chunked[Submitted]]) -> Submitted:
    """Run one submission in chunks, after the ones before it; it is judged at the instant it starts."""
    async with store.submitting:
        return await in_chunks(submission(store.world.catch_up()))


def result_document(submitted: Submitted, resource: str, request_id: str) -> dict[str, Any]:
    """Doc 3.2 / 3.3 response body."""
    task = submitted.task
    return {
        "DATA_TYPE": "transfer_result" if task.type == "TRANSFER" else "delete_result",
        "task_id": task.task_id,
        "submission_id": task.submission_id,
        "code": "Duplicate" if submitted.duplicate else "Accepted",
        "message": DUPLICATE_MESSAGE if submitted.duplicate else ACCEPTED_MESSAGES[task.type],
        "resource": resource,
        "request_id": request_id,
        "task_link": {
            "DATA_TYPE": "link",
            "href": f"task/{task.task_id}?format=json",
            "rel": "related",
            "resource": "task",
            "title": "related task",
        },
    }
