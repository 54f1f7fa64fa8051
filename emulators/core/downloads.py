"""Signed, short-lived downloads of generated files (a QC report, a failed-files CSV).

Two halves, each service-neutral:

- `LinkSigner` signs a link's path and expiry with HMAC-SHA256 under a secret drawn when the World is
  built (or derived from the operator's `--link-secret` and the World's generation), never from the
  seed or anything the emulator prints: a link cannot be forged or stretched, and links issued before
  a reset stop working. `key(purpose)` hands a service a sub-key for a signature scheme of its own
  (Azure SAS, a JWT).
- `ranged_response` serves a `Download` — size, ETag, Last-Modified and a `read(first, last)` that
  generates the bytes lazily, chunk by chunk — the way object stores do: a plain GET streams it
  whole, `Range: bytes=a-b` answers 206 with `Content-Range`, a range past the end 416, a stale
  `If-Match` 412, HEAD the headers alone. The service renders refusals in its own format.

Links are built from the server's public base URL (`Host.public_url`), never from request headers.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Literal
from urllib.parse import urlencode

from starlette.datastructures import Headers
from starlette.responses import Response, StreamingResponse

Refusal = Literal["precondition_failed", "range_not_satisfiable"]
Verdict = Literal["valid", "forged", "expired"]
_RANGE = re.compile(r"bytes=(\d+)-(\d*)")


@dataclass(frozen=True)
class Download:
    """A file's properties, and how to make bytes `first`..`last` (inclusive) of it."""

    size: int
    etag: str
    last_modified: datetime
    content_type: str
    read: Callable[[int, int], Iterator[bytes]]


class LinkSigner:
    """Signs and checks links under one World's secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def key(self, purpose: str) -> bytes:
        """A 32-byte key for `purpose`, derived from the secret (one purpose's key tells nothing of
        another's, nor of the secret)."""
        return hmac.new(self._secret, b"key\x1f" + purpose.encode(), hashlib.sha256).digest()

    def sign(self, path: str, expires: datetime) -> str:
        """The query string (`expires`, `signature`) that makes `path` downloadable until `expires`."""
        stamp = str(int(expires.timestamp()))
        return urlencode({"expires": stamp, "signature": self._signature(path, stamp)})

    def verify(self, path: str, query: Mapping[str, str], now: datetime) -> Verdict:
        """Whether `query` signs `path`, and whether the link is still valid at `now`."""
        stamp, signature = query.get("expires", ""), query.get("signature", "")
        if not stamp.isdigit() or not hmac.compare_digest(signature, self._signature(path, stamp)):
            return "forged"
        return "valid" if now.timestamp() < int(stamp) else "expired"

    def _signature(self, path: str, stamp: str) -> str:
        return hmac.new(self._secret, f"{path}\x1f{stamp}".encode(), hashlib.sha256).hexdigest()


def ranged_response(
    download: Download,
    method: str,
    headers: Headers,
    refuse: Callable[[Refusal, dict[str, str]], Response],
    extra: Mapping[str, str] | None = None,
    range_header: str = "range",
) -> Response:
    """The answer to a GET or HEAD of `download` with these request headers.

    `range_header` names the header a client's range is read from first (Azure clients send
    `x-ms-range`); the standard `Range` is read after it.
    """
    properties = {
        "ETag": download.etag,
        "Last-Modified": format_datetime(download.last_modified, usegmt=True),
        "Accept-Ranges": "bytes",
        **(extra or {}),
    }
    if_match = headers.get("if-match")
    if if_match is not None and if_match not in ("*", download.etag):
        return refuse("precondition_failed", {})
    first, last, status = 0, download.size - 1, 200
    wanted = _RANGE.fullmatch(headers.get(range_header) or headers.get("range") or "")
    if wanted is not None:
        first, status = int(wanted[1]), 206
        last = min(int(wanted[2]), download.size - 1) if wanted[2] else download.size - 1
        if first >= download.size or last < first:
            return refuse("range_not_satisfiable", {"Content-Range": f"bytes */{download.size}"})
        properties["Content-Range"] = f"bytes {first}-{last}/{download.size}"
    properties["Content-Length"] = str(last - first + 1)
    if method == "HEAD":
        return Response(status_code=status, headers=properties, media_type=download.content_type)
    return StreamingResponse(
        download.read(first, last), status_code=status, headers=properties, media_type=download.content_type
    )
