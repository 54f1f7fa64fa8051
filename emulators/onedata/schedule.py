"""Creating, cancelling, rerunning and listing transfers: the steps after a request is sanitized.

Reference 1.1, processing order after sanitizing: authorize (401 for a guest, 403 without the
privileges or outside the space), validate (space support by this provider, then by the replicating
provider, then by the evicting one; the view on those providers), then create (404 for a missing
file, `posix` errors for what the target storage refuses).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from emulators.core.engine import RateModel
from emulators.onedata.auth import authenticated, require
from emulators.onedata.errors import (
    bad_value_empty,
    bad_value_integer,
    bad_value_not_allowed,
    bad_value_not_in_range,
    forbidden,
    not_found,
    posix,
    space_not_supported_by,
    transfer_already_ended,
    transfer_not_ended,
    view_not_exists_on,
)
from emulators.onedata.file_id import new_datastore_key
from emulators.onedata.models import CreateRequest
from emulators.onedata.plans import eviction_plan, replication_plan
from emulators.onedata.scenario import User
from emulators.onedata.spaces import Node, SpaceState, parse_objectid
from emulators.onedata.store import OnedataStore
from emulators.onedata.transfers import ENDED, Timing, TransferJob

SCHEDULE = {"replication": "space_schedule_replication", "eviction": "space_schedule_eviction"}
CANCEL = {"replication": "space_cancel_replication", "eviction": "space_cancel_eviction"}


def _privileges(kind: str, table: dict[str, str]) -> list[str]:
    return [table[k] for k in ("replication", "eviction") if kind in (k, "migration")]


def create_transfer(
    store: OnedataStore, user: User | None, request: CreateRequest, now: datetime
) -> TransferJob:
    """A new transfer from a sanitized request, or the first error in the real order."""
    uuid = None
    if request.file_id is not None:
        parsed = parse_objectid(request.file_id)
        assert parsed is not None  # the sanitizer checked it
        space_id, uuid = parsed
    else:
        assert request.space_id is not None
        space_id = request.space_id
    privileges = _privileges(request.type, SCHEDULE)
    if request.view_name is not None:
        privileges.append("space_query_views")
    user = require(user, space_id, *privileges)
    space = _supported(store, space_id, request.replicating_provider_id, request.evicting_provider_id)
    if request.view_name is not None:
        return _create(store, user, space, request, None, now)
    node = space.node(uuid or "")
    if node is None:
        raise not_found()
    return _create(store, user, space, request, node, now)


def _supported(store: OnedataStore, space_id: str, *providers: str | None) -> SpaceState:
    space = store.spaces.get(space_id)
    if space is None:
        raise forbidden()  # reference 1.1: a space this provider does not know is not the user's
    for provider in (store.provider_id, *providers):
        if provider is not None and provider not in space.spec.supports:
            raise space_not_supported_by(space_id, provider)
    return space


def _create(
    store: OnedataStore,
    user: User,
    space: SpaceState,
    request: CreateRequest,
    node: Node | None,
    now: datetime,
) -> TransferJob:
    targets = [p for p in (request.replicating_provider_id, request.evicting_provider_id) if p is not None]
    if node is None:
        view = next((v for v in space.spec.views if v.name == request.view_name), None)
        for provider in targets:
            if view is None or (view.providers and provider not in view.providers):
                raise view_not_exists_on(provider)
        assert view is not None or not targets
        paths = view.files if view is not None else []
        files = space.files_of(view_results(paths, request.query_view_params or {}))
    else:
        files = space.files(node)
    target = request.replicating_provider_id
    if target is not None and space.spec.supports[target].readonly:
        raise posix("erofs")
    behaviour = store.behaviour
    timing = Timing(
        behaviour.schedule_delay, behaviour.enqueue_delay, behaviour.abort_delay, behaviour.failure_threshold
    )
    replication = None
    if request.replicating_provider_id is not None:
        replication = replication_plan(
            space,
            files,
            request.replicating_provider_id,
            store.online,
            store.data_faults,
            behaviour.rate,
            now,
        )
        # Reference 1.1, create step: data larger than the target's support is `enospc`, and so is
        # any replication to a storage a timeline action filled up.
        target_size = space.spec.supports[request.replicating_provider_id].size
        if replication.transfer.total_bytes > target_size or request.replicating_provider_id in store.full:
            raise posix("enospc")
    eviction = None
    if request.evicting_provider_id is not None:
        rate = RateModel(bandwidth=1e15, per_file=behaviour.eviction_per_file, enumeration_rate=1e9)
        eviction = eviction_plan(
            space, files, request.evicting_provider_id, request.replicating_provider_id, rate, now
        )
    job = TransferJob(
        id=new_datastore_key(store.world.ids.random),
        type=request.type,
        space_id=space.id,
        user_id=user.id,
        schedule_time=now.replace(microsecond=0),
        timing=timing,
        replication=replication,
        eviction=eviction,
        replicating_provider_id=request.replicating_provider_id,
        evicting_provider_id=request.evicting_provider_id,
        callback=request.callback,
        file_id=request.file_id,
        file_path=space.path_of(node.path) if node is not None else None,
        view_name=request.view_name,
        query_view_params=request.query_view_params if node is None else None,
    )
    store.add_transfer(job)
    return job


def view_results(paths: list[str], params: dict[str, object]) -> list[str]:
    """The files a view query returns: in key order (the scenario's), or reversed with `descending`,
    after `skip` and up to `limit`; other parameters do not filter (the scenario has no keys)."""
    ordered = list(reversed(paths)) if params.get("descending") else list(paths)
    skip = params.get("skip", 0)
    limit = params.get("limit")
    start = skip if isinstance(skip, int) else 0
    return ordered[start : start + limit] if isinstance(limit, int) else ordered[start:]


def find(store: OnedataStore, user: User | None, transfer_id: str, *privileges: str) -> TransferJob:
    """The transfer, after the 401 check and before the privilege check (reference 1.2)."""
    authenticated(user)
    job = store.transfers.get(transfer_id)
    if job is None:
        raise not_found()
    require(user, job.space_id, *privileges)
    return job


def effective(store: OnedataStore, job: TransferJob) -> TransferJob:
    """The last transfer of the chain made of `rerunId`s (reference 2.5)."""
    seen = {job.id}
    while job.rerun_id is not None and job.rerun_id in store.transfers and job.rerun_id not in seen:
        job = store.transfers[job.rerun_id]
        seen.add(job.id)
    return job


def cancel_transfer(store: OnedataStore, user: User | None, transfer_id: str, now: datetime) -> None:
    """Reference 1.3: the creator needs only membership; anyone else the cancel privileges."""
    user = authenticated(user)
    job = find(store, user, transfer_id)
    if user.id != job.user_id:
        require(user, job.space_id, *_privileges(job.type, CANCEL))
    if job.status(now) in ENDED:
        raise transfer_already_ended()
    job.cancel(now)


def rerun_transfer(store: OnedataStore, user: User | None, transfer_id: str, now: datetime) -> TransferJob:
    """Reference 1.4: a new transfer copying the old one's source, providers and callback."""
    job = find(store, user, transfer_id)
    privileges = _privileges(job.type, SCHEDULE) + (["space_query_views"] if job.view_name else [])
    user = require(user, job.space_id, *privileges)
    if job.status(now) not in ENDED:
        raise transfer_not_ended()
    request = CreateRequest(
        type=job.type,
        data_source_type="file" if job.file_id is not None else "view",
        replicating_provider_id=job.replicating_provider_id,
        evicting_provider_id=job.evicting_provider_id,
        file_id=job.file_id,
        space_id=job.space_id if job.file_id is None else None,
        view_name=job.view_name,
        query_view_params=job.query_view_params,
        callback=job.callback,
    )
    new = create_transfer(store, user, request, now)
    job.rerun_id = new.id
    return new


# -- listing ---------------------------------------------------------------------------------------

EPOCH_INFINITY = 9999999999  # reference 1.5
STATES = ("waiting", "ongoing", "ended")


@dataclass(frozen=True)
class ListQuery:
    state: str = "ongoing"
    limit: int = 1000
    page_token: str | None = None
    offset: int | None = None


def parse_list_query(query: dict[str, str]) -> ListQuery:
    state = query.get("state", "ongoing")
    if state not in STATES:
        raise bad_value_not_allowed("state", STATES)
    limit = _integer(query, "limit", 1000)
    if not 1 <= limit <= 1000:
        raise bad_value_not_in_range("limit", 1, 1000)
    token = query.get("page_token")
    if token == "":
        raise bad_value_empty("page_token")
    offset = _integer(query, "offset", None) if "offset" in query else None
    return ListQuery(state, limit, None if token == "undefined" else token, offset)


def _integer(query: dict[str, str], key: str, default: int | None) -> int:
    raw = query.get(key)
    if raw is None:
        assert default is not None
        return default
    try:
        return int(raw)
    except ValueError:
        raise bad_value_integer(key) from None


def link_key(job: TransferJob, state: str, at: datetime) -> str:
    """Reference 1.5: `str(9999999999 - ts) + tid[:6]`; ts is the finish time for ended transfers."""
    if state == "ended":
        finished = job.finish_time(at)
        ts = int(finished.timestamp()) if finished is not None else 0
    else:
        ts = int(job.schedule_time.timestamp())
    return f"{EPOCH_INFINITY - ts}{job.id[:6]}"


def state_of(job: TransferJob, at: datetime) -> str:
    """Which list holds the transfer: waiting until dequeued, ongoing while active, then ended."""
    status = job.status(at)
    if status in ENDED:
        return "ended"
    if status in ("scheduled", "enqueued"):
        return "waiting"
    return "ongoing"


def list_transfers(
    store: OnedataStore, user: User | None, space_id: str, query: ListQuery, now: datetime
) -> tuple[list[str], str | None]:
    """Reference 1.5: ids newest first from the page token, and the next token on a full page."""
    require(user, space_id, "space_view_transfers")
    if space_id not in store.spaces or store.provider_id not in store.spaces[space_id].spec.supports:
        raise space_not_supported_by(space_id, store.provider_id)
    keyed = sorted(
        (link_key(job, query.state, now), job.id)
        for job in store.transfers.values()
        if job.space_id == space_id and state_of(job, now) == query.state
    )
    start = 0
    if query.page_token is not None:
        start = next((i for i, (key, _) in enumerate(keyed) if key >= query.page_token), len(keyed))
        # Reference 1.5: with a token and no offset, the page starts after the token's entry.
        at_token = start < len(keyed) and keyed[start][0] == query.page_token
        start += (1 if at_token else 0) if query.offset is None else query.offset
    elif query.offset is not None:
        start = query.offset
    page = keyed[max(start, 0) : max(start, 0) + query.limit]
    token = page[-1][0] if len(page) == query.limit else None
    return [tid for _, tid in page], token
