"""Serving a file the way Azure Blob Storage serves a blob, so Azure clients can download it.

What `BlobClient.download_blob()` relies on: a ranged GET (`x-ms-range`, else `Range`, as
`bytes=first-last` or `bytes=first-`) answers 206 with `Content-Range: bytes first-last/size`; a
range starting past the end answers 416 `InvalidRange`; every answer carries the blob's properties
(`ETag`, `Last-Modified`, `x-ms-blob-type`, `Content-Length`), and `If-Match` with another ETag
answers 412 `ConditionNotMet`. HEAD gives the properties alone. Errors are Azure's XML document with
the code also in `x-ms-error-code`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from starlette.datastructures import Headers
from starlette.responses import Response, StreamingResponse

STORAGE_VERSION = "2025-11-05"
_RANGE = re.compile(r"bytes=(\d+)-(\d*)")
_STATUS = {
    "AuthenticationFailed": 403,
    "AuthorizationPermissionMismatch": 403,
    "BlobNotFound": 404,
    "ConditionNotMet": 412,
    "InvalidRange": 416,
}


@dataclass(frozen=True)
class Blob:
    """A blob's properties, and how to read bytes `first`..`last` (inclusive) of it."""

    size: int
    etag: str
    last_modified: datetime
    content_type: str
    read: Callable[[int, int], Iterator[bytes]]


def blob_response(blob: Blob, method: str, headers: Headers, extra: dict[str, str] | None = None) -> Response:
    """The answer to a GET or HEAD of `blob` with these request headers."""
    properties = {
        "ETag": blob.etag,
        "Last-Modified": format_datetime(blob.last_modified, usegmt=True),
        "Accept-Ranges": "bytes",
        "x-ms-blob-type": "BlockBlob",
        "x-ms-version": headers.get("x-ms-version", STORAGE_VERSION),
        **(extra or {}),
    }
    if_match = headers.get("if-match")
    if if_match is not None and if_match not in ("*", blob.etag):
        return azure_error("ConditionNotMet")
    first, last, status = 0, blob.size - 1, 200
    wanted = _RANGE.fullmatch(headers.get("x-ms-range") or headers.get("range") or "")
    if wanted is not None:
        first, status = int(wanted[1]), 206
        last = min(int(wanted[2]), blob.size - 1) if wanted[2] else blob.size - 1
        if first >= blob.size or last < first:
            return azure_error("InvalidRange", {"Content-Range": f"bytes */{blob.size}"})
        properties["Content-Range"] = f"bytes {first}-{last}/{blob.size}"
    properties["Content-Length"] = str(last - first + 1)
    if method == "HEAD":
        return Response(status_code=status, headers=properties, media_type=blob.content_type)
    return StreamingResponse(
        blob.read(first, last), status_code=status, headers=properties, media_type=blob.content_type
    )


def azure_error(code: str, headers: dict[str, str] | None = None) -> Response:
    """Azure Storage's XML error document for `code`."""
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code><Message>{code}</Message></Error>'
    )
    return Response(
        body,
        _STATUS[code],
        media_type="application/xml",
        headers={"x-ms-error-code": code, **(headers or {})},
    )
