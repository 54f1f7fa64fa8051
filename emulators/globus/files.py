"""File operations on a collection: ls, mkdir, rename, stat.

`ls` lists a directory's immediate children as `file` documents: `path` echoes the request with one
trailing slash, `last_modified` is space separated, `show_hidden=0` drops dot files, repeated
`filter` parameters are OR'ed (each a `/`-separated AND of `name:`, `type:`, `size:` and
`last_modified:` clauses; `name:` takes `=`, `~` (glob), `!` and `!~`), `orderby` sorts by any field.
The docs set no limit on filters; each term (a clause, or a comma-separated value in one) is checked
against every entry, so an `ls` takes at most `LS_FILTER_TERMS` of them (more is 400), keeping a
listing's cost proportional to its entries.
A missing path is 404 ClientError.NotFound; a file is 502 ExternalError.DirListingFailed.NotDirectory.
A data fault of stage `enumeration` matching the directory (`ENDPOINT_ID/path`) makes the endpoint
refuse the listing: 502 `ExternalError.DirListingFailed.<Code>` (PERMISSION_DENIED → PermissionDenied,
GC_NOT_CONNECTED → GCDisconnected, CONNECT_FAILED → ConnectFailed, ...).
A rename, by the API or by the timeline action `rename_path`, moves the path away from the tasks
still running over it: their steps below it that are not done fail (`Task.lose`).
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from emulators.core.datafaults import DataFaults
from emulators.core.storage import Entry
from emulators.core.world import World
from emulators.globus.endpoints import display_path, expand_home, follow, resolve
from emulators.globus.errors import GlobusError, bad_request, external, not_found
from emulators.globus.events import failure_text, gridftp_reply
from emulators.globus.plan import location
from emulators.globus.queries import boolean, integer, ordering, sort_documents
from emulators.globus.store import Collection, GlobusStore

LS_MAX = 100_000
LS_FILTER_TERMS = 100
LS_ORDERABLE = ("name", "type", "size", "last_modified", "permissions", "user", "group")
Predicate = Callable[[dict[str, Any]], bool]


def _time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00:00")


def file_document(collection: Collection, entry: Entry, at: datetime) -> dict[str, Any]:
    """One `file` document; a symlink shows its target's type and the link fields."""
    target: Entry | None = entry
    link: dict[str, Any] = dict.fromkeys(
        ("link_target", "link_group", "link_last_modified", "link_size", "link_user")
    )
    if entry.kind == "symlink":
        target = follow(collection, entry, at)
        link = {
            "link_target": entry.target,
            "link_group": collection.spec.owner,
            "link_last_modified": _time(entry.mtime),
            "link_size": len(entry.target or ""),
            "link_user": collection.spec.owner,
        }
    kind = "invalid_symlink" if target is None else target.kind
    shown = target or entry
    return {
        "DATA_TYPE": "file",
        "name": entry.name,
        "type": kind,
        "size": 4096 if kind == "dir" else shown.size,
        "permissions": "0755" if kind == "dir" else "0644",
        "user": collection.spec.owner,
        "group": collection.spec.owner,
        "last_modified": _time(shown.mtime),
        **link,
    }


def _name_check(value: str) -> Predicate:
    negate = value.startswith("!")
    value = value[1:] if negate else value
    glob = value.startswith("~")
    value = value[1:] if glob or value.startswith("=") else value
    names = value.split(",")

    def check(doc: dict[str, Any]) -> bool:
        hit = any(fnmatch.fnmatchcase(doc["name"], n) if glob else doc["name"] == n for n in names)
        return hit != negate

    return check


def _range_check(field: str, value: str) -> Predicate:
    lo, sep, hi = value.partition(",")
    if not sep:
        raise bad_request(f"Invalid filter '{field}:{value[:64]}': use START,END")

    def check(doc: dict[str, Any]) -> bool:
        v = doc[field]
        return (not lo or v >= _bound(field, lo)) and (not hi or v <= _bound(field, hi))

    return check


