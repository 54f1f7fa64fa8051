"""Files by id: `{id}` bindings, a file's attributes, a directory's children and a file's distribution
among the providers (reference 5.1, 5.2).

An `{id}` is an objectid, or else tried as a space id (a supported space maps to its root); anything
else is 400 `spaceNotSupportedBy`. A file id naming nothing in a supported space is 400 `posix`
`enoent`. A provider holds a file's replica whole or not at all (see `spaces`), so a regular file's
blocks are `[[0, size]]` or none; a directory shows, per provider, the bytes of the files under it that
the provider holds. An offline provider's distribution is a failure, as when the real provider
cannot reach a peer.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulators.core.storage import Entry, GeneratedFiles
from emulators.onedata.auth import require
from emulators.onedata.errors import (
    bad_value_boolean,
    bad_value_empty,
    bad_value_integer,
    bad_value_list_not_allowed,
    bad_value_not_in_range,
    bad_value_string,
    bad_value_token,
    posix,
    space_not_supported_by,
)
from emulators.onedata.scenario import User
from emulators.onedata.spaces import Node, SpaceState, parse_objectid
from emulators.onedata.store import OnedataStore

# Reference 5.2, the 21.02.5+ names (all but xattrs are returned by default).
ATTRIBUTES = (
    "fileId",
    "index",
    "type",
    "activePermissionsType",
    "posixPermissions",
    "acl",
    "name",
    "conflictingName",
    "path",
    "parentFileId",
    "displayGid",
    "displayUid",
    "creationTime",
    "atime",
    "mtime",
    "ctime",
    "size",
    "isFullyReplicatedLocally",
    "localReplicationRate",
    "originProviderId",
    "directShareIds",
    "ownerUserId",
    "hardlinkCount",
    "symlinkValue",
    "hasCustomMetadata",
    "effProtectionFlags",
    "effDatasetProtectionFlags",
    "effDatasetInheritancePath",
    "effQosInheritancePath",
    "aggregateQosStatus",
    "archiveRecallRootFileId",
)


UNREACHABLE = {"id": "noConnectionToPeerOneprovider", "description": "No connection to peer Oneprovider."}


def resolve(store: OnedataStore, user: User | None, raw_id: str) -> tuple[SpaceState, Node]:
    """The space and file an `{id}` binding names, for a member of its space."""
    parsed = parse_objectid(raw_id)
    space_id, uuid = parsed if parsed is not None else (raw_id, None)
    space = store.spaces.get(space_id)
    if space is None or store.provider_id not in space.spec.supports:
        if parsed is None:
            raise space_not_supported_by(raw_id, store.provider_id)
        require(user, space_id)  # a space the user is not in is 403
        raise space_not_supported_by(space_id, store.provider_id)
    require(user, space_id)
    node = Node("", "DIR") if uuid is None else space.node(uuid)
    if node is None:
        raise posix("enoent")
    return space, node


def requested(body: dict[str, Any], query: dict[str, str]) -> list[str]:
    """The attributes asked for (body `attributes`, or the query's), all but xattrs by default."""
    names = body.get("attributes", query.get("attributes"))
    if names is None:
        return list(ATTRIBUTES)
    if isinstance(names, str):
        names = [n for n in names.split(",") if n]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise bad_value_list_not_allowed("attributes", ATTRIBUTES)
    if any(n not in ATTRIBUTES and not n.startswith("xattr.") for n in names):
        raise bad_value_list_not_allowed("attributes", ATTRIBUTES)
    return names


def attributes(
    store: OnedataStore, space: SpaceState, node: Node, names: Sequence[str], start: datetime
) -> dict[str, Any]:
    """The file's attributes named in `names` (xattrs: none are set, so none are returned)."""
    entry = _entry(space, node)
    mtime = int((entry.mtime if entry is not None else start).timestamp())
    held = store.provider_id in _holders(space, node) if node.kind == "REG" else None
    parent = node.path.rsplit("/", 1)[0] if "/" in node.path else ""
    owner = next((u.id for u in store.users.values() if space.id in u.spaces), "0")
    values: dict[str, Any] = {
        "fileId": space.objectid(node.path),
        "index": node.path.rsplit("/", 1)[-1] or space.spec.name,
        "type": node.kind,
        "activePermissionsType": "posix",
        "posixPermissions": "775" if node.kind == "DIR" else "664",
        "acl": [],
        "name": node.path.rsplit("/", 1)[-1] or space.spec.name,
        "conflictingName": None,
        "path": space.path_of(node.path),
        "parentFileId": space.objectid(parent) if node.path else None,
        "displayGid": 0,
        "displayUid": 0,
        "creationTime": mtime,
        "atime": mtime,
        "mtime": mtime,
        "ctime": mtime,
        "size": node.size if node.kind == "REG" else None,
        "isFullyReplicatedLocally": held,
        "localReplicationRate": None if held is None else float(held),
        "originProviderId": space.origin,
        "directShareIds": [],
        "ownerUserId": owner,
        "hardlinkCount": 1,
        "symlinkValue": None,
        "hasCustomMetadata": False,
        "effProtectionFlags": [],
        "effDatasetProtectionFlags": [],
        "effDatasetInheritancePath": "none",
        "effQosInheritancePath": "none",
        "aggregateQosStatus": "fulfilled",
        "archiveRecallRootFileId": None,
    }
    return {name: values[name] for name in names if name in values}


def distribution(store: OnedataStore, space: SpaceState, node: Node) -> dict[str, Any]:
    """GET /data/{id}/distribution in the 21.02 format."""
    files = space.files(node)
    cum = files.cumulative()
    held = dict.fromkeys(space.spec.supports, 0)
    for start, gen, lo, hi in files.segments():
        if gen is None:
            for entry in files.explicit:
                for provider in held:
                    held[provider] += space.held_bytes(entry.path, provider, entry.size)
        else:
            size = cum[start + hi - lo] - cum[start]
            for provider in space.holders.get(space.unit_of(gen, ""), frozenset()) & held.keys():
                held[provider] += size
    total = cum[-1]
    online = store.online
    per_provider: dict[str, Any] = {}
    for provider, physical in held.items():
        storage = storage_id(provider)
        if provider not in online:
            per_provider[provider] = {"success": False, "error": UNREACHABLE}
        elif node.kind == "REG":
            per_provider[provider] = {
                "success": True,
                "virtualSize": total,
                "locationsPerStorage": {storage: space.path_of(node.path) if physical else None},
                "distributionPerStorage": {
                    storage: {"blocks": _blocks(space, node, provider, total), "physicalSize": physical}
                },
            }
        else:
            sizes = {"physicalSize": physical, "logicalSize": total, "virtualSize": total}
            per_provider[provider] = {
                "success": True,
                "virtualSize": total,
                "logicalSize": total,
                "distributionPerStorage": {storage: sizes},
            }
    return {"type": node.kind, "distributionPerProvider": per_provider}


def _blocks(space: SpaceState, node: Node, provider: str, total: int) -> list[list[int]]:
    """A regular file's [offset, length] blocks on `provider`: a generated file is whole or absent."""
    if space.partial.get(node.path):
        return [[offset, end - offset] for offset, end in space.blocks(node.path, provider, total)]
    held = provider in _holders(space, node)
    return [[0, total]] if held and total else []


def storage_id(provider_id: str) -> str:
    """The id of the one storage each provider supports the space with (a stable datastore key)."""
    digest = hashlib.sha256(f"storage/{provider_id}".encode()).hexdigest()
    return f"{digest[:32]}ch{digest[32:36]}"


def _entry(space: SpaceState, node: Node) -> Entry | None:
    if node.kind != "REG":
        return None
    files = space.files(node)
    return files[0] if len(files) else None


def _holders(space: SpaceState, node: Node) -> frozenset[str]:
    files = space.files(node)
    for _, gen, lo, hi in files.segments():
        if gen is None and files.explicit:
            return space.holders.get(files.explicit[0].path, frozenset())
        if gen is not None and hi > lo:
            return space.holders.get(space.unit_of(gen, ""), frozenset())
    return frozenset()


CHILDREN_ATTRIBUTES = ("fileId", "name")  # when a listing names none


@dataclass(frozen=True)
class ChildrenQuery:
    limit: int = 1000
    token: str | None = None
    offset: int = 0
    index: str | None = None
    inclusive: bool = True
    names: tuple[str, ...] = CHILDREN_ATTRIBUTES


def children_query(body: dict[str, Any], query: dict[str, str]) -> ChildrenQuery:
    """Reference 5.2: `limit` 1-1000, `token`, `index`, `inclusive`, `offset` -500..500 and
    `attributes`, from the body or the query string; `null` for `token` or `index` is no value."""
    options = {**query, **body}
    limit = _integer(options, "limit", 1000, 1, 1000)
    offset = _integer(options, "offset", 0, -500, 500)
    token = _start_point(options, "token")
    if token is not None and _position(token) is None:
        raise bad_value_token("token")
    index = _start_point(options, "index")
    inclusive = _boolean(options, "inclusive", True)
    names = requested(options, {}) if "attributes" in options else list(CHILDREN_ATTRIBUTES)
    return ChildrenQuery(limit, token, offset, index, inclusive, tuple(names))


def list_children(
    store: OnedataStore, space: SpaceState, node: Node, query: ChildrenQuery, start: datetime
) -> dict[str, Any]:
    """One page of a directory's children with their attributes; the token is opaque to clients
    (it carries the position of the next child).

    As op-worker's children handler does, a token resumes where its page ended, ignoring `index` and
    `offset`; without one the page starts at the first child whose name (its `index` attribute)
    comes at or after `index` (after it only, with `inclusive` false), moved by `offset`.
    """
    if node.kind != "DIR":
        raise posix("enotdir")
    named, ranges = space.children(node)
    total = len(named) + sum(hi - lo for _, lo, hi in ranges)
    if query.token is not None:
        first = _position(query.token) or 0
    else:
        at = 0 if query.index is None else _index_position(named, ranges, query.index, query.inclusive)
        first = max(0, at + query.offset)
    last = min(total, first + query.limit)
    page = [_child(named, ranges, i) for i in range(first, last)]
    children = [attributes(store, space, child, query.names, start) for child in page]
    is_last = last >= total
    return {"children": children, "isLast": is_last, "nextPageToken": None if is_last else _token(last)}


def _index_position(
    named: list[Node], ranges: list[tuple[GeneratedFiles, int, int]], index: str, inclusive: bool
) -> int:
    """The position, in listing order, of the first child named at or after `index` (strictly after
    it unless `inclusive`): each part of the listing is in name order, so each is bisected."""

    def reached(path: str) -> bool:
        name = _name(path)
        return name >= index if inclusive else name > index

    found = bisect.bisect_left(named, True, key=lambda node: reached(node.path))
    if found < len(named):
        return found
    position = len(named)
    for gen, lo, hi in ranges:
        found = bisect.bisect_left(range(lo, hi), True, key=lambda i: reached(gen.path(i)))
        if found < hi - lo:
            return position + found
        position += hi - lo
    return position


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _child(named: list[Node], ranges: list[tuple[GeneratedFiles, int, int]], i: int) -> Node:
    if i < len(named):
        return named[i]
    i -= len(named)
    for gen, lo, hi in ranges:
        if i < hi - lo:
            return Node(gen.path(lo + i), "REG", gen.size(lo + i))
        i -= hi - lo
    raise IndexError(i)


def _token(position: int) -> str:
    return base64.urlsafe_b64encode(f"position:{position}".encode()).decode()


def _position(token: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    kind, _, number = text.partition(":")
    return int(number) if kind == "position" and number.isdigit() else None


def _start_point(options: dict[str, Any], key: str) -> str | None:
    """A `token` or `index`: a non-empty string, or null for none."""
    value = options.get(key)
    if value is not None and not isinstance(value, str):
        raise bad_value_string(key)
    if value == "":
        raise bad_value_empty(key)
    return value


def _boolean(options: dict[str, Any], key: str, default: bool) -> bool:
    value = options.get(key, default)
    if value is True or value == "true":  # a JSON boolean, or its spelling in the query string
        return True
    if value is False or value == "false":
        return False
    raise bad_value_boolean(key)


def _integer(options: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    raw = options.get(key, default)
    if isinstance(raw, bool):
        raise bad_value_integer(key)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise bad_value_integer(key) from None
    if not low <= value <= high:
        raise bad_value_not_in_range(key, low, high)
    return value
