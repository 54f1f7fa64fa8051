"""The failed-files report (doc, "Download Failed Files": "a CSV report listing the files that failed
during the specified transfer, along with their reasons"), served behind a signed, short-lived link
with ranges, as object storage serves a presigned URL.

Columns: `Key,Size,Reason` (the real report's columns are not public). A refused link answers as S3
answers a bad presigned URL: 403 with an XML `AccessDenied` error.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from emulators.amove.transfers import AmoveTransfer
from emulators.core.downloads import Download, Refusal, ranged_response

HEADER = ("Key", "Size", "Reason")


def csv_text(transfer: AmoveTransfer, at: datetime) -> bytes:
    """The report as of `at`: one row per failed object, in the order the transfer met them."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for entry, reason in transfer.failed_objects(at):
        writer.writerow(("/" + entry.path, entry.size, reason))
    return out.getvalue().encode()


def csv_response(transfer: AmoveTransfer, at: datetime, request: Request) -> Response:
    content = csv_text(transfer, at)

    def read(first: int, last: int) -> Iterator[bytes]:
        yield content[first : last + 1]

    download = Download(
        size=len(content),
        etag='"' + hashlib.md5(content, usedforsecurity=False).hexdigest() + '"',
        last_modified=transfer.end(at) or at,
        content_type="text/csv",
        read=read,
    )
    disposition = {"Content-Disposition": f'attachment; filename="failed-files-{transfer.id}.csv"'}
    return ranged_response(download, request.method, request.headers, _refuse, disposition)


def _refuse(refusal: Refusal, headers: dict[str, str]) -> Response:
    status = 412 if refusal == "precondition_failed" else 416
    return Response(status_code=status, headers=headers)


def refusal(message: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>AccessDenied</Code><Message>{message}</Message></Error>"
    )
    return Response(body, status_code=403, media_type="application/xml")
