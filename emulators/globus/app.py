"""The Globus Transfer API emulator: its sub-apps, error handling and scenario wiring.

Mounted under the real prefixes: `/v0.10` (the Transfer API; clients use the server root as their
base URL and put `/v0.10` in every path) and `/v2/oauth2` (the Auth token endpoint, client
credentials only, so globus-cli can log in headlessly).

Known deviations from the real service (the docs are silent; these are our choices):
- `Accepted` is 202 and `Duplicate` 200; a duplicate is answered before any endpoint check, so a
  resubmit still gets the original task id after an endpoint was deactivated. Submission ids are
  compared as UUIDs (an upper-cased copy is the same id, as task and endpoint ids are), and across
  kinds: a `/delete` reusing a transfer's id is a `Duplicate` of that transfer (doc 3.2.4 speaks of
  "a transfer or delete submission with the same submission id").
- Maintenance 503s carry `Retry-After`: the seconds left in the window. A deleted host endpoint is
  404 `EndpointNotFound` everywhere (its guests answer 409 `Conflict`, doc 3.2.5). An empty label
  is no label (null).
- The destination is laid out when the task is submitted (sync levels, filters and extras are judged
  against the trees at that instant), not when the task starts.
- A file item's `external_checksum` that differs from the source file's checksum fails the task at
  once with EXTERNAL_CHECKSUM_MISMATCH. `source_local_user` / `destination_local_user` (a delete's
  `local_user`, shown as the source's) appear on the task with status `OK`: any identity may act as
  any local account. `notify_on_*` are checked and kept, not shown: the real task captures show none.
- A missing source, a wrong item kind or a data-fault code FILE_NOT_FOUND / PERMISSION_DENIED /
  INVALID_SYMLINK / NOT_A_DIRECTORY / IS_A_DIRECTORY fails the task at once (the real service retries
  some of them until the deadline); other data-fault codes are retried once and succeed.
- `nice_status` is `Queued`, `OK`, the code of a transient error while its step is retried, or
  (INACTIVE) `NO_CREDENTIALS`; `subtasks_*` counts one subtask
  for the expansion and one per file, directory or removal, which is plausible rather than the real
  internal accounting; a file error that fails the task counts the subtasks it leaves undone as
  failed (so the counts add up to the total) and is one fault.
- Updating a completed task and removing an active one answer 409 `Conflict`. A cancel of a task with
  work in flight answers `CancelAccepted` and takes effect `behaviour.cancel_delay` seconds later
  (the task may still succeed meanwhile); a queued or INACTIVE task is `Canceled` during the call.
- Per-file records show `/~/` expanded to the collection's home. An error's details follow the real
  shape (`Error (operation)`, `Endpoint:`, `File:`, `Command:`, then the endpoint's `550-GlobusError:
  v=1 c=...` reply); the reply's class for codes other than FILE_NOT_FOUND (PATH_NOT_FOUND), its
  errno and text lines are our reading. A mkdir whose parent is missing is 502
  `ExternalError.MkdirFailed.PermissionDenied` with "No such file or directory" in that shape.
- Of the endpoint_manager API the task routes are served (task_list, one task with its events,
  successful transfers, skipped errors and pause info, admin_cancel and its status, admin_pause,
  admin_resume), not the endpoint, ACL or pause-rule ones: the caller manages the collections it
  owns and the guests of hosts it owns (no roles to grant); `last_key` is the id of the page's last
  task; a removed task stays listed with `history_deleted` true. An admin_cancel cancels as the
  owner's cancel does; its `id` counts from 1 and only its maker reads it back. An admin-paused
  task is ACTIVE with nice_status `PAUSED` (is_ok false); an event list's `filter_is_error=0` (which
  globus-sdk calls unsupported) is a 400. One unmanaged or unknown task refuses the whole request.
- Error codes for statuses the docs do not name: 405 `ClientError.BadMethod`, 500
  `ServerError.InternalError`; `request_id` is a seeded hex string.
- Legacy activation needs no credentials: `autoactivate` and `activate` always succeed. An endpoint
  whose activation expires (timeline `expire_activation`, or `deactivate`) pauses its tasks
  (INACTIVE, nice_status NO_CREDENTIALS) until it is activated again. A task without a client
  deadline (flexible) expires at the first instant from its shown deadline on at which it is INACTIVE.
- `endpoint_search` ranks every hit 1.0 and sorts by display name; no endpoint a scenario declares
  is non-functional, so `filter_non_functional=1` finds nothing; an unknown `filter_host_endpoint`
  is 400 `ClientError.BadRequest` (globus-sdk allows BadRequest or PermissionDenied). No pause rules
  are ever in force.
- Maintenance windows answer every Transfer API operation with 503 `ServiceUnavailable` (before the
  token is checked); the Auth token endpoint and unknown paths are not affected.
- A symlink is followed as the last component of an `ls` path, not in the middle of one. `ls` takes
  at most 100 filter terms (clauses and comma-separated values over all `filter` parameters; more
  is 400 `ClientError.BadRequest`), so a listing's work stays proportional to its entries.
- Submissions are planned one at a time, so a submission waits for the ones before it; the task's
  `request_time` is the instant its planning began.
- A destination type conflict (IS_A_DIRECTORY, NOT_A_DIRECTORY) fails the task even with
  skip_source_errors, which the reference limits to FILE_NOT_FOUND and PERMISSION_DENIED. It is
  judged at submission against the destination as the task's own earlier steps and the tasks still
  running there will leave it: their remaining writes count as done first (they were submitted
  first), even where one of them would in fact land after the new task's step.
- A folder renamed mid-task (the rename operation, or the timeline action `rename_path`) fails the
  task's steps below the old path that are not done yet with FILE_NOT_FOUND, at once (the real
  service may retry until the deadline); a destination's fails the task, a source's is skipped under
  skip_source_errors, as for a task still queued (its plan was made at submission). A delete task's
  removals below a renamed path are not failed: they remove nothing and succeed.
- A recursive delete of a collection's root is refused with 400 `ClientError.BadRequest`; `stat` of
  the root names it `/`; file operations on an endpoint that is not activated answer 409
  `NoCredException`, like submissions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from emulators.core.host import Host, world_of
from emulators.core.metrics import census
from emulators.core.service import ErrorAnswer, Progress, Service, lazy_mounts
from emulators.core.world import World
from emulators.globus.activation import ACTIONS
from emulators.globus.errors import API_VERSION, SERVER_ERROR_CODE, render_error, resource_of
from emulators.globus.scenario import GlobusSection
from emulators.globus.store import GlobusStore, new_store, summary

AUTH_PREFIX = "/v2/oauth2"


def _request_id(request: Request) -> str:
    return world_of(request).ids.token(6)


def _render_error(request: Request, answer: ErrorAnswer) -> Response:
    """Every error as the documented `{code, message, request_id, resource}` document."""
    resource = resource_of(request)
    if answer.kind == "server_error":  # no request id: the World may be what failed
        return render_error(500, "An unexpected error occurred.", SERVER_ERROR_CODE, resource)
    message = f"No such resource '{resource}'" if answer.kind == "not_found" else answer.message
    return render_error(
        answer.status, message, answer.code, resource, _request_id(request), dict(answer.headers)
    )


def _routes_at(prefix: str) -> Sequence[BaseRoute]:
    # Imported on the prefix's first request, not at start-up (see `lazy_mounts`).
    from emulators.globus.routes import API_ROUTES, AUTH_ROUTES

    return {API_VERSION: API_ROUTES, AUTH_PREFIX: AUTH_ROUTES}[prefix]


def routes(host: Host) -> list[BaseRoute]:
    return lazy_mounts(host, (API_VERSION, AUTH_PREFIX), _routes_at, _render_error)


def _rename_path(world: World, args: Mapping[str, Any], at: datetime) -> None:
    """The timeline action `rename_path`, done as the rename operation does it. The file operations
    are imported when a timeline first renames, as the routes are on their prefix's first request."""
    from emulators.globus.files import rename_path

    rename_path(world, args, at)


