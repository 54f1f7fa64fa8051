"""Serving a file the way Azure Blob Storage serves a blob, so Azure clients can download it.

What `BlobClient.download_blob()` relies on: a ranged GET (`x-ms-range`, else `Range`, as
`bytes=first-last` or `bytes=first-`) answers 206 with `Content-Range: bytes first-last/size`; a
range starting past the end answers 416 `InvalidRange`; every answer carries the blob's properties
(`ETag`, `Last-Modified`, `x-ms-blob-type`, `Content-Length`), and `If-Match` with another ETag
answers 412 `ConditionNotMet`. HEAD gives the properties alone. Errors are Azure's XML document with
the code also in `x-ms-error-code`.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import Response

from emulators.core.downloads import Download, Refusal, ranged_response

STORAGE_VERSION = "2025-11-05"
_STATUS = {
    "AuthenticationFailed": 403,
    "AuthorizationPermissionMismatch": 403,
    "BlobNotFound": 404,
    "ConditionNotMet": 412,
    "InvalidRange": 416,
}


def blob_response(
    blob: Download, method: str, headers: Headers, extra: dict[str, str] | None = None
) -> Response:
    """The answer to a GET or HEAD of `blob` with these request headers (the core serves the bytes;
    this layer adds Azure's headers and error documents)."""
    properties = {
        "x-ms-blob-type": "BlockBlob",
        "x-ms-version": headers.get("x-ms-version", STORAGE_VERSION),
        **(extra or {}),
    }
    return ranged_response(blob, method, headers, _refuse, properties, range_header="x-ms-range")


def _refuse(reason: Refusal, headers: dict[str, str]) -> Response:
    return azure_error("ConditionNotMet" if reason == "precondition_failed" else "InvalidRange", headers)


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
