"""Request documents of the Transfer API: transfer, delete, task update, mkdir, rename and the
endpoint manager's admin_cancel, admin_pause and admin_resume.

`parse_*` check a document's shape and every rule the doc states about single fields (types, the
label's length and character set, slash rules, sync_level's range, ...) and raise 400
`ClientError.BadRequest` (or `.NoTransferItems`) naming the field. Checks against the World
(endpoints, permissions, paths) belong to the state machine. Unknown fields are ignored, as clients
send newer options (e.g. `perf_cc`) that older servers do not know.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from emulators.globus.errors import bad_request, no_delete_items, no_transfer_items

LABEL_MAX = 128
# Doc 2.2, label: ASCII letters, digits, space, hyphen, underscore and comma.
_LABEL = re.compile(r"[A-Za-z0-9 \-_,]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
RecursiveSymlinks = Literal["ignore", "keep", "copy"]
_RECURSIVE_SYMLINKS: dict[object, RecursiveSymlinks] = {"ignore": "ignore", "keep": "keep", "copy": "copy"}


@dataclass(frozen=True)
class Common:
    """Fields shared by transfer and delete documents (doc 2.2)."""

    submission_id: str
    label: str | None
    deadline: datetime | None
    notify_on_succeeded: bool
    notify_on_failed: bool
    notify_on_inactive: bool
    # The local accounts to act as (transfer: source and destination; delete: its endpoint's).
    source_local_user: str | None = None
    destination_local_user: str | None = None


@dataclass(frozen=True)
class TransferItem:
    source_path: str
    destination_path: str
    recursive: bool | None  # None: the source's type decides (globus-cli without --recursive)
    symlink: bool  # a transfer_symlink_item
    external_checksum: str | None = None  # what the copied file's checksum must be
    checksum_algorithm: str | None = None


@dataclass(frozen=True)
class FilterRule:
    method: Literal["include", "exclude"]
    name: str
    type: Literal["file", "dir"] | None


@dataclass(frozen=True)
class TransferDocument:
    common: Common
    source_endpoint: str
    destination_endpoint: str
    items: tuple[TransferItem, ...]
    encrypt_data: bool
    sync_level: int | None
    verify_checksum: bool
    preserve_timestamp: bool
    delete_destination_extra: bool
    recursive_symlinks: RecursiveSymlinks
    filter_rules: tuple[FilterRule, ...] | None
    skip_source_errors: bool
    fail_on_quota_errors: bool


@dataclass(frozen=True)
class DeleteDocument:
    common: Common
    endpoint: str
    paths: tuple[str, ...]
    recursive: bool
    ignore_missing: bool
    interpret_globs: bool


def _optional_bool(doc: dict[str, Any], name: str, *, where: str = "") -> bool | None:
    value = doc.get(name)
    if value is not None and not isinstance(value, bool):
        raise bad_request(f"Invalid value for '{where}{name}': must be a boolean")
    return value


def _optional_string(doc: dict[str, Any], name: str, *, where: str = "") -> str | None:
    value = doc.get(name)
    if value is not None and (not isinstance(value, str) or not value):
        raise bad_request(f"Invalid value for '{where}{name}': must be a non-empty string")
    return value


def _bool(doc: dict[str, Any], name: str, default: bool) -> bool:
    value = _optional_bool(doc, name)
    return default if value is None else value


def _string(doc: dict[str, Any], name: str, *, where: str = "") -> str:
    value = doc.get(name)
    if not isinstance(value, str) or not value:
        raise bad_request(f"Missing or invalid required field '{where}{name}': must be a non-empty string")
    return value


def parse_label(value: object) -> str | None:
    """Doc 2.2, label: at most 128 characters from the allowed set, no leading or trailing space.

    An empty label is no label: it reads back as null."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise bad_request("Invalid value for 'label': must be a string")
    if len(value) > LABEL_MAX:
        raise bad_request(f"Invalid value for 'label': longer than {LABEL_MAX} characters")
    if value != value.strip():
        raise bad_request("Invalid value for 'label': must not start or end with whitespace")
    if not _LABEL.fullmatch(value):
        raise bad_request(
            "Invalid value for 'label': only ASCII letters, digits, space, '-', '_' and ',' are allowed"
        )
    return value