def _bound(field: str, text: str) -> Any:
    if field == "size":
        try:
            return int(text)
        except ValueError:
            raise bad_request(f"Invalid filter '{field}': '{text[:64]}' is not an integer") from None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return _time(parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed)
    except (ValueError, OverflowError):  # overflow: the instant falls outside years 1-9999 in UTC
        raise bad_request(f"Invalid filter '{field}': '{text[:64]}' is not a datetime") from None


def _clause(clause: str) -> Predicate:
    field, sep, value = clause.partition(":")
    if not sep:
        raise bad_request(f"Invalid filter '{clause[:64]}': use field:value")
    if field == "name":
        return _name_check(value)
    if field == "type":
        kinds = set(value.split(","))
        return lambda doc: doc["type"] in kinds
    if field in ("size", "last_modified"):
        return _range_check(field, value)
    raise bad_request(f"Invalid filter '{clause[:64]}': fields are name, type, size, last_modified")


def ls_filter(filters: Sequence[str]) -> Predicate:
    """Repeated `filter` parameters OR'ed; inside one, `/`-separated clauses AND'ed."""
    terms = sum(1 + c.count(",") for f in filters for c in f.split("/") if c)
    if terms > LS_FILTER_TERMS:
        raise bad_request(
            f"Invalid filter: {terms} terms given, at most {LS_FILTER_TERMS} "
            "(clauses and comma-separated values, over all filter parameters)"
        )
    groups = [[_clause(c) for c in f.split("/") if c] for f in filters if f]
    if not groups:
        return lambda doc: True
    return lambda doc: any(all(check(doc) for check in group) for group in groups)


def _listing_error(code: str) -> str:
    return (
        "GCDisconnected" if code == "GC_NOT_CONNECTED" else "".join(w.capitalize() for w in code.split("_"))
    )


def check_listing(faults: DataFaults, collection: Collection, path: str, requested: str) -> None:
    """An endpoint-side listing failure from an `enumeration` data fault: 502 ExternalError."""
    fault = faults.outcome(location(collection, path)) if faults else None
    if fault is not None and fault.stage == "enumeration":
        raise external(
            f"ExternalError.DirListingFailed.{_listing_error(fault.error)}",
            f"Error listing '{display_path(requested)}' on endpoint '{collection.id}': {fault.error}",
        )


def ls(
    collection: Collection,
    params: Mapping[str, str],
    filters: Sequence[str],
    faults: DataFaults,
    at: datetime,
) -> dict[str, Any]:
    """GET /operation/endpoint/{id}/ls."""
    requested = params.get("path") or collection.spec.default_directory or "/~/"
    path = resolve(collection, requested)
    entry = collection.fs.stat(path, at)
    if entry is not None and entry.kind == "symlink":
        entry = follow(collection, entry, at)
        path = entry.path if entry is not None else path
    if entry is None:
        raise not_found(f"Directory '{display_path(requested)}' not found on endpoint '{collection.id}'")
    if entry.kind != "dir":
        raise external(
            "ExternalError.DirListingFailed.NotDirectory", f"Path '{requested}' is not a directory"
        )
    check_listing(faults, collection, path, requested)
    show_hidden = boolean(params, "show_hidden", True)
    limit = integer(params, "limit", LS_MAX, 0, LS_MAX)
    offset = integer(params, "offset", 0, 0, 10**9)
    keep = ls_filter(filters)
    orders = ordering(params.get("orderby"), LS_ORDERABLE, "name")
    docs = [
        file_document(collection, child, at)
        for child in collection.fs.listdir(path, at) or []
        if show_hidden or not child.name.startswith(".")
    ]
    docs = sort_documents([d for d in docs if keep(d)], orders)
    page = docs[offset : offset + limit]
    return {
        "DATA_TYPE": "file_list",
        "endpoint": collection.id,
        "path": display_path(requested),
        "absolute_path": None,
        "rename_supported": True,
        "symlink_supported": True,
        "length": len(page),
        "total": len(docs),
        "DATA": page,
    }


