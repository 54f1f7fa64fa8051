"""Request and response documents of the transfer API: the create body's sanitizer and the status.

Reference 1.1: the body must be a JSON object (an empty body reads as `{}`), query-string parameters
are merged over it, and required keys are checked in alphabetical order (Erlang map-key order), each
for presence and then value, before the optional ones. Unknown keys are dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulators.onedata.errors import (
    bad_value_boolean,
    bad_value_empty,
    bad_value_identifier,
    bad_value_integer,
    bad_value_json,
    bad_value_not_allowed,
    bad_value_string,
    bad_value_too_low,
    malformed_data,
    missing_required_value,
)
from emulators.onedata.spaces import parse_objectid
from emulators.onedata.transfers import TYPES, TransferJob, TransferType

PREFIX = "/api/v3/oneprovider"  # the Oneprovider REST API, where a created transfer's Location points
ONEZONE_PREFIX = "/api/v3/onezone"  # the one Onezone call clients make (token scope)
DATA_SOURCE_TYPES = ("file", "view")


@dataclass(frozen=True)
class CreateRequest:
    type: TransferType
    data_source_type: str
    replicating_provider_id: str | None
    evicting_provider_id: str | None
    file_id: str | None
    space_id: str | None
    view_name: str | None
    query_view_params: dict[str, Any] | None
    callback: str | None


def parse_body(body: bytes) -> dict[str, Any]:
    """The body as a JSON object; an empty body is `{}`; anything else is 400 `malformedData`."""
    if not body.strip():
        return {}
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise malformed_data() from None
    if not isinstance(document, dict):
        raise malformed_data()
    return document


def sanitize_create(body: Mapping[str, Any], query: Mapping[str, str]) -> CreateRequest:
    """The create request, or the first data error in the real order (reference 1.1)."""
    data = {**body, **query}  # maps:merge(Body, Query): the query string wins
    kind: Any = data.get("type")
    source: Any = data.get("dataSourceType")
    required = {"type", "dataSourceType"}
    if kind in ("replication", "migration"):
        required.add("replicatingProviderId")
    if kind in ("eviction", "migration"):
        required.add("evictingProviderId")
    if source == "file":
        required.add("fileId")
    if source == "view":
        required |= {"spaceId", "viewName"}
    for key in sorted(required):
        if key not in data:
            raise missing_required_value(key)
        _check(key, data[key])
    callback = data.get("callback")
    if callback is not None:
        _check("callback", callback)
    params = data.get("queryViewParams") if source == "view" else None
    if params is not None:
        if not isinstance(params, dict):
            raise bad_value_json("queryViewParams")
        params = sanitize_view_params(params)
    return CreateRequest(
        type=kind,
        data_source_type=source,
        replicating_provider_id=data.get("replicatingProviderId") if kind != "eviction" else None,
        evicting_provider_id=data.get("evictingProviderId") if kind != "replication" else None,
        file_id=data.get("fileId") if source == "file" else None,
        space_id=data.get("spaceId") if source == "view" else None,
        view_name=data.get("viewName") if source == "view" else None,
        query_view_params=params,
        callback=callback,
    )


_ALLOWED = {"type": TYPES, "dataSourceType": DATA_SOURCE_TYPES}
_VIEW_BOOLEANS = ("descending", "inclusive_end", "spatial")
_VIEW_COUNTS = ("limit", "skip")
_VIEW_STRINGS = ("startkey_docid", "endkey_docid", "bbox")
_VIEW_JSON = ("key", "keys", "startkey", "endkey", "start_range", "end_range")
STALE = ("ok", "update_after", "false")


def sanitize_view_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Reference 6: a view query's parameters as a create body gives them: JSON values taken
    directly, `false` booleans dropped, unknown keys ignored, counts at least 1."""
    clean: dict[str, Any] = {}
    for key, value in params.items():
        if key in _VIEW_BOOLEANS:
            if not isinstance(value, bool):
                raise bad_value_boolean(key)
            if value:
                clean[key] = True
        elif key in _VIEW_COUNTS:
            if isinstance(value, bool) or not isinstance(value, int):
                raise bad_value_integer(key)
            if value < 1:
                raise bad_value_too_low(key, 1)
            clean[key] = value
        elif key == "stale":
            if value not in STALE:
                raise bad_value_not_allowed(key, STALE)
            clean[key] = value
        elif key in _VIEW_STRINGS:
            if not isinstance(value, str):
                raise bad_value_string(key)
            clean[key] = value
        elif key in _VIEW_JSON:
            clean[key] = value
    return clean


def _check(key: str, value: Any) -> None:
    if not isinstance(value, str):
        raise bad_value_string(key)
    if key in _ALLOWED:
        if value not in _ALLOWED[key]:
            raise bad_value_not_allowed(key, _ALLOWED[key])
        return
    if not value:
        raise bad_value_empty(key)
    if key == "fileId" and parse_objectid(value) is None:
        raise bad_value_identifier(key)


def _seconds(at: datetime | None) -> int:
    return int(at.timestamp()) if at is not None else 0


def status_document(job: TransferJob, effective: TransferJob, at: datetime, legacy: bool) -> dict[str, Any]:
    """GET /transfers/{tid} (reference 1.2): every key of the status; `effective` is the last
    transfer of the rerun chain. `legacy` adds the deprecated keys the doc still shows."""
    replication, eviction = job.replication_status(at), job.eviction_status(at)
    counters = job.counters(at)
    document: dict[str, Any] = {
        "type": job.type,
        "userId": job.user_id,
        "rerunId": job.rerun_id,
        "effectiveJobTransferId": effective.id,
        "spaceId": job.space_id,
        "dataSourceType": "file" if job.file_id is not None else "view",
    }
    if job.file_id is not None:
        document["fileId"] = job.file_id
        if legacy:
            document["path"] = job.file_path
        document["filePath"] = job.file_path
    else:
        document["viewName"] = job.view_name
        document["queryViewParams"] = job.query_view_params or {}
    document |= {
        "transferStatus": job.status(at),
        "effectiveJobStatus": effective.status(at),
        "replicationStatus": replication,
    }
    if legacy:
        document["replicaEvictionStatus"] = eviction
    document |= {
        "evictionStatus": eviction,
        "replicatingProviderId": job.replicating_provider_id,
        "evictingProviderId": job.evicting_provider_id,
        "callback": job.callback,
        "filesToProcess": counters["filesToProcess"],
        "filesProcessed": counters["filesProcessed"],
        "filesReplicated": counters["filesReplicated"],
    }
    if legacy:
        document["fileReplicasEvicted"] = counters["filesEvicted"]
    document["filesEvicted"] = counters["filesEvicted"]
    if legacy:
        document["failedFiles"] = counters["filesFailed"]
    started = job.enqueued_at if at >= job.enqueued_at and job.last_update(at) is not None else None
    document |= {
        "filesFailed": counters["filesFailed"],
        "bytesReplicated": counters["bytesReplicated"],
        "scheduleTime": _seconds(job.schedule_time),
        "startTime": _seconds(started),
        "finishTime": _seconds(job.finish_time(at)),
        "lastUpdate": _seconds(job.last_update(at)),
        **job.histograms(at),
    }
    return document