def parse_deadline(value: object) -> datetime | None:
    """Doc 2.2, deadline: an ISO 8601 datetime, `T` or space separated; without a zone it is UTC."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request("Invalid value for 'deadline': must be an ISO 8601 datetime string")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # overflow: the instant falls outside years 1-9999 in UTC
        raise bad_request(
            f"Invalid value for 'deadline': '{value[:64]}' is not an ISO 8601 datetime"
        ) from None


def _common(doc: dict[str, Any], data_type: str) -> Common:
    """The shared fields; a delete's `local_user` is its one endpoint's, shown as the source's."""
    if doc.get("DATA_TYPE") != data_type:
        raise bad_request(f"Invalid value for 'DATA_TYPE': must be '{data_type}'")
    submission_id = _string(doc, "submission_id")
    try:
        uuid.UUID(submission_id)
    except ValueError:
        raise bad_request("Invalid value for 'submission_id': get one from /submission_id") from None
    return Common(
        submission_id=submission_id,
        label=parse_label(doc.get("label")),
        deadline=parse_deadline(doc.get("deadline")),
        notify_on_succeeded=_bool(doc, "notify_on_succeeded", True),
        notify_on_failed=_bool(doc, "notify_on_failed", True),
        notify_on_inactive=_bool(doc, "notify_on_inactive", True),
        source_local_user=_optional_string(
            doc, "source_local_user" if data_type == "transfer" else "local_user"
        ),
        destination_local_user=_optional_string(doc, "destination_local_user")
        if data_type == "transfer"
        else None,
    )


def _data(doc: dict[str, Any]) -> list[Any]:
    data = doc.get("DATA")
    if data is not None and not isinstance(data, list):
        raise bad_request("Invalid value for 'DATA': must be a list")
    return data or []


def _path(doc: dict[str, Any], name: str, where: str = "") -> str:
    """A path field: a non-empty string without NUL or other control characters."""
    path = _string(doc, name, where=where)
    if _CONTROL.search(path):
        raise bad_request(f"Invalid value for '{where}{name}': contains a control character")
    return path


def _transfer_item(item: object, n: int) -> TransferItem:
    if not isinstance(item, dict):
        raise bad_request(f"Invalid value for 'DATA[{n}]': must be an object")
    kind = item.get("DATA_TYPE")
    if kind not in ("transfer_item", "transfer_symlink_item"):
        raise bad_request(
            f"Invalid value for 'DATA[{n}].DATA_TYPE': must be 'transfer_item' or 'transfer_symlink_item'"
        )
    where = f"DATA[{n}]."
    source, destination = _path(item, "source_path", where), _path(item, "destination_path", where)
    recursive = _optional_bool(item, "recursive", where=where)
    symlink = kind == "transfer_symlink_item"
    if symlink and recursive:
        raise bad_request(f"Invalid value for 'DATA[{n}].recursive': a symlink item is never recursive")
    if symlink:
        recursive = False
    # Doc 3.2.1-3.2.3: directories end with "/", files and symlinks never do. Without `recursive`
    # the service looks at the source's type, so either form is accepted.
    for name, path in (("source_path", source), ("destination_path", destination)):
        if recursive and not path.endswith("/"):
            raise bad_request(
                f"Invalid value for 'DATA[{n}].{name}': a recursive item's path must end with '/'"
            )
        if recursive is False and path.endswith("/"):
            raise bad_request(
                f"Invalid value for 'DATA[{n}].{name}': a file or symlink path must not end with '/'"
            )
    external_checksum = _optional_string(item, "external_checksum", where=where)
    algorithm = _optional_string(item, "checksum_algorithm", where=where)
    return TransferItem(source, destination, recursive, symlink, external_checksum, algorithm)