def stat(collection: Collection, requested: str, at: datetime) -> dict[str, Any]:
    """GET /operation/endpoint/{id}/stat."""
    path = resolve(collection, requested)
    entry = collection.fs.stat(path, at)
    if entry is None:
        message = f"Path not found, Error (list)\nEndpoint: {collection.spec.display_name} ({collection.id})"
        raise GlobusError(404, "NotFound", message)
    document = file_document(collection, entry, at)
    # The docs are silent on the root's name; "/" is what a client can show.
    return {**document, "name": "/"} if path == collection.root else document


def mkdir(collection: Collection, requested: str, at: datetime) -> None:
    """POST /operation/endpoint/{id}/mkdir: the parent must exist, the path must not."""
    path = resolve(collection, requested)
    if collection.fs.stat(path, at) is not None:
        raise external(
            "ExternalError.MkdirFailed.Exists", f"Path already exists, Error (mkdir)\nPath: {requested}"
        )
    parent = collection.fs.stat(posixpath.dirname("/" + path), at)
    if parent is None or parent.kind != "dir":
        # Reference 7: "A missing parent gives `ExternalError.MkdirFailed.PermissionDenied` / a message
        # with "No such file or directory"", in the endpoint's error shape (reference 5.2).
        shown = expand_home(collection, requested)
        reply = gridftp_reply("FILE_NOT_FOUND", shown)
        raise external(
            "ExternalError.MkdirFailed.PermissionDenied",
            failure_text("mkdir", collection, shown, "MKD", reply),
        )
    collection.fs.mkdir(path, at)


def rename(store: GlobusStore, collection: Collection, old: str, new: str, at: datetime) -> None:
    """POST /operation/endpoint/{id}/rename: old must exist, new must not, new's parent must. The
    tasks still running over the old path lose it (see `Task.lose`)."""
    old_path, new_path = resolve(collection, old), resolve(collection, new)
    refusal = _rename_refusal(collection, old_path, new_path, at)
    if refusal == "missing":
        raise not_found(f"Path '{old}' not found on endpoint '{collection.id}'")
    if refusal == "exists":
        raise external("ExternalError.RenameFailed.Exists", f"Path '{new}' already exists")
    if refusal == "no parent":
        raise external("ExternalError.RenameFailed", f"Cannot rename '{old}' to '{new}': no such directory")
    _move(store, collection, old_path, new_path, at)


def rename_path(world: World, args: Mapping[str, Any], at: datetime) -> None:
    """Timeline action `rename_path {endpoint, old_path, new_path}`: someone renames a path on the
    endpoint's storage, as the rename operation would; nothing happens where that would be refused."""
    store = world.store(GlobusStore)
    collection = store.collections[str(args["endpoint"]).lower()]
    old_path, new_path = resolve(collection, args["old_path"]), resolve(collection, args["new_path"])
    if _rename_refusal(collection, old_path, new_path, at) is None:
        _move(store, collection, old_path, new_path, at)


def _rename_refusal(
    collection: Collection, old_path: str, new_path: str, at: datetime
) -> Literal["missing", "exists", "no parent"] | None:
    if not old_path or collection.fs.stat(old_path, at) is None:
        return "missing"
    if collection.fs.stat(new_path, at) is not None:
        return "exists"
    parent = collection.fs.stat(posixpath.dirname("/" + new_path), at)
    if parent is None or parent.kind != "dir" or new_path.startswith(old_path + "/"):
        return "no parent"
    return None


def _move(store: GlobusStore, collection: Collection, old_path: str, new_path: str, at: datetime) -> None:
    collection.fs.rename(old_path, new_path, at)
    store.renames.append((collection.fs, old_path, at))
    for task in store.tasks.values():
        task.lose(collection.fs, old_path, at)
