"""Query parameters of the monitoring APIs: task_list filters and ordering, paging, event filters.

task_list `filter` is `field:v1,v2/field2:...`; `label` takes an operator prefix (`=` exact, the
default; `~` pattern; `!` not exact; `!~` not pattern), `request_time` and `completion_time` take
`START,END` ranges with either end empty. A `~` pattern matches case-insensitively, `*` standing for
any text; without a `*` it matches anywhere in the label.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from emulators.globus.errors import bad_request

TASK_LIST_MAX = 1000
TASK_TYPES = frozenset({"TRANSFER", "DELETE"})
TASK_FIELDS_ORDERABLE = ("request_time", "completion_time", "deadline", "label", "status", "type", "task_id")

Predicate = Callable[[dict[str, Any]], bool]
_BOOLEANS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def integer(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """A bounded integer query parameter, or 400."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"Invalid value for '{name}': must be an integer") from None
    if not low <= value <= high:
        raise bad_request(f"Invalid value for '{name}': must be between {low} and {high}")
    return value


def boolean(params: Mapping[str, str], name: str, default: bool) -> bool:
    """A boolean query parameter: the SDK sends 1/0; true/false and yes/no are read too, or 400."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    value = _BOOLEANS.get(raw.lower())
    if value is None:
        raise bad_request(f"Invalid value for '{name}': must be a boolean (1 or 0)")
    return value


def _instant(text: str, name: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"Invalid filter '{name}': '{text[:64]}' is not a datetime") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _time_range(field: str, value: str) -> Predicate:
    start, sep, end = value.partition(",")
    if not sep:
        raise bad_request(f"Invalid filter '{field}': use START,END (either may be empty)")
    lo, hi = _instant(start, field), _instant(end, field)

    def check(doc: dict[str, Any]) -> bool:
        if doc.get(field) is None:
            return False
        at = datetime.fromisoformat(doc[field])
        return (lo is None or at >= lo) and (hi is None or at <= hi)

    return check


def _label(value: str) -> Predicate:
    negate = value.startswith("!")
    value = value[1:] if negate else value
    pattern = value.startswith("~")
    value = value[1:] if pattern or value.startswith("=") else value
    needle = value.lower()
    glob = needle if "*" in needle else f"*{needle}*"

    def check(doc: dict[str, Any]) -> bool:
        label = doc.get("label") or ""
        hit = fnmatch.fnmatchcase(label.lower(), glob) if pattern else label == value
        return hit != negate

    return check


def _one_of(field: str, value: str, upper: bool) -> Predicate:
    wanted = {v.upper() if upper else v for v in value.split(",") if v}

    def check(doc: dict[str, Any]) -> bool:
        return str(doc.get(field)) in wanted

    return check


_TASK_FILTERS: dict[str, Callable[[str], Predicate]] = {
    "task_id": lambda v: _one_of("task_id", v.lower(), False),
    "type": lambda v: _one_of("type", v, True),
    "status": lambda v: _one_of("status", v, True),
    "label": _label,
    "request_time": lambda v: _time_range("request_time", v),
    "completion_time": lambda v: _time_range("completion_time", v),
}


def task_filter(text: str | None) -> Predicate:
    """The predicate of a task_list `filter` parameter, or 400."""
    checks: list[Predicate] = []
    for clause in (text or "").split("/"):
        if not clause:
            continue
        field, sep, value = clause.partition(":")
        if not sep or field not in _TASK_FILTERS:
            raise bad_request(f"Invalid filter '{clause[:64]}': known fields are {', '.join(_TASK_FILTERS)}")
        checks.append(_TASK_FILTERS[field](value))
    return lambda doc: all(check(doc) for check in checks)


def task_types(text: str | None) -> frozenset[str] | None:
    """The task types a (valid) `filter` keeps when it names nothing but types, else None.

    This lets task_list take a page straight from a history without judging every task.
    """
    kinds = TASK_TYPES
    for clause in (text or "").split("/"):
        if not clause:
            continue
        field, _, value = clause.partition(":")
        if field != "type":
            return None
        kinds = kinds & {v.upper() for v in value.split(",") if v}
    return kinds


@dataclass(frozen=True)
class Order:
    field: str
    descending: bool


def ordering(text: str | None, allowed: tuple[str, ...], default: str) -> list[Order]:
    """`field [ASC|DESC]`, comma-separated, or 400."""
    orders = []
    for part in (text or default).split(","):
        words = part.split()
        if not words or len(words) > 2 or words[0] not in allowed:
            raise bad_request(f"Invalid orderby '{part[:64]}': fields are {', '.join(allowed)}")
        direction = words[1].upper() if len(words) == 2 else "ASC"
        if direction not in ("ASC", "DESC"):
            raise bad_request(f"Invalid orderby '{part[:64]}': the direction is ASC or DESC")
        orders.append(Order(words[0], direction == "DESC"))
    return orders


def sort_documents(docs: list[dict[str, Any]], orders: list[Order]) -> list[dict[str, Any]]:
    """Stable multi-key sort; None sorts first ascending (last descending)."""
    for order in reversed(orders):
        docs.sort(key=lambda d: _sort_key(d.get(order.field)), reverse=order.descending)
    return docs


def _sort_key(value: Any) -> tuple[bool, Any]:
    """None before any value; a field holds values of one type (0 and "" are values, not None)."""
    return (value is not None, value if value is not None else "")


def project(doc: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """The `fields` common query parameter: only the named fields (and DATA_TYPE)."""
    if not fields:
        return doc
    wanted = {f.strip() for f in fields.split(",")} | {"DATA_TYPE"}
    return {k: v for k, v in doc.items() if k in wanted}


def event_filter(text: str | None) -> Callable[[bool], bool]:
    """event_list `filter=is_error:1|0`."""
    if not text:
        return lambda is_error: True
    field, _, value = text.partition(":")
    if field != "is_error" or value not in ("0", "1"):
        raise bad_request("Invalid filter: event_list supports is_error:1 and is_error:0")
    return lambda is_error: is_error == (value == "1")