def _filter_rules(value: object) -> tuple[FilterRule, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise bad_request("Invalid value for 'filter_rules': must be a list")
    rules = []
    for n, rule in enumerate(value):
        if not isinstance(rule, dict) or rule.get("DATA_TYPE", "filter_rule") != "filter_rule":
            raise bad_request(f"Invalid value for 'filter_rules[{n}]': must be a filter_rule")
        method, kind = rule.get("method", "exclude"), rule.get("type")
        if method not in ("include", "exclude"):
            raise bad_request(f"Invalid value for 'filter_rules[{n}].method': must be 'include' or 'exclude'")
        if kind not in (None, "file", "dir"):
            raise bad_request(f"Invalid value for 'filter_rules[{n}].type': must be 'file' or 'dir'")
        name = rule.get("name")
        if not isinstance(name, str) or not name or "/" in name:
            raise bad_request(f"Invalid value for 'filter_rules[{n}].name': a name pattern without '/'")
        rules.append(FilterRule(method, name, kind))
    return tuple(rules)


def parse_transfer(doc: dict[str, Any]) -> TransferDocument:
    """A transfer document (doc 2.2-2.5), or 400."""
    common = _common(doc, "transfer")
    source, destination = _string(doc, "source_endpoint"), _string(doc, "destination_endpoint")
    items = tuple(_transfer_item(item, n) for n, item in enumerate(_data(doc)))
    if not items:
        raise no_transfer_items()
    sync_level = doc.get("sync_level")
    if sync_level is not None and (
        isinstance(sync_level, bool) or not isinstance(sync_level, int) or not 0 <= sync_level <= 3
    ):
        raise bad_request("Invalid value for 'sync_level': must be an integer in the 0-3 range")
    value = doc.get("recursive_symlinks")
    value = "ignore" if value is None else value  # doc 2.3: the default is "ignore"; "" is no value
    symlinks = _RECURSIVE_SYMLINKS.get(value) if isinstance(value, str) else None
    if symlinks is None:
        raise bad_request("Invalid value for 'recursive_symlinks': must be 'ignore', 'keep' or 'copy'")
    return TransferDocument(
        common=common,
        source_endpoint=source,
        destination_endpoint=destination,
        items=items,
        encrypt_data=_bool(doc, "encrypt_data", False),
        sync_level=sync_level,
        verify_checksum=_bool(doc, "verify_checksum", False),
        preserve_timestamp=_bool(doc, "preserve_timestamp", False),
        delete_destination_extra=_bool(doc, "delete_destination_extra", False),
        recursive_symlinks=symlinks,
        filter_rules=_filter_rules(doc.get("filter_rules")),
        skip_source_errors=_bool(doc, "skip_source_errors", False),
        fail_on_quota_errors=_bool(doc, "fail_on_quota_errors", False),
    )


def parse_delete(doc: dict[str, Any]) -> DeleteDocument:
    """A delete document (doc 2.2, 2.6, 2.7), or 400."""
    common = _common(doc, "delete")
    endpoint = _string(doc, "endpoint")
    paths = []
    for n, item in enumerate(_data(doc)):
        if not isinstance(item, dict) or item.get("DATA_TYPE") != "delete_item":
            raise bad_request(f"Invalid value for 'DATA[{n}].DATA_TYPE': must be 'delete_item'")
        paths.append(_path(item, "path", f"DATA[{n}]."))
    if not paths:
        raise no_delete_items()
    return DeleteDocument(
        common=common,
        endpoint=endpoint,
        paths=tuple(paths),
        recursive=_bool(doc, "recursive", False),
        ignore_missing=_bool(doc, "ignore_missing", False),
        interpret_globs=_bool(doc, "interpret_globs", False),
    )


@dataclass(frozen=True)
class TaskUpdate:
    """PUT /task/{id}: the fields that may change (absent fields are left alone)."""

    label: str | None
    label_given: bool
    deadline: datetime | None


def parse_task_update(doc: dict[str, Any]) -> TaskUpdate:
    if doc.get("DATA_TYPE", "task") != "task":
        raise bad_request("Invalid value for 'DATA_TYPE': must be 'task'")
    allowed = {"DATA_TYPE", "label", "deadline"}
    other = sorted(set(doc) - allowed)
    if other:
        raise bad_request(f"Only label and deadline can be updated, not {', '.join(other)}")
    deadline = parse_deadline(doc.get("deadline"))
    return TaskUpdate(parse_label(doc.get("label")), "label" in doc, deadline)


def parse_mkdir(doc: dict[str, Any]) -> str:
    if doc.get("DATA_TYPE", "mkdir") != "mkdir":
        raise bad_request("Invalid value for 'DATA_TYPE': must be 'mkdir'")
    return _path(doc, "path")


def parse_rename(doc: dict[str, Any]) -> tuple[str, str]:
    if doc.get("DATA_TYPE", "rename") != "rename":
        raise bad_request("Invalid value for 'DATA_TYPE': must be 'rename'")
    return _path(doc, "old_path"), _path(doc, "new_path")


ADMIN_TASKS_MAX = 1000  # task ids in one admin_cancel, admin_pause or admin_resume


@dataclass(frozen=True)
class AdminTasks:
    """An admin_cancel, admin_pause or admin_resume document (globus-sdk's endpoint_manager_*)."""

    task_ids: tuple[str, ...]  # canonical (lower-case) task ids, in the order given
    message: str | None


def parse_admin_tasks(doc: dict[str, Any], data_type: str, message: bool) -> AdminTasks:
    """`{DATA_TYPE?, task_id_list, message}`; `message` says whether the document needs one (a
    resume has none)."""
    if doc.get("DATA_TYPE", data_type) != data_type:
        raise bad_request(f"Invalid value for 'DATA_TYPE': must be '{data_type}'")
    ids = doc.get("task_id_list")
    if not isinstance(ids, list) or not ids or len(ids) > ADMIN_TASKS_MAX:
        raise bad_request(f"'task_id_list' must list 1 to {ADMIN_TASKS_MAX} task ids")
    canonical = [_canonical_uuid(i) for i in ids]
    if None in canonical:
        raise bad_request("Invalid value in 'task_id_list': task ids are UUIDs")
    task_ids = tuple(dict.fromkeys(i for i in canonical if i is not None))  # each once, in order
    return AdminTasks(task_ids, _string(doc, "message") if message else None)


def _canonical_uuid(value: object) -> str | None:
    try:
        return str(uuid.UUID(value)) if isinstance(value, str) else None
    except ValueError:
        return None