def build_store(world: World, section: GlobusSection | None) -> GlobusStore:
    return new_store(world, section or GlobusSection())


def describe(store: Any, base: str) -> list[str]:
    assert isinstance(store, GlobusStore)
    lines = [
        f"Transfer API:   {base}{API_VERSION}  (clients: base_url={base}/)",
        f"token endpoint: {base}{AUTH_PREFIX}/token",
    ]
    lines += [
        f"client:         {cid} / {secret} ({identity.username})"
        for cid, (secret, identity) in store.clients.items()
    ]
    lines += [f"bearer token:   {token} ({grant.principal.username})" for token, grant in store.tokens]
    lines += [
        f"endpoint:       {c.id} {c.spec.display_name} ({c.spec.entity_type})"
        for c in store.collections.values()
    ]
    return lines


SERVICE = Service(
    name="globus",
    section=GlobusSection,
    build_store=build_store,
    routes=routes,
    render_error=_render_error,
    actions={**ACTIONS, "rename_path": _rename_path},
    summary=summary,
    describe=describe,
    census=census("tasks", lambda task, now: task.status(now)[0]),
    progress=Progress(
        "status",
        ("subtasks_succeeded", "subtasks_skipped_errors", "subtasks_failed"),
        "subtasks_total",
        "subtasks",
    ),
)
