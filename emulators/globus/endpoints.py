"""Endpoints (collections): lookup, access, paths and the endpoint document.

Globus paths are absolute and '/'-separated; `/~/` is the caller's home on the collection (the
scenario's `home`). A guest collection shows its host's file system from `host_path` down, so the
same file is `/x` on the guest and `host_path/x` on the host.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulators.core.storage import Entry
from emulators.globus.errors import (
    bad_request,
    endpoint_not_found,
    endpoint_permission_denied,
    host_deleted,
    no_credentials,
    permission_denied,
)
from emulators.globus.scenario import GUEST_TYPES, Identity
from emulators.globus.store import Collection, GlobusStore


def find(store: GlobusStore, reference: object) -> Collection:
    """A collection by id or (deprecated, doc 2.1.1) canonical_name; 404 EndpointNotFound."""
    if not isinstance(reference, str) or not reference:
        raise bad_request("An endpoint id is required.")
    found = store.collections.get(reference.lower())
    if found is None:
        found = next((c for c in store.collections.values() if canonical_name(store, c) == reference), None)
    if found is None or found.spec.deleted:  # a deleted endpoint is gone; its guests answer Conflict
        raise endpoint_not_found(reference)
    return found


def canonical_name(store: GlobusStore, collection: Collection) -> str:
    return f"{collection.spec.owner}#{collection.id}"


def access(collection: Collection, identity: Identity) -> str:
    """ "rw", "r" or "" for this identity on this collection."""
    if identity.username == collection.spec.owner:
        return "rw"
    return collection.spec.acl.get(identity.username, "r" if collection.spec.public else "")


def check_usable(collection: Collection, identity: Identity, write: bool) -> None:
    """Doc 3.2.5: the checks a submission makes of each endpoint, in the order the doc lists them."""
    granted = access(collection, identity)
    if not granted or (write and "w" not in granted):
        raise permission_denied(collection.id)
    check_reachable(collection)


def check_reachable(collection: Collection) -> None:
    """Doc 3.2.5: a guest whose host was deleted is a 409 Conflict; an endpoint (or host) that is not
    activated, 409 NoCredException."""
    if collection.host is not None and collection.host.spec.deleted:
        raise host_deleted(collection.id)
    if not collection.activated or (collection.host is not None and not collection.host.activated):
        raise no_credentials(collection.id)


def check_file_access(collection: Collection, identity: Identity, path: str, write: bool) -> None:
    """File operations: 403 EndpointPermissionDenied without the needed access, then as submissions."""
    granted = access(collection, identity)
    if not granted or (write and "w" not in granted):
        raise endpoint_permission_denied(collection.id, path)
    check_reachable(collection)


def expand_home(collection: Collection, path: str) -> str:
    """A Globus path with a leading `/~/` (or `~/`) replaced by the collection's home, as the
    service shows paths in per-file records and error details."""
    if path.startswith("~"):
        path = "/" + path
    if path == "/~" or path.startswith("/~/"):
        return collection.spec.home.rstrip("/") + "/" + path[3:]
    return path


def resolve(collection: Collection, path: str) -> str:
    """A Globus path as a path of the collection's file system (the core's relative form)."""
    path = expand_home(collection, path)
    clean = posixpath.normpath("/" + path.lstrip("/")).strip("/")
    joined = f"{collection.root}/{clean}" if collection.root else clean
    return joined.strip("/")


def follow(collection: Collection, link: Entry, at: datetime) -> Entry | None:
    """A symlink's target: absolute targets are collection paths, relative ones start at the link."""
    target = link.target or ""
    if target.startswith("/"):
        return collection.fs.stat(resolve(collection, target), at)
    return collection.fs.stat(
        posixpath.normpath(posixpath.join("/" + posixpath.dirname(link.path), target)), at
    )


def display_path(path: str) -> str:
    """A directory path as responses show it: absolute with one trailing slash."""
    return "/" + path.strip("/") + "/" if path.strip("/") else "/"


def document(store: GlobusStore, collection: Collection, identity: Identity, now: datetime) -> dict[str, Any]:
    """GET /endpoint/{id}: the endpoint document (activation fields kept for older scripts)."""
    spec = collection.spec
    owner = store.identities[spec.owner]
    guest = spec.entity_type in GUEST_TYPES
    host = collection.host
    return {
        "DATA_TYPE": "endpoint",
        "id": spec.id,
        "display_name": spec.display_name,
        "canonical_name": canonical_name(store, collection),
        "name": spec.id,
        "username": owner.username,
        "owner_id": owner.id,
        "owner_string": owner.username,
        "organization": spec.organization,
        "department": None,
        "description": spec.description,
        "keywords": None,
        "contact_email": None,
        "contact_info": None,
        "info_link": None,
        "public": spec.public,
        "entity_type": spec.entity_type,
        "is_globus_connect": False,
        "gcp_connected": None,
        "gcp_paused": None,
        "host_endpoint_id": host.id if host else None,
        "host_endpoint_display_name": host.spec.display_name if host else None,
        "host_path": spec.host_path if guest else None,
        "mapped_collection_id": host.id if host else None,
        "default_directory": spec.default_directory,
        "force_encryption": spec.force_encryption,
        "force_verify": False,
        "disable_verify": False,
        "disable_anonymous_writes": False,
        "mfa_required": False,
        "high_assurance": False,
        "authentication_timeout_mins": None,
        "non_functional": False,
        "subscription_id": None,
        "gcs_version": "5.4.0",
        "my_effective_roles": ["administrator"] if identity.username == spec.owner else [],
        "shareable": not guest,
        "acl_available": guest,
        "acl_editable": guest and identity.username == spec.owner,
        "in_use": False,
        "local_user_info_available": not guest,
        "activated": collection.activated,
        "expires_in": -1 if collection.activated else 0,
        "expire_time": None,
        "myproxy_server": None,
        "myproxy_dn": None,
        "oauth_server": None,
        "s3_url": None,
        "s3_owner_activated": False,
        "network_use": "normal",
        "preferred_concurrency": None,
        "preferred_parallelism": None,
        "last_accessed_time": None,
        # Reference 6 (full list: the JavaScript SDK's endpoint type). A scenario declares collections
        # only, so there is no GCSv5 endpoint to name and no server to list.
        "gcs_manager_url": None,
        "https_server": None,
        "tlsftp_server": None,
        "non_functional_endpoint_id": None,
        "non_functional_endpoint_display_name": None,
        "DATA": [],
    }


