"""Paged, sorted lists (reference, B1): `page` (1-based, default 1), `pagesize` (50), `sortfield` (any
field of the record, matched without regard to case, e.g. `RequestDate` for `requestDate`) and
`descending`, answered as a `DTOCollection<T>`. No Starlette here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from emulators.amove.errors import AmoveError
from emulators.amove.models import collection

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class PageRequest:
    page: int
    page_size: int
    sort_field: str
    descending: bool


def integer(query: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise AmoveError("DEFAULT", f"The value '{raw}' is not valid for {name}.") from None
    if value < minimum:
        raise AmoveError("DEFAULT", f"{name} must be at least {minimum}.")
    return value


def boolean(query: Mapping[str, str], name: str, default: bool) -> bool:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() not in ("true", "false"):
        raise AmoveError("DEFAULT", f"The value '{raw}' is not valid for {name}.")
    return raw.lower() == "true"


def page_request(query: Mapping[str, str], default_sort: str, default_descending: bool) -> PageRequest:
    return PageRequest(
        integer(query, "page", 1, 1),
        min(integer(query, "pagesize", DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE),
        query.get("sortfield") or default_sort,
        boolean(query, "descending", default_descending),
    )


def _sort_key(value: object) -> tuple[int, Any]:
    # Nulls first (ascending), then the value; booleans and numbers compare as numbers.
    if value is None:
        return (0, 0)
    if isinstance(value, (bool, int, float)):
        return (1, float(value))
    return (2, str(value).lower())


def page_of(records: Sequence[Mapping[str, Any]], request: PageRequest) -> dict[str, Any]:
    """One page of `records` sorted by the requested field (ties keep the records' order)."""
    if records:
        fields = {name.lower(): name for name in records[0]}
        field = fields.get(request.sort_field.lower())
        if field is None or isinstance(records[0][field], (dict, list)):
            raise AmoveError("DEFAULT", f"Cannot sort by '{request.sort_field}'.")
        records = sorted(records, key=lambda r: _sort_key(r[field]), reverse=request.descending)
    first = (request.page - 1) * request.page_size
    items = records[first : first + request.page_size]
    return collection(
        items, len(records), request.page, request.page_size, request.sort_field, request.descending
    )