SEARCH_SCOPES = (
    "all",
    "my-endpoints",
    "my-gcp-endpoints",
    "recently-used",
    "in-use",
    "shared-by-me",
    "shared-with-me",
    "administered-by-me",
)
SEARCH_MAX = 1000  # the API stops at 1000 results
OWNER_SCOPES = ("my-endpoints", "my-gcp-endpoints", "shared-by-me")  # filter_owner_id conflicts with these
ENTITY_TYPES = frozenset(
    {
        "GCP_mapped_collection",
        "GCP_guest_collection",
        "GCSv5_endpoint",
        "GCSv5_mapped_collection",
        "GCSv5_guest_collection",
        "GCSv4_host",
        "GCSv4_share",
    }
)


def _in_scope(store: GlobusStore, collection: Collection, identity: Identity, scope: str) -> bool:
    mine = collection.spec.owner == identity.username
    if scope in ("my-endpoints", "administered-by-me"):
        return mine
    if scope == "shared-by-me":
        return mine and collection.host is not None
    if scope == "shared-with-me":
        return not mine and identity.username in collection.spec.acl
    if scope in ("recently-used", "in-use"):
        used = {
            c.id
            for t in store.tasks.values()
            if t.owner.id == identity.id
            for c in (t.source, t.destination)
            if c
        }
        return collection.id in used
    if scope == "my-gcp-endpoints":
        return False
    return bool(access(collection, identity)) or collection.spec.public


@dataclass(frozen=True)
class SearchFilters:
    """The optional filters of GET /endpoint_search, as globus-sdk's `endpoint_search` sends them."""

    owner_id: str | None = None
    host_endpoint: str | None = None
    non_functional: bool | None = None
    entity_type: str | None = None


def _check_filters(store: GlobusStore, text: str, scope: str, filters: SearchFilters) -> None:
    """The combinations globus-sdk's `endpoint_search` documents as refused (400)."""
    if scope not in SEARCH_SCOPES:
        raise bad_request(f"Invalid filter_scope '{scope[:64]}': scopes are {', '.join(SEARCH_SCOPES)}")
    if scope == "all" and not text.strip():
        raise bad_request("filter_fulltext is required when filter_scope is 'all'")
    if filters.owner_id is not None and scope in OWNER_SCOPES:
        raise bad_request(f"filter_owner_id conflicts with filter_scope '{scope}'")
    if filters.non_functional is not None and filters.entity_type is not None:
        raise bad_request("filter_non_functional and filter_entity_type are mutually exclusive")
    if filters.entity_type is not None and filters.entity_type not in ENTITY_TYPES:
        raise bad_request(f"Invalid filter_entity_type '{filters.entity_type[:64]}'")
    if filters.host_endpoint is not None and filters.host_endpoint not in store.collections:
        raise bad_request(f"Invalid filter_host_endpoint '{filters.host_endpoint[:64]}': no such endpoint")


def _kept(store: GlobusStore, collection: Collection, filters: SearchFilters) -> bool:
    spec = collection.spec
    return (
        (filters.owner_id is None or store.identities[spec.owner].id == filters.owner_id)
        and (
            filters.host_endpoint is None
            or (collection.host is not None and collection.host.id == filters.host_endpoint)
        )
        # Every endpoint a scenario declares is a functional collection (no bare GCSv5 endpoint).
        and filters.non_functional is not True
        and (filters.entity_type is None or spec.entity_type == filters.entity_type)
    )


def search(
    store: GlobusStore,
    identity: Identity,
    text: str,
    scope: str,
    page: tuple[int, int],
    now: datetime,
    filters: SearchFilters,
) -> dict[str, Any]:
    """GET /endpoint_search: endpoints in a scope whose names or descriptions contain `text`."""
    _check_filters(store, text, scope, filters)
    offset, limit = page
    if offset + limit > SEARCH_MAX:
        raise bad_request(f"offset + limit must not exceed {SEARCH_MAX}")
    words = text.lower().split()
    found = []
    for collection in store.collections.values():
        spec = collection.spec
        haystack = " ".join(
            (spec.id, spec.display_name, spec.description, spec.organization, spec.owner)
        ).lower()
        if (
            not spec.deleted
            and _in_scope(store, collection, identity, scope)
            and _kept(store, collection, filters)
            and all(w in haystack for w in words)
        ):
            found.append(collection)
    found.sort(key=lambda c: c.spec.display_name.lower())
    return {
        "DATA_TYPE": "endpoint_list",
        "offset": offset,
        "limit": limit,
        "has_next_page": offset + limit < len(found),
        "DATA": [{**document(store, c, identity, now), "_rank": 1.0} for c in found[offset : offset + limit]],
    }
